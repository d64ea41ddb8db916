"""The trainer's view of a placed scenario: who played, which paths the group took, the
per-domain results (never a total), one student's path; trainers of that course only."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from lti_tool.activities.models import Attempt, Placement
from lti_tool.activities.player import attempt_choose, attempt_continue, attempt_start
from tests.activities.player_fixtures import SLUG, play, version_publish
from tests.grading.factories import Launched, launch, other_course, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401 (fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


@pytest.fixture
def group(demo: Any) -> dict[str, Launched]:
    """Léa takes path (a, a) then starts again; Hugo takes (b, b); Inès never plays."""
    version_publish()
    link = demo.link(0)
    link.custom = {"activity": SLUG}
    link.save()
    people = {who: launch(demo, who) for who in ("trainer", "student", "hugo.petit", "ines.moreau")}
    people["student"].get(people["student"].landing_path)  # binds the link
    placement = Placement.objects.get()
    play(placement, people["student"].lti_user, ("a", "a"))
    attempt_start(placement=placement, lti_user=people["student"].lti_user)
    hugo = attempt_start(placement=placement, lti_user=people["hugo.petit"].lti_user)
    hugo = attempt_continue(attempt=hugo, step=1).attempt
    Attempt.objects.filter(pk=hugo.pk).update(
        node_entered_at=timezone.now() - timedelta(seconds=75)
    )
    hugo = attempt_choose(attempt=hugo, step=2, choice_id="b").attempt
    attempt_choose(attempt=hugo, step=3, choice_id="b")
    return people


def _overview_path(who: Launched) -> str:
    return f"/cours/{who.context.pk}/scenarios/{who.resource_link.pk}/"


def _cell(text: str, testid: str, inner: str) -> str:
    row = re.search(rf'data-testid="{testid}".*?</tr>', text, re.S)
    assert row is not None, testid
    value = re.search(rf'data-testid="{inner}">([^<]*)<', row.group(0))
    assert value is not None
    return value.group(1)


def test_the_group_view_counts_attempts_and_completion(group: dict[str, Launched]) -> None:
    claire = group["trainer"]
    page = claire.get(_overview_path(claire))
    assert page.status_code == 200, page.text[:2000]
    text = text_of(page)
    assert re.search(r'data-testid="started">3<', text)
    assert re.search(r'data-testid="completed">2<', text)
    assert re.search(r'data-testid="completion">67 %<', text)
    assert "2 ont commencé, 2 ont terminé" in text


def test_the_group_view_shows_each_decisions_choices_with_counts_and_shares(
    group: dict[str, Launched],
) -> None:
    claire = group["trainer"]
    text = text_of(claire.get(_overview_path(claire)))
    assert "Accueillir la remarque et la reformuler au groupe" in text  # the choice label
    assert _cell(text, "choice-d1-a", "count") == "1"
    assert _cell(text, "choice-d1-a", "percent") == "50"
    assert _cell(text, "choice-d1-b", "count") == "1"
    assert _cell(text, "choice-d1-c", "count") == "0"
    assert _cell(text, "choice-d2-b", "percent") == "50"


def test_the_group_view_shows_each_domain_apart_without_any_total(
    group: dict[str, Launched],
) -> None:
    claire = group["trainer"]
    text = text_of(claire.get(_overview_path(claire)))
    # DC2: Léa 10.00, Hugo 9.33 → median 9.67 ; DC4: 20 and 0.
    assert "2 résultat(s) validé(s) · min 9,33 · médiane 9,67 · max 10 (/20)" in text
    assert "2 résultat(s) validé(s) · min 0 · médiane 10 · max 20 (/20)" in text
    assert "aucune moyenne entre domaines" in text
    assert "total" not in text.lower().replace("totale", "")


def test_the_student_table_lists_every_student_with_their_attempts(
    group: dict[str, Launched],
) -> None:
    claire = group["trainer"]
    text = text_of(claire.get(_overview_path(claire)))
    lea, ines = group["student"].lti_user, group["ines.moreau"].lti_user
    lea_row = re.search(rf'data-testid="student-{lea.pk}">(.*?)</tr>', text, re.S)
    assert lea_row is not None
    assert "DC2 10/20" in lea_row.group(1) and "DC4 20/20" in lea_row.group(1)
    ines_row = re.search(rf'data-testid="student-{ines.pk}">(.*?)</tr>', text, re.S)
    assert ines_row is not None and "pas commencé" in ines_row.group(1)


def test_the_drill_down_shows_one_students_path_with_times_feedback_and_results(
    group: dict[str, Launched],
) -> None:
    claire, hugo = group["trainer"], group["hugo.petit"].lti_user
    page = claire.get(f"{_overview_path(claire)}etudiants/{hugo.pk}/")
    assert page.status_code == 200, page.text[:2000]
    text = text_of(page)
    decisions = re.findall(
        r'data-testid="decision" data-node="([^"]+)" data-choice="([^"]+)"', text
    )
    assert decisions == [("d1", "b"), ("d2", "b")]
    assert re.search(r'data-testid="seconds">1 min 1[5-8] s<', text)
    assert "Vous individualisez un signal collectif." in text  # the feedback given
    assert "Fin atteinte : Le groupe se replie" in text
    assert re.search(r'data-testid="domain-DC2".*?data-testid="score">9,33</span>/20', text, re.S)


def test_a_student_cannot_open_the_group_view(group: dict[str, Launched]) -> None:
    lea = group["student"]
    refused = lea.get(_overview_path(group["trainer"]))
    assert refused.status_code == 403
    assert "réservée aux formateur·rices" in text_of(refused)
    drill = lea.get(f"{_overview_path(group['trainer'])}etudiants/{lea.lti_user.pk}/")
    assert drill.status_code == 403


def test_the_group_view_needs_a_launch(group: dict[str, Launched]) -> None:
    claire = group["trainer"]
    assert claire.get(_overview_path(claire), with_launch=False).status_code == 401


def test_a_trainer_of_another_course_cannot_open_the_group_view(
    demo: Any, group: dict[str, Launched]
) -> None:
    paul = launch(demo, "paul.garnier", link=other_course(demo))
    refused = paul.get(_overview_path(group["trainer"]))
    assert refused.status_code == 403
    # Their own course with this course's link id: not found, not someone else's data.
    crossed = paul.get(f"/cours/{paul.context.pk}/scenarios/{group['trainer'].resource_link.pk}/")
    assert crossed.status_code == 404


def test_the_course_page_links_each_placed_scenario_to_its_group_view(
    group: dict[str, Launched],
) -> None:
    claire = group["trainer"]
    text = text_of(claire.get(f"/cours/{claire.context.pk}/"))
    assert f'data-testid="overview-link-{claire.resource_link.pk}"' in text
