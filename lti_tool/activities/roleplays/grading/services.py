"""Writes of the trainer's grading: save levels and comments, mark absent, validate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.grading.state import (
    LevelChoice,
    Slot,
    brief_rubric,
    domain_feedback,
    earned_of,
    inputs_of,
    member_levels,
    members_of,
    result_stale,
    slot_of,
    stored_choices,
    team_choices,
)
from lti_tool.activities.roleplays.models import Team, TeamMember
from lti_tool.activities.roleplays.synthesis import CriterionInputs
from lti_tool.activities.selectors import domain_titles
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.models import Assessment, DomainResult
from lti_tool.grading.rubric import RubricGrade, rubric_grade
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX, ActivityKind, DomainOutcome, ResultStatus
from lti_tool.grading.services import assessment_create, assessment_grade_rubric, result_moderate
from lti_tool.lti.models import LtiUser


def _assessment_of(member: TeamMember, placement: Placement, brief: RolePlay) -> Assessment:
    if member.assessment is not None:
        return member.assessment
    version = placement.activity_version
    assessment = assessment_create(
        resource_link=placement.resource_link,
        lti_user=member.lti_user,
        activity_kind=ActivityKind.ROLEPLAY,
        activity_title=version.title,
        # The slug, as scenarios and deep linking do: the line items ("<slug>:DCn") stay
        # the same across versions of the brief.
        activity_ref=version.activity.slug,
        framework_code=brief.framework_code,
        framework_version=brief.framework_version,
        criteria=[c.criterion for c in brief.criteria],
    )
    member.assessment = assessment
    member.save(update_fields=["assessment", "updated_at"])
    return assessment


def _results_prune(assessment: Assessment, grade: RubricGrade, member: TeamMember) -> None:
    """A domain whose criteria all became N/E has no result any more (not 0). One never
    validated was never sent: it goes. One already validated is in the gradebook: refuse,
    the trainer corrects a level instead."""
    stale = DomainResult.objects.filter(assessment=assessment).exclude(
        domain_code__in=list(grade.domains)
    )
    for result in stale:
        if result.status == ResultStatus.FINAL:
            raise Conflict(
                _(
                    "Le domaine %(domain)s de %(name)s est déjà validé et envoyé au carnet de "
                    "notes : au moins un de ses critères doit rester noté. Corrigez un niveau "
                    "plutôt que de tout passer en N/E."
                )
                % {"domain": result.domain_code, "name": member.lti_user.display_name}
            )
        result.delete()


def _member_grade(
    *,
    member: TeamMember,
    placement: Placement,
    brief: RolePlay,
    state: Mapping[Slot, LevelChoice],
    inputs: Mapping[Slot, CriterionInputs],
    actor: LtiUser,
) -> None:
    assessment = _assessment_of(member, placement, brief)
    levels, comments = member_levels(member, brief, state)
    peers = {
        c.code: list(item.observer_levels)
        for c in brief.criteria
        if (item := inputs.get(slot_of(c, member))) is not None and item.observer_levels
    }
    grade, _results = assessment_grade_rubric(
        assessment=assessment,
        rubric=brief_rubric(brief),
        levels=levels,
        peer_levels=peers,
        comments=comments,
        assessor=actor,
        domain_titles=domain_titles(placement.activity_version),
    )
    _results_prune(assessment, grade, member)


def _changes_check(
    team: Team, brief: RolePlay, members: Sequence[TeamMember], changes: Mapping[Slot, LevelChoice]
) -> None:
    by_pk = {m.lti_user_id: m for m in members}
    for (code, subject), choice in changes.items():
        criterion = brief.criterion(code)
        if criterion is None:
            raise ValidationFailed(
                _("Le critère %(code)s n'existe pas dans cette fiche.") % {"code": code}
            )
        if criterion.shared != (subject is None) or (subject is not None and subject not in by_pk):
            raise ValidationFailed(
                _("Le critère %(code)s ne se note pas ainsi pour l'équipe %(team)s.")
                % {"code": code, "team": team.name}
            )
        if choice.level is not None and not 0 <= choice.level <= RUBRIC_LEVEL_MAX:
            raise ValidationFailed(_("Un niveau se choisit de 0 à 4, ou N/E."))
        if subject is not None and by_pk[subject].absent and choice.level is not None:
            raise ValidationFailed(
                _(
                    "%(name)s est noté·e absent·e : ses critères individuels sont N/E. "
                    "Retirez l'absence pour les noter."
                )
                % {"name": by_pk[subject].lti_user.display_name}
            )


@transaction.atomic
def team_grading_save(
    *,
    team: Team,
    brief: RolePlay,
    actor: LtiUser,
    changes: Mapping[Slot, LevelChoice],
) -> None:
    """Record the trainer's levels and comments (one slot or the whole screen) and
    recompute the results of the co-animators concerned. Nothing becomes final here."""
    team = Team.objects.select_for_update().select_related("placement").get(pk=team.pk)
    members = members_of(team)
    _changes_check(team, brief, members, changes)
    state = {**team_choices(members, brief), **changes}
    touched_shared = any(subject is None for _code, subject in changes)
    touched = {subject for _code, subject in changes}
    inputs = inputs_of(team, brief)
    for member in members:
        if touched_shared or member.lti_user_id in touched:
            _member_grade(
                member=member,
                placement=team.placement,
                brief=brief,
                state=state,
                inputs=inputs,
                actor=actor,
            )


@transaction.atomic
def member_absence_set(
    *, team: Team, brief: RolePlay, actor: LtiUser, lti_user_pk: int, absent: bool
) -> TeamMember:
    """Mark a co-animator absent (individual criteria N/E, shared ones still count) or
    present again (their individual criteria are then to grade anew)."""
    team = Team.objects.select_for_update().select_related("placement").get(pk=team.pk)
    members = members_of(team)
    member = next((m for m in members if m.lti_user_id == lti_user_pk), None)
    if member is None:
        raise ValidationFailed(_("Cette personne ne co-anime pas dans cette équipe."))
    member.absent = absent
    member.save(update_fields=["absent", "updated_at"])
    if member.assessment is not None:
        _member_grade(
            member=member,
            placement=team.placement,
            brief=brief,
            state=team_choices(members, brief),
            inputs=inputs_of(team, brief),
            actor=actor,
        )
    return member


def _final_remoderate(
    *,
    result: DomainResult,
    outcome: DomainOutcome,
    choices: Mapping[str, LevelChoice],
    feedback: str,
    actor: LtiUser,
) -> DomainResult | None:
    """A validated domain whose criteria changed since: moderated again, so that the
    history says what changed and the new score is re-posted. ``result_moderate`` takes
    levels with one comment that becomes the criterion's note: each changed criterion goes
    through with its own comment, so every note stays the trainer's."""
    before = earned_of(result)
    now = {c.criterion: c for c in outcome.criteria}
    changed = [code for code, piece in now.items() if before.get(code) != piece.earned]
    if not changed and set(before) != set(now):
        changed = [next(iter(now))]  # only N/E moves: recompute through one criterion
    if not result_stale(result, outcome, feedback):
        return None  # nothing changed: nothing re-posted
    if not changed:
        return result_moderate(
            result=result, actor=actor, feedback=feedback, comment="", finalise=True
        )
    for code in changed:
        piece = now[code]
        result = result_moderate(
            result=result,
            actor=actor,
            criterion_levels={code: round(piece.earned * RUBRIC_LEVEL_MAX / piece.maximum)},
            feedback=feedback,
            comment=choices[code].comment if code in choices else "",
            finalise=True,
        )
    return result


