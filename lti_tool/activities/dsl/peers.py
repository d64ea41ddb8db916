"""Optional peer review of submitted canvases (issue 9, "Shared: rubric grading"): two
classmates from other projects read each submitted canvas, anonymously, and give rubric
levels and a comment. It is formative: the trainer sees the median per criterion as a
suggestion; the peer weight β stays 0, so the grade is the trainer's alone (domain.md §4.2).
The assignment, the checks of a review and the summary are shared with the DPA case
(grading/peer_review.py); this module keeps the canvas's rows.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.dsl.content import DslBrief
from lti_tool.activities.dsl.models import Canvas, PeerReview
from lti_tool.activities.models import Placement
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied
from lti_tool.grading import peer_review
from lti_tool.lti.models import LtiUser


@transaction.atomic
def peer_reviews_assign(*, placement: Placement) -> list[PeerReview]:
    """Give each submitted canvas up to two reviewers, members of the next submitted
    projects in turn (never its own members); idempotent: reviews already given stay."""
    canvases = list(
        Canvas.objects.select_for_update()
        .filter(placement=placement, submitted_at__isnull=False)
        .prefetch_related("members")
        .order_by("number")
    )
    if len(canvases) < 2:
        raise Conflict(_("Il faut au moins deux projets rendus pour organiser des relectures."))
    works = [
        peer_review.Work(key=c.pk, authors=frozenset(m.lti_user_id for m in c.members.all()))
        for c in canvases
    ]
    existing: dict[int, list[int]] = {}
    for canvas_id, reviewer_id in PeerReview.objects.filter(
        canvas__placement=placement
    ).values_list("canvas_id", "reviewer_id"):
        existing.setdefault(canvas_id, []).append(reviewer_id)
    return [
        PeerReview.objects.create(canvas_id=canvas_id, reviewer_id=reviewer_id)
        for canvas_id, reviewer_id in peer_review.reviewers_assign(works, existing)
    ]


def review_of(*, placement: Placement, reviewer: LtiUser, review_pk: int) -> PeerReview:
    """A review of the placement given to ``reviewer``; 403 for anyone else's."""
    review = (
        PeerReview.objects.filter(pk=review_pk, canvas__placement=placement)
        .select_related("canvas")
        .first()
    )
    if review is None:
        raise NotFound(_("Cette relecture n'existe pas."))
    if review.reviewer_id != reviewer.pk:
        raise PermissionDenied(_("Cette relecture est confiée à quelqu'un d'autre."))
    return review


def reviews_to_do(*, placement: Placement, reviewer: LtiUser) -> list[PeerReview]:
    return list(
        PeerReview.objects.filter(canvas__placement=placement, reviewer=reviewer).order_by("pk")
    )


@transaction.atomic
def peer_review_save(
    *, review: PeerReview, brief: DslBrief, levels: Mapping[str, str], comment: str, submit: bool
) -> PeerReview:
    """Save the reviewer's levels (0..4 per criterion, empty = no opinion) and comment;
    once sent, the review is final."""
    review = PeerReview.objects.select_for_update().get(pk=review.pk)
    if review.submitted_at is not None:
        raise Conflict(_("Cette relecture est déjà envoyée : elle ne change plus."))
    known = {c.code for c in brief.criteria}
    review.levels = peer_review.review_levels(levels, known=known, sending=submit)
    review.comment = peer_review.review_comment(comment)
    if submit:
        review.submitted_at = timezone.now()
    review.save(update_fields=["levels", "comment", "submitted_at", "updated_at"])
    return review


def _summary(canvas: Canvas) -> peer_review.PeerSummary:
    sent = canvas.peer_reviews.filter(submitted_at__isnull=False).order_by("pk")
    return peer_review.peer_summary(
        peer_review.SentReview(levels=r.levels, comment=r.comment) for r in sent
    )


def peer_levels(canvas: Canvas) -> dict[str, list[int]]:
    """Criterion → the levels of the reviews sent (what the trainer's screen summarises)."""
    return _summary(canvas).levels


def peer_comments(canvas: Canvas) -> list[str]:
    return _summary(canvas).comments
