"""A trainer places two Atelier activities with the demo's « Sélectionner du contenu »
button (Deep Linking inside the platform's iframe, as Moodle shows it), then a student
launches each placed link, lands on the activity it was bound to and plays it, and the
trainer's course dashboard shows the student's per-domain results.

Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.activities.models import ActivityVersion, Placement
from lti_tool.demo.models import DemoResourceLink
from lti_tool.grading.models import DomainResult
from tests.activities.catalogue_fixtures import QUARTIER, REUNION, catalogue_published
from tests.e2e.chromium import ARTIFACTS

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRAINER = "claire.martin"
STUDENT = "lea.bernard"


def snap(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"deep-linking-{name}.png"), full_page=True)


def test_a_trainer_places_two_activities_and_a_student_launches_each(
    page: Any,
    demo: Any,
) -> None:
    expect = sync_api.expect
    published: dict[str, ActivityVersion] = catalogue_published()
    base_url = demo.base_url

    page.goto(f"{base_url}/demo/")
    page.get_by_test_id(f"deep-link-{TRAINER}").click()
    tool = page.frame_locator("[data-testid=tool-frame]")
    expect(tool.get_by_test_id("catalogue-title")).to_be_visible()
    tool.get_by_test_id(f"choose-{QUARTIER}").check()
    tool.get_by_test_id(f"choose-{REUNION}").check()
    tool.locator(f"#attempts-{published[QUARTIER].pk}").fill("2")
    snap(page, "1-catalogue")
    tool.get_by_test_id("catalogue-submit").click()

    # The tool's response form posts itself to the platform, still inside the iframe.
    expect(tool.get_by_test_id("deep-link-done")).to_be_visible()
    expect(tool.get_by_test_id("placed-items").locator("li")).to_have_count(2)
    snap(page, "2-placed")

    placed = list(DemoResourceLink.objects.filter(from_setup=False).order_by("pk"))
    assert {link.title for link in placed} == {
        "Diagnostic partagé d'un quartier — DC1",
        "Réunion des partenaires — DC4",
    }
    page.goto(f"{base_url}/demo/")
    for link in placed:
        expect(page.get_by_test_id(f"activity-{link.pk}")).to_have_text(link.title)

    for link in placed:
        page.goto(f"{base_url}/demo/")
        page.get_by_test_id(f"launch-{STUDENT}-{link.pk}").click()
        tool = page.frame_locator("[data-testid=tool-frame]")
        version = published[link.custom["activity"].split("@")[0]]
        expect(tool.get_by_test_id("activity-title")).to_have_text(version.title)
        snap(page, f"3-student-{link.pk}")
        placement = Placement.objects.get(resource_link__resource_link_id=str(link.pk))
        assert placement.activity_version == version
        play_first_choices(tool)
        snap(page, f"4-debrief-{link.pk}")
    quartier = Placement.objects.get(activity_version=published[QUARTIER])
    assert quartier.attempts_allowed == 2

    # The trainer opens the course dashboard from one of the placed links.
    results = list(
        DomainResult.objects.filter(assessment__lti_user__name="Léa Bernard", status="final")
    )
    assert {r.assessment.resource_link_id for r in results} == {
        p.resource_link_id for p in Placement.objects.all()
    }
    page.goto(f"{base_url}/demo/")
    page.get_by_test_id(f"launch-{TRAINER}-{placed[0].pk}").click()
    tool = page.frame_locator("[data-testid=tool-frame]")
    tool.get_by_test_id("dashboard-link").click()
    lea_row = tool.locator("[data-testid=dashboard-matrix] tr", has_text="Léa Bernard")
    for result in results:
        cell = lea_row.locator(f'td[data-domain="{result.domain_code}"][data-state="final"]')
        expect(cell.first).to_be_visible()
    snap(page, "5-dashboard")


def play_first_choices(tool: Any) -> None:
    """Start the activity and take the first choice at every decision, to the debrief."""
    expect = sync_api.expect
    tool.get_by_test_id("start").click()
    for _ in range(30):
        node = tool.get_by_test_id("node")
        expect(node.or_(tool.get_by_test_id("debrief-title"))).to_be_visible()
        if tool.get_by_test_id("debrief-title").count():
            return
        node_id = node.get_attribute("data-node")
        if node.get_attribute("data-kind") == "situation":
            tool.get_by_test_id("continue").click()
            expect(tool.locator(f"[data-testid=node][data-node='{node_id}']")).to_have_count(0)
            continue
        tool.locator("[data-testid^=choice-]").first.check()
        tool.get_by_test_id("submit-choice").click()
        expect(tool.get_by_test_id("feedback-text")).to_be_visible()
        tool.get_by_test_id("next").click()
    raise AssertionError("no ending reached in 30 screens")
