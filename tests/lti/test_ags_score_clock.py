"""Score timestamps: strictly increasing per (line item, user) at 1-second resolution and
never in the future, so Moodle never answers 409 to a new score (shared/moodle.md, AGS)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from lti_tool.lti.ags import AgsConflict, ScoreTimestampTooSoon
from lti_tool.lti.ags.client import score_post
from lti_tool.lti.ags.line_items import line_item_ensure
from lti_tool.lti.models import LineItem, ScoreClock
from lti_tool.lti.score_clock import score_timestamp_next
from tests.lti.ags_fixtures import (
    AGS_TEST_MARKS,
    Launched,
    launch,
)

pytestmark = AGS_TEST_MARKS


@pytest.fixture
def line_item(launched: Launched) -> LineItem:
    return line_item_ensure(
        resource_link=launched.resource_link,
        domain_code="DC1",
        label="Diagnostic — DC1",
        tag="DC1",
        resource_id="diagnostic:DC1",
        is_primary=True,
    )


def _post(demo: Any, launched: Launched, line_item: LineItem, stamp: Any, given: int) -> Any:
    return score_post(
        demo.registration,
        line_item.url,
        user_id=launched.lti_user.sub,
        score_given=given,
        score_maximum=20,
        comment="",
        timestamp=stamp,
    )


def _next_or_wait(line_item: LineItem, launched: Launched) -> Any:
    try:
        return score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)
    except ScoreTimestampTooSoon as wait:
        assert 0 < wait.retry_after_ms <= 1000
        time.sleep(wait.retry_after_ms / 1000)
        return score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)


def test_the_first_timestamp_is_now_in_whole_seconds(launched: Launched, line_item: LineItem):
    before = timezone.now()
    stamp = score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)
    assert stamp.microsecond == 0
    assert stamp.tzinfo is not None
    assert before - timedelta(seconds=1) < stamp <= timezone.now()
    clock = ScoreClock.objects.get(line_item=line_item, user=launched.lti_user)
    assert clock.last_timestamp == stamp


def test_a_second_timestamp_in_the_same_second_asks_the_caller_to_wait(
    launched: Launched, line_item: LineItem
):
    first = score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)
    if timezone.now() - first >= timedelta(milliseconds=900):
        first = _next_or_wait(line_item, launched)  # too close to a second boundary
    with pytest.raises(ScoreTimestampTooSoon) as caught:
        score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)
    assert 0 < caught.value.retry_after_ms <= 1000
    time.sleep(caught.value.retry_after_ms / 1000)
    second = score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)
    assert second == first + timedelta(seconds=1)
    assert second <= timezone.now()


def test_a_clock_never_goes_back_even_if_the_last_timestamp_is_ahead(
    launched: Launched, line_item: LineItem
):
    ahead = timezone.now().replace(microsecond=0) + timedelta(seconds=30)
    ScoreClock.objects.create(line_item=line_item, user=launched.lti_user, last_timestamp=ahead)
    with pytest.raises(ScoreTimestampTooSoon) as caught:
        score_timestamp_next(line_item=line_item, lti_user=launched.lti_user)
    assert 30_000 <= caught.value.retry_after_ms <= 31_000


def test_the_same_second_is_a_409_that_the_clock_avoids(
    demo: Any, launched: Launched, line_item: LineItem
):
    stamp = _next_or_wait(line_item, launched)
    _post(demo, launched, line_item, stamp, 11)
    with pytest.raises(AgsConflict):
        _post(demo, launched, line_item, stamp, 12)  # what a naive resend would do
    for given in (13, 14, 15):
        _post(demo, launched, line_item, _next_or_wait(line_item, launched), given)
    grade = launched.grade()
    assert grade.score_given == 15


def test_clocks_are_kept_per_line_item_and_user(demo: Any, launched: Launched, line_item: LineItem):
    other_item = line_item_ensure(
        resource_link=launched.resource_link,
        domain_code="DC2",
        label="Diagnostic — DC2",
        tag="DC2",
        resource_id="diagnostic:DC2",
        is_primary=False,
    )
    other_user = launch(demo, "english").lti_user
    stamps = {
        score_timestamp_next(line_item=line_item, lti_user=launched.lti_user),
        score_timestamp_next(line_item=other_item, lti_user=launched.lti_user),
        score_timestamp_next(line_item=line_item, lti_user=other_user),
    }
    assert ScoreClock.objects.count() == 3
    assert max(stamps) - min(stamps) <= timedelta(seconds=1)
