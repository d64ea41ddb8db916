"""The scenario player's services: start, move, resume, resubmission, wrong moves, attempt
limits, completion grading and which attempt counts (domain.md §4.2, §4.3, §5.1).

People and links come from real launches through the built-in platform."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from lti_tool.activities.models import Attempt, Decision, Placement
from lti_tool.activities.placements import placement_bind
from lti_tool.activities.player import attempt_choose, attempt_continue, attempt_start
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.models import Assessment, DomainResult, Passback
from lti_tool.grading.rules import ActivityKind, ResultStatus
from tests.activities.player_fixtures import (
    EXPECTED,
    SLUG,
    placed,
    play,
    scenario_content,
    version_publish,
)
from tests.grading.factories import Launched, launch
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


@pytest.fixture
def student(demo: Any) -> Launched:
    return launch(demo, "student")


def results_of(attempt: Attempt) -> dict[str, DomainResult]:
    attempt.refresh_from_db()
    assert attempt.assessment is not None
    return {r.domain_code: r for r in attempt.assessment.results.all()}


# --- moving ------------------------------------------------------------------------------


def test_starting_opens_an_attempt_at_the_start_node_with_the_initial_state(
    student: Launched,
) -> None:
    placement = placed(student.resource_link)
    attempt = attempt_start(placement=placement, lti_user=student.lti_user)
    assert (attempt.number, attempt.step, attempt.current_node) == (1, 1, "accueil")
    assert attempt.state == {"conflit": 0}
    assert attempt.status == Attempt.Status.IN_PROGRESS
    assert attempt.activity_version == placement.activity_version
    assert attempt.node_entered_at is not None


def test_starting_again_resumes_the_unfinished_attempt(student: Launched) -> None:
    placement = placed(student.resource_link)
    first = attempt_start(placement=placement, lti_user=student.lti_user)
    attempt_continue(attempt=first, step=1)
    again = attempt_start(placement=placement, lti_user=student.lti_user)
    assert again.pk == first.pk
    assert (again.step, again.current_node) == (2, "d1")
    assert Attempt.objects.count() == 1


def test_a_choice_is_recorded_with_its_node_and_the_seconds_measured_on_the_server(
    student: Launched,
) -> None:
    placement = placed(student.resource_link)
    attempt = attempt_start(placement=placement, lti_user=student.lti_user)
    attempt = attempt_continue(attempt=attempt, step=1).attempt
    # The student has been reading the decision for 42 seconds.
    Attempt.objects.filter(pk=attempt.pk).update(
        node_entered_at=timezone.now() - timedelta(seconds=42)
    )
    move = attempt_choose(attempt=attempt, step=2, choice_id="b")
    decision = Decision.objects.get(attempt=attempt)
    assert (decision.step, decision.node_id, decision.choice_id) == (2, "d1", "b")
    assert 42 <= decision.seconds_spent <= 45
    assert move.decision == decision and not move.repeated
    assert (move.attempt.step, move.attempt.current_node) == (3, "d2")
    assert move.attempt.state == {"conflit": 1}


def test_a_resubmitted_step_is_recognised_and_not_recorded_twice(student: Launched) -> None:
    placement = placed(student.resource_link)
    attempt = play(placement, student.lti_user, ("a",))
    # The same form posted again (double click), even with another choice: nothing changes.
    again = attempt_choose(attempt=attempt, step=2, choice_id="b")
    assert again.repeated
    assert again.decision is not None and again.decision.choice_id == "a"
    assert Decision.objects.filter(attempt=attempt).count() == 1
    assert again.attempt.current_node == "d2"
    # Same for a situation's « Continuer » posted twice.
    assert attempt_continue(attempt=attempt, step=1).repeated


def test_a_choice_not_offered_at_the_current_node_is_refused_with_a_400(
    student: Launched,
) -> None:
    placement = placed(student.resource_link)
    attempt = attempt_start(placement=placement, lti_user=student.lti_user)
    attempt = attempt_continue(attempt=attempt, step=1).attempt
    with pytest.raises(ValidationFailed) as refused:
        attempt_choose(attempt=attempt, step=2, choice_id="z")
    assert refused.value.status_code == 400
    assert "« z » n'est pas proposée" in refused.value.message
    with pytest.raises(ValidationFailed, match="Choisissez"):
        attempt_continue(attempt=attempt, step=2)
    attempt.refresh_from_db()
    assert (attempt.step, attempt.current_node) == (2, "d1")
    assert not Decision.objects.exists()


def test_a_situation_refuses_a_choice(student: Launched) -> None:
    placement = placed(student.resource_link)
    attempt = attempt_start(placement=placement, lti_user=student.lti_user)
    with pytest.raises(ValidationFailed, match="ne demande pas de choix"):
        attempt_choose(attempt=attempt, step=1, choice_id="a")


def test_a_step_ahead_of_the_attempt_is_a_conflict(student: Launched) -> None:
    placement = placed(student.resource_link)
    attempt = attempt_start(placement=placement, lti_user=student.lti_user)
    with pytest.raises(Conflict):
        attempt_continue(attempt=attempt, step=5)


def test_the_attempts_limit_refuses_a_new_attempt_with_a_409(student: Launched) -> None:
    placement = placed(student.resource_link, attempts_allowed=1)
    play(placement, student.lti_user, ("a", "a"))
    with pytest.raises(Conflict) as refused:
        attempt_start(placement=placement, lti_user=student.lti_user)
    assert refused.value.status_code == 409
    assert "1 tentatives" in refused.value.message
    assert Attempt.objects.count() == 1


# --- completion and grading ----------------------------------------------------------------


def test_completing_a_path_gives_exactly_the_hand_computed_result_per_domain(
    student: Launched,
) -> None:
    placement = placed(student.resource_link)
    attempt = play(placement, student.lti_user, ("a", "a"))
    assert attempt.status == Attempt.Status.COMPLETED
    assert attempt.ending == "fin-collectif" and attempt.completed_at is not None
    results = results_of(attempt)
    assert {code: r.score_20 for code, r in results.items()} == EXPECTED[("a", "a")]
    assert all(r.status == ResultStatus.FINAL for r in results.values())
    assert results["DC2"].domain_title == "Intervention sociale"
    assessment = attempt.assessment
    assert assessment is not None
    assert assessment.activity_kind == ActivityKind.SCENARIO
    assert assessment.activity_ref == SLUG  # stable across versions (AGS line items)
    assert assessment.counts
    # Final results go to the passback outbox, one row per assessed domain.
    assert Passback.objects.filter(result__assessment=assessment).count() == 2


def test_a_domain_assessed_at_zero_gets_a_zero_and_an_unvisited_one_gets_nothing(
    student: Launched,
) -> None:
    placement = placed(student.resource_link)
    attempt = play(placement, student.lti_user, ("b", "b"))
    results = results_of(attempt)
    assert {code: r.score_20 for code, r in results.items()} == EXPECTED[("b", "b")]


def test_a_flagged_path_waits_for_the_trainer_and_sends_nothing(student: Launched) -> None:
    placement = placed(student.resource_link)
    attempt = play(placement, student.lti_user, ("c",))
    assert attempt.ending == "fin-replie"
    results = results_of(attempt)
    assert set(results) == {"DC2"}  # d2 never visited: DC4 not assessed, no result
    assert results["DC2"].score_20 == EXPECTED[("c",)]["DC2"]
    assert results["DC2"].status == ResultStatus.TO_REVIEW and results["DC2"].flagged
    assert not Passback.objects.exists()


def test_a_scenario_whose_author_asked_for_review_sends_every_domain_to_the_trainer(
    student: Launched,
) -> None:
    content = {**scenario_content(), "review": True}
    version = version_publish(content)
    placement = placement_bind(resource_link=student.resource_link, activity_version=version)
    attempt = play(placement, student.lti_user, ("a", "a"))
    results = results_of(attempt)
    assert {code: r.score_20 for code, r in results.items()} == EXPECTED[("a", "a")]
    assert {r.status for r in results.values()} == {ResultStatus.TO_REVIEW}
    assert not Passback.objects.exists()


def test_a_domain_switched_off_on_the_placement_gets_no_result(student: Launched) -> None:
    placement = placed(student.resource_link, disabled_domains=["DC4"])
    attempt = play(placement, student.lti_user, ("a", "a"))
    results = results_of(attempt)
    assert set(results) == {"DC2"}
    assert results["DC2"].score_20 == EXPECTED[("a", "a")]["DC2"]
    assert attempt.assessment is not None
    assert {c["domain"] for c in attempt.assessment.criteria} == {"DC2"}


# --- which attempt counts ----------------------------------------------------------------


def _counting(student: Launched) -> list[int]:
    return list(
        Assessment.objects.filter(lti_user=student.lti_user, counts=True).values_list(
            "attempt__number", flat=True
        )
    )


def test_counting_first_keeps_the_first_completed_attempt(student: Launched) -> None:
    placement = placed(student.resource_link, counting=Placement.Counting.FIRST)
    play(placement, student.lti_user, ("b", "b"))
    second = play(placement, student.lti_user, ("a", "a"))
    assert _counting(student) == [1]
    assert not Passback.objects.filter(result__assessment=second.assessment).exists()


def test_counting_last_moves_to_the_newest_attempt_and_sends_its_results(
    student: Launched,
) -> None:
    placement = placed(student.resource_link, counting=Placement.Counting.LAST)
    play(placement, student.lti_user, ("a", "a"))
    second = play(placement, student.lti_user, ("b", "b"))
    assert _counting(student) == [2]
    sent = Passback.objects.filter(result__assessment=second.assessment)
    assert {p.result.domain_code: p.score_given for p in sent} == EXPECTED[("b", "b")]


def test_counting_best_compares_domain_by_domain_and_keeps_the_better_attempt(
    student: Launched,
) -> None:
    placement = placed(student.resource_link, counting=Placement.Counting.BEST)
    play(placement, student.lti_user, ("b", "b"))  # DC2 9.33
    assert _counting(student) == [1]
    best = play(placement, student.lti_user, ("a", "a"))  # DC2 10.00 → better
    assert _counting(student) == [2]
    assert Passback.objects.filter(result__assessment=best.assessment).count() == 2
    play(placement, student.lti_user, ("b", "b"))  # worse again: the best stays
    assert _counting(student) == [2]


def test_an_ethics_flag_holds_back_every_domain_of_the_attempt(student: Launched) -> None:
    """Issue 5: a flagged choice sends the attempt to moderation; even the domains the flag
    did not cap wait for the trainer, and nothing reaches the gradebook."""
    from lti_tool.activities.models import ActivityVersion
    from lti_tool.activities.scenarios.engine import (
        scenario_flagged,
        scenario_from_json,
        scenario_outcomes,
        scenario_paths,
    )
    from lti_tool.activities.services import activities_load

    # Transactional tests flush what the migrations published: publish the shipped files.
    activities_load()
    version = ActivityVersion.objects.filter(activity__slug="premier-groupe-parents").latest(
        "version"
    )
    scenario = scenario_from_json(version.content)
    flagged = next(
        path
        for path in scenario_paths(scenario)
        if scenario_flagged(scenario, path.decisions)
        and len(scenario_outcomes(scenario, path.decisions)) >= 2
    )
    placement = placement_bind(resource_link=student.resource_link, activity_version=version)
    attempt = play(placement, student.lti_user, tuple(choice for _, choice in flagged.decisions))
    results = results_of(attempt)
    assert len(results) >= 2
    assert {r.status for r in results.values()} == {ResultStatus.TO_REVIEW}
    assert not Passback.objects.exists()
