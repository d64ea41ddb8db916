"""Who may see what in a placed role-play (issue 8, "authorisation matrix"; design.md §6).

Every role-play view starts here: ``roleplay_access`` turns the request's launch into a
``Viewer`` for one placement, or refuses (401 without a launch, 403 for another course's
trainer or a student who launched another link, 404 when the link holds no role-play).
The viewer then answers the questions the screens ask: is this the trainer, a co-animator
of that team, a participant or observer of that session. Hidden instructions, other
teams' work and grades are filtered by these answers, on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.content import RolePlay, roleplay_from_json
from lti_tool.activities.roleplays.models import (
    LiveSession,
    RolePlaySetup,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.core.exceptions import NotFound, PermissionDenied
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.models import LtiUser


def roleplay_placement_get(*, resource_link_pk: int) -> Placement:
    """The placement of a link bound to a role-play; 404 for anything else."""
    placement = (
        Placement.objects.filter(
            resource_link_id=resource_link_pk,
            activity_version__activity__kind=ActivityKind.ROLEPLAY.value,
        )
        .select_related("activity_version__activity", "resource_link__context")
        .first()
    )
    if placement is None:
        raise NotFound(
            _("Cette activité n'est pas un jeu de rôle de co-animation (ou n'existe pas).")
        )
    return placement


def brief_of(placement: Placement, *, language: str = "fr") -> RolePlay:
    """The brief of the version placed, texts in ``language`` when it has them."""
    return roleplay_from_json(placement.activity_version.content, language=language)


def setup_of(placement: Placement) -> RolePlaySetup:
    """The placement's role-play settings, created with the brief's team size on first use."""
    brief = brief_of(placement)
    setup, _created = RolePlaySetup.objects.get_or_create(
        placement=placement, defaults={"team_size": brief.co_animators}
    )
    return setup


@dataclass(frozen=True)
class Viewer:
    """The person behind the launch, as this placement sees them."""

    lti_user: LtiUser
    placement: Placement
    is_trainer: bool
    membership: TeamMember | None  # their own team, as a co-animator
    roles: tuple[SessionRole, ...] = field(default=())  # in other teams' sessions

    @property
    def team(self) -> Team | None:
        return self.membership.team if self.membership else None

    def is_co_animator(self, team: Team) -> bool:
        return self.membership is not None and self.membership.team_id == team.pk

    def role_in(self, session: LiveSession) -> SessionRole | None:
        return next((r for r in self.roles if r.session_id == session.pk), None)

    def can_see_team_work(self, team: Team) -> bool:
        """Preparation sheet, debrief, reports: the team itself and the trainer."""
        return self.is_trainer or self.is_co_animator(team)

    def can_see_hidden(self, role: SessionRole) -> bool:
        """A hidden instruction: its holder and the trainer only."""
        return self.is_trainer or role.lti_user_id == self.lti_user.pk


def roleplay_access(launch: LtiLaunch, *, resource_link_pk: int) -> Viewer:
    """The viewer of a placed role-play from the request's launch, or a refusal.

    A trainer reaches any role-play of the course they launched from; a student only the
    link they launched (design.md §6). Someone who is both (a trainer enrolled as student
    in a test course) is treated as a trainer.
    """
    placement = roleplay_placement_get(resource_link_pk=resource_link_pk)
    lti_user = LtiUser.objects.get(pk=launch.lti_user_id)
    if launch.is_trainer:
        if placement.resource_link.context_id != launch.context_id:
            raise PermissionDenied(
                _(
                    "Ce jeu de rôle appartient à un autre cours : relancez Atelier depuis le "
                    "cours concerné."
                )
            )
        return Viewer(lti_user=lti_user, placement=placement, is_trainer=True, membership=None)
    if launch.resource_link_id != resource_link_pk:
        raise PermissionDenied(_("Ce lancement ne donne pas accès à cette activité."))
    membership = (
        TeamMember.objects.filter(placement=placement, lti_user=lti_user)
        .select_related("team")
        .first()
    )
    roles = tuple(
        SessionRole.objects.filter(session__team__placement=placement, lti_user=lti_user)
        .select_related("session__team")
        .order_by("session__team__number")
    )
    return Viewer(
        lti_user=lti_user,
        placement=placement,
        is_trainer=False,
        membership=membership,
        roles=roles,
    )


def team_get(viewer: Viewer, *, team_pk: int) -> Team:
    """A team of the viewer's placement (404 for a team of another placement)."""
    team = (
        Team.objects.filter(placement=viewer.placement, pk=team_pk)
        .prefetch_related(
            Prefetch("members", queryset=TeamMember.objects.select_related("lti_user"))
        )
        .first()
    )
    if team is None:
        raise NotFound(_("Cette équipe n'existe pas dans ce jeu de rôle."))
    return team


def team_work_get(viewer: Viewer, *, team_pk: int) -> Team:
    """A team whose work (sheet, debrief, reports) the viewer may see; 403 otherwise."""
    team = team_get(viewer, team_pk=team_pk)
    if not viewer.can_see_team_work(team):
        raise PermissionDenied(
            _(
                "Ce travail appartient à une autre équipe : seul·es ses membres et le ou la formateur·rice y ont accès."
            )
        )
    return team


def trainer_required(viewer: Viewer) -> None:
    if not viewer.is_trainer:
        raise PermissionDenied(_("Cette page est réservée aux formateur·rices du cours."))


def session_of(team: Team) -> LiveSession:
    """The team's live session (created, planned, with the team)."""
    session, _created = LiveSession.objects.get_or_create(team=team)
    return session
