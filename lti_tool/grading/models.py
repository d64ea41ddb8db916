"""Assessments, per-domain results, their history and the passback outbox (design.md §3, §5).

Domains are referenced by code (``DC2``) together with the framework code and version the
assessment used, so that results keep the codes they were graded on when a new framework
version arrives (domain.md §4.5).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.core.models import BaseModel
from lti_tool.grading.rules import ActivityKind, ResultStatus
from lti_tool.lti.models import LtiUser, ResourceLink

SCORE_MAXIMUM = Decimal(20)


class Assessment(BaseModel):
    """One student's graded piece of work in one placement (an attempt, a submission)."""

    resource_link = models.ForeignKey(
        ResourceLink, on_delete=models.CASCADE, related_name="assessments"
    )
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="assessments")
    activity_kind = models.CharField(
        max_length=10, choices=[(k.value, k.value) for k in ActivityKind]
    )
    activity_title = models.CharField(max_length=300)
    # Stable reference of the activity for AGS resourceId ("<activity>:<DCn>").
    activity_ref = models.CharField(max_length=200)
    framework_code = models.CharField(max_length=50)
    framework_version = models.PositiveIntegerField()
    # Snapshot of the criteria the work was graded on (rules.Criterion as dicts).
    criteria = models.JSONField(default=list)
    primary_domain = models.CharField(max_length=20)
    review_requested = models.BooleanField(default=False)
    # Which attempt feeds the gradebook (first/best/last is the activity's setting).
    counts = models.BooleanField(default=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["resource_link", "lti_user"])]

    def __str__(self) -> str:
        return f"{self.activity_title} — {self.lti_user}"


class CriterionScore(BaseModel):
    """A piece of evidence toward a criterion (rules.Evidence), with who gave it."""

    class Source(models.TextChoices):
        AUTO = "auto", _("automatique")
        PEER = "peer", _("pair / observateur")
        SELF = "self", _("auto-évaluation")
        TRAINER = "trainer", _("formateur·rice")

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    criterion_code = models.CharField(max_length=50)
    domain_code = models.CharField(max_length=20)
    earned = models.DecimalField(max_digits=7, decimal_places=3)
    maximum = models.DecimalField(max_digits=7, decimal_places=3)
    ethics_flag = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.AUTO)
    assessor = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)
    # A trainer's level replaces the automatic evidence of that criterion; the replaced
    # rows stay for the record.
    superseded = models.BooleanField(default=False)


class DomainResult(BaseModel):
    """The result of one assessment in one domain: never averaged with another domain."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    domain_code = models.CharField(max_length=20)
    domain_title = models.CharField(max_length=300, blank=True)
    score_20 = models.DecimalField(max_digits=5, decimal_places=2)
    computed_score_20 = models.DecimalField(max_digits=5, decimal_places=2)
    status = models.CharField(
        max_length=10, choices=[(s.value, s.value) for s in ResultStatus], db_index=True
    )
    flagged = models.BooleanField(default=False)
    rule = models.TextField(blank=True)
    evidence = models.JSONField(default=list)
    feedback = models.TextField(blank=True)
    moderated_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderated_at = models.DateTimeField(null=True, blank=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "domain_code"], name="grading_result_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(score_20__gte=0) & models.Q(score_20__lte=20),
                name="grading_result_score_bounds",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.domain_code} {self.score_20}/20 ({self.status})"


class ResultChange(BaseModel):
    """History of a result: who changed what, when, before and after."""

    class Action(models.TextChoices):
        COMPUTED = "computed", _("calculé")
        CONFIRMED = "confirmed", _("confirmé")
        OVERRIDDEN = "overridden", _("modifié")
        FINALISED = "finalised", _("validé")
        RESENT = "resent", _("renvoyé à la plateforme")

    result = models.ForeignKey(DomainResult, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class Passback(BaseModel):
    """Outbox row: one score to deliver to the platform's gradebook (design.md §5)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("en attente")
        SENDING = "sending", _("envoi en cours")
        SENT = "sent", _("envoyé")
        FAILED = "failed", _("échec")
        SUPERSEDED = "superseded", _("remplacé par un envoi plus récent")

    result = models.ForeignKey(DomainResult, on_delete=models.CASCADE, related_name="passbacks")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    score_given = models.DecimalField(max_digits=5, decimal_places=2)
    score_maximum = models.DecimalField(max_digits=5, decimal_places=2, default=SCORE_MAXIMUM)
    comment = models.TextField(blank=True)
    tries = models.PositiveIntegerField(default=0)
    first_try_at = models.DateTimeField(null=True, blank=True)
    next_try_at = models.DateTimeField(null=True, blank=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    score_timestamp = models.DateTimeField(null=True, blank=True)
    line_item_url = models.URLField(max_length=500, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]


class PassbackAttempt(BaseModel):
    """One try of a passback: what the platform answered and how long it took."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("envoyé")
        TRANSIENT = "transient", _("erreur temporaire")
        PERMANENT = "permanent", _("erreur définitive")
        CONFLICT = "conflict", _("conflit d'horodatage")
        UNAUTHORIZED = "unauthorized", _("jeton refusé")

    passback = models.ForeignKey(Passback, on_delete=models.CASCADE, related_name="attempts")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    body_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
