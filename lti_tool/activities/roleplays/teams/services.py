"""Writes of teams and roles (see the package docstring for locking and conflicts)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.activities.roleplays.access import brief_of, session_of, setup_of
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.models import (
    TEAM_SIZE_MAX,
    TEAM_SIZE_MIN,
    LiveSession,
    RolePlaySetup,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.activities.roleplays.teams.rules import mandates_dealt, roles_dealt, team_sizes
from lti_tool.activities.roleplays.teams.selectors import (
    course_students,
    team_lock_reason,
    team_sheet_written,
)
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.lti.models import LtiUser, ResourceLink

# --- services: setup and teams ---------------------------------------------------------


def setup_locked(placement: Placement) -> RolePlaySetup:
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
    setup = setup_locked(placement)
    setup.team_size = team_size
    setup.self_enrolment_open = self_enrolment_open
    setup.preparation_due_at = preparation_due_at
    setup.save(update_fields=["team_size", "self_enrolment_open", "preparation_due_at"])
    return setup


def _names(people: Iterable[LtiUser]) -> str:
    return ", ".join(p.display_name for p in people)


def students_check(placement: Placement, people: list[LtiUser]) -> None:
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


def integrity_conflict() -> Conflict:
    """What a constraint violation means here: someone changed the teams meanwhile."""
    return Conflict(
        _(
            "Quelqu'un a modifié les équipes en même temps que vous : rechargez la page et "
            "recommencez."
        )
    )


def team_new(placement: Placement, brief: RolePlay, people: list[LtiUser], *, number: int) -> Team:
    """A team with its (planned) session and its members, mandates dealt in brief order."""
    team = Team.objects.create(
        placement=placement, number=number, name=_("Équipe %(number)d") % {"number": number}
    )
    LiveSession.objects.create(team=team)
    TeamMember.objects.bulk_create(
        TeamMember(team=team, placement=placement, lti_user=person, mandate_id=mandate)
        for person, mandate in zip(people, mandates_dealt(brief, (), len(people)), strict=True)
    )
    return team


def next_number(placement: Placement) -> int:
    """After the highest number: numbers (and names) of deleted teams are not reused."""
    return int(Team.objects.filter(placement=placement).aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def team_create(*, placement: Placement, members: list[LtiUser]) -> Team:
    """A pair or trio formed by the trainer, mandates dealt in the brief's order."""
    setup_locked(placement)
    _size_check(members)
    students_check(placement, members)
    _free_check(placement, members)
    try:
        with transaction.atomic():
            return team_new(placement, brief_of(placement), members, number=next_number(placement))
    except IntegrityError as error:
        raise integrity_conflict() from error


@transaction.atomic
def teams_draw(*, placement: Placement) -> list[Team]:
    """Teams drawn at random among the students without a team, by the team size (a
    remainder joins the last teams, see ``team_sizes``)."""
    setup = setup_locked(placement)
    placed = set(TeamMember.objects.filter(placement=placement).values_list("lti_user", flat=True))
    free = [s for s in course_students(placement=placement) if s.pk not in placed]
    sizes = team_sizes(len(free), setup.team_size)
    if not sizes:
        raise ValidationFailed(
            _("Il faut au moins deux étudiant·es sans équipe pour former des équipes au hasard.")
        )
    secrets.SystemRandom().shuffle(free)
    brief = brief_of(placement)
    number = next_number(placement)
    teams = []
    try:
        with transaction.atomic():
            for offset, size in enumerate(sizes):
                chosen, free = free[:size], free[size:]
                teams.append(team_new(placement, brief, chosen, number=number + offset))
    except IntegrityError as error:
        raise integrity_conflict() from error
    return teams


def team_locked_check(team: Team) -> LiveSession:
    session = session_of(team)
    reason = team_lock_reason(team, session)
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
    setup_locked(placement)
    session = team_locked_check(team)
    _size_check(members)
    students_check(placement, members)
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
        raise integrity_conflict() from error
    return team


@transaction.atomic
def team_delete(*, team: Team) -> None:
    """Delete a team whose session has not started and whose sheet is still blank."""
    setup_locked(team.placement)
    team_locked_check(team)
    if team_sheet_written(team):
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
    setup_locked(team.placement)
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


def _roles_write(
    session: LiveSession, wanted: Mapping[int, Assignment], *, replace: bool = True
) -> list[SessionRole]:
    """Store roles: the whole cast (``replace``) or new roles next to the current ones."""
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
            if replace:
                SessionRole.objects.filter(session=session).delete()
            return SessionRole.objects.bulk_create(rows)
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
    setup_locked(placement)
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
    setup_locked(placement)
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
    dealt = roles_dealt(
        cards=[c.id for c in brief.role_cards],
        focuses=[f.id for f in brief.observer_focuses],
        current=current,
        candidates=pks,
        elsewhere=elsewhere,
    )
    return _roles_write(session, dealt, replace=False)
