"""The role-play's setup page (trainer) and home (student) over HTTP, after real launches
through the built-in platform: where launches land, the forms of the setup page, students
enrolling themselves, who may see what (authorisation matrix), and hidden instructions
shown to their holder and the trainer only."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from lti_tool.activities.roleplays import teams
from lti_tool.activities.roleplays.models import LiveSession, SessionRole, Team, TeamMember
from lti_tool.activities.services import activities_load, shipped_files
from lti_tool.lti.csrf import launch_csrf_token
from lti_tool.lti.models import LtiUser, RosterSync
from tests.activities.roleplays.fixtures import launch_roleplay, roleplay
from tests.activities.roleplays.test_teams import Course, course_of
from tests.grading.factories import Launched, launch, other_course, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)
from tests.grading.worker import WorkerProcess, wait_until

__all__ = ["roleplay"]  # the fixture, used by name

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

PARTICIPANT, OBSERVER = SessionRole.Role.PARTICIPANT.value, SessionRole.Role.OBSERVER.value
# Fragments of two hidden instructions of « Premiers pas dans mon logement ».
HIDDEN_VAUTRIN = "Vous avez été expulsée d'un logement il y a six ans"
HIDDEN_SYLLA = "Vous comprenez le français parlé simple"


@pytest.fixture
def course(roleplay: Any) -> Course:
    return course_of(roleplay)


def _setup(course: Course) -> str:
    return reverse("roleplays:setup", args=[course.placement.resource_link_id])


def _home(course: Course) -> str:
    return reverse("roleplays:home", args=[course.placement.resource_link_id])


def _url(course: Course, name: str, *args: int) -> str:
    return reverse(f"roleplays:{name}", args=[course.placement.resource_link_id, *args])


def _post(who: Launched, page: str, form_id: str, action: str, data: dict[str, Any]) -> Any:
    """Post a form as a browser would: its launch fields read from the page it is on."""
    return who.post(action, data, tokens=who.form_tokens(page, form_id))


def _form_team(course: Course, *people: LtiUser) -> Any:
    """The trainer ticks ``people`` in the "by hand" form of the setup page and submits."""
    data = {"member": [str(p.pk) for p in people]}
    return _post(course.trainer, _setup(course), "team-create", _url(course, "team_create"), data)


def _tokens(who: Launched) -> dict[str, str]:
    """The launch fields any page of this launch carries (for posts a page would not
    offer: a refusal is what is tested)."""
    return {"launch": who.launch_id, "launch_csrf": launch_csrf_token(who.launch_id)}


def _student(course: Course, username: str) -> Launched:
    """A student's launch of the role-play; their landing redirects to its home."""
    student = launch_roleplay(course.demo, username)
    landing = student.get(student.landing_path)
    assert landing.status_code == 303
    location = urlsplit(landing.headers["Location"])
    assert location.path == _home(course)
    assert parse_qs(location.query)["launch"] == [student.launch_id]
    return student


# --- where launches land --------------------------------------------------------------------


def test_a_trainer_lands_on_the_setup_page_and_a_student_on_the_home(course: Course) -> None:
    assert course.trainer.landing_path == _setup(course)
    page = text_of(course.trainer.get(_setup(course)))
    assert "Premiers pas dans mon logement" in page
    assert "Habitat Val de Seine (bailleur social)" in page  # the brief's mandates
    lea = _student(course, "lea.bernard")
    home = lea.get(_home(course))
    assert home.status_code == 200
    assert "Mon équipe de co-animation" in text_of(home)


def test_a_trainer_opening_the_home_is_sent_to_the_setup_page(course: Course) -> None:
    response = course.trainer.get(_home(course))
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == _setup(course)


def test_a_trainer_launching_an_unbound_link_still_opens_the_catalogue(roleplay: Any) -> None:
    link = roleplay.link(0)
    link.custom = {}
    link.save()
    trainer = launch(roleplay, "trainer", link=link)
    assert trainer.landing_path == reverse(
        "activities:catalogue_bind", args=[trainer.resource_link.pk]
    )


def test_the_course_page_links_the_role_play_to_its_setup_page(course: Course) -> None:
    page = course.trainer.get(reverse("activities:course_home", args=[course.trainer.context.pk]))
    assert f'href="{_setup(course)}?launch={course.trainer.launch_id}"' in page.text


# --- the trainer's forms --------------------------------------------------------------------


def test_the_setup_page_lists_students_who_never_launched_after_a_roster_read(
    roleplay: Any,
) -> None:
    activities_load(paths=shipped_files())  # see course_of
    trainer = launch_roleplay(roleplay, "trainer")
    page = trainer.get(trainer.landing_path)
    assert "Inès Moreau" not in text_of(page)  # nobody but the trainer launched
    response = _post(
        trainer, trainer.landing_path, "roster-refresh", f"{trainer.landing_path}liste/", {}
    )
    assert response.status_code == 303
    page = text_of(trainer.get(trainer.landing_path))
    assert "Inès Moreau" in page
    assert "jamais" in page  # never launched


