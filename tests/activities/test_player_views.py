"""The scenario pages over real HTTP after real launches: binding from the custom parameter,
start page, play by forms (no JavaScript), feedback, debrief, and every refusal as a page a
person can act on."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from django.db import connection  # noqa: F401 (skipif condition)

from lti_tool.activities.models import Attempt, Decision, Placement
from lti_tool.lti.csrf import launch_csrf_token
from lti_tool.lti.middleware import LAUNCH_HEADER
from tests.activities.player_fixtures import SLUG, version_publish
from tests.grading.factories import Launched, launch, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)
from tests.lti.flow import parse_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


@pytest.fixture
def bound(demo: Any) -> Any:
    """The demo's first activity carries ``activity=<slug>`` as Moodle custom parameter."""
    version_publish()
    link = demo.link(0)
    link.custom = {"activity": SLUG}
    link.save()
    return demo


def _follow(who: Launched, response: requests.Response) -> requests.Response:
    assert response.status_code == 303, response.text[:2000]
    return who.session.get(who.url(response.headers["Location"]), timeout=10)


def _submit(who: Launched, page: requests.Response, **data: str) -> requests.Response:
    """Post the page's form as a browser would: its hidden fields plus ``data``."""
    action, fields = parse_form(page.text)
    fields.pop("choice", None)  # radio inputs: only the one chosen is sent
    return who.session.post(
        who.url(action), data={**fields, **data}, allow_redirects=False, timeout=10
    )


def _start(who: Launched) -> requests.Response:
    start = who.get(who.landing_path)
    assert start.status_code == 200, start.text[:2000]
    return _follow(who, _submit(who, start))


def _play(
    who: Launched, choices: tuple[str, ...], page: requests.Response | None = None
) -> requests.Response:
    """Play by forms from ``page`` (a new attempt by default); returns the last page."""
    page = page or _start(who)
    for choice in choices:
        while 'data-kind="situation"' in page.text:
            page = _follow(who, _submit(who, page))
        feedback = _follow(who, _submit(who, page, choice=choice))
        assert 'data-testid="feedback-text"' in feedback.text, feedback.text[:2000]
        next_link = re.search(r'href="([^"]+)" data-testid="next"', feedback.text)
        assert next_link is not None
        page = who.session.get(who.url(next_link.group(1).replace("&amp;", "&")), timeout=10)
    return page


# --- binding -------------------------------------------------------------------------------


def test_a_student_on_a_link_bound_by_its_custom_parameter_sees_the_start_page(
    bound: Any,
) -> None:
    lea = launch(bound, "student")
    page = lea.get(lea.landing_path)
    text = text_of(page)
    assert page.status_code == 200
    assert "Essai : la réunion des parents" in text
    assert "environ 5 minutes" in text
    assert "troisième séance" in text  # the context
    assert "Commencer le scénario" in text
    assert 'src="/static/django_htmx/htmx-2.min.js"' in page.text or "htmx" in page.text
    placement = Placement.objects.get(resource_link=lea.resource_link)
    assert placement.activity_version.activity.slug == SLUG
    # Launching again binds nothing new.
    launch(bound, "student")
    assert Placement.objects.count() == 1


def test_a_student_on_an_unbound_link_keeps_the_not_configured_page(demo: Any) -> None:
    lea = launch(demo, "student")
    text = text_of(lea.get(lea.landing_path))
    assert "Activité pas encore configurée" in text
    assert not Placement.objects.exists()


def test_a_student_on_a_link_naming_an_unknown_activity_sees_it_is_not_configured_yet(
    demo: Any,
) -> None:
    link = demo.link(0)
    link.custom = {"activity": "scenario-inconnu"}
    link.save()
    lea = launch(demo, "student")
    page = lea.get(lea.landing_path)
    assert page.status_code == 200
    assert "Activité pas encore configurée" in text_of(page)


def test_a_trainer_on_an_unbound_link_is_told_how_to_bind_it(demo: Any) -> None:
    version_publish()
    claire = launch(demo, "trainer")
    # The launch may open the catalogue first (issue 6); the course page says it too.
    text = text_of(claire.get(f"/cours/{claire.context.pk}/"))
    assert 'data-bound="no"' in text
    assert "n'est encore liée à aucun contenu Atelier" in text
    assert "activity=identifiant" in text
    assert SLUG in text  # the published contents are listed


def test_a_trainer_on_a_link_with_an_unknown_activity_reads_why(demo: Any) -> None:
    link = demo.link(0)
    link.custom = {"activity": "scenario-inconnu"}
    link.save()
    claire = launch(demo, "trainer")
    text = text_of(claire.get(f"/cours/{claire.context.pk}/"))
    assert "Aucune activité « scenario-inconnu » n'est publiée" in text


def test_a_trainer_launch_binds_the_link_and_leads_to_the_group_view(bound: Any) -> None:
    claire = launch(bound, "trainer")
    page = claire.get(f"/cours/{claire.context.pk}/")
    text = text_of(page)
    assert 'data-bound="yes"' in text
    assert "Suivi du groupe sur ce scénario" in text
    placement = Placement.objects.get()
    assert placement.bound_by == claire.lti_user


# --- playing --------------------------------------------------------------------------------


