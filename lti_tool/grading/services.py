"""Writes of the grading app: grade an assessment, moderate, finalise, schedule passback.

Every write that finalises a result also writes its Passback row in the same transaction
and enqueues the send only after commit (design.md §5.1): a crash between the two leaves a
pending row that the periodic sweep picks up, never a lost grade.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from lti_tool.grading.models import (
    Assessment,
    CriterionScore,
    DomainResult,
    Passback,
    ResultChange,
)
from lti_tool.grading.rubric import DEFAULT_ALPHA, DEFAULT_BETA, Rubric, RubricGrade, rubric_grade
from lti_tool.grading.rules import (
    ActivityKind,
    Criterion,
    DomainOutcome,
    Evidence,
    ResultStatus,
    RuleError,
    domain_outcomes,
    initial_status,
    level_evidence,
)
from lti_tool.lti.models import Context, LtiUser, ResourceLink


def _criteria_of(assessment: Assessment) -> list[Criterion]:
    return [
        Criterion(
            code=c["code"],
            domain=c["domain"],
            weight=Decimal(str(c.get("weight", 1))),
            competences=tuple(c.get("competences", ())),
            label=c.get("label", ""),
        )
        for c in assessment.criteria
    ]


def _criterion_as_json(criterion: Criterion) -> dict[str, Any]:
    data = asdict(criterion)
    data["weight"] = str(criterion.weight)
    data["competences"] = list(criterion.competences)
    return data


def _snapshot(result: DomainResult) -> dict[str, Any]:
    return {"score_20": str(result.score_20), "status": result.status, "feedback": result.feedback}


@transaction.atomic
def assessment_create(
    *,
    resource_link: ResourceLink,
    lti_user: LtiUser,
    activity_kind: ActivityKind,
    activity_title: str,
    activity_ref: str,
    framework_code: str,
    framework_version: int,
    criteria: Sequence[Criterion],
    review_requested: bool = False,
) -> Assessment:
    if not criteria:
        raise ValidationFailed(_("Une activité évaluée doit déclarer au moins un critère."))
    return Assessment.objects.create(
        resource_link=resource_link,
        lti_user=lti_user,
        activity_kind=activity_kind,
        activity_title=activity_title,
        activity_ref=activity_ref,
        framework_code=framework_code,
        framework_version=framework_version,
        criteria=[_criterion_as_json(c) for c in criteria],
        # The first domain declared goes to the launch's own grade column (design.md §4).
        primary_domain=criteria[0].domain,
        review_requested=review_requested,
    )


def _evidence_of(assessment: Assessment) -> list[Evidence]:
    return [
        Evidence(
            criterion=s.criterion_code,
            earned=s.earned,
            maximum=s.maximum,
            ethics_flag=s.ethics_flag,
            source=s.source,
            note=s.note,
        )
        for s in assessment.scores.filter(superseded=False).order_by("pk")
    ]


def _outcome_evidence(outcome: DomainOutcome) -> list[dict[str, Any]]:
    return [
        {
            "criterion": c.criterion,
            "weight": str(c.weight),
            "earned": str(c.earned),
            "maximum": str(c.maximum),
            "ratio": str(round(c.ratio, 4)),
            "flagged": c.flagged,
            "pieces": c.pieces,
        }
        for c in outcome.criteria
    ]


def _results_recompute(
    *, assessment: Assessment, actor: LtiUser | None, complete: bool, domain_titles: dict[str, str]
) -> list[DomainResult]:
    try:
        outcomes = domain_outcomes(_criteria_of(assessment), _evidence_of(assessment))
    except RuleError as error:
        raise ValidationFailed(str(error)) from error
    kind = ActivityKind(assessment.activity_kind)
    # A regrade may withdraw a domain's last evidence (a trainer turns its criteria to N/E):
    # that domain then has no result — not 0 (domain.md §4.1) — unless it is already final,
    # which only moderation changes.
    DomainResult.objects.filter(assessment=assessment).exclude(domain_code__in=outcomes).exclude(
        status=ResultStatus.FINAL
    ).delete()
    results = []
    for domain, outcome in outcomes.items():
        result = DomainResult.objects.filter(assessment=assessment, domain_code=domain).first()
        if result is not None and result.status == ResultStatus.FINAL:
            results.append(result)  # a final result changes only through moderation
            continue
        status = initial_status(
            kind,
            flagged=outcome.flagged,
            review_requested=assessment.review_requested,
            complete=complete,
        )
        before = _snapshot(result) if result else {}
        result = result or DomainResult(assessment=assessment, domain_code=domain)
        result.domain_title = domain_titles.get(domain, result.domain_title)
        result.score_20 = result.computed_score_20 = outcome.score_20
        result.status = status
        result.flagged = outcome.flagged
        result.rule = outcome.rule
        result.evidence = _outcome_evidence(outcome)
        if status == ResultStatus.FINAL:
            result.finalised_at = timezone.now()
        result.save()
        ResultChange.objects.create(
            result=result,
            actor=actor,
            action=ResultChange.Action.COMPUTED,
            before=before,
            after=_snapshot(result),
        )
        # Only the attempt that counts (first/best/last, the activity's setting) feeds the
        # gradebook; the others keep their results for the student and the trainer.
        if status == ResultStatus.FINAL and assessment.counts:
            passback_schedule(result=result)
        results.append(result)
    return results


@transaction.atomic
def assessment_grade(
    *,
    assessment: Assessment,
    evidence: Sequence[Evidence],
    complete: bool = True,
    domain_titles: dict[str, str] | None = None,
    assessor: LtiUser | None = None,
) -> list[DomainResult]:
    """Record evidence and (re)compute the per-domain results of an assessment.

    Domains without evidence get no DomainResult at all (not assessed ≠ 0).
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    domains = {c["code"]: c["domain"] for c in assessment.criteria}
    for item in evidence:
        if item.criterion not in domains:
            raise ValidationFailed(
                _("Preuve pour un critère inconnu de cette activité : %(code)s.")
                % {"code": item.criterion}
            )
        CriterionScore.objects.create(
            assessment=assessment,
            criterion_code=item.criterion,
            domain_code=domains[item.criterion],
            earned=item.earned,
            maximum=item.maximum,
            ethics_flag=item.ethics_flag,
            source=item.source,
            assessor=assessor,
            note=item.note,
        )
    if complete and assessment.submitted_at is None:
        assessment.submitted_at = timezone.now()
        assessment.save(update_fields=["submitted_at", "updated_at"])
    return _results_recompute(
        assessment=assessment, actor=assessor, complete=complete, domain_titles=domain_titles or {}
    )


