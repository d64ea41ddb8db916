"""Reads of teams and roles: the course roster, the trainer's setup page, the student's
home. Hidden instructions are only put in what the trainer or their holder reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.access import brief_of, session_of, setup_of
from lti_tool.activities.roleplays.content import (
    Mandate,
    ObserverFocus,
    RoleCard,
    RolePlay,
    RolePlayCriterion,
)
from lti_tool.activities.roleplays.models import (
    LiveSession,
    PreparationSheet,
    RolePlaySetup,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.lti.models import LtiUser


def course_students(*, placement: Placement) -> list[LtiUser]:
    """The course's students, from launches and from the platform's roster (NRPS): those who
    never launched are there too. Someone who is also a trainer is never dealt a team."""
    return list(
        LtiUser.objects.filter(
            memberships__context_id=placement.resource_link.context_id,
            memberships__is_student=True,
            memberships__is_trainer=False,
        ).order_by("family_name", "given_name", "name", "pk")
    )


@dataclass(frozen=True)
class MemberView:
    member: TeamMember
    mandate: Mandate | None


@dataclass(frozen=True)
class RoleView:
    """A role in a session. ``card`` carries the hidden instruction: only ever built for
    the trainer's screens and for the holder's own home."""

    role: SessionRole
    card: RoleCard | None
    focus: ObserverFocus | None
    focus_criteria: tuple[RolePlayCriterion, ...] = ()


@dataclass(frozen=True)
class RoleChoice:
    """One student of the roles form: their current choice ("card:<id>", "focus:<id>",
    or "") and how many roles they already hold in other sessions."""

    person: LtiUser
    value: str
    elsewhere: int


@dataclass(frozen=True)
class TeamView:
    team: Team
    session: LiveSession
    members: list[MemberView]
    roles: list[RoleView]
    choices: list[RoleChoice]
    # Why the team's members can no longer change ("" while they can).
    locked: str
    deletable: bool
    # What the trainer should check before the session (see ``_team_gaps``).
    gaps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StudentRow:
    person: LtiUser
    team: Team | None
    roles: int


@dataclass(frozen=True)
class SetupPage:
    brief: RolePlay
    setup: RolePlaySetup
    teams: list[TeamView]
    students: list[StudentRow]
    without_team: list[LtiUser]


def _mandate_of(brief: RolePlay, member: TeamMember) -> Mandate | None:
    if len(brief.mandates) == 1:
        return brief.mandates[0]  # a single institution: everyone acts under it
    return brief.mandate(member.mandate_id)


def _role_view(brief: RolePlay, role: SessionRole) -> RoleView:
    focus = brief.focus(role.focus_id) if role.role == SessionRole.Role.OBSERVER else None
    criteria = tuple(
        c for code in (focus.criteria if focus else ()) if (c := brief.criterion(code)) is not None
    )
    return RoleView(
        role=role,
        card=brief.card(role.card_id) if role.role == SessionRole.Role.PARTICIPANT else None,
        focus=focus,
        focus_criteria=criteria,
    )


def _role_value(role: SessionRole) -> str:
    if role.role == SessionRole.Role.PARTICIPANT:
        return f"card:{role.card_id}" if role.card_id else ""
    return f"focus:{role.focus_id}"


def _team_gaps(brief: RolePlay, team: Team, roles: list[SessionRole]) -> list[str]:
    """Incidents that would reach nobody: a mandate no co-animator holds (two institutions),
    a card that receives an incident but is dealt to nobody in this session."""
    gaps = []
    if len(brief.mandates) > 1:
        held = {m.mandate_id for m in team.members.all()}
        gaps += [
            _(
                "Personne ne porte le mandat « %(institution)s » : les consignes secrètes "
                "adressées à ce mandat ne seront remises à personne."
            )
            % {"institution": mandate.institution}
            for mandate in brief.mandates
            if mandate.id not in held
        ]
    dealt = {r.card_id for r in roles if r.card_id}
    targets = dict.fromkeys(i.to for i in brief.incidents if brief.card(i.to) and i.to not in dealt)
    gaps += [
        _(
            "La carte « %(card)s » reçoit un incident pendant la séance mais personne ne la "
            "joue : attribuez-la, ou remettez l'incident sur papier."
        )
        % {"card": card.name}
        for card_id in targets
        if (card := brief.card(card_id)) is not None
    ]
    return gaps


def team_lock_reason(team: Team, session: LiveSession) -> str:
    """Why the team's members can no longer change, or "" while nothing depends on them."""
    if session.status != LiveSession.Status.PLANNED:
        return _("la séance de cette équipe a commencé")
    if any(m.assessment_id for m in team.members.all()):
        return _("l'évaluation de cette équipe a commencé")
    return ""


def team_sheet_written(team: Team) -> bool:
    return PreparationSheet.objects.filter(team=team, revision__gt=0).exists()


