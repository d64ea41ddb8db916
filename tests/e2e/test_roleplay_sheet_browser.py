"""Two co-animators edit their preparation sheet at once, each in their own browser context
of Debian's chromium (issue 8): autosave, the other's changes merged in, a conflict on the
same section resolved by choosing, a failed save retried after the network comes back, and
the plan's "each co-animator leads a sequence" warning.

Screenshots go to test-artifacts/ (git-ignored).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from lti_tool.activities.roleplays.models import SheetRevision
from lti_tool.activities.roleplays.sheet import sheet_view
from tests.activities.roleplays.fixtures import roleplay  # noqa: F401 (fixture)
from tests.activities.roleplays.sheet_fixtures import Pair, pair_fixture  # noqa: F401 (fixture)
from tests.e2e.chromium import ARTIFACTS, TIMEOUT_MS
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
SAVED = re.compile(r"Enregistré à \d\d:\d\d")


def open_sheet(page: Any, pair: Pair, who: Launched) -> Any:
    path = reverse("roleplays:sheet", args=[who.resource_link.pk, pair.team.pk])
    page.goto(f"{who.url(path)}?launch={who.launch_id}")
    expect(page.get_by_test_id("sheet-title")).to_be_visible()
    return page


def second_page(page: Any) -> Any:
    """Another person: a separate browser context (no shared storage) in the same browser."""
    context = page.context.browser.new_context(
        viewport={"width": 390, "height": 844}, locale="fr-FR"
    )
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def test_two_co_animators_edit_the_sheet_at_once_and_nothing_is_lost(page: Any, pair: Pair) -> None:
    lea = open_sheet(page, pair, pair.lea)
    hugo = open_sheet(second_page(page), pair, pair.hugo)
    lea_status, hugo_status = (
        lea.get_by_test_id("sheet-status"),
        hugo.get_by_test_id("sheet-status"),
    )

    # Autosave after a pause of typing.
    lea.fill("#s-objectives", "Rendre les nouveaux locataires autonomes dans leur logement")
    expect(lea_status).to_have_text(SAVED)

    # Hugo, still on revision 0, writes another section: merged, nothing lost; his page
    # shows Léa's text.
    hugo.fill("#s-risks", "Mme Vautrin s'emporte : rendez-vous individuel proposé")
    expect(hugo_status).to_contain_text("Enregistré à")
    expect(hugo_status).to_contain_text("Léa Bernard")
    expect(hugo.locator("#s-objectives")).to_have_value(
        "Rendre les nouveaux locataires autonomes dans leur logement"
    )

    # Both write the same section: Léa's save is refused, both versions shown side by side.
    hugo.fill("#s-rules", "Téléphones en silencieux")
    expect(hugo_status).to_contain_text("Enregistré à")
    lea.fill("#s-rules", "Confidentialité : ce qui est dit ici reste ici")
    conflict = lea.get_by_test_id("conflict-rules")
    expect(conflict).to_contain_text("Hugo Petit")
    expect(conflict).to_contain_text("Téléphones en silencieux")
    expect(conflict).to_contain_text("Confidentialité : ce qui est dit ici reste ici")
    lea.screenshot(path=str(ARTIFACTS / "roleplay-sheet-conflict.png"), full_page=True)
    # Her other changes keep saving while the conflict is open, without touching the rules.
    lea.fill("#s-public", "Huit ménages, dont un couple avec un bébé")
    expect(lea_status).to_have_text(SAVED)
    assert sheet_view(pair.team).fields["rules"] == "Téléphones en silencieux"
    # She merges by hand and keeps her version.
    lea.fill("#s-rules", "Confidentialité ; téléphones en silencieux")
    lea.get_by_test_id("keep-mine-rules").click()
    expect(conflict).to_have_count(0)
    expect(lea_status).to_have_text(SAVED)
    fields = sheet_view(pair.team).fields
    assert fields["rules"] == "Confidentialité ; téléphones en silencieux"
    assert fields["risks"] == "Mme Vautrin s'emporte : rendez-vous individuel proposé"
    assert fields["public"] == "Huit ménages, dont un couple avec un bébé"

    # The plan: one sequence led by Léa; the page warns that Hugo leads none yet.
    warning = lea.get_by_test_id("leads-warning")
    row = lea.get_by_test_id("plan-row").first
    row.get_by_label("Durée (min)").fill("15")
    row.get_by_label("Séquence (titre)").fill("Accueil, tour de prénoms")
    row.get_by_label("Anime", exact=True).select_option(label="Léa Bernard")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Hugo Petit")
    expect(lea_status).to_have_text(SAVED)
    assert sheet_view(pair.team).plan_rows[0].lead == "Léa Bernard"

    # The network drops: the save fails, is retried, and lands once it is back.
    lea.context.set_offline(True)
    lea.fill("#s-evaluation", "Un mot chacun·e en fin de séance, cartes de couleur")
    expect(lea_status).to_contain_text("Échec, nouvel essai")
    lea.context.set_offline(False)
    expect(lea_status).to_have_text(SAVED, timeout=20_000)
    assert sheet_view(pair.team).fields["evaluation"] == (
        "Un mot chacun·e en fin de séance, cartes de couleur"
    )

    authors = set(
        SheetRevision.objects.filter(sheet__team=pair.team).values_list("author__name", flat=True)
    )
    assert authors == {"Léa Bernard", "Hugo Petit"}
    hugo.reload()
    expect(hugo.locator("#s-rules")).to_have_value("Confidentialité ; téléphones en silencieux")
    hugo.screenshot(path=str(ARTIFACTS / "roleplay-sheet-phone.png"), full_page=True)
    hugo.context.close()
