"""A person clicks through the demo in Debian's chromium: register Atelier with the built-in
platform (LTI Dynamic Registration in the platform's dialog), then launch it as the trainer
and as a student, inside the platform's iframe as Moodle shows it.

Screenshots of each step go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lti_tool.demo.services import demo_platform_setup
from tests.e2e.chromium import ARTIFACTS

pytestmark = pytest.mark.browser

COURSE_TITLE = "DECESF — Travail social collectif"
TRAINER = ("claire.martin", "Claire Martin")
STUDENT = ("lea.bernard", "Léa Bernard")
FIRST_ACTIVITY = "Situation 1 — Diagnostic partagé d'un quartier"
TIMEOUT_MS = 15_000


sync_api = pytest.importorskip("playwright.sync_api")


def snap(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"demo-{name}.png"), full_page=True)


def register_through_the_dialog(page: Any, base_url: str) -> None:
    expect = sync_api.expect
    page.goto(f"{base_url}/demo/")
    expect(page.get_by_test_id("tool-status")).to_have_attribute("data-status", "none")
    snap(page, "1-platform-without-tool")

    page.get_by_test_id("tool-register").click()
    dialog = page.frame_locator("[data-testid=registration-frame]")
    confirm = dialog.get_by_role("button", name="Enregistrer Atelier")
    expect(confirm).to_be_visible()
    snap(page, "2-registration-dialog")

    # The tool's page posts org.imsglobal.lti.close; the platform then closes the dialog.
    confirm.click()
    page.wait_for_url(f"{base_url}/demo/")
    expect(page.get_by_test_id("tool-status")).to_have_attribute("data-status", "pending")
    snap(page, "3-tool-pending")

    page.get_by_test_id("tool-activate").click()
    expect(page.get_by_test_id("tool-status")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id("tool-client-id")).not_to_be_empty()
    snap(page, "4-tool-active")


def launch_from_the_course(page: Any, base_url: str, username: str) -> Any:
    page.goto(f"{base_url}/demo/")
    page.locator(f"[data-testid^='launch-{username}-']").first.click()
    return page.frame_locator("[data-testid=tool-frame]")


def test_a_person_registers_atelier_then_launches_it_as_trainer_and_as_student(
    page: Any, live_server: Any, transactional_db: None
) -> None:
    expect = sync_api.expect
    base_url = live_server.url
    demo_platform_setup(base_url=base_url)

    register_through_the_dialog(page, base_url)

    tool = launch_from_the_course(page, base_url, TRAINER[0])
    # The demo's links are not bound to an activity yet: the trainer is first offered the
    # catalogue to choose one, and may go to the course page instead.
    tool.get_by_test_id("catalogue-later").click()
    expect(tool.get_by_test_id("course-title")).to_contain_text(COURSE_TITLE)
    expect(tool.get_by_test_id("user-name")).to_contain_text(TRAINER[1])
    snap(page, "5-trainer-course-page")

    tool = launch_from_the_course(page, base_url, STUDENT[0])
    expect(tool.get_by_test_id("activity-title")).to_contain_text(FIRST_ACTIVITY)
    expect(tool.get_by_test_id("user-name")).to_contain_text(STUDENT[1])
    expect(tool.get_by_test_id("user-name")).not_to_contain_text(re.compile(TRAINER[1]))
    snap(page, "6-student-activity-page")
