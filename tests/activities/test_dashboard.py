"""The trainer's course dashboard: roster with who has not started, students × domains of
final results with no cross-domain figure, counts of waiting work, per-domain charts, CSV
export, and who may see it. People come from real launches and the platform's roster
(NRPS over HTTP); results from the grading services."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from lti_tool.activities.dashboard import course_dashboard
from lti_tool.activities.player import attempt_start
from lti_tool.grading.models import Passback
from lti_tool.grading.passback import passback_deliver
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.ags.client import http_session_close
from lti_tool.lti.roster import roster_sync
from tests.activities.player_fixtures import EXPECTED, placed, play
from tests.grading.factories import Launched, assessment_graded, launch, other_course, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _page(context_pk: int) -> str:
    return reverse("dashboard:course", args=[context_pk])


def _csv(context_pk: int) -> str:
    return reverse("dashboard:course_csv", args=[context_pk])


def _refresh(context_pk: int) -> str:
    return reverse("dashboard:roster_refresh", args=[context_pk])


def _part(pattern: str, html: str) -> str:
    """The first group of ``pattern`` in the page (which must be there)."""
    match = re.search(pattern, html, re.S)
    assert match, f"{pattern!r} not in page:\n{html[:3000]}"
    return match.group(1)


def _matrix(html: str) -> str:
    match = re.search(r'<table class="matrix".*?</table>', html, re.S)
    assert match, html[:3000]
    return match.group(0)


def _row(html: str, student: Launched | int) -> str:
    pk = student if isinstance(student, int) else student.lti_user.pk
    match = re.search(rf'<tr data-student="{pk}">.*?</tr>', _matrix(html), re.S)
    assert match, f"no row for student {pk}"
    return match.group(0)


@pytest.fixture
def course(demo: Any) -> dict[str, Any]:
    """Léa: a scenario on two activities (final); Hugo: a role-play waiting for review;
    the others are on the platform's roster only."""
    trainer = launch(demo, "trainer")
    lea = launch(demo, "student")
    hugo = launch(demo, "hugo.petit")
    lea_second = launch(demo, "student", link=demo.link(1))
    assessment_graded(
        student=lea,
        levels={"DC2.A3.1": 3, "DC3.3.1": 4},
        kind=ActivityKind.SCENARIO,
        title="Scénario — Quartier",
    )
    assessment_graded(
        student=lea_second, levels={"DC2.A3.1": 1}, kind=ActivityKind.SCENARIO, title="Second"
    )
    _a, hugo_results = assessment_graded(student=hugo, levels={"DC2.A3.1": 2, "DC3.3.1": 2})
    roster_sync(context=trainer.context)
    return {"trainer": trainer, "lea": lea, "hugo": hugo, "hugo_results": hugo_results}


def test_students_who_never_launched_appear_as_not_started(
    demo: Any, course: dict[str, Any]
) -> None:
    trainer = course["trainer"]
    response = trainer.get(_page(trainer.context.pk))
    assert response.status_code == 200, response.text[:2000]
    html = text_of(response)

    assert "Inès Moreau" in _matrix(html)  # on the platform's roster, never launched
    ines_row = re.search(
        r'<tr data-student="\d+">\s*<th scope="row">Inès Moreau</th>.*?</tr>', html, re.S
    )
    assert ines_row and "pas commencé" in ines_row.group(0)
    assert "pas commencé" not in _row(html, course["lea"])
    assert "commencé" in _row(html, course["lea"])
    # Ines, Lucas, Chloé: three of the five students have not started.
    assert "3 étudiant·es n'ont pas encore commencé" in html


def test_each_domain_has_its_own_columns_and_no_cross_domain_figure(
    course: dict[str, Any],
) -> None:
    trainer = course["trainer"]
    html = text_of(trainer.get(_page(trainer.context.pk)))
    matrix = _matrix(html)

    assert re.findall(r'scope="colgroup" colspan="(\d)" data-domain="(DC\d)"', matrix) == [
        ("2", "DC2"),
        ("1", "DC3"),
    ]
    lea = _row(html, course["lea"])
    scores = re.findall(
        r'data-domain="(DC\d)" data-state="final">\s*<span class="reading-\w+">([\d,]+)<', lea
    )
    assert sorted(scores) == [("DC2", "15"), ("DC2", "5"), ("DC3", "20")]
    # No total, no average: not as a header, not as a number (15+5+20 = 40, mean 13,33).
    for word in ("total", "moyenne", "average", "global"):
        assert word not in matrix.lower()
    for figure in ("40", "13,33", "13.33", "17,5", "17.5", "10,0"):
        assert f">{figure}<" not in lea
    hugo = _row(html, course["hugo"])
    assert hugo.count('data-state="to_review"') == 2 and "à valider" in hugo