@transaction.atomic
def team_grading_validate(*, team: Team, brief: RolePlay, actor: LtiUser) -> list[DomainResult]:
    """« Valider »: every domain result of the team's students becomes final and goes to
    the passback outbox; after a first validation, only the domains that changed."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    rubric = brief_rubric(brief)
    finalised: list[DomainResult] = []
    graded = [
        m.assessment
        for m in members_of(team)
        if m.assessment is not None and m.assessment.results.exists()
    ]
    if not graded:
        raise ValidationFailed(
            _("Aucun critère n'est encore noté pour cette équipe : il n'y a rien à valider.")
        )
    for assessment in graded:
        choices = stored_choices(assessment)
        grade = rubric_grade(rubric, levels={c: ch.level for c, ch in choices.items()})
        for result in assessment.results.order_by("domain_code"):
            outcome = grade.domains.get(result.domain_code)
            if outcome is None:
                continue  # cannot happen: an all-N/E domain's result is pruned at save
            feedback = domain_feedback(brief, outcome, choices)
            if result.status != ResultStatus.FINAL:
                finalised.append(
                    result_moderate(
                        result=result,
                        actor=actor,
                        feedback=feedback,
                        comment=_("Validation de l'évaluation de l'équipe."),
                        finalise=True,
                    )
                )
            elif (done := _final_remoderate(
                result=result, outcome=outcome, choices=choices, feedback=feedback, actor=actor
            )) is not None:  # fmt: skip
                finalised.append(done)
    return finalised
