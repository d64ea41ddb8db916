"""Transient and permanent failures, classified from what the platform really does: the
built-in platform's fault switches make it answer 500/503/429, hang past the client's
timeout, or refuse tokens; its counters show what arrived."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.utils import timezone

from lti_tool.demo.faults import demo_fault_set, demo_faults_clear, demo_faults_get
from lti_tool.demo.models import DemoPlatform
from lti_tool.lti.access_tokens import access_token_get
from lti_tool.lti.ags import AgsConflict, AgsTimeout, AgsTransientError
from lti_tool.lti.ags.client import score_post
from lti_tool.lti.constants import AGS_SCOPES
from tests.lti.ags_fixtures import (
    AGS_TEST_MARKS,
    Launched,
    launch,
    staff_credentials,
)

pytestmark = AGS_TEST_MARKS


class Poster:
    """Posts scores with timestamps one second apart, in the past."""

    def __init__(self, demo: Any, launched: Launched) -> None:
        self.demo, self.launched = demo, launched
        self.stamp = timezone.now().replace(microsecond=0) - timedelta(seconds=60)

    def __call__(self, given: int = 15) -> Any:
        self.stamp += timedelta(seconds=1)
        return score_post(
            self.demo.registration,
            self.launched.resource_link.ags_lineitem_url,
            user_id=self.launched.lti_user.sub,
            score_given=given,
            score_maximum=20,
            comment="",
            timestamp=self.stamp,
        )


def _stats(demo: Any) -> dict[str, Any]:
    response = requests.get(demo.absolute("/demo/stats/"), timeout=10)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_for_the_next_calls_are_transient_then_the_score_arrives(
    demo: Any, launched: Launched, status: int
):
    post = Poster(demo, launched)
    demo_fault_set(platform=demo.platform, kind="ags_error", count=2, status=status)
    for _ in range(2):
        with pytest.raises(AgsTransientError) as caught:
            post(12)
        assert caught.value.status_code == status
        assert caught.value.retryable
        assert str(status) in caught.value.message
        assert caught.value.duration_ms >= 0
    assert launched.grade() is None
    assert post(12).status_code == 200
    assert launched.grade().score_given == 12
    stats = _stats(demo)
    assert stats["faults_injected"] == 2
    assert stats["scores_accepted"] == 1
    assert stats["faults"] == {}


def test_a_429_is_transient_and_passes_on_retry_after(demo: Any, launched: Launched):
    demo_fault_set(platform=demo.platform, kind="ags_error", count=1, status=429)
    with pytest.raises(AgsTransientError) as caught:
        Poster(demo, launched)()
    assert caught.value.status_code == 429
    assert caught.value.retry_after_seconds == 1.0


def test_a_share_of_failing_calls_lasts_until_cleared(demo: Any, launched: Launched):
    post = Poster(demo, launched)
    demo_fault_set(platform=demo.platform, kind="ags_error_share", share=1, status=503)
    for _ in range(3):
        with pytest.raises(AgsTransientError):
            post()
    demo_faults_clear(demo.platform)
    assert post().status_code == 200


def test_a_platform_hanging_past_the_timeout_is_a_transient_timeout(
    demo: Any, launched: Launched, settings: Any
):
    access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    settings.LTI_HTTP_TIMEOUT_SECONDS = 0.5
    demo_fault_set(platform=demo.platform, kind="ags_hang", count=1, seconds=1.5)
    post = Poster(demo, launched)
    with pytest.raises(AgsTimeout) as caught:
        post()
    error = caught.value
    assert error.status_code is None
    assert error.retryable
    assert 450 <= error.duration_ms < 1500
    assert "délai" in error.message
    assert post(16).status_code == 200
    assert launched.grade().score_given == 16


def test_the_counters_show_tokens_scores_grades_and_conflicts(demo: Any, launched: Launched):
    post = Poster(demo, launched)
    post(10)
    post.stamp -= timedelta(seconds=1)  # the same second again
    with pytest.raises(AgsConflict):
        post(11)
    stats = _stats(demo)
    assert stats["tokens_issued"] == 1
    assert stats["tokens_issued_by_client"] == {demo.tool.client_id: 1}
    assert stats["scores_received"] == 2
    assert stats["scores_accepted"] == 1
    assert stats["scores_conflict"] == 1
    assert stats["grades_written"] == 1


def test_scripts_flip_switches_over_http_with_staff_credentials(demo: Any, launched: Launched):
    url = demo.absolute("/demo/faults/")
    auth = staff_credentials()
    answer = requests.post(
        url, json={"kind": "ags_error", "count": 3, "status": 502}, auth=auth, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["faults"] == {"ags_error": {"count": 3, "status": 502}}
    with pytest.raises(AgsTransientError) as caught:
        Poster(demo, launched)()
    assert caught.value.status_code == 502
    assert demo_faults_get(demo.platform)["ags_error"]["count"] == 2
    cleared = requests.post(url, json={"action": "clear"}, auth=auth, timeout=10)
    assert cleared.json()["faults"] == {}
    refused = requests.post(url, json={"kind": "panne"}, auth=auth, timeout=10)
    assert refused.status_code == 400
    assert "panne" in refused.json()["message"]


def test_the_switches_are_refused_to_anyone_but_staff(demo: Any):
    url = demo.absolute("/demo/faults/")
    anonymous = requests.post(
        url, json={"kind": "ags_error", "count": 1}, allow_redirects=False, timeout=10
    )
    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous.headers["Location"]
    wrong = requests.post(url, json={"action": "clear"}, auth=("bench-staff", "non"), timeout=10)
    assert wrong.status_code == 403
    assert demo_faults_get(demo.platform) == {}


def test_staff_see_and_flip_the_switches_on_a_page(demo: Any, client: Any):
    staff = get_user_model().objects.get(username=staff_credentials()[0])
    client.force_login(staff)
    host = urlsplit(demo.base_url).netloc
    posted = client.post(
        "/demo/faults/", {"kind": "token_refuse", "count": "2", "status": "503"}, HTTP_HOST=host
    )
    assert posted.status_code == 302
    page = client.get("/demo/faults/", HTTP_HOST=host)
    assert page.status_code == 200
    assert "token_refuse" in page.content.decode()
    assert demo_faults_get(demo.platform) == {"token_refuse": {"count": 2, "status": 503}}


def test_rotating_the_platform_key_publishes_only_the_new_one(demo: Any):
    old_kid = demo.platform.kid
    demo_fault_set(platform=demo.platform, kind="key_rotate")
    platform = DemoPlatform.objects.get(pk=demo.platform.pk)
    assert platform.kid != old_kid
    kids = [
        key["kid"] for key in requests.get(demo.absolute("/demo/jwks/"), timeout=10).json()["keys"]
    ]
    assert kids == [platform.kid]
    # A launch signed with the new key is accepted (the tool fetches the new key set).
    assert launch(demo).resource_link.ags_lineitem_url
    assert _stats(demo)["key_rotations"] == 1
