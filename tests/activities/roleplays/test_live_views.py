# ruff: noqa: F811 (pytest fixtures imported by name)
"""The live session over HTTP, as the phones and the console use it (issue 8, "Live
session"): who may open which page, what each person is shown (a participant never sees
another card, an observer never sees grades or others' levels, the expected behaviour is
the trainer's), an incident reaching the poll of its recipient only, and saves answered in
JSON for fetch and by a redirect for plain forms. Real launches through the built-in
platform on the live server."""

from __future__ import annotations

import html
import re
import uuid

import pytest
import requests

from lti_tool.activities.roleplays.models import (
    GridEntry,
    IncidentDelivery,
    LiveSession,
    ObserverNote,
    SessionRole,
)
from tests.activities.roleplays.live_fixtures import (  # noqa: F401
    CARD_INCIDENT,
    MANDATE_INCIDENT,
    LiveSetup,
    live_setup,
    roleplay,
)
from tests.grading.factories import Launched, launch, other_course
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

LEA_HIDDEN = "expulsée d'un logement il y a six ans"  # lise-vautrin, Léa's card
OTHER_HIDDEN = ("Vous entendez mal", "deux mois de loyer de retard", "sur vos téléphones")
EXPECTED_TEXT = "reconnaît la colère sans se justifier"  # CARD_INCIDENT's expected behaviour
CARD_TWIST = "la CAF vous coupe les aides"
MANDATE_TWIST = "contredisez son chiffre"


def page(setup: LiveSetup, who: Launched, name: str = "live") -> requests.Response:
    return who.get(setup.path(name))


def shown(setup: LiveSetup, who: Launched, name: str = "live") -> str:
    """The page as a person reads it (entities decoded)."""
    response = page(setup, who, name)
    assert response.status_code == 200, response.text[:1000]
    return html.unescape(response.text)


def post_form(setup: LiveSetup, who: Launched, page_name: str, form_id: str, path: str,
              data: dict[str, str] | None = None) -> requests.Response:  # fmt: skip
    tokens = who.form_tokens(setup.path(page_name), form_id)
    return who.post(path, data or {}, tokens=tokens)


def post_json(who: Launched, path: str, data: dict[str, str], *, on: str) -> requests.Response:
    """As observer.js sends it: the launch id and CSRF token in the headers the page ``on``
    renders, JSON asked."""
    body = who.get(on).text
    headers = dict(re.findall(r"&quot;([\w-]+)&quot;: &quot;([^&]*)&quot;", body))
    assert headers, body[:1000]
    return who.session.post(
        who.url(path),
        data=data,
        headers={**headers, "Accept": "application/json"},
        allow_redirects=False,
        timeout=10,
    )


def start(setup: LiveSetup) -> None:
    response = post_form(setup, setup.trainer, "console", "form-start", setup.path("live_start"))
    assert response.status_code == 303, response.text[:1000]


# --- who may open what ------------------------------------------------------------------


def test_each_seat_opens_the_live_page_and_anyone_else_is_refused(live_setup: LiveSetup) -> None:
    for who in (live_setup.hugo, live_setup.ines, live_setup.lea, live_setup.lucas):
        assert page(live_setup, who).status_code == 200
        assert page(live_setup, who, "live_poll").status_code == 200
    assert page(live_setup, live_setup.chloe).status_code == 403
    assert page(live_setup, live_setup.chloe, "live_poll").status_code == 403
    assert live_setup.hugo.get(live_setup.path("live"), with_launch=False).status_code == 401

    stranger = launch(live_setup.demo, "paul.garnier", link=other_course(live_setup.demo))
    for name in ("live", "console", "console_poll"):
        assert page(live_setup, stranger, name).status_code == 403


def test_the_console_is_the_trainers_only(live_setup: LiveSetup) -> None:
    assert page(live_setup, live_setup.trainer, "console").status_code == 200
    assert page(live_setup, live_setup.trainer, "console_poll").status_code == 200
    to_console = page(live_setup, live_setup.trainer)
    assert to_console.status_code == 303
    assert to_console.headers["Location"].startswith(live_setup.path("console"))
    for who in (live_setup.hugo, live_setup.lea, live_setup.lucas, live_setup.chloe):
        assert page(live_setup, who, "console").status_code == 403
        assert page(live_setup, who, "console_poll").status_code == 403


