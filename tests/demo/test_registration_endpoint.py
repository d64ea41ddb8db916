"""The platform side of Dynamic Registration, as Moodle 4.3 answers it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from lti_tool.demo.constants import Claim
from lti_tool.demo.models import DemoTool
from lti_tool.demo.selectors import platform_url
from lti_tool.demo.services import registration_token_issue


def _payload(base: str) -> dict[str, Any]:
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": f"{base}/lti/login/",
        "redirect_uris": [f"{base}/lti/launch/", f"{base}/lti/deep-link/"],
        "client_name": "Atelier",
        "jwks_uri": f"{base}/lti/jwks/",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": "https://purl.imsglobal.org/spec/lti-ags/scope/score "
        "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
        Claim.TOOL_CONFIGURATION.value: {
            "domain": base.split("://", 1)[1],
            "target_link_uri": f"{base}/lti/launch/",
            "claims": ["iss", "sub", "name"],
            "messages": [
                {"type": "LtiDeepLinkingRequest", "target_link_uri": f"{base}/lti/deep-link/"}
            ],
        },
    }


def _register(platform, token: str, payload: Any, **headers: str) -> requests.Response:
    return requests.post(
        platform_url(platform, "register"),
        json=payload,
        headers={"Authorization": f"Bearer {token}", **headers},
        timeout=10,
    )


@pytest.fixture
def base(live_server) -> str:
    return live_server.url


def test_openid_configuration_names_the_endpoints(demo_platform, base):
    config = requests.get(f"{base}/demo/.well-known/openid-configuration", timeout=10).json()
    assert config["issuer"] == f"{base}/demo"
    assert config["registration_endpoint"] == f"{base}/demo/register/"
    assert config["token_endpoint"] == f"{base}/demo/token/"
    assert config["jwks_uri"] == f"{base}/demo/jwks/"
    assert config[Claim.PLATFORM_CONFIGURATION]["product_family_code"] == "moodle"


def test_a_registration_answers_the_client_id_and_deployment_and_leaves_the_tool_pending(
    demo_platform, base
):
    response = _register(demo_platform, registration_token_issue(demo_platform), _payload(base))
    assert response.status_code == 200, response.text
    body = response.json()
    tool = DemoTool.objects.get(client_id=body["client_id"])
    assert body[Claim.TOOL_CONFIGURATION]["deployment_id"] == tool.deployment_id
    assert tool.status == DemoTool.Status.PENDING
    assert tool.deep_link_url == f"{base}/lti/deep-link/"
    assert len(tool.scopes) == 2


def test_the_registration_token_is_single_use(demo_platform, base):
    token = registration_token_issue(demo_platform)
    assert _register(demo_platform, token, _payload(base)).status_code == 200
    again = _register(demo_platform, token, _payload(base))
    assert again.status_code == 401
    assert again.headers["Content-Type"].startswith("text/plain")
    assert "usage unique" in again.text
    assert DemoTool.objects.count() == 1


def test_a_refused_registration_does_not_spend_the_token(demo_platform, base):
    token = registration_token_issue(demo_platform)
    bad = _payload(base)
    bad["application_type"] = "native"
    refused = _register(demo_platform, token, bad)
    assert refused.status_code == 400
    assert refused.headers["Content-Type"].startswith("text/plain")
    assert refused.text.startswith("invalid_application_type")
    assert _register(demo_platform, token, _payload(base)).status_code == 200


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("response_types", ["code"], "invalid_response_types"),
        ("grant_types", ["implicit"], "invalid_grant_types"),
        ("initiate_login_uri", None, "missing_initiate_login_uri"),
        ("redirect_uris", [], "missing_redirect_uris"),
        ("client_name", "", "missing_client_name"),
        ("jwks_uri", None, "missing_jwks_uri"),
        ("token_endpoint_auth_method", "client_secret_basic", "invalid_token_endpoint_auth_method"),
        ("scope", None, "missing_scope"),
    ],
)
def test_each_required_field_is_checked_in_plain_text(demo_platform, base, field, value, code):
    payload = _payload(base)
    if value is None:
        del payload[field]
    else:
        payload[field] = value
    response = _register(demo_platform, registration_token_issue(demo_platform), payload)
    assert response.status_code == 400
    assert response.text.startswith(code), response.text


def test_a_domain_without_the_port_of_target_link_uri_is_refused(demo_platform, base):
    payload = copy.deepcopy(_payload(base))
    payload[Claim.TOOL_CONFIGURATION.value]["domain"] = base.split("://", 1)[1].split(":")[0]
    response = _register(demo_platform, registration_token_issue(demo_platform), payload)
    assert response.status_code == 400
    assert response.text.startswith("domain_targetlinkuri_mismatch")


def test_a_missing_or_forged_token_is_401(demo_platform, base):
    assert _register(demo_platform, "", _payload(base)).status_code == 401
    token = registration_token_issue(demo_platform)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert _register(demo_platform, forged, _payload(base)).status_code == 401
