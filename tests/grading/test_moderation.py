"""Moderation screens: the course's queue and the result form, reached through real launches
over the built-in platform; results made by the grading services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from django.urls import reverse

from lti_tool.grading.models import CriterionScore, DomainResult, Passback, ResultChange
from lti_tool.grading.rules import ActivityKind, ResultStatus
from tests.grading.factories import (
    Launched,
    assessment_graded,
    launch,
    other_course,
    text_of,
)

pytestmark = pytest.mark.django_db(transaction=True)


def _queue(context_pk: int) -> str:
    return reverse("grading:moderation_queue", args=[context_pk])


def _detail(context_pk: int, result_pk: int) -> str:
    return reverse("grading:result_moderate", args=[context_pk, result_pk])


def _moderate(trainer: Launched, result: DomainResult, data: dict[str, str]) -> requests.Response:
    """Post the moderation form as the trainer's browser would, tokens read from the page."""
    path = _detail(trainer.context.pk, result.pk)
    return trainer.post(path, data, tokens=trainer.form_tokens(path, "moderation-form"))


def _written() -> tuple[int, int, int, list[tuple[str, Decimal]]]:
    """What moderation may write: history, evidence, outbox, and every result's score."""
    return (
        ResultChange.objects.count(),
        CriterionScore.objects.count(),
        Passback.objects.count(),
        list(DomainResult.objects.order_by("pk").values_list("status", "score_20")),
    )


@pytest.fixture
def roleplay(demo: Any) -> dict[str, Any]:
    """Léa's role-play waits for review in DC2 and DC3 (DC4 not observed: no result)."""
    trainer = launch(demo, "trainer")
    student = launch(demo, "student")
    _assessment, results = assessment_graded(
        student=student, levels={"DC2.A3.1": 2, "DC2.A3.2": 3, "DC3.3.1": 1}
    )
    return {"trainer": trainer, "student": student, "results": results}


def test_queue_lists_only_this_courses_results_to_review(
    demo: Any, roleplay: dict[str, Any]
) -> None:
    trainer, results = roleplay["trainer"], roleplay["results"]
    hugo = launch(demo, "hugo.petit")
    _a, final = assessment_graded(
        student=hugo, levels={"DC2.A3.1": 4}, kind=ActivityKind.SCENARIO, title="Scénario"
    )
    _a, draft = assessment_graded(student=hugo, levels={"DC3.3.1": 2}, complete=False)
    elsewhere = launch(demo, "emma.roux", link=other_course(demo))
    _a, foreign = assessment_graded(student=elsewhere, levels={"DC2.A3.1": 1})

    page = trainer.get(_queue(trainer.context.pk))

    assert page.status_code == 200, page.text[:2000]
    text = text_of(page)
    for result in results.values():
        assert f'data-result="{result.pk}"' in text
    assert "DC4" not in text  # not assessed: no result, not a zero
    assert f'data-result="{final["DC2"].pk}"' not in text  # final: nothing to decide
    assert f'data-result="{draft["DC3"].pk}"' in text.split('id="proposed-title"')[1]
    assert f'data-result="{foreign["DC2"].pk}"' not in text
    assert "Emma" not in text
    assert "Léa Bernard" in text and "Intervention sociale" in text
    assert "12,5/20" in text  # DC2: 20 × (2/4 + 3/4) / 2


def test_a_student_launch_is_refused_on_trainer_screens(roleplay: dict[str, Any]) -> None:
    student, result = roleplay["student"], roleplay["results"]["DC2"]
    context_pk = student.context.pk
    for path in (
        _queue(context_pk),
        _detail(context_pk, result.pk),
        reverse("grading:passback_board", args=[context_pk]),
    ):
        page = student.get(path)
        assert page.status_code == 403, (path, page.text[:1000])
        assert "réservée aux formateur·rices" in text_of(page)
    before = _written()
    posted = student.post(_detail(context_pk, result.pk), {"launch": student.launch_id})
    assert posted.status_code == 403
    assert _written() == before


def test_a_trainer_of_another_course_is_refused(demo: Any, roleplay: dict[str, Any]) -> None:
    outsider = launch(demo, "paul.garnier", link=other_course(demo))
    course_pk, result = roleplay["trainer"].context.pk, roleplay["results"]["DC2"]
    assert outsider.context.pk != course_pk
    assert outsider.get(_queue(course_pk)).status_code == 403
    assert outsider.get(_detail(course_pk, result.pk)).status_code == 403
    # Their own course's URL with this course's result: not found there.
    assert outsider.get(_detail(outsider.context.pk, result.pk)).status_code == 404


