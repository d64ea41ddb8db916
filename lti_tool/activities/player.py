"""Playing a branching scenario: attempts, recorded decisions, completion and grading.

The pure engine (scenarios/engine.py) knows the graph; this module keeps the attempt in the
database, records every decision with the time spent before it (measured here, on the
server, never trusted from the browser), and on completion turns the path into per-domain
results through the grading services (domain.md §4.2, §4.3, §5.1).

Moves carry the step they were shown at: a form posted twice (double click, network retry,
the browser's back button) is recognised by its step and never recorded twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.models import ActivityVersion, Attempt, Decision, Placement
from lti_tool.activities.scenarios import engine
from lti_tool.activities.selectors import domain_titles, scenario_of
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.models import Assessment
from lti_tool.grading.rules import ActivityKind, ResultStatus
from lti_tool.grading.services import assessment_create, assessment_grade, passback_schedule
from lti_tool.lti.models import LtiUser


@dataclass(frozen=True)
class Move:
    """What a posted move did: the attempt after it, the decision made at that step (new or
    already recorded), and whether the post repeated an answered step."""

    attempt: Attempt
    decision: Decision | None
    repeated: bool


# --- starting and resuming -------------------------------------------------------------


@transaction.atomic
def attempt_start(*, placement: Placement, lti_user: LtiUser) -> Attempt:
    """Resume the unfinished attempt, or open a new one within the placement's limit."""
    # One lock per placement serialises two tabs starting at once: one attempt, not two.
    placement = (
        Placement.objects.select_for_update()
        .select_related("activity_version__activity")
        .get(pk=placement.pk)
    )
    attempts = Attempt.objects.filter(placement=placement, lti_user=lti_user)
    unfinished = attempts.filter(status=Attempt.Status.IN_PROGRESS).order_by("-number").first()
    if unfinished is not None:
        return unfinished
    used = attempts.count()
    if placement.attempts_allowed and used >= placement.attempts_allowed:
        raise Conflict(
            _(
                "Vous avez utilisé vos %(allowed)d tentatives pour cette activité : il n'est plus "
                "possible d'en commencer une nouvelle. Vos résultats restent consultables."
            )
            % {"allowed": placement.attempts_allowed},
            code="attempts_exhausted",
        )
    version = placement.activity_version
    play = engine.scenario_start(scenario_of(version))
    return Attempt.objects.create(
        placement=placement,
        lti_user=lti_user,
        activity_version=version,
        number=(attempts.order_by("-number").values_list("number", flat=True).first() or 0) + 1,
        step=1,
        current_node=play.node_id,
        state=dict(play.state),
        node_entered_at=timezone.now(),
    )


# --- moving through the graph ----------------------------------------------------------


@transaction.atomic
def attempt_continue(*, attempt: Attempt, step: int) -> Move:
    """Leave a situation screen for the next node."""
    return _attempt_move(attempt=attempt, step=step, choice_id=None)


@transaction.atomic
def attempt_choose(*, attempt: Attempt, step: int, choice_id: str) -> Move:
    """Answer a decision node with one of its choices; the decision is recorded with the
    seconds spent since the node was entered."""
    return _attempt_move(attempt=attempt, step=step, choice_id=choice_id)


def _repeated(attempt: Attempt, step: int) -> Move:
    return Move(
        attempt=attempt, decision=attempt.decisions.filter(step=step).first(), repeated=True
    )


def _attempt_move(*, attempt: Attempt, step: int, choice_id: str | None) -> Move:
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("placement__resource_link", "activity_version__activity", "lti_user")
        .get(pk=attempt.pk)
    )
    if step < attempt.step:
        return _repeated(attempt, step)  # already answered: shown again, not recorded twice
    if attempt.status == Attempt.Status.COMPLETED:
        raise Conflict(_("Cette tentative est terminée : son bilan est disponible."))
    if step > attempt.step:
        raise Conflict(
            _("Cette page n'est plus à jour (étape %(step)d demandée, étape %(current)d en cours).")
            % {"step": step, "current": attempt.step}
        )
    scenario = scenario_of(attempt.activity_version)
    node = scenario.node(attempt.current_node)
    _move_check(node, choice_id)
    try:
        transition = engine.scenario_advance(scenario, _play_state(attempt), choice_id=choice_id)
    except engine.PlayError as error:
        raise ValidationFailed(str(error)) from error
    now = timezone.now()
    decision = None
    if choice_id is not None:
        try:
            # Where the row lock is a no-op (SQLite), two simultaneous posts of one step
            # meet at the unique (attempt, step) constraint instead: the second is a repeat.
            with transaction.atomic():
                decision = Decision.objects.create(
                    attempt=attempt,
                    step=attempt.step,
                    node_id=node.id,
                    choice_id=choice_id,
                    seconds_spent=_seconds_since(attempt, now),
                )
        except IntegrityError:
            return _repeated(Attempt.objects.get(pk=attempt.pk), step)
    attempt.step += 1
    attempt.current_node = transition.play.node_id
    attempt.state = dict(transition.play.state)
    attempt.node_entered_at = now
    attempt.save(update_fields=["step", "current_node", "state", "node_entered_at", "updated_at"])
    if transition.play.finished or scenario.node(attempt.current_node).kind == "ending":
        attempt = attempt_complete(attempt=attempt)
    return Move(attempt=attempt, decision=decision, repeated=False)


def _move_check(node: engine.Node, choice_id: str | None) -> None:
    """Refuse, with a message a student can act on, a move the current node does not offer."""
    if node.kind == "decision":
        if not choice_id:
            raise ValidationFailed(
                _("Choisissez l'une des réponses proposées avant de valider."),
                code="choice_missing",
            )
        if choice_id not in {choice.id for choice in node.choices}:
            raise ValidationFailed(
                _("La réponse « %(choice)s » n'est pas proposée à l'étape « %(node)s ».")
                % {"choice": choice_id, "node": node.title},
                code="choice_unknown",
            )
    elif choice_id is not None:
        raise ValidationFailed(
            _("L'étape « %(node)s » ne demande pas de choix : continuez simplement.")
            % {"node": node.title},
            code="choice_unexpected",
        )


