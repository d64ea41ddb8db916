"""Optional peer review of submitted DPA analyses (issue 9, "Shared: rubric grading"): two
classmates who submitted their own analysis read each submitted one, anonymously, and give
rubric levels and a comment. Formative: the trainer sees the median per criterion and the
comments next to the rubric; the peer weight β stays 0, so the grade is the trainer's alone
(domain.md §4.2).

The assignment, the checks of a review and the summary are the ones of the DSL canvas
(grading/peer_review.py); this module keeps the DPA rows and who may reach them: a review
only by its reviewer, and only once the analysis it reads is submitted.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.dpa.models import DpaPeerReview, DpaSubmission
from lti_tool.activities.dpa.services import placed_case
from lti_tool.activities.models import Placement
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied
from lti_tool.grading import peer_review
from lti_tool.lti.models import LtiUser


def _submitted(placement: Placement) -> list[DpaSubmission]:
    return list(
        DpaSubmission.objects.filter(placement=placement)
        .exclude(status=DpaSubmission.Status.DRAFT)
        .order_by("submitted_at", "pk")
    )


@transaction.atomic
def peer_reviews_assign(*, placement: Placement) -> list[DpaPeerReview]:
    """Give each submitted analysis up to two reviewers among the students who submitted
    theirs (never its author); idempotent: reviews already given stay, calling again only
    covers analyses submitted since."""
    # One assignment at a time per placement: two trainers clicking together must not
    # give the same review twice (the unique constraint would refuse the second).
    Placement.objects.select_for_update().get(pk=placement.pk)
    submissions = _submitted(placement)
    if len(submissions) < 2:
        raise Conflict(
            _("Il faut au moins deux analyses remises pour organiser des relectures entre pairs.")
        )
    works = [peer_review.Work(key=s.pk, authors=frozenset({s.lti_user_id})) for s in submissions]
    existing: dict[int, list[int]] = {}
    rows = DpaPeerReview.objects.filter(submission__placement=placement)
    for submission_id, reviewer_id in rows.values_list("submission_id", "reviewer_id"):
        existing.setdefault(submission_id, []).append(reviewer_id)
    return [
        DpaPeerReview.objects.create(submission_id=submission_id, reviewer_id=reviewer_id)
        for submission_id, reviewer_id in peer_review.reviewers_assign(works, existing)
    ]


def review_of(*, placement: Placement, reviewer: LtiUser, review_pk: int) -> DpaPeerReview:
    """A review of the placement given to ``reviewer``; 403 for anyone else (the author of
    the analysis and the trainer included), and while the analysis is not submitted."""
    review = (
        DpaPeerReview.objects.filter(pk=review_pk, submission__placement=placement)
        .select_related("submission__activity_version", "submission__placement")
        .first()
    )
    if review is None:
        raise NotFound(_("Cette relecture n'existe pas."))
    if review.reviewer_id != reviewer.pk:
        raise PermissionDenied(_("Cette relecture est confiée à quelqu'un d'autre."))
    if not review.submission.locked:
        raise PermissionDenied(_("Cette analyse n'est pas remise : elle ne se relit pas encore."))
    return review


def reviews_to_do(*, placement: Placement, reviewer: LtiUser) -> list[DpaPeerReview]:
    """The reviews given to a student, in the order given (numbered, never named)."""
    return list(
        DpaPeerReview.objects.filter(
            submission__placement=placement,
            reviewer=reviewer,
            submission__submitted_at__isnull=False,
        ).order_by("pk")
    )


@transaction.atomic
def peer_review_save(
    *, review: DpaPeerReview, levels: Mapping[str, str], comment: str, submit: bool
) -> DpaPeerReview:
    """Save the reviewer's levels (0..4 per criterion, empty = no opinion) and comment;
    once sent, the review is final."""
    review = DpaPeerReview.objects.select_for_update().get(pk=review.pk)
    if review.submitted_at is not None:
        raise Conflict(_("Cette relecture est déjà envoyée : elle ne change plus."))
    known = {item.code for item in placed_case(review.submission).rubric.criteria}
    review.levels = peer_review.review_levels(levels, known=known, sending=submit)
    review.comment = peer_review.review_comment(comment)
    if submit:
        review.submitted_at = timezone.now()
    review.save(update_fields=["levels", "comment", "submitted_at", "updated_at"])
    return review


def peer_summary(submission: DpaSubmission) -> peer_review.PeerSummary:
    """The reviews sent about an analysis, as the trainer's grading screen shows them."""
    sent = submission.peer_reviews.filter(submitted_at__isnull=False).order_by("pk")
    return peer_review.peer_summary(
        peer_review.SentReview(levels=r.levels, comment=r.comment) for r in sent
    )