def test_without_a_launch_the_screens_answer_401(roleplay: dict[str, Any]) -> None:
    trainer, result = roleplay["trainer"], roleplay["results"]["DC2"]
    for path in (_queue(trainer.context.pk), _detail(trainer.context.pk, result.pk)):
        page = trainer.get(path, with_launch=False)
        assert page.status_code == 401
        assert "relancez l'activité" in text_of(page)
        expired = trainer.session.get(trainer.url(path), params={"launch": "expired"}, timeout=10)
        assert expired.status_code == 401


def test_the_result_page_shows_evidence_rule_other_domains_and_history(
    roleplay: dict[str, Any],
) -> None:
    trainer, results = roleplay["trainer"], roleplay["results"]
    page = trainer.get(_detail(trainer.context.pk, results["DC2"].pk))

    assert page.status_code == 200, page.text[:2000]
    text = text_of(page)
    assert "Pose le cadre de la réunion" in text and "Fait circuler la parole" in text
    assert "2 / 4" in text and "50 %" in text and "75 %" in text
    assert results["DC2"].rule in text
    other = text.split('data-testid="other-domains"')[1]
    assert "DC3" in other and "5/20" in other  # shown apart, never summed with DC2
    assert (
        "Transmet une information claire"
        not in text.split('data-testid="evidence"')[1].split("</table>")[0]
    )
    assert "calcul automatique" in text.split('data-testid="history"')[1]
    assert 'name="launch_csrf"' in text


def test_an_override_of_one_criterion_changes_only_that_domain_and_is_kept_in_history(
    roleplay: dict[str, Any],
) -> None:
    trainer, results = roleplay["trainer"], roleplay["results"]
    dc2, dc3 = results["DC2"], results["DC3"]
    path = _detail(trainer.context.pk, dc2.pk)

    response = _moderate(
        trainer,
        dc2,
        {
            "niveau_DC2.A3.1": "4",
            "niveau_DC2.A3.2": "",
            "score_20": "",
            "feedback": "Cadre posé avec clarté ; la parole a circulé.",
            "comment": "Vu en séance : le cadre était posé dès l'accueil.",
            "decision": "valider",
        },
    )

    assert response.status_code == 303, response.text[:3000]
    assert f"launch={trainer.launch_id}" in response.headers["Location"]
    dc2.refresh_from_db()
    assert dc2.status == ResultStatus.FINAL
    assert dc2.score_20 == Decimal("17.50")  # 20 × (4/4 + 3/4) / 2
    assert dc2.moderated_by == trainer.lti_user
    assert dc2.feedback.startswith("Cadre posé")
    untouched = DomainResult.objects.get(pk=dc3.pk)
    assert (untouched.status, untouched.score_20) == (dc3.status, dc3.score_20)
    change = ResultChange.objects.filter(result=dc2).last()
    assert change is not None and change.action == ResultChange.Action.OVERRIDDEN
    assert change.actor == trainer.lti_user
    assert change.before["score_20"] == "12.50" and change.after["score_20"] == "17.50"
    assert change.comment == "Vu en séance : le cadre était posé dès l'accueil."
    assert Passback.objects.filter(result=dc2, status=Passback.Status.PENDING).count() == 1
    assert not Passback.objects.filter(result=dc3).exists()

    queue = text_of(trainer.get(response.headers["Location"].split("?")[0]))
    assert "Résultat enregistré" not in queue  # the message belongs to the redirect only
    landed = text_of(trainer.session.get(trainer.url(response.headers["Location"]), timeout=10))
    assert "Résultat enregistré : DC2 de Léa Bernard, 17,5/20." in landed
    history = text_of(trainer.get(path)).split('data-testid="history"')[1]
    assert "12,5/20" in history and "17,5/20" in history and "modifié" in history


def test_a_trainer_sets_the_domain_score_directly_with_a_french_decimal(
    roleplay: dict[str, Any],
) -> None:
    trainer, dc2 = roleplay["trainer"], roleplay["results"]["DC2"]
    response = _moderate(
        trainer,
        dc2,
        {"score_20": "13,75", "comment": "Progrès net en fin de séance.", "decision": "valider"},
    )
    assert response.status_code == 303, response.text[:3000]
    dc2.refresh_from_db()
    assert dc2.score_20 == Decimal("13.75") and dc2.computed_score_20 == Decimal("12.50")
    assert Passback.objects.get(result=dc2).score_given == Decimal("13.75")