def test_a_student_plays_by_forms_to_the_debrief_with_path_feedback_and_results(
    bound: Any,
) -> None:
    lea = launch(bound, "student")
    first = _start(lea)
    assert "L&#x27;arrivée des parents" in first.text or "L'arrivée des parents" in text_of(first)
    assert "Mme Sandrine Leroy" in text_of(first)  # the dialogue
    debrief = _play(lea, ("a", "a"), first)
    text = text_of(debrief)
    assert urlsplit(debrief.url).path.endswith("/bilan/")
    assert "Fin : Un collectif émerge" in text
    steps = re.findall(r'data-testid="path-step" data-node="([^"]+)" data-choice="([^"]+)"', text)
    assert steps == [("d1", "a"), ("d2", "a")]
    assert "Faire avec, pas à la place" in text  # the feedback of the path
    assert re.search(r'data-testid="domain-DC2".*?data-testid="score">10</span>/20', text, re.S)
    assert re.search(r'data-testid="domain-DC4".*?data-testid="score">20</span>/20', text, re.S)
    assert "acquis pour cette activité" in text
    assert "note globale" in text  # says there is none
    assert Attempt.objects.get().status == Attempt.Status.COMPLETED


def test_a_flagged_path_debrief_says_the_result_waits_for_the_trainer(bound: Any) -> None:
    lea = launch(bound, "student")
    text = text_of(_play(lea, ("c",)))
    assert "en attente de validation par votre formateur·rice" in text
    assert 'data-testid="score"' not in text
    assert 'data-testid="domain-DC4"' not in text


def test_a_resubmitted_form_shows_the_recorded_answer_without_recording_it_again(
    bound: Any,
) -> None:
    lea = launch(bound, "student")
    page = _follow(lea, _submit(lea, _start(lea)))  # the situation read: decision d1
    assert 'data-node="d1"' in page.text
    assert _submit(lea, page, choice="a").status_code == 303
    again = _follow(lea, _submit(lea, page, choice="b"))  # the same page posted again
    text = text_of(again)
    assert "déjà enregistrée" in text
    assert "Accueillir la remarque" in text  # the answer recorded first
    assert Decision.objects.count() == 1


@pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="needs row locks between concurrent transactions (PostgreSQL); SQLite has none",
)
def test_two_simultaneous_posts_of_one_step_record_one_decision(bound: Any) -> None:
    lea = launch(bound, "student")
    page = _follow(lea, _submit(lea, _start(lea)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda choice: _submit(lea, page, choice=choice), ["a", "b"]))
    assert [a.status_code for a in answers] == [303, 303]
    assert Decision.objects.count() == 1
    assert Attempt.objects.get().step == 3


def test_a_choice_not_offered_here_is_a_400_page_with_a_message(bound: Any) -> None:
    lea = launch(bound, "student")
    page = _follow(lea, _submit(lea, _start(lea)))
    refused = _submit(lea, page, choice="z")
    assert refused.status_code == 400
    assert "« z » n'est pas proposée à l'étape « La remarque de Mme Leroy »" in text_of(refused)
    assert not Decision.objects.exists()


def test_exhausted_attempts_are_said_on_the_start_page_and_refused_with_a_409(
    bound: Any,
) -> None:
    lea = launch(bound, "student")
    start = lea.get(lea.landing_path)  # binds the link
    Placement.objects.update(attempts_allowed=1)
    _play(lea, ("c",))
    start = lea.get(lea.landing_path)
    text = text_of(start)
    assert "Tentatives utilisées : 1 sur 1." in text
    assert "Vous avez utilisé toutes vos tentatives" in text
    # No form is offered any more: post what an old page would have carried.
    tokens = {"launch": lea.launch_id, "launch_csrf": launch_csrf_token(lea.launch_id)}
    refused = lea.post(f"/activite/{lea.resource_link.pk}/tentatives/", {}, tokens=tokens)
    assert refused.status_code == 409
    assert "Vous avez utilisé vos 1 tentatives" in text_of(refused)


def test_an_unfinished_attempt_is_offered_for_resumption(bound: Any) -> None:
    lea = launch(bound, "student")
    _follow(lea, _submit(lea, _start(lea)))
    text = text_of(lea.get(lea.landing_path))
    assert "Reprendre la tentative 1" in text
    assert "Commencer" not in text


def test_a_form_without_the_launch_csrf_token_is_refused(bound: Any) -> None:
    lea = launch(bound, "student")
    lea.get(lea.landing_path)
    refused = lea.session.post(
        lea.url(f"/activite/{lea.resource_link.pk}/tentatives/"),
        data={"launch": lea.launch_id},
        allow_redirects=False,
        timeout=10,
    )
    assert refused.status_code == 403
    assert not Attempt.objects.exists()


def test_htmx_requests_carry_the_launch_in_a_header(bound: Any) -> None:
    lea = launch(bound, "student")
    page = lea.get(lea.landing_path)
    headers = re.search(r'hx-headers="([^"]+)"', page.text)
    assert headers is not None and LAUNCH_HEADER in headers.group(1).replace("&quot;", '"')
    htmx = lea.session.get(
        lea.url(lea.landing_path),
        headers={LAUNCH_HEADER: lea.launch_id, "HX-Request": "true"},
        timeout=10,
    )
    assert htmx.status_code == 200 and "Commencer le scénario" in text_of(htmx)


def test_a_student_cannot_open_another_students_attempt(bound: Any) -> None:
    lea = launch(bound, "student")
    _start(lea)
    chloe = launch(bound, "english")
    chloe.get(chloe.landing_path)
    other = chloe.get(f"/activite/{chloe.resource_link.pk}/tentatives/1/")
    assert other.status_code == 404


def test_player_pages_need_a_launch(bound: Any) -> None:
    lea = launch(bound, "student")
    lea.get(lea.landing_path)
    anonymous = lea.get(f"/activite/{lea.resource_link.pk}/tentatives/1/", with_launch=False)
    assert anonymous.status_code == 401
