"""Reads behind the grading screens: moderation queue, result evidence, passback board and
a student's own results.

Everything is scoped by the caller to one course (a Context) or to one student: views pass
the launch's context or user, never an id taken from the page alone (design.md §6). Nothing
here sums or averages across domains (domain.md §0 point 1): each domain stays a row or a
column of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import NotFound
from lti_tool.grading.feedback import (
    INDICATOR_LABELS,
    READING_LABELS,
    IndicatorReading,
    indicator_reading,
)
from lti_tool.grading.models import (
    Assessment,
    CriterionScore,
    DomainResult,
    Passback,
    ResultChange,
)
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX, Reading, ResultStatus, reading
from lti_tool.lti.models import Context, LtiUser, Membership

_RESULT_RELATED = ("assessment__lti_user", "assessment__resource_link")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _course_results(*, context: Context) -> QuerySet[DomainResult]:
    return DomainResult.objects.filter(assessment__resource_link__context=context).select_related(
        *_RESULT_RELATED
    )


# --- moderation queue ----------------------------------------------------------------


@dataclass(frozen=True)
class ModerationQueue:
    to_review: list[DomainResult]
    proposed: list[DomainResult]


def moderation_queue(*, context: Context) -> ModerationQueue:
    """Results of this course waiting for a trainer, oldest first (they have waited longest).

    Proposed results (work not complete yet) are listed apart: a trainer may look, but
    they are not asking for a decision yet.
    """
    waiting = _course_results(context=context).filter(
        status__in=[ResultStatus.TO_REVIEW, ResultStatus.PROPOSED]
    )
    ordered = list(waiting.order_by("created_at", "pk"))
    return ModerationQueue(
        to_review=[r for r in ordered if r.status == ResultStatus.TO_REVIEW],
        proposed=[r for r in ordered if r.status == ResultStatus.PROPOSED],
    )


def result_find(*, context: Context, result_pk: int) -> DomainResult | None:
    return _course_results(context=context).filter(pk=result_pk).first()


def result_get(*, context: Context, result_pk: int) -> DomainResult:
    """A result of this course; another course's result is "not found" for this trainer."""
    result = result_find(context=context, result_pk=result_pk)
    if result is None:
        raise NotFound(_("Ce résultat n'existe pas dans ce cours."))
    return result


# --- evidence behind one result ------------------------------------------------------


@dataclass(frozen=True)
class CriterionEvidence:
    """One criterion of the result's domain: what the score was computed from."""

    code: str
    label: str
    weight: Decimal
    earned: Decimal | None  # None: N/E, left out of the denominator (domain.md §4.1)
    maximum: Decimal | None
    ratio: Decimal | None
    flagged: bool
    scores: list[CriterionScore] = field(default_factory=list)

    @property
    def assessed(self) -> bool:
        return self.ratio is not None

    @property
    def percent(self) -> Decimal | None:
        return None if self.ratio is None else (self.ratio * 100).quantize(Decimal(1))

    @property
    def current_level(self) -> int | None:
        """The rubric level 0..4 the ratio stands for, when it stands for one exactly."""
        if self.ratio is None:
            return None
        level = self.ratio * RUBRIC_LEVEL_MAX
        return int(level) if level == level.to_integral_value() else None


@dataclass(frozen=True)
class ResultDetail:
    result: DomainResult
    criteria: list[CriterionEvidence]
    other_results: list[DomainResult]
    history: list[ResultChange]


def _criteria_evidence(result: DomainResult) -> list[CriterionEvidence]:
    assessment = result.assessment
    computed = {str(e["criterion"]): e for e in result.evidence or []}
    scores: dict[str, list[CriterionScore]] = {}
    for score in (
        assessment.scores.filter(domain_code=result.domain_code)
        .select_related("assessor")
        .order_by("created_at", "pk")
    ):
        scores.setdefault(score.criterion_code, []).append(score)
    rows = []
    for criterion in assessment.criteria:
        if criterion.get("domain") != result.domain_code:
            continue  # another domain's criterion never weighs on this result
        code = str(criterion["code"])
        piece = computed.get(code, {})
        rows.append(
            CriterionEvidence(
                code=code,
                label=str(criterion.get("label") or code),
                weight=_decimal(criterion.get("weight", 1)) or Decimal(1),
                earned=_decimal(piece["earned"]) if piece else None,
                maximum=_decimal(piece["maximum"]) if piece else None,
                ratio=_decimal(piece["ratio"]) if piece else None,
                flagged=bool(piece.get("flagged")),
                scores=scores.get(code, []),
            )
        )
    return rows


def result_detail(*, result: DomainResult) -> ResultDetail:
    others = (
        DomainResult.objects.filter(assessment_id=result.assessment_id)
        .exclude(pk=result.pk)
        .order_by("domain_code")
    )
    history = ResultChange.objects.filter(result=result).select_related("actor")
    return ResultDetail(
        result=result,
        criteria=_criteria_evidence(result),
        other_results=list(others),
        history=list(history.order_by("created_at", "pk")),
    )


# --- passback board ------------------------------------------------------------------


@dataclass(frozen=True)
class PassbackEntry:
    """One activity's result in one domain for one student, and its latest send."""

    result: DomainResult
    passback: Passback | None  # the newest row that is not superseded

    @property
    def final(self) -> bool:
        return self.result.status == ResultStatus.FINAL