def test_waiting_results_and_failed_sends_are_counted_with_links(course: dict[str, Any]) -> None:
    trainer = course["trainer"]
    passback = Passback.objects.filter(result__assessment__lti_user=course["lea"].lti_user).first()
    assert passback is not None
    Passback.objects.filter(pk=passback.pk).update(status=Passback.Status.FAILED)

    html = text_of(trainer.get(_page(trainer.context.pk)))

    to_review = _part(r'data-testid="to-review-count">(.*?)</p>', html)
    assert "<strong>2</strong>" in to_review
    assert reverse("grading:moderation_queue", args=[trainer.context.pk]) in to_review
    failed = _part(r'data-testid="failed-count">(.*?)</p>', html)
    assert "<strong>1</strong>" in failed
    assert reverse("grading:passback_board", args=[trainer.context.pk]) in failed
    assert f"launch={trainer.launch_id}" in failed


def test_each_domain_has_an_accessible_chart_with_a_table_alternative(
    course: dict[str, Any],
) -> None:
    trainer = course["trainer"]
    html = text_of(trainer.get(_page(trainer.context.pk)))

    for code in ("DC2", "DC3"):
        chart = _part(rf'data-testid="chart-{code}">(.*?)</figure>', html)
        assert '<svg role="img"' in chart and f'id="chart-{code}-title"' in chart
        assert f'data-testid="chart-table-{code}"' in chart
    dc2_table = _part(r'data-testid="chart-table-DC2">(.*?)</table>', html)
    counts = re.findall(
        r'<th scope="row">(\d+–\d+)[^<]*</th><td>[^<]*</td><td class="num">(\d+)</td>', dc2_table
    )
    assert dict(counts)["4–6"] == "1" and dict(counts)["14–16"] == "1"
    assert sum(int(n) for _, n in counts) == 2  # Hugo's DC2 is not final yet


def test_the_csv_export_opens_in_french_excel_without_a_total_column(
    demo: Any, course: dict[str, Any]
) -> None:
    trainer = course["trainer"]
    response = trainer.get(_csv(trainer.context.pk))

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:5] == ["Nom de famille", "Prénom", "Nom affiché", "Courriel", "Statut"]
    assert [h.split(" — ")[0] for h in header[5:]] == ["DC2", "DC2", "DC3"]
    assert not any(re.search("total|moyenne", h, re.I) for h in header)
    assert all(len(row) == len(header) for row in rows)
    by_name = {row[2]: row for row in rows[1:]}
    assert sorted(by_name["Léa Bernard"][5:]) == ["15", "20", "5"]
    assert by_name["Léa Bernard"][4] == "commencé"
    assert by_name["Hugo Petit"][5:].count("à valider") == 2
    assert by_name["Inès Moreau"][4] == "pas commencé"
    assert by_name["Inès Moreau"][5:] == ["", "", ""]
    assert len(rows) == 1 + 5  # the five students of the demo course, trainers excluded


def test_the_refresh_button_reads_the_roster_then_answers_from_it_for_a_few_minutes(
    demo: Any,
) -> None:
    trainer = launch(demo, "trainer")
    page = text_of(trainer.get(_page(trainer.context.pk)))
    assert "pas encore été lue" in page and "Inès Moreau" not in page
    assert 'data-testid="roster-requested"' in page  # a worker is asked to read it
    tokens = trainer.form_tokens(_page(trainer.context.pk), "roster-refresh")

    first = trainer.post(_refresh(trainer.context.pk), {}, tokens=tokens)
    assert first.status_code == 303
    assert "liste=ok" in first.headers["Location"]
    after = text_of(trainer.get(first.headers["Location"], with_launch=False))
    assert "Liste actualisée" in after and "Inès Moreau" in after
    assert "7 personnes inscrites" in after

    second = trainer.post(_refresh(trainer.context.pk), {}, tokens=tokens)
    assert "liste=recente" in second.headers["Location"]


def test_the_refresh_needs_the_launch_bound_token(demo: Any) -> None:
    trainer = launch(demo, "trainer")
    response = trainer.post(_refresh(trainer.context.pk), {"launch": trainer.launch_id})
    assert response.status_code == 403


def test_a_failed_roster_read_is_shown_to_the_trainer(demo: Any) -> None:
    trainer = launch(demo, "trainer")
    context = trainer.context
    type(context).objects.filter(pk=context.pk).update(
        nrps_memberships_url=context.nrps_memberships_url.replace("/nrps/", "/nrps/9")
    )
    tokens = trainer.form_tokens(_page(context.pk), "roster-refresh")
    response = trainer.post(_refresh(context.pk), {}, tokens=tokens)
    assert "liste=erreur" in response.headers["Location"]
    page = text_of(trainer.get(response.headers["Location"], with_launch=False))
    assert 'data-testid="roster-error"' in page


