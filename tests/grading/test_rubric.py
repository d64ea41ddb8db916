"""The rubric engine (domain.md §4.2, §7.2, §8.2), pinned by hand-worked examples and by
properties: α and β only inside a criterion, N/E, no cross-domain leakage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.grading.feedback import IndicatorReading
from lti_tool.grading.rubric import (
    Rubric,
    RubricCriterion,
    RubricGrade,
    peer_median,
    rubric_grade,
    rubric_validate,
)
from lti_tool.grading.rules import Criterion, RuleError, domain_outcomes, level_evidence

D = Decimal
DOMAINS = ("DC1", "DC2", "DC3", "DC4")
FIVE = ("absent", "insuffisant", "en voie d'acquisition", "acquis", "maîtrisé")


def rc(code: str, domain: str, weight: int = 1, *, auto: bool = False) -> RubricCriterion:
    return RubricCriterion(Criterion(code, domain, D(weight)), FIVE, auto=auto)


# A DPA rubric excerpt (domain.md §8.2): the tagging criterion has an automatic part.
DPA = Rubric(
    (
        rc("DPA-CRIT", "DC2", 2, auto=True),
        rc("DPA-NEG", "DC2", 3),
        rc("DPA-REFL", "DC1", 2),
        rc("DPA-ECR", "DC3", 1),
        rc("DPA-PTN", "DC4", 1),
    )
)


def by_code(grade: RubricGrade, code: str):  # type: ignore[no-untyped-def]
    return next(c for c in grade.criteria if c.criterion == code)


# --- worked examples ---------------------------------------------------------------------


def test_the_automatic_part_blends_at_alpha_inside_its_own_criterion() -> None:
    grade = rubric_grade(
        DPA,
        levels={"DPA-CRIT": 3, "DPA-NEG": 2},
        auto_scores={"DPA-CRIT": D("0.5")},
        alpha=D("0.2"),
    )
    # s_CRIT = 0.8 × 3/4 + 0.2 × 0.5 = 0.7 ; s_NEG = 2/4 = 0.5
    assert by_code(grade, "DPA-CRIT").score == D("0.7")
    assert by_code(grade, "DPA-NEG").score == D("0.5")
    # DC2 = 20 × (2 × 0.7 + 3 × 0.5) / 5 = 11.60
    assert grade.domains["DC2"].score_20 == D("11.60")
    assert by_code(grade, "DPA-CRIT").reading == IndicatorReading.IN_PROGRESS
    assert by_code(grade, "DPA-NEG").reading == IndicatorReading.IN_PROGRESS


def test_peers_median_is_a_suggestion_and_blends_only_at_beta() -> None:
    levels = {"DPA-CRIT": 3, "DPA-NEG": 2}
    peers = {"DPA-NEG": [4, 3]}
    formative = rubric_grade(DPA, levels=levels, peer_levels=peers)
    neg = by_code(formative, "DPA-NEG")
    assert neg.peer_suggestion == D("3.5")
    assert neg.score == D("0.5")  # β = 0 by default: the peers only inform the trainer
    weighted = rubric_grade(DPA, levels=levels, peer_levels=peers, beta=D("0.2"))
    # s_NEG = 0.8 × 2/4 + 0.2 × 3.5/4 = 0.575 ; DC2 = 20 × (2 × 0.75 + 3 × 0.575) / 5 = 12.90
    assert by_code(weighted, "DPA-NEG").score == D("0.575")
    assert weighted.domains["DC2"].score_20 == D("12.90")


def test_beta_adjusts_the_human_judgement_before_alpha_brings_the_automatic_part() -> None:
    grade = rubric_grade(
        DPA,
        levels={"DPA-CRIT": 2},
        auto_scores={"DPA-CRIT": D(0)},
        peer_levels={"DPA-CRIT": [4]},
        alpha=D("0.5"),
        beta=D("0.3"),
    )
    # s_h = 0.7 × 0.5 + 0.3 × 1 = 0.65 ; s_c = 0.5 × 0.65 + 0.5 × 0 = 0.325
    assert by_code(grade, "DPA-CRIT").score == D("0.325")
    assert grade.evidence[0].earned == D("1.3") and grade.evidence[0].maximum == D(4)


def test_a_criterion_score_is_the_one_the_database_can_store() -> None:
    # A tagging score of 2/3 (domain.md §8: (hits − wrong/2) / |key|) at α = 0.2 on level 4:
    # s_c = 0.8 + 0.2 × 2/3 = 0.9333… → earned 3.733 out of 4 (CriterionScore keeps 3 places).
    grade = rubric_grade(
        DPA, levels={"DPA-CRIT": 4}, auto_scores={"DPA-CRIT": D(2) / D(3)}, alpha=D("0.2")
    )
    (piece,) = grade.evidence
    assert piece.earned == D("3.733")
    assert by_code(grade, "DPA-CRIT").score == D("0.93325")
    assert grade.domains["DC2"].score_20 == D("18.67")  # 20 × 0.93325 = 18.665, half up


def test_a_criterion_left_ne_leaves_the_denominator() -> None:
    grade = rubric_grade(DPA, levels={"DPA-CRIT": 4, "DPA-NEG": None})
    assert grade.domains["DC2"].score_20 == D("20.00")
    assert grade.domains["DC2"].not_assessed == ("DPA-NEG",)
    neg = by_code(grade, "DPA-NEG")
    assert neg.not_assessed and neg.reading is None


def test_a_domain_all_ne_gets_no_result_even_with_an_automatic_score_or_peers() -> None:
    grade = rubric_grade(
        DPA,
        levels={"DPA-ECR": 1, "DPA-REFL": None},
        auto_scores={"DPA-CRIT": D(1)},
        peer_levels={"DPA-NEG": [4, 4], "DPA-REFL": [3]},
        beta=D("0.3"),
    )
    assert set(grade.domains) == {"DC3"}  # DC1, DC2 and DC4 not assessed: no result, not 0
    assert grade.domains["DC3"].score_20 == D("5.00")
    assert by_code(grade, "DPA-REFL").peer_suggestion == D(3)  # still shown to the trainer
    assert [e.criterion for e in grade.evidence] == ["DPA-ECR"]


def test_an_auto_criterion_without_its_automatic_score_is_graded_on_the_level_alone() -> None:
    grade = rubric_grade(DPA, levels={"DPA-CRIT": 3}, alpha=D("0.5"))
    assert by_code(grade, "DPA-CRIT").score == D("0.75")
    assert by_code(grade, "DPA-CRIT").reading == IndicatorReading.ACQUIRED
    assert grade.evidence == (level_evidence("DPA-CRIT", 3),)


def test_comments_travel_with_the_criterion_and_its_evidence() -> None:
    grade = rubric_grade(DPA, levels={"DPA-ECR": 3}, comments={"DPA-ECR": "Bien structuré."})
    assert by_code(grade, "DPA-ECR").comment == "Bien structuré."
    assert grade.evidence[0].note == "Bien structuré."


def test_peer_median_of_an_even_number_of_reviewers_is_halfway() -> None:
    assert peer_median([1, 4]) == D("2.5")
    assert peer_median([0, 4, 3]) == D(3)
    assert peer_median([]) is None


# --- validation --------------------------------------------------------------------------


def test_a_valid_rubric_passes_validation() -> None:
    rubric_validate(DPA, domains=DOMAINS)


@pytest.mark.parametrize(
    ("rubric", "message"),
    [
        (Rubric(()), "au moins un critère"),
        (
            Rubric((RubricCriterion(Criterion("A", "DC2"), FIVE[:4]),)),
            "exactement cinq niveaux",
        ),
        (
            Rubric((RubricCriterion(Criterion("A", "DC2"), (*FIVE[:4], "  ")),)),
            "niveau 4 du critère A n'est pas décrit",
        ),
        (Rubric((rc("A", "DC2", 0),)), "doit être positif"),
        (Rubric((rc("A", "BC9"),)), "absent du référentiel"),
        (Rubric((rc("A", "DC2"), rc("A", "DC3"))), "défini deux fois"),
    ],
)
def test_a_malformed_rubric_is_refused_with_a_french_message(rubric: Rubric, message: str) -> None:
    with pytest.raises(RuleError, match=message):
        rubric_validate(rubric, domains=DOMAINS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"levels": {"DPA-CRIT": 5}}, "hors de l'échelle 0–4"),
        ({"levels": {"DPA-XXX": 2}}, "Critère inconnu"),
        ({"levels": {}, "alpha": D("0.6")}, "entre 0 et 0,5"),
        ({"levels": {}, "beta": D("0.4")}, "entre 0 et 0,3"),
        ({"levels": {}, "auto_scores": {"DPA-NEG": D("0.5")}}, "pas de partie automatique"),
        ({"levels": {}, "auto_scores": {"DPA-CRIT": D("1.2")}}, "entre 0 et 1"),
        ({"levels": {}, "peer_levels": {"DPA-NEG": [2, 7]}}, "Niveau de pair 7"),
    ],
)
def test_bad_grading_input_is_refused_with_a_french_message(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(RuleError, match=message):
        rubric_grade(DPA, **kwargs)  # type: ignore[arg-type]


# --- properties --------------------------------------------------------------------------

unit = st.decimals(min_value=0, max_value=1, places=3)
level_or_ne = st.one_of(st.none(), st.integers(min_value=0, max_value=4))
peers_strategy = st.lists(st.integers(min_value=0, max_value=4), max_size=4)


@st.composite
def rubric_case(draw: st.DrawFn) -> dict[str, object]:
    specs = draw(
        st.lists(
            st.tuples(st.sampled_from(DOMAINS), st.integers(1, 5), st.booleans()),
            min_size=1,
            max_size=8,
        )
    )
    rubric = Rubric(tuple(rc(f"C{i}", dom, w, auto=auto) for i, (dom, w, auto) in enumerate(specs)))
    levels = {c.code: draw(level_or_ne) for c in rubric.criteria}
    auto_scores = {c.code: draw(unit) for c in rubric.criteria if c.auto and draw(st.booleans())}
    peer_levels = {c.code: draw(peers_strategy) for c in rubric.criteria}
    return {
        "rubric": rubric,
        "levels": levels,
        "auto_scores": auto_scores,
        "peer_levels": peer_levels,
        "alpha": draw(st.decimals(min_value=0, max_value=D("0.5"), places=2)),
        "beta": draw(st.decimals(min_value=0, max_value=D("0.3"), places=2)),
    }


def grade_of(case: dict[str, object], **changes: object) -> RubricGrade:
    args = {**case, **changes}
    rubric = args.pop("rubric")
    return rubric_grade(rubric, **args)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(rubric_case())
def test_domain_scores_stay_between_0_and_20(case: dict[str, object]) -> None:
    grade = grade_of(case)
    for outcome in grade.domains.values():
        assert D(0) <= outcome.score_20 <= D(20)
    for item in grade.criteria:
        assert item.score is None or D(0) <= item.score <= D(1)


@settings(max_examples=200, deadline=None)
@given(rubric_case(), st.data())
def test_no_cross_domain_leakage(case: dict[str, object], data: st.DataObject) -> None:
    """Changing a level, an automatic score or peer levels in one domain never moves another."""
    rubric: Rubric = case["rubric"]  # type: ignore[assignment]
    target = data.draw(st.sampled_from(rubric.criteria))
    levels = {**case["levels"], target.code: data.draw(level_or_ne)}  # type: ignore[dict-item]
    auto_scores = dict(case["auto_scores"])  # type: ignore[call-overload]
    if target.auto:
        auto_scores[target.code] = data.draw(unit)
    peer_levels = {**case["peer_levels"], target.code: data.draw(peers_strategy)}  # type: ignore[dict-item]
    before = grade_of(case)
    after = grade_of(case, levels=levels, auto_scores=auto_scores, peer_levels=peer_levels)
    for domain in DOMAINS:
        if domain != target.domain:
            assert after.domains.get(domain) == before.domains.get(domain)
    for old, new in zip(before.criteria, after.criteria, strict=True):
        if old.criterion != target.code:
            assert old == new  # α and β never reach beyond their own criterion


@settings(max_examples=200, deadline=None)
@given(rubric_case(), st.data())
def test_raising_a_trainer_level_never_lowers_its_domain_score(
    case: dict[str, object], data: st.DataObject
) -> None:
    rubric: Rubric = case["rubric"]  # type: ignore[assignment]
    target = data.draw(st.sampled_from(rubric.criteria))
    low = data.draw(st.integers(min_value=0, max_value=3))
    base: dict[str, int | None] = case["levels"]  # type: ignore[assignment]
    lower = grade_of(case, levels={**base, target.code: low})
    higher = grade_of(case, levels={**base, target.code: low + 1})
    assert higher.domains[target.domain].score_20 >= lower.domains[target.domain].score_20


@settings(max_examples=200, deadline=None)
@given(rubric_case())
def test_alpha_and_beta_at_zero_give_the_pure_trainer_score(case: dict[str, object]) -> None:
    rubric: Rubric = case["rubric"]  # type: ignore[assignment]
    levels: dict[str, int | None] = case["levels"]  # type: ignore[assignment]
    grade = grade_of(case, alpha=D(0), beta=D(0))
    pure = domain_outcomes(
        [c.criterion for c in rubric.criteria],
        [level_evidence(code, level) for code, level in levels.items() if level is not None],
    )
    assert grade.domains == pure


@settings(max_examples=200, deadline=None)
@given(rubric_case())
def test_the_peer_suggestion_lies_within_the_peers_range(case: dict[str, object]) -> None:
    for item in grade_of(case).criteria:
        if item.peer_levels:
            assert item.peer_suggestion is not None
            assert min(item.peer_levels) <= item.peer_suggestion <= max(item.peer_levels)
        else:
            assert item.peer_suggestion is None
