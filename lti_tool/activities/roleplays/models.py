"""Co-animation role-plays run in a course (issue 8; domain.md §6.1): teams, the live
session and its roles, the preparation sheet, observations, debrief and reports.

The brief itself is content (``ActivityVersion.content``, format ``atelier-roleplay/1``):
rows here refer to its mandates, role cards, observer focuses, incidents and criteria by
their ids and codes, never copy their texts. Grades are grading ``Assessment`` rows (one
per co-animator, linked from ``TeamMember.assessment``): this app produces evidence, the
grading law turns it into per-domain results (design.md §2).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from lti_tool.activities.models import Placement
from lti_tool.core.models import BaseModel
from lti_tool.grading.models import Assessment
from lti_tool.lti.models import LtiUser

TEAM_SIZE_MIN, TEAM_SIZE_MAX = 2, 3  # pairs or trios (domain.md §6.1)


class RolePlaySetup(BaseModel):
    """The trainer's settings of one placed role-play."""

    placement = models.OneToOneField(Placement, on_delete=models.CASCADE, related_name="roleplay")
    team_size = models.PositiveSmallIntegerField(default=TEAM_SIZE_MIN)
    # Students may form or join a team themselves, up to ``team_size``.
    self_enrolment_open = models.BooleanField(default=False)
    # After this, the preparation sheet is read-only for the team (the trainer grades it).
    preparation_due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.placement} (équipes de {self.team_size})"


class Team(BaseModel):
    """A pair or trio that prepares and co-animates one session."""

    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="teams")
    number = models.PositiveIntegerField()
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["placement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "number"], name="roleplay_team_number"),
            models.UniqueConstraint(fields=["placement", "name"], name="roleplay_team_name"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMember(BaseModel):
    """A co-animator: one team per student and placement."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    # Denormalised from the team so that the database refuses a student in two teams.
    placement = models.ForeignKey(Placement, on_delete=models.CASCADE, related_name="+")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    # The brief's mandate this co-animator acts under (two institutions may be involved);
    # a secret incident addressed to a mandate reaches its holder.
    mandate_id = models.CharField(max_length=100, blank=True)
    # Absent from the live session: individual criteria are N/E, not 0 (domain.md §4.5).
    absent = models.BooleanField(default=False)
    # The co-animator's graded work in this placement (created when the trainer grades).
    assessment = models.OneToOneField(
        Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_member"
    )

    class Meta:
        ordering = ["team", "lti_user__family_name", "lti_user__given_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["placement", "lti_user"], name="roleplay_one_team")
        ]

    def __str__(self) -> str:
        return f"{self.lti_user} — {self.team}"


class LiveSession(BaseModel):
    """The team's co-animated session, run in class (one per team)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("à venir")
        RUNNING = "running", _("en cours")
        ENDED = "ended", _("terminée")

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="session")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.team} ({self.status})"


class SessionRole(BaseModel):
    """A classmate's role in another team's session: a participant plays one role card, an
    observer watches one focus. A hidden instruction is shown to its holder and the trainer
    only."""

    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("participant·e")
        OBSERVER = "observer", _("observateur·rice")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="roles")
    lti_user = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=12, choices=Role.choices)
    card_id = models.CharField(max_length=100, blank=True)  # participant
    focus_id = models.CharField(max_length=100, blank=True)  # observer

    class Meta:
        ordering = ["session", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "lti_user"], name="roleplay_one_role"),
            models.UniqueConstraint(
                fields=["session", "card_id"],
                condition=~models.Q(card_id=""),
                name="roleplay_card_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lti_user}: {self.role} {self.card_id or self.focus_id}"


class IncidentDelivery(BaseModel):
    """An incident the trainer triggered during a session, and who must play it."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="incidents")
    incident_id = models.CharField(max_length=100)
    # The holder of the role card or of the mandate the incident is addressed to; None when
    # nobody holds it (the trainer then hands it on paper).
    recipient = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triggered_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    triggered_at = models.DateTimeField()
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "triggered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "incident_id"], name="roleplay_incident_once"
            )
        ]


class PreparationSheet(BaseModel):
    """The team's *fiche de préparation*: the current text of every section, and its
    revision number for optimistic concurrency (two members never overwrite each other)."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sheet")
    # Section name → value (texts; the sequence plan is a list of rows).
    fields = models.JSONField(default=dict)
    revision = models.PositiveIntegerField(default=0)


class SheetRevision(BaseModel):
    """Every saved state of the sheet, with its author and the sections it changed."""

    sheet = models.ForeignKey(PreparationSheet, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    fields = models.JSONField(default=dict)
    changed = models.JSONField(default=list)

    class Meta:
        ordering = ["sheet", "number"]
        constraints = [
            models.UniqueConstraint(fields=["sheet", "number"], name="roleplay_revision_number")
        ]


class SheetComment(BaseModel):
    """A trainer's comment on the sheet, on one section or on the whole (empty section)."""

    sheet = models.ForeignKey(PreparationSheet, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    section = models.CharField(max_length=50, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["sheet", "created_at", "pk"]


class GridEntry(BaseModel):
    """A level given on one criterion of the brief by an observer, a co-animator about
    themself, or a co-animator about their partner. ``subject`` is the co-animator assessed;
    None for a shared criterion (the whole team). Inputs for the trainer, never a grade."""

    class Source(models.TextChoices):
        OBSERVER = "observer", _("observateur·rice")
        SELF = "self", _("auto-évaluation")
        PARTNER = "partner", _("partenaire de co-animation")

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="grid")
    author = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    criterion_code = models.CharField(max_length=50)
    level = models.PositiveSmallIntegerField(null=True, blank=True)  # None: cannot say
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["session", "criterion_code", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "author", "subject", "criterion_code"],
                condition=models.Q(subject__isnull=False),
                name="roleplay_grid_once",
            ),
            models.UniqueConstraint(
                fields=["session", "author", "criterion_code"],
                condition=models.Q(subject__isnull=True),
                name="roleplay_grid_shared_once",
            ),
            models.CheckConstraint(
                condition=models.Q(level__isnull=True) | models.Q(level__lte=4),
                name="roleplay_grid_level_0_4",
            ),
        ]


class ObserverNote(BaseModel):
    """A time-stamped note taken by an observer during the session. ``client_id`` is made
    by the phone so that a retried save is recorded once."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    client_id = models.UUIDField(unique=True)
    criterion_code = models.CharField(max_length=50, blank=True)
    subject = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField()
    noted_at = models.DateTimeField()

    class Meta:
        ordering = ["session", "noted_at", "pk"]


class DebriefComment(BaseModel):
    """A co-animator's overall feedback after the session: about their partner (subject),
    or about the session as a whole (no subject)."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="debrief_comments"
    )
    author = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    subject = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.TextField()

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "author", "subject"],
                condition=models.Q(subject__isnull=False),
                name="roleplay_debrief_comment_once",
            ),
            models.UniqueConstraint(
                fields=["session", "author"],
                condition=models.Q(subject__isnull=True),
                name="roleplay_debrief_general_once",
            ),
        ]


class SessionReport(BaseModel):
    """A co-animator's written follow-up (≤ 1 page each): the session report for the team
    (DC3, CA-TRANS) and the reflexive analysis (DC1.2, CA-REFL)."""

    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="+")
    report = models.TextField(blank=True)
    reflection = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A trainer flags a report that is not anonymised (domain.md §0 point 9).
    flagged_at = models.DateTimeField(null=True, blank=True)
    flagged_by = models.ForeignKey(
        LtiUser, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flag_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "author"], name="roleplay_one_report")
        ]