def test_the_trainer_saves_the_settings(course: Course) -> None:
    response = _post(
        course.trainer,
        _setup(course),
        "setup-settings",
        _url(course, "setup_settings"),
        {"team_size": "3", "self_enrolment": "open", "preparation_due_at": "2030-01-15T18:00"},
    )
    assert response.status_code == 303
    assert "fait=reglages" in response.headers["Location"]
    setup = course.placement.roleplay
    setup.refresh_from_db()
    assert (setup.team_size, setup.self_enrolment_open) == (3, True)
    assert setup.preparation_due_at is not None
    bad = _post(
        course.trainer,
        _setup(course),
        "setup-settings",
        _url(course, "setup_settings"),
        {"team_size": "5", "self_enrolment": "open"},
    )
    assert bad.status_code == 400
    assert "2 ou 3" in text_of(bad)


def test_the_trainer_forms_a_pair_by_hand_then_draws_the_rest(course: Course) -> None:
    lea, hugo = course.students("lea.bernard", "hugo.petit")
    assert _form_team(course, lea, hugo).status_code == 303
    response = _post(course.trainer, _setup(course), "teams-draw", _url(course, "teams_draw"), {})
    assert response.status_code == 303
    assert TeamMember.objects.filter(placement=course.placement).count() == 5
    page = text_of(course.trainer.get(_setup(course)))
    assert "Chaque étudiant·e de la liste est dans une équipe." in page
    first = Team.objects.get(placement=course.placement, number=1)
    for name in ("sheet", "console", "debrief", "grading"):
        assert _url(course, name, first.pk) in page


def test_a_student_already_in_a_team_is_refused_with_a_409(course: Course) -> None:
    lea, hugo, ines = course.students("lea.bernard", "hugo.petit", "ines.moreau")
    teams.team_create(placement=course.placement, members=[lea, hugo])
    response = _form_team(course, hugo, ines)
    assert response.status_code == 409
    assert "Déjà dans une équipe : Hugo Petit (Équipe 1)" in text_of(response)
    assert Team.objects.filter(placement=course.placement).count() == 1


def test_the_trainer_gives_roles_by_hand_and_deals_the_rest(course: Course) -> None:
    team = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    ines, lucas, chloe = course.students("ines.moreau", "lucas.fontaine", "chloe.lambert")
    response = _post(
        course.trainer,
        _setup(course),
        f"roles-form-{team.pk}",
        _url(course, "session_roles", team.pk),
        {f"role-{ines.pk}": "card:lise-vautrin", f"role-{lucas.pk}": "focus:cadre-et-regulation"},
    )
    assert response.status_code == 303
    response = _post(
        course.trainer,
        _setup(course),
        f"roles-deal-{team.pk}",
        _url(course, "session_roles_deal", team.pk),
        {},
    )
    assert response.status_code == 303
    roles = {r.lti_user_id: r for r in SessionRole.objects.filter(session__team=team)}
    assert (roles[ines.pk].role, roles[ines.pk].card_id) == (PARTICIPANT, "lise-vautrin")
    assert (roles[lucas.pk].role, roles[lucas.pk].focus_id) == (OBSERVER, "cadre-et-regulation")
    assert roles[chloe.pk].role == PARTICIPANT and roles[chloe.pk].card_id != "lise-vautrin"


def test_an_unknown_card_is_refused_with_a_message(course: Course) -> None:
    team = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    ines = course.student("ines.moreau")
    response = _post(
        course.trainer,
        _setup(course),
        f"roles-form-{team.pk}",
        _url(course, "session_roles", team.pk),
        {f"role-{ines.pk}": "card:m-dupont"},
    )
    assert response.status_code == 400
    assert "Carte de rôle inconnue : « m-dupont »" in text_of(response)
    assert not SessionRole.objects.filter(session__team=team).exists()


# --- students enrol themselves ----------------------------------------------------------------


