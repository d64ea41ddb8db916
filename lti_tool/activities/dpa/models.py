"""A student's DPA case analysis and the trainer's rubric grading of it (issue 9, domain.md §8).

One submission per student per placement. Its answers are a draft until the student
submits: then they are locked (the version the trainer grades), the tagging score is
computed and the alternative plan becomes readable; only the final reflection is still
written after that. The trainer's levels and comments per criterion live on the submission
as they are typed (the grading screen saves as it goes) and go through the grading services
each time; results stay "to review" until the trainer validates them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.activities.models import ActivityVersion, Placement
from lti_tool.core.models import BaseModel
from lti_tool.grading.models import Assessment
from lti_tool.lti.models import LtiUser


class DpaSubmission(BaseModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("brouillon")
        SUBMITTED = "submitted", _("remise")
        COMPLETED = "completed", _("terminée (réflexion finale écrite)")

    placement = models.ForeignKey(
        Placement, on_delete=models.CASCADE, related_name="dpa_submissions"
    )
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="dpa_submissions")
    # The case version answered: grades keep the rubric they used (domain.md §4.5).
    activity_version = models.ForeignKey(
        ActivityVersion, on_delete=models.PROTECT, related_name="dpa_submissions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    # Answers: tag ids ticked, free texts; ``improve`` maps a field id to its text.
    tags = models.JSONField(default=list, blank=True)
    critique = models.TextField(blank=True)
    improve = models.JSONField(default=dict, blank=True)
    self_critique = models.TextField(blank=True)
    reflection = models.TextField(blank=True)
    # Bumped by every save: a stale tab cannot silently overwrite a newer draft.
    revision = models.PositiveIntegerField(default=0)
    # s_auto of the tagging (0..1), computed once at submission.
    auto_score = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="dpa_submission"
    )
    # The trainer's grading in progress: {code: {"level": 0..4 | None, "comment": "…"}}.
    review = models.JSONField(default=dict, blank=True)
    reviewed_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Set when the trainer validates; cleared by a later change (to validate again).
    validated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["placement", "lti_user"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "lti_user"], name="dpa_submission_once_per_student"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lti_user} — {self.placement} ({self.status})"

    @property
    def locked(self) -> bool:
        return self.status != self.Status.DRAFT


class DpaPeerReview(BaseModel):
    """A classmate's formative reading of a submitted analysis on the rubric (issue 9,
    "optional peer review"): anonymous both ways, shown to the trainer as input only (its
    weight is 0: the trainer's grade does not move). The assignment and the checks are
    shared with the DSL canvas (grading/peer_review.py)."""

    submission = models.ForeignKey(
        DpaSubmission, on_delete=models.CASCADE, related_name="peer_reviews"
    )
    reviewer = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    levels = models.JSONField(default=dict, blank=True)  # criterion code → 0..4
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submission", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "reviewer"], name="dpa_peer_review_once")
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} → {self.submission_id}"
