"""The grading law, as pure functions on plain data (style rule 3; domain.md §4).

* A criterion belongs to exactly one domain (DC or BC); a domain's score uses its own
  criteria only. Nothing here, or anywhere, averages across domains.
* A criterion with no evidence is N/E (non évaluable) and leaves the denominator; a domain
  whose criteria are all N/E has no result — not 0.
* Criterion score ``s_c = Σ earned / Σ max`` over its evidence (rubric levels 0..4 have
  max 4; branching nodes award 0..3 points with a declared max per node, domain.md §4.2).
* Domain score ``S = 20 × Σ w_c·s_c / Σ w_c`` over assessed criteria, to 2 decimals.
* An ethics flag caps the flagged piece of evidence at 0 and forces a trainer's review of
  that criterion's domain only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

SCALE_MAX = Decimal(20)
RUBRIC_LEVEL_MAX = 4
ALPHA_MAX = Decimal("0.5")
_CENT = Decimal("0.01")


class ActivityKind(StrEnum):
    SCENARIO = "scenario"
    ROLEPLAY = "roleplay"
    DSL = "dsl"
    DPA = "dpa"


class ResultStatus(StrEnum):
    PROPOSED = "proposed"
    TO_REVIEW = "to_review"
    FINAL = "final"


class Reading(StrEnum):
    ACQUIRED = "acquis"
    FRAGILE = "fragile"
    NOT_ACQUIRED = "non_acquis"


class RuleError(ValueError):
    """Content that breaks the grading law (bad criterion, unknown reference)."""


@dataclass(frozen=True)
class Criterion:
    code: str
    domain: str
    weight: Decimal = Decimal(1)
    competences: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Evidence:
    """One observation toward one criterion: ``earned`` out of ``maximum``."""

    criterion: str
    earned: Decimal
    maximum: Decimal
    ethics_flag: bool = False
    source: str = "auto"
    note: str = ""


@dataclass(frozen=True)
class CriterionOutcome:
    criterion: str
    domain: str
    weight: Decimal
    earned: Decimal
    maximum: Decimal
    ratio: Decimal  # s_c in [0, 1]
    flagged: bool
    pieces: int


@dataclass(frozen=True)
class DomainOutcome:
    domain: str
    score_20: Decimal
    criteria: tuple[CriterionOutcome, ...]
    flagged: bool
    not_assessed: tuple[str, ...] = field(default=())

    @property
    def rule(self) -> str:
        """Plain-language account of how the score was produced, for the trainer."""
        parts = " + ".join(
            f"{c.weight}×{c.criterion} ({c.earned}/{c.maximum})" for c in self.criteria
        )
        total_weight = sum((c.weight for c in self.criteria), Decimal(0))
        text = f"{self.domain} = 20 × ({parts}) / {total_weight} = {self.score_20}"
        if self.not_assessed:
            text += f" ; N/E : {', '.join(self.not_assessed)}"
        return text


def criteria_validate(
    criteria: Sequence[Criterion],
    *,
    domains: Iterable[str],
    competences_of: dict[str, str] | None = None,
) -> None:
    """Check criteria against a framework: known domain, weight > 0, unique codes, and each
    competence belonging to the criterion's own domain (domain.md §9.1)."""
    known = set(domains)
    seen: set[str] = set()
    for criterion in criteria:
        if criterion.code in seen:
            raise RuleError(f"Critère {criterion.code} défini deux fois.")
        seen.add(criterion.code)
        if criterion.domain not in known:
            raise RuleError(
                f"Le critère {criterion.code} vise le domaine {criterion.domain}, absent du référentiel."
            )
        if criterion.weight <= 0:
            raise RuleError(f"Le poids du critère {criterion.code} doit être positif.")
        for competence in criterion.competences:
            owner = (competences_of or {}).get(competence)
            if competences_of is not None and owner is None:
                raise RuleError(f"Compétence {competence} inconnue (critère {criterion.code}).")
            if owner is not None and owner != criterion.domain:
                raise RuleError(
                    f"Le critère {criterion.code} ({criterion.domain}) cite la compétence "
                    f"{competence} d'un autre domaine ({owner})."
                )


