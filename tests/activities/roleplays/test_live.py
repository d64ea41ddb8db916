"""The live session's rules (issue 8, "Live session"): incidents reach the holder of the
card or mandate, once, only while the session runs; observers' levels are upserted per
criterion and co-animator (once for the team when shared), notes are recorded once per
phone id, and saving closes 30 minutes after the end. People come from real launches."""

# ruff: noqa: F811 (pytest fixtures imported by name)
from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lti_tool.activities.roleplays import live
from lti_tool.activities.roleplays.access import roleplay_access
from lti_tool.activities.roleplays.models import (
    GridEntry,
    IncidentDelivery,
    LiveSession,
    ObserverNote,
    SessionRole,
)
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.launch_store import launch_load
from tests.activities.roleplays.live_fixtures import (  # noqa: F401
    CARD_INCIDENT,
    MANDATE_INCIDENT,
    NOBODY_INCIDENT,
    LiveSetup,
    live_setup,
    roleplay,
)
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


def seat_of(setup: LiveSetup, who: Launched) -> live.LiveSeat:
    launch = LtiLaunch.from_store(who.launch_id, launch_load(who.launch_id) or {})
    viewer = roleplay_access(launch, resource_link_pk=setup.placement.resource_link_id)
    return live.live_seat_get(viewer, team_pk=setup.team.pk)


def running(setup: LiveSetup) -> LiveSession:
    return live.session_start(session=setup.session)


def trigger(setup: LiveSetup, incident_id: str) -> IncidentDelivery:
    return live.incident_trigger(
        session=setup.fresh_session(),
        brief=setup.brief,
        incident_id=incident_id,
        actor=setup.trainer.lti_user,
    )


def level(setup: LiveSetup, code: str, subject: Launched | None, value: str) -> GridEntry:
    return live.grid_entry_save(
        seat=seat_of(setup, setup.lucas),
        brief=setup.brief,
        criterion_code=code,
        subject_pk=subject.lti_user.pk if subject else None,
        level=value,
    )


# --- the session ------------------------------------------------------------------------


def test_starting_then_stopping_sets_the_clock_and_a_session_never_restarts(
    live_setup: LiveSetup,
) -> None:
    started = running(live_setup)
    assert started.status == LiveSession.Status.RUNNING and started.started_at is not None
    with pytest.raises(Conflict):
        live.session_start(session=started)

    ended = live.session_stop(session=started)

    assert ended.status == LiveSession.Status.ENDED and ended.ended_at >= ended.started_at
    with pytest.raises(Conflict):
        live.session_start(session=ended)
    with pytest.raises(Conflict):
        live.session_stop(session=ended)
    assert live.elapsed_seconds(ended) == int((ended.ended_at - ended.started_at).total_seconds())


# --- incidents --------------------------------------------------------------------------


def test_an_incident_for_a_role_card_reaches_the_participant_holding_it(
    live_setup: LiveSetup,
) -> None:
    running(live_setup)
    delivery = trigger(live_setup, CARD_INCIDENT)
    assert delivery.recipient_id == live_setup.lea.lti_user.pk
    assert delivery.triggered_by_id == live_setup.trainer.lti_user.pk
    assert delivery.seen_at is None


def test_an_incident_for_a_mandate_reaches_the_co_animator_acting_under_it(
    live_setup: LiveSetup,
) -> None:
    running(live_setup)
    assert trigger(live_setup, MANDATE_INCIDENT).recipient_id == live_setup.hugo.lti_user.pk


def test_an_incident_nobody_holds_is_recorded_for_nobody(live_setup: LiveSetup) -> None:
    running(live_setup)
    delivery = trigger(live_setup, NOBODY_INCIDENT)
    assert delivery.recipient_id is None
    console = live.console_get(session=live_setup.fresh_session(), brief=live_setup.brief)
    line = next(i for i in console.incidents if i.incident.id == NOBODY_INCIDENT)
    assert line.delivery is not None and line.holder == ""


def test_an_incident_is_triggered_once(live_setup: LiveSetup) -> None:
    running(live_setup)
    trigger(live_setup, CARD_INCIDENT)
    with pytest.raises(Conflict):
        trigger(live_setup, CARD_INCIDENT)
    assert IncidentDelivery.objects.filter(session=live_setup.session).count() == 1


def test_an_incident_is_triggered_only_while_the_session_runs(live_setup: LiveSetup) -> None:
    with pytest.raises(Conflict):
        trigger(live_setup, CARD_INCIDENT)
    live.session_stop(session=running(live_setup))
    with pytest.raises(Conflict):
        trigger(live_setup, CARD_INCIDENT)
    assert not IncidentDelivery.objects.filter(session=live_setup.session).exists()


