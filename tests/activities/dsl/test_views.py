"""The DSL canvas over real launches: a student's landing, the canvas step by step (no
JavaScript: plain forms), dilemma cards, the submit lock, the PDF, who may see what, and the
trainer's list, grading screen and validation."""

from __future__ import annotations

import base64
import re
import zlib
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from lti_tool.activities.dsl import services
from lti_tool.activities.dsl.models import Canvas, DilemmaChoice
from lti_tool.activities.dsl.selectors import dsl_placement_get
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import ResultStatus
from tests.activities.dsl.fixtures import brief_for, canvas_of, launch_dsl, url
from tests.grading.factories import Launched, launch, other_course, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


def started(demo: Any, who: str) -> tuple[Launched, Canvas]:
    student = launch_dsl(demo, who)
    tokens = student.form_tokens(url(student, "home"))
    response = student.post(url(student, "start"), {}, tokens=tokens)
    assert response.status_code == 303, response.text[:500]
    return student, canvas_of(student)


def save_step(student: Launched, canvas: Canvas, number: int, data: dict[str, str]) -> Any:
    page = url(student, "step", canvas.pk, number)
    tokens = student.form_tokens(page, "canvas-form")
    canvas.refresh_from_db()
    return student.post(url(student, "save", canvas.pk, number),
                        {"revision": str(canvas.revision), **data}, tokens=tokens)  # fmt: skip


def fill_to_submit(student: Launched, canvas: Canvas) -> None:
    for number, data in (
        (3, {"f-carte-acteurs-rows": "2", "f-carte-acteurs-0-actor": "CAF",
             "f-carte-acteurs-0-role": "Financeur", "f-carte-acteurs-0-interest": "4",
             "f-carte-acteurs-0-power": "4", "f-carte-acteurs-0-engagement": "moteur",
             "f-carte-acteurs-1-actor": "Amicale", "f-carte-acteurs-1-interest": "4",
             "f-carte-acteurs-1-power": "1"}),
        (4, {"f-echelon-rung": "partenariat", "f-echelon-justification": "Co-décision."}),
        (5, {"f-phasage-rows": "1", "f-phasage-0-start": "1", "f-phasage-0-end": "3",
             "f-phasage-0-action": "Ateliers budget", "f-phasage-0-who": "CAF"}),
        (8, {"f-note-elus": "Contexte\n\nLes Peupliers comptent 4 200 habitants. <b>Budget & co</b>",
             "f-affiche-habitants": "Venez construire le projet du quartier !"}),
    ):  # fmt: skip
        assert save_step(student, canvas, number, data).status_code == 303


def test_a_student_lands_on_the_canvas_and_saves_a_step_without_javascript(dsl: Any) -> None:
    student = launch_dsl(dsl, "lea.bernard")
    landing = student.get(student.landing_path)
    assert landing.status_code == 303 and "/projet-dsl/" in landing.headers["Location"]
    student, canvas = started(dsl, "lea.bernard")
    assert canvas.name == student.lti_user.display_name
    response = save_step(student, canvas, 1, {"f-portrait": "Un quartier coupé du centre."})
    assert response.status_code == 303
    page = text_of(student.get(url(student, "step", canvas.pk, 1)))
    assert "Un quartier coupé du centre." in page and "Dossier du territoire" in page
    assert "4 200" in page and "Le Courrier de la Loire" in page
    canvas.refresh_from_db()
    assert canvas.revision == 1 and canvas.revisions.get().author == student.lti_user


