"""The preparation sheet (issue 8, "Preparation"): the pure three-way merge, saves with
revisions and authors, two members saving at once (real threads on PostgreSQL), the
deadline lock and the trainer's comments."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from lti_tool.activities.roleplays.access import setup_of
from lti_tool.activities.roleplays.models import SheetRevision, Team
from lti_tool.activities.roleplays.sheet import (
    PLAN,
    SECTION_KEYS,
    SheetConflict,
    SheetLocked,
    fields_from_form,
    leads_missing,
    plan_merge,
    sheet_comment_add,
    sheet_merge,
    sheet_revisions,
    sheet_save,
    sheet_view,
)
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.lti.models import LtiUser
from tests.activities.roleplays.fixtures import launch_roleplay, roleplay  # noqa: F401
from tests.activities.roleplays.sheet_fixtures import Pair, pair_fixture  # noqa: F401
from tests.grading.frameworks_fixtures import decesf  # noqa: F401


def row(row_id: str, title: str, *, lead: int | None = None, duration: int = 10) -> dict[str, Any]:
    return {
        "id": row_id,
        "duration": duration,
        "title": title,
        "lead": lead,
        "support": [],
        "technique": "",
    }


# --- the pure merge --------------------------------------------------------------------


def test_sections_changed_by_different_members_are_both_kept() -> None:
    base = {"objectives": "Informer", "risks": ""}
    mine = {"objectives": "Informer les locataires", "risks": ""}
    theirs = {"objectives": "Informer", "risks": "Retard : on raccourcit le tour de table"}

    merge = sheet_merge(base=base, mine=mine, theirs=theirs)

    assert merge.conflicts == ()
    assert merge.fields["objectives"] == "Informer les locataires"
    assert merge.fields["risks"] == "Retard : on raccourcit le tour de table"
    assert merge.mine == {"objectives"} and merge.theirs == {"risks"}


def test_the_same_section_changed_by_both_is_a_conflict_that_keeps_the_saved_text() -> None:
    merge = sheet_merge(
        base={"rules": "Confidentialité"},
        mine={"rules": "Confidentialité, écoute"},
        theirs={"rules": "Confidentialité, téléphones éteints"},
    )

    assert merge.conflicts == ("rules",)
    assert merge.fields["rules"] == "Confidentialité, téléphones éteints"


def test_the_same_change_on_both_sides_is_no_conflict() -> None:
    merge = sheet_merge(base={}, mine={"public": "8 ménages"}, theirs={"public": "8 ménages"})

    assert merge.conflicts == ()
    assert merge.fields["public"] == "8 ménages"


def test_every_section_is_present_after_a_merge_of_partial_snapshots() -> None:
    merge = sheet_merge(base={}, mine={}, theirs={})

    assert tuple(merge.fields) == SECTION_KEYS
    assert merge.fields[PLAN] == [] and merge.fields["objectives"] == ""


def test_plan_rows_added_by_each_member_are_both_kept_in_place() -> None:
    base = [row("a", "Accueil"), row("c", "Conclusion")]
    mine = [row("a", "Accueil"), row("m", "Photolangage"), row("c", "Conclusion")]
    theirs = [row("a", "Accueil"), row("c", "Conclusion"), row("t", "Évaluation")]

    merged = plan_merge(base, mine, theirs)

    assert merged is not None
    assert [r["id"] for r in merged] == ["a", "m", "c", "t"]


def test_different_rows_of_the_plan_edited_by_each_member_merge_cleanly() -> None:
    base = {PLAN: [row("a", "Accueil"), row("b", "Tour de table")]}
    mine = {PLAN: [row("a", "Accueil", lead=1), row("b", "Tour de table")]}
    theirs = {PLAN: [row("a", "Accueil"), row("b", "Tour de table", lead=2, duration=20)]}

    merge = sheet_merge(base=base, mine=mine, theirs=theirs)

    assert merge.conflicts == ()
    assert merge.fields[PLAN] == [
        row("a", "Accueil", lead=1),
        row("b", "Tour de table", lead=2, duration=20),
    ]


def test_the_same_plan_row_edited_by_both_is_a_conflict() -> None:
    base = {PLAN: [row("a", "Accueil")]}
    merge = sheet_merge(
        base=base,
        mine={PLAN: [row("a", "Accueil", lead=1)]},
        theirs={PLAN: [row("a", "Accueil", lead=2)]},
    )

    assert merge.conflicts == (PLAN,)
    assert merge.fields[PLAN] == [row("a", "Accueil", lead=2)]


def test_a_plan_row_deleted_by_one_and_edited_by_the_other_is_a_conflict() -> None:
    base = [row("a", "Accueil"), row("b", "Débat")]

    assert (
        plan_merge(base, [row("a", "Accueil")], [row("a", "Accueil"), row("b", "Débat mouvant")])
        is None
    )


def test_a_plan_row_deleted_by_one_member_stays_deleted() -> None:
    base = [row("a", "Accueil"), row("b", "Débat")]
    theirs = [row("a", "Accueil", lead=2), row("b", "Débat")]

    assert plan_merge(base, [row("a", "Accueil")], theirs) == [row("a", "Accueil", lead=2)]


def test_plan_reordered_by_one_member_keeps_that_order_with_the_others_edits() -> None:
    base = [row("a", "A"), row("b", "B"), row("c", "C")]
    mine = [row("c", "C"), row("a", "A"), row("b", "B")]
    theirs = [row("a", "A"), row("b", "B bis"), row("c", "C")]

    merged = plan_merge(base, mine, theirs)

    assert merged == [row("c", "C"), row("a", "A"), row("b", "B bis")]


def test_plan_reordered_differently_by_both_members_is_a_conflict() -> None:
    base = [row("a", "A"), row("b", "B"), row("c", "C")]

    assert (
        plan_merge(
            base,
            [row("c", "C"), row("a", "A"), row("b", "B")],
            [row("b", "B"), row("a", "A"), row("c", "C")],
        )
        is None
    )


# --- reading a posted form --------------------------------------------------------------


def test_a_posted_form_gives_texts_and_plan_rows_with_members_only() -> None:
    data = {
        "s-objectives": ["Informer\r\nRassurer"],
        "plan-id": ["r1", "r2", "r3"],
        "plan-r1-title": ["Accueil"],
        "plan-r1-duration": ["15"],
        "plan-r1-lead": ["7"],
        "plan-r1-support": ["8", "7", "99"],
        "plan-r2-title": [""],  # a spare blank row
        "plan-r3-title": ["Jeu"],
        "plan-r3-delete": ["1"],
    }

    fields = fields_from_form(data, members=[7, 8])

    assert fields["objectives"] == "Informer\nRassurer"
    assert fields[PLAN] == [
        {"id": "r1", "duration": 15, "title": "Accueil", "lead": 7, "support": [8], "technique": ""}
    ]


def test_a_text_longer_than_its_section_allows_is_refused_with_the_section_named() -> None:
    with pytest.raises(ValidationFailed) as refused:
        fields_from_form({"s-rules": ["x" * 2001]}, members=[])

    assert "Règles de groupe proposées" in refused.value.message


def test_a_duration_that_is_not_a_number_of_minutes_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        fields_from_form({"plan-id": ["r1"], "plan-r1-duration": ["dix"]}, members=[])


def test_co_animators_leading_no_sequence_are_listed() -> None:
    plan = [row("a", "Accueil", lead=7), row("b", "Débat", lead=7)]

    assert leads_missing(plan, [7, 8]) == [8]
    assert leads_missing([], [7, 8]) == [7, 8]


# --- saves, revisions, concurrency (PostgreSQL, real launches) --------------------------


@pytest.fixture
def members(pair: Pair) -> tuple[Team, LtiUser, LtiUser]:
    return pair.team, pair.lea.lti_user, pair.hugo.lti_user


def _save_in_thread(
    barrier: threading.Barrier, results: dict[str, Any], name: str, **kwargs: Any
) -> None:
    try:
        barrier.wait(timeout=10)
        results[name] = sheet_save(**kwargs)
    except SheetConflict as conflict:
        results[name] = conflict
    finally:
        connection.close()


def _both_at_once(
    team: Team, *saves: tuple[str, LtiUser, dict[str, Any]], base: int = 0
) -> dict[str, Any]:
    barrier = threading.Barrier(len(saves))
    results: dict[str, Any] = {}
    threads = [
        threading.Thread(
            target=_save_in_thread,
            args=(barrier, results, name),
            kwargs={"team": team, "author": author, "base_revision": base, "fields": fields},
        )
        for name, author, fields in saves
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_two_members_saving_different_sections_at_once_lose_nothing(members: Any) -> None:
    team, lea, hugo = members

    results = _both_at_once(
        team,
        ("lea", lea, {"objectives": "Rendre les locataires autonomes"}),
        ("hugo", hugo, {"risks": "Si Mme Vautrin s'emporte : rendez-vous individuel"}),
    )

    assert not any(isinstance(r, Exception) for r in results.values()), results
    view = sheet_view(team)
    values = {s.key: s.value for s in view.sections}
    assert values["objectives"] == "Rendre les locataires autonomes"
    assert values["risks"] == "Si Mme Vautrin s'emporte : rendez-vous individuel"
    revisions = SheetRevision.objects.filter(sheet__team=team).order_by("number")
    assert [r.number for r in revisions] == [1, 2]
    assert {(r.author_id, tuple(r.changed)) for r in revisions} == {
        (lea.pk, ("objectives",)),
        (hugo.pk, ("risks",)),
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_two_members_saving_the_same_section_at_once_get_one_save_and_one_conflict(
    members: Any,
) -> None:
    team, lea, hugo = members

    results = _both_at_once(
        team,
        ("lea", lea, {"rules": "Confidentialité"}),
        ("hugo", hugo, {"rules": "Téléphones éteints"}),
    )

    conflicts = [r for r in results.values() if isinstance(r, SheetConflict)]
    assert len(conflicts) == 1
    saved_text = sheet_view(team).fields["rules"]
    loser = "hugo" if saved_text == "Confidentialité" else "lea"
    winner_name = "Léa Bernard" if loser == "hugo" else "Hugo Petit"
    conflict = results[loser]
    assert conflict.status_code == 409
    assert "Règles de groupe proposées" in conflict.message and winner_name in conflict.message
    assert conflict.extra["conflicts"][0]["theirs"] == saved_text
    assert SheetRevision.objects.filter(sheet__team=team).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_a_save_from_an_old_revision_merges_and_says_what_came_from_the_others(
    members: Any,
) -> None:
    team, lea, hugo = members
    sheet_save(team=team, author=lea, base_revision=0, fields={"objectives": "Informer"})

    saved = sheet_save(team=team, author=hugo, base_revision=0, fields={"public": "8 ménages"})

    assert saved.revision == 2 and saved.changed == ("public",)
    assert saved.fields["objectives"] == "Informer" and saved.fields["public"] == "8 ménages"
    assert saved.updated == {"objectives": ["Léa Bernard"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_a_save_that_changes_nothing_writes_no_revision(members: Any) -> None:
    team, lea, _hugo = members
    sheet_save(team=team, author=lea, base_revision=0, fields={"rules": "Écoute"})

    # A retry of a save whose answer was lost, from the revision it started from.
    again = sheet_save(team=team, author=lea, base_revision=0, fields={"rules": "Écoute"})

    assert again.revision == 1 and again.changed == ()
    assert SheetRevision.objects.filter(sheet__team=team).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_a_held_section_is_not_overwritten_while_its_conflict_is_open(members: Any) -> None:
    team, lea, hugo = members
    sheet_save(team=team, author=lea, base_revision=0, fields={"rules": "Confidentialité"})

    saved = sheet_save(
        team=team,
        author=hugo,
        base_revision=1,
        fields={"rules": "Mon texte en conflit", "risks": "Retard"},
        held=["rules"],
    )

    assert saved.fields["rules"] == "Confidentialité" and saved.fields["risks"] == "Retard"
    assert saved.changed == ("risks",)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_history_lists_every_revision_with_its_author_and_sections(members: Any) -> None:
    team, lea, hugo = members
    sheet_save(team=team, author=lea, base_revision=0, fields={"objectives": "Informer"})
    sheet_save(
        team=team,
        author=hugo,
        base_revision=1,
        fields={"objectives": "Informer", PLAN: [row("a", "Accueil", lead=hugo.pk)]},
    )

    history = sheet_revisions(team)

    assert [(r.number, r.author, r.changed) for r in history] == [
        (2, "Hugo Petit", ("Déroulé minuté",)),
        (1, "Léa Bernard", ("Objectif général et objectifs opérationnels",)),
    ]
    first = sheet_view(team, revision=1)
    assert first.fields["objectives"] == "Informer" and first.plan_rows == ()
    assert first.last_author == "Léa Bernard"
    now = sheet_view(team)
    assert now.revision == 2 and now.plan_rows[0].lead == "Hugo Petit"
    assert now.leads_missing == ("Léa Bernard",)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_after_the_deadline_the_sheet_is_read_only_and_a_save_is_refused(members: Any) -> None:
    team, lea, _hugo = members
    sheet_save(team=team, author=lea, base_revision=0, fields={"objectives": "Informer"})
    setup = setup_of(team.placement)
    setup.preparation_due_at = timezone.now() - timedelta(minutes=1)
    setup.save()

    with pytest.raises(SheetLocked) as refused:
        sheet_save(team=team, author=lea, base_revision=1, fields={"objectives": "Trop tard"})

    assert refused.value.status_code == 409
    assert "lecture seule" in refused.value.message
    assert sheet_view(team).locked
    assert sheet_view(team).fields["objectives"] == "Informer"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_trainer_comments_appear_on_their_section_and_on_the_whole_sheet(
    roleplay: Any,  # noqa: F811
    members: Any,
) -> None:
    team, _lea, _hugo = members
    trainer = launch_roleplay(roleplay, "claire.martin").lti_user
    sheet_comment_add(team=team, author=trainer, section="risks", text="Et si personne ne vient ?")
    sheet_comment_add(team=team, author=trainer, section="", text="Bon début.")

    view = sheet_view(team)

    risks = next(s for s in view.sections if s.key == "risks")
    assert [(c.author, c.text) for c in risks.comments] == [
        ("Claire Martin", "Et si personne ne vient ?")
    ]
    assert [c.text for c in view.general_comments] == ["Bon début."]
    with pytest.raises(ValidationFailed):
        sheet_comment_add(team=team, author=trainer, section="nope", text="?")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("decesf")
def test_two_members_editing_different_plan_rows_at_once_keep_both_rows(members: Any) -> None:
    team, lea, hugo = members
    start = [row("a", "Accueil"), row("b", "Débat")]
    sheet_save(team=team, author=lea, base_revision=0, fields={PLAN: start})

    results = _both_at_once(
        team,
        ("lea", lea, {PLAN: [row("a", "Accueil", lead=lea.pk), row("b", "Débat")]}),
        ("hugo", hugo, {PLAN: [row("a", "Accueil"), row("b", "Débat", lead=hugo.pk)]}),
        base=1,
    )

    assert not any(isinstance(r, Exception) for r in results.values()), results
    assert sheet_view(team).fields[PLAN] == [
        row("a", "Accueil", lead=lea.pk),
        row("b", "Débat", lead=hugo.pk),
    ]
    assert sheet_view(team).leads_missing == ()
