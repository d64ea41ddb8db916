"""Students form their teams themselves when the trainer opened self-enrolment: open a
team, join one that is not full, leave before the session starts (409 otherwise)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.access import brief_of, session_of
from lti_tool.activities.roleplays.models import (
    LiveSession,
    RolePlaySetup,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.activities.roleplays.teams.rules import mandates_dealt
from lti_tool.activities.roleplays.teams.services import (
    integrity_conflict,
    next_number,
    setup_locked,
    students_check,
    team_locked_check,
    team_new,
)
from lti_tool.core.exceptions import Conflict
from lti_tool.lti.models import LtiUser


def _enrolment_open(setup: RolePlaySetup) -> None:
    if not setup.self_enrolment_open:
        raise Conflict(
            _(
                "Les inscriptions dans les équipes sont fermées : c'est votre formateur·rice qui "
                "forme les équipes."
            )
        )


def _no_team_yet(placement: Placement, student: LtiUser) -> None:
    member = TeamMember.objects.filter(placement=placement, lti_user=student).select_related("team")
    if member:
        raise Conflict(
            _("Vous êtes déjà dans %(team)s : quittez-la d'abord pour changer d'équipe.")
            % {"team": member[0].team.name}
        )


@transaction.atomic
def team_enrol_create(*, placement: Placement, student: LtiUser) -> Team:
    """A student opens a new team, of which they are the first member."""
    setup = setup_locked(placement)
    _enrolment_open(setup)
    students_check(placement, [student])
    _no_team_yet(placement, student)
    try:
        with transaction.atomic():
            return team_new(
                placement, brief_of(placement), [student], number=next_number(placement)
            )
    except IntegrityError as error:
        raise integrity_conflict() from error


@transaction.atomic
def team_enrol_join(*, team: Team, student: LtiUser) -> TeamMember:
    """A student joins a team that is not full and whose session has not started."""
    placement = team.placement
    setup = setup_locked(placement)
    _enrolment_open(setup)
    students_check(placement, [student])
    _no_team_yet(placement, student)
    session = session_of(team)
    if session.status != LiveSession.Status.PLANNED:
        raise Conflict(
            _("La séance de %(team)s a commencé : elle n'accueille plus personne.")
            % {"team": team.name}
        )
    held = list(team.members.values_list("mandate_id", flat=True))
    if len(held) >= setup.team_size:
        raise Conflict(
            _(
                "%(team)s est complète (%(size)d co-animateur·rices) : choisissez une autre équipe ou créez-en une."
            )
            % {"team": team.name, "size": setup.team_size}
        )
    if SessionRole.objects.filter(session=session, lti_user=student).exists():
        raise Conflict(
            _(
                "Vous avez un rôle dans la séance de %(team)s : vous ne pouvez pas aussi la "
                "co-animer. Choisissez une autre équipe."
            )
            % {"team": team.name}
        )
    (mandate,) = mandates_dealt(brief_of(placement), held, 1)
    try:
        with transaction.atomic():
            return TeamMember.objects.create(
                team=team, placement=placement, lti_user=student, mandate_id=mandate
            )
    except IntegrityError as error:
        raise integrity_conflict() from error


@transaction.atomic
def team_enrol_leave(*, placement: Placement, student: LtiUser) -> None:
    """A student leaves their team before its session starts; a team left empty goes."""
    setup = setup_locked(placement)
    _enrolment_open(setup)
    member = (
        TeamMember.objects.filter(placement=placement, lti_user=student)
        .select_related("team")
        .first()
    )
    if member is None:
        raise Conflict(_("Vous n'êtes dans aucune équipe de ce jeu de rôle."))
    team = member.team
    team_locked_check(team)
    member.delete()
    if not team.members.exists():
        team.delete()
