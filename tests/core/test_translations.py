"""The UI speaks French first, English second: French strings are the msgids and the
English catalogues (one ``locale/`` folder per app, plus ``lti_tool/locale`` for the
project-wide templates) are what an English-locale launch sees."""

from __future__ import annotations

import contextlib
import html
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from lti_tool.core.exceptions import NotAuthenticated
from lti_tool.grading.feedback import LEVEL_LABELS, READING_LABELS
from lti_tool.lti.errors import LaunchRefused
from tests.lti.flow import login_and_authorize, post_launch

ROOT = Path(settings.BASE_DIR)


def _stale_catalogues() -> list[Path]:
    """The .po files whose compiled .mo is missing or older (.mo files are not committed)."""
    stale = []
    for po in (ROOT / "lti_tool").glob("**/locale/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale.append(po)
    return stale


def _forget_loaded_catalogues() -> None:
    # Django caches a language's merged catalogue on first use; one built before the .mo
    # files existed would stay French for the rest of the run.
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None


@pytest.fixture(scope="session")
def english_catalogues() -> Iterator[None]:
    """Compile the catalogues when needed, as scripts/test.sh does before the suite."""
    if _stale_catalogues():
        if shutil.which("msgfmt") is None:
            pytest.skip(
                "gettext's msgfmt is missing, so the English catalogues cannot be compiled: "
                "install gettext (apt-get install gettext) or run scripts/test.sh as root."
            )
        with contextlib.chdir(ROOT):
            call_command("compilemessages", ignore_patterns=[".venv", "var", "node_modules"])
        _forget_loaded_catalogues()
    yield


@pytest.mark.usefixtures("english_catalogues")
def test_every_catalogue_is_compiled_and_fully_translated() -> None:
    assert not _stale_catalogues()
    catalogues = list((ROOT / "lti_tool").glob("**/locale/en/LC_MESSAGES/django.po"))
    apps = {po.parents[3].name for po in catalogues}
    assert {"core", "lti", "activities", "grading", "lti_tool"} <= apps
    for po in catalogues:
        text = po.read_text(encoding="utf-8")
        assert "#, fuzzy" not in text, f"{po} has fuzzy entries left"
        assert '\nmsgstr ""\n\n' not in text, f"{po} has untranslated entries"


@pytest.mark.usefixtures("english_catalogues")
def test_a_launch_refusal_reads_in_english_under_an_english_locale() -> None:
    with translation.override("en"):
        refusal = LaunchRefused("state_unknown")
        version = LaunchRefused("version_invalid", version="1.1")
        not_launched = NotAuthenticated()
    assert refusal.message == (
        "This LTI login has expired or has already been used. "
        "Launch the activity again from your course."
    )
    assert version.message == "LTI version “1.1” is not supported: 1.3.0 is expected."
    assert not_launched.message == "Please launch Atelier from your Moodle course."


@pytest.mark.usefixtures("english_catalogues")
def test_a_launch_refusal_stays_french_by_default() -> None:
    with translation.override("fr"):
        refusal = LaunchRefused("state_unknown")
    assert refusal.message.startswith("Cette connexion LTI a expiré")


@pytest.mark.usefixtures("english_catalogues")
def test_grading_labels_and_course_headings_are_translated() -> None:
    with translation.override("en"):
        assert str(LEVEL_LABELS[2]) == "2 — emerging"
        assert str(READING_LABELS[next(iter(READING_LABELS))]) == "acquired for this activity"
        assert gettext("domaine de compétences") == "competence domain"
        assert gettext("Espace formateur") == "Trainer area"
        assert (
            gettext("Activités Atelier placées dans ce cours")
            == "Atelier activities placed in this course"
        )
        assert gettext("Aller au contenu") == "Skip to content"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("english_catalogues")
def test_an_english_launch_through_the_built_in_platform_lands_on_an_english_page(
    demo: Any,
) -> None:
    # chloe.lambert's locale on the built-in platform is "en": the launch carries it in
    # the launch_presentation claim and the launch middleware switches to English.
    link = demo.link(0)
    link.custom = {}  # no activity chosen yet: the student lands on the waiting page
    link.save()
    session = requests.Session()
    url, fields = demo.login_fields("english")
    auth = login_and_authorize(session, url, fields)
    response = post_launch(session, auth)
    assert response.status_code == 303, response.text[:2000]
    page = session.get(demo.absolute(response.headers["Location"]), timeout=10)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'lang="en"' in text
    assert "Skip to content" in text
    assert "Aller au contenu" not in text
    assert "Activity not set up yet" in text
    assert "Your trainer has not chosen the Atelier content of this activity yet." in text
