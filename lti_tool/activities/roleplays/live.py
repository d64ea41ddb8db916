"""The live session, in class and on phones (issue 8, "Live session"; domain.md §6.1 step 3).

Who is who in one session (``live_seat_get``), what the trainer's console and a student's
live page show (selectors), and the writes of the session: start and stop, trigger an
incident, mark it seen, save an observer's level or note (services).

Rules kept here, on the server:
* an incident reaches the holder of the role card or of the mandate it is addressed to,
  once, and only while the session runs; with no holder it is recorded for nobody and the
  trainer hands it on paper;
* an observer assesses the criteria of their focus only: per co-animator when the
  criterion is individual, once for the team when it is shared (domain.md §4.3);
* saving stays open while the session runs and ``SAVE_GRACE`` after it ends, so that a
  phone that was offline at the end can still deliver what it kept;
* a note carries the phone's UUID: a retried save is recorded once.

The save and poll paths are what 30 phones hit every few seconds: each is a handful of
indexed queries, never one per item.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid4

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.access import Viewer, session_of, team_get
from lti_tool.activities.roleplays.content import (
    Incident,
    Mandate,
    ObserverFocus,
    RoleCard,
    RolePlay,
    RolePlayCriterion,
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
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX
from lti_tool.lti.models import LtiUser

# Observers may still save this long after the session ends (a phone back online).
SAVE_GRACE = timedelta(minutes=30)
# "Je ne sais pas": recorded as a level of None, which the synthesis does not count.
LEVEL_UNKNOWN = "nsp"
NOTE_MAX_CHARS = 2000
TEAM_KEY = "equipe"  # grid item key of a shared criterion (the whole team)


class Seat(StrEnum):
    TRAINER = "trainer"
    CO_ANIMATOR = "co_animator"
    PARTICIPANT = "participant"
    OBSERVER = "observer"


@dataclass(frozen=True)
class LiveSeat:
    """Where the viewer sits in one team's session."""

    team: Team
    session: LiveSession
    seat: Seat
    role: SessionRole | None = None  # participant or observer
    membership: TeamMember | None = None  # co-animator

    @property
    def lti_user_pk(self) -> int | None:
        if self.role is not None:
            return self.role.lti_user_id
        return self.membership.lti_user_id if self.membership else None


def live_seat_get(viewer: Viewer, *, team_pk: int) -> LiveSeat:
    """The viewer's seat in the session of ``team_pk``: the trainer, a co-animator of the
    team, or a classmate holding a role in that session; anyone else is refused."""
    if viewer.is_trainer:
        team = team_get(viewer, team_pk=team_pk)
        return LiveSeat(team=team, session=session_of(team), seat=Seat.TRAINER)
    if viewer.membership is not None and viewer.membership.team_id == team_pk:
        team = viewer.membership.team
        return LiveSeat(
            team=team, session=session_of(team), seat=Seat.CO_ANIMATOR, membership=viewer.membership
        )
    # ``viewer.roles`` come with their session and team (one query in roleplay_access).
    role = next((r for r in viewer.roles if r.session.team_id == team_pk), None)
    if role is None:
        raise PermissionDenied(
            _(
                "Vous n'avez pas de rôle dans cette séance : seul·es ses co-animateur·rices, "
                "ses participant·es et ses observateur·rices y ont accès."
            )
        )
    seat = Seat.OBSERVER if role.role == SessionRole.Role.OBSERVER else Seat.PARTICIPANT
    return LiveSeat(team=role.session.team, session=role.session, seat=seat, role=role)


# --- clock ------------------------------------------------------------------------------


def elapsed_seconds(session: LiveSession, *, now: datetime | None = None) -> int | None:
    """Seconds since the start (up to the end once ended); None before the start. The
    server's clock is the truth, phones only tick between two polls."""
    if session.started_at is None:
        return None
    until = session.ended_at or now or timezone.now()
    return max(0, int((until - session.started_at).total_seconds()))


