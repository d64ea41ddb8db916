"""The debrief and the written follow-up (issue 8, "Debrief and follow-up"): grids upserted
and checked, what each co-animator may read, the observers' synthesis without names, drafts
with optimistic concurrency, the word limit, and the trainer's anonymisation flag.

People come from real launches on the built-in platform; the team is formed with rows as
the trainer's teams screen forms it (built alongside)."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.db import connection
from django.utils import timezone

from lti_tool.activities.models import Placement
from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.activities.roleplays.access import brief_of
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.debrief import (
    DONT_KNOW,
    GridInput,
    debrief_form_read,
    debrief_page_of,
    debrief_save,
    observers_synthesis,
    partner_criteria,
    self_criteria,
)
from lti_tool.activities.roleplays.models import (
    DebriefComment,
    GridEntry,
    LiveSession,
    ObserverNote,
    SessionReport,
    Team,
    TeamMember,
)
from lti_tool.activities.roleplays.reports import (
    report_flag,
    report_page_of,
    report_save,
    report_unflag,
    reports_of,
)
from lti_tool.activities.roleplays.writing import REPORT_WORDS_MAX
from lti_tool.activities.services import activities_load, roleplay_files
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from lti_tool.lti.models import LtiUser
from tests.activities.roleplays.fixtures import launch_roleplay, placement_of, roleplay  # noqa: F401
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

SELF_FALLBACK = ("CA-CADRE", "CA-PART", "CA-REG", "CA-BIN", "CA-INST", "CA-ORAL")


@dataclass
class Pair:
    """Léa and Hugo co-animate; Inès and Lucas observe; Chloé is in another team."""

    placement: Placement
    brief: RolePlay
    team: Team
    session: LiveSession
    lea: LtiUser
    hugo: LtiUser
    ines: LtiUser
    lucas: LtiUser
    chloe: LtiUser
    trainer: LtiUser


def bound(trainer: Launched) -> Placement:
    """The link bound to the brief its custom parameter names, as the first landing does."""
    placement_bind_from_custom(resource_link=trainer.resource_link, actor=trainer.lti_user)
    return placement_of(trainer)


def team_formed(placement: Placement, members: list[LtiUser], *, number: int) -> Team:
    team = Team.objects.create(placement=placement, number=number, name=f"Équipe {number}")
    for lti_user in members:
        TeamMember.objects.create(team=team, placement=placement, lti_user=lti_user)
    return team


@pytest.fixture
def pair(roleplay: Any) -> Pair:  # noqa: F811
    # The ``roleplay`` fixture republishes the scenarios only; a transactional test has
    # flushed the briefs migration 0003 published.
    activities_load(paths=roleplay_files())
    people = {
        who: launch_roleplay(roleplay, who).lti_user
        for who in ("lea.bernard", "hugo.petit", "ines.moreau", "lucas.fontaine", "chloe.lambert")
    }
    trainer = launch_roleplay(roleplay, "trainer")
    placement = bound(trainer)
    team = team_formed(placement, [people["lea.bernard"], people["hugo.petit"]], number=1)
    team_formed(placement, [people["chloe.lambert"]], number=2)
    session = LiveSession.objects.create(
        team=team,
        status=LiveSession.Status.ENDED,
        started_at=timezone.now() - timedelta(minutes=50),
        ended_at=timezone.now() - timedelta(minutes=5),
    )
    return Pair(
        placement,
        brief_of(placement),
        team,
        session,
        people["lea.bernard"],
        people["hugo.petit"],
        people["ines.moreau"],
        people["lucas.fontaine"],
        people["chloe.lambert"],
        trainer.lti_user,
    )


def answers(p: Pair, author: LtiUser, partner: LtiUser, level: int | None = 3) -> list[GridInput]:
    """A complete debrief of ``author``: every self and partner criterion at ``level``."""
    return [
        *(GridInput("self", c.code, author.pk, level) for c in self_criteria(p.brief)),
        *(GridInput("partner", c.code, partner.pk, level) for c in partner_criteria(p.brief)),
    ]


def save(p: Pair, author: LtiUser, entries: list[GridInput], **texts: Any) -> None:
    debrief_save(
        session=p.session,
        brief=p.brief,
        author=author,
        entries=entries,
        feedback=texts.get("feedback", {}),
        overall=texts.get("overall", ""),
    )


# --- which grids --------------------------------------------------------------------------


def test_without_self_evidence_the_self_grid_is_the_individual_observed_criteria(
    pair: Pair,
) -> None:
    assert tuple(c.code for c in self_criteria(pair.brief)) == SELF_FALLBACK
    assert tuple(c.code for c in partner_criteria(pair.brief)) == ("CA-BIN",)


def test_a_brief_declaring_self_evidence_gets_exactly_those_criteria(pair: Pair) -> None:
    criteria = tuple(
        dataclasses.replace(c, evidence=(*c.evidence, "self")) if c.code == "CA-REFL" else c
        for c in pair.brief.criteria
    )
    brief = dataclasses.replace(pair.brief, criteria=criteria)

    assert [c.code for c in self_criteria(brief)] == ["CA-REFL"]


# --- grids: upsert and validation -----------------------------------------------------------


def test_a_debrief_saved_twice_keeps_one_entry_per_criterion_and_subject(pair: Pair) -> None:
    save(pair, pair.lea, answers(pair, pair.lea, pair.hugo, 3), overall="Bonne séance")
    save(
        pair,
        pair.lea,
        answers(pair, pair.lea, pair.hugo, 2),
        feedback={pair.hugo.pk: "Merci pour les relais"},
        overall="",
    )

    entries = GridEntry.objects.filter(session=pair.session, author=pair.lea)
    assert entries.count() == len(SELF_FALLBACK) + 1
    assert set(entries.values_list("level", flat=True)) == {2}
    assert entries.get(source="partner").subject == pair.hugo
    assert entries.filter(source="self").exclude(subject=pair.lea).count() == 0
    comments = DebriefComment.objects.filter(session=pair.session, author=pair.lea)
    assert [(c.subject_id, c.text) for c in comments] == [(pair.hugo.pk, "Merci pour les relais")]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (lambda p: GridInput("self", "CA-INCONNU", p.lea.pk, 2), "Critère inconnu"),
        (lambda p: GridInput("self", "CA-CADRE", p.lea.pk, 5), "de 0 à 4"),
        (lambda p: GridInput("self", "CA-CADRE", p.hugo.pk, 2), "porte sur vous"),
        (lambda p: GridInput("partner", "CA-BIN", p.lea.pk, 2), "porte sur vos partenaires"),
        (lambda p: GridInput("partner", "CA-BIN", p.chloe.pk, 2), "de votre équipe"),
        (lambda p: GridInput("partner", "CA-CADRE", p.hugo.pk, 2), "grille sur vos partenaires"),
        (lambda p: GridInput("self", "CA-TRANS", p.lea.pk, 2), "auto-évaluation"),
    ],
    ids=[
        "unknown-criterion",
        "level-out-of-range",
        "self-about-someone-else",
        "partner-about-oneself",
        "partner-outside-the-team",
        "criterion-not-in-partner-grid",
        "criterion-not-in-self-grid",
    ],
)
def test_a_refused_answer_saves_nothing_of_the_debrief(
    pair: Pair, entry: Any, message: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save(pair, pair.lea, [*answers(pair, pair.lea, pair.hugo), entry(pair)], overall="Bien")

    assert message in refused.value.message
    assert not GridEntry.objects.filter(session=pair.session).exists()
    assert not DebriefComment.objects.filter(session=pair.session).exists()


def test_every_criterion_needs_an_answer_and_dont_know_is_one(pair: Pair) -> None:
    with pytest.raises(ValidationFailed) as refused:
        save(pair, pair.lea, answers(pair, pair.lea, pair.hugo)[1:])
    assert "CA-CADRE" in refused.value.message

    save(pair, pair.lea, answers(pair, pair.lea, pair.hugo, level=None))

    assert set(GridEntry.objects.values_list("level", flat=True)) == {None}


def test_the_form_reads_levels_dont_know_comments_and_feedback(pair: Pair) -> None:
    form = debrief_form_read(
        {
            "self:CA-CADRE": "4",
            "self:CA-CADRE:comment": " J'ai posé les règles ",
            "self:CA-PART": DONT_KNOW,
            f"partner:{pair.hugo.pk}:CA-BIN": "2",
            f"feedback:{pair.hugo.pk}": "Merci",
            "overall": "Séance vivante",
            "launch": "ignored",
        },
        brief=pair.brief,
        author_pk=pair.lea.pk,
    )

    assert form.entries == [
        GridInput("self", "CA-CADRE", pair.lea.pk, 4, "J'ai posé les règles"),
        GridInput("self", "CA-PART", pair.lea.pk, None),
        GridInput("partner", "CA-BIN", pair.hugo.pk, 2),
    ]
    assert form.feedback == {pair.hugo.pk: "Merci"} and form.overall == "Séance vivante"
    with pytest.raises(ValidationFailed):
        debrief_form_read({"self:CA-CADRE": "beaucoup"}, brief=pair.brief, author_pk=pair.lea.pk)


def test_the_debrief_opens_once_the_session_has_started(pair: Pair) -> None:
    LiveSession.objects.filter(pk=pair.session.pk).update(
        status=LiveSession.Status.PLANNED, started_at=None, ended_at=None
    )
    pair.session.refresh_from_db()

    with pytest.raises(ValidationFailed, match="séance a commencé"):
        save(pair, pair.lea, answers(pair, pair.lea, pair.hugo))
    assert not debrief_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False).started
    assert not GridEntry.objects.exists()


def test_only_a_co_animator_of_the_team_saves_a_debrief(pair: Pair) -> None:
    with pytest.raises(PermissionDenied):
        save(pair, pair.ines, answers(pair, pair.ines, pair.hugo))
    assert not GridEntry.objects.exists()


def test_an_absent_co_animator_fills_no_grid_and_is_nobody_s_subject(pair: Pair) -> None:
    TeamMember.objects.filter(lti_user=pair.hugo).update(absent=True)

    save(pair, pair.lea, [GridInput("self", c, pair.lea.pk, 3) for c in SELF_FALLBACK])
    with pytest.raises(ValidationFailed, match="absent"):
        save(pair, pair.hugo, answers(pair, pair.hugo, pair.lea))

    page = debrief_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False)
    assert page.mine is not None and page.mine.complete and page.mine.partner_grids == []


# --- who reads what -------------------------------------------------------------------------


def test_a_co_animator_reads_what_partners_wrote_once_their_own_debrief_is_complete(
    pair: Pair,
) -> None:
    save(pair, pair.hugo, answers(pair, pair.hugo, pair.lea, 4), feedback={pair.lea.pk: "Bravo"})

    before = debrief_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False)
    assert before.received is None

    save(pair, pair.lea, answers(pair, pair.lea, pair.hugo, 2))
    after = debrief_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False)

    assert after.received is not None and len(after.received) == 1
    received = after.received[0]
    assert received.author == pair.hugo and received.feedback == "Bravo"
    assert [(r.criterion.code, r.level) for r in received.rows] == [("CA-BIN", 4)]
    # Hugo's self-grid is his and the trainer's: nothing on Léa's page carries it.
    assert after.everyone == []


def test_in_a_trio_each_reads_only_what_the_others_wrote_about_them(pair: Pair) -> None:
    TeamMember.objects.create(team=pair.team, placement=pair.placement, lti_user=pair.lucas)
    trio = (pair.lea, pair.hugo, pair.lucas)
    for level, author in enumerate(trio, start=1):
        entries = [GridInput("self", c.code, author.pk, level) for c in self_criteria(pair.brief)]
        entries += [GridInput("partner", "CA-BIN", p.pk, level) for p in trio if p != author]
        feedback = {p.pk: f"De {author.given_name} à {p.given_name}" for p in trio if p != author}
        save(pair, author, entries, feedback=feedback)

    page = debrief_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False)

    assert page.received is not None  # in the team's order: by family name
    assert [(g.author, g.partner, g.rows[0].level, g.feedback) for g in page.received] == [
        (pair.lucas, pair.lea, 3, "De Lucas à Léa"),
        (pair.hugo, pair.lea, 2, "De Hugo à Léa"),
    ]


def test_the_trainer_reads_every_co_animator_s_debrief(pair: Pair) -> None:
    save(pair, pair.hugo, answers(pair, pair.hugo, pair.lea, 1), overall="Difficile")

    page = debrief_page_of(pair.session, pair.brief, viewer=pair.trainer, is_trainer=True)

    hugo = next(d for d in page.everyone if d.member.lti_user == pair.hugo)
    lea = next(d for d in page.everyone if d.member.lti_user == pair.lea)
    assert hugo.complete and not lea.complete
    assert {r.level for r in hugo.self_rows} == {1} and hugo.overall == "Difficile"
    assert page.mine is None


# --- observers' synthesis -----------------------------------------------------------------


def observe(
    p: Pair, observer: LtiUser, code: str, subject: LtiUser | None, level: int | None
) -> None:
    GridEntry.objects.create(
        session=p.session,
        author=observer,
        subject=subject,
        source=GridEntry.Source.OBSERVER,
        criterion_code=code,
        level=level,
        comment=f"commentaire {code}",
    )


def note(p: Pair, observer: LtiUser, minute: int, text: str, **about: Any) -> None:
    assert p.session.started_at is not None
    ObserverNote.objects.create(
        session=p.session,
        author=observer,
        client_id=uuid4(),
        text=text,
        noted_at=p.session.started_at + timedelta(minutes=minute, seconds=30),
        **about,
    )


def test_the_synthesis_gives_median_spread_count_and_minutes_per_criterion(pair: Pair) -> None:
    observe(pair, pair.ines, "CA-CADRE", pair.lea, 2)
    observe(pair, pair.lucas, "CA-CADRE", pair.lea, 4)
    observe(pair, pair.chloe, "CA-CADRE", pair.lea, None)  # "cannot say": not counted
    observe(pair, pair.ines, "CA-EVAL", None, 3)
    note(pair, pair.ines, 12, "Rappelle l'horaire", criterion_code="CA-CADRE", subject=pair.lea)
    note(pair, pair.lucas, 31, "Les téléphones sonnent")
    note(
        pair, pair.ines, 20, "Chiffre des charges juste", criterion_code="CA-TECH", subject=pair.lea
    )
    note(pair, pair.ines, 25, "Règles rappelées", criterion_code="CA-CADRE")  # about nobody

    blocks = observers_synthesis(pair.session, pair.brief)

    lea = next(b for b in blocks if b.member and b.member.lti_user == pair.lea)
    cadre = next(r for r in lea.rows if r.criterion.code == "CA-CADRE")
    assert (cadre.median, cadre.spread, cadre.observers) == (3, (2, 4), 2)
    assert [(n.minute, n.text) for n in cadre.notes] == [(12, "Rappelle l'horaire")]
    team = blocks[-1]
    assert team.member is None
    assert [(r.criterion.code, r.median) for r in team.rows] == [("CA-EVAL", 3)]
    # Notes that fit no row are still shown: under their co-animator, or the team.
    assert [(n.minute, n.text) for n in lea.other_notes] == [(20, "Chiffre des charges juste")]
    assert [(n.minute, n.text) for n in team.other_notes] == [
        (25, "Règles rappelées"),
        (31, "Les téléphones sonnent"),
    ]
    hugo = next(b for b in blocks if b.member and b.member.lti_user == pair.hugo)
    assert all(r.observers == 0 and r.median is None for r in hugo.rows)


def test_the_synthesis_names_no_observer(pair: Pair) -> None:
    observe(pair, pair.ines, "CA-PART", pair.hugo, 1)
    note(pair, pair.lucas, 3, "Tour de table", criterion_code="CA-PART", subject=pair.hugo)

    people: list[Any] = []

    def walk(value: Any) -> None:
        if isinstance(value, LtiUser):
            people.append(value)
        elif isinstance(value, TeamMember):
            people.append(value.lti_user)
        elif dataclasses.is_dataclass(value):
            for item in dataclasses.fields(value):
                walk(getattr(value, item.name))
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)

    walk(observers_synthesis(pair.session, pair.brief))

    assert people and set(people) <= {pair.lea, pair.hugo}


# --- written follow-up ----------------------------------------------------------------------


def write(p: Pair, author: LtiUser, revision: int, *, submit: bool = False, **texts: str) -> int:
    row = report_save(
        session=p.session,
        author=author,
        report=texts.get("report", "Séance de deux heures avec huit ménages."),
        reflection=texts.get("reflection", "J'ai trop parlé au début."),
        revision=revision,
        submit=submit,
    )
    return row.revision


def test_each_draft_save_gets_the_next_revision(pair: Pair) -> None:
    assert write(pair, pair.lea, 0) == 1
    assert write(pair, pair.lea, 1, report="Version deux") == 2

    row = SessionReport.objects.get(session=pair.session, author=pair.lea)
    assert (row.revision, row.report, row.submitted_at) == (2, "Version deux", None)


def test_a_save_from_a_stale_page_is_a_conflict_and_overwrites_nothing(pair: Pair) -> None:
    write(pair, pair.lea, 0, report="Onglet A")

    with pytest.raises(Conflict) as conflict:
        write(pair, pair.lea, 0, report="Onglet B")

    assert conflict.value.status_code == 409 and conflict.value.extra == {"revision": 1}
    row = SessionReport.objects.get(session=pair.session, author=pair.lea)
    assert (row.revision, row.report) == (1, "Onglet A")


def test_two_tabs_saving_the_same_revision_at_once_get_one_save_and_one_conflict(
    pair: Pair,
) -> None:
    write(pair, pair.lea, 0)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def save_in_thread(tab: str) -> None:
        try:
            barrier.wait(timeout=10)
            write(pair, pair.lea, 1, report=f"Texte de l'onglet {tab}")
            outcomes[tab] = "saved"
        except Conflict:
            outcomes[tab] = "conflict"
        finally:
            connection.close()

    threads = [threading.Thread(target=save_in_thread, args=(tab,)) for tab in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["conflict", "saved"]
    winner = next(tab for tab, outcome in outcomes.items() if outcome == "saved")
    row = SessionReport.objects.get(author=pair.lea)
    assert (row.revision, row.report) == (2, f"Texte de l'onglet {winner}")


def test_a_draft_may_run_past_the_word_limit_but_a_submission_may_not(pair: Pair) -> None:
    too_long = "mot " * (REPORT_WORDS_MAX + 1)
    write(pair, pair.lea, 0, reflection=too_long)

    with pytest.raises(ValidationFailed) as refused:
        write(pair, pair.lea, 1, reflection=too_long, submit=True)

    assert set(refused.value.extra["fields"]) == {"reflection"}
    assert f"{REPORT_WORDS_MAX + 1} mots" in refused.value.message
    row = SessionReport.objects.get(session=pair.session, author=pair.lea)
    assert row.submitted_at is None and row.revision == 1
    write(pair, pair.lea, 1, reflection="mot " * REPORT_WORDS_MAX, submit=True)
    assert SessionReport.objects.get(pk=row.pk).submitted_at is not None


def test_an_empty_text_cannot_be_submitted(pair: Pair) -> None:
    with pytest.raises(ValidationFailed) as refused:
        write(pair, pair.lea, 0, report="  ", submit=True)

    assert set(refused.value.extra["fields"]) == {"report"}
    assert not SessionReport.objects.filter(revision__gt=0).exists()


def test_only_a_co_animator_of_the_team_writes_a_follow_up(pair: Pair) -> None:
    with pytest.raises(PermissionDenied):
        write(pair, pair.chloe, 0)
    assert not SessionReport.objects.exists()


def test_a_flagged_report_is_revised_and_resubmitted_which_lifts_the_flag(pair: Pair) -> None:
    write(pair, pair.lea, 0, report="M. Dupont, locataire réel", submit=True)
    with pytest.raises(ValidationFailed, match="rendu"):
        write(pair, pair.lea, 1, report="Correction")

    report_flag(session=pair.session, author_pk=pair.lea.pk, by=pair.trainer, reason="Un vrai nom")
    flagged = reports_of(pair.session)[0]
    assert flagged.flag is not None and flagged.flag.reason == "Un vrai nom" and flagged.editable
    assert flagged.flag.by == pair.trainer

    write(pair, pair.lea, 1, report="M. D., locataire", submit=True)

    item = reports_of(pair.session)[0]
    assert item.flag is None and not item.editable and item.report == "M. D., locataire"
    assert item.previous_flag is not None and item.previous_flag.by == pair.trainer
    assert item.previous_flag.reason == "Un vrai nom"


def test_the_trainer_lifts_a_flag_and_a_flag_needs_a_reason_and_a_text(pair: Pair) -> None:
    with pytest.raises(NotFound):
        report_flag(session=pair.session, author_pk=pair.lea.pk, by=pair.trainer, reason="Nom")
    write(pair, pair.lea, 0, submit=True)
    with pytest.raises(ValidationFailed):
        report_flag(session=pair.session, author_pk=pair.lea.pk, by=pair.trainer, reason=" ")

    report_flag(session=pair.session, author_pk=pair.lea.pk, by=pair.trainer, reason="Nom")
    report_unflag(session=pair.session, author_pk=pair.lea.pk)

    row = SessionReport.objects.get(author=pair.lea)
    assert row.flagged_at is None and row.flagged_by == pair.trainer and row.flag_reason == "Nom"
    assert not reports_of(pair.session)[0].editable


def test_reports_of_gives_every_co_animator_in_the_team_s_order(pair: Pair) -> None:
    write(pair, pair.hugo, 0, submit=True)

    items = reports_of(pair.session)

    assert [i.author for i in items] == [pair.lea, pair.hugo]
    assert not items[0].started and items[0].report == ""
    assert items[1].submitted and items[1].reflection == "J'ai trop parlé au début."


def test_a_teammate_reads_a_submitted_session_report_never_the_reflection(pair: Pair) -> None:
    write(pair, pair.hugo, 0, reflection="Mes doutes", submit=True)
    write(pair, pair.lea, 0)  # a draft: not shown to Hugo

    lea_page = report_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False)
    hugo_page = report_page_of(pair.session, pair.brief, viewer=pair.hugo, is_trainer=False)
    trainer_page = report_page_of(pair.session, pair.brief, viewer=pair.trainer, is_trainer=True)

    assert [(i.author, i.reflection) for i in lea_page.team] == [(pair.hugo, "")]
    assert lea_page.team[0].report and lea_page.everyone == []
    assert hugo_page.team == []
    assert hugo_page.mine is not None and hugo_page.mine.item.reflection == "Mes doutes"
    assert [r.item.reflection for r in trainer_page.everyone] == [
        "J'ai trop parlé au début.",
        "Mes doutes",
    ]


def test_warnings_point_at_classmates_but_not_at_the_team_or_the_brief_s_characters(
    pair: Pair,
) -> None:
    write(pair, pair.lea, 0, report="Avec Hugo, nous avons accueilli Mme Kaci et Lucas, M. Rey.")

    page = report_page_of(pair.session, pair.brief, viewer=pair.lea, is_trainer=False)

    assert page.mine is not None
    assert [(w.kind, w.excerpt) for w in page.mine.report_warnings] == [
        ("roster", "Lucas"),
        ("civility", "M. Rey"),
    ]