def test_students_enrol_themselves_up_to_the_team_size(course: Course) -> None:
    lea, hugo, ines = (_student(course, u) for u in ("lea.bernard", "hugo.petit", "ines.moreau"))
    closed = lea.post(_url(course, "enrol_create"), {}, tokens=_tokens(lea))
    assert closed.status_code == 409
    assert "inscriptions dans les équipes sont fermées" in text_of(closed)
    teams.setup_update(
        placement=course.placement, team_size=2, self_enrolment_open=True, preparation_due_at=None
    )
    assert (
        _post(lea, _home(course), "enrol-create", _url(course, "enrol_create"), {}).status_code
        == 303
    )
    team = Team.objects.get(placement=course.placement)
    joined = _post(hugo, _home(course), f"join-{team.pk}", _url(course, "enrol_join", team.pk), {})
    assert joined.status_code == 303
    home = text_of(hugo.get(_home(course)))
    assert "Léa Bernard" in home  # the partner
    assert "Caisse d'allocations familiales (CAF)" in home  # Hugo's mandate
    full = ines.post(_url(course, "enrol_join", team.pk), {}, tokens=_tokens(ines))
    assert full.status_code == 409
    assert "Équipe 1 est complète" in text_of(full)
    again = lea.post(_url(course, "enrol_create"), {}, tokens=_tokens(lea))
    assert again.status_code == 409
    assert "Vous êtes déjà dans Équipe 1" in text_of(again)
    left = _post(hugo, _home(course), "enrol-leave", _url(course, "enrol_leave"), {})
    assert left.status_code == 303
    assert set(team.members.values_list("lti_user_id", flat=True)) == {lea.lti_user.pk}


# --- who may see what -------------------------------------------------------------------------


@pytest.fixture
def cast(course: Course) -> dict[str, Any]:
    """Léa and Hugo co-animate; Inès plays Mme Vautrin, Lucas M. Sylla; Chloé observes."""
    team = teams.team_create(
        placement=course.placement, members=course.students("lea.bernard", "hugo.petit")
    )
    ines, lucas, chloe = course.students("ines.moreau", "lucas.fontaine", "chloe.lambert")
    teams.session_roles_set(
        team=team,
        assignments={
            ines.pk: (PARTICIPANT, "lise-vautrin"),
            lucas.pk: (PARTICIPANT, "ousmane-sylla"),
            chloe.pk: (OBSERVER, "cooperation-du-binome"),
        },
    )
    return {"team": team}


def test_a_participant_sees_their_own_hidden_instruction_and_no_one_elses(
    course: Course, cast: dict[str, Any]
) -> None:
    ines = _student(course, "ines.moreau")
    home = text_of(ines.get(_home(course)))
    assert "Mme Lise Vautrin" in home
    assert HIDDEN_VAUTRIN in home
    assert HIDDEN_SYLLA not in home
    assert "M. Ousmane Sylla" not in home


def test_co_animators_and_observers_see_no_hidden_instruction(
    course: Course, cast: dict[str, Any]
) -> None:
    for username in ("lea.bernard", "chloe.lambert"):
        home = text_of(_student(course, username).get(_home(course)))
        assert HIDDEN_VAUTRIN not in home and HIDDEN_SYLLA not in home
    chloe_home = text_of(_student(course, "chloe.lambert").get(_home(course)))
    assert "CA-BIN" in chloe_home  # the observer's focus and its criteria
    # Her Moodle speaks English: the page does too.
    assert "Co-facilitated by: Léa Bernard, Hugo Petit" in chloe_home


def test_the_trainer_sees_every_hidden_instruction(course: Course, cast: dict[str, Any]) -> None:
    page = text_of(course.trainer.get(_setup(course)))
    assert HIDDEN_VAUTRIN in page and HIDDEN_SYLLA in page


def test_the_home_links_to_the_team_work_and_to_the_sessions_played_in(
    course: Course, cast: dict[str, Any]
) -> None:
    team = cast["team"]
    lea_home = _student(course, "lea.bernard").get(_home(course)).text
    for name in ("sheet", "live", "debrief", "report"):
        assert _url(course, name, team.pk) in lea_home
    assert reverse("roleplays:results", args=[course.placement.resource_link_id]) in lea_home
    ines_home = _student(course, "ines.moreau").get(_home(course)).text
    assert _url(course, "live", team.pk) in ines_home
    assert _url(course, "sheet", team.pk) not in ines_home


def test_students_cannot_use_the_setup_page(course: Course, cast: dict[str, Any]) -> None:
    team = cast["team"]
    for username in ("lea.bernard", "ines.moreau"):  # of the team / of no team
        student = _student(course, username)
        assert student.get(_setup(course)).status_code == 403
        tokens = _tokens(student)
        for action in (_url(course, "teams_draw"), _url(course, "session_roles_deal", team.pk)):
            assert student.post(action, {}, tokens=tokens).status_code == 403
    assert SessionRole.objects.filter(session__team=team).count() == 3


def test_a_trainer_of_another_course_is_refused(course: Course, cast: dict[str, Any]) -> None:
    stranger = launch(course.demo, "paul.garnier", link=other_course(course.demo))
    assert stranger.get(_setup(course)).status_code == 403
    assert stranger.get(_home(course)).status_code == 403
    team = cast["team"]
    response = stranger.post(_url(course, "team_delete", team.pk), {}, tokens=_tokens(stranger))
    assert response.status_code == 403
    assert Team.objects.filter(pk=team.pk).exists()


