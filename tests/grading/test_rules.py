"""The grading law (domain.md §4), pinned by examples and by properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.grading.rules import (
    ActivityKind,
    Criterion,
    Evidence,
    Reading,
    ResultStatus,
    RuleError,
    blend,
    criteria_validate,
    domain_outcomes,
    initial_status,
    level_evidence,
    reading,
)

D = Decimal
DOMAINS = ("DC1", "DC2", "DC3", "DC4")


def test_a_domain_score_uses_only_its_own_criteria() -> None:
    criteria = [Criterion("A", "DC2", D(2)), Criterion("B", "DC2", D(1)), Criterion("C", "DC4")]
    outcomes = domain_outcomes(
        criteria,
        [level_evidence("A", 4), level_evidence("B", 1), level_evidence("C", 0)],
    )
    # DC2 = 20 × (2×1 + 1×0.25) / 3 = 15
    assert outcomes["DC2"].score_20 == D("15.00")
    assert outcomes["DC4"].score_20 == D("0.00")


def test_an_unassessed_domain_gets_no_result_not_zero() -> None:
    criteria = [Criterion("A", "DC2"), Criterion("C", "DC4")]
    outcomes = domain_outcomes(criteria, [level_evidence("A", 3)])
    assert set(outcomes) == {"DC2"}


def test_a_criterion_without_evidence_leaves_the_denominator() -> None:
    criteria = [Criterion("A", "DC2"), Criterion("B", "DC2", D(5))]
    outcomes = domain_outcomes(criteria, [level_evidence("A", 4)])
    assert outcomes["DC2"].score_20 == D("20.00")
    assert outcomes["DC2"].not_assessed == ("B",)


def test_branching_points_are_normalised_over_the_nodes_visited() -> None:
    criteria = [Criterion("PAR", "DC2")]
    evidence = [Evidence("PAR", D(3), D(3)), Evidence("PAR", D(1), D(3))]
    assert domain_outcomes(criteria, evidence)["DC2"].score_20 == D("13.33")


def test_an_ethics_flag_caps_its_evidence_and_flags_only_its_domain() -> None:
    criteria = [Criterion("ETH", "DC2"), Criterion("COM", "DC3")]
    evidence = [
        Evidence("ETH", D(3), D(3), ethics_flag=True),
        Evidence("ETH", D(3), D(3)),
        Evidence("COM", D(2), D(3)),
    ]
    outcomes = domain_outcomes(criteria, evidence)
    assert outcomes["DC2"].score_20 == D("10.00")
    assert outcomes["DC2"].flagged
    assert not outcomes["DC3"].flagged


def test_the_rule_explains_the_computation_to_the_trainer() -> None:
    outcome = domain_outcomes([Criterion("A", "DC2")], [level_evidence("A", 2)])["DC2"]
    assert "DC2 = 20 ×" in outcome.rule and "10.00" in outcome.rule


def test_evidence_for_an_unknown_criterion_is_refused() -> None:
    with pytest.raises(RuleError, match="inconnu"):
        domain_outcomes([Criterion("A", "DC2")], [level_evidence("Z", 2)])


def test_a_level_outside_0_to_4_is_refused() -> None:
    with pytest.raises(RuleError, match="0–4"):
        level_evidence("A", 5)


def test_criteria_must_cite_competences_of_their_own_domain() -> None:
    with pytest.raises(RuleError, match="autre domaine"):
        criteria_validate(
            [Criterion("A", "DC2", competences=("DC4.8",))],
            domains=DOMAINS,
            competences_of={"DC4.8": "DC4", "DC2.A3": "DC2"},
        )
    criteria_validate(
        [Criterion("A", "DC2", competences=("DC2.A3",))],
        domains=DOMAINS,
        competences_of={"DC4.8": "DC4", "DC2.A3": "DC2"},
    )


def test_criteria_must_target_a_domain_of_the_framework() -> None:
    with pytest.raises(RuleError, match="absent du référentiel"):
        criteria_validate([Criterion("A", "BC9")], domains=DOMAINS)


def test_blend_stays_inside_alpha_bounds() -> None:
    assert blend(D(1), D(0), D("0.2")) == D("0.8")
    with pytest.raises(RuleError):
        blend(D(1), D(0), D("0.6"))


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (D(10), Reading.ACQUIRED),
        (D("9.99"), Reading.FRAGILE),
        (D(8), Reading.FRAGILE),
        (D("7.5"), Reading.NOT_ACQUIRED),
    ],
)
def test_reading_thresholds(score: Decimal, expected: Reading) -> None:
    assert reading(score) == expected


def test_scenarios_are_final_unless_flagged_and_other_kinds_wait_for_a_trainer() -> None:
    assert initial_status(ActivityKind.SCENARIO, flagged=False) == ResultStatus.FINAL
    assert initial_status(ActivityKind.SCENARIO, flagged=True) == ResultStatus.TO_REVIEW
    assert (
        initial_status(ActivityKind.SCENARIO, flagged=False, review_requested=True)
        == ResultStatus.TO_REVIEW
    )
    for kind in (ActivityKind.ROLEPLAY, ActivityKind.DSL, ActivityKind.DPA):
        assert initial_status(kind, flagged=False) == ResultStatus.TO_REVIEW
    assert initial_status(ActivityKind.DSL, flagged=False, complete=False) == ResultStatus.PROPOSED


# --- properties ---------------------------------------------------------------------

criteria_strategy = st.lists(
    st.tuples(st.sampled_from(DOMAINS), st.integers(min_value=1, max_value=5)),
    min_size=1,
    max_size=8,
).map(lambda items: [Criterion(f"C{i}", dom, D(w)) for i, (dom, w) in enumerate(items)])


@st.composite
def graded(draw: st.DrawFn) -> tuple[list[Criterion], list[Evidence]]:
    criteria = draw(criteria_strategy)
    evidence = []
    for criterion in criteria:
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            maximum = draw(st.integers(min_value=1, max_value=4))
            earned = draw(st.integers(min_value=0, max_value=maximum))
            flag = draw(st.integers(min_value=0, max_value=9)) == 0  # about one in ten
            evidence.append(Evidence(criterion.code, D(earned), D(maximum), ethics_flag=flag))
    return criteria, evidence


@settings(max_examples=200, deadline=None)
@given(graded())
def test_scores_stay_between_0_and_20(case: tuple[list[Criterion], list[Evidence]]) -> None:
    for outcome in domain_outcomes(*case).values():
        assert D(0) <= outcome.score_20 <= D(20)


@settings(max_examples=200, deadline=None)
@given(graded())
def test_a_domain_has_a_result_iff_one_of_its_criteria_has_evidence(
    case: tuple[list[Criterion], list[Evidence]],
) -> None:
    criteria, evidence = case
    with_evidence = {c.domain for c in criteria if any(e.criterion == c.code for e in evidence)}
    assert set(domain_outcomes(criteria, evidence)) == with_evidence


@settings(max_examples=200, deadline=None)
@given(graded(), st.sampled_from(DOMAINS), st.integers(min_value=0, max_value=4))
def test_no_cross_domain_leakage(
    case: tuple[list[Criterion], list[Evidence]], other: str, level: int
) -> None:
    """Adding or changing evidence in one domain never moves another domain's result."""
    criteria, evidence = case
    before = domain_outcomes(criteria, evidence)
    extra = Criterion("X-new", other)
    after = domain_outcomes([*criteria, extra], [*evidence, level_evidence("X-new", level)])
    for domain, outcome in before.items():
        if domain != other:
            assert after[domain].score_20 == outcome.score_20


@settings(max_examples=200, deadline=None)
@given(graded(), st.integers(min_value=0, max_value=3))
def test_raising_a_level_never_lowers_the_domain_score(
    case: tuple[list[Criterion], list[Evidence]], low: int
) -> None:
    criteria, evidence = case
    target = criteria[0]
    lower = domain_outcomes(criteria, [*evidence, level_evidence(target.code, low)])
    higher = domain_outcomes(criteria, [*evidence, level_evidence(target.code, low + 1)])
    assert higher[target.domain].score_20 >= lower[target.domain].score_20
    for domain in lower:
        if domain != target.domain:
            assert higher[domain] == lower[domain]
