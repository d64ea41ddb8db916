"""Dynamic registration end to end against the built-in platform, over real HTTP: the test
plays the admin's browser inside the platform's dialog (GET the registration URL, submit
#registration-confirm) while the tool calls the platform back on its own."""

from __future__ import annotations

from datetime import timedelta
from html import unescape
from urllib.parse import urlencode, urljoin

import jwt
import pytest
import requests
from django.utils import timezone

from lti_tool.demo import services as demo_services
from lti_tool.demo.models import DemoPlatform, DemoRegistrationToken, DemoTool
from lti_tool.demo.selectors import platform_url
from lti_tool.lti.constants import REGISTRATION_CLOSE_SUBJECT, TOOL_SCOPES, Claim
from lti_tool.lti.dynamic_registration import platform_configuration_parse
from lti_tool.lti.dynamic_registration_client import ClientRegistration
from lti_tool.lti.endpoints import tool_endpoints
from lti_tool.lti.models import Deployment, Registration
from lti_tool.lti.registration_services import registration_complete_dynamic
from tests.lti.flow import parse_form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def platform(live_server) -> DemoPlatform:
    return demo_services.demo_platform_setup(base_url=live_server.url)


def registration_url(base_url: str, platform: DemoPlatform, token: str) -> str:
    query = urlencode(
        {
            "openid_configuration": platform_url(platform, "openid_configuration"),
            "registration_token": token,
        }
    )
    return f"{base_url}/lti/register/?{query}"


def open_and_confirm(
    browser: requests.Session, url: str
) -> tuple[requests.Response, requests.Response]:
    """What the admin does in Moodle's dialog: the page opens, they click "Enregistrer"."""
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text[:3000]
    action, fields = parse_form(page.text, "registration-confirm")
    assert set(fields) == {"openid_configuration", "registration_token", "confirmation"}
    done = browser.post(urljoin(page.url, action), data=fields, timeout=30)
    return page, done


def test_registration_from_the_platform_stores_it_and_closes_the_dialog(
    live_server, platform: DemoPlatform
) -> None:
    token = demo_services.registration_token_issue(platform)
    page, done = open_and_confirm(
        requests.Session(), registration_url(live_server.url, platform, token)
    )

    # The confirmation names the platform and may be framed by it, and by it only.
    assert platform.issuer in page.text
    assert page.headers["Content-Security-Policy"] == f"frame-ancestors {live_server.url}"
    assert "X-Frame-Options" not in page.headers

    assert done.status_code == 200, done.text[:3000]
    assert REGISTRATION_CLOSE_SUBJECT in done.text
    assert "window.parent.postMessage" in done.text
    assert "Gérer les outils" in done.text
    assert done.headers["Content-Security-Policy"] == f"frame-ancestors {live_server.url}"

    # The tool stored the registration the platform answered with ...
    tool = DemoTool.objects.get(
        platform=platform, client_id=jwt.decode(token, options={"verify_signature": False})["sub"]
    )
    registration = Registration.objects.get()
    assert registration.source == Registration.Source.DYNAMIC
    assert registration.issuer == platform.issuer
    assert registration.client_id == tool.client_id
    assert registration.auth_login_url == platform_url(platform, "auth")
    assert registration.auth_token_url == platform_url(platform, "token")
    assert registration.key_set_url == platform_url(platform, "jwks")
    assert registration.active
    deployment = Deployment.objects.get(registration=registration)
    assert (deployment.deployment_id, deployment.active) == (tool.deployment_id, True)

    # ... and the platform now knows the tool, pending until its admin activates it.
    endpoints = tool_endpoints(live_server.url)
    assert tool.status == DemoTool.Status.PENDING
    assert tool.name == "Atelier"
    assert tool.initiate_login_uri == endpoints.login_url
    assert tool.redirect_uris == endpoints.redirect_uris
    assert tool.jwks_uri == endpoints.jwks_url
    assert tool.target_link_uri == endpoints.launch_url
    assert tool.deep_link_url == endpoints.deep_link_url
    assert sorted(tool.scopes) == sorted(str(scope) for scope in TOOL_SCOPES)


def test_used_registration_token_shows_the_platform_refusal_in_french(
    live_server, platform: DemoPlatform
) -> None:
    token = demo_services.registration_token_issue(platform)
    url = registration_url(live_server.url, platform, token)
    _page, first = open_and_confirm(requests.Session(), url)
    assert first.status_code == 200, first.text[:3000]

    _page, again = open_and_confirm(requests.Session(), url)
    assert again.status_code == 422
    text = unescape(again.text)
    assert "La plateforme a refusé l'enregistrement" in text
    assert "déjà utilisé" in text  # the platform's own plain-text words
    assert "usage unique" in text
    assert again.headers["Content-Security-Policy"] == f"frame-ancestors {live_server.url}"
    assert Registration.objects.count() == 1
    assert Deployment.objects.count() == 1


def test_expired_registration_token_shows_the_platform_refusal(
    live_server, platform: DemoPlatform
) -> None:
    token = demo_services.registration_token_issue(platform)
    url = registration_url(live_server.url, platform, token)
    browser = requests.Session()
    page = browser.get(url, timeout=30)
    action, fields = parse_form(page.text, "registration-confirm")
    # The admin left the dialog open past the token's hour.
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    DemoRegistrationToken.objects.filter(jti=jti).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    done = browser.post(urljoin(page.url, action), data=fields, timeout=30)
    assert done.status_code == 422
    assert "expiré" in unescape(done.text)
    assert not Registration.objects.exists()


def test_configuration_whose_issuer_is_another_origin_is_refused(
    live_server, platform: DemoPlatform
) -> None:
    # A platform announcing someone else's issuer (DR §3.5.1).
    DemoPlatform.objects.filter(pk=platform.pk).update(issuer="https://moodle.example.org")
    token = demo_services.registration_token_issue(platform)
    page = requests.get(registration_url(live_server.url, platform, token), timeout=30)
    assert page.status_code == 422
    assert "ne correspond pas" in unescape(page.text)
    assert "registration-confirm" not in page.text


def test_configuration_answer_is_stored_once_per_issuer_and_client_id(
    live_server, platform: DemoPlatform
) -> None:
    configuration_url = platform_url(platform, "openid_configuration")
    document = requests.get(configuration_url, timeout=30).json()
    configuration = platform_configuration_parse(document, configuration_url=configuration_url)
    assert configuration.issuer == platform.issuer
    assert document[str(Claim.PLATFORM_CONFIGURATION)]
    answer = ClientRegistration(client_id="abc123", deployment_id="7", client_name="Atelier")
    first = registration_complete_dynamic(configuration=configuration, answer=answer)
    again = registration_complete_dynamic(configuration=configuration, answer=answer)
    assert first.created and not again.created
    assert Registration.objects.count() == 1
    assert list(Deployment.objects.values_list("deployment_id", flat=True)) == ["7"]