def _trainer_check(*, result: DomainResult, actor: LtiUser) -> None:
    context = result.assessment.resource_link.context
    if not actor.memberships.filter(context=context, is_trainer=True).exists():
        raise PermissionDenied(
            _("Seul·e un·e formateur·rice de ce cours peut modérer ce résultat.")
        )


@transaction.atomic
def result_moderate(
    *,
    result: DomainResult,
    actor: LtiUser,
    criterion_levels: dict[str, int] | None = None,
    score_override: Decimal | None = None,
    feedback: str = "",
    comment: str = "",
    finalise: bool = True,
) -> DomainResult:
    """A trainer confirms or overrides a domain result, per criterion (levels 0–4) or as a
    whole (a /20 score), with a comment kept in the history; finalising schedules passback.
    """
    result = DomainResult.objects.select_for_update().select_related("assessment").get(pk=result.pk)
    _trainer_check(result=result, actor=actor)
    if score_override is not None and not Decimal(0) <= score_override <= Decimal(20):
        raise ValidationFailed(_("La note doit être comprise entre 0 et 20."))
    assessment = result.assessment
    own = {c["code"] for c in assessment.criteria if c["domain"] == result.domain_code}
    before = _snapshot(result)
    for code, level in (criterion_levels or {}).items():
        if code not in own:
            raise ValidationFailed(
                _("Le critère %(code)s n'appartient pas au domaine %(domain)s.")
                % {"code": code, "domain": result.domain_code}
            )
        try:
            piece = level_evidence(
                code, int(level), source=CriterionScore.Source.TRAINER, note=comment
            )
        except RuleError as error:
            raise ValidationFailed(str(error)) from error
        assessment.scores.filter(criterion_code=code, superseded=False).update(superseded=True)
        CriterionScore.objects.create(
            assessment=assessment,
            criterion_code=code,
            domain_code=result.domain_code,
            earned=piece.earned,
            maximum=piece.maximum,
            source=CriterionScore.Source.TRAINER,
            assessor=actor,
            note=comment,
        )
    if criterion_levels:
        outcome = domain_outcomes(_criteria_of(assessment), _evidence_of(assessment))[
            result.domain_code
        ]
        result.score_20 = result.computed_score_20 = outcome.score_20
        result.rule = outcome.rule
        result.evidence = _outcome_evidence(outcome)
        result.flagged = outcome.flagged
    if score_override is not None:
        result.score_20 = score_override.quantize(Decimal("0.01"))
    if feedback:
        result.feedback = feedback
    changed = criterion_levels or score_override is not None
    result.moderated_by, result.moderated_at = actor, timezone.now()
    if finalise:
        result.status = ResultStatus.FINAL
        result.finalised_at = timezone.now()
    result.save()
    action = ResultChange.Action.OVERRIDDEN if changed else ResultChange.Action.CONFIRMED
    ResultChange.objects.create(
        result=result,
        actor=actor,
        action=action,
        before=before,
        after=_snapshot(result),
        comment=comment,
    )
    if result.status == ResultStatus.FINAL and assessment.counts:
        passback_schedule(result=result)
    return result


