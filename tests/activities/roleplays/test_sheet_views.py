"""The preparation sheet's pages over HTTP with real launches (issue 8): the plain form
(post/redirect/get, conflicts shown with both versions), the JSON saves of sheet.js, the
history, the trainer's comments, the deadline, and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lti_tool.activities.roleplays.access import setup_of
from lti_tool.activities.roleplays.models import SheetComment, SheetRevision
from lti_tool.activities.roleplays.sheet import sheet_save, sheet_view
from lti_tool.lti.csrf import launch_csrf_token
from tests.activities.roleplays.fixtures import launch_roleplay, roleplay  # noqa: F401
from tests.activities.roleplays.sheet_fixtures import Pair, pair_fixture, team_formed  # noqa: F401
from tests.grading.factories import Launched, launch, other_course
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


def url(pair: Pair, name: str, *extra: int) -> str:
    return reverse(f"roleplays:{name}", args=[pair.lea.resource_link.pk, pair.team.pk, *extra])


def post_json(who: Launched, path: str, data: dict[str, Any]) -> requests.Response:
    """What sheet.js sends: the form, with the launch id and CSRF token in headers."""
    return who.session.post(
        who.url(path),
        data=data,
        headers={
            "Accept": "application/json",
            "X-Atelier-Launch": who.launch_id,
            "X-Launch-CSRF": launch_csrf_token(who.launch_id),
        },
        allow_redirects=False,
        timeout=10,
    )


def form(base: int, **texts: str) -> dict[str, Any]:
    return {"base_revision": str(base), **{f"s-{key}": value for key, value in texts.items()}}


def test_a_member_fills_the_sheet_with_the_plain_form(pair: Pair) -> None:
    page = pair.lea.get(url(pair, "sheet"))
    assert page.status_code == 200
    assert "Déroulé minuté" in page.text and 'name="base_revision" value="0"' in page.text
    tokens = pair.lea.form_tokens(url(pair, "sheet"), "sheet-form")

    saved = pair.lea.post(
        url(pair, "sheet_save"),
        {
            **form(0, objectives="Rendre les nouveaux locataires autonomes"),
            "plan-id": ["r1"],
            "plan-r1-duration": "15",
            "plan-r1-title": "Accueil et tour de prénoms",
            "plan-r1-lead": str(pair.lea.lti_user.pk),
            "plan-r1-support": str(pair.hugo.lti_user.pk),
        },
        tokens=tokens,
    )

    assert saved.status_code == 303
    assert "enregistre=1" in saved.headers["Location"] and "launch=" in saved.headers["Location"]
    after = pair.lea.session.get(pair.lea.url(saved.headers["Location"]), timeout=10)
    assert "Fiche enregistrée (version 1)" in after.text
    assert "Rendre les nouveaux locataires autonomes" in after.text
    # Hugo leads no sequence yet: a warning, not a refusal.
    assert "<span data-leads-missing>Hugo Petit</span>" in after.text
    revision = SheetRevision.objects.get(sheet__team=pair.team)
    assert revision.author_id == pair.lea.lti_user.pk
    assert set(revision.changed) == {"objectives", "plan"}


def test_autosave_answers_json_with_the_time_and_the_others_merged_changes(pair: Pair) -> None:
    first = post_json(pair.hugo, url(pair, "sheet_save"), form(0, risks="Personne ne parle"))
    assert first.status_code == 200 and first.json()["revision"] == 1

    second = post_json(pair.lea, url(pair, "sheet_save"), form(0, rules="Confidentialité"))

    body = second.json()
    assert second.status_code == 200
    assert body["revision"] == 2 and body["message"].startswith("Enregistré à ")
    assert body["fields"]["risks"] == "Personne ne parle"
    assert body["updated"] == {"risks": ["Hugo Petit"]}


def test_autosave_of_a_section_changed_meanwhile_is_a_409_with_both_versions(pair: Pair) -> None:
    post_json(pair.hugo, url(pair, "sheet_save"), form(0, signals="Main levée = je reprends"))

    refused = post_json(pair.lea, url(pair, "sheet_save"), form(0, signals="Un regard suffit"))

    assert refused.status_code == 409
    body = refused.json()
    assert "Signaux convenus" in body["message"] and "Hugo Petit" in body["message"]
    assert body["extra"]["revision"] == 1
    assert body["extra"]["conflicts"] == [
        {
            "section": "signals",
            "label": "Signaux convenus et gestion des désaccords",
            "theirs": "Main levée = je reprends",
            "authors": ["Hugo Petit"],
        }
    ]
    assert sheet_view(pair.team).fields["signals"] == "Main levée = je reprends"


def test_plain_form_conflict_shows_both_versions_and_the_student_keeps_theirs(
    pair: Pair,
) -> None:
    sheet_save(
        team=pair.team,
        author=pair.hugo.lti_user,
        base_revision=0,
        fields={"signals": "Main levée = je reprends"},
    )
    tokens = pair.lea.form_tokens(url(pair, "sheet"), "sheet-form")
    data = form(0, signals="Un regard suffit", public="8 ménages")

    conflict = pair.lea.post(url(pair, "sheet_save"), data, tokens=tokens)

    assert conflict.status_code == 409
    assert "Main levée = je reprends" in conflict.text  # the other version, beside
    assert "Un regard suffit" in conflict.text  # mine, in the field
    assert 'name="base_revision" value="1"' in conflict.text
    assert 'name="choice-signals"' in conflict.text
    assert SheetRevision.objects.filter(sheet__team=pair.team).count() == 1

    resolved = pair.lea.post(
        url(pair, "sheet_save"),
        {
            **form(1, signals="Un regard suffit", public="8 ménages"),
            "conflict": "signals",
            "choice-signals": "mine",
        },
        tokens=tokens,
    )

    assert resolved.status_code == 303
    fields = sheet_view(pair.team).fields
    assert fields["signals"] == "Un regard suffit" and fields["public"] == "8 ménages"


def test_plain_form_conflict_without_a_choice_keeps_the_other_version(pair: Pair) -> None:
    sheet_save(team=pair.team, author=pair.hugo.lti_user, base_revision=0, fields={"rules": "A"})
    tokens = pair.lea.form_tokens(url(pair, "sheet"), "sheet-form")

    pair.lea.post(
        url(pair, "sheet_save"),
        {**form(1, rules="B", risks="R"), "conflict": "rules", "choice-rules": "theirs"},
        tokens=tokens,
    )

    fields = sheet_view(pair.team).fields
    assert fields["rules"] == "A" and fields["risks"] == "R"


def test_history_lists_revisions_and_shows_an_old_one(pair: Pair) -> None:
    sheet_save(team=pair.team, author=pair.lea.lti_user, base_revision=0, fields={"rules": "v1"})
    sheet_save(team=pair.team, author=pair.hugo.lti_user, base_revision=1, fields={"rules": "v2"})

    history = pair.hugo.get(url(pair, "sheet_history"))
    old = pair.hugo.get(url(pair, "sheet_revision", 1))

    assert history.status_code == 200
    assert history.text.index("Hugo Petit") < history.text.index("Léa Bernard")
    assert "Règles de groupe proposées" in history.text
    assert old.status_code == 200 and "v1" in old.text and "v2" not in old.text
    assert pair.hugo.get(url(pair, "sheet_revision", 9)).status_code == 404


def test_the_trainer_reads_and_comments_and_the_team_sees_the_comments(
    roleplay: Any,  # noqa: F811
    pair: Pair,
) -> None:
    trainer = launch_roleplay(roleplay, "claire.martin")
    page = trainer.get(url(pair, "sheet"))
    assert page.status_code == 200
    assert 'id="sheet-form"' not in page.text and 'data-testid="comment-form"' in page.text
    tokens = trainer.form_tokens(url(pair, "sheet"), None)

    answer = trainer.post(
        url(pair, "sheet_comment"),
        {"section": "risks", "text": "Et si la salle est vide ?"},
        tokens=tokens,
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("#section-risks")
    refused = trainer.post(url(pair, "sheet_save"), form(0, risks="Je corrige"), tokens=tokens)
    assert refused.status_code == 403

    team_page = pair.hugo.get(url(pair, "sheet"))
    assert "Et si la salle est vide ?" in team_page.text and "Claire Martin" in team_page.text
    student_comment = pair.hugo.post(
        url(pair, "sheet_comment"),
        {"section": "", "text": "Je me commente"},
        tokens=pair.hugo.form_tokens(url(pair, "sheet"), "sheet-form"),
    )
    assert student_comment.status_code == 403
    assert SheetComment.objects.count() == 1


def test_after_the_deadline_the_page_is_read_only_and_a_save_is_refused(pair: Pair) -> None:
    tokens = pair.lea.form_tokens(url(pair, "sheet"), "sheet-form")
    setup = setup_of(pair.team.placement)
    setup.preparation_due_at = timezone.now() - timedelta(hours=1)
    setup.save()

    page = pair.lea.get(url(pair, "sheet"))
    late = post_json(pair.lea, url(pair, "sheet_save"), form(0, rules="Trop tard"))
    late_form = pair.lea.post(url(pair, "sheet_save"), form(0, rules="Trop tard"), tokens=tokens)

    assert 'data-testid="sheet-locked"' in page.text and 'id="sheet-form"' not in page.text
    assert late.status_code == 409 and "lecture seule" in late.json()["message"]
    assert late_form.status_code == 409 and "lecture seule" in late_form.text
    assert not SheetRevision.objects.filter(sheet__team=pair.team).exists()


def test_a_student_of_another_team_is_refused(roleplay: Any, pair: Pair) -> None:  # noqa: F811
    ines = launch_roleplay(roleplay, "ines.moreau")
    team_formed(ines, [ines, launch_roleplay(roleplay, "lucas.fontaine")], number=2)

    assert ines.get(url(pair, "sheet")).status_code == 403
    assert ines.get(url(pair, "sheet_history")).status_code == 403
    assert post_json(ines, url(pair, "sheet_save"), form(0, rules="Intrus")).status_code == 403
    assert not SheetRevision.objects.exists()


def test_a_trainer_of_another_course_and_a_request_without_launch_are_refused(
    roleplay: Any,  # noqa: F811
    pair: Pair,
) -> None:
    stranger = launch(roleplay, "paul.garnier", link=other_course(roleplay))

    assert stranger.get(url(pair, "sheet")).status_code == 403
    assert pair.lea.get(url(pair, "sheet"), with_launch=False).status_code == 401
    anonymous = requests.post(
        pair.lea.url(url(pair, "sheet_save")), data=form(0, rules="x"), timeout=10
    )
    assert anonymous.status_code in (401, 403)
    assert not SheetRevision.objects.exists()


def test_the_read_only_partial_shows_sections_plan_and_comments(pair: Pair) -> None:
    sheet_save(
        team=pair.team,
        author=pair.lea.lti_user,
        base_revision=0,
        fields={
            "objectives": "Informer",
            "plan": [
                {
                    "id": "a",
                    "duration": 20,
                    "title": "Accueil",
                    "lead": pair.hugo.lti_user.pk,
                    "support": [],
                    "technique": "Photolangage",
                },
                {
                    "id": "b",
                    "duration": 30,
                    "title": "Débat",
                    "lead": pair.lea.lti_user.pk,
                    "support": [pair.hugo.lti_user.pk],
                    "technique": "",
                },
            ],
        },
    )

    html = render_to_string("roleplays/_sheet_readonly.html", {"sheet_view": sheet_view(pair.team)})

    assert "Objectif général et objectifs opérationnels" in html and "Informer" in html
    assert "Photolangage" in html and "20 min" in html  # the second sequence starts at 20
    assert "Durée totale : 50 min" in html
    assert "N'anime encore aucune séquence" not in html
    assert "Léa Bernard" in html


def test_plain_form_conflict_on_the_same_plan_row_shows_both_plans(pair: Pair) -> None:
    lea_pk, hugo_pk = str(pair.lea.lti_user.pk), str(pair.hugo.lti_user.pk)
    plan = {"plan-id": ["r1"], "plan-r1-title": "Accueil", "plan-r1-duration": "10"}
    sheet_save(
        team=pair.team,
        author=pair.hugo.lti_user,
        base_revision=0,
        fields={
            "plan": [
                {
                    "id": "r1",
                    "duration": 10,
                    "title": "Accueil",
                    "lead": None,
                    "support": [],
                    "technique": "",
                }
            ]
        },
    )
    tokens = pair.lea.form_tokens(url(pair, "sheet"), "sheet-form")
    sheet_save(
        team=pair.team,
        author=pair.hugo.lti_user,
        base_revision=1,
        fields={
            "plan": [
                {
                    "id": "r1",
                    "duration": 10,
                    "title": "Accueil",
                    "lead": int(hugo_pk),
                    "support": [],
                    "technique": "",
                }
            ]
        },
    )

    conflict = pair.lea.post(
        url(pair, "sheet_save"), {**form(1), **plan, "plan-r1-lead": lea_pk}, tokens=tokens
    )

    assert conflict.status_code == 409
    assert 'data-testid="conflict-plan"' in conflict.text
    assert "« Déroulé minuté » a été modifiée par Hugo Petit" in conflict.text
    assert conflict.text.count('data-testid="plan-table"') == 2  # theirs and mine, side by side
    assert sheet_view(pair.team).plan_rows[0].lead == "Hugo Petit"
