"""Trainer grading of a role-play team (issue 8, "Grading (trainers) and passback"):
shared criteria once for the team, individual ones per student, absence → N/E, nothing
final or sent before validation, and what a change after validation re-posts.

Real launches through the built-in platform; the grading app's own services underneath.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.activities.roleplays.grading import (
    LevelChoice,
    member_absence_set,
    student_roleplay_results,
    team_grading,
    team_grading_validate,
)
from lti_tool.activities.roleplays.models import TeamMember
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.models import Passback, ResultChange
from lti_tool.grading.rules import ResultStatus
from tests.activities.roleplays.fixtures import roleplay  # noqa: F401
from tests.activities.roleplays.grading_helpers import (
    brief,
    everything_at,
    graded,
    observer_level,
    results_of,
    team_formed,
)
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf", "roleplay"),
]

D = Decimal


def _scores(user: Any, placement: Any) -> dict[str, Decimal]:
    return {code: r.score_20 for code, r in results_of(user, placement).items()}


def test_a_shared_criterion_set_once_gives_every_member_the_same_score(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    graded(
        trainer,
        team,
        brief(placement),
        {
            ("CA-PREP", None): LevelChoice(4),
            ("CA-EVAL", None): LevelChoice(2, "Trop court"),
        },
    )
    # DC2 = 20 × (3×4/4 + 1×2/4) / (3 + 1): the individual criteria are not graded yet (N/E).
    assert _scores(lea.lti_user, placement) == {"DC2": D("17.50")}
    assert _scores(hugo.lti_user, placement) == {"DC2": D("17.50")}
    members = TeamMember.objects.filter(team=team)
    assert all(m.assessment is not None for m in members)  # one assessment per co-animator
    assert len({m.assessment_id for m in members}) == 2


def test_individual_criteria_are_graded_per_student(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    graded(
        trainer,
        team,
        brief(placement),
        {
            ("CA-PREP", None): LevelChoice(4),
            ("CA-EVAL", None): LevelChoice(2),
            ("CA-CADRE", lea.lti_user.pk): LevelChoice(4),
            ("CA-CADRE", hugo.lti_user.pk): LevelChoice(2),
            ("CA-BIN", hugo.lti_user.pk): LevelChoice(3),
        },
    )
    # Léa: 20 × (3 + 2×1 + 0.5) / 6; Hugo: 20 × (3 + 2×0.5 + 0.5) / 6.
    assert _scores(lea.lti_user, placement) == {"DC2": D("18.33")}
    assert _scores(hugo.lti_user, placement) == {"DC2": D("15.00"), "DC4": D("15.00")}


def test_the_screen_shows_shared_criteria_once_and_individual_ones_per_student(
    demo: Any,
) -> None:
    _trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    screen = team_grading(team=team, brief=brief(placement))
    assert [d.code for d in screen.domains] == ["DC2", "DC4", "DC3", "DC1"]  # the brief's order
    rows = {row.criterion.code: row for d in screen.domains for row in d.rows}
    assert [c.member for c in rows["CA-PREP"].cells] == [None]
    assert {c.member.lti_user_id for c in rows["CA-CADRE"].cells if c.member} == {
        lea.lti_user.pk,
        hugo.lti_user.pk,
    }


def test_observers_levels_are_shown_and_never_counted(demo: Any) -> None:
    trainer, placement, team, (lea, hugo, ines) = team_formed(
        demo, "lea.bernard", "hugo.petit", "ines.moreau"
    )
    observer = ines.lti_user  # a classmate observing (not graded here)
    TeamMember.objects.filter(lti_user=observer).delete()
    observer_level(team, observer, "CA-CADRE", 0, lea.lti_user)
    observer_level(team, hugo.lti_user, "CA-CADRE", 1, lea.lti_user)
    graded(trainer, team, brief(placement), {("CA-CADRE", lea.lti_user.pk): LevelChoice(4)})
    assert _scores(lea.lti_user, placement) == {"DC2": D("20.00")}  # β = 0: inputs only
    cell = team_grading(team=team, brief=brief(placement)).cell("CA-CADRE", str(lea.lti_user.pk))
    assert cell is not None and cell.inputs is not None
    assert cell.inputs.observer_median == D("0.5") and cell.inputs.observer_spread == (0, 1)


def test_an_absent_student_has_individual_criteria_ne_and_shared_ones_still_count(
    demo: Any,
) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    rp = brief(placement)
    graded(trainer, team, rp, everything_at(rp, [lea.lti_user, hugo.lti_user], 3))
    assert set(_scores(hugo.lti_user, placement)) == {"DC1", "DC2", "DC3", "DC4"}
    member_absence_set(
        team=team, brief=rp, actor=trainer.lti_user, lti_user_pk=hugo.lti_user.pk, absent=True
    )
    # Hugo: only the shared CA-PREP and CA-EVAL (both 3) remain; DC1, DC3, DC4 have only
    # individual criteria: N/E, so no result at all — never 0.
    assert _scores(hugo.lti_user, placement) == {"DC2": D("15.00")}
    assert _scores(lea.lti_user, placement) == {
        "DC1": D("15.00"),
        "DC2": D("15.00"),
        "DC3": D("15.00"),
        "DC4": D("15.00"),
    }
    with pytest.raises(ValidationFailed):
        graded(trainer, team, rp, {("CA-CADRE", hugo.lti_user.pk): LevelChoice(2)})
    team_grading_validate(team=team, brief=rp, actor=trainer.lti_user)
    assert Passback.objects.filter(result__assessment__lti_user=hugo.lti_user).count() == 1


def test_nothing_is_final_or_sent_before_validation(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    rp = brief(placement)
    with pytest.raises(ValidationFailed):  # nothing graded yet: nothing to validate
        team_grading_validate(team=team, brief=rp, actor=trainer.lti_user)
    graded(trainer, team, rp, everything_at(rp, [lea.lti_user, hugo.lti_user], 2))
    results = [*results_of(lea.lti_user, placement).values()]
    assert results and all(r.status == ResultStatus.TO_REVIEW for r in results)
    assert not Passback.objects.exists()
    views = student_roleplay_results(placement=placement, lti_user=lea.lti_user, brief=rp)
    assert {v.state for v in views} == {"pending"}
    assert all(v.result is None or v.result.score_20 is None for v in views)


def test_validation_finalises_each_domain_and_outboxes_one_score_per_domain(
    demo: Any,
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
    done = team_grading_validate(team=team, brief=rp, actor=trainer.lti_user)
    assert len(done) == 3 + 4  # Léa: no DC1 (all N/E); Hugo: four domains
    lea_results = results_of(lea.lti_user, placement)
    assert set(lea_results) == {"DC2", "DC3", "DC4"}
    for result in lea_results.values():
        assert result.status == ResultStatus.FINAL
        assert result.passbacks.get().score_given == D("15.00")
        assert result.changes.filter(action=ResultChange.Action.CONFIRMED).exists()
        assert "acquis — Bien" in result.feedback  # the per-criterion summary sent along
    views = student_roleplay_results(placement=placement, lti_user=lea.lti_user, brief=rp)
    by_code = {v.code: v for v in views}
    assert by_code["DC1"].state == "not_assessed"
    assert by_code["DC2"].state == "final" and by_code["DC2"].result is not None
    assert by_code["DC2"].result.score_20 == D("15.00")
    assert {c.comment for c in by_code["DC2"].criteria} == {"Bien"}
    # A second click re-posts nothing: nothing changed.
    assert team_grading_validate(team=team, brief=rp, actor=trainer.lti_user) == []
    assert Passback.objects.count() == 7


def test_a_change_after_validation_waits_then_reposts_only_its_domain(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    rp = brief(placement)
    graded(trainer, team, rp, everything_at(rp, [lea.lti_user, hugo.lti_user], 3, "Bien"))
    team_grading_validate(team=team, brief=rp, actor=trainer.lti_user)
    graded(
        trainer,
        team,
        rp,
        {("CA-BIN", lea.lti_user.pk): LevelChoice(1, "A contredit sa partenaire")},
    )
    dc4 = results_of(lea.lti_user, placement)["DC4"]
    assert dc4.status == ResultStatus.FINAL and dc4.score_20 == D("15.00")  # still the sent one
    screen = team_grading(team=team, brief=rp)
    lea_summary = next(s for s in screen.summaries if s.member.lti_user_id == lea.lti_user.pk)
    assert {d.code: d.state for d in lea_summary.domains}["DC4"] == "changed"
    # The student still reads the validated comment, not the draft.
    views = student_roleplay_results(placement=placement, lti_user=lea.lti_user, brief=rp)
    dc4_view = next(v for v in views if v.code == "DC4")
    assert {c.comment for c in dc4_view.criteria} == {"Bien"}

    done = team_grading_validate(team=team, brief=rp, actor=trainer.lti_user)
    assert [(r.assessment.lti_user_id, r.domain_code) for r in done] == [(lea.lti_user.pk, "DC4")]
    dc4.refresh_from_db()
    assert dc4.score_20 == D("9.00")  # 20 × (3×1/4 + 2×3/4) / 5
    assert dc4.changes.filter(action=ResultChange.Action.OVERRIDDEN).count() == 1
    live = dc4.passbacks.exclude(status=Passback.Status.SUPERSEDED).order_by("-pk")
    assert live[0].score_given == D("9.00")
    assert Passback.objects.count() == 8 + 1  # 2 × 4 domains, then DC4 of Léa once more
    views = student_roleplay_results(placement=placement, lti_user=lea.lti_user, brief=rp)
    dc4_view = next(v for v in views if v.code == "DC4")
    comments = {c.code: c.comment for c in dc4_view.criteria}
    assert comments == {"CA-BIN": "A contredit sa partenaire", "CA-INST": "Bien"}


def test_a_validated_domain_cannot_silently_lose_its_grade(demo: Any) -> None:
    trainer, placement, team, (lea, hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    rp = brief(placement)
    graded(trainer, team, rp, everything_at(rp, [lea.lti_user, hugo.lti_user], 3))
    team_grading_validate(team=team, brief=rp, actor=trainer.lti_user)
    with pytest.raises(Conflict):
        member_absence_set(
            team=team, brief=rp, actor=trainer.lti_user, lti_user_pk=lea.lti_user.pk, absent=True
        )
    # Refused as a whole: nothing changed.
    assert not TeamMember.objects.get(lti_user=lea.lti_user).absent
    assert set(results_of(lea.lti_user, placement)) == {"DC1", "DC2", "DC3", "DC4"}


def test_a_domain_set_back_to_ne_before_validation_loses_its_result(demo: Any) -> None:
    trainer, placement, team, (lea, _hugo) = team_formed(demo, "lea.bernard", "hugo.petit")
    rp = brief(placement)
    slot = ("CA-TECH", lea.lti_user.pk)
    graded(trainer, team, rp, {slot: LevelChoice(2)})
    assert set(results_of(lea.lti_user, placement)) == {"DC1"}
    graded(trainer, team, rp, {slot: LevelChoice(None)})
    assert results_of(lea.lti_user, placement) == {}
