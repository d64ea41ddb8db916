"""Teams and session roles of a placed role-play (issue 8, "Groups and roles"; domain.md §6.1).

The trainer forms pairs or trios from the course roster (launches and NRPS, so students who
never launched are there too), by hand or at random, or lets students enrol themselves up
to the team size; gives each co-animator one of the brief's mandates; and, for each team's
live session, deals the brief's role cards to participants and its focuses to observers,
among the students who do not co-animate that session.

Writes are ``@transaction.atomic`` and lock the placement's setup row first: two trainers
(or two students joining the last seat) are served one after the other, so the "team not
full" and "not in a team yet" checks hold. The database constraints (one team per student
and placement, a card once per session) stay the last word: an ``IntegrityError`` becomes
a 409 a person can act on. Ids of cards, focuses and mandates are checked against the brief.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.placements import (
    CUSTOM_PARAMETER,
    activity_version_resolve,
    placement_bind_from_custom,
)
from lti_tool.activities.roleplays.access import brief_of, session_of, setup_of
from lti_tool.activities.roleplays.content import (
    Mandate,
    ObserverFocus,
    RoleCard,
    RolePlay,
    RolePlayCriterion,
)
from lti_tool.activities.roleplays.models import (
    TEAM_SIZE_MAX,
    TEAM_SIZE_MIN,
    LiveSession,
    PreparationSheet,
    RolePlaySetup,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.core.exceptions import ApplicationError, Conflict, ValidationFailed
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.models import LtiUser, ResourceLink

# --- pure rules -------------------------------------------------------------------------


def team_sizes(students: int, size: int) -> list[int]:
    """The sizes of the teams drawn from ``students`` people for teams of ``size``.

    Every team is a pair or a trio: a remainder joins the last teams rather than leaving
    someone alone (5 for pairs → 2 + 3; 7 for trios → 3 + 2 + 2). Fewer than two people
    make no team.
    """
    if students < TEAM_SIZE_MIN:
        return []
    count = -(-students // size)  # ceil
    while students // count < TEAM_SIZE_MIN:
        count -= 1
    base, extra = divmod(students, count)
    sizes = [base] * count
    for index in range(extra):
        sizes[-1 - index] += 1
    return sizes


def mandates_dealt(brief: RolePlay, held: Iterable[str], count: int) -> list[str]:
    """Mandates for ``count`` new co-animators of a team whose members already hold
    ``held``: the least held first, in the brief's order (two institutions → one each)."""
    ids = [m.id for m in brief.mandates]
    if not ids:
        return [""] * count
    tally = Counter(mandate for mandate in held if mandate in ids)
    dealt = []
    for _index in range(count):
        chosen = min(ids, key=lambda mandate: (tally[mandate], ids.index(mandate)))
        tally[chosen] += 1
        dealt.append(chosen)
    return dealt


def roles_dealt(
    *,
    cards: Sequence[str],
    focuses: Sequence[str],
    current: Mapping[int, tuple[str, str]],
    candidates: Sequence[int],
    elsewhere: Mapping[int, int],
) -> dict[int, tuple[str, str]]:
    """New roles for ``candidates`` (people without a role in the session, in a random
    order) given the ``current`` cast: the cards nobody holds go first, to those with the
    fewest roles ``elsewhere`` (the load spreads over the class); everyone left observes,
    each taking the focus watched by the fewest so far (brief order on ties)."""
    held = {item for role, item in current.values() if role == "participant"}
    free_cards = [card for card in cards if card not in held]
    watched = Counter(item for role, item in current.values() if role == "observer")
    dealt: dict[int, tuple[str, str]] = {}
    for person in sorted(candidates, key=lambda pk: elsewhere.get(pk, 0)):  # stable
        if free_cards:
            dealt[person] = ("participant", free_cards.pop(0))
        elif focuses:
            focus = min(focuses, key=lambda f: (watched[f], focuses.index(f)))
            watched[focus] += 1
            dealt[person] = ("observer", focus)
    return dealt


# --- selectors ----------------------------------------------------------------------------


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