def test_students_cannot_start_the_session_or_trigger_an_incident(live_setup: LiveSetup) -> None:
    start(live_setup)
    for who in (live_setup.hugo, live_setup.lea):
        html = shown(live_setup, who)
        csrf = re.search(r'name="launch_csrf" value="([^"]+)"', html)
        fields = {"launch": who.launch_id, "launch_csrf": csrf.group(1) if csrf else ""}
        assert who.post(live_setup.path("live_stop"), fields).status_code == 403
        trigger = live_setup.path("live_incident_trigger", CARD_INCIDENT)
        assert who.post(trigger, fields).status_code == 403
    assert LiveSession.objects.get().status == LiveSession.Status.RUNNING
    assert not IncidentDelivery.objects.exists()


# --- what each person sees --------------------------------------------------------------


def test_a_participant_sees_their_own_card_and_no_other(live_setup: LiveSetup) -> None:
    html = shown(live_setup, live_setup.lea)
    assert "Mme Lise Vautrin" in html and LEA_HIDDEN in html
    for hidden in OTHER_HIDDEN:
        assert hidden not in html
    assert EXPECTED_TEXT not in html


def test_co_animators_and_observers_see_no_hidden_instruction(live_setup: LiveSetup) -> None:
    hugo = shown(live_setup, live_setup.hugo)
    assert "Caisse d'allocations familiales" in hugo  # his mandate
    for who in (live_setup.hugo, live_setup.lucas):
        html = shown(live_setup, who)
        for hidden in (LEA_HIDDEN, *OTHER_HIDDEN):
            assert hidden not in html
        assert EXPECTED_TEXT not in html


def test_the_console_shows_every_hidden_instruction_and_the_expected_behaviour(
    live_setup: LiveSetup,
) -> None:
    html = shown(live_setup, live_setup.trainer, "console")
    assert LEA_HIDDEN in html and EXPECTED_TEXT in html
    assert "Caisse d'allocations familiales" in html


def test_an_observer_sees_only_their_own_levels_and_no_grade(live_setup: LiveSetup) -> None:
    SessionRole.objects.create(
        session=live_setup.session,
        lti_user=live_setup.chloe.lti_user,
        role=SessionRole.Role.OBSERVER,
        focus_id="cadre-et-regulation",
    )
    start(live_setup)
    item = {"criterion": "CA-CADRE", "subject": str(live_setup.hugo.lti_user.pk)}
    saved = post_json(
        live_setup.chloe,
        live_setup.path("live_grid_save"),
        {**item, "level": "4"},
        on=live_setup.path("live"),
    )
    assert saved.status_code == 200, saved.text

    lucas = shown(live_setup, live_setup.lucas)
    chloe = shown(live_setup, live_setup.chloe)
    hugo_cadre = f'id="item-CA-CADRE-{live_setup.hugo.lti_user.pk}-4" value="4" checked'
    assert hugo_cadre in chloe
    assert " checked" not in lucas
    for word in ("médiane", "/20", "Note finale"):
        assert word not in lucas


# --- incidents over the wire ------------------------------------------------------------


def test_a_triggered_incident_reaches_its_recipients_poll_only(live_setup: LiveSetup) -> None:
    start(live_setup)
    trigger = live_setup.path("live_incident_trigger", CARD_INCIDENT)
    sent = post_form(
        live_setup, live_setup.trainer, "console", f"form-trigger-{CARD_INCIDENT}", trigger
    )
    assert sent.status_code == 303

    for other in (live_setup.hugo, live_setup.ines, live_setup.lucas):
        assert CARD_TWIST not in shown(live_setup, other, "live_poll")
    assert IncidentDelivery.objects.get().seen_at is None
    poll = page(live_setup, live_setup.lea, "live_poll")
    assert CARD_TWIST in poll.text and 'role="alert"' in poll.text
    assert 'hx-trigger="every 2s"' in poll.text
    assert IncidentDelivery.objects.get().seen_at is not None
    assert "vu à" in shown(live_setup, live_setup.trainer, "console_poll")


def test_a_secret_instruction_for_a_mandate_reaches_that_co_animator(
    live_setup: LiveSetup,
) -> None:
    start(live_setup)
    trigger = live_setup.path("live_incident_trigger", MANDATE_INCIDENT)
    answer = post_json(live_setup.trainer, trigger, {}, on=live_setup.path("console"))
    assert answer.status_code == 200 and answer.json()["delivered"] is True
    assert MANDATE_TWIST in shown(live_setup, live_setup.hugo)
    assert MANDATE_TWIST not in shown(live_setup, live_setup.ines)