@dataclass(frozen=True)
class BoardRow:
    student: LtiUser
    cells: list[list[PassbackEntry]]  # aligned with PassbackBoard.domains


@dataclass(frozen=True)
class BoardDomain:
    code: str
    title: str


@dataclass(frozen=True)
class PassbackBoard:
    domains: list[BoardDomain]
    rows: list[BoardRow]
    failed_count: int


def _board_domains(results: Sequence[DomainResult]) -> list[BoardDomain]:
    titles: dict[str, str] = {}
    for result in results:
        if not titles.get(result.domain_code):
            titles[result.domain_code] = result.domain_title
    return [BoardDomain(code, titles[code]) for code in sorted(titles)]


def passback_board(*, context: Context) -> PassbackBoard:
    """Students × domains of this course; a cell lists the counting result of each activity
    in that domain with its latest passback. There is deliberately no total column."""
    live = Passback.objects.exclude(status=Passback.Status.SUPERSEDED).order_by(
        "-created_at", "-pk"
    )
    results = list(
        _course_results(context=context)
        .filter(assessment__counts=True)
        .prefetch_related(
            Prefetch("passbacks", queryset=live.prefetch_related("attempts"), to_attr="live")
        )
        .order_by("assessment__resource_link__title", "assessment__created_at", "pk")
    )
    domains = _board_domains(results)
    by_cell: dict[tuple[int, str], list[PassbackEntry]] = {}
    failed = 0
    for result in results:
        latest = result.live[0] if result.live else None
        failed += int(latest is not None and latest.status == Passback.Status.FAILED)
        key = (result.assessment.lti_user_id, result.domain_code)
        by_cell.setdefault(key, []).append(PassbackEntry(result=result, passback=latest))
    students = (
        Membership.objects.filter(context=context, is_student=True)
        .select_related("lti_user")
        .order_by("lti_user__family_name", "lti_user__given_name", "lti_user__name", "pk")
    )
    rows = [
        BoardRow(
            student=m.lti_user,
            cells=[by_cell.get((m.lti_user_id, d.code), []) for d in domains],
        )
        for m in students
    ]
    return PassbackBoard(domains=domains, rows=rows, failed_count=failed)


def passback_get(*, context: Context, passback_pk: int) -> Passback:
    passback = (
        Passback.objects.filter(pk=passback_pk, result__assessment__resource_link__context=context)
        .select_related("result")
        .first()
    )
    if passback is None:
        raise NotFound(_("Cet envoi de note n'existe pas dans ce cours."))
    return passback


# --- a student's own results ---------------------------------------------------------


@dataclass(frozen=True)
class CriterionFeedback:
    code: str
    label: str
    reading: IndicatorReading

    @property
    def reading_label(self) -> str:
        return str(INDICATOR_LABELS[self.reading])


@dataclass(frozen=True)
class StudentDomainResult:
    """A domain result as its student may see it: the score only once final."""

    code: str
    title: str
    final: bool
    score_20: Decimal | None = None
    reading: Reading | None = None
    feedback: str = ""
    criteria: list[CriterionFeedback] = field(default_factory=list)

    @property
    def reading_label(self) -> str:
        return str(READING_LABELS[self.reading]) if self.reading else ""


@dataclass(frozen=True)
class StudentActivityResults:
    title: str
    resource_link_id: int
    current: bool
    submitted_at: Any
    domains: list[StudentDomainResult]


def _student_domain(result: DomainResult, labels: dict[str, str]) -> StudentDomainResult:
    if result.status != ResultStatus.FINAL:
        # A proposed score may still change: the student sees that it is waiting, not
        # the number (nor the criteria it came from).
        return StudentDomainResult(code=result.domain_code, title=result.domain_title, final=False)
    criteria = [
        CriterionFeedback(
            code=str(piece["criterion"]),
            label=labels.get(str(piece["criterion"]), str(piece["criterion"])),
            reading=indicator_reading(_decimal(piece.get("ratio")) or Decimal(0)),
        )
        for piece in result.evidence or []
    ]
    return StudentDomainResult(
        code=result.domain_code,
        title=result.domain_title,
        final=True,
        score_20=result.score_20,
        reading=reading(result.score_20),
        feedback=result.feedback,
        criteria=criteria,
    )


def student_results(
    *, lti_user: LtiUser, context: Context, current_resource_link_pk: int | None = None
) -> list[StudentActivityResults]:
    """The results of this student only, in this course: the current activity first."""
    assessments = (
        Assessment.objects.filter(lti_user=lti_user, resource_link__context=context, counts=True)
        .select_related("resource_link")
        .prefetch_related(
            Prefetch("results", queryset=DomainResult.objects.order_by("domain_code"))
        )
        .order_by("resource_link__title", "created_at", "pk")
    )
    activities = []
    for assessment in assessments:
        labels = {str(c["code"]): str(c.get("label") or c["code"]) for c in assessment.criteria}
        activities.append(
            StudentActivityResults(
                title=assessment.activity_title or assessment.resource_link.title,
                resource_link_id=assessment.resource_link_id,
                current=assessment.resource_link_id == current_resource_link_pk,
                submitted_at=assessment.submitted_at,
                domains=[_student_domain(r, labels) for r in assessment.results.all()],
            )
        )
    activities.sort(key=lambda a: not a.current)  # stable: keeps the title order otherwise
    return activities
