"""Reads of a DPA case analysis: the student's pages, the trainer's list and grading screen,
the student's feedback once final (issue 9)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from lti_tool.activities.dpa.case import DpaCase, Tag
from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.activities.dpa.peers import peer_summary
from lti_tool.activities.dpa.services import (
    Answers,
    PlacedCase,
    placed_case,
    review_inputs,
    review_undecided,
    submission_problems,
    word_count,
)
from lti_tool.activities.models import Placement
from lti_tool.core.exceptions import NotFound
from lti_tool.grading.feedback import INDICATOR_LABELS, READING_LABELS, IndicatorReading
from lti_tool.grading.models import DomainResult
from lti_tool.grading.peer_review import PeerSummary
from lti_tool.grading.rubric import RubricGrade, rubric_grade
from lti_tool.grading.rules import DomainOutcome, ResultStatus, reading
from lti_tool.lti.models import LtiUser, Membership


def answers_of(submission: DpaSubmission) -> Answers:
    return Answers(
        tags=tuple(submission.tags or ()),
        critique=submission.critique,
        improve=dict(submission.improve or {}),
        self_critique=submission.self_critique,
    )


def draft_problems(submission: DpaSubmission, case: DpaCase) -> list[str]:
    """What the stored draft still lacks before it can be submitted."""
    return submission_problems(answers_of(submission), case)


@dataclass(frozen=True)
class TagOutcome:
    """A checklist item after submission: what the student ticked against the key."""

    tag: Tag
    ticked: bool

    @property
    def right(self) -> bool:
        return self.ticked == self.tag.expected


def tag_outcomes(submission: DpaSubmission, case: DpaCase) -> list[TagOutcome]:
    ticked = set(submission.tags or ())
    return [TagOutcome(tag=tag, ticked=tag.id in ticked) for tag in case.tags]


# --- the student's feedback ------------------------------------------------------------


@dataclass(frozen=True)
class CriterionFeedback:
    code: str
    label: str
    domain: str
    reading: IndicatorReading | None  # None = N/E
    comment: str

    @property
    def reading_label(self) -> str:
        return str(INDICATOR_LABELS[self.reading]) if self.reading else _("non évalué (N/E)")


@dataclass(frozen=True)
class DomainFeedback:
    code: str
    title: str
    score_20: Decimal
    criteria: list[CriterionFeedback] = field(default_factory=list)

    @property
    def reading(self) -> str:
        return reading(self.score_20).value

    @property
    def reading_label(self) -> str:
        return str(READING_LABELS[reading(self.score_20)])


@dataclass(frozen=True)
class StudentFeedback:
    domains: list[DomainFeedback]  # final ones only
    pending: bool  # some result is still waiting for the trainer


def student_feedback(submission: DpaSubmission) -> StudentFeedback:
    """Per-domain results and per-criterion feedback (acquis / en cours / non acquis and the
    trainer's comment), for the domains whose result is final only."""
    if submission.assessment is None:
        return StudentFeedback(domains=[], pending=False)
    results = list(submission.assessment.results.order_by("pk"))
    placed = placed_case(submission)
    grade = _grade(submission, placed)
    final = {r.domain_code: r for r in results if r.status == ResultStatus.FINAL}
    labels = {item.code: item.criterion.label for item in placed.rubric.criteria}
    domains = []
    for domain in placed.case.domains():
        result = final.get(domain)
        if result is None:
            continue
        criteria = [
            CriterionFeedback(
                code=item.criterion,
                label=labels[item.criterion],
                domain=item.domain,
                reading=item.reading,
                comment=item.comment,
            )
            for item in grade.criteria
            if item.domain == domain
        ]
        domains.append(
            DomainFeedback(
                code=domain, title=result.domain_title, score_20=result.score_20, criteria=criteria
            )
        )
    pending = any(r.status != ResultStatus.FINAL for r in results) or (
        not results and submission.validated_at is None
    )
    return StudentFeedback(domains=domains, pending=pending)


def _grade(submission: DpaSubmission, placed: PlacedCase) -> RubricGrade:
    levels, comments, auto = review_inputs(submission, placed)
    return rubric_grade(
        placed.rubric, levels=levels, auto_scores=auto, alpha=placed.case.alpha, comments=comments
    )


# --- the trainer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmissionRow:
    student: LtiUser
    submission: DpaSubmission | None
    reviews_assigned: int = 0  # peer reviews of this analysis given out / sent
    reviews_sent: int = 0

    @property
    def status_label(self) -> str:
        if self.submission is None:
            return _("pas commencé")
        return str(self.submission.get_status_display())

    @property
    def gradable(self) -> bool:
        return self.submission is not None and self.submission.locked

    @property
    def results(self) -> list[DomainResult]:
        """The submission's per-domain results so far (to review or final), by domain."""
        if self.submission is None or self.submission.assessment is None:
            return []
        return sorted(self.submission.assessment.results.all(), key=lambda r: r.domain_code)


def _students(placement: Placement) -> list[LtiUser]:
    memberships = (
        Membership.objects.filter(
            context=placement.resource_link.context, is_student=True, is_trainer=False
        )
        .select_related("lti_user")
        .order_by("lti_user__family_name", "lti_user__given_name", "lti_user__pk")
    )
    return [m.lti_user for m in memberships]


def submission_rows(*, placement: Placement) -> list[SubmissionRow]:
    """Every student of the course with their submission (or none yet), by name."""
    submissions = {
        s.lti_user_id: s
        for s in DpaSubmission.objects.filter(placement=placement)
        .select_related("lti_user", "assessment")
        .prefetch_related("assessment__results")
        .annotate(
            peers_assigned=Count("peer_reviews"),
            peers_sent=Count("peer_reviews", filter=Q(peer_reviews__submitted_at__isnull=False)),
        )
    }
    students = _students(placement)
    known = {s.pk for s in students}
    # A student who launched but whose membership was not recorded still appears.
    extra = [s.lti_user for s in submissions.values() if s.lti_user_id not in known]
    return [_row(s, submissions.get(s.pk)) for s in [*students, *extra]]


def _row(student: LtiUser, submission: DpaSubmission | None) -> SubmissionRow:
    return SubmissionRow(
        student=student,
        submission=submission,
        reviews_assigned=getattr(submission, "peers_assigned", 0),
        reviews_sent=getattr(submission, "peers_sent", 0),
    )


def first_to_grade(rows: list[SubmissionRow]) -> DpaSubmission | None:
    """Where keyboard grading starts: the first submitted analysis not validated yet (all
    validated: the first one)."""
    gradable = [row.submission for row in rows if row.gradable and row.submission is not None]
    return next((s for s in gradable if s.validated_at is None), None) or next(iter(gradable), None)


def submission_get(*, placement: Placement, submission_pk: int) -> DpaSubmission:
    submission = (
        DpaSubmission.objects.filter(placement=placement, pk=submission_pk)
        .select_related("lti_user", "assessment", "activity_version__activity")
        .first()
    )
    if submission is None:
        raise NotFound(_("Ce travail n'existe pas dans cette étude de cas."))
    return submission


@dataclass(frozen=True)
class CriterionReview:
    """One row of the grading screen: the criterion, its descriptors, what is decided."""

    code: str
    label: str
    domain: str
    weight: Decimal
    descriptors: tuple[str, ...]
    auto: bool
    decided: bool
    level: int | None
    comment: str
    auto_score: Decimal | None
    reading: IndicatorReading | None
    auto_note: str = ""
    # The peers' median on this criterion, as input only (β = 0: it does not move the grade).
    peer_note: str = ""


@dataclass(frozen=True)
class GradingScreen:
    submission: DpaSubmission
    case: DpaCase
    criteria: list[CriterionReview]
    domains: dict[str, DomainOutcome]  # as the current levels would give them
    results: list[DomainResult]
    undecided: list[str]
    tags: list[TagOutcome]
    previous_pk: int | None
    next_pk: int | None
    position: int
    count: int
    peer_comments: list[str] = field(default_factory=list)

    @property
    def auto_percent(self) -> Decimal | None:
        score = self.submission.auto_score
        return None if score is None else (score * 100).quantize(Decimal(1))

    def answer(self, field_id: str) -> str:
        return str((self.submission.improve or {}).get(field_id, ""))


def _neighbours(submission: DpaSubmission) -> tuple[int | None, int | None, int, int]:
    """Previous/next gradable submission in the list's order (by student name)."""
    rows = [
        row.submission.pk
        for row in submission_rows(placement=submission.placement)
        if row.gradable and row.submission is not None
    ]
    if submission.pk not in rows:
        return None, None, 0, len(rows)
    index = rows.index(submission.pk)
    previous = rows[index - 1] if index > 0 else None
    following = rows[index + 1] if index + 1 < len(rows) else None
    return previous, following, index + 1, len(rows)


def _auto_note(submission: DpaSubmission, placed: PlacedCase) -> str:
    if submission.auto_score is None:
        return ""
    return _(
        "Partie automatique : repérage des failles à %(percent)s %%, compté pour %(alpha)s %% "
        "de ce critère (le reste est votre niveau)."
    ) % {
        "percent": (submission.auto_score * 100).quantize(Decimal(1)),
        "alpha": (placed.case.alpha * 100).quantize(Decimal(1)),
    }


def _peer_note(peers: PeerSummary, code: str) -> str:
    median = peers.median(code)
    if median is None:
        return ""
    return _("Avis des pairs (%(n)s, formatif, sans effet sur la note) : médiane %(median)s.") % {
        "n": peers.count(code),
        "median": median,
    }


def grading_screen(*, submission: DpaSubmission, language: str = "fr") -> GradingScreen:
    placed = placed_case(submission, language=language)
    grade = _grade(submission, placed)
    peers = peer_summary(submission)
    review = submission.review or {}
    by_code = {item.criterion: item for item in grade.criteria}
    criteria = [
        CriterionReview(
            code=item.code,
            label=item.criterion.label,
            domain=item.domain,
            weight=item.criterion.weight,
            descriptors=item.descriptors,
            auto=item.auto,
            decided=bool((review.get(item.code) or {}).get("decided")),
            level=(review.get(item.code) or {}).get("level"),
            comment=str((review.get(item.code) or {}).get("comment", "")),
            auto_score=submission.auto_score if item.auto else None,
            reading=by_code[item.code].reading,
            auto_note=_auto_note(submission, placed) if item.auto else "",
            peer_note=_peer_note(peers, item.code),
        )
        for item in placed.rubric.criteria
    ]
    previous, following, position, count = _neighbours(submission)
    results = list(submission.assessment.results.order_by("pk")) if submission.assessment else []
    return GradingScreen(
        submission=submission,
        case=placed.case,
        criteria=criteria,
        domains=grade.domains,
        results=results,
        undecided=review_undecided(submission, placed.rubric),
        tags=tag_outcomes(submission, placed.case),
        previous_pk=previous,
        next_pk=following,
        position=position,
        count=count,
        peer_comments=peers.comments,
    )


def words_of(text: str) -> int:
    return word_count(text)
