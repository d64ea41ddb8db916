"""Helpers for the AGS tests: a real launch creates the tool's rows (resource link with its
AGS endpoints, the student), then the client talks to the built-in platform over HTTP."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model

from lti_tool.demo.models import DemoGrade, DemoLineItem, DemoTool, DemoUser
from lti_tool.lti.ags.client import http_session_close
from lti_tool.lti.constants import Claim
from lti_tool.lti.models import LtiUser, ResourceLink
from tests.lti.flow import login_and_authorize, post_launch

STAFF_PASSWORD = "un mot de passe de test assez long"


@dataclass
class Launched:
    resource_link: ResourceLink
    lti_user: LtiUser
    claims: dict[str, Any]

    @property
    def demo_user(self) -> DemoUser:
        return DemoUser.objects.get(pk=int(self.lti_user.sub))

    @property
    def demo_item(self) -> DemoLineItem:
        """The platform's own column of the launched activity."""
        return DemoLineItem.objects.get(pk=_item_pk(self.resource_link.ags_lineitem_url))

    def grade(self, item: DemoLineItem | None = None) -> DemoGrade | None:
        return DemoGrade.objects.filter(
            line_item=item or self.demo_item, user=self.demo_user
        ).first()


def _item_pk(lineitem_url: str) -> int:
    # .../ags/<course>/lineitems/<item>/lineitem?type_id=N
    return int(lineitem_url.split("?", 1)[0].rstrip("/").split("/")[-2])


def launch(demo: Any, who: str = "student", *, link_index: int = 0) -> Launched:
    url, fields = demo.login_fields(who, link_index=link_index)
    # Closed at once: a keep-alive connection left to the garbage collector keeps a live
    # server thread waiting until the session ends.
    with requests.Session() as session:
        auth = login_and_authorize(session, url, fields)
        response = post_launch(session, auth)
    assert response.status_code == 303, response.text[:2000]
    claims = auth.claims
    return Launched(
        resource_link=ResourceLink.objects.get(resource_link_id=claims[Claim.RESOURCE_LINK]["id"]),
        lti_user=LtiUser.objects.get(registration=demo.registration, sub=claims["sub"]),
        claims=claims,
    )


def tokens_issued(demo: Any) -> int:
    return DemoTool.objects.get(pk=demo.tool.pk).tokens_issued


def staff_credentials() -> tuple[str, str]:
    user_model = get_user_model()
    user = user_model.objects.filter(username="bench-staff").first()
    if user is None:
        user = user_model.objects.create_user(
            username="bench-staff", password=STAFF_PASSWORD, is_staff=True
        )
    return user.get_username(), STAFF_PASSWORD


@pytest.fixture(autouse=False)
def ags_connections_closed():
    """Close the client's keep-alive connections after the test, while the live server
    still runs (else its request thread closes a shared SQLite connection at exit).

    A socket whose response file object is still referenced stays open after close()
    until that object is collected: collect now rather than at interpreter exit.
    """
    yield
    http_session_close()
    gc.collect()


# Every AGS test talks to the live server and closes its keep-alive connections after.
AGS_TEST_MARKS = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("ags_connections_closed"),
]


@pytest.fixture
def launched(demo: Any) -> Launched:
    """A student's launch of the first activity (resource link, LtiUser, AGS endpoints)."""
    return launch(demo)