def test_confirming_without_change_finalises_and_records_a_confirmation(
    roleplay: dict[str, Any],
) -> None:
    trainer, dc3 = roleplay["trainer"], roleplay["results"]["DC3"]
    response = _moderate(trainer, dc3, {"decision": "valider"})
    assert response.status_code == 303, response.text[:3000]
    dc3.refresh_from_db()
    assert dc3.status == ResultStatus.FINAL and dc3.score_20 == Decimal("5.00")
    assert ResultChange.objects.filter(result=dc3).last().action == ResultChange.Action.CONFIRMED  # type: ignore[union-attr]
    assert Passback.objects.filter(result=dc3).count() == 1


def test_saving_without_validating_keeps_the_result_waiting_and_sends_nothing(
    roleplay: dict[str, Any],
) -> None:
    trainer, dc2 = roleplay["trainer"], roleplay["results"]["DC2"]
    response = _moderate(
        trainer,
        dc2,
        {"niveau_DC2.A3.2": "1", "comment": "À revoir en séance.", "decision": "enregistrer"},
    )
    assert response.status_code == 303, response.text[:3000]
    dc2.refresh_from_db()
    assert dc2.status == ResultStatus.TO_REVIEW and dc2.score_20 == Decimal("7.50")
    assert not Passback.objects.exists()


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_missing_or_forged_launch_csrf_token_is_refused_and_writes_nothing(
    roleplay: dict[str, Any], token: str | None
) -> None:
    trainer, dc2 = roleplay["trainer"], roleplay["results"]["DC2"]
    path = _detail(trainer.context.pk, dc2.pk)
    data = {
        "launch": trainer.launch_id,
        "niveau_DC2.A3.1": "4",
        "comment": "x",
        "decision": "valider",
    }
    if token is not None:
        data["launch_csrf"] = token
    before = _written()

    response = trainer.post(path, data)

    assert response.status_code == 403
    assert "n'a pas pu être vérifié" in text_of(response)
    assert _written() == before


def test_a_token_of_another_launch_is_refused(demo: Any, roleplay: dict[str, Any]) -> None:
    trainer, dc2 = roleplay["trainer"], roleplay["results"]["DC2"]
    path = _detail(trainer.context.pk, dc2.pk)
    other_tokens = launch(demo, "trainer").form_tokens(path, "moderation-form")
    before = _written()
    response = trainer.post(
        path,
        {
            "launch": trainer.launch_id,
            "launch_csrf": other_tokens["launch_csrf"],
            "decision": "valider",
        },
    )
    assert response.status_code == 403
    assert _written() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"niveau_DC2.A3.1": "7", "comment": "essai"},
            "Niveau « 7 » impossible pour le critère « Pose le cadre de la réunion » : "
            "choisissez un niveau de 0 (absent) à 4 (maîtrisé).",
        ),
        ({"niveau_DC2.A3.2": "-1", "comment": "essai"}, "Niveau « -1 » impossible"),
        ({"score_20": "25", "comment": "essai"}, "La note 25 est hors de l'échelle"),
        ({"score_20": "douze", "comment": "essai"}, "« douze » n'est pas une note"),
        ({"score_20": "12,555", "comment": "essai"}, "au plus deux décimales"),
        ({"niveau_DC2.A3.1": "3"}, "Expliquez la modification dans le commentaire"),
    ],
)
def test_bad_input_is_shown_again_with_a_french_message_and_nothing_is_written(
    roleplay: dict[str, Any], data: dict[str, str], message: str
) -> None:
    trainer, dc2 = roleplay["trainer"], roleplay["results"]["DC2"]
    before = _written()

    response = _moderate(trainer, dc2, {**data, "decision": "valider"})

    assert response.status_code == 400, response.text[:2000]
    text = text_of(response)
    assert message in text
    assert "rien n'a été enregistré" in text
    assert 'id="moderation-form"' in text  # the form again, with the trainer's input
    assert _written() == before


def test_a_criterion_of_another_domain_cannot_be_changed_from_this_result(
    roleplay: dict[str, Any],
) -> None:
    trainer, dc2 = roleplay["trainer"], roleplay["results"]["DC2"]
    before = _written()
    # The DC3 criterion is not a field of the DC2 form: it is ignored, nothing changes.
    response = _moderate(trainer, dc2, {"niveau_DC3.3.1": "4", "decision": "enregistrer"})
    assert response.status_code == 303
    after = _written()
    assert after[3] == before[3]  # no score, no status changed
    assert CriterionScore.objects.count() == before[1]


def test_the_course_page_links_to_the_grading_screens(roleplay: dict[str, Any]) -> None:
    trainer = roleplay["trainer"]
    page = text_of(trainer.get(reverse("activities:course_home", args=[trainer.context.pk])))
    assert f"{_queue(trainer.context.pk)}?launch={trainer.launch_id}" in page
    board = reverse("grading:passback_board", args=[trainer.context.pk])
    assert f"{board}?launch={trainer.launch_id}" in page
