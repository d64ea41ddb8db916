"""In Debian's chromium, inside the platform's iframe: the trainer chooses teams of three;
Léa founds a team and Hugo joins it from his own browser; each plays one dilemma card
(immediate feedback), they fill the canvas with the autosave (the stakeholder map and the
phasing are redrawn from their tables), and Léa submits: the canvas is locked for both.
Then the trainer grades with the keyboard only and validates; a real worker posts each
student's grades per domain to the platform's gradebook.

Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.activities.dsl.models import Canvas, DilemmaChoice
from lti_tool.demo.models import DemoGrade
from lti_tool.grading.models import Passback
from tests.activities.dsl.fixtures import dsl_link
from tests.e2e.chromium import ARTIFACTS
from tests.grading.frameworks_fixtures import decesf  # noqa: F401
from tests.grading.worker import WorkerProcess, wait_until

CRITERIA = ("DSL-TER", "DSL-PTN", "DSL-MED", "DSL-VEI", "DSL-DIAG", "DSL-MOB", "DSL-PLAN",
            "DSL-EQP", "DSL-EVAL", "DSL-ETH", "DSL-NOTE", "DSL-HAB", "DSL-VQ", "DSL-BUD")  # fmt: skip

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]

sync_api = pytest.importorskip("playwright.sync_api")


def snap(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"dsl-{name}.png"), full_page=True)


def launch_in_frame(page: Any, demo: Any, username: str) -> Any:
    page.goto(f"{demo.base_url}/demo/")
    page.locator(f"[data-testid='launch-{username}-{dsl_link(demo).pk}']").click()
    return page.frame_locator("[data-testid=tool-frame]")


def saved(tool: Any) -> None:
    """Every change typed so far is on the server (no save waiting or running)."""
    sync_api.expect(tool.locator("#canvas-form[data-autosave-pending]")).to_have_count(0)
    sync_api.expect(tool.get_by_test_id("autosave-status")).to_contain_text("Enregistré")


def ready(tool: Any) -> None:
    """The autosave listens (its script ran): typing from now on is saved."""
    sync_api.expect(tool.locator("#canvas-form[data-autosave-ready]")).to_have_count(1)


def go_to_step(tool: Any, number: int) -> None:
    tool.get_by_test_id(f"step-link-{number}").click()
    sync_api.expect(tool.get_by_test_id("step-title")).to_contain_text(f"Étape {number}")
    ready(tool)


def test_a_team_of_two_completes_a_canvas_submits_it_and_is_graded_with_the_keyboard(
    page: Any, dsl: Any, worker: WorkerProcess
) -> None:
    expect = sync_api.expect
    trainer = launch_in_frame(page, dsl, "claire.martin")
    trainer.get_by_test_id("team-size").select_option("3")
    trainer.get_by_test_id("team-size-save").click()
    expect(trainer.get_by_test_id("team-size")).to_have_value("3")

    lea = launch_in_frame(page, dsl, "lea.bernard")
    lea.get_by_test_id("start").click()
    expect(lea.get_by_test_id("canvas-members")).to_contain_text("Équipe 1")
    ready(lea)
    lea.locator("#f-portrait").fill("Un quartier coupé du centre par la voie ferrée.")
    saved(lea)
    go_to_step(lea, 2)
    lea.locator("#opt-diagnostic-express-negocier").check()
    lea.get_by_test_id("dilemma-submit").click()
    expect(lea.get_by_test_id("dilemma-feedback")).to_contain_text("voie de la négociation")

    context = page.context.browser.new_context(locale="fr-FR")
    other = context.new_page()
    try:
        hugo = launch_in_frame(other, dsl, "hugo.petit")
        hugo.get_by_test_id("join-1").click()
        expect(hugo.get_by_test_id("canvas-members")).to_contain_text("Hugo")
        expect(hugo.locator("#f-portrait")).to_have_value(
            "Un quartier coupé du centre par la voie ferrée."
        )
        go_to_step(hugo, 3)
        hugo.locator("#opt-association-cultuelle-associer-cadre").check()
        hugo.get_by_test_id("dilemma-submit").click()
        expect(hugo.get_by_test_id("dilemma-feedback")).to_contain_text("Le partenariat est réel")
        ready(hugo)
        for index, (actor, interest, power, engagement) in enumerate(
            (("CAF", "4", "4", "moteur"), ("Association Al Wafa", "4", "2", "favorable"))
        ):
            hugo.locator(f"[name=f-carte-acteurs-{index}-actor]").fill(actor)
            hugo.locator(f"[name=f-carte-acteurs-{index}-interest]").select_option(interest)
            hugo.locator(f"[name=f-carte-acteurs-{index}-power]").select_option(power)
            hugo.locator(f"[name=f-carte-acteurs-{index}-engagement]").select_option(engagement)
        saved(hugo)
        hugo.get_by_test_id("save").click()  # the page again: the chart drawn from the table
        expect(hugo.get_by_test_id("stakeholder-chart")).to_contain_text("Association Al Wafa")
        snap(other, "1-hugo-stakeholders")
    finally:
        context.close()

    go_to_step(lea, 4)
    lea.locator("#rung-partenariat").check()
    lea.locator("#f-echelon-justification").fill("Les habitant·es co-décident des actions.")
    saved(lea)
    go_to_step(lea, 5)
    lea.locator("[name=f-phasage-0-start]").select_option("1")
    lea.locator("[name=f-phasage-0-end]").select_option("1")
    lea.locator("[name=f-phasage-0-action]").fill("Diagnostic partagé")
    lea.locator("[name=f-phasage-1-start]").select_option("2")
    lea.locator("[name=f-phasage-1-end]").select_option("3")
    lea.locator("[name=f-phasage-1-action]").fill("Ateliers budget et énergie")
    saved(lea)
    go_to_step(lea, 5)
    expect(lea.get_by_test_id("phasing-years")).to_contain_text("3 années")
    expect(lea.get_by_test_id("phasing-timeline")).to_contain_text("Année 3")
    go_to_step(lea, 8)
    lea.locator("#f-note-elus").fill(
        "Contexte\n\nLe quartier des Peupliers compte 4 200 habitants."
    )
    lea.locator("#f-affiche-habitants").fill("Venez construire le projet du quartier !")
    saved(lea)
    go_to_step(lea, 8)
    expect(lea.get_by_test_id("submit-gaps")).to_have_count(0)
    snap(page, "2-lea-step8")
    lea.get_by_test_id("submit").click()
    expect(lea.get_by_test_id("submitted-banner")).to_contain_text("Projet rendu")
    expect(lea.locator("#f-note-elus")).to_have_attribute("readonly", "")
    snap(page, "3-submitted")

    canvas = Canvas.objects.get()
    assert canvas.submitted and canvas.members.count() == 2
    assert canvas.fields["carte-acteurs"][1]["actor"] == "Association Al Wafa"
    choosers = {c.card_id: c.chosen_by.given_name for c in DilemmaChoice.objects.all()}
    assert choosers == {"diagnostic-express": "Léa", "association-cultuelle": "Hugo"}
    authors = {r.author.given_name for r in canvas.revisions.select_related("author")}
    assert authors == {"Léa", "Hugo"}

    # The trainer, keyboard only: from the list to the grading screen, then keys.
    trainer = launch_in_frame(page, dsl, "claire.martin")
    trainer.get_by_test_id("grade-1").focus()
    page.keyboard.press("Enter")
    expect(trainer.get_by_test_id("canvas-name")).to_contain_text("Équipe 1")
    expect(trainer.locator("fieldset.rubric-criterion.is-current")).to_have_attribute(
        "data-criterion", "DSL-TER"
    )
    for index in range(len(CRITERIA)):
        if CRITERIA[index] == "DSL-BUD":
            page.keyboard.press("n")  # the optional BTS-level criterion: N/E
            continue
        page.keyboard.press("3")
        if CRITERIA[index] == "DSL-DIAG":
            page.keyboard.press("c")
            page.keyboard.type("Diagnostic négocié avec l'élue, bien vu.")
            page.keyboard.press("Escape")
        page.keyboard.press("j")
    expect(trainer.locator("fieldset.rubric-criterion.undecided")).to_have_count(0)
    expect(trainer.locator("[data-rubric-domain=DC4]")).to_have_text("15,38")
    snap(page, "4-grading")
    page.keyboard.press("v")
    page.keyboard.press("Enter")
    expect(trainer.get_by_test_id("domain-state-DC2")).to_have_text("validé")

    # DSL-PTN and DSL-DIAG: 0.8 × 3/4 + 0.2 × 4/4 = 0.8 (the cards played); the others 0.75.
    expected = {"DC4": Decimal("15.38"), "DC2": Decimal("15.25"), "DC3": Decimal("15.00"),
                "DC1": Decimal("15.00")}  # fmt: skip
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENT).count() == 8,
        timeout=90,
        what=lambda: (
            f"8 scores sent: {list(Passback.objects.values_list('status', 'last_error'))}"
            f"\n{worker.log()}"
        ),
    )
    gradebook = {
        (g.user.username, g.line_item.tag or "DC4"): g.grade
        for g in DemoGrade.objects.select_related("user", "line_item")
    }
    for username in ("lea.bernard", "hugo.petit"):
        for domain, score in expected.items():
            assert gradebook[(username, domain)] == score, (username, domain, gradebook)

    lea = launch_in_frame(page, dsl, "lea.bernard")
    expect(lea.get_by_test_id("feedback")).to_contain_text("Diagnostic négocié avec l'élue")
    expect(lea.get_by_test_id("domain-score")).to_have_count(4)
    snap(page, "5-feedback")


def test_two_members_editing_at_once_see_each_others_work_and_choose_on_a_conflict(
    page: Any, dsl: Any
) -> None:
    expect = sync_api.expect
    from lti_tool.activities.dsl import services
    from lti_tool.activities.dsl.selectors import dsl_placement_get
    from tests.activities.dsl.fixtures import launch_dsl

    lea_launch = launch_dsl(dsl, "lea.bernard")  # binds the link; then teams of three
    services.dsl_setup_update(
        placement=dsl_placement_get(resource_link_pk=lea_launch.resource_link.pk), team_size=3
    )
    lea = launch_in_frame(page, dsl, "lea.bernard")
    lea.get_by_test_id("start").click()
    expect(lea.get_by_test_id("step-title")).to_contain_text("Étape 1")
    ready(lea)
    context = page.context.browser.new_context(locale="fr-FR")
    other = context.new_page()
    try:
        hugo = launch_in_frame(other, dsl, "hugo.petit")
        hugo.get_by_test_id("join-1").click()
        expect(hugo.get_by_test_id("step-title")).to_contain_text("Étape 1")
        ready(hugo)
        # Different fields: each save brings the other's text into the page.
        hugo.locator("#f-commande").fill("Commande écrite par Hugo.")
        saved(hugo)
        lea.locator("#f-portrait").fill("Portrait écrit par Léa.")
        saved(lea)
        expect(lea.locator("#f-commande")).to_have_value("Commande écrite par Hugo.")
        # The same field, from the same revision: Hugo is asked, nothing is overwritten.
        lea.locator("#f-ressources").fill("Atouts vus par Léa.")
        saved(lea)
        hugo.locator("#f-ressources").fill("Atouts vus par Hugo.")
        conflict = hugo.get_by_test_id("autosave-conflict")
        expect(conflict).to_be_visible()
        expect(conflict).to_contain_text("Atouts vus par Léa.")
        assert Canvas.objects.get().fields["ressources"] == "Atouts vus par Léa."
        expect(hugo.locator("#f-ressources")).to_have_value("Atouts vus par Hugo.")
        snap(other, "6-conflict")
        hugo.get_by_test_id("keep-mine").click()
        saved(hugo)
        expect(conflict).to_be_hidden()
    finally:
        context.close()
    canvas = Canvas.objects.get()
    assert canvas.fields["ressources"] == "Atouts vus par Hugo."
    assert canvas.fields["portrait"] == "Portrait écrit par Léa."
    assert canvas.fields["commande"] == "Commande écrite par Hugo."