def _teams(placement: Placement) -> list[Team]:
    return list(
        Team.objects.filter(placement=placement)
        .select_related("session")
        .prefetch_related(
            Prefetch("members", queryset=TeamMember.objects.select_related("lti_user")),
            Prefetch(
                "session__roles",
                queryset=SessionRole.objects.select_related("lti_user").order_by(
                    "role", "lti_user__family_name", "lti_user__given_name", "pk"
                ),
            ),
        )
    )


def setup_page(*, placement: Placement, language: str = "fr") -> SetupPage:
    """Everything the trainer's setup page shows: the brief, the settings, every team with
    its members, mandates and session roles (hidden instructions included), the roster."""
    brief = brief_of(placement, language=language)
    setup = setup_of(placement)
    for team in Team.objects.filter(placement=placement, session__isnull=True):
        session_of(team)  # a team made before sessions existed gets its (planned) session
    teams = _teams(placement)
    students = course_students(placement=placement)
    team_of = {m.lti_user_id: t for t in teams for m in t.members.all()}
    held = Counter(r.lti_user_id for t in teams for r in t.session.roles.all())
    views = []
    for team in teams:
        member_ids = {m.lti_user_id for m in team.members.all()}
        current = {r.lti_user_id: r for r in team.session.roles.all()}
        locked = team_lock_reason(team, team.session)
        views.append(
            TeamView(
                team=team,
                session=team.session,
                members=[MemberView(m, _mandate_of(brief, m)) for m in team.members.all()],
                roles=[_role_view(brief, r) for r in team.session.roles.all()],
                choices=[
                    RoleChoice(
                        person=s,
                        value=_role_value(current[s.pk]) if s.pk in current else "",
                        elsewhere=held[s.pk] - (1 if s.pk in current else 0),
                    )
                    for s in students
                    if s.pk not in member_ids
                ],
                locked=locked,
                deletable=not locked and not team_sheet_written(team),
                gaps=_team_gaps(brief, team, list(team.session.roles.all())),
            )
        )
    return SetupPage(
        brief=brief,
        setup=setup,
        teams=views,
        students=[StudentRow(s, team_of.get(s.pk), held[s.pk]) for s in students],
        without_team=[s for s in students if s.pk not in team_of],
    )


@dataclass(frozen=True)
class OpenTeam:
    team: Team
    members: list[LtiUser]
    seats: int  # still free, up to the team size


@dataclass(frozen=True)
class StudentHome:
    brief: RolePlay
    setup: RolePlaySetup
    team: Team | None
    session: LiveSession | None
    mandate: Mandate | None
    partners: list[MemberView]
    # The viewer's own roles in other teams' sessions (their own hidden instruction only).
    roles: list[RoleView] = field(default_factory=list)
    open_teams: list[OpenTeam] = field(default_factory=list)
    can_leave: bool = False


def student_home(
    *, placement: Placement, lti_user: LtiUser, roles: Iterable[SessionRole], language: str = "fr"
) -> StudentHome:
    """The student's page of a placed role-play. ``roles`` are the viewer's own roles (from
    ``Viewer.roles``): nobody else's card is ever read here."""
    brief = brief_of(placement, language=language)
    setup = setup_of(placement)
    mine = [r for r in roles if r.lti_user_id == lti_user.pk]
    membership = (
        TeamMember.objects.filter(placement=placement, lti_user=lti_user)
        .select_related("team")
        .first()
    )
    home = StudentHome(
        brief=brief,
        setup=setup,
        team=None,
        session=None,
        mandate=None,
        partners=[],
        roles=[_role_view(brief, r) for r in mine],
    )
    if membership is None:
        if not setup.self_enrolment_open:
            return home
        return replace(home, open_teams=_open_teams(placement, setup))
    team = membership.team
    session = session_of(team)
    partners = [
        MemberView(m, _mandate_of(brief, m))
        for m in team.members.select_related("lti_user").exclude(pk=membership.pk)
    ]
    return replace(
        home,
        team=team,
        session=session,
        mandate=_mandate_of(brief, membership),
        partners=partners,
        can_leave=setup.self_enrolment_open and not team_lock_reason(team, session),
    )


def _open_teams(placement: Placement, setup: RolePlaySetup) -> list[OpenTeam]:
    teams = (
        Team.objects.filter(placement=placement, session__status=LiveSession.Status.PLANNED)
        .prefetch_related(
            Prefetch("members", queryset=TeamMember.objects.select_related("lti_user"))
        )
        .order_by("number")
    )
    rows = []
    for team in teams:
        members = [m.lti_user for m in team.members.all()]
        if len(members) < setup.team_size:
            rows.append(OpenTeam(team, members, setup.team_size - len(members)))
    return rows


def course_students_get(*, placement: Placement, pks: Iterable[int]) -> list[LtiUser]:
    """The course's students with these ids, in the roster's order; 400 for anyone else."""
    wanted = set(pks)
    found = [s for s in course_students(placement=placement) if s.pk in wanted]
    if len(found) != len(wanted):
        raise ValidationFailed(
            _("Une personne choisie n'est pas étudiante de ce cours : rechargez la page.")
        )
    return found
