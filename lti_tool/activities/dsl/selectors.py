"""Reads of the DSL canvas, and who may see what (design.md §6).

Every view starts with ``dsl_access``: 401 without a launch (the decorator), 403 for a
trainer of another course or a student who launched another link, 404 when the link holds
no DSL project. A student then reaches only their own canvas; the trainer every canvas of
the placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from lti_tool.activities.dsl.canvas import auto_scores, fields_normalised
from lti_tool.activities.dsl.content import DslBrief, dsl_from_json
from lti_tool.activities.dsl.models import (
    Canvas,
    CanvasMember,
    CanvasRevision,
    DilemmaChoice,
    DslSetup,
)
from lti_tool.activities.models import Placement
from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.core.exceptions import ApplicationError, NotFound, PermissionDenied
from lti_tool.grading.feedback import INDICATOR_LABELS, READING_LABELS
from lti_tool.grading.models import DomainResult
from lti_tool.grading.rubric import rubric_grade
from lti_tool.grading.rules import ActivityKind, ResultStatus
from lti_tool.grading.rules import reading as reading_of
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.models import LtiUser, ResourceLink


def _bound(resource_link_pk: int, actor: LtiUser | None) -> None:
    """Bind a link from its Moodle custom parameter on its first launch, as the other
    landing pages do (a bad reference is left for the trainer's course page to explain)."""
    link = ResourceLink.objects.filter(pk=resource_link_pk).first()
    if link is None or Placement.objects.filter(resource_link=link).exists():
        return
    try:
        placement_bind_from_custom(resource_link=link, actor=actor)
    except ApplicationError:
        return


def dsl_placement_get(*, resource_link_pk: int, actor: LtiUser | None = None) -> Placement:
    """The placement of a link bound to a DSL project (bound on the way, by ``actor`` when
    a trainer); 404 for anything else."""
    _bound(resource_link_pk, actor)
    placement = (
        Placement.objects.filter(
            resource_link_id=resource_link_pk,
            activity_version__activity__kind=ActivityKind.DSL.value,
        )
        .select_related("activity_version__activity", "resource_link__context")
        .first()
    )
    if placement is None:
        raise NotFound(_("Cette activité n'est pas un projet DSL (ou n'existe pas)."))
    return placement


def brief_of(placement: Placement, *, language: str = "fr") -> DslBrief:
    return dsl_from_json(placement.activity_version.content, language=language)


def setup_of(placement: Placement) -> DslSetup:
    """The placement's setting, created on first use: individual work when the brief
    allows it, else the smallest team size it allows."""
    sizes = brief_of(placement).team_sizes
    setup, _created = DslSetup.objects.get_or_create(
        placement=placement, defaults={"team_size": 1 if 1 in sizes else min(sizes)}
    )
    return setup


@dataclass(frozen=True)
class Viewer:
    lti_user: LtiUser
    placement: Placement
    is_trainer: bool
    membership: CanvasMember | None

    @property
    def canvas(self) -> Canvas | None:
        return self.membership.canvas if self.membership else None


def dsl_access(launch: LtiLaunch, *, resource_link_pk: int) -> Viewer:
    """The viewer of a placed DSL project from the request's launch, or a refusal."""
    lti_user = LtiUser.objects.get(pk=launch.lti_user_id)
    placement = dsl_placement_get(
        resource_link_pk=resource_link_pk, actor=lti_user if launch.is_trainer else None
    )
    if launch.is_trainer:
        if placement.resource_link.context_id != launch.context_id:
            raise PermissionDenied(
                _(
                    "Ce projet appartient à un autre cours : relancez Atelier depuis le cours concerné."
                )
            )
        return Viewer(lti_user=lti_user, placement=placement, is_trainer=True, membership=None)
    if launch.resource_link_id != resource_link_pk:
        raise PermissionDenied(_("Ce lancement ne donne pas accès à cette activité."))
    membership = (
        CanvasMember.objects.filter(placement=placement, lti_user=lti_user)
        .select_related("canvas")
        .first()
    )
    return Viewer(lti_user=lti_user, placement=placement, is_trainer=False, membership=membership)


def canvas_get(viewer: Viewer, *, canvas_pk: int) -> Canvas:
    """A canvas the viewer may see: their own, or any of the placement for its trainer."""
    canvas = (
        Canvas.objects.filter(placement=viewer.placement, pk=canvas_pk)
        .prefetch_related(
            Prefetch("members", queryset=CanvasMember.objects.select_related("lti_user"))
        )
        .first()
    )
    if canvas is None:
        raise NotFound(_("Ce projet n'existe pas dans cette activité."))
    if not viewer.is_trainer and (viewer.canvas is None or viewer.canvas.pk != canvas.pk):
        raise PermissionDenied(
            _(
                "Ce projet appartient à une autre équipe : seul·es ses membres et le ou la formateur·rice y ont accès."
            )
        )
    return canvas


def trainer_required(viewer: Viewer) -> None:
    if not viewer.is_trainer:
        raise PermissionDenied(_("Cette page est réservée aux formateur·rices du cours."))


def choices_of(canvas: Canvas) -> dict[str, DilemmaChoice]:
    return {c.card_id: c for c in canvas.choices.select_related("chosen_by")}


def canvas_auto_scores(canvas: Canvas, brief: DslBrief) -> dict[str, Any]:
    return auto_scores(brief, {card: c.option_id for card, c in choices_of(canvas).items()})


def graded_fields(canvas: Canvas, brief: DslBrief) -> dict[str, Any]:
    """What the trainer grades: the submitted revision (the canvas cannot change after)."""
    fields = canvas.fields
    if canvas.submitted_revision is not None:
        revision = canvas.revisions.filter(number=canvas.submitted_revision).first()
        fields = revision.fields if revision is not None else canvas.fields
    return fields_normalised(brief, fields)


def last_authors(canvas: Canvas) -> dict[str, str]:
    """Field id → who saved it last (a team sees who wrote what)."""
    authors: dict[str, str] = {}
    for revision in CanvasRevision.objects.filter(canvas=canvas).select_related("author"):
        for key in revision.changed:
            authors[key] = revision.author.display_name if revision.author else "—"
    return authors


def open_canvases(placement: Placement, *, team_size: int) -> list[Canvas]:
    """Teams a student may still join: not submitted, with a free seat."""
    canvases = (
        Canvas.objects.filter(placement=placement, submitted_at__isnull=True)
        .prefetch_related(
            Prefetch("members", queryset=CanvasMember.objects.select_related("lti_user"))
        )
        .order_by("number")
    )
    return [c for c in canvases if len(c.members.all()) < team_size]


@dataclass(frozen=True)
class Submission:
    canvas: Canvas
    members: list[CanvasMember]
    results: list[DomainResult]
    reviews_assigned: int = 0
    reviews_sent: int = 0

    @property
    def status(self) -> str:
        if not self.canvas.submitted:
            return "draft"
        if not self.results:
            return "to_grade"
        if all(r.status == "final" for r in self.results):
            return "final"
        return "to_review"


def submissions(placement: Placement) -> list[Submission]:
    """Every canvas of the placement with its members and their domain results."""
    canvases = (
        Canvas.objects.filter(placement=placement)
        .prefetch_related(
            Prefetch("members", queryset=CanvasMember.objects.select_related("lti_user"))
        )
        .order_by("submitted_at", "number")
    )
    found = []
    for canvas in canvases:
        members = list(canvas.members.all())
        assessments = [m.assessment_id for m in members if m.assessment_id]
        results = list(
            DomainResult.objects.filter(assessment_id__in=assessments).order_by(
                "assessment_id", "domain_code"
            )
        )
        reviews = list(canvas.peer_reviews.all())
        found.append(Submission(
            canvas=canvas, members=members, results=results, reviews_assigned=len(reviews),
            reviews_sent=sum(1 for r in reviews if r.submitted_at is not None),
        ))  # fmt: skip
    return found


@dataclass(frozen=True)
class CriterionFeedback:
    code: str
    label: str
    reading: str  # acquis / en_cours / non_acquis
    reading_label: str
    comment: str


@dataclass(frozen=True)
class DomainFeedback:
    code: str
    title: str
    score_20: Decimal
    reading: str
    reading_label: str
    criteria: list[CriterionFeedback]


def student_feedback(canvas: Canvas, brief: DslBrief, lti_user: LtiUser) -> list[DomainFeedback]:
    """What a member reads once the trainer validated: per domain, the score sent and each
    criterion's reading with the trainer's comment, as the grid stood at the last
    validation (domain.md §4.1 point 5). Nothing while a result waits for validation."""
    member = next((m for m in canvas.members.all() if m.lti_user_id == lti_user.pk), None)
    if member is None or member.assessment_id is None:
        return []
    results = list(DomainResult.objects.filter(assessment_id=member.assessment_id))
    if not results or any(r.status != ResultStatus.FINAL for r in results):
        return []
    review = canvas.validated_review
    grade = rubric_grade(
        brief.rubric(),
        levels={code: item["level"] for code, item in review.items() if item.get("decided")},
        auto_scores=canvas_auto_scores(canvas, brief),
        alpha=brief.alpha,
    )
    feedback = []
    for result in sorted(results, key=lambda r: brief.domains().index(r.domain_code)):
        criteria = [
            CriterionFeedback(
                code=c.criterion,
                label=next(i.criterion.label for i in brief.criteria if i.code == c.criterion),
                reading=c.reading.value,
                reading_label=str(INDICATOR_LABELS[c.reading]),
                comment=review.get(c.criterion, {}).get("comment", ""),
            )
            for c in grade.criteria
            if c.domain == result.domain_code and c.reading is not None
        ]
        domain_reading = reading_of(result.score_20)
        feedback.append(DomainFeedback(result.domain_code, result.domain_title, result.score_20,
                                       domain_reading.value, str(READING_LABELS[domain_reading]),
                                       criteria))  # fmt: skip
    return feedback
