"""Who sits where in a live session, the session's clock and whether observers may still
save (issue 8, "Live session"). Read by the services, the selectors and the views."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.access import Viewer, session_of, team_get
from lti_tool.activities.roleplays.models import LiveSession, SessionRole, Team, TeamMember
from lti_tool.core.exceptions import Conflict, PermissionDenied

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


def saving_check(session: LiveSession, now: datetime) -> None:
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


def observer_required(seat: LiveSeat) -> SessionRole:
    if seat.seat != Seat.OBSERVER or seat.role is None:
        raise PermissionDenied(
            _("Seul·es les observateur·rices de la séance remplissent la grille.")
        )
    return seat.role
