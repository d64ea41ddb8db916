"""The trainer's passback board: each student × domain, the state of the latest send, and the
resend actions. Sends are not run here (no worker): a platform refusal is simulated by
setting the outbox row as the delivery code would leave it."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from lti_tool.grading.models import Passback, PassbackAttempt, ResultChange
from lti_tool.grading.rules import ActivityKind
from tests.grading.factories import Launched, assessment_graded, launch, other_course, text_of

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL = (
    "Moodle a refusé la note (accès interdit) : vérifiez que l'outil peut publier des notes "
    "dans ce cours (réglages de l'outil externe, services de notes)."
)


def _board(context_pk: int) -> str:
    return reverse("grading:passback_board", args=[context_pk])


def _failed(passback: Passback, *, reason: str = REFUSAL, status: int = 403) -> Passback:
    """Leave the row as the delivery code leaves a permanent refusal."""
    PassbackAttempt.objects.create(
        passback=passback,
        outcome=PassbackAttempt.Outcome.PERMANENT,
        status_code=status,
        duration_ms=42,
        body_excerpt='{"error": "forbidden"}',
        error=reason,
    )
    Passback.objects.filter(pk=passback.pk).update(
        status=Passback.Status.FAILED,
        tries=1,
        last_status_code=status,
        last_error=reason,
        next_try_at=None,
    )
    passback.refresh_from_db()
    return passback


def _row(text: str, student: Launched) -> str:
    """The board row of one student (up to the next student's row or the table's end)."""
    row = text.split(f'<tr data-student="{student.lti_user.pk}">')[1]
    return row.split("<tr data-student=")[0].split('data-testid="gradebook-guidance"')[0]


def _scenario_done(student: Launched, levels: dict[str, int]) -> dict[str, Any]:
    """A scenario: final at once, so every domain it assessed has a pending passback."""
    _a, results = assessment_graded(
        student=student, levels=levels, kind=ActivityKind.SCENARIO, title="Scénario — Quartier"
    )
    return {code: r.passbacks.get() for code, r in results.items()}


@pytest.fixture
def course(demo: Any) -> dict[str, Any]:
    trainer = launch(demo, "trainer")
    lea, hugo = launch(demo, "student"), launch(demo, "hugo.petit")
    lea_sends = _scenario_done(lea, {"DC2.A3.1": 3, "DC3.3.1": 4})
    hugo_sends = _scenario_done(hugo, {"DC2.A3.1": 2})
    return {
        "trainer": trainer,
        "lea": lea,
        "hugo": hugo,
        "lea_sends": lea_sends,
        "hugo_sends": hugo_sends,
    }


def test_the_board_shows_each_student_by_domain_with_sent_pending_and_failed_states(
    course: dict[str, Any],
) -> None:
    trainer, lea_sends, hugo_sends = course["trainer"], course["lea_sends"], course["hugo_sends"]
    sent_at = timezone.now()
    Passback.objects.filter(pk=lea_sends["DC3"].pk).update(
        status=Passback.Status.SENT, sent_at=sent_at
    )
    failed = _failed(hugo_sends["DC2"])

    page = trainer.get(_board(trainer.context.pk))

    assert page.status_code == 200, page.text[:2000]
    text = text_of(page)
    header = text.split("<thead>")[1].split("</thead>")[0]
    assert 'data-domain="DC2"' in header and 'data-domain="DC3"' in header
    assert "DC4" not in header  # no result in DC4 anywhere: no column
    assert "total" not in header.lower() and "moyenne" not in header.lower()
    lea_row, hugo_row = _row(text, course["lea"]), _row(text, course["hugo"])
    assert f'data-passback="{lea_sends["DC2"].pk}" data-status="pending"' in lea_row
    assert "prochain essai" in lea_row
    assert f'data-passback="{lea_sends["DC3"].pk}" data-status="sent"' in lea_row
    assert "envoyée" in lea_row
    assert f'data-passback="{failed.pk}" data-status="failed"' in hugo_row
    assert REFUSAL in hugo_row and "(HTTP 403)" in hugo_row
    assert "Renvoyer" in hugo_row
    assert "domaine non évalué" in hugo_row  # Hugo has no DC3 result: a dash, not a zero
    assert 'data-testid="resend-all"' in text
    assert "1 envoi a échoué." in text


def test_the_attempts_of_a_send_are_shown_in_a_drill_down(course: dict[str, Any]) -> None:
    trainer = course["trainer"]
    _failed(course["hugo_sends"]["DC2"])
    text = text_of(trainer.get(_board(trainer.context.pk)))
    details = text.split("<details>")[1].split("</details>")[0]
    assert "1 essai" in details and "erreur définitive" in details
    assert "403" in details and "42 ms" in details and REFUSAL[:40] in details


def test_superseded_sends_are_hidden(course: dict[str, Any]) -> None:
    trainer, first = course["trainer"], course["lea_sends"]["DC2"]
    Passback.objects.filter(pk=first.pk).update(status=Passback.Status.SUPERSEDED)
    text = text_of(trainer.get(_board(trainer.context.pk)))
    assert f'data-passback="{first.pk}"' not in text


def test_resend_makes_a_new_pending_send_and_keeps_the_failure_on_record(
    course: dict[str, Any],
) -> None:
    trainer = course["trainer"]
    failed = _failed(course["hugo_sends"]["DC2"])
    board = _board(trainer.context.pk)
    path = reverse("grading:passback_resend", args=[trainer.context.pk, failed.pk])
    tokens = trainer.form_tokens(board, None)

    response = trainer.post(path, {}, tokens=tokens)

    assert response.status_code == 303, response.text[:2000]
    fresh = Passback.objects.filter(result=failed.result).order_by("-pk").first()
    assert fresh is not None and fresh.pk != failed.pk
    assert fresh.status == Passback.Status.PENDING and fresh.score_given == failed.score_given
    failed.refresh_from_db()
    assert failed.status == Passback.Status.SUPERSEDED
    assert failed.attempts.count() == 1
    change = ResultChange.objects.filter(result=failed.result).last()
    assert change is not None and change.action == ResultChange.Action.RESENT
    assert change.actor == trainer.lti_user
    landed = text_of(trainer.session.get(trainer.url(response.headers["Location"]), timeout=10))
    assert "1 note renvoyée" in landed
    assert REFUSAL not in landed


def test_a_second_click_on_resend_makes_no_second_send(course: dict[str, Any]) -> None:
    trainer = course["trainer"]
    failed = _failed(course["hugo_sends"]["DC2"])
    path = reverse("grading:passback_resend", args=[trainer.context.pk, failed.pk])
    tokens = trainer.form_tokens(_board(trainer.context.pk), None)
    assert trainer.post(path, {}, tokens=tokens).status_code == 303
    again = trainer.post(path, {}, tokens=tokens)
    assert again.status_code == 303
    assert failed.result.passbacks.count() == 2
    assert failed.result.passbacks.filter(status=Passback.Status.PENDING).count() == 1
    landed = text_of(trainer.session.get(trainer.url(again.headers["Location"]), timeout=10))
    assert "Aucun envoi en échec à relancer." in landed


def test_resend_all_failed_makes_one_new_send_per_failed_result(course: dict[str, Any]) -> None:
    trainer = course["trainer"]
    failures = [
        _failed(course["hugo_sends"]["DC2"]),
        _failed(course["lea_sends"]["DC3"], status=404),
    ]
    untouched = course["lea_sends"]["DC2"]
    path = reverse("grading:passbacks_resend_failed", args=[trainer.context.pk])

    response = trainer.post(
        path, {}, tokens=trainer.form_tokens(_board(trainer.context.pk), "resend-all")
    )

    assert response.status_code == 303, response.text[:2000]
    for failed in failures:
        assert failed.result.passbacks.filter(status=Passback.Status.PENDING).count() == 1
        assert failed.result.passbacks.filter(status=Passback.Status.FAILED).count() == 0
    untouched.refresh_from_db()
    assert untouched.status == Passback.Status.PENDING
    assert untouched.result.passbacks.count() == 1
    landed = text_of(trainer.session.get(trainer.url(response.headers["Location"]), timeout=10))
    assert "2 notes renvoyées" in landed


def test_resend_all_leaves_other_courses_alone(demo: Any, course: dict[str, Any]) -> None:
    trainer = course["trainer"]
    emma = launch(demo, "emma.roux", link=other_course(demo))
    foreign = _failed(_scenario_done(emma, {"DC2.A3.1": 1})["DC2"])
    _failed(course["hugo_sends"]["DC2"])
    path = reverse("grading:passbacks_resend_failed", args=[trainer.context.pk])
    tokens = trainer.form_tokens(_board(trainer.context.pk), None)
    assert trainer.post(path, {}, tokens=tokens).status_code == 303
    foreign.refresh_from_db()
    assert foreign.status == Passback.Status.FAILED
    assert foreign.result.passbacks.count() == 1
    # ... and a passback of another course cannot be resent from this course's URL.
    other = reverse("grading:passback_resend", args=[trainer.context.pk, foreign.pk])
    assert trainer.post(other, {}, tokens=tokens).status_code == 404


def test_a_student_cannot_see_the_board_nor_resend(course: dict[str, Any]) -> None:
    hugo = course["hugo"]
    failed = _failed(course["hugo_sends"]["DC2"])
    assert hugo.get(_board(hugo.context.pk)).status_code == 403
    path = reverse("grading:passback_resend", args=[hugo.context.pk, failed.pk])
    assert hugo.post(path, {"launch": hugo.launch_id}).status_code == 403
    assert failed.result.passbacks.count() == 1


def test_resend_without_the_launch_token_is_refused(course: dict[str, Any]) -> None:
    trainer = course["trainer"]
    failed = _failed(course["hugo_sends"]["DC2"])
    path = reverse("grading:passback_resend", args=[trainer.context.pk, failed.pk])
    assert trainer.post(path, {"launch": trainer.launch_id}).status_code == 403
    assert trainer.post(path, {}).status_code == 401
    assert failed.result.passbacks.count() == 1


def test_the_board_tells_trainers_how_to_keep_domains_apart_in_moodle(
    course: dict[str, Any],
) -> None:
    trainer = course["trainer"]
    text = text_of(trainer.get(_board(trainer.context.pk)))
    guidance = text.split('data-testid="gradebook-guidance"')[1].split("</section>")[0]
    assert "une catégorie par domaine" in guidance
    assert "total du cours" in guidance