def saving_open(session: LiveSession, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    if session.status == LiveSession.Status.RUNNING:
        return True
    return (
        session.status == LiveSession.Status.ENDED
        and session.ended_at is not None
        and now - session.ended_at <= SAVE_GRACE
    )


def _saving_check(session: LiveSession, now: datetime) -> None:
    if session.status == LiveSession.Status.PLANNED:
        # Transient: the phone keeps the entry and sends it again once the trainer starts.
        raise Conflict(
            _("La séance n'a pas encore commencé : votre saisie sera envoyée dès son début."),
            extra={"retry": True},
        )
    if not saving_open(session, now=now):
        raise Conflict(
            _(
                "La séance est terminée depuis plus de %(minutes)d minutes : la grille est "
                "close. Transmettez vos remarques au ou à la formateur·rice."
            )
            % {"minutes": int(SAVE_GRACE.total_seconds() // 60)}
        )


# --- session: start, stop ---------------------------------------------------------------


def _session_lock(session: LiveSession) -> LiveSession:
    return LiveSession.objects.select_for_update().get(pk=session.pk)


@transaction.atomic
def session_start(*, session: LiveSession) -> LiveSession:
    """Planned → running; the clock starts now."""
    session = _session_lock(session)
    if session.status == LiveSession.Status.RUNNING:
        raise Conflict(_("La séance est déjà en cours."))
    if session.status == LiveSession.Status.ENDED:
        raise Conflict(_("La séance est terminée : elle ne peut pas être relancée."))
    session.status = LiveSession.Status.RUNNING
    session.started_at = timezone.now()
    session.save(update_fields=["status", "started_at", "updated_at"])
    return session


@transaction.atomic
def session_stop(*, session: LiveSession) -> LiveSession:
    """Running → ended; observers keep ``SAVE_GRACE`` to send what their phone kept."""
    session = _session_lock(session)
    if session.status != LiveSession.Status.RUNNING:
        raise Conflict(_("La séance n'est pas en cours : il n'y a rien à arrêter."))
    session.status = LiveSession.Status.ENDED
    session.ended_at = timezone.now()
    session.save(update_fields=["status", "ended_at", "updated_at"])
    return session


# --- incidents --------------------------------------------------------------------------


def incident_recipient(*, session: LiveSession, incident: Incident) -> LtiUser | None:
    """Who plays the incident: the participant holding the role card it names, or the
    co-animator acting under the mandate it names (present ones first in a trio sharing a
    mandate); None when nobody holds it."""
    role = (
        SessionRole.objects.filter(
            session=session, role=SessionRole.Role.PARTICIPANT, card_id=incident.to
        )
        .select_related("lti_user")
        .first()
    )
    if role is not None:
        return role.lti_user
    member = (
        TeamMember.objects.filter(team_id=session.team_id, mandate_id=incident.to)
        .select_related("lti_user")
        .order_by("absent", "lti_user__family_name", "lti_user__given_name", "pk")
        .first()
    )
    return member.lti_user if member is not None else None


@transaction.atomic
def incident_trigger(
    *, session: LiveSession, brief: RolePlay, incident_id: str, actor: LtiUser
) -> IncidentDelivery:
    """Deliver one of the brief's incidents, once, while the session runs."""
    incident = brief.incident(incident_id)
    if incident is None:
        raise NotFound(_("Cet incident n'existe pas dans la fiche du jeu de rôle."))
    session = _session_lock(session)
    if session.status != LiveSession.Status.RUNNING:
        raise Conflict(
            _("Un incident ne se déclenche que pendant la séance : démarrez-la d'abord.")
        )
    earlier = IncidentDelivery.objects.filter(session=session, incident_id=incident_id).first()
    if earlier is not None:
        raise Conflict(
            _("Cet incident a déjà été déclenché à %(time)s.")
            % {"time": timezone.localtime(earlier.triggered_at).strftime("%H:%M")}
        )
    try:
        with transaction.atomic():
            return IncidentDelivery.objects.create(
                session=session,
                incident_id=incident_id,
                recipient=incident_recipient(session=session, incident=incident),
                triggered_by=actor,
                triggered_at=timezone.now(),
            )
    except IntegrityError as error:  # the session row lock makes this unreachable in practice
        raise Conflict(_("Cet incident a déjà été déclenché.")) from error


@dataclass(frozen=True)
class DeliveredIncident:
    delivery: IncidentDelivery
    incident: Incident | None  # None if the brief no longer has it (never for a version)
    fresh: bool = False  # shown for the first time now: announced to screen readers


def incidents_deliver(
    *, session: LiveSession, brief: RolePlay, lti_user_pk: int
) -> list[DeliveredIncident]:
    """The incidents addressed to this person, newest first; showing them marks the
    unseen ones seen (the trainer's console then says the student has it). Polled every
    2 s by every phone: one read, and one conditional update (atomic on its own) only when
    something new is shown."""
    deliveries = list(
        IncidentDelivery.objects.filter(session=session, recipient_id=lti_user_pk).order_by(
            "-triggered_at", "-pk"
        )
    )
    unseen = [d.pk for d in deliveries if d.seen_at is None]
    if unseen:
        now = timezone.now()
        IncidentDelivery.objects.filter(pk__in=unseen, seen_at__isnull=True).update(
            seen_at=now, updated_at=now
        )
        for delivery in deliveries:
            delivery.seen_at = delivery.seen_at or now
    return [
        DeliveredIncident(d, brief.incident(d.incident_id), fresh=d.pk in unseen)
        for d in deliveries
    ]


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
    role = _observer_required(seat)
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


def new_client_id() -> str:
    """The id of a note written in a plain form (no JavaScript): sending the same form twice
    records it once, like a phone's retry."""
    return str(uuid4())


def _level_parse(raw: str) -> int | None:
    if raw == LEVEL_UNKNOWN:
        return None
    if raw.isdigit() and 0 <= int(raw) <= RUBRIC_LEVEL_MAX:
        return int(raw)
    raise ValidationFailed(
        _("Choisissez un niveau de 0 à 4, ou « je ne sais pas »."), code="bad_level"
    )


def _subject_check(
    *, session: LiveSession, criterion: RolePlayCriterion, subject_pk: int | None
) -> int | None:
    """The co-animator assessed: required for an individual criterion, none for a shared
    one (the same level then counts for the whole team, domain.md §4.3)."""
    if criterion.shared:
        return None
    if (
        subject_pk is None
        or not TeamMember.objects.filter(team_id=session.team_id, lti_user_id=subject_pk).exists()
    ):
        raise ValidationFailed(
            _("Ce critère s'évalue pour chaque co-animateur·rice : choisissez de qui il s'agit."),
            code="bad_subject",
        )
    return subject_pk


def _observed_criterion(seat: LiveSeat, brief: RolePlay, code: str) -> RolePlayCriterion:
    role = _observer_required(seat)
    focus = brief.focus(role.focus_id)
    criterion = brief.criterion(code)
    if focus is None or criterion is None or code not in focus.criteria:
        raise ValidationFailed(
            _("Ce critère ne fait pas partie de votre focus d'observation."), code="bad_criterion"
        )
    return criterion


def _observer_required(seat: LiveSeat) -> SessionRole:
    if seat.seat != Seat.OBSERVER or seat.role is None:
        raise PermissionDenied(
            _("Seul·es les observateur·rices de la séance remplissent la grille.")
        )
    return seat.role


@transaction.atomic
def grid_entry_save(
    *, seat: LiveSeat, brief: RolePlay, criterion_code: str, subject_pk: int | None, level: str
) -> GridEntry:
    """An observer's level on one criterion (and co-animator): the latest save wins.
    Returns the entry as saved (without its id when it replaced an earlier level)."""
    role = _observer_required(seat)
    criterion = _observed_criterion(seat, brief, criterion_code)
    value = _level_parse(level)
    subject = _subject_check(session=seat.session, criterion=criterion, subject_pk=subject_pk)
    now = timezone.now()
    _saving_check(seat.session, now)
    # Update first, insert when there was nothing: one statement for the usual case (a
    # level changed), no row lock held across round trips while 30 phones save.
    key = {
        "session": seat.session,
        "author_id": role.lti_user_id,
        "subject_id": subject,
        "criterion_code": criterion.code,
    }
    entry = GridEntry(**key, level=value, source=GridEntry.Source.OBSERVER)
    if GridEntry.objects.filter(**key).update(level=value, updated_at=now):
        return entry
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError:
        # The same first save arrived twice at once (a retry): the other one inserted.
        GridEntry.objects.filter(**key).update(level=value, updated_at=now)
    return entry


def _noted_at(raw: str, session: LiveSession, now: datetime) -> datetime:
    """The phone's time of the note, kept within the session (its start → now): a phone's
    clock may be wrong, the server's is the truth."""
    parsed = parse_datetime(raw) if raw else None
    if parsed is None or timezone.is_naive(parsed):
        return now
    low = session.started_at or now
    return min(max(parsed, low), now)


@transaction.atomic
def observer_note_save(
    *,
    seat: LiveSeat,
    brief: RolePlay,
    client_id: str,
    text: str,
    noted_at: str = "",
    criterion_code: str = "",
    subject_pk: int | None = None,
) -> tuple[ObserverNote, bool]:
    """A time-stamped note; the same ``client_id`` sent again returns the note recorded the
    first time (a retry after a lost answer). Returns (note, created)."""
    role = _observer_required(seat)
    try:
        uuid = UUID(client_id)
    except ValueError as error:
        raise ValidationFailed(_("Identifiant de note invalide."), code="bad_client_id") from error
    existing = ObserverNote.objects.filter(client_id=uuid).first()
    if existing is not None:
        if existing.author_id != role.lti_user_id or existing.session_id != seat.session.pk:
            raise Conflict(_("Cet identifiant de note est déjà utilisé."))
        return existing, False
    text = text.strip()
    if not text:
        raise ValidationFailed(_("La note est vide."), code="empty_note")
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationFailed(
            _("La note dépasse %(max)d caractères : coupez-la en deux.") % {"max": NOTE_MAX_CHARS},
            code="long_note",
        )
    # A note may name a criterion of the focus and a co-animator, both optional: a phone
    # user jotting a fact must not be refused for leaving a menu untouched.
    if criterion_code:
        _observed_criterion(seat, brief, criterion_code)
    if (
        subject_pk is not None
        and not TeamMember.objects.filter(
            team_id=seat.session.team_id, lti_user_id=subject_pk
        ).exists()
    ):
        raise ValidationFailed(_("Cette personne n'anime pas la séance."), code="bad_subject")
    now = timezone.now()
    _saving_check(seat.session, now)
    try:
        with transaction.atomic():
            note = ObserverNote.objects.create(
                session=seat.session,
                author_id=role.lti_user_id,
                client_id=uuid,
                criterion_code=criterion_code,
                subject_id=subject_pk,
                text=text,
                noted_at=_noted_at(noted_at, seat.session, now),
            )
    except IntegrityError:
        # The same retry arrived twice at once: the other request recorded it.
        return ObserverNote.objects.get(client_id=uuid), False
    return note, True


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


def incident_target_label(brief: RolePlay, incident: Incident) -> str:
    """ "Mme Lise Vautrin (carte)" or "Caisse d'allocations familiales (mandat)"."""
    card = brief.card(incident.to)
    if card is not None:
        return _("%(name)s (carte de rôle)") % {"name": card.name}
    mandate = brief.mandate(incident.to)
    if mandate is not None:
        return _("%(institution)s (mandat)") % {"institution": mandate.institution}
    return incident.to
