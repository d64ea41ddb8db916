"""The rubric engine shared by the written activities (DSL canvas, DPA case; domain.md §4.2,
§7.2, §8.2), as pure functions on plain data — built on the grading law in ``rules``.

A rubric is a list of criteria, each with five level descriptors (0..4) written by the
author and an optional ``auto`` flag (the criterion has an automatic part: dilemma cards,
DPA tagging). Grading one submission takes, per criterion:

* the trainer's level 0..4, or N/E (``None`` or absent): N/E leaves the denominator, and a
  domain whose criteria are all N/E gets no result (domain.md §4.1 point 3);
* an optional automatic score ``s_auto`` in [0, 1], blended at α — only for criteria flagged
  ``auto``, only inside that criterion (domain.md §4.2);
* optional peer levels: their median is shown to the trainer as a suggestion; a peer weight
  β (0 by default, at most 0.3) may blend it inside the criterion (domain.md §4.2).

Order of the blends: β first adjusts the human judgement with the peers'
(``s_h = (1−β)·level/4 + β·median/4``), then the automatic part comes in at α
(``s_c = (1−α)·s_h + α·s_auto``) so that α keeps exactly the meaning the author set: the
share of the automatic part in the criterion.

The trainer is the one who grades these kinds (domain.md §4.3): a criterion the trainer left
N/E stays N/E even when an automatic score or peer levels exist — they are inputs to the
trainer's judgement, never a grade on their own.

Each criterion's final ``s_c`` becomes one piece of Evidence ``earned = s_c × 4`` out of 4,
with ``earned`` rounded to the thousandth: that is what CriterionScore stores (3 decimals),
so the result computed here is exactly the one the services recompute from the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from lti_tool.grading.feedback import IndicatorReading, indicator_reading
from lti_tool.grading.rules import (
    ALPHA_MAX,
    RUBRIC_LEVEL_MAX,
    Criterion,
    DomainOutcome,
    Evidence,
    RuleError,
    blend,
    criteria_validate,
    domain_outcomes,
    level_evidence,
)

LEVELS = RUBRIC_LEVEL_MAX + 1  # five descriptors, levels 0..4
DEFAULT_ALPHA = Decimal("0.2")  # domain.md §7.2 / §8.2
DEFAULT_BETA = Decimal(0)
BETA_MAX = Decimal("0.3")
_LEVEL_MAX = Decimal(RUBRIC_LEVEL_MAX)
_EARNED_STEP = Decimal("0.001")  # CriterionScore.earned has 3 decimal places
_TWO = Decimal(2)


@dataclass(frozen=True)
class RubricCriterion:
    criterion: Criterion
    descriptors: tuple[str, ...]  # descriptors[level], level 0..4
    auto: bool = False

    @property
    def code(self) -> str:
        return self.criterion.code

    @property
    def domain(self) -> str:
        return self.criterion.domain


@dataclass(frozen=True)
class Rubric:
    criteria: tuple[RubricCriterion, ...]

    def criterion(self, code: str) -> RubricCriterion:
        for item in self.criteria:
            if item.code == code:
                return item
        raise RuleError(f"Critère inconnu de cette grille : {code}.")


@dataclass(frozen=True)
class CriterionGrade:
    """What the trainer and the student see for one criterion."""

    criterion: str
    domain: str
    level: int | None  # the trainer's level; None = N/E
    auto_score: Decimal | None
    peer_levels: tuple[int, ...]
    peer_suggestion: Decimal | None  # median of the peers' levels, on the 0..4 scale
    score: Decimal | None  # final s_c in [0, 1] as the law counts it; None = N/E
    reading: IndicatorReading | None  # acquis / en cours / non acquis; None = N/E
    comment: str = ""

    @property
    def not_assessed(self) -> bool:
        return self.score is None


@dataclass(frozen=True)
class RubricGrade:
    domains: dict[str, DomainOutcome]  # only domains with at least one assessed criterion
    criteria: tuple[CriterionGrade, ...]
    evidence: tuple[Evidence, ...]  # one piece per assessed criterion, for the services


def rubric_validate(
    rubric: Rubric, *, domains: Iterable[str], competences_of: dict[str, str] | None = None
) -> None:
    """A rubric must have criteria, each with exactly five non-empty descriptors, and pass the
    law's own checks (known domain, weight > 0, unique codes, competences of its domain)."""
    if not rubric.criteria:
        raise RuleError("Une grille doit comporter au moins un critère.")
    for item in rubric.criteria:
        if len(item.descriptors) != LEVELS:
            raise RuleError(
                f"Le critère {item.code} doit décrire exactement cinq niveaux (0 à 4), "
                f"il en décrit {len(item.descriptors)}."
            )
        for level, text in enumerate(item.descriptors):
            if not text.strip():
                raise RuleError(f"Le niveau {level} du critère {item.code} n'est pas décrit.")
    criteria_validate(
        [item.criterion for item in rubric.criteria],
        domains=domains,
        competences_of=competences_of,
    )