@pytest.mark.usefixtures("decesf")
def test_scenarios_played_in_the_player_show_as_attempts_and_results(demo: Any) -> None:
    """Léa plays the placed scenario to its end, Hugo starts it: real attempts through the
    player, real results through grading."""
    trainer = launch(demo, "trainer")
    lea, hugo = launch(demo, "student"), launch(demo, "hugo.petit")
    placement = placed(trainer.resource_link)
    play(placement, lea.lti_user, ("a", "a"))
    attempt_start(placement=placement, lti_user=hugo.lti_user)

    html = text_of(trainer.get(_page(trainer.context.pk)))

    row = _part(rf'<tr data-link="{trainer.resource_link.pk}">(.*?)</tr>', html)
    cells = re.findall(r'<td class="num">(\d+)</td>', row)
    # version 1; 2 attempts; 2 students started; 1 finished
    assert cells == ["1", "2", "2", "1"]
    assert "scénario de dynamique de groupe" in row
    lea_row = _row(html, lea)
    for code, score in EXPECTED[("a", "a")].items():
        assert re.search(
            rf'data-domain="{code}" data-state="final">\s*<span class="reading-\w+">'
            rf"{score.normalize():f}<",
            lea_row,
        ), (code, lea_row)
    assert "pas commencé" not in _row(html, hugo)  # started, no result yet
    # Before any grade is sent, the guidance already says which column goes where.
    table = _part(r'data-testid="gradebook-columns">(.*?)</table>', html)
    planned = re.findall(
        r'<tr data-planned="yes"><th scope="row">(DC\d)</th><td>(.*?)</td>', table, re.S
    )
    assert [code for code, _label in planned] == placement.activity_version.domains
    first, other = planned[0][1], planned[1][1]
    assert trainer.resource_link.title in first and "colonne de l'activité" in first
    assert "créée par Atelier au premier envoi" in other


@pytest.mark.parametrize("path", [_page, _csv])
def test_a_trainer_of_another_course_is_refused(demo: Any, path: Any) -> None:
    mine = launch(demo, "trainer")
    other = launch(demo, "paul.garnier", link=other_course(demo))
    response = other.get(path(mine.context.pk))
    assert response.status_code == 403
    assert "réservée aux formateur·rices de ce cours" in text_of(response)


@pytest.mark.parametrize("path", [_page, _csv])
def test_a_student_is_refused(demo: Any, path: Any) -> None:
    student = launch(demo, "student")
    response = student.get(path(student.context.pk))
    assert response.status_code == 403


@pytest.mark.parametrize("path", [_page, _csv])
def test_an_anonymous_caller_is_asked_to_launch_from_moodle(demo: Any, path: Any) -> None:
    trainer = launch(demo, "trainer")
    response = trainer.get(path(trainer.context.pk), with_launch=False)
    assert response.status_code == 401


def test_a_student_cannot_refresh_the_roster(demo: Any) -> None:
    student = launch(demo, "student")
    trainer = launch(demo, "trainer")
    tokens = trainer.form_tokens(_page(trainer.context.pk), "roster-refresh")
    # The student's own launch id with the trainer's page token is refused too.
    response = student.post(
        _refresh(student.context.pk),
        {"launch": student.launch_id, "launch_csrf": tokens["launch_csrf"]},
    )
    assert response.status_code == 403


def test_the_dashboard_reads_a_bounded_number_of_queries(
    course: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    context = course["trainer"].context
    with django_assert_max_num_queries(14):
        dashboard = course_dashboard(context=context)
        [cell.state for row in dashboard.matrix.rows for cell in row.cells]
        [row.student.display_name for row in dashboard.matrix.rows]
        [(a.title, a.kind) for a in dashboard.activities]
    assert len(dashboard.matrix.rows) == 5


def test_the_guidance_lists_each_gradebook_column_under_its_domain(
    course: dict[str, Any],
) -> None:
    """Léa's final scores are delivered to the platform (the task's service, run here):
    the line items it found or created are listed domain by domain."""
    for passback in Passback.objects.filter(status=Passback.Status.PENDING):
        assert passback_deliver(passback_id=passback.pk) == "sent"
    http_session_close()  # the live server must not wait on our keep-alive connection
    trainer = course["trainer"]

    html = text_of(trainer.get(_page(trainer.context.pk)))

    table = _part(r'data-testid="gradebook-columns">(.*?)</table>', html)
    rows = re.findall(r'<th scope="row">(DC\d)</th><td>(.*?)</td>', table, re.S)
    domains = [code for code, _label in rows]
    assert domains == sorted(domains) and set(domains) == {"DC2", "DC3"}
    own = [code for code, label in rows if "colonne de l'activité" in label]
    assert own  # the launch's own column holds the activity's first domain
    assert 'data-testid="gradebook-guidance"' in html


_MO = Path(__file__).resolve().parents[2] / "lti_tool/activities/locale/en/LC_MESSAGES/django.mo"


@pytest.mark.skipif(not _MO.exists(), reason="translations not compiled (scripts/test.sh does it)")
def test_a_trainer_whose_moodle_is_in_english_reads_the_dashboard_in_english(demo: Any) -> None:
    platform_user = demo.user("trainer")
    platform_user.locale = "en"
    platform_user.save()
    trainer = launch(demo, "trainer")
    roster_sync(context=trainer.context)

    html = text_of(trainer.get(_page(trainer.context.pk)))
    assert 'lang="en"' in html and "Dashboard" in html and "Refresh the list" in html
    assert "not started" in html and "pas commencé" not in html
    header = trainer.get(_csv(trainer.context.pk)).content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Family name;Given name;Display name;Email;Status")
