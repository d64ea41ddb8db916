"""The OIDC auth endpoint checks the request and signs Moodle-shaped id_tokens."""

from __future__ import annotations

from html.parser import HTMLParser

import jwt
import pytest
import requests

from lti_tool.demo.constants import Claim, Role
from lti_tool.demo.models import DemoResourceLink, DemoTool, DemoUser
from lti_tool.demo.services import login_initiation


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form" and values.get("id") == "lti-auto-submit":
            self.action = values.get("action") or ""
        elif tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value") or ""


def _user(platform, username: str) -> DemoUser:
    return DemoUser.objects.get(platform=platform, username=username)


def _auth_params(demo_tool, username="lea.bernard", *, deep_linking=False, **changes):
    platform = demo_tool.platform
    link = DemoResourceLink.objects.filter(tool=demo_tool).first()
    _url, fields = login_initiation(
        platform=platform,
        user=_user(platform, username),
        resource_link=None if deep_linking else link,
        deep_linking=deep_linking,
    )
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": fields["client_id"],
        "redirect_uri": demo_tool.redirect_uris[0],
        "login_hint": fields["login_hint"],
        "lti_message_hint": fields["lti_message_hint"],
        "nonce": "nonce-123",
        "state": "state-456",
    }
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def _claims(live_server, id_token: str, audience: str) -> dict:
    keys = requests.get(f"{live_server.url}/demo/jwks/", timeout=10).json()["keys"]
    kid = jwt.get_unverified_header(id_token)["kid"]
    key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key
    return jwt.decode(id_token, key, algorithms=["RS256"], audience=audience)


def test_login_initiation_carries_moodles_fields(demo_tool):
    link = DemoResourceLink.objects.filter(tool=demo_tool).first()
    url, fields = login_initiation(
        platform=demo_tool.platform,
        user=_user(demo_tool.platform, "lea.bernard"),
        resource_link=link,
    )
    assert url == demo_tool.initiate_login_uri
    assert set(fields) == {
        "iss",
        "login_hint",
        "target_link_uri",
        "lti_message_hint",
        "client_id",
        "lti_deployment_id",
    }
    assert fields["iss"] == demo_tool.platform.issuer
    assert not fields["iss"].endswith("/")
    assert fields["lti_deployment_id"] == demo_tool.deployment_id


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_valid_request_answers_an_auto_submitted_form_with_the_id_token(
    demo_tool, live_server, method
):
    params = _auth_params(demo_tool)
    url = f"{live_server.url}/demo/auth/"
    response = (
        requests.get(url, params=params, timeout=10)
        if method == "get"
        else requests.post(url, data=params, timeout=10)
    )
    assert response.status_code == 200, response.text
    form = _Form()
    form.feed(response.text)
    assert form.action == demo_tool.redirect_uris[0]
    assert form.fields["state"] == "state-456"
    claims = _claims(live_server, form.fields["id_token"], demo_tool.client_id)
    assert claims["aud"] == demo_tool.client_id
    assert "azp" not in claims
    assert claims["exp"] == claims["iat"] + 60
    assert claims["nonce"] == "nonce-123"
    assert claims[Claim.ROLES] == [Role.LEARNER.value]
    assert claims[Claim.MESSAGE_TYPE] == "LtiResourceLinkRequest"
    assert claims[Claim.VERSION] == "1.3.0"
    assert claims[Claim.CONTEXT]["label"] == "DECESF"
    assert claims[Claim.LAUNCH_PRESENTATION]["locale"] == "fr"
    ags = claims[Claim.AGS_ENDPOINT]
    assert "lineitem" in ags and "lineitems" in ags and len(ags["scope"]) == 4
    assert "context_memberships_url" in claims[Claim.NRPS]


def test_a_redirect_uri_differing_by_one_character_is_refused(demo_tool, live_server):
    params = _auth_params(demo_tool, redirect_uri=demo_tool.redirect_uris[0].rstrip("/"))
    response = requests.post(f"{live_server.url}/demo/auth/", data=params, timeout=10)
    assert response.status_code == 400
    assert "redirect_uri" in response.text
    assert "id_token" not in response.text


@pytest.mark.parametrize(
    "changes",
    [
        {"prompt": None},
        {"response_mode": "query"},
        {"response_type": "code"},
        {"scope": "profile"},
        {"client_id": "unknown"},
        {"nonce": None},
        {"state": None},
        {"login_hint": "999999"},
        {"lti_message_hint": "forged"},
    ],
)
def test_each_malformed_request_is_a_400(demo_tool, live_server, changes):
    response = requests.post(
        f"{live_server.url}/demo/auth/", data=_auth_params(demo_tool, **changes), timeout=10
    )
    assert response.status_code == 400


def test_a_message_hint_issued_for_someone_else_is_refused(demo_tool, live_server):
    params = _auth_params(demo_tool)
    params["login_hint"] = str(_user(demo_tool.platform, "hugo.petit").pk)
    response = requests.post(f"{live_server.url}/demo/auth/", data=params, timeout=10)
    assert response.status_code == 400


def test_a_pending_tool_cannot_be_launched(demo_tool, live_server):
    params = _auth_params(demo_tool)
    DemoTool.objects.filter(pk=demo_tool.pk).update(status=DemoTool.Status.PENDING)
    response = requests.post(f"{live_server.url}/demo/auth/", data=params, timeout=10)
    assert response.status_code == 400


def test_the_site_admin_is_administrator_and_instructor_and_the_english_student_english(
    demo_tool, live_server
):
    for username, roles, locale in (
        ("nadia.roussel", {Role.ADMINISTRATOR.value, Role.INSTRUCTOR.value}, "fr"),
        ("chloe.lambert", {Role.LEARNER.value}, "en"),
    ):
        response = requests.post(
            f"{live_server.url}/demo/auth/", data=_auth_params(demo_tool, username), timeout=10
        )
        form = _Form()
        form.feed(response.text)
        claims = _claims(live_server, form.fields["id_token"], demo_tool.client_id)
        assert set(claims[Claim.ROLES]) == roles
        assert claims[Claim.LAUNCH_PRESENTATION]["locale"] == locale


def test_a_deep_linking_request_carries_the_settings(demo_tool, live_server):
    params = _auth_params(
        demo_tool, "claire.martin", deep_linking=True, redirect_uri=demo_tool.redirect_uris[1]
    )
    response = requests.post(f"{live_server.url}/demo/auth/", data=params, timeout=10)
    assert response.status_code == 200, response.text
    form = _Form()
    form.feed(response.text)
    claims = _claims(live_server, form.fields["id_token"], demo_tool.client_id)
    assert claims[Claim.MESSAGE_TYPE] == "LtiDeepLinkingRequest"
    assert claims[Claim.TARGET_LINK_URI] == demo_tool.deep_link_url
    settings = claims[Claim.DEEP_LINKING_SETTINGS]
    assert settings["deep_link_return_url"] == f"{live_server.url}/demo/deep-link-return/"
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True
    assert settings["data"]
    assert Claim.RESOURCE_LINK not in claims


def test_a_student_cannot_ask_for_content_selection(demo_tool, live_server):
    params = _auth_params(demo_tool, "lea.bernard", deep_linking=True)
    response = requests.post(f"{live_server.url}/demo/auth/", data=params, timeout=10)
    assert response.status_code == 400
