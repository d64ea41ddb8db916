"""Platform registrations, the tool's keys, and what launches tell us (design.md §3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.core.models import BaseModel


class ToolKey(BaseModel):
    """One RSA key pair of the tool; the private half lives in ``keys/<kid>.pem``."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        # Rotated out but still published so platforms holding the old JWKS verify us.
        GRACE = "grace", _("publiée (période de grâce)")
        RETIRED = "retired", _("retirée")

    kid = models.CharField(max_length=64, unique=True)
    public_jwk = models.JSONField()
    private_key_file = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="active"),
                name="lti_one_active_tool_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kid} ({self.status})"


class Registration(BaseModel):
    """A platform (one Moodle site) that Atelier trusts, identified by (issuer, client_id)."""

    class Source(models.TextChoices):
        DYNAMIC = "dynamic", _("enregistrement dynamique")
        MANUAL = "manual", _("saisie manuelle")
        DEMO = "demo", _("plateforme de démonstration")

    name = models.CharField(max_length=200)
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    auth_login_url = models.URLField(max_length=500)
    auth_token_url = models.URLField(max_length=500)
    # Audience of our client assertions when the platform wants something other than
    # its token URL (LTI Security Framework §4.1.1); Moodle uses the token URL.
    auth_audience = models.CharField(max_length=500, blank=True)
    key_set_url = models.URLField(max_length=500)
    source = models.CharField(max_length=10, choices=Source.choices)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="lti_registration_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.issuer}, client {self.client_id})"

    @property
    def token_audience(self) -> str:
        return self.auth_audience or self.auth_token_url


class Deployment(BaseModel):
    """A deployment of a registration (Moodle: one per tool type)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="deployments"
    )
    deployment_id = models.CharField(max_length=255)
    # An unknown deployment of a known registration is recorded inactive on its first
    # launch, for an admin to accept (design.md §3).
    active = models.BooleanField(default=False)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "deployment_id"], name="lti_deployment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration.name} / {self.deployment_id}"


class LtiUser(BaseModel):
    """A platform user (registration + sub) mapped to a Django user."""

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="users")
    sub = models.CharField(max_length=255)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_user"
    )
    name = models.CharField(max_length=255, blank=True)
    given_name = models.CharField(max_length=255, blank=True)
    family_name = models.CharField(max_length=255, blank=True)
    email = models.EmailField(blank=True)
    locale = models.CharField(max_length=20, blank=True)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["registration", "sub"], name="lti_user_unique")
        ]

    def __str__(self) -> str:
        return self.name or self.sub

    @property
    def display_name(self) -> str:
        full = f"{self.given_name} {self.family_name}".strip()
        return self.name or full or self.sub


class Context(BaseModel):
    """A course of the platform."""

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    label = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=500, blank=True)
    # NRPS 2.0 §3.6.1: the memberships URL comes with each launch.
    nrps_memberships_url = models.URLField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["deployment", "context_id"], name="lti_context_unique")
        ]

    def __str__(self) -> str:
        return self.title or self.label or self.context_id


class Membership(BaseModel):
    class Source(models.TextChoices):
        LAUNCH = "launch", _("lancement")
        NRPS = "nrps", _("liste des participants (NRPS)")

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="memberships")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="memberships")
    roles = models.JSONField(default=list)
    is_trainer = models.BooleanField(default=False)
    is_student = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.LAUNCH)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "lti_user"], name="lti_membership_unique")
        ]


class ResourceLink(BaseModel):
    """A placement of the tool in a course (Moodle: one activity instance)."""

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="resource_links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    custom = models.JSONField(default=dict, blank=True)
    # AGS 2.0 §3.1: endpoints and scopes granted with the launch.
    ags_lineitems_url = models.URLField(max_length=500, blank=True)
    ags_lineitem_url = models.URLField(max_length=500, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["context", "resource_link_id"], name="lti_resource_link_unique"
            )
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class LineItem(BaseModel):
    """An AGS line item (a gradebook column) holding one domain of one placed activity.

    ``domain_code`` ("DC2") is an opaque key for the protocol layer: which domain it is,
    and how it is graded, is the grading app's business (design.md §3, §4).
    """

    resource_link = models.ForeignKey(
        ResourceLink, on_delete=models.CASCADE, related_name="line_items"
    )
    domain_code = models.CharField(max_length=32)
    url = models.URLField(max_length=500, unique=True)
    label = models.CharField(max_length=255)
    tag = models.CharField(max_length=255, blank=True)
    resource_id = models.CharField(max_length=255, blank=True)
    score_maximum = models.DecimalField(max_digits=10, decimal_places=5)
    # False when it is the activity's own column, adopted from the launch's AGS claim.
    created_by_tool = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource_link", "domain_code"], name="lti_line_item_domain_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.domain_code})"


class ScoreClock(BaseModel):
    """The last score timestamp sent for (line item, user): Moodle answers 409 to a
    timestamp not strictly newer, compared at 1-second resolution (shared/moodle.md)."""

    line_item = models.ForeignKey(LineItem, on_delete=models.CASCADE, related_name="clocks")
    user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="score_clocks")
    last_timestamp = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["line_item", "user"], name="lti_score_clock_unique")
        ]

    def __str__(self) -> str:
        return f"{self.line_item} / {self.user}: {self.last_timestamp}"


class RosterSync(BaseModel):
    """When the course's member list was last read through NRPS, and how it went.

    Lets the on-demand refresh answer from the last read for a few minutes, the schedule
    pick stale courses, and the dashboard say how fresh its "not started" list is.
    """

    context = models.OneToOneField(Context, on_delete=models.CASCADE, related_name="roster_sync")
    synced_at = models.DateTimeField(null=True, blank=True)
    members_count = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    # Platform user ids (sub) reported Inactive or Deleted at the last read (NRPS 2.0 §2.4).
    inactive_subs = models.JSONField(default=list, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.context}: {self.synced_at or '—'}"


class Group(BaseModel):
    """A group of a course for the role-plays: from the platform (NRPS course groups) or
    made in Atelier by a trainer."""

    class Source(models.TextChoices):
        NRPS = "nrps", _("groupe de la plateforme")
        ATELIER = "atelier", _("groupe créé dans Atelier")

    context = models.ForeignKey(Context, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=255)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ATELIER)
    # The platform's group id for source=nrps; empty for Atelier groups.
    external_id = models.CharField(max_length=255, blank=True)
    members = models.ManyToManyField(LtiUser, related_name="lti_groups", blank=True)

    class Meta:
        ordering = ["context", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["context", "external_id"],
                condition=~models.Q(external_id=""),
                name="lti_group_external_unique",
            ),
            models.UniqueConstraint(
                fields=["context", "name"],
                condition=models.Q(source="atelier"),
                name="lti_group_atelier_name_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.context})"
