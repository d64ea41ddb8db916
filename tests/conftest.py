"""Shared fixtures: the built-in platform, set up for the live server, with the tool-side
registration created as an admin would by hand (dynamic registration has its own tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lti_tool.demo import services as demo_services
from lti_tool.demo.models import DemoPlatform, DemoResourceLink, DemoTool, DemoUser
from lti_tool.lti.models import Deployment, Registration

# The built-in platform's fixtures (demo_platform, demo_tool, client_assertion, demo_token)
# the browser page of the browser tests (Debian's chromium) and a real Celery worker.
pytest_plugins = ["tests.demo_fixtures", "tests.e2e.chromium", "tests.grading.worker"]

DEMO_USERS = {"trainer": "claire.martin", "student": "lea.bernard", "english": "chloe.lambert"}


@dataclass
class DemoSetup:
    base_url: str
    platform: DemoPlatform
    tool: DemoTool
    registration: Registration
    deployment: Deployment

    @property
    def origin(self) -> str:
        return self.base_url

    def absolute(self, path_or_url: str) -> str:
        return path_or_url if "://" in path_or_url else self.base_url + path_or_url

    def user(self, who: str) -> DemoUser:
        return DemoUser.objects.get(platform=self.platform, username=DEMO_USERS.get(who, who))

    def link(self, index: int = 0) -> DemoResourceLink:
        return DemoResourceLink.objects.filter(course__platform=self.platform).order_by("pk")[index]

    def login_fields(
        self, who: str, *, deep_linking: bool = False, link_index: int = 0
    ) -> tuple[str, dict[str, str]]:
        return demo_services.login_initiation(
            platform=self.platform,
            user=self.user(who),
            resource_link=None if deep_linking else self.link(link_index),
            deep_linking=deep_linking,
        )

    def signing_key(self) -> tuple[str, bytes]:
        return demo_services.platform_signing_key(self.platform)


@pytest.fixture
def demo(live_server: Any, demo_platform: DemoPlatform) -> DemoSetup:
    """The built-in platform at the live server's URL, with the tool attached to it and
    registered on the tool side (``demo_platform`` clears cached key sets around it)."""
    base_url = live_server.url
    platform = demo_platform
    tool = demo_services.demo_tool_attach(platform=platform, tool_base_url=base_url)
    registration = Registration.objects.create(
        name="Plateforme de démonstration",
        issuer=platform.issuer,
        client_id=tool.client_id,
        auth_login_url=f"{platform.issuer}/auth/",
        auth_token_url=f"{platform.issuer}/token/",
        key_set_url=f"{platform.issuer}/jwks/",
        source=Registration.Source.DEMO,
    )
    deployment = Deployment.objects.create(
        registration=registration, deployment_id=tool.deployment_id, active=True
    )
    return DemoSetup(base_url, platform, tool, registration, deployment)
