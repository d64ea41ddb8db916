"""The trainer's grading screen and the student's results page over real launches
(issue 8): who may open them, saving without JavaScript and slot by slot with htmx,
validation, and a student who reads only their own results."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from lti_tool.activities.roleplays.models import (
    GridEntry,
    IncidentDelivery,
    ObserverNote,
    SessionReport,
    TeamMember,
)
from lti_tool.activities.roleplays.sheet import sheet_save
from lti_tool.grading.models import CriterionScore, Passback
from lti_tool.grading.rules import ResultStatus
from lti_tool.lti.csrf import launch_csrf_token
from lti_tool.lti.middleware import LAUNCH_HEADER
from tests.activities.roleplays.fixtures import launch_roleplay, roleplay  # noqa: F401
from tests.activities.roleplays.grading_helpers import observer_level, results_of, team_formed
from tests.e2e.chromium import ARTIFACTS
from tests.grading.factories import Launched, launch, other_course
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf", "roleplay"),
]

D = Decimal


def _urls(trainer: Launched, team_pk: int) -> dict[str, str]:
    link = trainer.resource_link.pk
    return {
        name: reverse(f"roleplays:{name}", args=(link, team_pk))
        for name in ("grading", "grading_save", "grading_absence", "grading_validate")
    } | {"results": reverse("roleplays:results", args=(link,))}


def _htmx(who: Launched, url: str, data: dict[str, str]) -> requests.Response:
    """A slot saved on change, as htmx sends it: launch id and CSRF token in headers."""
    tokens = who.form_tokens(reverse("roleplays:grading", args=_grading_args(url)), "grading-form")
    return who.session.post(
        who.url(url),
        data=data,
        headers={
            "HX-Request": "true",
            LAUNCH_HEADER: tokens["launch"],
            "X-Launch-CSRF": tokens["launch_csrf"],
        },
        allow_redirects=False,
        timeout=10,
    )


def _grading_args(url: str) -> tuple[int, int]:
    parts = [int(p) for p in url.split("/") if p.isdigit()]
    return parts[0], parts[1]


# --- who may open what ---------------------------------------------------------------------


def test_only_the_course_trainer_opens_the_grading_screen(demo: Any) -> None:
    trainer, _placement, team, (lea, _hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    url = _urls(trainer, team.pk)["grading"]
    page = trainer.get(url)
    assert page.status_code == 200, page.text[:2000]
    assert "Équipe 1" in page.text and 'name="level:CA-PREP:equipe"' in page.text
    assert f'name="level:CA-CADRE:{lea.lti_user.pk}"' in page.text
    assert lea.get(url).status_code == 403  # a co-animator never grades
    stranger = launch(demo, "paul.garnier", link=other_course(demo))
    assert stranger.get(url).status_code == 403  # another course's trainer
    assert trainer.get(url, with_launch=False).status_code == 401
    assert (
        trainer.get(reverse("roleplays:grading", args=(trainer.resource_link.pk, 999))).status_code
        == 404
    )


def test_a_student_cannot_grade_mark_absent_or_validate(demo: Any) -> None:
    trainer, placement, team, (lea, _hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    urls = _urls(trainer, team.pk)
    # A valid token for her own launch: the refusal is the role's, not the CSRF check's.
    tokens = {"launch": lea.launch_id, "launch_csrf": launch_csrf_token(lea.launch_id)}
    posts = {
        "grading_save": {f"level:CA-CADRE:{lea.lti_user.pk}": "4"},
        "grading_absence": {"member": str(lea.lti_user.pk), "absent": "1"},
        "grading_validate": {},
    }
    for name, data in posts.items():
        assert lea.post(urls[name], data, tokens=tokens).status_code == 403, name
    assert results_of(lea.lti_user, placement) == {}
    assert not TeamMember.objects.get(lti_user=lea.lti_user).absent


def test_only_students_open_their_results_page(demo: Any) -> None:
    trainer, _placement, team, (lea, _hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    url = _urls(trainer, team.pk)["results"]
    page = lea.get(url)
    assert page.status_code == 200, page.text[:2000]
    assert "en attente de validation" in page.text
    outsider = launch_roleplay(demo, "ines.moreau")  # in no team: nothing to wait for
    assert 'data-testid="no-team"' in outsider.get(url).text
    assert trainer.get(url).status_code == 403
    stranger = launch(demo, "paul.garnier", link=other_course(demo))
    assert stranger.get(url).status_code == 403
    assert lea.get(url, with_launch=False).status_code == 401


# --- saving ----------------------------------------------------------------------------------


def test_the_plain_form_saves_every_slot_and_nothing_is_final(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    urls = _urls(trainer, team.pk)
    tokens = trainer.form_tokens(urls["grading"], "grading-form")
    data = {"level:CA-PREP:equipe": "4", "comment:CA-PREP:equipe": "Plan B solide"}
    for student in (lea, hugo):
        data[f"level:CA-CADRE:{student.lti_user.pk}"] = "3"
        data[f"level:CA-TECH:{student.lti_user.pk}"] = "ne"
    response = trainer.post(urls["grading_save"], data, tokens=tokens)
    assert response.status_code == 303, response.text[:2000]
    assert "launch=" in response.headers["Location"]
    for student in (lea, hugo):
        results = results_of(student.lti_user, placement)
        assert set(results) == {"DC2"} and results["DC2"].status == ResultStatus.TO_REVIEW
        assert results["DC2"].score_20 == D("18.00")  # 20 × (3×1 + 2×3/4) / 5
    assert not Passback.objects.exists()
    page = trainer.get(urls["grading"]).text
    assert "Plan B solide" in page and "18/20" in page


def test_a_slot_saved_with_htmx_answers_with_its_status_and_the_summary(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    observer_level(team, hugo.lti_user, "CA-CADRE", 2, lea.lti_user)
    urls = _urls(trainer, team.pk)
    slot = f"CA-CADRE:{lea.lti_user.pk}"
    response = _htmx(
        trainer, urls["grading_save"], {f"level:{slot}": "4", f"comment:{slot}": "Cadre clair"}
    )
    assert response.status_code == 200, response.text[:2000]
    assert 'data-testid="saved"' in response.text
    assert 'id="grading-summary"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "20/20" in response.text  # Léa's DC2, moved in the summary
    assert 'data-testid="validate"' in response.text  # « Valider » comes with it
    page = trainer.get(urls["grading"]).text
    cell = page.split(f'id="cell-CA-CADRE-{lea.lti_user.pk}"')[1].split('id="cell-')[0]
    assert "Cadre clair" in cell and "médiane 2" in cell  # the observers' level beside
    assert results_of(lea.lti_user, placement)["DC2"].score_20 == D("20.00")


def test_a_refused_htmx_save_says_why_in_its_slot(demo: Any) -> None:
    trainer, placement, team, (lea, _hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    TeamMember.objects.filter(lti_user=lea.lti_user).update(absent=True)
    urls = _urls(trainer, team.pk)
    response = _htmx(trainer, urls["grading_save"], {f"level:CA-CADRE:{lea.lti_user.pk}": "3"})
    assert response.status_code == 422
    assert "absent·e" in response.text and 'data-testid="save-error"' in response.text
    assert results_of(lea.lti_user, placement) == {}


def test_marking_absent_turns_individual_criteria_to_ne(demo: Any) -> None:
    trainer, placement, team, (_lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    urls = _urls(trainer, team.pk)
    tokens = trainer.form_tokens(urls["grading"], "grading-form")
    data = {"level:CA-PREP:equipe": "2", f"level:CA-BIN:{hugo.lti_user.pk}": "4"}
    assert trainer.post(urls["grading_save"], data, tokens=tokens).status_code == 303
    assert set(results_of(hugo.lti_user, placement)) == {"DC2", "DC4"}
    response = trainer.post(
        urls["grading_absence"], {"member": str(hugo.lti_user.pk), "absent": "1"}, tokens=tokens
    )
    assert response.status_code == 303
    assert set(results_of(hugo.lti_user, placement)) == {"DC2"}
    page = trainer.get(urls["grading"]).text
    assert (
        'data-testid="absent-ne"' in page and f'name="level:CA-BIN:{hugo.lti_user.pk}"' not in page
    )


# --- validation and the students' view -----------------------------------------------------


def test_after_validation_each_student_reads_only_their_own_results(demo: Any) -> None:
    trainer, _placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    urls = _urls(trainer, team.pk)
    tokens = trainer.form_tokens(urls["grading"], "grading-form")
    data = {
        "level:CA-PREP:equipe": "3",
        f"level:CA-ORAL:{lea.lti_user.pk}": "4",
        f"comment:CA-ORAL:{lea.lti_user.pk}": "Supports visuels très clairs",
        f"level:CA-ORAL:{hugo.lti_user.pk}": "1",
        f"comment:CA-ORAL:{hugo.lti_user.pk}": "Vocabulaire trop technique",
    }
    assert trainer.post(urls["grading_save"], data, tokens=tokens).status_code == 303
    assert "en attente de validation" in lea.get(urls["results"]).text

    response = trainer.post(urls["grading_validate"], {}, tokens=tokens)
    assert response.status_code == 303 and "fait=valide" in response.headers["Location"]
    assert Passback.objects.count() == 4  # two students × (DC2, DC3)

    lea_page = lea.get(urls["results"]).text
    assert "Supports visuels très clairs" in lea_page and "20/20" in lea_page
    assert "Vocabulaire trop technique" not in lea_page  # never a classmate's
    assert lea_page.count("Non évalué dans cette activité") == 2  # DC1, DC4: no grade, not 0
    hugo_page = hugo.get(urls["results"]).text
    assert "Vocabulaire trop technique" in hugo_page and "Supports visuels" not in hugo_page

    again = trainer.post(urls["grading_validate"], {}, tokens=tokens)
    assert "fait=rien" in again.headers["Location"]
    assert Passback.objects.count() == 4


def test_the_evidence_sits_beside_its_criterion(demo: Any) -> None:
    trainer, _placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    sheet_save(
        team=team,
        author=lea.lti_user,
        base_revision=0,
        fields={"objectives": "Rendre les nouveaux locataires autonomes sur les charges"},
    )
    ObserverNote.objects.create(
        session=team.session,
        author=hugo.lti_user,
        client_id=uuid.uuid4(),
        criterion_code="CA-CADRE",
        subject=lea.lti_user,
        text="Rappelle la règle du tour de parole",
        noted_at=timezone.now(),
    )
    GridEntry.objects.create(
        session=team.session,
        author=lea.lti_user,
        subject=lea.lti_user,
        source=GridEntry.Source.SELF,
        criterion_code="CA-CADRE",
        level=3,
    )
    SessionReport.objects.create(
        session=team.session,
        author=lea.lti_user,
        report="Huit ménages présents, deux questions sur les charges.",
        reflection="J'ai trop parlé pendant la première séquence.",
        submitted_at=timezone.now(),
        revision=1,
    )
    IncidentDelivery.objects.create(
        session=team.session, incident_id="caf-coupe-les-aides", triggered_at=timezone.now()
    )
    page = trainer.get(_urls(trainer, team.pk)["grading"]).text
    inst = page.split('id="critere-CA-INST"')[1].split("</article>")[0]
    assert "déclenché à" in inst and "propose un rendez-vous individuel" in inst
    prep = page.split('id="critere-CA-PREP"')[1].split("</article>")[0]
    assert "Rendre les nouveaux locataires autonomes" in prep
    cadre = page.split(f'id="cell-CA-CADRE-{lea.lti_user.pk}"')[1].split('id="cell-')[0]
    assert "Rappelle la règle du tour de parole" in cadre
    assert 'data-testid="self">3' in cadre
    trans = page.split(f'id="cell-CA-TRANS-{lea.lti_user.pk}"')[1].split('id="cell-')[0]
    assert "Huit ménages présents" in trans


@pytest.mark.browser
def test_in_a_browser_each_choice_saves_as_the_trainer_goes(demo: Any, page: Any) -> None:
    trainer, placement, team, (lea, _hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    url = trainer.url(_urls(trainer, team.pk)["grading"]) + f"?launch={trainer.launch_id}"
    page.goto(url)
    page.get_by_label("Votre niveau — Fiche de préparation", exact=False).first.select_option("4")
    cell = page.locator("#cell-CA-PREP-equipe")
    cell.get_by_text("Enregistré.").wait_for()
    summary = page.locator(f'#membre-{lea.lti_user.pk} tr[data-domain="DC2"]')
    assert summary.get_attribute("data-state") == "to_validate"
    assert "20/20" in summary.inner_text()  # updated in place, no reload
    cell.get_by_text("Enregistré.").evaluate("node => node.remove()")
    cell.get_by_label("Commentaire pour l'étudiant·e", exact=False).fill("Plan B prévu")
    cell.get_by_label("Commentaire pour l'étudiant·e", exact=False).press("Tab")
    cell.get_by_text("Enregistré.").wait_for()
    page.screenshot(path=str(ARTIFACTS / "roleplay-grading.png"), full_page=True)
    assert results_of(lea.lti_user, placement)["DC2"].score_20 == D("20.00")
    notes = CriterionScore.objects.filter(
        assessment__lti_user=lea.lti_user, criterion_code="CA-PREP", superseded=False
    ).values_list("note", flat=True)
    assert list(notes) == ["Plan B prévu"]
