"""The AGS client against the built-in platform over HTTP, with Moodle's rules
(shared/moodle.md, AGS): exact media types, /scores before the query, 200 with an empty
body, 409 on a timestamp that is not newer, typed errors with status and duration."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.utils import timezone

from lti_tool.demo.faults import demo_fault_set
from lti_tool.demo.models import DemoAccessToken, DemoGrade, DemoLineItem
from lti_tool.lti.access_tokens import access_token_get
from lti_tool.lti.ags import AgsConflict, AgsPermanentError, AgsUnauthorized
from lti_tool.lti.ags.client import (
    line_item_create,
    line_item_get,
    line_items_find,
    score_post,
    scores_url,
    with_query,
)
from lti_tool.lti.constants import AGS_SCOPES, MediaType
from tests.lti.ags_fixtures import (
    AGS_TEST_MARKS,
    Launched,
    launch,
    tokens_issued,
)

pytestmark = AGS_TEST_MARKS


def _seconds_ago(seconds: int) -> datetime:
    return timezone.now().replace(microsecond=0) - timedelta(seconds=seconds)


def _post(demo: Any, launched: Launched, **changes: Any):
    arguments: dict[str, Any] = {
        "user_id": launched.lti_user.sub,
        "score_given": Decimal("15.5"),
        "score_maximum": 20,
        "comment": "Diagnostic solide.",
        "timestamp": _seconds_ago(5),
    }
    arguments.update(changes)
    return score_post(demo.registration, launched.resource_link.ags_lineitem_url, **arguments)


def test_scores_go_before_the_query_string_of_the_line_item_url():
    assert (
        scores_url("https://moodle.example/mod/lti/services.php/2/lineitems/12/lineitem?type_id=3")
        == "https://moodle.example/mod/lti/services.php/2/lineitems/12/lineitem/scores?type_id=3"
    )
    assert scores_url("https://p.example/items/12/") == "https://p.example/items/12/scores"


def test_filters_are_merged_with_the_query_string_the_platform_gave():
    url = with_query(
        "https://moodle.example/services.php/2/lineitems?type_id=3", {"tag": "DC2 bis"}
    )
    assert url == "https://moodle.example/services.php/2/lineitems?type_id=3&tag=DC2+bis"
    assert with_query("https://p.example/items?tag=old", {"tag": "new"}).endswith("?tag=new")


def test_the_media_types_are_the_exact_ims_ones():
    assert MediaType.LINEITEM_CONTAINER == "application/vnd.ims.lis.v2.lineitemcontainer+json"
    assert MediaType.LINEITEM == "application/vnd.ims.lis.v2.lineitem+json"
    assert MediaType.SCORE == "application/vnd.ims.lis.v1.score+json"


def test_a_score_lands_in_the_platform_gradebook(demo: Any, launched: Launched):
    stamp = _seconds_ago(5)
    answer = _post(demo, launched, timestamp=stamp)
    assert answer.status_code == 200
    assert answer.body_excerpt == ""  # Moodle: 200 with an empty body
    assert answer.duration_ms >= 0
    grade = launched.grade()
    assert grade is not None
    assert grade.grade == Decimal("15.5")
    assert grade.grading_progress == "FullyGraded"
    assert grade.activity_progress == "Completed"
    assert grade.comment == "Diagnostic solide."
    assert datetime.fromisoformat(grade.timestamp) == stamp
    assert grade.timestamp.endswith("+00:00")


def test_the_platform_refuses_plain_json_where_the_client_sends_the_exact_type(
    demo: Any, launched: Launched
):
    token = access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    payload = {
        "userId": launched.lti_user.sub,
        "scoreGiven": 10,
        "scoreMaximum": 20,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": _seconds_ago(20).isoformat(),
    }
    refused = requests.post(
        scores_url(launched.resource_link.ags_lineitem_url),
        data=json.dumps(payload),
        headers={"Authorization": f"Bearer {token.value}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert refused.status_code == 415
    assert _post(demo, launched).status_code == 200


def test_a_score_with_the_same_second_is_a_conflict(demo: Any, launched: Launched):
    stamp = _seconds_ago(3)
    _post(demo, launched, timestamp=stamp, score_given=12)
    with pytest.raises(AgsConflict) as caught:
        _post(demo, launched, timestamp=stamp + timedelta(milliseconds=400), score_given=14)
    error = caught.value
    assert error.status_code == 409
    assert "409" in error.message
    assert error.body_excerpt
    assert error.url.endswith("/lineitem/scores?type_id=" + str(demo.tool.pk))
    assert launched.grade().score_given == 12  # the first one stays


def test_a_score_for_someone_without_a_gradebook_role_is_a_permanent_refusal(demo: Any):
    trainer = launch(demo, "trainer")
    with pytest.raises(AgsPermanentError) as caught:
        _post(demo, trainer)
    error = caught.value
    assert error.status_code == 400
    assert not error.retryable
    assert "inscrit" in error.message  # what a trainer can act on
    assert len(error.body_excerpt) <= 500


def test_a_score_for_a_deleted_column_is_a_permanent_404(demo: Any, launched: Launched):
    launched.demo_item.delete()
    with pytest.raises(AgsPermanentError) as caught:
        _post(demo, launched)
    assert caught.value.status_code == 404
    assert "404" in caught.value.message


def test_a_revoked_token_is_replaced_once_and_the_call_goes_through(demo: Any, launched: Launched):
    line_item_get(demo.registration, launched.resource_link.ags_lineitem_url)
    DemoAccessToken.objects.filter(tool=demo.tool).delete()  # the platform forgot it
    answer = _post(demo, launched)
    assert answer.status_code == 200
    assert answer.token_refreshed
    assert tokens_issued(demo) == 2


def test_a_401_even_with_a_fresh_token_is_unauthorized_and_permanent(demo: Any, launched: Launched):
    demo_fault_set(platform=demo.platform, kind="ags_error", count=2, status=401)
    with pytest.raises(AgsUnauthorized) as caught:
        _post(demo, launched)
    error = caught.value
    assert error.status_code == 401
    assert error.token_refreshed
    assert not error.retryable
    assert launched.grade() is None


def test_line_items_are_created_then_found_with_filters(demo: Any, launched: Launched):
    link = launched.resource_link
    created = line_item_create(
        demo.registration,
        link.ags_lineitems_url,
        label="Diagnostic — DC2 Intervention",
        score_maximum=20,
        tag="DC2",
        resource_id="diagnostic:DC2",
        resource_link_id=link.resource_link_id,
    )
    row = DemoLineItem.objects.get(tag="DC2")
    assert row.created_by_tool and row.resource_id == "diagnostic:DC2"
    assert created.url.endswith(f"/lineitems/{row.pk}/lineitem?type_id={demo.tool.pk}")
    assert created.score_maximum == 20 and created.resource_link_id == link.resource_link_id
    assert "type_id=" in link.ags_lineitems_url  # the filters merge with it
    found = line_items_find(
        demo.registration, link.ags_lineitems_url, resource_link_id=link.resource_link_id, tag="DC2"
    )
    assert found == [created]
    assert line_items_find(demo.registration, link.ags_lineitems_url, tag="DC3") == []
    by_resource = line_items_find(
        demo.registration, link.ags_lineitems_url, resource_id="diagnostic:DC2"
    )
    assert [item.url for item in by_resource] == [created.url]
    assert line_item_get(demo.registration, created.url) == created


def test_a_naive_timestamp_is_a_programming_error(demo: Any, launched: Launched):
    with pytest.raises(ValueError, match="timezone"):
        _post(demo, launched, timestamp=datetime(2026, 1, 1, 12, 0, 0))  # noqa: DTZ001
    assert DemoGrade.objects.count() == 0


def test_a_pending_score_clears_the_grade_as_moodle_does(demo: Any, launched: Launched):
    _post(demo, launched, timestamp=_seconds_ago(10))
    _post(demo, launched, timestamp=_seconds_ago(5), grading_progress="PendingManual")
    assert launched.grade().grade is None


def test_timestamps_carry_their_timezone(demo: Any, launched: Launched):
    paris = datetime.now(tz=UTC).astimezone().replace(microsecond=0) - timedelta(seconds=8)
    _post(demo, launched, timestamp=paris)
    assert datetime.fromisoformat(launched.grade().timestamp) == paris
