"""In Debian's chromium, inside the platform's iframe: a student completes the Mme Morel case
and sees the alternative plan only after submitting; then the trainer grades the analysis
with the keyboard only (levels by number keys, next criterion, a comment, validation) and
the results become final per domain, with their passback rows.

Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import ResultStatus
from tests.activities.dpa.fixtures import dpa_link
from tests.e2e.chromium import ARTIFACTS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]

sync_api = pytest.importorskip("playwright.sync_api")

TICKED = ["lecture-deficitaire", "empilement", "demande-non-reformulee", "solutions-imposees",
          "competences-ignorees", "estime-de-soi"]  # fmt: skip
PLAN_STEP = "réseau d'échanges réciproques de savoirs de la ville"
CRITERIA = 11


def snap(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"dpa-{name}.png"), full_page=True)


def launch_in_frame(page: Any, demo: Any, username: str) -> Any:
    page.goto(f"{demo.base_url}/demo/")
    page.locator(f"[data-testid='launch-{username}-{dpa_link(demo).pk}']").click()
    return page.frame_locator("[data-testid=tool-frame]")


def complete_the_case(page: Any, tool: Any) -> None:
    expect = sync_api.expect
    expect(tool.get_by_test_id("case-title")).to_have_text("Mme Inès Morel, 31 ans")
    expect(tool.get_by_test_id("situation")).to_contain_text("master de droit public")
    expect(tool.get_by_text(PLAN_STEP)).to_have_count(0)
    for tag in TICKED:
        tool.locator(f"#tag-{tag}").check()
    tool.locator("#field-critique").fill(
        "Le plan répond au manque d'argent et au découragement, pas à sa demande : retrouver "
        "une place professionnelle. Faits : master, concours, contrat possible."
    )
    for field in tool.locator("textarea[name^=improve-]").all():
        field.fill("Partir de ce qui compte pour elle et négocier un premier pas avec elle.")
    tool.locator("#field-self-critique").fill(
        "Mon plan reste le mien : je dois vérifier avec elle qu'il lui convient."
    )
    expect(tool.locator("[data-words-for=field-critique]")).to_contain_text("/ 150")
    snap(page, "1-case")
    tool.get_by_test_id("submit").click()


def test_a_student_completes_the_case_and_the_trainer_grades_it_with_the_keyboard(
    page: Any, dpa: Any
) -> None:
    expect = sync_api.expect
    tool = launch_in_frame(page, dpa, "lea.bernard")
    complete_the_case(page, tool)
    expect(tool.get_by_test_id("submitted")).to_be_visible()
    expect(tool.get_by_test_id("alternative-plan")).to_contain_text(PLAN_STEP)
    expect(tool.locator("[data-testid=tag-outcome][data-right='1']")).to_have_count(10)
    tool.locator("#field-reflection").fill("Le DPA complète les dispositifs ; pas une recette.")
    tool.get_by_test_id("finish").click()
    expect(tool.get_by_test_id("reflection-text")).to_contain_text("pas une recette")
    snap(page, "2-after")
    submission = DpaSubmission.objects.get()
    assert submission.status == DpaSubmission.Status.COMPLETED
    assert submission.auto_score == Decimal(1)

    # The trainer, keyboard only: from the list to the grading screen, then keys.
    saves: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: saves.append(r.headers) if r.method == "POST" and "/grille/" in r.url else None,
    )
    tool = launch_in_frame(page, dpa, "claire.martin")
    start = tool.get_by_test_id("start-grading")
    start.focus()
    page.keyboard.press("Enter")
    expect(tool.get_by_test_id("student-name")).to_contain_text("Léa")
    expect(tool.locator("fieldset.rubric-criterion.is-current")).to_have_attribute(
        "data-criterion", "DPA-CRIT"
    )
    for index in range(CRITERIA):
        page.keyboard.press("3")
        if index == 2:  # DPA-NEG: a comment, typed then left with Escape
            page.keyboard.press("c")
            page.keyboard.type("Le premier pas est bien négocié avec elle.")
            page.keyboard.press("Escape")
        page.keyboard.press("j")
    page.keyboard.press("n")  # still on the last criterion (DPA-PTN): N/E
    expect(tool.locator("fieldset.rubric-criterion.undecided")).to_have_count(0)
    expect(tool.locator("[data-rubric-domain=DC4]")).to_have_text("—")
    expect(tool.locator("[data-rubric-domain=DC1]")).to_have_text("15,00")
    snap(page, "3-grading")
    # Saved as they go with fetch, the launch and its CSRF token in headers (no cookie).
    assert len(saves) >= CRITERIA + 2, saves
    assert all(h.get("x-atelier-launch") and h.get("x-launch-csrf") for h in saves), saves
    page.keyboard.press("v")
    page.keyboard.press("Enter")
    expect(tool.get_by_test_id("validated")).to_be_visible()
    snap(page, "4-validated")

    submission.refresh_from_db()
    assert submission.review["DPA-NEG"]["comment"] == "Le premier pas est bien négocié avec elle."
    results = {r.domain_code: r for r in DomainResult.objects.all()}
    assert set(results) == {"DC1", "DC2", "DC3"}  # DC4 all N/E: no result
    assert all(r.status == ResultStatus.FINAL for r in results.values())
    # DPA-CRIT: 0.8 × 3/4 + 0.2 × 1 = 0.8; other DC2 criteria 0.75 (weights 2,2,3,2,2,2,1):
    # DC2 = 20 × (2×0.8 + 12×0.75) / 14 = 15.14.
    assert results["DC2"].score_20 == Decimal("15.14")
    assert Passback.objects.filter(status=Passback.Status.PENDING).count() == 3

    tool = launch_in_frame(page, dpa, "lea.bernard")
    expect(tool.get_by_test_id("feedback")).to_contain_text("Le premier pas est bien négocié")
    expect(tool.get_by_test_id("domain-score")).to_have_count(3)
    snap(page, "5-feedback")
