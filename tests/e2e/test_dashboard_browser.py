"""A trainer opens the course dashboard from their launch inside the platform's iframe, in
Debian's chromium: they refresh the roster from Moodle (NRPS), see who has not started and
a student's result per domain. Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from lti_tool.activities.models import Activity, ActivityVersion
from lti_tool.activities.placements import placement_bind
from lti_tool.grading.rules import ActivityKind
from tests.grading.factories import assessment_graded, launch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# The same flags as tests/e2e/test_demo_browser.py (headless as root, loopback only).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000

if not CHROMIUM.exists():
    pytest.skip(
        "Debian's chromium is not installed at /usr/bin/chromium "
        "(scripts/test.sh installs it as root: apt-get install chromium)",
        allow_module_level=True,
    )

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; the test's ORM calls happen
    # outside any coroutine.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
        context.set_default_timeout(TIMEOUT_MS)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


def _placed_scenario(demo: Any) -> Any:
    """Léa launches the first activity, which is bound to a scenario, and finishes it."""
    lea = launch(demo, "student")
    activity = Activity.objects.create(
        slug="quartier-navigateur", kind=ActivityKind.SCENARIO, title="Diagnostic de quartier"
    )
    version = ActivityVersion.objects.create(
        activity=activity,
        version=1,
        title="Diagnostic de quartier",
        framework_code="DECESF-2018",
        framework_version=1,
        domains=["DC2", "DC3"],
        content={},
        checksum="1" * 64,
        published_at=timezone.now(),
    )
    placement_bind(resource_link=lea.resource_link, activity_version=version)
    assessment_graded(
        student=lea,
        levels={"DC2.A3.1": 3, "DC3.3.1": 4},
        kind=ActivityKind.SCENARIO,
        title="Diagnostic de quartier",
    )
    return lea


def test_a_trainer_sees_the_roster_and_a_result_on_the_course_dashboard(
    page: Any, demo: Any
) -> None:
    expect = sync_api.expect
    lea = _placed_scenario(demo)

    page.goto(f"{demo.base_url}/demo/")
    page.get_by_test_id(f"launch-claire.martin-{demo.link(0).pk}").click()
    tool = page.frame_locator("[data-testid=tool-frame]")
    tool.get_by_test_id("dashboard-link").click()
    expect(tool.get_by_test_id("dashboard-title")).to_contain_text("Tableau de bord")

    # Before the first roster read, only people who launched are listed.
    matrix = tool.get_by_test_id("dashboard-matrix")
    expect(matrix).to_contain_text("Léa Bernard")
    expect(matrix).not_to_contain_text("Inès Moreau")

    tool.get_by_test_id("roster-refresh").click()
    expect(tool.get_by_test_id("roster-outcome")).to_contain_text("Liste actualisée")
    ines = tool.locator("[data-testid=dashboard-matrix] tr", has_text="Inès Moreau")
    expect(ines.get_by_test_id("not-started")).to_have_text("pas commencé")
    lea_row = tool.locator(f'tr[data-student="{lea.lti_user.pk}"]')
    expect(lea_row.locator('td[data-domain="DC2"][data-state="final"]')).to_contain_text("15")
    expect(lea_row.locator('td[data-domain="DC3"][data-state="final"]')).to_contain_text("20")
    expect(tool.get_by_test_id("chart-DC2").locator("svg[role=img]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-trainer.png"), full_page=True)
    # The whole page, opened in a window of its own as the "new window" fallback does.
    frame = page.locator("[data-testid=tool-frame]").element_handle().content_frame()
    page.goto(frame.url.split("#")[0])
    expect(page.get_by_test_id("dashboard-matrix")).to_contain_text("Inès Moreau")
    page.screenshot(path=str(ARTIFACTS / "dashboard-full.png"), full_page=True)