def test_an_incident_the_brief_does_not_have_is_not_found(live_setup: LiveSetup) -> None:
    running(live_setup)
    with pytest.raises(NotFound):
        trigger(live_setup, "pas-dans-la-fiche")


def test_only_the_recipient_is_shown_an_incident_and_showing_it_marks_it_seen(
    live_setup: LiveSetup,
) -> None:
    running(live_setup)
    trigger(live_setup, CARD_INCIDENT)
    session = live_setup.fresh_session()

    for other in (live_setup.hugo, live_setup.ines, live_setup.lucas, live_setup.chloe):
        assert (
            live.incidents_deliver(
                session=session, brief=live_setup.brief, lti_user_pk=other.lti_user.pk
            )
            == []
        )
    assert IncidentDelivery.objects.get(session=session).seen_at is None

    shown = live.incidents_deliver(
        session=session, brief=live_setup.brief, lti_user_pk=live_setup.lea.lti_user.pk
    )
    assert [(s.delivery.incident_id, s.fresh) for s in shown] == [(CARD_INCIDENT, True)]
    assert shown[0].incident is not None and "CAF" in shown[0].incident.twist
    assert IncidentDelivery.objects.get(session=session).seen_at is not None
    again = live.incidents_deliver(
        session=session, brief=live_setup.brief, lti_user_pk=live_setup.lea.lti_user.pk
    )
    assert [s.fresh for s in again] == [False]


def test_polling_for_incidents_costs_a_fixed_number_of_queries(live_setup: LiveSetup) -> None:
    running(live_setup)
    for incident in (CARD_INCIDENT, MANDATE_INCIDENT, NOBODY_INCIDENT):
        trigger(live_setup, incident)
    session = live_setup.fresh_session()
    for _poll in range(2):  # the first marks it seen (select + update), the next only reads
        with CaptureQueriesContext(connection) as captured:
            live.incidents_deliver(
                session=session, brief=live_setup.brief, lti_user_pk=live_setup.lea.lti_user.pk
            )
        assert len(statements(captured)) <= 2, statements(captured)


# --- the observer's grid ------------------------------------------------------------------


def test_a_level_saved_again_replaces_the_first(live_setup: LiveSetup) -> None:
    running(live_setup)
    level(live_setup, "CA-CADRE", live_setup.hugo, "2")
    level(live_setup, "CA-CADRE", live_setup.hugo, "3")
    level(live_setup, "CA-CADRE", live_setup.ines, "nsp")

    entries = {
        e.subject_id: e.level
        for e in GridEntry.objects.filter(session=live_setup.session, criterion_code="CA-CADRE")
    }
    assert entries == {live_setup.hugo.lti_user.pk: 3, live_setup.ines.lti_user.pk: None}
    assert GridEntry.objects.filter(source=GridEntry.Source.OBSERVER).count() == 2


def test_a_shared_criterion_is_saved_once_for_the_team(live_setup: LiveSetup) -> None:
    SessionRole.objects.filter(lti_user=live_setup.lucas.lti_user).update(
        focus_id="participation-et-supports"
    )
    running(live_setup)
    level(live_setup, "CA-EVAL", None, "2")
    level(live_setup, "CA-EVAL", live_setup.hugo, "4")  # a subject is ignored when shared

    entry = GridEntry.objects.get(session=live_setup.session, criterion_code="CA-EVAL")
    assert (entry.subject_id, entry.level) == (None, 4)


def test_an_individual_criterion_needs_one_of_the_co_animators(live_setup: LiveSetup) -> None:
    running(live_setup)
    with pytest.raises(ValidationFailed):
        level(live_setup, "CA-REG", None, "2")
    with pytest.raises(ValidationFailed):
        level(live_setup, "CA-REG", live_setup.lea, "2")  # a participant, not a co-animator
    assert not GridEntry.objects.exists()


def test_a_criterion_outside_the_focus_or_a_level_outside_0_4_is_refused(
    live_setup: LiveSetup,
) -> None:
    running(live_setup)
    with pytest.raises(ValidationFailed):
        level(live_setup, "CA-PART", live_setup.hugo, "2")  # another focus's criterion
    with pytest.raises(ValidationFailed):
        level(live_setup, "CA-CADRE", live_setup.hugo, "5")
    assert not GridEntry.objects.exists()


def test_only_observers_fill_the_grid(live_setup: LiveSetup) -> None:
    running(live_setup)
    for who in (live_setup.lea, live_setup.hugo):
        with pytest.raises(PermissionDenied):
            live.grid_entry_save(
                seat=seat_of(live_setup, who),
                brief=live_setup.brief,
                criterion_code="CA-CADRE",
                subject_pk=live_setup.hugo.lti_user.pk,
                level="3",
            )