def passback_schedule(*, result: DomainResult) -> Passback:
    """Write the outbox row for a final result and send it after commit.

    A newer row supersedes older unsent ones: the gradebook must end with the latest grade,
    and AGS scores are "latest timestamp wins" (AGS 2.0 §3.4).
    """
    from lti_tool.grading.tasks import passback_send  # tasks import services

    if result.status != ResultStatus.FINAL:
        raise Conflict(_("Seul un résultat validé est envoyé au carnet de notes."))
    result.passbacks.filter(status__in=[Passback.Status.PENDING, Passback.Status.FAILED]).update(
        status=Passback.Status.SUPERSEDED
    )
    passback = Passback.objects.create(
        result=result,
        score_given=result.score_20,
        comment=result.feedback[:1000],
        next_try_at=timezone.now(),
    )
    passback_send.delay_on_commit(passback.pk)
    return passback


@transaction.atomic
def passback_resend(*, passback: Passback, actor: LtiUser | None) -> Passback:
    """A trainer asks to send a failed (or stuck) score again: a fresh outbox row."""
    result = DomainResult.objects.select_for_update().get(pk=passback.result_id)
    if actor is not None:
        _trainer_check(result=result, actor=actor)
    if result.status != ResultStatus.FINAL:
        raise Conflict(_("Ce résultat n'est pas validé : il n'y a rien à renvoyer."))
    ResultChange.objects.create(
        result=result,
        actor=actor,
        action=ResultChange.Action.RESENT,
        before={},
        after=_snapshot(result),
    )
    return passback_schedule(result=result)


@transaction.atomic
def passbacks_resend_failed(*, context: Context, actor: LtiUser) -> list[Passback]:
    """The board's « Renvoyer tous les échecs »: one fresh outbox row per result of the
    course whose latest send failed (each resend is kept in the result's history)."""
    failed = Passback.objects.filter(
        status=Passback.Status.FAILED, result__assessment__resource_link__context=context
    ).order_by("created_at", "pk")
    resent: list[Passback] = []
    seen: set[int] = set()
    for passback in failed:
        if passback.result_id in seen:
            continue
        seen.add(passback.result_id)
        resent.append(passback_resend(passback=passback, actor=actor))
    return resent


def _rubric_matches(*, rubric: Rubric, assessment: Assessment) -> None:
    """The rubric must be the one the assessment was created with: grades keep the rubric
    version they used (domain.md §4.5)."""
    declared = {c.code: c for c in _criteria_of(assessment)}
    given = {item.code: item.criterion for item in rubric.criteria}
    if set(given) != set(declared):
        raise ValidationFailed(
            _(
                "Cette grille ne correspond pas aux critères de l'activité évaluée "
                "(attendus : %(codes)s)."
            )
            % {"codes": ", ".join(sorted(declared))}
        )
    for code, criterion in given.items():
        own = declared[code]
        if (criterion.domain, criterion.weight) != (own.domain, own.weight):
            raise ValidationFailed(
                _(
                    "Le critère %(code)s n'a plus le même domaine ou le même poids que lors "
                    "de la création de l'évaluation."
                )
                % {"code": code}
            )


@transaction.atomic
def assessment_grade_rubric(
    *,
    assessment: Assessment,
    rubric: Rubric,
    levels: Mapping[str, int | None],
    auto_scores: Mapping[str, Decimal] | None = None,
    peer_levels: Mapping[str, Sequence[int]] | None = None,
    alpha: Decimal = DEFAULT_ALPHA,
    beta: Decimal = DEFAULT_BETA,
    comments: Mapping[str, str] | None = None,
    assessor: LtiUser,
    domain_titles: dict[str, str] | None = None,
) -> tuple[RubricGrade, list[DomainResult]]:
    """A trainer grades a written submission (DSL canvas, DPA case) on its rubric.

    The grade replaces the trainer's previous rubric grade of this assessment (the grading
    screen saves as the trainer goes): earlier evidence of the rubric's criteria is kept but
    superseded, then the new evidence goes through ``assessment_grade`` so statuses, history
    and passback behave exactly as for any other evidence (a final result changes only
    through moderation). Returns the per-criterion grades (reading, peer suggestion) with
    the stored domain results.
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment.pk)
    context = assessment.resource_link.context
    if not assessor.memberships.filter(context=context, is_trainer=True).exists():
        raise PermissionDenied(_("Seul·e un·e formateur·rice de ce cours peut évaluer ce travail."))
    _rubric_matches(rubric=rubric, assessment=assessment)
    try:
        grade = rubric_grade(
            rubric,
            levels=levels,
            auto_scores=auto_scores,
            peer_levels=peer_levels,
            alpha=alpha,
            beta=beta,
            comments=comments,
        )
    except RuleError as error:
        raise ValidationFailed(str(error)) from error
    assessment.scores.filter(
        criterion_code__in=[item.code for item in rubric.criteria], superseded=False
    ).update(superseded=True)
    results = assessment_grade(
        assessment=assessment,
        evidence=grade.evidence,
        domain_titles=domain_titles,
        assessor=assessor,
    )
    return grade, results
