"""What the live screens show (issue 8, "Live session"): the observer's grid with what
they saved, and the trainer's console (roles with hidden texts, incidents with expected
behaviour and delivery, observers' counts). Never another observer's levels for an
observer: those are read by the debrief and grading screens (synthesis.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from lti_tool.activities.roleplays.content import (
    Incident,
    Mandate,
    ObserverFocus,
    RoleCard,
    RolePlay,
    RolePlayCriterion,
)
from lti_tool.activities.roleplays.live.seats import (
    LEVEL_UNKNOWN,
    TEAM_KEY,
    LiveSeat,
    observer_required,
)
from lti_tool.activities.roleplays.models import (
    GridEntry,
    IncidentDelivery,
    LiveSession,
    ObserverNote,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.lti.models import LtiUser

# --- observer's grid --------------------------------------------------------------------


@dataclass(frozen=True)
class GridItem:
    """One line of an observer's grid: a criterion, about one co-animator or the team."""

    criterion: RolePlayCriterion
    subject: TeamMember | None  # None: shared criterion, one level for the team
    level: int | None = None
    saved: bool = False  # False: nothing given yet; True with level None: "je ne sais pas"

    @property
    def key(self) -> str:
        return f"{self.criterion.code}:{self.subject.lti_user_id if self.subject else TEAM_KEY}"

    @property
    def anchor(self) -> str:
        return "item-" + self.key.replace(":", "-")

    @property
    def value(self) -> str:
        """The saved choice as the form sends it."""
        if not self.saved:
            return ""
        return LEVEL_UNKNOWN if self.level is None else str(self.level)


@dataclass
class ObserverGrid:
    focus: ObserverFocus | None
    items: list[GridItem] = field(default_factory=list)
    notes: list[ObserverNote] = field(default_factory=list)


def team_members(team: Team) -> list[TeamMember]:
    """The co-animators, with their people (one query)."""
    return list(TeamMember.objects.filter(team=team).select_related("lti_user"))


def observer_grid(*, seat: LiveSeat, brief: RolePlay, members: list[TeamMember]) -> ObserverGrid:
    """The observer's criteria × co-animators, with what they already saved, and their
    notes (two queries). Never anyone else's levels."""
    role = observer_required(seat)
    focus = brief.focus(role.focus_id)
    grid = ObserverGrid(focus=focus)
    if focus is None:
        return grid
    saved = {
        (e.criterion_code, e.subject_id): e.level
        for e in GridEntry.objects.filter(
            session=seat.session, author_id=role.lti_user_id, source=GridEntry.Source.OBSERVER
        )
    }
    for code in focus.criteria:
        criterion = brief.criterion(code)
        if criterion is None:
            continue
        subjects: list[TeamMember | None] = [None] if criterion.shared else list(members)
        for subject in subjects:
            key = (code, subject.lti_user_id if subject else None)
            grid.items.append(
                GridItem(criterion, subject, level=saved.get(key), saved=key in saved)
            )
    grid.notes = list(
        ObserverNote.objects.filter(session=seat.session, author_id=role.lti_user_id)
        .select_related("subject")
        .order_by("-noted_at", "-pk")
    )
    return grid


# --- what the screens show --------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantLine:
    role: SessionRole
    card: RoleCard | None


@dataclass(frozen=True)
class ObserverLine:
    role: SessionRole
    focus: ObserverFocus | None
    levels: int
    notes: int


@dataclass(frozen=True)
class IncidentLine:
    incident: Incident
    delivery: IncidentDelivery | None
    holder: str  # who would receive it now ("" when nobody holds the card or mandate)


@dataclass(frozen=True)
class MemberLine:
    member: TeamMember
    mandate: Mandate | None


@dataclass
class Console:
    members: list[MemberLine]
    participants: list[ParticipantLine]
    observers: list[ObserverLine]
    incidents: list[IncidentLine]
    levels_total: int
    notes_total: int


def _display(user: LtiUser) -> str:
    return user.display_name


def console_get(*, session: LiveSession, brief: RolePlay) -> Console:
    """The trainer's console: every role with its hidden text, the incidents with their
    expected behaviour and delivery, and how much each observer saved (five queries)."""
    members = team_members(session.team)
    roles = list(SessionRole.objects.filter(session=session).select_related("lti_user"))
    deliveries = {
        d.incident_id: d
        for d in IncidentDelivery.objects.filter(session=session).select_related("recipient")
    }
    levels = Counter(
        GridEntry.objects.filter(session=session, source=GridEntry.Source.OBSERVER).values_list(
            "author_id", flat=True
        )
    )
    notes = Counter(
        ObserverNote.objects.filter(session=session).values_list("author_id", flat=True)
    )
    holders = {r.card_id: _display(r.lti_user) for r in roles if r.card_id}
    for member in sorted(members, key=lambda m: m.absent, reverse=True):
        if member.mandate_id:
            holders[member.mandate_id] = _display(member.lti_user)  # present ones win
    incidents = []
    for incident in brief.incidents:
        delivery = deliveries.get(incident.id)
        if delivery is not None:
            holder = _display(delivery.recipient) if delivery.recipient else ""
        else:
            holder = holders.get(incident.to, "")
        incidents.append(IncidentLine(incident, delivery, holder))
    observers = [r for r in roles if r.role == SessionRole.Role.OBSERVER]
    return Console(
        members=[MemberLine(m, brief.mandate(m.mandate_id)) for m in members],
        participants=[
            ParticipantLine(r, brief.card(r.card_id))
            for r in roles
            if r.role == SessionRole.Role.PARTICIPANT
        ],
        observers=[
            ObserverLine(r, brief.focus(r.focus_id), levels[r.lti_user_id], notes[r.lti_user_id])
            for r in observers
        ],
        incidents=incidents,
        levels_total=sum(levels[r.lti_user_id] for r in observers),
        notes_total=sum(notes[r.lti_user_id] for r in observers),
    )
