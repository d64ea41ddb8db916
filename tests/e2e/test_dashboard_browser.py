"""A trainer opens the course dashboard from their launch inside the platform's iframe, in
Debian's chromium: they refresh the roster from Moodle (NRPS), see who has not started and
the result a student earned in the scenario player, per domain. Screenshots go to
test-artifacts/ (git-ignored)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.activities.player_fixtures import EXPECTED, placed, play
from tests.e2e.chromium import ARTIFACTS
from tests.grading.factories import launch
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]


sync_api = pytest.importorskip("playwright.sync_api")


def test_a_trainer_sees_the_roster_and_a_result_on_the_course_dashboard(
    page: Any, demo: Any
) -> None:
    expect = sync_api.expect
    lea = launch(demo, "student")
    # The first activity is bound to a scenario, which Léa plays to its end.
    play(placed(lea.resource_link), lea.lti_user, ("a", "a"))

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
    for code, score in EXPECTED[("a", "a")].items():
        cell = lea_row.locator(f'td[data-domain="{code}"][data-state="final"]')
        expect(cell).to_contain_text(f"{score.normalize():f}")
    expect(tool.get_by_test_id("chart-DC2").locator("svg[role=img]")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "dashboard-trainer.png"), full_page=True)

    # The whole page, opened in a window of its own as the "new window" fallback does.
    frame = page.locator("[data-testid=tool-frame]").element_handle().content_frame()
    page.goto(frame.url.split("#")[0])
    expect(page.get_by_test_id("dashboard-matrix")).to_contain_text("Inès Moreau")
    page.screenshot(path=str(ARTIFACTS / "dashboard-full.png"), full_page=True)