def link_holds_roleplay(*, resource_link_pk: int) -> bool:
    """True when the link is bound to a role-play, or will be by its ``activity`` custom
    parameter (a trainer's first launch lands on the setup page, which binds it)."""
    placement = (
        Placement.objects.filter(resource_link_id=resource_link_pk)
        .select_related("activity_version__activity")
        .first()
    )
    if placement is not None:
        return bool(placement.activity_version.activity.kind == ActivityKind.ROLEPLAY.value)
    link = ResourceLink.objects.filter(pk=resource_link_pk).first()
    reference = str(link.custom.get(CUSTOM_PARAMETER, "")).strip() if link else ""
    if not reference:
        return False
    try:
        version = activity_version_resolve(reference)
    except ApplicationError:
        return False  # the course page explains a bad reference to the trainer
    return bool(version.activity.kind == ActivityKind.ROLEPLAY.value)


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


def _team_lock(team: Team, session: LiveSession) -> str:
    """Why the team's members can no longer change, or "" while nothing depends on them."""
    if session.status != LiveSession.Status.PLANNED:
        return _("la séance de cette équipe a commencé")
    if any(m.assessment_id for m in team.members.all()):
        return _("l'évaluation de cette équipe a commencé")
    return ""


def _sheet_written(team: Team) -> bool:
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
        locked = _team_lock(team, team.session)
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
                deletable=not locked and not _sheet_written(team),
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
        can_leave=setup.self_enrolment_open and not _team_lock(team, session),
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


# --- services: setup and teams ---------------------------------------------------------


def _setup_locked(placement: Placement) -> RolePlaySetup:
    """The placement's setup row, locked until the end of the transaction: every change of
    teams and roles of one placement goes through it, one at a time."""
    setup_of(placement)
    return RolePlaySetup.objects.select_for_update().get(placement=placement)


def trainer_link_bind(*, resource_link_pk: int, context_pk: int | None, actor: LtiUser) -> None:
    """Bind a link of the trainer's course from its ``activity`` custom parameter when the
    launch lands on the setup page before the course page did it."""
    if context_pk is None:
        return
    link = ResourceLink.objects.filter(pk=resource_link_pk, context_id=context_pk).first()
    if link is not None:
        placement_bind_from_custom(resource_link=link, actor=actor)


@transaction.atomic
def setup_update(
    *,
    placement: Placement,
    team_size: int,
    self_enrolment_open: bool,
    preparation_due_at: datetime | None,
) -> RolePlaySetup:
    """The trainer's settings. The team size is the target of random draws and the cap of
    self-enrolment; a trainer may still form a trio by hand in a placement of pairs."""
    if not TEAM_SIZE_MIN <= team_size <= TEAM_SIZE_MAX:
        raise ValidationFailed(
            _("Une équipe compte %(min)d ou %(max)d co-animateur·rices.")
            % {"min": TEAM_SIZE_MIN, "max": TEAM_SIZE_MAX}
        )
    setup = _setup_locked(placement)
    setup.team_size = team_size
    setup.self_enrolment_open = self_enrolment_open
    setup.preparation_due_at = preparation_due_at
    setup.save(update_fields=["team_size", "self_enrolment_open", "preparation_due_at"])
    return setup


def _names(people: Iterable[LtiUser]) -> str:
    return ", ".join(p.display_name for p in people)


def _students_check(placement: Placement, people: list[LtiUser]) -> None:
    enrolled = {s.pk for s in course_students(placement=placement)}
    strangers = [p for p in people if p.pk not in enrolled]
    if strangers:
        raise ValidationFailed(
            _("Ces personnes ne sont pas étudiantes de ce cours : %(names)s.")
            % {"names": _names(strangers)}
        )


def _size_check(people: list[LtiUser]) -> None:
    if not TEAM_SIZE_MIN <= len(people) <= TEAM_SIZE_MAX:
        raise ValidationFailed(
            _("Choisissez %(min)d ou %(max)d étudiant·es pour former une équipe.")
            % {"min": TEAM_SIZE_MIN, "max": TEAM_SIZE_MAX}
        )


def _free_check(placement: Placement, people: list[LtiUser], *, team: Team | None = None) -> None:
    taken = TeamMember.objects.filter(placement=placement, lti_user__in=people).select_related(
        "lti_user", "team"
    )
    if team is not None:
        taken = taken.exclude(team=team)
    if taken:
        raise Conflict(
            _("Déjà dans une équipe : %(names)s. Retirez-les d'abord de leur équipe.")
            % {"names": ", ".join(f"{m.lti_user.display_name} ({m.team.name})" for m in taken)}
        )