def test_a_word_limit_is_enforced_on_the_server(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    response = save_step(student, canvas, 1, {"f-commande": "mot " * 201})
    assert response.status_code == 400
    assert "dépasse la limite de 200 mots (201 mots)" in text_of(response)
    canvas.refresh_from_db()
    assert canvas.revision == 0


def test_the_stakeholder_table_is_drawn_as_a_chart_and_the_phasing_as_a_timeline(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    fill_to_submit(student, canvas)
    page = text_of(student.get(url(student, "step", canvas.pk, 3)))
    assert 'data-testid="stakeholder-chart"' in page
    assert "1 CAF : intérêt 4, pouvoir 4, moteur" in page  # the chart's description
    page = text_of(student.get(url(student, "step", canvas.pk, 5)))
    assert 'data-testid="phasing-timeline"' in page and "Année 3" in page
    assert "Le phasage couvre 3 années." in page


def test_a_dilemma_choice_gives_its_feedback_and_is_final(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    page = url(student, "step", canvas.pk, 2)
    tokens = student.form_tokens(page)
    choose = url(student, "choose", canvas.pk, "diagnostic-express")
    assert student.post(choose, {"option": "negocier"}, tokens=tokens).status_code == 303
    again = student.post(choose, {"option": "accepter"}, tokens=tokens)
    assert again.status_code == 303
    choice = DilemmaChoice.objects.get(canvas=canvas)
    assert (choice.card_id, choice.option_id) == ("diagnostic-express", "negocier")
    text = text_of(student.get(page))
    assert (
        "C'est la voie de la négociation." in text
        and "Valider ce choix" not in text.split("diagnostic-express")[-1][:400]
    )


def test_submit_locks_the_canvas_and_later_edits_get_a_clear_409(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    tokens = student.form_tokens(url(student, "step", canvas.pk, 8), "canvas-form")
    refused = student.post(url(student, "submit", canvas.pk), {"revision": "0"}, tokens=tokens)
    assert refused.status_code == 400 and "la carte des acteurs est vide" in text_of(refused)
    fill_to_submit(student, canvas)
    canvas.refresh_from_db()
    response = student.post(url(student, "submit", canvas.pk),
                            {"revision": str(canvas.revision)}, tokens=tokens)  # fmt: skip
    assert response.status_code == 303
    canvas.refresh_from_db()
    assert canvas.submitted and canvas.submitted_revision == canvas.revision
    late = student.session.post(
        student.url(url(student, "save", canvas.pk, 1)),
        data={**tokens, "revision": str(canvas.revision), "f-portrait": "Trop tard"},
        headers={"Accept": "application/json"}, timeout=10,
    )  # fmt: skip
    assert late.status_code == 409
    assert "Ce projet a été rendu : il ne peut plus être modifié" in late.json()["message"]
    canvas.refresh_from_db()
    assert "Trop tard" not in str(canvas.fields)
    member = canvas.members.get()
    assert member.assessment is not None and member.assessment.submitted_at is not None


def _pdf_pages_and_text(data: bytes) -> tuple[int, str]:
    pages = len(re.findall(rb"/Type /Page\b", data))
    text = b""
    # ReportLab writes each content stream as ASCII85 over Flate.
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            text += zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        except (ValueError, zlib.error):
            text += stream
    return pages, text.decode("latin-1")


def test_the_pdf_holds_the_note_then_the_one_page_poster(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    fill_to_submit(student, canvas)
    response = student.get(url(student, "pdf", canvas.pk))
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    pages, text = _pdf_pages_and_text(response.content)
    assert pages == 2
    assert "Note de synth" in text and "Peupliers comptent 4 200 habitants" in text
    assert "Venez construire le projet du quartier" in text
    assert "Ateliers budget" in text  # the phasing table under the note
    # The student's « <b> » is printed as characters, not obeyed as ReportLab markup.
    assert "<) Tj (b) Tj (>) Tj (Budget & co)" in text


def test_a_student_reaches_only_their_own_canvas(dsl: Any) -> None:
    _lea, canvas = started(dsl, "lea.bernard")
    hugo, _own = started(dsl, "hugo.petit")
    for name, args in (("step", (canvas.pk, 1)), ("pdf", (canvas.pk,))):
        response = hugo.get(url(hugo, name, *args))
        assert response.status_code == 403, name
    assert hugo.get(url(hugo, "trainer")).status_code == 403


def test_without_a_launch_the_canvas_answers_401(dsl: Any) -> None:
    student, canvas = started(dsl, "lea.bernard")
    assert student.get(url(student, "step", canvas.pk, 1), with_launch=False).status_code == 401


def test_a_trainer_of_another_course_is_refused(dsl: Any) -> None:
    lea, canvas = started(dsl, "lea.bernard")
    stranger = launch(dsl, "paul.garnier", link=other_course(dsl))
    response = stranger.get(url(lea, "grade", canvas.pk))
    assert response.status_code in (403, 404)
    response = stranger.get(url(lea, "trainer"))
    assert response.status_code == 403


def test_the_trainer_lands_on_the_list_grades_and_validates(dsl: Any) -> None:
    lea, canvas = started(dsl, "lea.bernard")
    tokens = lea.form_tokens(url(lea, "step", canvas.pk, 2))
    lea.post(url(lea, "choose", canvas.pk, "diagnostic-express"), {"option": "negocier"},
             tokens=tokens)  # fmt: skip
    fill_to_submit(lea, canvas)
    canvas.refresh_from_db()
    lea.post(url(lea, "submit", canvas.pk), {"revision": str(canvas.revision)}, tokens=tokens)
    trainer = launch_dsl(dsl, "trainer")
    assert trainer.landing_path == url(trainer, "trainer")
    listing = text_of(trainer.get(url(trainer, "trainer")))
    assert "rendu, à évaluer" in listing and "Léa" in listing
    screen = url(trainer, "grade", canvas.pk)
    tokens = trainer.form_tokens(screen, None)
    page = text_of(trainer.get(screen))
    assert "Partie automatique (cartes dilemmes) : niveau 4.0 sur 4" in page
    levels = {f"level-{c}": "3" for c in ("DSL-TER", "DSL-PTN", "DSL-DIAG", "DSL-MOB", "DSL-NOTE")}
    saved = trainer.session.post(
        trainer.url(url(trainer, "grade_save", canvas.pk)),
        data={**tokens, **levels, "comment-DSL-DIAG": "Bonne négociation."},
        headers={"Accept": "application/json"}, timeout=10,
    )  # fmt: skip
    assert saved.status_code == 200, saved.text[:500]
    # DSL-DIAG: 0.8 × 3/4 + 0.2 × 4/4 = 0.8; DSL-MOB: no card played → 3/4.
    # DC2 = 20 × (3×0.8 + 3×0.75) / 6 = 15.50
    assert saved.json()["domains"]["DC2"] == "15.50"
    assert saved.json()["domains"]["DC4"] == "15.00"  # DSL-MED unplayed in the grade: N/E
    results = {r.domain_code: r for r in DomainResult.objects.all()}
    assert set(results) == {"DC2", "DC3", "DC4"}  # DC1 not graded: no result, not 0
    assert all(r.status == ResultStatus.TO_REVIEW for r in results.values())
    assert not Passback.objects.exists()
    assert 'data-testid="feedback"' not in lea.get(url(lea, "step", canvas.pk, 1)).text
    early = trainer.post(url(trainer, "validate", canvas.pk), {}, tokens=tokens)
    assert early.status_code == 400 and "DSL-MED, DSL-VEI" in text_of(early)
    rest = {f"level-{c.code}": "ne" for c in brief_for(trainer).criteria
            if f"level-{c.code}" not in levels}  # fmt: skip
    trainer.post(url(trainer, "grade_save", canvas.pk), rest, tokens=tokens)
    validate = trainer.post(url(trainer, "validate", canvas.pk), {}, tokens=tokens)
    assert validate.status_code == 303
    assert set(DomainResult.objects.values_list("status", flat=True)) == {ResultStatus.FINAL}
    assert Passback.objects.count() == 3
    page = text_of(lea.get(url(lea, "step", canvas.pk, 1)))
    assert 'data-testid="feedback"' in page and "Bonne négociation." in page
    assert page.count('data-testid="domain-score"') == 3

    # Regrading after validation: only the changed domain waits, then is sent again.
    trainer.post(url(trainer, "grade_save", canvas.pk),
                 {"level-DSL-NOTE": "4", "comment-DSL-NOTE": "Note très claire."}, tokens=tokens)  # fmt: skip
    assert "Note très claire." not in text_of(lea.get(url(lea, "step", canvas.pk, 1)))
    screen_text = text_of(trainer.get(screen))
    assert re.search(r'domain-state-DC3">\s*à valider', screen_text)
    assert re.search(r'domain-state-DC2">\s*validé', screen_text)
    assert trainer.post(url(trainer, "validate", canvas.pk), {}, tokens=tokens).status_code == 303
    dc3 = DomainResult.objects.get(domain_code="DC3")
    assert dc3.score_20 == Decimal("20.00") and dc3.passbacks.count() == 2
    assert DomainResult.objects.get(domain_code="DC2").passbacks.count() == 1
    assert "Note très claire." in text_of(lea.get(url(lea, "step", canvas.pk, 1)))
    again = trainer.post(url(trainer, "validate", canvas.pk), {}, tokens=tokens)
    assert again.status_code == 409 and "Rien de nouveau à valider" in text_of(again)


def test_the_trainer_reads_a_draft_without_being_able_to_change_it(dsl: Any) -> None:
    lea, canvas = started(dsl, "lea.bernard")
    save_step(lea, canvas, 1, {"f-portrait": "Brouillon de Léa."})
    trainer = launch_dsl(dsl, "trainer")
    listing = text_of(trainer.get(url(trainer, "trainer")))
    assert "en cours (version 1)" in listing and "(lecture seule)" in listing
    page = text_of(trainer.get(url(trainer, "step", canvas.pk, 1)))
    assert "Brouillon de Léa." in page and 'data-testid="save"' not in page
    tokens = trainer.form_tokens(url(trainer, "trainer"), None)
    refused = trainer.post(url(trainer, "save", canvas.pk, 1),
                           {"revision": "1", "f-portrait": "Réécrit"}, tokens=tokens)  # fmt: skip
    assert refused.status_code == 400
    canvas.refresh_from_db()
    assert canvas.fields["portrait"] == "Brouillon de Léa."


def test_the_course_page_leads_the_trainer_to_the_projects(dsl: Any) -> None:
    trainer = launch_dsl(dsl, "trainer")
    assert trainer.landing_path == url(trainer, "trainer")
    assert trainer.get(trainer.landing_path).status_code == 200  # binds the link
    placement = dsl_placement_get(resource_link_pk=trainer.resource_link.pk)
    assert placement.bound_by == trainer.lti_user
    page = text_of(trainer.get(reverse("activities:course_home", args=[trainer.context.pk])))
    assert f'data-testid="dsl-link-{trainer.resource_link.pk}"' in page
    assert "projet DSL : projets rendus et évaluation" in page


def test_without_javascript_a_conflict_shows_both_versions_and_resending_keeps_mine(
    dsl: Any,
) -> None:
    lea = launch_dsl(dsl, "lea.bernard")
    placement = dsl_placement_get(resource_link_pk=lea.resource_link.pk)
    services.dsl_setup_update(placement=placement, team_size=3)
    canvas = services.canvas_start(placement=placement, lti_user=lea.lti_user)
    hugo = launch_dsl(dsl, "hugo.petit")
    services.canvas_join(canvas=canvas, lti_user=hugo.lti_user)
    page = url(hugo, "step", canvas.pk, 1)
    tokens = hugo.form_tokens(page, "canvas-form")  # Hugo opens the page at revision 0
    save_step(lea, canvas, 1, {"f-portrait": "Version de Léa."})
    clash = hugo.post(url(hugo, "save", canvas.pk, 1),
                      {"revision": "0", "f-portrait": "Version de Hugo."}, tokens=tokens)  # fmt: skip
    assert clash.status_code == 409
    text = text_of(clash)
    assert "Un·e autre membre a modifié les mêmes champs" in text
    assert "Version de Léa." in text and "Version de Hugo." in text
    canvas.refresh_from_db()
    assert canvas.fields["portrait"] == "Version de Léa."
    kept = hugo.post(url(hugo, "save", canvas.pk, 1),
                     {"revision": str(canvas.revision), "f-portrait": "Version de Hugo."},
                     tokens=tokens)  # fmt: skip
    assert kept.status_code == 303
    canvas.refresh_from_db()
    assert canvas.fields["portrait"] == "Version de Hugo."