def peer_median(levels: Sequence[int]) -> Decimal | None:
    """Median of the peers' levels (0..4), halfway between the two middle ones when even."""
    if not levels:
        return None
    ordered = sorted(levels)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[middle])
    return (Decimal(ordered[middle - 1]) + Decimal(ordered[middle])) / _TWO


def _check_inputs(
    rubric: Rubric,
    *,
    levels: Mapping[str, int | None],
    auto_scores: Mapping[str, Decimal],
    peer_levels: Mapping[str, Sequence[int]],
    alpha: Decimal,
    beta: Decimal,
) -> None:
    known = {item.code for item in rubric.criteria}
    for code in (*levels, *auto_scores, *peer_levels):
        if code not in known:
            raise RuleError(f"Critère inconnu de cette grille : {code}.")
    if not Decimal(0) <= alpha <= ALPHA_MAX:
        raise RuleError(f"La part automatique α = {alpha} doit être comprise entre 0 et 0,5.")
    if not Decimal(0) <= beta <= BETA_MAX:
        raise RuleError(f"Le poids des pairs β = {beta} doit être compris entre 0 et 0,3.")
    for code, level in levels.items():
        if level is not None and (isinstance(level, bool) or not 0 <= level <= RUBRIC_LEVEL_MAX):
            raise RuleError(f"Niveau {level} hors de l'échelle 0–4 (critère {code}).")
    for code, score in auto_scores.items():
        if not rubric.criterion(code).auto:
            raise RuleError(
                f"Le critère {code} n'a pas de partie automatique : "
                "aucun score automatique ne peut s'y ajouter."
            )
        if not Decimal(0) <= score <= Decimal(1):
            raise RuleError(
                f"Le score automatique du critère {code} ({score}) doit être compris entre 0 et 1."
            )
    for code, peers in peer_levels.items():
        for level in peers:
            if isinstance(level, bool) or not 0 <= level <= RUBRIC_LEVEL_MAX:
                raise RuleError(f"Niveau de pair {level} hors de l'échelle 0–4 (critère {code}).")


def criterion_score(
    level: int,
    *,
    auto_score: Decimal | None = None,
    peer_suggestion: Decimal | None = None,
    alpha: Decimal = DEFAULT_ALPHA,
    beta: Decimal = DEFAULT_BETA,
) -> Decimal:
    """Final ``s_c`` of one criterion, rounded the way it is stored (earned to 0.001 of 4)."""
    human = Decimal(level) / _LEVEL_MAX
    if peer_suggestion is not None and beta:
        human = blend(human, peer_suggestion / _LEVEL_MAX, beta)  # β ≤ 0.3 < 0.5: law holds
    if auto_score is not None and alpha:
        human = blend(human, auto_score, alpha)
    earned = (human * _LEVEL_MAX).quantize(_EARNED_STEP, rounding=ROUND_HALF_UP)
    return earned / _LEVEL_MAX


def rubric_grade(
    rubric: Rubric,
    *,
    levels: Mapping[str, int | None],
    auto_scores: Mapping[str, Decimal] | None = None,
    peer_levels: Mapping[str, Sequence[int]] | None = None,
    alpha: Decimal = DEFAULT_ALPHA,
    beta: Decimal = DEFAULT_BETA,
    comments: Mapping[str, str] | None = None,
) -> RubricGrade:
    """Grade one submission on a rubric: per-criterion grades and per-domain outcomes.

    A criterion absent from ``levels`` (or mapped to None) is N/E. An ``auto`` criterion
    without an automatic score (the student skipped the dilemma card) is graded on the
    trainer's level alone.
    """
    auto_scores = auto_scores or {}
    peer_levels = peer_levels or {}
    comments = comments or {}
    _check_inputs(
        rubric,
        levels=levels,
        auto_scores=auto_scores,
        peer_levels=peer_levels,
        alpha=alpha,
        beta=beta,
    )
    evidence: list[Evidence] = []
    grades: list[CriterionGrade] = []
    for item in rubric.criteria:
        level = levels.get(item.code)
        auto = auto_scores.get(item.code)
        peers = tuple(peer_levels.get(item.code, ()))
        suggestion = peer_median(peers)
        comment = comments.get(item.code, "")
        score: Decimal | None = None
        if level is not None:
            score = criterion_score(
                level, auto_score=auto, peer_suggestion=suggestion, alpha=alpha, beta=beta
            )
            if score == Decimal(level) / _LEVEL_MAX:
                # Exactly the trainer's level: the law's own rubric evidence (level / 4).
                evidence.append(level_evidence(item.code, level, note=comment))
            else:
                evidence.append(
                    Evidence(
                        item.code,
                        score * _LEVEL_MAX,
                        _LEVEL_MAX,
                        source="trainer",
                        note=comment,
                    )
                )
        grades.append(
            CriterionGrade(
                criterion=item.code,
                domain=item.domain,
                level=level,
                auto_score=auto,
                peer_levels=peers,
                peer_suggestion=suggestion,
                score=score,
                reading=None if score is None else indicator_reading(score),
                comment=comment,
            )
        )
    outcomes = domain_outcomes([item.criterion for item in rubric.criteria], evidence)
    return RubricGrade(domains=outcomes, criteria=tuple(grades), evidence=tuple(evidence))
