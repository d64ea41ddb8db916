"""The platform's pages: set-up, course with launch buttons, launch frame, gradebook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import requests

from lti_tool.demo.ags import score_record
from lti_tool.demo.models import DemoLineItem, DemoPlatform, DemoResourceLink, DemoUser
from lti_tool.demo.services import demo_platform_setup, demo_tool_attach


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, tuple[str, dict[str, str]]] = {}
        self._current: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form" and values.get("id"):
            self._current = values["id"]
            self.forms[self._current] = (values.get("action") or "", {})
        elif tag == "input" and self._current and values.get("name"):
            self.forms[self._current][1][values["name"]] = values.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _forms(html: str) -> dict[str, tuple[str, dict[str, str]]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


@pytest.mark.django_db
def test_an_empty_demo_offers_to_set_the_platform_up(client):
    page = client.get("/demo/")
    assert page.status_code == 200
    assert 'data-testid="platform-setup"' in page.content.decode()
    assert client.post("/demo/setup/").status_code == 302
    assert DemoPlatform.objects.filter(issuer="http://testserver/demo").exists()


@pytest.mark.django_db
def test_the_course_page_lists_a_launch_per_person_and_activity(client):
    platform = demo_platform_setup(base_url="http://testserver")
    demo_tool_attach(platform=platform, tool_base_url="http://testserver")
    html = client.get("/demo/").content.decode()
    link = DemoResourceLink.objects.first()
    assert f'data-testid="launch-lea.bernard-{link.pk}"' in html
    assert 'data-testid="deep-link-claire.martin"' in html
    assert 'data-testid="deep-link-lea.bernard"' not in html
    assert 'data-status="active"' in html


@pytest.mark.django_db
def test_the_launch_page_frames_the_login_initiation_form_post(client):
    platform = demo_platform_setup(base_url="http://testserver")
    tool = demo_tool_attach(platform=platform, tool_base_url="http://testserver")
    user = DemoUser.objects.get(username="lea.bernard")
    link = DemoResourceLink.objects.first()
    page = client.get(f"/demo/launch/?user={user.pk}&link={link.pk}")
    assert 'data-testid="tool-frame"' in page.content.decode()
    start = client.get(f"/demo/launch/start/?user={user.pk}&link={link.pk}&target=iframe")
    assert start["X-Frame-Options"] == "SAMEORIGIN"
    action, fields = _forms(start.content.decode())["lti-login-initiation"]
    assert action == tool.initiate_login_uri
    assert fields["login_hint"] == str(user.pk)
    assert fields["client_id"] == tool.client_id


@pytest.mark.django_db
def test_the_gradebook_shows_what_the_tool_sent(client):
    platform = demo_platform_setup(base_url="http://testserver")
    demo_tool_attach(platform=platform, tool_base_url="http://testserver")
    item = DemoLineItem.objects.first()
    user = DemoUser.objects.get(username="hugo.petit")
    stamp = (datetime.now(tz=UTC) - timedelta(seconds=5)).isoformat()
    score_record(
        item=item,
        data={
            "userId": str(user.pk),
            "scoreGiven": 14,
            "scoreMaximum": 20,
            "timestamp": stamp,
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
            "comment": "Clair.",
        },
    )
    html = client.get("/demo/gradebook/").content.decode()
    assert f'data-testid="grade-{item.pk}-hugo.petit"' in html
    assert "Clair." in html and "FullyGraded" in html


def test_a_student_launch_goes_through_the_tool_from_the_launch_button(
    demo_platform, demo, live_server
):
    """Browser-less walk: launch start → tool login → platform auth → tool launch.

    ``demo`` (tests/conftest.py) also records the platform on the tool's side."""
    demo_tool = demo.tool
    browser = requests.Session()
    user = DemoUser.objects.get(platform=demo_tool.platform, username="lea.bernard")
    link = DemoResourceLink.objects.filter(tool=demo_tool).first()
    start = browser.get(
        f"{live_server.url}/demo/launch/start/?user={user.pk}&link={link.pk}", timeout=10
    )
    action, fields = _forms(start.text)["lti-login-initiation"]
    login = browser.post(action, data=fields, allow_redirects=False, timeout=10)
    assert login.status_code in (302, 303), login.text[:500]
    auth = browser.get(login.headers["Location"], timeout=10)
    assert auth.status_code == 200, auth.text[:500]
    launch_url, form = _forms(auth.text)["lti-auto-submit"]
    launched = browser.post(launch_url, data=form, timeout=10)
    assert launched.status_code == 200, launched.text[:1000]
    assert "Léa" in launched.text


@pytest.mark.django_db
def test_registration_opens_the_tool_page_with_a_fresh_token_in_a_dialog(client):
    demo_platform_setup(base_url="http://testserver")
    page = client.post(
        "/demo/registration/start/", {"registration_url": "http://testserver/lti/register/"}
    )
    html = page.content.decode()
    assert 'data-testid="registration-frame"' in html
    assert (
        "openid_configuration=http%3A%2F%2Ftestserver%2Fdemo%2F.well-known%2Fopenid-configuration"
        in html
    )
    assert "registration_token=" in html
    assert "org.imsglobal.lti.close" in html


@pytest.mark.django_db
def test_a_bad_launch_query_is_a_4xx_not_a_500(client):
    demo_platform_setup(base_url="http://testserver")
    assert client.get("/demo/launch/?user=1&link=abc").status_code == 404
    assert client.get("/demo/launch/start/?user=x&link=1&target=popup").status_code == 400
