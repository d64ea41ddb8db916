"""Activities, their immutable published versions, placements and attempts (design.md §3).

A version's content is frozen once published: an attempt points at the exact version it
ran, so grades keep the rubric and criteria they were computed with (domain.md §4.5).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.core.models import BaseModel
from lti_tool.grading.models import Assessment
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.models import LtiUser, ResourceLink

KIND_CHOICES = [
    (ActivityKind.SCENARIO.value, _("scénario de dynamique de groupe")),
    (ActivityKind.ROLEPLAY.value, _("jeu de rôle de co-animation")),
    (ActivityKind.DSL.value, _("projet de développement social local")),
    (ActivityKind.DPA.value, _("étude de cas DPA")),
]


class Activity(BaseModel):
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES)
    title = models.CharField(max_length=300)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.title


class ActivityVersion(BaseModel):
    """One published version of an activity's content; never edited after publication."""

    activity = models.ForeignKey(Activity, on_delete=models.PROTECT, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    language = models.CharField(max_length=10, default="fr")
    training_unit = models.CharField(max_length=200, blank=True)
    framework_code = models.CharField(max_length=50)
    framework_version = models.PositiveIntegerField()
    # Domains assessed, in the author's order: the first one goes to the launch's own
    # grade column (design.md §4).
    domains = models.JSONField(default=list)
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    content = models.JSONField()
    # SHA-256 of the canonical content: publishing identical content twice is a no-op.
    checksum = models.CharField(max_length=64)
    source_name = models.CharField(max_length=300, blank=True)
    published_at = models.DateTimeField()

    class Meta:
        ordering = ["activity", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "version"], name="activity_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.activity.slug} v{self.version}"

    @property
    def reference(self) -> str:
        """Stable reference used in AGS resourceIds and custom parameters."""
        return f"{self.activity.slug}@{self.version}"


class Placement(BaseModel):
    """An activity version placed in a course through a resource link, with its settings."""

    class Counting(models.TextChoices):
        FIRST = "first", _("la première tentative terminée")
        BEST = "best", _("la meilleure tentative")
        LAST = "last", _("la dernière tentative terminée")

    resource_link = models.OneToOneField(
        ResourceLink, on_delete=models.CASCADE, related_name="placement"
    )
    activity_version = models.ForeignKey(
        ActivityVersion, on_delete=models.PROTECT, related_name="placements"
    )
    # 0 = unlimited attempts; replay for practice is always possible (domain.md §4.3).
    attempts_allowed = models.PositiveIntegerField(default=0)
    counting = models.CharField(max_length=5, choices=Counting.choices, default=Counting.FIRST)
    due_at = models.DateTimeField(null=True, blank=True)
    # Secondary domains a trainer switched off for this placement (domain.md §5.2).
    disabled_domains = models.JSONField(default=list, blank=True)
    bound_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.resource_link} → {self.activity_version}"


class Attempt(BaseModel):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", _("en cours")
        COMPLETED = "completed", _("terminée")

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="attempts")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="attempts")
    activity_version = models.ForeignKey(
        ActivityVersion, on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    step = models.PositiveIntegerField(default=1)
    # Where the player stands and the narrative state (trust, conflict…) it carries.
    current_node = models.CharField(max_length=100, blank=True)
    state = models.JSONField(default=dict, blank=True)
    node_entered_at = models.DateTimeField(null=True, blank=True)
    ending = models.CharField(max_length=100, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="attempt"
    )

    class Meta:
        ordering = ["placement", "lti_user", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["placement", "lti_user", "number"], name="attempt_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lti_user} #{self.number} ({self.status})"


class Decision(BaseModel):
    """One choice made in a scenario: node, choice, and the time spent before choosing."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="decisions")
    # 1, 2, 3… in the order of the path: a resubmitted form (double click, network retry)
    # for a step already answered is recognised and not recorded twice.
    step = models.PositiveIntegerField()
    node_id = models.CharField(max_length=100)
    choice_id = models.CharField(max_length=100)
    seconds_spent = models.PositiveIntegerField(default=0)
    text = models.TextField(blank=True)

    class Meta:
        ordering = ["attempt", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "step"], name="decision_once_per_step")
        ]
