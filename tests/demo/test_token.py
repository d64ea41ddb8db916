"""The token endpoint follows Moodle 4.3's rules (shared/moodle.md, Access tokens)."""

from __future__ import annotations

import time

import requests

from lti_tool.demo.constants import CLIENT_ASSERTION_TYPE, Scope
from lti_tool.demo.models import DemoAccessToken, DemoTool
from lti_tool.demo.selectors import platform_token_url


def _form(assertion: str, scope: str = Scope.AGS_SCORE.value) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": scope,
    }


def test_a_valid_assertion_gets_an_opaque_bearer_token_for_an_hour(demo_tool, client_assertion):
    response = requests.post(
        platform_token_url(demo_tool.platform), data=_form(client_assertion()), timeout=10
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == Scope.AGS_SCORE.value
    assert "." not in body["access_token"]  # opaque, not a JWT
    assert DemoAccessToken.objects.filter(token=body["access_token"], tool=demo_tool).exists()
    demo_tool.refresh_from_db()
    assert demo_tool.tokens_issued == 1


def test_json_body_is_refused_like_moodle(demo_tool, client_assertion):
    response = requests.post(
        platform_token_url(demo_tool.platform), json=_form(client_assertion()), timeout=10
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert DemoAccessToken.objects.count() == 0


def test_an_iat_one_second_in_the_future_is_refused(demo_tool, client_assertion):
    assertion = client_assertion(iat=int(time.time()) + 2)
    response = requests.post(
        platform_token_url(demo_tool.platform), data=_form(assertion), timeout=10
    )
    assert response.status_code == 400
    assert "iat" in response.json()["error_description"]


def test_an_unknown_kid_is_refused(demo_tool, client_assertion):
    response = requests.post(
        platform_token_url(demo_tool.platform),
        data=_form(client_assertion(kid="not-a-published-kid")),
        timeout=10,
    )
    assert response.status_code == 400
    assert "not-a-published-kid" in response.json()["error_description"]


def test_an_expired_assertion_is_refused(demo_tool, client_assertion):
    now = int(time.time())
    response = requests.post(
        platform_token_url(demo_tool.platform),
        data=_form(client_assertion(iat=now - 120, exp=now - 60)),
        timeout=10,
    )
    assert response.status_code == 400


def test_the_audience_must_be_the_token_url(demo_tool, client_assertion):
    response = requests.post(
        platform_token_url(demo_tool.platform),
        data=_form(client_assertion(aud=demo_tool.platform.issuer)),
        timeout=10,
    )
    assert response.status_code == 400


def test_an_assertion_cannot_be_exchanged_twice(demo_tool, client_assertion):
    assertion = client_assertion()
    url = platform_token_url(demo_tool.platform)
    assert requests.post(url, data=_form(assertion), timeout=10).status_code == 200
    again = requests.post(url, data=_form(assertion), timeout=10)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_scopes_are_limited_to_the_granted_ones(demo_tool, client_assertion):
    DemoTool.objects.filter(pk=demo_tool.pk).update(scopes=[Scope.AGS_LINEITEM.value])
    response = requests.post(
        platform_token_url(demo_tool.platform),
        data=_form(client_assertion(), f"{Scope.AGS_LINEITEM.value} {Scope.AGS_SCORE.value}"),
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["scope"] == Scope.AGS_LINEITEM.value


def test_a_pending_tool_gets_no_token(demo_tool, client_assertion):
    DemoTool.objects.filter(pk=demo_tool.pk).update(status=DemoTool.Status.PENDING)
    response = requests.post(
        platform_token_url(demo_tool.platform), data=_form(client_assertion()), timeout=10
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
