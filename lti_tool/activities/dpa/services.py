"""Writes of a DPA case analysis: the student's draft, submission and final reflection; the
trainer's rubric grading and its validation (issue 9, domain.md §8).

Grading goes through the shared rubric engine and grading services: each save of the
grading screen calls ``assessment_grade_rubric`` with every level decided so far (the
tagging score blended at α inside the automatic criterion only), so results exist "to
review" as the trainer goes; validating finalises them through ``result_moderate``, which
writes the passback outbox rows (design.md §5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.dpa.access import case_of
from lti_tool.activities.dpa.case import DpaCase
from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.activities.models import Placement
from lti_tool.activities.selectors import domain_titles
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.rubric import Rubric, RubricGrade
from lti_tool.grading.rules import ActivityKind, ResultStatus
from lti_tool.grading.services import (
    assessment_create,
    assessment_grade_rubric,
    result_moderate,
)
from lti_tool.lti.models import LtiUser

TEXT_MAX = 20_000  # characters per field: far above any word limit, stops abuse
NOT_ASSESSED = "ne"


def word_count(text: str) -> int:
    return len(text.split())


@dataclass(frozen=True)
class Answers:
    """What the analysis form posts (the final reflection is posted on its own)."""

    tags: tuple[str, ...]
    critique: str
    improve: Mapping[str, str]
    self_critique: str


@dataclass(frozen=True)
class PlacedCase:
    """The case of a submission and its rubric as placed: criteria of domains the placement
    switched off (domain.md §5.2) are neither graded nor sent."""

    case: DpaCase
    rubric: Rubric

    @property
    def auto_code(self) -> str | None:
        return next((item.code for item in self.rubric.criteria if item.auto), None)


def placed_case(submission: DpaSubmission, *, language: str = "fr") -> PlacedCase:
    case = case_of(submission.activity_version, language=language)
    disabled = set(submission.placement.disabled_domains or [])
    rubric = Rubric(tuple(c for c in case.rubric().criteria if c.domain not in disabled))
    return PlacedCase(case=case, rubric=rubric)


# --- the student -----------------------------------------------------------------------


@transaction.atomic
def submission_get_or_create(*, placement: Placement, lti_user: LtiUser) -> DpaSubmission:
    """The student's own submission, created as an empty draft on the first visit."""
    submission, _created = DpaSubmission.objects.get_or_create(
        placement=placement,
        lti_user=lti_user,
        defaults={"activity_version": placement.activity_version},
    )
    return submission


def _clean(answers: Answers, case: DpaCase) -> Answers:
    known_tags = {tag.id for tag in case.tags}
    unknown = [tag for tag in answers.tags if tag not in known_tags]
    if unknown:
        raise ValidationFailed(
            _("Repères inconnus dans ce cas : %(tags)s. Rechargez la page.")
            % {"tags": ", ".join(unknown)}
        )
    fields = {field.id for field in case.improve}
    texts = [answers.critique, answers.self_critique, *answers.improve.values()]
    if any(len(text) > TEXT_MAX for text in texts):
        raise ValidationFailed(_("Un des textes est beaucoup trop long pour être enregistré."))
    return Answers(
        tags=tuple(dict.fromkeys(answers.tags)),
        critique=answers.critique.strip(),
        improve={key: text.strip() for key, text in answers.improve.items() if key in fields},
        self_critique=answers.self_critique.strip(),
    )


def _locked_for_update(submission: DpaSubmission, revision: int | None) -> DpaSubmission:
    submission = DpaSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.locked:
        raise Conflict(_("Votre analyse est déjà remise : elle ne peut plus être modifiée."))
    if revision is not None and revision != submission.revision:
        raise Conflict(
            _(
                "Votre brouillon a été enregistré depuis un autre onglet ou un autre appareil. "
                "Rechargez la page pour repartir de la dernière version (copiez d'abord ce "
                "que vous venez d'écrire)."
            ),
            extra={"revision": submission.revision},
        )
    return submission


@transaction.atomic
def submission_save(
    *, submission: DpaSubmission, answers: Answers, revision: int | None
) -> DpaSubmission:
    """Save the draft (autosave or the Save button); a stale revision is refused, never
    silently overwritten."""
    submission = _locked_for_update(submission, revision)
    clean = _clean(answers, case_of(submission.activity_version))
    submission.tags = list(clean.tags)
    submission.critique = clean.critique
    submission.improve = dict(clean.improve)
    submission.self_critique = clean.self_critique
    submission.revision += 1
    submission.save()
    return submission


