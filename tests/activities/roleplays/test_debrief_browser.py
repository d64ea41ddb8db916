"""The written follow-up in Debian's chromium (issue 8): the live word count under each text,
a submission over the limit refused with the text kept, and the debrief form filled with
the keyboard-free radios of a phone. Screenshots go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lti_tool.activities.roleplays.models import GridEntry, SessionReport
from lti_tool.activities.roleplays.writing import REPORT_WORDS_MAX
from tests.activities.roleplays.fixtures import roleplay  # noqa: F401 (fixture)
from tests.activities.roleplays.test_debrief_views import Class, klass  # noqa: F401 (fixture)
from tests.e2e.chromium import ARTIFACTS
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("decesf"),
]

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def open_page(page: Any, setup: Class, who: Launched, name: str) -> Any:
    page.goto(f"{who.url(setup.path(name))}?launch={who.launch_id}")
    return page


def snap(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"roleplay-{name}.png"), full_page=True)


def test_the_word_count_follows_the_typing_and_an_overlong_text_is_refused_but_kept(
    page: Any,
    klass: Class,  # noqa: F811
) -> None:
    open_page(page, klass, klass.lea, "report")
    expect(page.get_by_test_id("anonymise-reminder")).to_be_visible()
    counter = page.locator("#reflection-count")
    expect(counter).to_have_text(f"0 mots sur {REPORT_WORDS_MAX}")

    page.fill("#report", "Huit ménages accueillis ; M. Dupont a posé des questions.")
    page.fill("#reflection", "mot " * (REPORT_WORDS_MAX + 3))

    expect(counter).to_have_text(f"{REPORT_WORDS_MAX + 3} mots sur {REPORT_WORDS_MAX}")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    expect(page.locator("[data-word-limit-alert]")).to_have_text(
        f"Ce texte dépasse {REPORT_WORDS_MAX} mots."
    )
    snap(page, "report-over-limit")
    page.get_by_test_id("report-submit").click()

    expect(page.get_by_test_id("report-error")).to_contain_text(f"{REPORT_WORDS_MAX + 3} mots")
    expect(page.locator("#report")).to_have_value(
        "Huit ménages accueillis ; M. Dupont a posé des questions."
    )
    assert not SessionReport.objects.filter(submitted_at__isnull=False).exists()

    page.fill("#reflection", "J'ai appris à passer le relais.")
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))
    page.get_by_test_id("report-draft").click()
    expect(page.get_by_test_id("report-saved")).to_be_visible()
    # The saved text names someone: the warning says so under the report.
    expect(page.get_by_test_id("name-warnings").first).to_contain_text("M. Dupont")
    snap(page, "report-draft-warning")


def test_a_co_animator_fills_the_debrief_on_a_phone(
    page: Any,
    klass: Class,  # noqa: F811
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, klass, klass.hugo, "debrief")

    for row in page.get_by_test_id("grid-row").all():
        row.get_by_label("Je ne sais pas").check()
    page.get_by_test_id("grid-row").first.locator("input[value='3']").check()
    page.get_by_label(re.compile("Mon retour à")).fill("Merci pour le relais à la pause.")
    snap(page, "debrief-phone")
    page.get_by_test_id("debrief-submit").click()

    expect(page.get_by_test_id("debrief-saved")).to_be_visible()
    expect(page.get_by_test_id("debrief-complete")).to_be_visible()
    levels = dict(
        GridEntry.objects.filter(author=klass.hugo.lti_user).values_list("criterion_code", "level")
    )
    assert levels["CA-CADRE"] == 3 and levels["CA-BIN"] is None
