"""Validation of a role-play team reaches the platform's gradebook, one column per
(link, domain), through the outbox and a real Celery worker on the real broker
(issue 8, "validation goes through … the passback outbox"; design.md §5)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from lti_tool.activities.roleplays.grading import LevelChoice
from lti_tool.demo.models import DemoGrade
from lti_tool.grading.models import Passback
from tests.activities.roleplays.fixtures import roleplay  # noqa: F401
from tests.activities.roleplays.grading_helpers import brief, everything_at, graded, team_formed
from tests.grading.frameworks_fixtures import decesf  # noqa: F401
from tests.grading.worker import WorkerProcess, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf", "roleplay"),
]

D = Decimal


def _gradebook(demo: Any) -> dict[tuple[str, str], Decimal | None]:
    """(username, column) → grade; the link's own column carries the first domain (DC2)."""
    return {
        (g.user.username, g.line_item.tag or "DC2"): g.grade
        for g in DemoGrade.objects.filter(line_item__course__platform=demo.platform).select_related(
            "user", "line_item"
        )
    }


def _sent(worker: WorkerProcess, count: int) -> None:
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENT).count() == count,
        timeout=90,
        what=lambda: (
            f"{count} scores sent; rows: "
            f"{list(Passback.objects.values_list('status', 'tries', 'last_error'))}\n{worker.log()}"
        ),
    )


def test_validating_a_team_posts_each_students_domains_and_a_change_only_its_own(
    demo: Any, worker: WorkerProcess
) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    rp = brief(placement)
    graded(
        trainer,
        team,
        rp,
        {
            **everything_at(rp, [lea.lti_user, hugo.lti_user], 3, "Bien"),
            ("CA-TECH", lea.lti_user.pk): LevelChoice(None),
            ("CA-REFL", lea.lti_user.pk): LevelChoice(None),
        },
    )
    link = trainer.resource_link.pk
    validate = reverse("roleplays:grading_validate", args=(link, team.pk))
    tokens = trainer.form_tokens(reverse("roleplays:grading", args=(link, team.pk)), "grading-form")
    assert not DemoGrade.objects.exists()  # nothing before validation

    assert trainer.post(validate, {}, tokens=tokens).status_code == 303
    _sent(worker, 7)
    book = _gradebook(demo)
    assert book == {
        ("lea.bernard", "DC2"): D("15"),
        ("lea.bernard", "DC4"): D("15"),
        ("lea.bernard", "DC3"): D("15"),
        ("hugo.petit", "DC2"): D("15"),
        ("hugo.petit", "DC4"): D("15"),
        ("hugo.petit", "DC3"): D("15"),
        ("hugo.petit", "DC1"): D("15"),
    }  # Léa has no DC1 grade: all its criteria were N/E for her (no 0)

    graded(
        trainer, team, rp, {("CA-BIN", lea.lti_user.pk): LevelChoice(1, "Contredit sa partenaire")}
    )
    assert trainer.post(validate, {}, tokens=tokens).status_code == 303
    _sent(worker, 8)
    assert _gradebook(demo) == {**book, ("lea.bernard", "DC4"): D("9")}
