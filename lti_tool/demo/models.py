"""The built-in platform's own data: a Moodle-like site, its course, people and gradebook.

Nothing here is shared with the tool: the tool learns all of it from launches, AGS and
NRPS calls over HTTP, exactly as it would from Moodle.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.core.models import BaseModel


class DemoPlatform(BaseModel):
    """One platform site. Its issuer is ``<base_url>/demo``; its key lives in the row
    because it is a throw-away demo key, never a file that could end up in git."""

    base_url = models.URLField(max_length=300, unique=True)
    issuer = models.URLField(max_length=320, unique=True)
    name = models.CharField(max_length=200)
    kid = models.CharField(max_length=64)
    private_key_pem = models.TextField()
    public_jwk = models.JSONField()

    def __str__(self) -> str:
        return self.issuer


class DemoTool(BaseModel):
    """An external tool registered on the platform (Moodle: a tool type)."""

    class Status(models.TextChoices):
        # Moodle 4.3 leaves a dynamically registered tool pending until an admin
        # activates it in "Manage tools" (shared/moodle.md, Registration).
        PENDING = "pending", _("en attente")
        ACTIVE = "active", _("active")

    class Source(models.TextChoices):
        DYNAMIC = "dynamic", _("enregistrement dynamique")
        MANUAL = "manual", _("configuration manuelle")

    platform = models.ForeignKey(DemoPlatform, on_delete=models.CASCADE, related_name="tools")
    name = models.CharField(max_length=200)
    client_id = models.CharField(max_length=64, unique=True)
    deployment_id = models.CharField(max_length=32)
    initiate_login_uri = models.URLField(max_length=500)
    redirect_uris = models.JSONField(default=list)
    jwks_uri = models.URLField(max_length=500)
    target_link_uri = models.URLField(max_length=500)
    deep_link_url = models.URLField(max_length=500, blank=True)
    domain = models.CharField(max_length=255)
    scopes = models.JSONField(default=list)
    custom = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source.choices)
    # The client registration the tool posted, kept for the admin to read.
    registration_request = models.JSONField(default=dict, blank=True)
    tokens_issued = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class DemoCourse(BaseModel):
    platform = models.ForeignKey(DemoPlatform, on_delete=models.CASCADE, related_name="courses")
    label = models.CharField(max_length=100)
    title = models.CharField(max_length=255)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["platform", "label"], name="demo_course_label_unique")
        ]

    def __str__(self) -> str:
        return f"{self.label} — {self.title}"


class DemoUser(BaseModel):
    """A platform account; its primary key is Moodle's user id (``sub``, ``login_hint``)."""

    platform = models.ForeignKey(DemoPlatform, on_delete=models.CASCADE, related_name="users")
    username = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    email = models.EmailField()
    locale = models.CharField(max_length=10, default="fr")
    is_site_admin = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "username"], name="demo_user_username_unique"
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


class DemoEnrolment(BaseModel):
    class Role(models.TextChoices):
        # Short names as NRPS answers them; launches expand them to full URIs.
        INSTRUCTOR = "Instructor", _("Formateur·rice")
        LEARNER = "Learner", _("Étudiant·e")

    course = models.ForeignKey(DemoCourse, on_delete=models.CASCADE, related_name="enrolments")
    user = models.ForeignKey(DemoUser, on_delete=models.CASCADE, related_name="enrolments")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "user"], name="demo_enrolment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.course}"


class DemoResourceLink(BaseModel):
    """An activity placed in the course; its primary key is the resource link id."""

    course = models.ForeignKey(DemoCourse, on_delete=models.CASCADE, related_name="links")
    tool = models.ForeignKey(
        DemoTool, null=True, blank=True, on_delete=models.SET_NULL, related_name="links"
    )
    title = models.CharField(max_length=255)
    text = models.TextField(blank=True)
    url = models.URLField(max_length=500, blank=True)
    custom = models.JSONField(default=dict, blank=True)
    # Placed by demo_platform_setup (follows the newest registered tool) rather than
    # by a teacher through deep linking.
    from_setup = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.title


class DemoLineItem(BaseModel):
    """A gradebook column (Moodle grade item) reachable through AGS."""

    course = models.ForeignKey(DemoCourse, on_delete=models.CASCADE, related_name="line_items")
    tool = models.ForeignKey(
        DemoTool, null=True, blank=True, on_delete=models.SET_NULL, related_name="line_items"
    )
    resource_link = models.ForeignKey(
        DemoResourceLink,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="line_items",
    )
    label = models.CharField(max_length=255)
    score_maximum = models.DecimalField(max_digits=10, decimal_places=5)
    resource_id = models.CharField(max_length=255, blank=True)
    tag = models.CharField(max_length=255, blank=True)
    start_date_time = models.CharField(max_length=40, blank=True)
    end_date_time = models.CharField(max_length=40, blank=True)
    # True when the tool created it through the line items container (a "manual item"
    # column in Moodle) rather than with the activity.
    created_by_tool = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.label


class DemoGrade(BaseModel):
    """The stored result of (line item, user), as the last accepted score left it."""

    line_item = models.ForeignKey(DemoLineItem, on_delete=models.CASCADE, related_name="grades")
    user = models.ForeignKey(DemoUser, on_delete=models.CASCADE, related_name="grades")
    grade = models.DecimalField(max_digits=12, decimal_places=5, null=True, blank=True)
    score_given = models.DecimalField(max_digits=12, decimal_places=5, null=True, blank=True)
    score_maximum = models.DecimalField(max_digits=12, decimal_places=5, null=True, blank=True)
    activity_progress = models.CharField(max_length=20)
    grading_progress = models.CharField(max_length=20)
    comment = models.TextField(blank=True)
    timestamp = models.CharField(max_length=40)
    # Moodle keeps timemodified in whole seconds and compares incoming timestamps with it.
    timestamp_seconds = models.BigIntegerField()

    class Meta:
        ordering = ["line_item_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["line_item", "user"], name="demo_grade_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.line_item}: {self.grade}"


class DemoAccessToken(BaseModel):
    tool = models.ForeignKey(DemoTool, on_delete=models.CASCADE, related_name="access_tokens")
    token = models.CharField(max_length=100, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"token for {self.tool} until {self.expires_at:%H:%M:%S}"


class DemoClientAssertion(BaseModel):
    """jti of client assertions already exchanged, so one cannot be replayed."""

    tool = models.ForeignKey(DemoTool, on_delete=models.CASCADE, related_name="assertions")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tool", "jti"], name="demo_assertion_jti_unique")
        ]


class DemoRegistrationToken(BaseModel):
    """A registration_token handed to a tool; usable once, for one hour."""

    platform = models.ForeignKey(
        DemoPlatform, on_delete=models.CASCADE, related_name="registration_tokens"
    )
    jti = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.jti