def _play_state(attempt: Attempt) -> engine.PlayState:
    return engine.PlayState(
        node_id=attempt.current_node,
        state=dict(attempt.state),
        step=attempt.step,
        finished=False,
    )


def _seconds_since(attempt: Attempt, now: object) -> int:
    if attempt.node_entered_at is None:
        return 0
    elapsed = now - attempt.node_entered_at  # type: ignore[operator]
    return max(0, int(elapsed.total_seconds()))


# --- completion and grading ------------------------------------------------------------


@transaction.atomic
def attempt_complete(*, attempt: Attempt) -> Attempt:
    """Close the attempt at its ending and grade the path: one result per assessed domain
    (none for the others), final at once unless an ethics flag or the author's review
    sends it to the trainer (domain.md §4.3)."""
    attempt = (
        Attempt.objects.select_for_update()
        .select_related("placement__resource_link", "activity_version__activity", "lti_user")
        .get(pk=attempt.pk)
    )
    if attempt.status == Attempt.Status.COMPLETED:
        return attempt
    attempt.status = Attempt.Status.COMPLETED
    attempt.ending = attempt.current_node
    attempt.completed_at = timezone.now()
    attempt.assessment = _attempt_assess(attempt)
    attempt.save(update_fields=["status", "ending", "completed_at", "assessment", "updated_at"])
    attempt_counting_refresh(placement=attempt.placement, lti_user=attempt.lti_user)
    return attempt


def _attempt_assess(attempt: Attempt) -> Assessment | None:
    version: ActivityVersion = attempt.activity_version
    scenario = scenario_of(version)
    # A placement may switch off secondary domains (domain.md §5.2): their criteria are
    # neither declared nor evidenced, so those domains get no result at all.
    disabled = set(attempt.placement.disabled_domains or [])
    criteria = [c for c in scenario.criteria if c.domain not in disabled]
    if not criteria:
        return None
    kept = {c.code for c in criteria}
    path = [(d.node_id, d.choice_id) for d in attempt.decisions.order_by("step")]
    evidence = [e for e in engine.scenario_evidence(scenario, path) if e.criterion in kept]
    assessment = assessment_create(
        resource_link=attempt.placement.resource_link,
        lti_user=attempt.lti_user,
        activity_kind=ActivityKind.SCENARIO,
        activity_title=version.title,
        # The slug, not slug@version: AGS line items stay the same across versions.
        activity_ref=version.activity.slug,
        framework_code=version.framework_code,
        framework_version=version.framework_version,
        criteria=criteria,
        # An ethics flag sends the whole attempt to the trainer (issue 5: "sends the attempt
        # to the trainer's moderation queue"): nothing of it reaches the gradebook before a
        # trainer has looked, even the domains the flag did not cap (domain.md §4.2).
        review_requested=bool(scenario.review) or any(e.ethics_flag for e in evidence),
    )
    # Graded as not counting; attempt_counting_refresh then decides which attempt feeds
    # the gradebook and schedules its passback (so nothing is sent twice).
    Assessment.objects.filter(pk=assessment.pk).update(counts=False)
    assessment.counts = False
    assessment_grade(assessment=assessment, evidence=evidence, domain_titles=domain_titles(version))
    return assessment


# --- which attempt counts --------------------------------------------------------------


def _best_key(assessment: Assessment, domains: list[str]) -> tuple[float, ...]:
    """Compare attempts domain by domain in the author's order (primary domain first), never
    by a total across domains (domain.md §0 point 1); a domain without a result ranks last."""
    scores = {r.domain_code: float(r.score_20) for r in assessment.results.all()}
    return tuple(scores.get(domain, -1.0) for domain in domains)


def _counting_assessment(*, placement: Placement, lti_user: LtiUser) -> Assessment | None:
    attempts = list(
        Attempt.objects.filter(
            placement=placement,
            lti_user=lti_user,
            status=Attempt.Status.COMPLETED,
            assessment__isnull=False,
        )
        .select_related("assessment")
        .prefetch_related("assessment__results")
        .order_by("number")
    )
    if not attempts:
        return None
    if placement.counting == Placement.Counting.LAST:
        return attempts[-1].assessment
    if placement.counting == Placement.Counting.BEST:
        domains = list(placement.activity_version.domains)
        # max() keeps the first of equals: on a tie the earlier attempt stays.
        return max(attempts, key=lambda a: _best_key(a.assessment, domains)).assessment  # type: ignore[arg-type]
    return attempts[0].assessment


@transaction.atomic
def attempt_counting_refresh(*, placement: Placement, lti_user: LtiUser) -> Assessment | None:
    """Mark the attempt that counts (first / best / last completed, the placement's
    setting) and, when it changed, send its final results to the gradebook.

    Its results that still wait for a trainer are sent by the moderation service once
    validated (it sends only what counts).
    """
    target = _counting_assessment(placement=placement, lti_user=lti_user)
    own = Assessment.objects.filter(attempt__placement=placement, attempt__lti_user=lti_user)
    stale = own.filter(counts=True)
    if target is not None:
        stale = stale.exclude(pk=target.pk)
    stale.update(counts=False)
    if target is None or target.counts:
        return target
    Assessment.objects.filter(pk=target.pk).update(counts=True)
    target.counts = True
    for result in target.results.filter(status=ResultStatus.FINAL).order_by("domain_code"):
        passback_schedule(result=result)
    return target
