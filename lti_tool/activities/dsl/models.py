"""DSL project canvases placed in a course (issue 9; domain.md §7).

The brief is content (``ActivityVersion.content``, format ``atelier-dsl/1``): rows here refer
to its fields, dilemma cards and options by id, never copy their texts. A canvas belongs to
one student or to a team of 3–4; every save is a revision with its author, and the
submitted revision is the one the trainer grades. Grades are grading ``Assessment`` rows,
one per member (domain.md §4.3: scores are always per student per domain).
"""

from __future__ import annotations

from django.db import models

from lti_tool.activities.models import Placement
from lti_tool.core.models import BaseModel
from lti_tool.grading.models import Assessment
from lti_tool.lti.models import LtiUser


class DslSetup(BaseModel):
    """The trainer's setting of one placed canvas: 1 (individual work) or a team of 3–4."""

    placement = models.OneToOneField(Placement, on_delete=models.CASCADE, related_name="dsl")
    team_size = models.PositiveSmallIntegerField(default=1)

    def __str__(self) -> str:
        return f"{self.placement} ({self.team_size})"


class Canvas(BaseModel):
    """One project canvas: its fields as last saved, and the revision they carry."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="canvases")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=100)
    fields = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)
    # Submitting locks the canvas: the trainer grades this revision, nobody edits after.
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_revision = models.PositiveIntegerField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The trainer's grading screen as it stands, per criterion code: {"level": 0..4 or
    # None (N/E), "decided": bool, "comment": text}; saved as the trainer goes.
    review = models.JSONField(default=dict, blank=True)
    # The grid as it was when the trainer last validated: what students read as feedback
    # (later changes wait for the next validation).
    validated_review = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["placement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "number"], name="dsl_canvas_number")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class CanvasMember(BaseModel):
    """A student working on a canvas: one canvas per student and placement."""

    canvas = models.ForeignKey(Canvas, on_delete=models.CASCADE, related_name="members")
    # Denormalised so that the database refuses a student on two canvases of a placement.
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="+")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    # The member's graded work (created at submission).
    assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="dsl_member"
    )

    class Meta:
        ordering = ["canvas", "lti_user__family_name", "lti_user__given_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "lti_user"], name="dsl_one_canvas")
        ]

    def __str__(self) -> str:
        return f"{self.lti_user} — {self.canvas}"


class CanvasRevision(BaseModel):
    """A save: the whole canvas after it, who saved, and which fields changed."""

    canvas = models.ForeignKey(Canvas, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fields = models.JSONField(default=dict)
    changed = models.JSONField(default=list)

    class Meta:
        ordering = ["canvas", "number"]
        constraints = [
            models.UniqueConstraint(fields=["canvas", "number"], name="dsl_revision_number")
        ]


class DilemmaChoice(BaseModel):
    """A dilemma card answered: final, recorded once per canvas."""

    canvas = models.ForeignKey(Canvas, on_delete=models.CASCADE, related_name="choices")
    card_id = models.CharField(max_length=100)
    option_id = models.CharField(max_length=100)
    chosen_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["canvas", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["canvas", "card_id"], name="dsl_dilemma_once")
        ]


class PeerReview(BaseModel):
    """A classmate's formative reading of a submitted canvas on the rubric (issue 9,
    "optional peer review"): anonymous both ways, shown to the trainer as input only (its
    weight is 0: the trainer's grade does not move)."""

    canvas = models.ForeignKey(Canvas, on_delete=models.CASCADE, related_name="peer_reviews")
    reviewer = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    levels = models.JSONField(default=dict, blank=True)  # criterion code → 0..4
    comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["canvas", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["canvas", "reviewer"], name="dsl_peer_review_once")
        ]