def test_triggering_before_the_start_or_twice_is_a_conflict_said_in_french(
    live_setup: LiveSetup,
) -> None:
    trigger = live_setup.path("live_incident_trigger", CARD_INCIDENT)
    early = post_json(live_setup.trainer, trigger, {}, on=live_setup.path("console"))
    assert early.status_code == 409 and "démarrez-la" in early.json()["message"]
    start(live_setup)
    assert (
        post_json(live_setup.trainer, trigger, {}, on=live_setup.path("console")).status_code == 200
    )
    again = post_json(live_setup.trainer, trigger, {}, on=live_setup.path("console"))
    assert again.status_code == 409 and "déjà été déclenché" in again.json()["message"]
    assert IncidentDelivery.objects.count() == 1


# --- saves ------------------------------------------------------------------------------


def test_a_level_saved_by_fetch_answers_json_and_by_a_form_comes_back_to_the_page(
    live_setup: LiveSetup,
) -> None:
    start(live_setup)
    subject = str(live_setup.ines.lti_user.pk)
    item = {"criterion": "CA-REG", "subject": subject}
    by_fetch = post_json(
        live_setup.lucas,
        live_setup.path("live_grid_save"),
        {**item, "level": "2"},
        on=live_setup.path("live"),
    )
    assert by_fetch.status_code == 200
    assert by_fetch.json() == {
        "status": "ok",
        "message": "Niveau enregistré.",
        "key": f"CA-REG:{subject}",
        "level": 2,
    }
    by_form = post_form(live_setup, live_setup.lucas, "live", f"item-CA-REG-{subject}",
                        live_setup.path("live_grid_save"), {**item, "level": "nsp"})  # fmt: skip
    assert by_form.status_code == 303
    assert by_form.headers["Location"].startswith(live_setup.path("live") + "?launch=")
    assert GridEntry.objects.get().level is None


def test_a_save_without_the_launch_token_is_refused(live_setup: LiveSetup) -> None:
    start(live_setup)
    data = {"criterion": "CA-REG", "subject": str(live_setup.ines.lti_user.pk), "level": "2"}
    refused = live_setup.lucas.post(
        live_setup.path("live_grid_save"), {"launch": live_setup.lucas.launch_id, **data}
    )
    assert refused.status_code == 403
    assert not GridEntry.objects.exists()


def test_a_note_sent_twice_with_the_same_phone_id_is_recorded_once(live_setup: LiveSetup) -> None:
    start(live_setup)
    note = {"client_id": str(uuid.uuid4()), "text": "Ines reformule la question de Mme Kaci."}
    first = post_json(
        live_setup.lucas, live_setup.path("live_note_save"), note, on=live_setup.path("live")
    )
    again = post_json(
        live_setup.lucas, live_setup.path("live_note_save"), note, on=live_setup.path("live")
    )
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["message"] == "Note déjà enregistrée."
    assert ObserverNote.objects.count() == 1
    assert note["text"] in shown(live_setup, live_setup.lucas)


def test_a_plain_note_form_carries_its_own_id_so_a_resubmission_counts_once(
    live_setup: LiveSetup,
) -> None:
    start(live_setup)
    html = shown(live_setup, live_setup.lucas)
    client_id = re.search(r'name="client_id" value="([^"]+)"', html)
    assert client_id is not None
    for _attempt in range(2):
        sent = post_form(live_setup, live_setup.lucas, "live", "note-form",
                         live_setup.path("live_note_save"),
                         {"client_id": client_id.group(1), "text": "Relais annoncé."})  # fmt: skip
        assert sent.status_code == 303
    assert ObserverNote.objects.count() == 1


def test_the_console_counts_observers_saves(live_setup: LiveSetup) -> None:
    start(live_setup)
    data = {"criterion": "CA-CADRE", "subject": str(live_setup.hugo.lti_user.pk), "level": "3"}
    post_json(live_setup.lucas, live_setup.path("live_grid_save"), data, on=live_setup.path("live"))
    html = shown(live_setup, live_setup.trainer, "console_poll")
    assert "1 niveau enregistré, 0 note(s)" in html