def _integrity_conflict() -> Conflict:
    return Conflict(
        _(
            "Quelqu'un a modifié les équipes en même temps que vous : rechargez la page et "
            "recommencez."
        )
    )


def _team_new(placement: Placement, brief: RolePlay, people: list[LtiUser], *, number: int) -> Team:
    team = Team.objects.create(
        placement=placement, number=number, name=_("Équipe %(number)d") % {"number": number}
    )
    LiveSession.objects.create(team=team)
    TeamMember.objects.bulk_create(
        TeamMember(team=team, placement=placement, lti_user=person, mandate_id=mandate)
        for person, mandate in zip(people, mandates_dealt(brief, (), len(people)), strict=True)
    )
    return team


def _next_number(placement: Placement) -> int:
    return int(Team.objects.filter(placement=placement).aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def team_create(*, placement: Placement, members: list[LtiUser]) -> Team:
    """A pair or trio formed by the trainer, mandates dealt in the brief's order."""
    _setup_locked(placement)
    _size_check(members)
    _students_check(placement, members)
    _free_check(placement, members)
    try:
        with transaction.atomic():
            return _team_new(
                placement, brief_of(placement), members, number=_next_number(placement)
            )
    except IntegrityError as error:
        raise _integrity_conflict() from error


@transaction.atomic
def teams_draw(*, placement: Placement) -> list[Team]:
    """Teams drawn at random among the students without a team, by the team size (a
    remainder joins the last teams, see ``team_sizes``)."""
    setup = _setup_locked(placement)
    placed = set(TeamMember.objects.filter(placement=placement).values_list("lti_user", flat=True))
    free = [s for s in course_students(placement=placement) if s.pk not in placed]
    sizes = team_sizes(len(free), setup.team_size)
    if not sizes:
        raise ValidationFailed(
            _("Il faut au moins deux étudiant·es sans équipe pour former des équipes au hasard.")
        )
    secrets.SystemRandom().shuffle(free)
    brief = brief_of(placement)
    number = _next_number(placement)
    teams = []
    try:
        with transaction.atomic():
            for offset, size in enumerate(sizes):
                chosen, free = free[:size], free[size:]
                teams.append(_team_new(placement, brief, chosen, number=number + offset))
    except IntegrityError as error:
        raise _integrity_conflict() from error
    return teams


def _team_locked_check(team: Team) -> LiveSession:
    session = session_of(team)
    reason = _team_lock(team, session)
    if reason:
        raise Conflict(
            _("%(team)s ne peut plus être modifiée : %(reason)s.")
            % {"team": team.name, "reason": reason}
        )
    return session


@transaction.atomic
def team_members_set(*, team: Team, members: list[LtiUser]) -> Team:
    """Change who co-animates in a team, while its session has not started and nobody has
    graded it. A newcomer may not hold a role in the session they would co-animate."""
    placement = team.placement
    _setup_locked(placement)
    session = _team_locked_check(team)
    _size_check(members)
    _students_check(placement, members)
    _free_check(placement, members, team=team)
    playing = SessionRole.objects.filter(session=session, lti_user__in=members).select_related(
        "lti_user"
    )
    if playing:
        raise Conflict(
            _(
                "%(names)s ont un rôle dans la séance de %(team)s : retirez-leur ce rôle avant "
                "d'en faire des co-animateur·rices."
            )
            % {"names": _names(r.lti_user for r in playing), "team": team.name}
        )
    wanted = {p.pk: p for p in members}
    current = list(team.members.all())
    TeamMember.objects.filter(team=team).exclude(lti_user_id__in=wanted).delete()
    kept = [m for m in current if m.lti_user_id in wanted]
    newcomers = [p for pk, p in wanted.items() if pk not in {m.lti_user_id for m in kept}]
    mandates = mandates_dealt(brief_of(placement), (m.mandate_id for m in kept), len(newcomers))
    try:
        with transaction.atomic():
            TeamMember.objects.bulk_create(
                TeamMember(team=team, placement=placement, lti_user=person, mandate_id=mandate)
                for person, mandate in zip(newcomers, mandates, strict=True)
            )
    except IntegrityError as error:
        raise _integrity_conflict() from error
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team whose session has not started and whose sheet is still blank."""
    _setup_locked(team.placement)
    _team_locked_check(team)
    if _sheet_written(team):
        raise Conflict(
            _(
                "%(team)s a déjà rédigé sa fiche de préparation : modifiez ses membres plutôt "
                "que de la supprimer."
            )
            % {"team": team.name}
        )
    team.delete()


@transaction.atomic
def team_mandates_set(*, team: Team, mandates: Mapping[int, str]) -> None:
    """Each co-animator's mandate (``mandates``: TeamMember pk → mandate id of the brief),
    fixed once the session starts (secret incidents go to a mandate's holder)."""
    _setup_locked(team.placement)
    session = session_of(team)
    if session.status != LiveSession.Status.PLANNED:
        raise Conflict(_("La séance a commencé : les mandats ne changent plus."))
    brief = brief_of(team.placement)
    members = {m.pk: m for m in team.members.all()}
    for member_pk, mandate_id in mandates.items():
        if member_pk not in members:
            raise ValidationFailed(
                _("Ce membre n'appartient pas à %(team)s.") % {"team": team.name}
            )
        if mandate_id and brief.mandate(mandate_id) is None:
            raise ValidationFailed(
                _("Mandat inconnu : « %(id)s ». Mandats de la fiche : %(ids)s.")
                % {"id": mandate_id, "ids": ", ".join(m.id for m in brief.mandates)}
            )
    for member_pk, mandate_id in mandates.items():
        member = members[member_pk]
        member.mandate_id = mandate_id
        member.save(update_fields=["mandate_id"])


# --- services: roles in a session ------------------------------------------------------


Assignment = tuple[str, str]  # (SessionRole.Role value, card or focus id)


def _roles_check(
    session: LiveSession,
    brief: RolePlay,
    people: Mapping[int, LtiUser],
    wanted: Mapping[int, Assignment],
) -> None:
    co_animators = set(session.team.members.values_list("lti_user_id", flat=True))
    clash = [people[pk] for pk in wanted if pk in co_animators]
    if clash:
        raise ValidationFailed(
            _("%(names)s co-animent cette séance : ils et elles ne peuvent pas y jouer un rôle.")
            % {"names": _names(clash)}
        )
    cards: dict[str, list[LtiUser]] = {}
    for pk, (role, item) in wanted.items():
        if role == SessionRole.Role.PARTICIPANT:
            if brief.card(item) is None:
                raise ValidationFailed(
                    _("Carte de rôle inconnue : « %(id)s ». Cartes de la fiche : %(ids)s.")
                    % {"id": item, "ids": ", ".join(c.id for c in brief.role_cards)}
                )
            cards.setdefault(item, []).append(people[pk])
        elif role == SessionRole.Role.OBSERVER:
            if brief.focus(item) is None:
                raise ValidationFailed(
                    _("Focus d'observation inconnu : « %(id)s ». Focus de la fiche : %(ids)s.")
                    % {"id": item, "ids": ", ".join(f.id for f in brief.observer_focuses)}
                )
        else:
            raise ValidationFailed(_("Rôle inconnu : « %(role)s ».") % {"role": role})
    for card_id, holders in cards.items():
        if len(holders) > 1:
            card = brief.card(card_id)
            raise ValidationFailed(
                _(
                    "La carte « %(card)s » est donnée à %(names)s : une carte va à une seule personne par séance."
                )
                % {"card": card.name if card else card_id, "names": _names(holders)}
            )


def _roles_write(session: LiveSession, wanted: Mapping[int, Assignment]) -> None:
    rows = [
        SessionRole(
            session=session,
            lti_user_id=pk,
            role=role,
            card_id=item if role == SessionRole.Role.PARTICIPANT else "",
            focus_id=item if role == SessionRole.Role.OBSERVER else "",
        )
        for pk, (role, item) in wanted.items()
    ]
    try:
        with transaction.atomic():
            SessionRole.objects.filter(session=session).delete()
            SessionRole.objects.bulk_create(rows)
    except IntegrityError as error:
        raise Conflict(
            _(
                "Une carte de rôle ou une personne a été attribuée deux fois dans cette séance "
                "pendant votre saisie : rechargez la page et recommencez."
            )
        ) from error


def _session_planned(session: LiveSession) -> None:
    if session.status != LiveSession.Status.PLANNED:
        raise Conflict(
            _("La séance de %(team)s a commencé : les rôles ne changent plus.")
            % {"team": session.team.name}
        )


@transaction.atomic
def session_roles_set(*, team: Team, assignments: Mapping[int, Assignment]) -> None:
    """The whole cast of a team's session (LtiUser pk → role and card or focus), replacing
    the previous one, while the session has not started."""
    placement = team.placement
    _setup_locked(placement)
    session = session_of(team)
    _session_planned(session)
    people = {p.pk: p for p in course_students(placement=placement)}
    unknown = [pk for pk in assignments if pk not in people]
    if unknown:
        raise ValidationFailed(_("Une personne choisie n'est pas étudiante de ce cours."))
    _roles_check(session, brief_of(placement), people, assignments)
    _roles_write(session, assignments)


@transaction.atomic
def session_roles_deal(*, team: Team) -> list[SessionRole]:
    """Complete the cast of a team's session: the cards nobody holds yet go to students
    without a role in it (those with the fewest roles elsewhere first, then at random),
    and everyone left observes, focuses dealt so that each is watched by as many people as
    possible. Roles already given are kept. Returns the roles created."""
    placement = team.placement
    _setup_locked(placement)
    session = session_of(team)
    _session_planned(session)
    brief = brief_of(placement)
    current = {r.lti_user_id: (r.role, r.card_id or r.focus_id) for r in session.roles.all()}
    co_animators = set(team.members.values_list("lti_user_id", flat=True))
    candidates = [
        s
        for s in course_students(placement=placement)
        if s.pk not in co_animators and s.pk not in current
    ]
    if not candidates:
        raise ValidationFailed(
            _("Tous les étudiant·es qui ne co-animent pas cette séance y ont déjà un rôle.")
        )
    elsewhere = Counter(
        SessionRole.objects.filter(session__team__placement=placement)
        .exclude(session=session)
        .values_list("lti_user_id", flat=True)
    )
    pks = [s.pk for s in candidates]
    secrets.SystemRandom().shuffle(pks)  # ties between equally busy students: at random
    wanted = {
        **current,
        **roles_dealt(
            cards=[c.id for c in brief.role_cards],
            focuses=[f.id for f in brief.observer_focuses],
            current=current,
            candidates=pks,
            elsewhere=elsewhere,
        ),
    }
    _roles_write(session, wanted)
    return list(session.roles.exclude(lti_user_id__in=current))


# --- services: students enrol themselves ------------------------------------------------


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
    setup = _setup_locked(placement)
    _enrolment_open(setup)
    _students_check(placement, [student])
    _no_team_yet(placement, student)
    try:
        with transaction.atomic():
            return _team_new(
                placement, brief_of(placement), [student], number=_next_number(placement)
            )
    except IntegrityError as error:
        raise _integrity_conflict() from error


@transaction.atomic
def team_enrol_join(*, team: Team, student: LtiUser) -> TeamMember:
    """A student joins a team that is not full and whose session has not started."""
    placement = team.placement
    setup = _setup_locked(placement)
    _enrolment_open(setup)
    _students_check(placement, [student])
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
        raise _integrity_conflict() from error


@transaction.atomic
def team_enrol_leave(*, placement: Placement, student: LtiUser) -> None:
    """A student leaves their team before its session starts; a team left empty goes."""
    setup = _setup_locked(placement)
    _enrolment_open(setup)
    member = (
        TeamMember.objects.filter(placement=placement, lti_user=student)
        .select_related("team")
        .first()
    )
    if member is None:
        raise Conflict(_("Vous n'êtes dans aucune équipe de ce jeu de rôle."))
    team = member.team
    _team_locked_check(team)
    member.delete()
    if not team.members.exists():
        team.delete()


def course_students_get(*, placement: Placement, pks: Iterable[int]) -> list[LtiUser]:
    """The course's students with these ids, in the roster's order; 400 for anyone else."""
    wanted = set(pks)
    found = [s for s in course_students(placement=placement) if s.pk in wanted]
    if len(found) != len(wanted):
        raise ValidationFailed(
            _("Une personne choisie n'est pas étudiante de ce cours : rechargez la page.")
        )
    return found
