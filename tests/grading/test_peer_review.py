"""The shared peer review rules (grading/peer_review.py): who reviews what, what a reviewer
may send, and what the trainer is shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.grading.peer_review import (
    SentReview,
    Work,
    review_comment,
    review_levels,
    reviewers_assign,
)
from lti_tool.grading.peer_review import peer_summary as summary_of


def solo(*people: int) -> list[Work]:
    """One work per person (the DPA case: individual analyses)."""
    return [Work(key=100 + p, authors=frozenset({p})) for p in people]


def by_work(pairs: list[tuple[int, int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for work, reviewer in pairs:
        found.setdefault(work, []).append(reviewer)
    return found


def test_each_work_gets_two_reviewers_who_are_not_its_authors() -> None:
    works = solo(1, 2, 3, 4)
    pairs = reviewers_assign(works, {})
    given_ = by_work(pairs)
    assert {w.key: len(given_[w.key]) for w in works} == {101: 2, 102: 2, 103: 2, 104: 2}
    assert all(reviewer not in w.authors for w in works for reviewer in given_[w.key])


def test_the_load_is_spread_one_review_each_per_reviewer_slot() -> None:
    pairs = reviewers_assign(solo(1, 2, 3, 4, 5), {})
    load = [reviewer for _work, reviewer in pairs]
    assert sorted(load.count(p) for p in (1, 2, 3, 4, 5)) == [2, 2, 2, 2, 2]


def test_two_works_review_each_other_once() -> None:
    assert sorted(reviewers_assign(solo(1, 2), {})) == [(101, 2), (102, 1)]


def test_a_team_never_reviews_its_own_work() -> None:
    works = [
        Work(key=1, authors=frozenset({10, 11})),
        Work(key=2, authors=frozenset({20, 21, 22})),
        Work(key=3, authors=frozenset({30})),
    ]
    given_ = by_work(reviewers_assign(works, {}))
    for work in works:
        assert len(given_[work.key]) == 2
        assert not set(given_[work.key]) & work.authors


def test_assigning_again_keeps_what_exists_and_only_covers_new_works() -> None:
    first = reviewers_assign(solo(1, 2, 3), {})
    existing = by_work(first)
    assert reviewers_assign(solo(1, 2, 3), existing) == []
    later = reviewers_assign(solo(1, 2, 3, 4), existing)
    assert {work for work, _reviewer in later} == {104}
    assert len(later) == 2 and all(reviewer != 4 for _work, reviewer in later)


@settings(max_examples=80, deadline=None)
@given(
    teams=st.lists(st.integers(min_value=1, max_value=3), min_size=2, max_size=9),
    rounds=st.integers(min_value=1, max_value=2),
)
def test_property_assignment_is_fair_safe_and_idempotent(teams: list[int], rounds: int) -> None:
    people = iter(range(1, 100))
    works = [
        Work(key=i, authors=frozenset(next(people) for _ in range(n))) for i, n in enumerate(teams)
    ]
    # Assigned in two goes (works submitted later): still safe, complete and idempotent.
    existing = by_work(reviewers_assign(works[: max(2, len(works) - rounds)], {}))
    for work, reviewer in reviewers_assign(works, existing):
        existing.setdefault(work, []).append(reviewer)
    for work in works:
        reviewers = existing.get(work.key, [])
        outsiders = sum(len(w.authors) for w in works) - len(work.authors)
        assert len(reviewers) == min(2, outsiders)  # two when possible
        assert len(set(reviewers)) == len(reviewers)  # never twice the same person
        assert not set(reviewers) & work.authors  # never one's own work
    assert reviewers_assign(works, existing) == []  # idempotent


@settings(max_examples=80, deadline=None)
@given(count=st.integers(min_value=2, max_value=30))
def test_property_individual_works_assigned_at_once_share_the_load(count: int) -> None:
    works = solo(*range(1, count + 1))
    load = [reviewer for _work, reviewer in reviewers_assign(works, {})]
    counts = [load.count(person) for person in range(1, count + 1)]
    assert max(counts) - min(counts) <= 1  # nobody carries the others' share


def test_levels_are_checked_and_empty_means_no_opinion() -> None:
    known = {"DPA-CRIT", "DPA-ACT"}
    assert review_levels({"DPA-CRIT": " 3 ", "DPA-ACT": ""}, known=known, sending=True) == {
        "DPA-CRIT": 3
    }
    with pytest.raises(ValidationFailed, match="Critère inconnu"):
        review_levels({"DSL-DIAG": "2"}, known=known, sending=False)
    for wrong in ("5", "-1", "deux", "2.5"):
        with pytest.raises(ValidationFailed, match="0 à 4"):
            review_levels({"DPA-CRIT": wrong}, known=known, sending=False)


def test_a_review_is_sent_with_at_least_one_level_but_saved_without() -> None:
    known = {"DPA-CRIT"}
    assert review_levels({"DPA-CRIT": ""}, known=known, sending=False) == {}
    with pytest.raises(ValidationFailed, match="au moins un niveau"):
        review_levels({"DPA-CRIT": ""}, known=known, sending=True)


def test_the_comment_is_trimmed_and_bounded() -> None:
    assert review_comment("  Bien vu.  ") == "Bien vu."
    assert len(review_comment("x" * 5000)) == 2000


def test_the_summary_gives_the_median_per_criterion_and_the_comments() -> None:
    summary = summary_of(
        [
            SentReview(levels={"DPA-CRIT": 1, "DPA-ACT": 4}, comment="Avis 1"),
            SentReview(levels={"DPA-CRIT": 2}, comment=""),
            SentReview(levels={"DPA-CRIT": 4}, comment="Avis 3"),
        ]
    )
    assert summary.median("DPA-CRIT") == Decimal(2) and summary.count("DPA-CRIT") == 3
    assert summary.median("DPA-ACT") == Decimal(4)
    assert summary.median("DPA-NEG") is None and summary.count("DPA-NEG") == 0
    assert summary.comments == ["Avis 1", "Avis 3"]