def statements(captured: CaptureQueriesContext) -> list[str]:
    """The SQL statements that read or write rows (transaction control aside)."""
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN", "COMMIT"))
    ]


def test_saving_a_level_costs_a_fixed_number_of_queries(live_setup: LiveSetup) -> None:
    running(live_setup)
    seat = seat_of(live_setup, live_setup.lucas)
    seat.session.refresh_from_db()
    for value in ("1", "2"):  # the first save inserts, the second updates
        with CaptureQueriesContext(connection) as captured:
            live.grid_entry_save(
                seat=seat,
                brief=live_setup.brief,
                criterion_code="CA-INST",
                subject_pk=live_setup.ines.lti_user.pk,
                level=value,
            )
        # is the subject a co-animator, the row locked, then inserted or updated
        assert len(statements(captured)) <= 3, statements(captured)


def test_before_the_start_a_save_is_refused_as_worth_retrying(live_setup: LiveSetup) -> None:
    with pytest.raises(Conflict) as refused:
        level(live_setup, "CA-CADRE", live_setup.hugo, "3")
    assert refused.value.extra == {"retry": True}


def test_saving_closes_thirty_minutes_after_the_end(live_setup: LiveSetup) -> None:
    live.session_stop(session=running(live_setup))
    LiveSession.objects.filter(pk=live_setup.session.pk).update(
        ended_at=timezone.now() - timedelta(minutes=29)
    )
    level(live_setup, "CA-CADRE", live_setup.hugo, "3")  # a phone back online, in time

    LiveSession.objects.filter(pk=live_setup.session.pk).update(
        ended_at=timezone.now() - timedelta(minutes=31)
    )
    with pytest.raises(Conflict) as refused:
        level(live_setup, "CA-CADRE", live_setup.hugo, "1")
    assert refused.value.extra == {}
    assert GridEntry.objects.get().level == 3


# --- notes ------------------------------------------------------------------------------


def note(setup: LiveSetup, client_id: str, text: str, **extra: Any) -> tuple[ObserverNote, bool]:
    return live.observer_note_save(
        seat=seat_of(setup, setup.lucas), brief=setup.brief, client_id=client_id, text=text, **extra
    )


def test_a_retried_note_is_recorded_once(live_setup: LiveSetup) -> None:
    running(live_setup)
    client_id = str(uuid.uuid4())
    first, created = note(live_setup, client_id, "Hugo pose les règles dès l'accueil.")
    again, created_again = note(live_setup, client_id, "Hugo pose les règles dès l'accueil.")

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert ObserverNote.objects.count() == 1


def test_a_note_time_from_the_phone_is_kept_within_the_session(live_setup: LiveSetup) -> None:
    session = running(live_setup)
    early, _ = note(live_setup, str(uuid.uuid4()), "Avant", noted_at="2001-01-01T10:00:00+00:00")
    late, _ = note(live_setup, str(uuid.uuid4()), "Après", noted_at="2999-01-01T10:00:00+00:00")
    during_at = session.started_at + (timezone.now() - session.started_at) / 2
    during, _ = note(live_setup, str(uuid.uuid4()), "Pendant", noted_at=during_at.isoformat())

    assert early.noted_at == session.started_at
    assert session.started_at <= late.noted_at <= timezone.now()
    assert during.noted_at == during_at


def test_a_note_about_someone_outside_the_team_or_empty_is_refused(live_setup: LiveSetup) -> None:
    running(live_setup)
    with pytest.raises(ValidationFailed):
        note(live_setup, str(uuid.uuid4()), "  ")
    with pytest.raises(ValidationFailed):
        note(live_setup, str(uuid.uuid4()), "Léa", subject_pk=live_setup.lea.lti_user.pk)
    with pytest.raises(ValidationFailed):
        note(live_setup, "pas-un-uuid", "Texte")
    assert not ObserverNote.objects.exists()


def test_the_console_counts_each_observers_saves(live_setup: LiveSetup) -> None:
    running(live_setup)
    level(live_setup, "CA-CADRE", live_setup.hugo, "3")
    level(live_setup, "CA-REG", live_setup.ines, "2")
    note(live_setup, str(uuid.uuid4()), "Relais clair entre les deux.")

    console = live.console_get(session=live_setup.fresh_session(), brief=live_setup.brief)

    assert [(o.role.lti_user_id, o.levels, o.notes) for o in console.observers] == [
        (live_setup.lucas.lti_user.pk, 2, 1)
    ]
    assert (console.levels_total, console.notes_total) == (2, 1)
    holders = {line.incident.id: line.holder for line in console.incidents}
    assert holders[CARD_INCIDENT] == live_setup.lea.lti_user.display_name
    assert holders[MANDATE_INCIDENT] == live_setup.hugo.lti_user.display_name
    assert holders[NOBODY_INCIDENT] == ""
