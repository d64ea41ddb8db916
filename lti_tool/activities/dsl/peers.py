"""Optional peer review of submitted canvases (issue 9, "Shared: rubric grading"): two
classmates from other projects read each submitted canvas, anonymously, and give rubric
levels and a comment. It is formative: the trainer sees the median per criterion as a
suggestion; the peer weight β stays 0, so the grade is the trainer's alone (domain.md §4.2).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.dsl.content import DslBrief
from lti_tool.activities.dsl.models import Canvas, PeerReview
from lti_tool.activities.models import Placement
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX
from lti_tool.lti.models import LtiUser

REVIEWERS = 2
COMMENT_MAX = 2000


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
    load: dict[int, int] = {}  # reviewer → reviews given, to spread the work
    for review in PeerReview.objects.filter(canvas__placement=placement):
        load[review.reviewer_id] = load.get(review.reviewer_id, 0) + 1
    created = []
    for index, canvas in enumerate(canvases):
        own = {m.lti_user_id for m in canvas.members.all()}
        have = set(canvas.peer_reviews.values_list("reviewer_id", flat=True))
        others = [canvases[(index + step) % len(canvases)] for step in range(1, len(canvases))]
        candidates = [m.lti_user_id for c in others for m in c.members.all()]
        candidates = [u for u in candidates if u not in own and u not in have]
        candidates.sort(key=lambda user: load.get(user, 0))  # stable: nearest projects first
        for reviewer in candidates[: max(0, REVIEWERS - len(have))]:
            created.append(PeerReview.objects.create(canvas=canvas, reviewer_id=reviewer))
            load[reviewer] = load.get(reviewer, 0) + 1
    return created


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
    chosen: dict[str, int] = {}
    for code, raw in levels.items():
        if code not in known:
            raise ValidationFailed(_("Critère inconnu : %(code)s.") % {"code": code})
        if raw == "":
            continue
        if not raw.isdigit() or not 0 <= int(raw) <= RUBRIC_LEVEL_MAX:
            raise ValidationFailed(_("Niveau « %(level)s » inconnu : 0 à 4.") % {"level": raw})
        chosen[code] = int(raw)
    review.levels = chosen
    review.comment = comment.strip()[:COMMENT_MAX]
    if submit:
        if not chosen:
            raise ValidationFailed(_("Donnez au moins un niveau avant d'envoyer la relecture."))
        review.submitted_at = timezone.now()
    review.save(update_fields=["levels", "comment", "submitted_at", "updated_at"])
    return review


def peer_levels(canvas: Canvas) -> dict[str, list[int]]:
    """Criterion → the levels of the reviews sent (what the trainer's screen summarises)."""
    found: dict[str, list[int]] = {}
    for review in canvas.peer_reviews.filter(submitted_at__isnull=False).order_by("pk"):
        for code, level in review.levels.items():
            found.setdefault(code, []).append(int(level))
    return found


def peer_comments(canvas: Canvas) -> list[str]:
    return [
        r.comment
        for r in canvas.peer_reviews.filter(submitted_at__isnull=False).order_by("pk")
        if r.comment
    ]
