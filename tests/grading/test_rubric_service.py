"""Rubric grading through the services (issue 9): people come from real launches on the
built-in platform; the rubric grade goes through assessment_grade like any other evidence."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.grading import services
from lti_tool.grading.models import Assessment, CriterionScore, DomainResult, Passback
from lti_tool.grading.rubric import Rubric, RubricCriterion
from lti_tool.grading.rules import ActivityKind, Criterion, ResultStatus
from tests.grading.factories import DOMAIN_TITLES, Launched, launch

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
FIVE = ("absent", "insuffisant", "en voie d'acquisition", "acquis", "maîtrisé")
DPA = Rubric(
    (
        RubricCriterion(Criterion("DPA-CRIT", "DC2", D(2)), FIVE, auto=True),
        RubricCriterion(Criterion("DPA-NEG", "DC2", D(3)), FIVE),
        RubricCriterion(Criterion("DPA-ECR", "DC3", D(1)), FIVE),
        RubricCriterion(Criterion("DPA-PTN", "DC4", D(1)), FIVE),
    )
)


def _dpa_assessment(student: Launched) -> Assessment:
    return services.assessment_create(
        resource_link=student.resource_link,
        lti_user=student.lti_user,
        activity_kind=ActivityKind.DPA,
        activity_title="Cas DPA — Mme R.",
        activity_ref="test-dpa",
        framework_code="DECESF-2018",
        framework_version=1,
        criteria=[item.criterion for item in DPA.criteria],
    )


@pytest.fixture
def people(demo: Any) -> dict[str, Launched]:
    return {"trainer": launch(demo, "trainer"), "student": launch(demo, "student")}


def test_a_rubric_grade_gives_per_domain_results_waiting_for_the_trainer(
    people: dict[str, Launched],
) -> None:
    assessment = _dpa_assessment(people["student"])

    grade, results = services.assessment_grade_rubric(
        assessment=assessment,
        rubric=DPA,
        levels={"DPA-CRIT": 3, "DPA-NEG": 2, "DPA-ECR": 4, "DPA-PTN": None},
        auto_scores={"DPA-CRIT": D("0.5")},
        peer_levels={"DPA-NEG": [4, 3]},
        alpha=D("0.2"),
        comments={"DPA-ECR": "Faits, analyse et propositions bien distingués."},
        assessor=people["trainer"].lti_user,
        domain_titles=DOMAIN_TITLES,
    )

    by_domain = {r.domain_code: r for r in results}
    assert set(by_domain) == {"DC2", "DC3"}  # DC4 left N/E: no result, not a zero
    assert by_domain["DC2"].score_20 == D("11.60")  # 20 × (2 × 0.7 + 3 × 0.5) / 5
    assert by_domain["DC3"].score_20 == D("20.00")
    assert {r.status for r in results} == {ResultStatus.TO_REVIEW}  # the trainer validates
    assert not Passback.objects.exists()
    stored = CriterionScore.objects.get(assessment=assessment, criterion_code="DPA-CRIT")
    assert (stored.earned, stored.maximum, stored.source) == (D("2.8"), D(4), "trainer")
    assert stored.assessor == people["trainer"].lti_user
    neg = next(c for c in grade.criteria if c.criterion == "DPA-NEG")
    assert neg.peer_suggestion == D("3.5")


def test_grading_again_replaces_the_previous_rubric_grade(people: dict[str, Launched]) -> None:
    assessment = _dpa_assessment(people["student"])
    trainer = people["trainer"].lti_user
    services.assessment_grade_rubric(
        assessment=assessment, rubric=DPA, levels={"DPA-CRIT": 1, "DPA-NEG": 1}, assessor=trainer
    )

    _grade, results = services.assessment_grade_rubric(
        assessment=assessment, rubric=DPA, levels={"DPA-CRIT": 4, "DPA-NEG": None}, assessor=trainer
    )

    (dc2,) = results
    assert dc2.score_20 == D("20.00")  # DPA-NEG now N/E, the first levels superseded
    live = CriterionScore.objects.filter(assessment=assessment, superseded=False)
    assert [(s.criterion_code, s.earned) for s in live] == [("DPA-CRIT", D(4))]
    assert CriterionScore.objects.filter(assessment=assessment, superseded=True).count() == 2


def test_a_finalised_rubric_result_is_sent_to_the_gradebook(people: dict[str, Launched]) -> None:
    assessment = _dpa_assessment(people["student"])
    trainer = people["trainer"].lti_user
    _grade, (dc2,) = services.assessment_grade_rubric(
        assessment=assessment, rubric=DPA, levels={"DPA-NEG": 3}, assessor=trainer
    )

    services.result_moderate(result=dc2, actor=trainer)

    passback = Passback.objects.get(result=dc2)
    assert passback.score_given == D("15.00")


def test_only_a_trainer_of_the_course_may_grade_on_the_rubric(
    people: dict[str, Launched],
) -> None:
    assessment = _dpa_assessment(people["student"])

    with pytest.raises(PermissionDenied):
        services.assessment_grade_rubric(
            assessment=assessment,
            rubric=DPA,
            levels={"DPA-NEG": 4},
            assessor=people["student"].lti_user,
        )
    assert not CriterionScore.objects.exists()


@pytest.mark.parametrize(
    ("rubric", "kwargs", "message"),
    [
        (DPA, {"levels": {"DPA-NEG": 2}, "alpha": D("0.7")}, "entre 0 et 0,5"),
        (DPA, {"levels": {"DPA-NEG": 2}, "auto_scores": {"DPA-NEG": D(1)}}, "automatique"),
        (Rubric(DPA.criteria[:2]), {"levels": {"DPA-NEG": 2}}, "ne correspond pas"),
        (
            Rubric(
                (
                    RubricCriterion(Criterion("DPA-CRIT", "DC2", D(5)), FIVE, auto=True),
                    *DPA.criteria[1:],
                )
            ),
            {"levels": {"DPA-NEG": 2}},
            "même poids",
        ),
    ],
)
def test_bad_rubric_input_is_refused_and_nothing_is_written(
    people: dict[str, Launched], rubric: Rubric, kwargs: dict[str, Any], message: str
) -> None:
    assessment = _dpa_assessment(people["student"])

    with pytest.raises(ValidationFailed, match=message):
        services.assessment_grade_rubric(
            assessment=assessment, rubric=rubric, assessor=people["trainer"].lti_user, **kwargs
        )
    assert not CriterionScore.objects.exists()
    assert not DomainResult.objects.exists()
