"""The writes of a live session (issue 8, "Live session"): start and stop, trigger an
incident and show it to its recipient, save an observer's level or note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.content import Incident, RolePlay, RolePlayCriterion
from lti_tool.activities.roleplays.live.seats import (
    LEVEL_UNKNOWN,
    NOTE_MAX_CHARS,
    LiveSeat,
    observer_required,
    saving_check,
)
from lti_tool.activities.roleplays.models import (
    GridEntry,
    IncidentDelivery,
    LiveSession,
    ObserverNote,
    SessionRole,
    TeamMember,
)
from lti_tool.core.exceptions import Conflict, NotFound, ValidationFailed
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX
from lti_tool.lti.models import LtiUser


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


# --- observer's grid and notes ---------------------------------------------------------


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
    role = observer_required(seat)
    focus = brief.focus(role.focus_id)
    criterion = brief.criterion(code)
    if focus is None or criterion is None or code not in focus.criteria:
        raise ValidationFailed(
            _("Ce critère ne fait pas partie de votre focus d'observation."), code="bad_criterion"
        )
    return criterion


@transaction.atomic
def grid_entry_save(
    *, seat: LiveSeat, brief: RolePlay, criterion_code: str, subject_pk: int | None, level: str
) -> GridEntry:
    """An observer's level on one criterion (and co-animator): the latest save wins.
    Returns the entry as saved (without its id when it replaced an earlier level)."""
    role = observer_required(seat)
    criterion = _observed_criterion(seat, brief, criterion_code)
    value = _level_parse(level)
    subject = _subject_check(session=seat.session, criterion=criterion, subject_pk=subject_pk)
    now = timezone.now()
    saving_check(seat.session, now)
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
    role = observer_required(seat)
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
    saving_check(seat.session, now)
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