def test_a_student_of_another_course_is_refused(course: Course) -> None:
    stranger = launch(course.demo, "emma.roux", link=other_course(course.demo))
    assert stranger.get(_home(course)).status_code == 403


def test_without_a_launch_the_pages_answer_401(course: Course) -> None:
    for path in (_home(course), _setup(course)):
        assert course.trainer.get(path, with_launch=False).status_code == 401
    response = course.trainer.session.post(
        course.trainer.url(_url(course, "teams_draw")), data={}, allow_redirects=False, timeout=10
    )
    assert response.status_code == 401
    assert not Team.objects.filter(placement=course.placement).exists()


def test_a_team_cannot_be_deleted_once_its_session_has_started(
    course: Course, cast: dict[str, Any]
) -> None:
    team = cast["team"]
    LiveSession.objects.filter(team=team).update(status=LiveSession.Status.RUNNING)
    page = text_of(course.trainer.get(_setup(course)))
    assert re.search(r"Les membres ne changent plus : la séance de cette équipe a commencé", page)
    response = course.trainer.post(
        _url(course, "team_delete", team.pk), {}, tokens=_tokens(course.trainer)
    )
    assert response.status_code == 409
    assert Team.objects.filter(pk=team.pk).exists()


def test_two_students_taking_the_last_seat_at_once_get_one_seat_and_one_409(
    course: Course,
) -> None:
    teams.setup_update(
        placement=course.placement, team_size=2, self_enrolment_open=True, preparation_due_at=None
    )
    lea, hugo, ines = (_student(course, u) for u in ("lea.bernard", "hugo.petit", "ines.moreau"))
    team = teams.team_enrol_create(placement=course.placement, student=lea.lti_user)
    action = _url(course, "enrol_join", team.pk)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(
                lambda who: who.post(action, {}, tokens=_tokens(who)).status_code, (hugo, ines)
            )
        )
    assert sorted(answers) == [303, 409]
    assert team.members.count() == 2


def test_a_trainer_does_not_enrol_in_a_team(course: Course) -> None:
    teams.setup_update(
        placement=course.placement, team_size=2, self_enrolment_open=True, preparation_due_at=None
    )
    response = course.trainer.post(_url(course, "enrol_create"), {}, tokens=_tokens(course.trainer))
    assert response.status_code == 403
    assert "depuis la page de mise en place" in text_of(response)
    assert not Team.objects.filter(placement=course.placement).exists()


def test_a_first_visit_to_the_setup_page_has_a_worker_read_the_roster(
    roleplay: Any, worker: WorkerProcess
) -> None:
    activities_load(paths=shipped_files())  # see course_of
    trainer = launch_roleplay(roleplay, "trainer")
    first = text_of(trainer.get(trainer.landing_path))
    assert 'data-testid="roster-requested"' in first and "Inès Moreau" not in first

    wait_until(
        lambda: RosterSync.objects.filter(
            context=trainer.context, synced_at__isnull=False
        ).exists(),
        what=worker.log,
    )

    again = text_of(trainer.get(trainer.landing_path))
    assert "Inès Moreau" in again  # never launched, on the platform's roster
    assert 'data-testid="roster-requested"' not in again


def test_the_trainer_edits_a_team_its_mandates_then_deletes_it(course: Course) -> None:
    lea, hugo, ines = course.students("lea.bernard", "hugo.petit", "ines.moreau")
    team = teams.team_create(placement=course.placement, members=[lea, hugo])
    edited = _post(
        course.trainer,
        _setup(course),
        f"members-{team.pk}",
        _url(course, "team_members", team.pk),
        {"member": [str(lea.pk), str(ines.pk)]},
    )
    assert edited.status_code == 303
    assert set(team.members.values_list("lti_user_id", flat=True)) == {lea.pk, ines.pk}
    lea_member, ines_member = team.members.get(lti_user=lea), team.members.get(lti_user=ines)
    swapped = _post(
        course.trainer,
        _setup(course),
        f"mandates-{team.pk}",
        _url(course, "team_mandates", team.pk),
        {f"mandate-{lea_member.pk}": "caf", f"mandate-{ines_member.pk}": "bailleur"},
    )
    assert swapped.status_code == 303
    assert dict(team.members.values_list("lti_user_id", "mandate_id")) == {
        lea.pk: "caf",
        ines.pk: "bailleur",
    }
    deleted = _post(
        course.trainer,
        _setup(course),
        f"delete-{team.pk}",
        _url(course, "team_delete", team.pk),
        {},
    )
    assert deleted.status_code == 303
    assert not Team.objects.filter(placement=course.placement).exists()
