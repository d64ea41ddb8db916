# ruff: noqa: F811 (pytest fixtures imported by name)
"""The live session in Debian's chromium (issue 8, "Live session"): the trainer triggers an
incident from the console and it appears on the participant's screen within seconds,
without a reload (htmx polling); an observer on a phone-sized screen taps levels while
offline and sees them kept, then saved once the connection is back, and a level refused
because the launch expired is sent again from the relaunched page (observer.js).

Each person has their own browser context, opened on a launch id obtained by a real
launch through the built-in platform (the id travels in the URL, as in Moodle's iframe).
Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.core.cache import cache

from lti_tool.activities.roleplays.models import GridEntry, IncidentDelivery, ObserverNote
from lti_tool.lti.launch_store import _LAUNCH_PREFIX
from tests.activities.roleplays.fixtures import launch_roleplay
from tests.activities.roleplays.live_fixtures import (  # noqa: F401
    CARD_INCIDENT,
    LiveSetup,
    live_setup,
    roleplay,
)
from tests.e2e.chromium import ARTIFACTS
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]

DELIVERY_SECONDS = 5  # the issue asks "within seconds"; the poll runs every 2 s


def url_of(setup: LiveSetup, who: Launched, name: str) -> str:
    return f"{setup.demo.base_url}{setup.path(name)}?launch={who.launch_id}"


def other_page(page: Any, *, phone: bool = False) -> Any:
    """A page in a second context of the same browser: another person's device."""
    options: dict[str, Any] = {"locale": "fr-FR"}
    if phone:
        options.update(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    context = page.context.browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context.new_page()


def test_an_incident_triggered_by_the_trainer_appears_on_the_participants_screen(
    page: Any, live_setup: LiveSetup
) -> None:
    participant = other_page(page, phone=True)
    participant.goto(url_of(live_setup, live_setup.lea, "live"))
    participant.get_by_test_id("card-hidden").wait_for()
    assert participant.get_by_test_id("session-status").inner_text() == "à venir"

    page.goto(url_of(live_setup, live_setup.trainer, "console"))
    page.get_by_test_id("start").click()
    page.get_by_test_id(f"trigger-{CARD_INCIDENT}").click()
    page.get_by_test_id("done").wait_for()
    triggered_at = time.monotonic()

    # No reload of the participant's page: the polled fragment brings the incident in.
    incident = participant.get_by_test_id(f"incident-{CARD_INCIDENT}")
    incident.wait_for(timeout=DELIVERY_SECONDS * 1000)
    delay = time.monotonic() - triggered_at
    assert "la CAF vous coupe les aides" in incident.inner_text()
    assert participant.get_by_test_id("session-status").inner_text() == "en cours"
    assert delay < DELIVERY_SECONDS
    participant.screenshot(path=str(ARTIFACTS / "roleplay-live-incident-phone.png"), full_page=True)

    # The console learns that it was shown, by its own poll.
    page.locator(f'[data-testid="incident-{CARD_INCIDENT}"][data-state="seen"]').wait_for()
    assert IncidentDelivery.objects.get().seen_at is not None
    page.screenshot(path=str(ARTIFACTS / "roleplay-live-console.png"), full_page=True)
    participant.context.close()


def test_an_observer_offline_keeps_their_taps_and_notes_and_they_are_saved_once_back(
    page: Any, live_setup: LiveSetup
) -> None:
    page.goto(url_of(live_setup, live_setup.trainer, "console"))
    page.get_by_test_id("start").click()
    page.get_by_test_id("stop").wait_for()

    phone = other_page(page, phone=True)
    phone.goto(url_of(live_setup, live_setup.lucas, "live"))
    hugo = live_setup.hugo.lti_user.pk
    item = phone.get_by_test_id(f"grid-CA-CADRE:{hugo}")
    item.locator(f'label[for="item-CA-CADRE-{hugo}-3"]').tap()
    item.get_by_text("enregistré").wait_for()
    assert GridEntry.objects.get().level == 3

    phone.context.set_offline(True)
    item.locator(f'label[for="item-CA-CADRE-{hugo}-4"]').tap()
    phone.fill("#note-text", "Hugo rappelle la règle du droit de passer.")
    phone.get_by_role("button", name="Ajouter la note").tap()
    item.get_by_text("hors ligne").wait_for()
    note_line = phone.get_by_test_id("notes").locator("li").first
    assert "droit de passer" in note_line.inner_text()
    phone.screenshot(path=str(ARTIFACTS / "roleplay-live-observer-offline.png"), full_page=True)
    assert GridEntry.objects.get().level == 3 and not ObserverNote.objects.exists()

    phone.context.set_offline(False)
    item.get_by_text("enregistré").wait_for(timeout=40_000)
    note_line.get_by_text("enregistré").wait_for(timeout=40_000)
    assert GridEntry.objects.get().level == 4
    assert ObserverNote.objects.get().text == "Hugo rappelle la règle du droit de passer."

    # Nothing was left in the phone's queue, and a reload shows what the server holds.
    phone.reload()
    assert phone.locator(f"#item-CA-CADRE-{hugo}-4").is_checked()
    assert phone.evaluate("Object.keys(localStorage).map(k => localStorage[k]).join('')") == "{}"
    phone.screenshot(path=str(ARTIFACTS / "roleplay-live-observer.png"), full_page=True)
    phone.context.close()


def test_a_level_refused_by_an_expired_launch_is_sent_again_from_the_relaunched_page(
    page: Any, live_setup: LiveSetup
) -> None:
    page.goto(url_of(live_setup, live_setup.trainer, "console"))
    page.get_by_test_id("start").click()
    page.get_by_test_id("stop").wait_for()
    phone = other_page(page, phone=True)
    phone.goto(url_of(live_setup, live_setup.lucas, "live"))
    ines = live_setup.ines.lti_user.pk
    item = phone.get_by_test_id(f"grid-CA-REG:{ines}")

    # The launch expires (its TTL, shortened here by removing it from the store).
    cache.delete(_LAUNCH_PREFIX + live_setup.lucas.launch_id)
    item.locator(f'label[for="item-CA-REG-{ines}-2"]').tap()
    item.get_by_text("refusé").wait_for()
    assert not GridEntry.objects.exists()

    # Relaunched from Moodle: the new page sends what the phone kept.
    relaunched = launch_roleplay(live_setup.demo, "lucas.fontaine")
    phone.goto(url_of(live_setup, relaunched, "live"))
    phone.get_by_test_id(f"grid-CA-REG:{ines}").get_by_text("enregistré").wait_for()
    assert GridEntry.objects.get().level == 2
    phone.context.close()