def _criterion_outcome(criterion: Criterion, pieces: list[Evidence]) -> CriterionOutcome | None:
    if not pieces:
        return None  # N/E
    maximum = sum((p.maximum for p in pieces), Decimal(0))
    if maximum <= 0:
        return None
    # An ethics flag caps that piece of evidence at 0 (domain.md §4.2, "Red flags").
    earned = sum(
        (Decimal(0) if p.ethics_flag else min(p.earned, p.maximum) for p in pieces), Decimal(0)
    )
    earned = max(earned, Decimal(0))
    return CriterionOutcome(
        criterion=criterion.code,
        domain=criterion.domain,
        weight=criterion.weight,
        earned=earned,
        maximum=maximum,
        ratio=earned / maximum,
        flagged=any(p.ethics_flag for p in pieces),
        pieces=len(pieces),
    )


def domain_outcomes(
    criteria: Sequence[Criterion], evidence: Iterable[Evidence]
) -> dict[str, DomainOutcome]:
    """Per-domain results; a domain appears only if at least one of its criteria has evidence."""
    by_code = {c.code: c for c in criteria}
    pieces: dict[str, list[Evidence]] = {c.code: [] for c in criteria}
    for item in evidence:
        if item.criterion not in by_code:
            raise RuleError(f"Preuve pour un critère inconnu : {item.criterion}.")
        if item.maximum < 0 or item.earned < 0:
            raise RuleError(f"Points négatifs pour le critère {item.criterion}.")
        pieces[item.criterion].append(item)
    outcomes: dict[str, DomainOutcome] = {}
    for domain in dict.fromkeys(c.domain for c in criteria):
        own = [c for c in criteria if c.domain == domain]
        scored = [o for c in own if (o := _criterion_outcome(c, pieces[c.code])) is not None]
        if not scored:
            continue  # not assessed: no result at all, never 0
        weights = sum((o.weight for o in scored), Decimal(0))
        weighted = sum((o.weight * o.ratio for o in scored), Decimal(0))
        score = (SCALE_MAX * weighted / weights).quantize(_CENT, rounding=ROUND_HALF_UP)
        outcomes[domain] = DomainOutcome(
            domain=domain,
            score_20=score,
            criteria=tuple(scored),
            flagged=any(o.flagged for o in scored),
            not_assessed=tuple(c.code for c in own if c.code not in {o.criterion for o in scored}),
        )
    return outcomes


def level_evidence(
    criterion: str, level: int, *, source: str = "trainer", note: str = ""
) -> Evidence:
    """A rubric level 0..4 as evidence (s_c = level / 4)."""
    if not 0 <= level <= RUBRIC_LEVEL_MAX:
        raise RuleError(f"Niveau {level} hors de l'échelle 0–4 (critère {criterion}).")
    return Evidence(criterion, Decimal(level), Decimal(RUBRIC_LEVEL_MAX), source=source, note=note)


def blend(s_trainer: Decimal, s_auto: Decimal, alpha: Decimal) -> Decimal:
    """``(1−α)·s_trainer + α·s_auto`` inside one criterion, α in [0, 0.5] (domain.md §4.2)."""
    if not Decimal(0) <= alpha <= ALPHA_MAX:
        raise RuleError(f"α = {alpha} hors de [0 ; 0,5].")
    return (1 - alpha) * s_trainer + alpha * s_auto


def reading(score_20: Decimal) -> Reading:
    """≥ 10 acquired for this activity, 8–10 fragile, < 8 not acquired (domain.md §4.2)."""
    if score_20 >= 10:
        return Reading.ACQUIRED
    if score_20 >= 8:
        return Reading.FRAGILE
    return Reading.NOT_ACQUIRED


def initial_status(
    kind: ActivityKind, *, flagged: bool, review_requested: bool = False, complete: bool = True
) -> ResultStatus:
    """Where a freshly computed result starts (domain.md §4.3).

    Scenarios are final at once unless flagged or the author asked for review; every other
    kind waits for a trainer. A result computed before the work is complete (a draft, peers
    still observing) is only proposed.
    """
    if not complete:
        return ResultStatus.PROPOSED
    if kind == ActivityKind.SCENARIO and not flagged and not review_requested:
        return ResultStatus.FINAL
    return ResultStatus.TO_REVIEW


def trainer_must_finalise(kind: ActivityKind) -> bool:
    return kind != ActivityKind.SCENARIO
