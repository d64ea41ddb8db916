"""A student's own results: final scores per domain with their reading and indicator
feedback; "en attente" without the proposed score otherwise; never another student's."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from lti_tool.grading.feedback import IndicatorReading, indicator_reading
from lti_tool.grading.rules import ActivityKind
from tests.grading.factories import (
    assessment_graded,
    launch,
    result_finalised,
    text_of,
)


def _page(context_link_pk: int) -> str:
    return reverse("grading:student_results", args=[context_link_pk])


@pytest.mark.django_db(transaction=True)
def test_a_student_sees_their_final_results_per_domain_with_readings_and_feedback(
    demo: Any,
) -> None:
    trainer, lea = launch(demo, "trainer"), launch(demo, "student")
    _a, results = assessment_graded(
        student=lea, levels={"DC2.A3.1": 4, "DC2.A3.2": 2, "DC3.3.1": 1}
    )
    result_finalised(result=results["DC2"], trainer=trainer, feedback="Belle ouverture de séance.")
    result_finalised(result=results["DC3"], trainer=trainer, feedback="Information à clarifier.")

    page = lea.get(_page(lea.resource_link.pk))

    assert page.status_code == 200, page.text[:2000]
    text = text_of(page)
    dc2 = text.split('data-domain="DC2"')[1].split("</article>")[0]
    assert "15/20" in dc2 and "acquis pour cette activité" in dc2  # 20 × (4/4 + 2/4) / 2
    assert "Belle ouverture de séance." in dc2
    assert 'Pose le cadre de la réunion</th><td class="reading-acquis">acquis' in dc2
    assert 'Fait circuler la parole</th><td class="reading-en_cours">en cours' in dc2
    dc3 = text.split('data-domain="DC3"')[1].split("</article>")[0]
    assert "5/20" in dc3 and "non acquis" in dc3  # 1/4 → 5/20
    assert 'Transmet une information claire</th><td class="reading-non_acquis">non acquis' in dc3
    assert 'data-domain="DC4"' not in text  # not assessed: nothing shown, not a zero
    results_text = text.split("</h1>", 1)[1]  # past the links, whose ids could read "/40"
    assert "/40" not in results_text and "moyenne" not in results_text.lower()


@pytest.mark.django_db(transaction=True)
def test_a_result_not_final_shows_waiting_without_the_proposed_score(demo: Any) -> None:
    lea = launch(demo, "student")
    _a, results = assessment_graded(student=lea, levels={"DC2.A3.1": 4, "DC2.A3.2": 3})
    assert results["DC2"].score_20 == Decimal("17.50")

    text = text_of(lea.get(_page(lea.resource_link.pk)))

    dc2 = text.split('data-domain="DC2"')[1].split("</article>")[0]
    assert "En attente de validation" in dc2
    assert "17,5" not in text and "17.5" not in text
    assert "Pose le cadre" not in text  # no indicator reading before validation either


@pytest.mark.django_db(transaction=True)
def test_a_student_never_sees_another_students_results(demo: Any) -> None:
    trainer, lea, hugo = (
        launch(demo, "trainer"),
        launch(demo, "student"),
        launch(demo, "hugo.petit"),
    )
    assessment_graded(student=lea, levels={"DC2.A3.1": 3}, kind=ActivityKind.SCENARIO)
    _a, theirs = assessment_graded(student=hugo, levels={"DC2.A3.1": 1, "DC3.3.1": 4})
    result_finalised(result=theirs["DC3"], trainer=trainer, feedback="Retour réservé à Hugo.")

    text = text_of(lea.get(_page(lea.resource_link.pk)))

    assert "15/20" in text  # her scenario, final at once: 3/4
    assert "Retour réservé à Hugo." not in text and "20/20" not in text
    assert 'data-domain="DC3"' not in text
    assert text.count('data-testid="activity-results"') == 1


@pytest.mark.django_db(transaction=True)
def test_the_results_page_follows_the_launch_not_the_url(demo: Any) -> None:
    lea = launch(demo, "student")
    other_link = launch(demo, "student", link=demo.link(1))
    assert other_link.resource_link.pk != lea.resource_link.pk
    # Léa's launch on activity 1 cannot open the page of activity 2 with it ...
    assert lea.get(_page(other_link.resource_link.pk)).status_code == 403
    # ... and without a launch nobody can.
    assert lea.get(_page(lea.resource_link.pk), with_launch=False).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_the_activity_page_links_to_my_results(demo: Any) -> None:
    lea = launch(demo, "student")
    text = text_of(lea.get(reverse("activities:resource_link", args=[lea.resource_link.pk])))
    assert f"{_page(lea.resource_link.pk)}?launch={lea.launch_id}" in text


@pytest.mark.parametrize(
    ("ratio", "expected"),
    [
        ("1", IndicatorReading.ACQUIRED),
        ("0.75", IndicatorReading.ACQUIRED),
        ("0.7499", IndicatorReading.IN_PROGRESS),
        ("0.5", IndicatorReading.IN_PROGRESS),
        ("0.4999", IndicatorReading.NOT_ACQUIRED),
        ("0", IndicatorReading.NOT_ACQUIRED),
    ],
)
def test_indicator_reading_thresholds(ratio: str, expected: IndicatorReading) -> None:
    assert indicator_reading(Decimal(ratio)) == expected


_ORDER = [IndicatorReading.NOT_ACQUIRED, IndicatorReading.IN_PROGRESS, IndicatorReading.ACQUIRED]


@given(
    st.decimals(min_value=0, max_value=1, places=4),
    st.decimals(min_value=0, max_value=1, places=4),
)
def test_a_higher_ratio_never_reads_worse(a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    assert _ORDER.index(indicator_reading(low)) <= _ORDER.index(indicator_reading(high))


_MO = Path(__file__).resolve().parents[2] / "lti_tool/grading/locale/en/LC_MESSAGES/django.mo"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not _MO.exists(), reason="translations not compiled (scripts/test.sh does it)")
def test_a_student_whose_moodle_is_in_english_reads_the_page_in_english(demo: Any) -> None:
    chloe = launch(demo, "english")
    assessment_graded(student=chloe, levels={"DC2.A3.1": 3}, kind=ActivityKind.SCENARIO)
    assessment_graded(student=chloe, levels={"DC3.3.1": 2})

    text = text_of(chloe.get(_page(chloe.resource_link.pk)))

    assert 'lang="en"' in text and "My results" in text
    assert "15/20" in text and "acquired for this activity" in text
    assert "Waiting for your trainer's validation." in text