def submission_problems(answers: Answers, case: DpaCase) -> list[str]:
    """What still prevents submitting: empty fields and word limits exceeded."""
    problems: list[str] = []
    prompts: list[tuple[str, str, int]] = [
        (_("la critique du plan"), answers.critique, case.critique.max_words),
        *(
            (field.label, answers.improve.get(field.id, ""), field.max_words)
            for field in case.improve
        ),
        (_("l'autocritique"), answers.self_critique, case.self_critique.max_words),
    ]
    for label, text, limit in prompts:
        count = word_count(text)
        if not count:
            problems.append(_("« %(field)s » est vide.") % {"field": label})
        elif count > limit:
            problems.append(
                _("« %(field)s » dépasse la limite : %(count)s mots pour %(limit)s au plus.")
                % {"field": label, "count": count, "limit": limit}
            )
    return problems


@transaction.atomic
def submission_submit(
    *, submission: DpaSubmission, answers: Answers, revision: int | None
) -> DpaSubmission:
    """Save the answers and lock them: the tagging is scored, the assessment the trainer
    grades is created, and the alternative plan becomes readable."""
    submission = _locked_for_update(submission, revision)
    placed = placed_case(submission)
    clean = _clean(answers, placed.case)
    problems = submission_problems(clean, placed.case)
    if problems:
        raise ValidationFailed(
            _("Votre analyse ne peut pas encore être remise : %(problems)s")
            % {"problems": " ".join(problems)},
            extra={"problems": problems},
        )
    version = submission.activity_version
    submission.tags = list(clean.tags)
    submission.critique = clean.critique
    submission.improve = dict(clean.improve)
    submission.self_critique = clean.self_critique
    submission.revision += 1
    submission.status = DpaSubmission.Status.SUBMITTED
    submission.submitted_at = timezone.now()
    submission.auto_score = placed.case.tagging_score(clean.tags)
    submission.assessment = assessment_create(
        resource_link=submission.placement.resource_link,
        lti_user=submission.lti_user,
        activity_kind=ActivityKind.DPA,
        activity_title=version.title,
        # The slug, not slug@version: AGS line items stay the same across versions.
        activity_ref=version.activity.slug,
        framework_code=version.framework_code,
        framework_version=version.framework_version,
        criteria=[item.criterion for item in placed.rubric.criteria],
    )
    submission.save()
    return submission


@transaction.atomic
def reflection_save(*, submission: DpaSubmission, text: str, finish: bool) -> DpaSubmission:
    """The final reflection, written after reading the alternative plan; « Terminer » locks
    it too."""
    submission = DpaSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.status == DpaSubmission.Status.DRAFT:
        raise Conflict(_("Remettez d'abord votre analyse : la réflexion finale vient après."))
    if submission.status == DpaSubmission.Status.COMPLETED:
        raise Conflict(_("Votre réflexion finale est déjà enregistrée et close."))
    text = text.strip()
    if len(text) > TEXT_MAX:
        raise ValidationFailed(_("Un des textes est beaucoup trop long pour être enregistré."))
    limit = case_of(submission.activity_version).reflection.max_words
    if finish and not text:
        raise ValidationFailed(_("Écrivez votre réflexion finale avant de terminer."))
    if word_count(text) > limit:
        raise ValidationFailed(
            _("Votre réflexion dépasse la limite : %(count)s mots pour %(limit)s au plus.")
            % {"count": word_count(text), "limit": limit}
        )
    submission.reflection = text
    if finish:
        submission.status = DpaSubmission.Status.COMPLETED
        submission.completed_at = timezone.now()
    submission.save()
    return submission


# --- the trainer -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewEntry:
    """One criterion as the grading screen posts it: ``level`` None = unchanged, "ne" =
    not assessable, else "0".."4"; ``comment`` None = unchanged."""

    code: str
    level: str | None = None
    comment: str | None = None


