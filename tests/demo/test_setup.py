"""Setting the platform up is idempotent and gives Moodle-shaped identities."""

from __future__ import annotations

import io

import pytest
import requests
from django.core.management import call_command

from lti_tool.core.jwk import jwk_thumbprint
from lti_tool.demo.models import (
    DemoEnrolment,
    DemoLineItem,
    DemoPlatform,
    DemoResourceLink,
    DemoUser,
)
from lti_tool.demo.services import demo_platform_setup, demo_tool_attach, platform_signing_key

pytestmark = pytest.mark.django_db


def test_setup_twice_creates_everything_once():
    first = demo_platform_setup(base_url="http://127.0.0.1:8000/")
    second = demo_platform_setup(base_url="http://127.0.0.1:8000")
    assert first.pk == second.pk
    assert first.issuer == "http://127.0.0.1:8000/demo"
    assert DemoUser.objects.count() == 7
    assert DemoEnrolment.objects.filter(role="Learner").count() == 5
    assert DemoResourceLink.objects.count() == 2
    assert list(DemoLineItem.objects.values_list("score_maximum", flat=True)) == [20, 20]


def test_the_kid_is_the_rfc7638_thumbprint_of_the_key():
    platform = demo_platform_setup(base_url="http://localhost:8000")
    kid, pem = platform_signing_key(platform)
    assert kid == jwk_thumbprint(platform.public_jwk)
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")


def test_attaching_the_tool_gives_a_small_deployment_id_and_points_the_activities_at_it():
    platform = demo_platform_setup(base_url="http://localhost:8000")
    tool = demo_tool_attach(platform=platform, tool_base_url="http://localhost:8000")
    assert tool.deployment_id.isdigit()
    assert tool.redirect_uris == [
        "http://localhost:8000/lti/launch/",
        "http://localhost:8000/lti/deep-link/",
    ]
    assert set(DemoResourceLink.objects.values_list("tool", flat=True)) == {tool.pk}
    assert set(DemoLineItem.objects.values_list("tool", flat=True)) == {tool.pk}


def test_the_command_sets_up_and_prints_the_demo_url():
    out = io.StringIO()
    call_command("demo_setup", "--base-url", "http://127.0.0.1:8123", stdout=out)
    assert "http://127.0.0.1:8123/demo/" in out.getvalue()
    assert DemoPlatform.objects.filter(issuer="http://127.0.0.1:8123/demo").exists()


@pytest.mark.usefixtures("transactional_db")
def test_the_jwks_publishes_the_public_key_only(live_server):
    platform = demo_platform_setup(base_url=live_server.url)
    keys = requests.get(f"{live_server.url}/demo/jwks/", timeout=10).json()["keys"]
    assert [k["kid"] for k in keys] == [platform.kid]
    assert "d" not in keys[0]
