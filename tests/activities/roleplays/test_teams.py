"""Teams and session roles of a placed role-play (issue 8, "Groups and roles"): forming
teams by hand, at random and by self-enrolment, mandates, and the cast of each session,
checked against the brief and the database's constraints. People come from a real trainer
launch and the platform's roster (NRPS over HTTP), so students who never launched count."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays import teams
from lti_tool.activities.roleplays.access import session_of, setup_of
from lti_tool.activities.roleplays.models import (
    LiveSession,
    PreparationSheet,
    SessionRole,
    Team,
    TeamMember,
)
from lti_tool.activities.services import activities_load, shipped_files
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.lti.models import LtiUser
from lti_tool.lti.roster import roster_sync
from tests.activities.roleplays.fixtures import STUDENTS, launch_roleplay, placement_of, roleplay
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

__all__ = ["roleplay"]  # the fixture, used by name

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

PARTICIPANT, OBSERVER = SessionRole.Role.PARTICIPANT.value, SessionRole.Role.OBSERVER.value


@dataclass
class Course:
    demo: Any
    trainer: Launched
    placement: Placement

    def student(self, username: str) -> LtiUser:
        """A student as the roster knows them (whether they launched or not)."""
        sub = str(self.demo.user(username).pk)
        return LtiUser.objects.get(registration=self.demo.registration, sub=sub)

    def students(self, *usernames: str) -> list[LtiUser]:
        return [self.student(u) for u in usernames]


def course_of(demo: Any) -> Course:
    """The trainer launches the role-play (landing on its setup page binds the link) and
    the course roster is read from the platform: every student exists, launched or not."""
    # A transactional test before this one flushed what the migrations published; the
    # ``roleplay`` fixture publishes the scenarios only, so publish the briefs again.
    activities_load(paths=shipped_files())
    trainer = launch_roleplay(demo, "trainer")
    assert trainer.landing_path == f"/jeu-de-role/{trainer.resource_link.pk}/equipes/"
    assert trainer.get(trainer.landing_path).status_code == 200
    roster_sync(context=trainer.context)
    return Course(demo=demo, trainer=trainer, placement=placement_of(trainer))


@pytest.fixture
def course(roleplay: Any) -> Course:
    return course_of(roleplay)


def _team_of(course: Course, username: str) -> Team | None:
    member = TeamMember.objects.filter(
        placement=course.placement, lti_user=course.student(username)
    ).first()
    return member.team if member else None


# --- pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("students", "size", "expected"),
    [
        (0, 2, []),
        (1, 2, []),
        (2, 2, [2]),
        (3, 2, [3]),
        (5, 2, [2, 3]),
        (6, 2, [2, 2, 2]),
        (4, 3, [2, 2]),
        (5, 3, [2, 3]),
        (7, 3, [2, 2, 3]),
        (9, 3, [3, 3, 3]),
    ],
)
def test_a_random_draw_makes_pairs_or_trios_and_the_last_teams_absorb_the_rest(
    students: int, size: int, expected: list[int]
) -> None:
    assert teams.team_sizes(students, size) == expected


def test_every_draw_places_everyone_in_a_pair_or_a_trio() -> None:
    for size in (2, 3):
        for students in range(2, 60):
            sizes = teams.team_sizes(students, size)
            assert sum(sizes) == students
            assert all(2 <= s <= 3 for s in sizes)
            assert max(sizes) - min(sizes) <= 1


# --- forming teams ------------------------------------------------------------------------


def test_the_roster_includes_students_who_never_launched(course: Course) -> None:
    names = {s.display_name for s in teams.course_students(placement=course.placement)}
    assert names == {"Léa Bernard", "Hugo Petit", "Inès Moreau", "Lucas Fontaine", "Chloé Lambert"}


def test_the_team_size_defaults_to_the_briefs_co_animators(course: Course) -> None:
    assert setup_of(course.placement).team_size == 2


def test_a_trainer_forms_a_pair_by_hand_and_the_two_mandates_are_dealt(course: Course) -> None:
    lea, hugo = course.students("lea.bernard", "hugo.petit")
    team = teams.team_create(placement=course.placement, members=[lea, hugo])
    assert team.name == "Équipe 1"
    assert team.session.status == LiveSession.Status.PLANNED
    mandates = dict(team.members.values_list("lti_user_id", "mandate_id"))
    assert mandates == {lea.pk: "bailleur", hugo.pk: "caf"}


def test_a_student_already_in_a_team_cannot_be_put_in_another(course: Course) -> None:
    lea, hugo, ines = course.students("lea.bernard", "hugo.petit", "ines.moreau")
    first = teams.team_create(placement=course.placement, members=[lea, hugo])
    with pytest.raises(Conflict, match="Déjà dans une équipe : Hugo Petit \\(Équipe 1\\)"):
        teams.team_create(placement=course.placement, members=[hugo, ines])
    assert Team.objects.filter(placement=course.placement).get() == first
    assert _team_of(course, "ines.moreau") is None


@pytest.mark.parametrize("count", [1, 4])
def test_a_team_formed_by_hand_is_a_pair_or_a_trio(course: Course, count: int) -> None:
    people = course.students(*STUDENTS[:count])
    with pytest.raises(ValidationFailed, match="Choisissez 2 ou 3"):
        teams.team_create(placement=course.placement, members=people)
    assert not Team.objects.filter(placement=course.placement).exists()


def test_a_random_draw_places_every_student_without_a_team(course: Course) -> None:
    teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    drawn = teams.teams_draw(placement=course.placement)
    assert [t.members.count() for t in drawn] == [3]  # three left, pairs wanted: one trio
    assert [t.name for t in drawn] == ["Équipe 2"]
    assert TeamMember.objects.filter(placement=course.placement).count() == 5
    with pytest.raises(ValidationFailed, match="au moins deux étudiant·es sans équipe"):
        teams.teams_draw(placement=course.placement)


def test_trios_drawn_from_five_students_make_a_pair_and_a_trio(course: Course) -> None:
    setup = setup_of(course.placement)
    teams.setup_update(
        placement=course.placement, team_size=3, self_enrolment_open=False, preparation_due_at=None
    )
    assert setup_of(course.placement).pk == setup.pk
    drawn = teams.teams_draw(placement=course.placement)
    assert sorted(t.members.count() for t in drawn) == [2, 3]


def test_the_team_size_is_two_or_three(course: Course) -> None:
    with pytest.raises(ValidationFailed, match="2 ou 3"):
        teams.setup_update(
            placement=course.placement,
            team_size=4,
            self_enrolment_open=True,
            preparation_due_at=None,
        )
    assert setup_of(course.placement).team_size == 2


def test_members_change_until_the_session_starts(course: Course) -> None:
    lea, hugo, ines = course.students("lea.bernard", "hugo.petit", "ines.moreau")
    team = teams.team_create(placement=course.placement, members=[lea, hugo])
    teams.team_members_set(team=team, members=[lea, ines])
    assert set(team.members.values_list("lti_user_id", flat=True)) == {lea.pk, ines.pk}
    assert team.members.get(lti_user=ines).mandate_id == "caf"  # the mandate Hugo left
    LiveSession.objects.filter(team=team).update(status=LiveSession.Status.RUNNING)
    with pytest.raises(Conflict, match="la séance de cette équipe a commencé"):
        teams.team_members_set(team=team, members=[lea, hugo])
    assert set(team.members.values_list("lti_user_id", flat=True)) == {lea.pk, ines.pk}


def test_a_team_whose_sheet_is_written_is_not_deleted(course: Course) -> None:
    team = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    PreparationSheet.objects.create(team=team, fields={"objectives": "…"}, revision=1)
    with pytest.raises(Conflict, match="a déjà rédigé sa fiche"):
        teams.team_delete(team=team)
    assert Team.objects.filter(pk=team.pk).exists()
    blank = teams.team_create(
        placement=course.placement, members=course.students("ines.moreau", "lucas.fontaine")
    )
    teams.team_delete(team=blank)
    assert not Team.objects.filter(pk=blank.pk).exists()
    assert _team_of(course, "ines.moreau") is None


def test_a_mandate_must_be_one_of_the_brief(course: Course) -> None:
    team = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    lea_member = team.members.get(lti_user=course.student("lea.bernard"))
    with pytest.raises(ValidationFailed, match="Mandat inconnu : « mairie »"):
        teams.team_mandates_set(team=team, mandates={lea_member.pk: "mairie"})
    teams.team_mandates_set(team=team, mandates={lea_member.pk: "caf"})
    lea_member.refresh_from_db()
    assert lea_member.mandate_id == "caf"


# --- self-enrolment -----------------------------------------------------------------------


def _open(course: Course, size: int = 2) -> None:
    teams.setup_update(
        placement=course.placement,
        team_size=size,
        self_enrolment_open=True,
        preparation_due_at=None,
    )


def test_students_cannot_enrol_while_enrolment_is_closed(course: Course) -> None:
    with pytest.raises(Conflict, match="inscriptions dans les équipes sont fermées"):
        teams.team_enrol_create(placement=course.placement, student=course.student("lea.bernard"))
    assert not Team.objects.filter(placement=course.placement).exists()


def test_students_form_a_pair_themselves_and_a_full_team_refuses_a_third(course: Course) -> None:
    _open(course)
    lea, hugo, ines = course.students("lea.bernard", "hugo.petit", "ines.moreau")
    team = teams.team_enrol_create(placement=course.placement, student=lea)
    teams.team_enrol_join(team=team, student=hugo)
    with pytest.raises(Conflict, match="Équipe 1 est complète"):
        teams.team_enrol_join(team=team, student=ines)
    assert team.members.count() == 2
    assert _team_of(course, "ines.moreau") is None


def test_a_student_in_a_team_neither_opens_nor_joins_another(course: Course) -> None:
    _open(course, size=3)
    lea, hugo = course.students("lea.bernard", "hugo.petit")
    first = teams.team_enrol_create(placement=course.placement, student=lea)
    second = teams.team_enrol_create(placement=course.placement, student=hugo)
    with pytest.raises(Conflict, match="Vous êtes déjà dans Équipe 1"):
        teams.team_enrol_join(team=second, student=lea)
    with pytest.raises(Conflict, match="Vous êtes déjà dans Équipe 1"):
        teams.team_enrol_create(placement=course.placement, student=lea)
    assert _team_of(course, "lea.bernard") == first
    assert Team.objects.filter(placement=course.placement).count() == 2


def test_a_student_leaves_before_the_session_and_an_empty_team_goes(course: Course) -> None:
    _open(course)
    lea, hugo = course.students("lea.bernard", "hugo.petit")
    team = teams.team_enrol_create(placement=course.placement, student=lea)
    teams.team_enrol_join(team=team, student=hugo)
    teams.team_enrol_leave(placement=course.placement, student=hugo)
    assert _team_of(course, "hugo.petit") is None
    LiveSession.objects.filter(team=team).update(status=LiveSession.Status.RUNNING)
    with pytest.raises(Conflict, match="la séance de cette équipe a commencé"):
        teams.team_enrol_leave(placement=course.placement, student=lea)
    LiveSession.objects.filter(team=team).update(status=LiveSession.Status.PLANNED)
    teams.team_enrol_leave(placement=course.placement, student=lea)
    assert not Team.objects.filter(pk=team.pk).exists()


def test_a_participant_cannot_join_the_team_whose_session_they_play_in(course: Course) -> None:
    _open(course)
    lea, hugo = course.students("lea.bernard", "hugo.petit")
    team = teams.team_enrol_create(placement=course.placement, student=lea)
    teams.session_roles_set(team=team, assignments={hugo.pk: (PARTICIPANT, "nadia-kaci")})
    with pytest.raises(Conflict, match="Vous avez un rôle dans la séance de Équipe 1"):
        teams.team_enrol_join(team=team, student=hugo)
    assert _team_of(course, "hugo.petit") is None


# --- roles in a session -------------------------------------------------------------------


@pytest.fixture
def pair(course: Course) -> Team:
    return teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )


def _cast(team: Team) -> dict[int, tuple[str, str]]:
    return {r.lti_user_id: (r.role, r.card_id or r.focus_id) for r in session_of(team).roles.all()}


def test_the_trainer_gives_cards_and_focuses_to_other_students(course: Course, pair: Team) -> None:
    ines, lucas, chloe = course.students("ines.moreau", "lucas.fontaine", "chloe.lambert")
    wanted = {
        ines.pk: (PARTICIPANT, "lise-vautrin"),
        lucas.pk: (PARTICIPANT, "ousmane-sylla"),
        chloe.pk: (OBSERVER, "cooperation-du-binome"),
    }
    teams.session_roles_set(team=pair, assignments=wanted)
    assert _cast(pair) == wanted
    teams.session_roles_set(team=pair, assignments={ines.pk: (PARTICIPANT, "ousmane-sylla")})
    assert _cast(pair) == {ines.pk: (PARTICIPANT, "ousmane-sylla")}  # the cast is replaced


def test_a_card_goes_to_one_participant_per_session(course: Course, pair: Team) -> None:
    ines, lucas = course.students("ines.moreau", "lucas.fontaine")
    teams.session_roles_set(team=pair, assignments={ines.pk: (PARTICIPANT, "lise-vautrin")})
    with pytest.raises(ValidationFailed, match="La carte « Mme Lise Vautrin » est donnée à"):
        teams.session_roles_set(
            team=pair,
            assignments={
                ines.pk: (PARTICIPANT, "lise-vautrin"),
                lucas.pk: (PARTICIPANT, "lise-vautrin"),
            },
        )
    assert _cast(pair) == {ines.pk: (PARTICIPANT, "lise-vautrin")}


def test_a_co_animator_plays_no_role_in_their_own_session(course: Course, pair: Team) -> None:
    lea = course.student("lea.bernard")
    with pytest.raises(ValidationFailed, match="Léa Bernard co-animent cette séance"):
        teams.session_roles_set(team=pair, assignments={lea.pk: (OBSERVER, "cadre-et-regulation")})
    assert _cast(pair) == {}


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ((PARTICIPANT, "m-inconnu"), "Carte de rôle inconnue : « m-inconnu »"),
        ((OBSERVER, "tout"), "Focus d'observation inconnu : « tout »"),
        (("joker", "x"), "Rôle inconnu"),
    ],
)
def test_cards_and_focuses_are_those_of_the_brief(
    course: Course, pair: Team, assignment: tuple[str, str], message: str
) -> None:
    ines = course.student("ines.moreau")
    with pytest.raises(ValidationFailed, match=message):
        teams.session_roles_set(team=pair, assignments={ines.pk: assignment})
    assert _cast(pair) == {}


def test_roles_are_fixed_once_the_session_has_started(course: Course, pair: Team) -> None:
    LiveSession.objects.filter(team=pair).update(status=LiveSession.Status.RUNNING)
    ines = course.student("ines.moreau")
    with pytest.raises(Conflict, match="les rôles ne changent plus"):
        teams.session_roles_set(team=pair, assignments={ines.pk: (PARTICIPANT, "nadia-kaci")})
    with pytest.raises(Conflict, match="les rôles ne changent plus"):
        teams.session_roles_deal(team=pair)
    assert _cast(pair) == {}


def test_dealing_gives_free_cards_to_the_other_students_and_keeps_what_was_given(
    course: Course, pair: Team
) -> None:
    ines = course.student("ines.moreau")
    teams.session_roles_set(team=pair, assignments={ines.pk: (PARTICIPANT, "farid-benali")})
    created = teams.session_roles_deal(team=pair)
    cast = _cast(pair)
    co_animators = {course.student("lea.bernard").pk, course.student("hugo.petit").pk}
    assert cast[ines.pk] == (PARTICIPANT, "farid-benali")
    assert not co_animators & cast.keys()
    assert set(cast) == {
        s.pk for s in course.students("ines.moreau", "lucas.fontaine", "chloe.lambert")
    }
    cards = [item for role, item in cast.values() if role == PARTICIPANT]
    assert len(cards) == len(set(cards)) == 3  # two more cards dealt, each once
    assert {r.lti_user_id for r in created} == set(cast) - {ines.pk}
    with pytest.raises(ValidationFailed, match="y ont déjà un rôle"):
        teams.session_roles_deal(team=pair)


def test_dealing_gives_the_free_cards_to_the_least_busy_students_first() -> None:
    dealt = teams.roles_dealt(
        cards=["a", "b", "c"],
        focuses=["cadre"],
        current={1: (PARTICIPANT, "b")},
        candidates=[2, 3, 4],
        elsewhere={2: 2, 3: 0, 4: 1},
    )
    assert dealt == {3: (PARTICIPANT, "a"), 4: (PARTICIPANT, "c"), 2: (OBSERVER, "cadre")}


def test_once_the_cards_are_out_observers_spread_over_the_focuses() -> None:
    dealt = teams.roles_dealt(
        cards=["a"],
        focuses=["cadre", "participation", "binome"],
        current={1: (OBSERVER, "cadre")},
        candidates=[2, 3, 4, 5, 6],
        elsewhere={},
    )
    assert dealt[2] == (PARTICIPANT, "a")
    focuses = Counter(item for role, item in dealt.values() if role == OBSERVER)
    focuses["cadre"] += 1  # the observer already there
    assert focuses == {"cadre": 2, "participation": 2, "binome": 1}


def test_a_student_with_roles_in_other_sessions_is_still_dealt_a_free_card(course: Course) -> None:
    first = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    second = teams.team_create(
        placement=course.placement, members=course.students("ines.moreau", "lucas.fontaine")
    )
    teams.session_roles_deal(team=first)
    teams.session_roles_deal(team=second)
    chloe = course.student("chloe.lambert")
    assert _cast(first)[chloe.pk][0] == PARTICIPANT
    assert _cast(second)[chloe.pk][0] == PARTICIPANT
    assert set(_cast(second)) == {
        chloe.pk,
        *(s.pk for s in course.students("lea.bernard", "hugo.petit")),
    }


def test_the_setup_page_warns_of_incidents_that_would_reach_nobody(course: Course) -> None:
    team = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    (view,) = teams.setup_page(placement=course.placement).teams
    assert [g.split(" » ")[0] for g in view.gaps] == [
        "La carte « Mme Lise Vautrin",
        "La carte « M. Farid Benali",
    ]
    teams.session_roles_set(
        team=team,
        assignments={
            course.student("ines.moreau").pk: (PARTICIPANT, "lise-vautrin"),
            course.student("lucas.fontaine").pk: (PARTICIPANT, "farid-benali"),
        },
    )
    hugo = team.members.get(lti_user=course.student("hugo.petit"))
    teams.team_mandates_set(team=team, mandates={hugo.pk: "bailleur"})
    (view,) = teams.setup_page(placement=course.placement).teams
    assert view.gaps == [
        "Personne ne porte le mandat « Caisse d'allocations familiales (CAF) » : les consignes "
        "secrètes adressées à ce mandat ne seront remises à personne."
    ]