def _review_update(review: dict[str, Any], entries: Iterable[ReviewEntry], rubric: Rubric) -> None:
    known = {item.code for item in rubric.criteria}
    for entry in entries:
        if entry.code not in known:
            raise ValidationFailed(
                _("Critère inconnu de cette grille : %(code)s.") % {"code": entry.code}
            )
        current = dict(review.get(entry.code) or {})
        if entry.level is not None:
            if entry.level == NOT_ASSESSED:
                current["level"] = None
            elif entry.level in {"0", "1", "2", "3", "4"}:
                current["level"] = int(entry.level)
            else:
                raise ValidationFailed(
                    _("Niveau « %(level)s » inconnu : 0 à 4, ou N/E.") % {"level": entry.level}
                )
            current["decided"] = True
        if entry.comment is not None:
            if len(entry.comment) > TEXT_MAX:
                raise ValidationFailed(_("Ce commentaire est beaucoup trop long."))
            current["comment"] = entry.comment.strip()
        review[entry.code] = current


def review_inputs(
    submission: DpaSubmission, placed: PlacedCase
) -> tuple[dict[str, int | None], dict[str, str], dict[str, Decimal]]:
    """Levels, comments and the automatic score as the rubric engine takes them."""
    review = submission.review or {}
    levels = {code: entry.get("level") for code, entry in review.items()}
    comments = {code: str(entry.get("comment", "")) for code, entry in review.items()}
    auto: dict[str, Decimal] = {}
    if placed.auto_code is not None and submission.auto_score is not None:
        auto[placed.auto_code] = submission.auto_score
    return levels, comments, auto


def _regrade(submission: DpaSubmission, placed: PlacedCase, actor: LtiUser) -> RubricGrade:
    """The whole rubric through the grading service, the tagging blended at α inside the
    automatic criterion only."""
    assert submission.assessment is not None  # noqa: S101 (callers checked it)
    levels, comments, auto = review_inputs(submission, placed)
    grade, _results = assessment_grade_rubric(
        assessment=submission.assessment,
        rubric=placed.rubric,
        levels=levels,
        auto_scores=auto,
        alpha=placed.case.alpha,
        comments=comments,
        assessor=actor,
        domain_titles=domain_titles(submission.activity_version),
    )
    return grade


@transaction.atomic
def review_save(
    *, submission: DpaSubmission, actor: LtiUser, entries: Iterable[ReviewEntry]
) -> RubricGrade:
    """Record the trainer's levels/comments and regrade the whole rubric (saved as they go).

    A change after validation leaves the final results as they are until the trainer
    validates again (a final result changes only through moderation).
    """
    submission = DpaSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.assessment is None:
        raise Conflict(_("Ce travail n'est pas encore remis : il n'y a rien à évaluer."))
    placed = placed_case(submission)
    review = dict(submission.review or {})
    _review_update(review, entries, placed.rubric)
    submission.review = review
    grade = _regrade(submission, placed, actor)
    submission.reviewed_by, submission.reviewed_at = actor, timezone.now()
    submission.validated_at = None
    submission.save()
    return grade


def review_undecided(submission: DpaSubmission, rubric: Rubric) -> list[str]:
    review = submission.review or {}
    return [
        item.code for item in rubric.criteria if not (review.get(item.code) or {}).get("decided")
    ]


@transaction.atomic
def review_validate(*, submission: DpaSubmission, actor: LtiUser) -> DpaSubmission:
    """Finalise every domain result of the submission (→ passback outbox), once each
    criterion has a level or an explicit N/E."""
    submission = DpaSubmission.objects.select_for_update().get(pk=submission.pk)
    if submission.assessment is None:
        raise Conflict(_("Ce travail n'est pas encore remis : il n'y a rien à valider."))
    placed = placed_case(submission)
    undecided = review_undecided(submission, placed.rubric)
    if undecided:
        raise ValidationFailed(
            _("Donnez un niveau (ou N/E) à chaque critère avant de valider : %(codes)s.")
            % {"codes": ", ".join(undecided)},
            extra={"undecided": undecided},
        )
    grade = _regrade(submission, placed, actor)
    for result in submission.assessment.results.all():
        outcome = grade.domains.get(result.domain_code)
        if outcome is None:
            continue  # every criterion of that domain is now N/E: nothing to send
        if result.status != ResultStatus.FINAL:
            result_moderate(result=result, actor=actor, finalise=True)
        elif result.score_20 != outcome.score_20:
            # Regraded after validation: the new rubric score replaces the final one and
            # is sent again (domain.md §4.3, "Regrading").
            result_moderate(
                result=result,
                actor=actor,
                score_override=outcome.score_20,
                comment=_("Nouvelle évaluation sur la grille."),
                finalise=True,
            )
    submission.validated_at = timezone.now()
    submission.save(update_fields=["validated_at", "updated_at"])
    return submission
