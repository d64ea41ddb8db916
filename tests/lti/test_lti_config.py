"""``manage.py lti_config``: the tool's public endpoints for a base URL."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def test_lti_config_json_lists_every_endpoint_for_the_base_url() -> None:
    out = StringIO()
    call_command("lti_config", "--base-url=https://atelier.example.fr/", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["login_url"] == "https://atelier.example.fr/lti/login/"
    assert data["launch_url"] == "https://atelier.example.fr/lti/launch/"
    assert data["deep_link_url"] == "https://atelier.example.fr/lti/deep-link/"
    assert data["jwks_url"] == "https://atelier.example.fr/lti/jwks/"
    assert data["registration_url"] == "https://atelier.example.fr/lti/register/"
    assert data["redirect_uris"] == [
        "https://atelier.example.fr/lti/launch/",
        "https://atelier.example.fr/lti/deep-link/",
    ]
    assert data["domain"] == "atelier.example.fr"


def test_lti_config_text_prints_one_line_per_endpoint_and_one_per_redirect_uri() -> None:
    out = StringIO()
    call_command("lti_config", "--base-url=http://localhost:8000", stdout=out)
    lines = out.getvalue().splitlines()
    assert "login_url         http://localhost:8000/lti/login/" in lines
    assert "launch_url        http://localhost:8000/lti/launch/" in lines
    assert "registration_url  http://localhost:8000/lti/register/" in lines
    assert "redirect_uris     http://localhost:8000/lti/launch/" in lines
    assert "                  http://localhost:8000/lti/deep-link/" in lines
    assert "domain            localhost:8000" in lines


def test_lti_config_refuses_a_base_url_that_is_not_http() -> None:
    with pytest.raises(CommandError, match="https://"):
        call_command("lti_config", "--base-url=atelier.example.fr", stdout=StringIO())
