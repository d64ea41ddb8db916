"""A student plays a shipped scenario inside the platform's iframe in Debian's chromium, by
clicking, to an ending; the per-domain grades reach the platform's gradebook through a real
Celery worker. A path with an ethics flag lands in the trainer's moderation queue instead.

Expected grades, computed by hand from lti_tool/activities/scenarios/data/
premier-groupe-parents.yaml (domain.md §4.2: at each decision visited, every criterion in
play there is worth 3; s_c = Σ earned / Σ max; S = 20 × Σ w·s_c / Σ w within one domain):

good path: d-ouverture a, d-lefevre a, d-regles a, d-attentes a, d-cloture a
    GD-LEC (w 3): 2 + 2 + 2 + 2 = 8 / 12   (ouverture, lefevre, attentes, cloture)
    GD-CAD (w 3): 3 + 3 + 3     = 9 / 9    (ouverture, lefevre, regles)
    GD-PAR (w 3): 2 + 3 + 3 + 2 = 10 / 12  (ouverture, regles, attentes, cloture)
    GD-ETH (w 2): 3 + 3         = 6 / 6    (lefevre, regles)
    DC2 = 20 × (3×8/12 + 3×1 + 3×10/12 + 2×1) / 11 = 20 × 9.5 / 11 = 17.27
    DC3 = GD-COM 3/3 → 20 ; DC4 = GD-PTN 3/3 → 20
    confiance ends at 4 and cadre at 2 → « Un groupe qui commence à se constituer »

flagged path: the same but d-lefevre b (reveals a participant's social follow-up: ethics
flag on GD-ETH) → DC2 goes to the trainer's review and is not sent; DC3 and DC4 are final.

Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.activities.models import Attempt, Decision
from lti_tool.activities.services import activities_load
from lti_tool.demo.models import DemoGrade, DemoLineItem
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import ResultStatus
from tests.e2e.chromium import ARTIFACTS
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)
from tests.grading.worker import WorkerProcess, wait_until

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]

SLUG = "premier-groupe-parents"
GOOD_PATH = {
    "d-ouverture": "a",
    "d-lefevre": "a",
    "d-regles": "a",
    "d-attentes": "a",
    "d-cloture": "a",
}
FLAGGED_PATH = {**GOOD_PATH, "d-lefevre": "b"}
EXPECTED = {"DC2": Decimal("17.27"), "DC3": Decimal("20.00"), "DC4": Decimal("20.00")}


sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def bound(demo: Any) -> Any:
    """The shipped scenarios published, and the demo's first activity bound to one of them
    by Moodle's custom parameter ``activity=<slug>``."""
    activities_load()
    link = demo.link(0)
    link.custom = {"activity": SLUG}
    link.save()
    return demo


def snap(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"scenario-{name}.png"), full_page=True)


def launch_in_frame(page: Any, demo: Any, username: str) -> Any:
    page.goto(f"{demo.base_url}/demo/")
    page.locator(f"[data-testid='launch-{username}-{demo.link(0).pk}']").click()
    return page.frame_locator("[data-testid=tool-frame]")


def play_by_clicking(page: Any, tool: Any, path: dict[str, str], shots: str) -> None:
    """From the start page to the debrief: read each situation, pick the path's choice at
    each decision (keyboard on the radio group), read the feedback, go on."""
    expect = sync_api.expect
    tool.get_by_test_id("start").click()
    for _ in range(20):
        node = tool.get_by_test_id("node")
        expect(node.or_(tool.get_by_test_id("debrief-title"))).to_be_visible()
        if tool.get_by_test_id("debrief-title").count():
            return
        node_id, kind = node.get_attribute("data-node"), node.get_attribute("data-kind")
        if kind == "situation":
            tool.get_by_test_id("continue").click()
            expect(tool.locator(f"[data-testid=node][data-node='{node_id}']")).to_have_count(0)
            continue
        choice = tool.get_by_test_id(f"choice-{path[node_id]}")
        choice.focus()
        page.keyboard.press("Space")  # a radio group works with the keyboard
        expect(choice).to_be_checked()
        if node_id == "d-lefevre":
            snap(page, f"{shots}-decision")
        tool.get_by_test_id("submit-choice").click()
        expect(tool.get_by_test_id("feedback-text")).to_be_visible()
        tool.get_by_test_id("next").click()
    raise AssertionError("no ending reached in 20 screens")


def _platform_grade(demo: Any, tag: str | None) -> DemoGrade | None:
    items = DemoLineItem.objects.filter(course__platform=demo.platform)
    item = (
        items.filter(resource_link=demo.link(0), created_by_tool=False).first()
        if tag is None
        else items.filter(tag=tag).first()
    )
    return DemoGrade.objects.filter(line_item=item).first() if item else None


