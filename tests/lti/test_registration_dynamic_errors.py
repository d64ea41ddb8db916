"""Dynamic registration refusals that need no platform: every one a readable French 4xx
page that the platform's iframe may show, never a 500."""

from __future__ import annotations

import socket
import time
from urllib.parse import urlencode

import jwt
import pytest
import requests
from django.test import Client
from django.urls import reverse

from lti_tool.lti.dynamic_registration import registration_confirmation_issue
from lti_tool.lti.models import Registration

REGISTER_PATH = "/lti/register/"


def closed_port_url() -> str:
    """A localhost URL on which nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/mod/lti/openid-configuration.php"


def register_url(openid_configuration: str) -> str:
    query = urlencode({"openid_configuration": openid_configuration, "registration_token": "a.b.c"})
    return f"{reverse('lti:register')}?{query}"


def test_register_url_is_the_one_the_endpoints_announce() -> None:
    assert reverse("lti:register") == REGISTER_PATH


@pytest.mark.django_db
def test_registration_page_opened_directly_explains_where_to_start(client: Client) -> None:
    response = client.get(reverse("lti:register"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "openid_configuration" in page
    assert "Gérer les outils" in page


@pytest.mark.django_db
def test_unreachable_platform_configuration_gives_a_clear_502_framable_by_the_platform(
    client: Client,
) -> None:
    url = closed_port_url()
    response = client.get(register_url(url))
    assert response.status_code == 502
    assert "Impossible de joindre la plateforme" in response.content.decode()
    assert response["Content-Security-Policy"] == f"frame-ancestors {url.split('/mod')[0]}"
    assert "X-Frame-Options" not in response


@pytest.mark.django_db(transaction=True)
def test_configuration_that_is_not_json_is_refused_with_422(client: Client, live_server) -> None:
    # The admin login page of the running server answers 200 with HTML.
    response = client.get(register_url(f"{live_server.url}/admin/login/"))
    assert response.status_code == 422
    assert "autre chose que du JSON" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_configuration_without_issuer_is_refused_with_422(client: Client, live_server) -> None:
    # A JSON document that is not an OpenID configuration: the tool's own JWKS.
    response = client.get(register_url(f"{live_server.url}/lti/jwks/"))
    assert response.status_code == 422
    assert "issuer" in response.content.decode()


@pytest.mark.django_db
def test_forged_confirmation_is_refused_with_403_before_any_call_to_the_platform(
    client: Client,
) -> None:
    # The configuration URL points nowhere: had the tool called it, the answer would be 502.
    url = closed_port_url()
    genuine = registration_confirmation_issue(openid_configuration=url, registration_token="t1")
    for confirmation in ("", "forged", genuine):
        response = client.post(
            reverse("lti:register"),
            {
                "openid_configuration": url,
                # Bound to t1, posted with t2: a confirmation cannot be moved to another token.
                "registration_token": "t2",
                "confirmation": confirmation,
            },
        )
        assert response.status_code == 403
        assert "recommencez" in response.content.decode() or "correspond" in (
            response.content.decode()
        )
    assert not Registration.objects.exists()


@pytest.mark.django_db
def test_confirmation_post_does_not_need_the_csrf_cookie_but_still_is_checked() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("lti:register"),
        {"openid_configuration": closed_port_url(), "registration_token": "t", "confirmation": ""},
    )
    # Django's CSRF check would say 403 with its own page; ours names the confirmation.
    assert response.status_code == 403
    assert "confirmation" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_registration_page_allows_only_get_and_post(live_server) -> None:
    response = requests.put(live_server.url + REGISTER_PATH, timeout=10)
    assert response.status_code == 405


@pytest.mark.django_db
def test_registration_token_already_expired_is_reported_before_the_confirmation(
    client: Client,
) -> None:
    # Only its exp is read (the platform verifies its own signature when we post it).
    expired = jwt.encode({"sub": "abc", "exp": int(time.time()) - 60}, "any", algorithm="HS256")
    query = urlencode({"openid_configuration": closed_port_url(), "registration_token": expired})
    response = client.get(f"{reverse('lti:register')}?{query}")
    assert response.status_code == 422
    assert "expiré" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_an_unusable_configuration_url_never_has_its_body_shown(
    client: Client, live_server
) -> None:
    # Anyone can open the registration page: what an arbitrary URL answers stays hidden.
    response = client.get(register_url(f"{live_server.url}/admin/login/"))
    assert response.status_code == 422
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "Django" not in response.content.decode()
