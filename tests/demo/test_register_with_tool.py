"""The platform registers the real tool by Dynamic Registration over HTTP, like a Moodle
admin pasting the tool's registration URL."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from lti_tool.demo.models import DemoResourceLink, DemoTool
from lti_tool.demo.services import demo_register_with_tool
from lti_tool.lti.models import Deployment, Registration


@pytest.fixture
def registered(demo_platform, live_server) -> DemoTool:
    return demo_register_with_tool(platform=demo_platform, tool_base_url=live_server.url)


def test_registration_leaves_both_sides_agreeing_on_client_and_deployment(
    registered, demo_platform
):
    registration = Registration.objects.get(
        issuer=demo_platform.issuer, client_id=registered.client_id
    )
    assert Deployment.objects.filter(
        registration=registration, deployment_id=registered.deployment_id
    ).exists()
    assert registered.status == DemoTool.Status.ACTIVE
    assert registered.source == DemoTool.Source.DYNAMIC


def test_registration_points_the_demo_activities_at_the_registered_tool(registered):
    assert set(DemoResourceLink.objects.values_list("tool", flat=True)) == {registered.pk}


def test_the_setup_command_registers_once_and_only_once(live_server, transactional_db):
    out = io.StringIO()
    call_command("demo_setup", "--base-url", live_server.url, "--register", stdout=out)
    assert "client_id" in out.getvalue()
    call_command("demo_setup", "--base-url", live_server.url, "--register", stdout=io.StringIO())
    assert DemoTool.objects.filter(status=DemoTool.Status.ACTIVE).count() == 1
    assert Registration.objects.count() == 1