def _french(value: Decimal) -> str:
    """How the French pages print a score (floatformat:"-2")."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def test_a_student_plays_a_scenario_by_clicking_and_the_domain_grades_reach_the_gradebook(
    page: Any, bound: Any, worker: WorkerProcess
) -> None:
    expect = sync_api.expect
    moves: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: moves.append({**r.headers, "url": r.url}) if r.method == "POST" else None,
    )
    tool = launch_in_frame(page, bound, "lea.bernard")
    expect(tool.get_by_test_id("activity-title")).to_have_text(
        "Première rencontre du groupe de parents aux Glycines"
    )
    snap(page, "1-start")
    play_by_clicking(page, tool, GOOD_PATH, "2")
    for code, score in EXPECTED.items():
        expect(tool.locator(f"[data-testid=domain-{code}] [data-testid=score]")).to_have_text(
            _french(score)
        )
    expect(tool.get_by_test_id("ending")).to_have_attribute("data-node", "fin-groupe-lance")
    expect(tool.get_by_test_id("path-step")).to_have_count(5)
    snap(page, "3-debrief")
    # htmx took the posts over (no full page load), each with the launch in a header and
    # the launch-bound CSRF token: the iframe has no cookie to carry them.
    moves = [m for m in moves if "/tentatives/" in m["url"]]
    assert len(moves) >= 6  # start, situations read, five decisions
    assert all(m.get("hx-request") == "true" for m in moves), [
        (m["url"], m.get("hx-request")) for m in moves
    ]
    assert all(m.get("x-atelier-launch") and m.get("x-launch-csrf") for m in moves), moves

    attempt = Attempt.objects.get()
    assert list(attempt.decisions.order_by("step").values_list("node_id", "choice_id")) == list(
        GOOD_PATH.items()
    )
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENT).count() == 3,
        what=lambda: (
            f"three scores sent; rows: {list(Passback.objects.values_list('status', 'last_error'))}"
            f"\n{worker.log()}"
        ),
    )
    own_column = _platform_grade(bound, None)  # the launch's own column holds DC2
    assert own_column is not None and own_column.grade == EXPECTED["DC2"]
    for code in ("DC3", "DC4"):
        grade = _platform_grade(bound, code)
        assert grade is not None and grade.grade == EXPECTED[code], code
    assert not DemoLineItem.objects.filter(tag="DC1").exists()  # never assessed: no column

    page.goto(f"{bound.base_url}/demo/gradebook/")
    for tag in (None, "DC3", "DC4"):
        grade = _platform_grade(bound, tag)
        assert grade is not None
        cell = page.get_by_test_id(f"grade-{grade.line_item_id}-lea.bernard")
        expect(cell.get_by_test_id("grade-value")).to_have_text(_french(grade.grade))
    snap(page, "4-gradebook")


def test_a_flagged_path_lands_in_the_trainers_moderation_queue_instead(
    page: Any, bound: Any
) -> None:
    expect = sync_api.expect
    tool = launch_in_frame(page, bound, "lea.bernard")
    play_by_clicking(page, tool, FLAGGED_PATH, "flag")
    expect(tool.locator("[data-testid=domain-DC2] [data-testid=pending]")).to_have_text(
        "en attente de validation par votre formateur·rice"
    )
    snap(page, "flag-debrief")
    dc2 = DomainResult.objects.get(domain_code="DC2")
    assert dc2.status == ResultStatus.TO_REVIEW and dc2.flagged
    assert not Passback.objects.filter(result=dc2).exists()  # nothing sent for DC2
    assert Decision.objects.filter(node_id="d-lefevre", choice_id="b").count() == 1

    tool = launch_in_frame(page, bound, "claire.martin")
    # The trainer's launch may open the course page or the link's own page first.
    tool.get_by_test_id("moderation-link").first.click()
    row = tool.locator(f"[data-testid=queue-row][data-result='{dc2.pk}']")
    expect(row).to_contain_text("Léa Bernard")
    snap(page, "flag-moderation-queue")

    # The trainer's view of the scenario shows the path taken and the result waiting.
    tool = launch_in_frame(page, bound, "claire.martin")
    tool.get_by_test_id(f"overview-link-{dc2.assessment.resource_link_id}").click()
    expect(tool.get_by_test_id("completed")).to_have_text("1")
    choice = tool.get_by_test_id("choice-d-lefevre-b")
    expect(choice.get_by_test_id("count")).to_have_text("1")
    expect(tool.locator("[data-testid=domain-DC2] [data-testid=waiting]")).to_contain_text(
        "1 en attente"
    )
    snap(page, "flag-trainer-overview")
