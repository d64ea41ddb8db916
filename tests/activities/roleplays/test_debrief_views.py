"""The debrief and follow-up pages over real HTTP after real launches: who may open them,
the debrief form and the synthesis without observers' names, drafts, a stale save (409)
and the word limit (400) that keep what was typed, what a teammate may read, and the
trainer's flag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.activities.roleplays.models import (
    GridEntry,
    LiveSession,
    ObserverNote,
    SessionReport,
    Team,
    TeamMember,
)
from lti_tool.activities.roleplays.writing import REPORT_WORDS_MAX
from lti_tool.activities.services import activities_load, roleplay_files
from tests.activities.roleplays.fixtures import launch_roleplay, placement_of, roleplay  # noqa: F401
from tests.grading.factories import Launched, launch, other_course, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401
from tests.lti.flow import parse_form

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


@dataclass
class Class:
    """Léa and Hugo co-animate team 1; Inès observes; Chloé is team 2."""

    demo: Any
    team: Team
    session: LiveSession
    lea: Launched
    hugo: Launched
    ines: Launched
    chloe: Launched
    trainer: Launched

    def path(self, name: str, *extra: int) -> str:
        return reverse(f"roleplays:{name}", args=[self.lea.resource_link.pk, self.team.pk, *extra])


@pytest.fixture
def klass(roleplay: Any) -> Class:  # noqa: F811
    activities_load(paths=roleplay_files())  # flushed by the previous transactional test
    people = {who: launch_roleplay(roleplay, who) for who in ("lea.bernard", "hugo.petit", "ines.moreau", "chloe.lambert", "trainer")}  # fmt: skip
    trainer = people["trainer"]
    placement_bind_from_custom(resource_link=trainer.resource_link, actor=trainer.lti_user)
    placement = placement_of(trainer)
    teams = []
    for number, members in ((1, ("lea.bernard", "hugo.petit")), (2, ("chloe.lambert",))):
        team = Team.objects.create(placement=placement, number=number, name=f"Équipe {number}")
        for who in members:
            TeamMember.objects.create(team=team, placement=placement, lti_user=people[who].lti_user)
        teams.append(team)
    session = LiveSession.objects.create(
        team=teams[0],
        status=LiveSession.Status.RUNNING,
        started_at=timezone.now() - timedelta(minutes=40),
    )
    return Class(
        roleplay,
        teams[0],
        session,
        people["lea.bernard"],
        people["hugo.petit"],
        people["ines.moreau"],
        people["chloe.lambert"],
        trainer,
    )


def post_form(who: Launched, path: str, form_id: str, data: dict[str, str]) -> requests.Response:
    """Post a form of the page at ``path`` as a browser would: its hidden fields + ``data``."""
    page = who.get(path)
    assert page.status_code == 200, page.text[:2000]
    action, fields = parse_form(page.text, form_id)
    hidden = {k: v for k, v in fields.items() if k in ("launch", "launch_csrf", "revision")}
    return who.post(action, {**hidden, **data})


def follow(who: Launched, response: requests.Response) -> requests.Response:
    assert response.status_code == 303, response.text[:2000]
    return who.session.get(who.url(response.headers["Location"]), timeout=10)


# --- who may open the pages -----------------------------------------------------------------


@pytest.mark.parametrize("page", ["debrief", "report"])
def test_only_the_team_and_the_course_s_trainer_open_the_debrief_pages(
    klass: Class, page: str
) -> None:
    stranger = launch(klass.demo, "paul.garnier", link=other_course(klass.demo))
    path = klass.path(page)

    assert klass.lea.get(path).status_code == 200
    assert klass.trainer.get(path).status_code == 200
    refused = klass.chloe.get(path)  # her Moodle speaks English: so does the refusal
    assert refused.status_code == 403 and "another team" in text_of(refused)
    assert klass.ines.get(path).status_code == 403  # an observer of the session
    assert stranger.session.get(stranger.url(path), params={"launch": stranger.launch_id},
                                timeout=10).status_code == 403  # fmt: skip
    assert klass.lea.get(path, with_launch=False).status_code == 401


def test_before_the_session_starts_the_pages_say_when_they_open(klass: Class) -> None:
    LiveSession.objects.filter(pk=klass.session.pk).update(
        status=LiveSession.Status.PLANNED, started_at=None
    )

    debrief = klass.lea.get(klass.path("debrief"))
    report = klass.lea.get(klass.path("report"))

    assert 'data-testid="debrief-not-started"' in debrief.text
    assert 'id="debrief-form"' not in debrief.text
    assert 'data-testid="report-not-started"' in report.text
    assert 'data-testid="anonymise-reminder"' in report.text


# --- debrief ------------------------------------------------------------------------------


def test_the_synthesis_shows_levels_and_minutes_but_no_observer_s_name(klass: Class) -> None:
    GridEntry.objects.create(
        session=klass.session,
        author=klass.ines.lti_user,
        subject=klass.lea.lti_user,
        source=GridEntry.Source.OBSERVER,
        criterion_code="CA-CADRE",
        level=3,
    )
    assert klass.session.started_at is not None
    ObserverNote.objects.create(
        session=klass.session,
        author=klass.ines.lti_user,
        client_id=uuid4(),
        criterion_code="CA-CADRE",
        subject=klass.lea.lti_user,
        text="Rappelle le cadre horaire",
        noted_at=klass.session.started_at + timedelta(minutes=12, seconds=40),
    )

    for who in (klass.hugo, klass.trainer):
        page = text_of(who.get(klass.path("debrief")))
        row = re.search(
            rf'data-criterion="CA-CADRE" data-subject="{klass.lea.lti_user.pk}">(.*?)</tr>',
            page,
            re.S,
        )
        assert row is not None
        assert re.search(r'data-testid="median"[^>]*>3<', row.group(1))
        assert "min 12" in row.group(1) and "Rappelle le cadre horaire" in row.group(1)
        assert "Moreau" not in page and "ines.moreau" not in page


def test_a_co_animator_fills_the_debrief_by_form_then_reads_the_partner_s(klass: Class) -> None:
    lea, hugo = klass.lea.lti_user.pk, klass.hugo.lti_user.pk
    codes = ("CA-CADRE", "CA-PART", "CA-REG", "CA-BIN", "CA-INST", "CA-ORAL")

    def answers(partner: int, level: str) -> dict[str, str]:
        return {
            **{f"self:{code}": level for code in codes},
            f"partner:{partner}:CA-BIN": level,
            f"partner:{partner}:CA-BIN:comment": "Relais fluides",
            f"feedback:{partner}": "Merci pour ton soutien pendant l'incident",
        }

    saved = follow(
        klass.hugo, post_form(klass.hugo, klass.path("debrief"), "debrief-form", answers(lea, "4"))
    )
    assert 'data-testid="debrief-saved"' in saved.text  # fmt: skip
    assert 'data-testid="received-locked"' not in saved.text  # his own debrief is complete

    page = klass.lea.get(klass.path("debrief"))
    assert (
        'data-testid="received-locked"' in page.text and "Merci pour ton soutien" not in page.text
    )

    data = {**answers(hugo, "3"), "self:CA-PART": "nsp", "overall": "Séance vivante"}
    after = text_of(
        follow(klass.lea, post_form(klass.lea, klass.path("debrief"), "debrief-form", data))
    )

    assert 'data-testid="debrief-complete"' in after
    assert "Merci pour ton soutien pendant l'incident" in after and "Relais fluides" in after
    assert GridEntry.objects.get(author=klass.lea.lti_user, criterion_code="CA-PART").level is None
    # Radios come back checked with what was saved.
    assert re.search(r'name="self:CA-CADRE" id="self-CA-CADRE-3" value="3" required checked', after)


def test_a_tampered_debrief_form_is_refused_and_saves_nothing(klass: Class) -> None:
    response = post_form(
        klass.lea,
        klass.path("debrief"),
        "debrief-form",
        {"self:CA-CADRE": "9", f"partner:{klass.lea.lti_user.pk}:CA-BIN": "2"},
    )

    assert response.status_code == 400
    assert "de 0 à 4" in text_of(response)
    assert not GridEntry.objects.exists()


# --- written follow-up --------------------------------------------------------------------


def test_drafts_a_stale_save_and_the_word_limit_never_lose_what_was_typed(klass: Class) -> None:
    path = klass.path("report")
    page = klass.lea.get(path)
    _action, fields = parse_form(page.text, "report-form")
    stale = {k: fields[k] for k in ("launch", "launch_csrf", "revision")}
    assert stale["revision"] == "0"

    draft = {"action": "draft", "report": "Huit ménages accueillis.", "reflection": "Trop vite."}
    saved = follow(klass.lea, klass.lea.post(reverse("roleplays:report_save", args=[klass.lea.resource_link.pk, klass.team.pk]), {**stale, **draft}))  # fmt: skip
    assert 'data-testid="report-saved"' in saved.text and 'value="1"' in saved.text

    other_tab = {**draft, "report": "Texte de l'autre onglet"}
    conflict = klass.lea.post(parse_form(page.text, "report-form")[0], {**stale, **other_tab})
    text = text_of(conflict)
    assert conflict.status_code == 409
    assert "modifié ailleurs" in text and 'data-testid="report-conflict"' in text
    assert "Texte de l'autre onglet" in text and "Huit ménages accueillis." in text
    assert SessionReport.objects.get(author=klass.lea.lti_user).report == "Huit ménages accueillis."

    too_long = "mot " * (REPORT_WORDS_MAX + 5)
    refused = post_form(
        klass.lea, path, "report-form", {**draft, "action": "submit", "reflection": too_long}
    )
    assert refused.status_code == 400  # fmt: skip
    assert f"{REPORT_WORDS_MAX + 5} mots" in text_of(refused) and too_long.strip() in refused.text
    assert SessionReport.objects.get(author=klass.lea.lti_user).submitted_at is None

    done = follow(
        klass.lea, post_form(klass.lea, path, "report-form", {**draft, "action": "submit"})
    )
    assert 'data-testid="report-submitted"' in done.text and 'id="report-form"' not in done.text


def test_a_teammate_reads_the_session_report_but_never_the_reflection(klass: Class) -> None:
    submit = {"action": "submit", "report": "Compte rendu factuel de Léa", "reflection": "Mes doutes intimes"}  # fmt: skip
    follow(klass.lea, post_form(klass.lea, klass.path("report"), "report-form", submit))

    hugo_sees = text_of(klass.hugo.get(klass.path("report")))
    trainer_sees = text_of(klass.trainer.get(klass.path("report")))

    assert "Compte rendu factuel de Léa" in hugo_sees and "Mes doutes intimes" not in hugo_sees
    assert "Compte rendu factuel de Léa" in trainer_sees and "Mes doutes intimes" in trainer_sees
    assert klass.chloe.get(klass.path("report")).status_code == 403


def test_the_trainer_flags_a_report_the_author_revises_it_and_the_flag_is_lifted(
    klass: Class,
) -> None:
    lea = klass.lea.lti_user.pk
    submit = {
        "action": "submit",
        "report": "Mme Dupont, voisine de mon stage",
        "reflection": "Bien",
    }
    follow(klass.lea, post_form(klass.lea, klass.path("report"), "report-form", submit))
    trainer_page = text_of(klass.trainer.get(klass.path("report")))
    assert "Mme Dupont" in trainer_page and 'data-kind="civility"' in trainer_page

    flagged = post_form(klass.trainer, klass.path("report"), f"flag-form-{lea}", {"reason": "Nom réel du stage"})  # fmt: skip
    assert flagged.status_code == 303
    author_page = text_of(klass.lea.get(klass.path("report")))
    assert 'data-testid="my-report-flag"' in author_page and "Nom réel du stage" in author_page
    assert 'id="report-form"' in author_page  # editable again

    student_try = klass.hugo.post(
        klass.path("report_unflag", lea), klass.hugo.form_tokens(klass.path("report"))
    )
    assert student_try.status_code == 403

    revised = {**submit, "report": "Mme D., voisine"}
    follow(klass.lea, post_form(klass.lea, klass.path("report"), "report-form", revised))
    row = SessionReport.objects.get(author_id=lea)
    assert row.flagged_at is None and row.flag_reason == "Nom réel du stage"
    assert 'data-testid="report-previous-flag"' in klass.trainer.get(klass.path("report")).text

    follow(klass.trainer, post_form(klass.trainer, klass.path("report"), f"flag-form-{lea}", {"reason": "Encore"}))  # fmt: skip
    unflagged = post_form(klass.trainer, klass.path("report"), f"unflag-form-{lea}", {})
    assert unflagged.status_code == 303
    assert SessionReport.objects.get(author_id=lea).flagged_at is None
