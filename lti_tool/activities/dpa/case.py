"""A validated DPA case as the screens read it (texts in one language), its rubric for the
shared engine, and the automatic score of the tagging (issue 9; domain.md §8).

Pure: plain content in (what ``content.dpa_parse`` validated), dataclasses out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lti_tool.activities.content_yaml import local_text, rubric_criterion_read
from lti_tool.grading.rubric import DEFAULT_ALPHA, Rubric, RubricCriterion

DEFAULT_MINUTES = 90


# --- the automatic part ---------------------------------------------------------------------


def tagging_score(chosen: Collection[str], key: Collection[str]) -> Decimal:
    """``s_auto = max(0, (hits − wrong/2) / |key|)`` (issue 9; domain.md §8.3).

    A wrong tag (any tag outside the key) costs half a hit, so ticking everything never
    pays; the score is 0..1 and blends into the tagging criterion at α.
    """
    expected = set(key)
    if not expected:
        raise ValueError("La clé d'un cas DPA ne peut pas être vide.")
    ticked = set(chosen)
    hits = len(ticked & expected)
    wrong = len(ticked - expected)
    return max(Decimal(0), (Decimal(hits) - Decimal(wrong) / 2) / Decimal(len(expected)))


# --- reading validated content --------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    id: str
    text: str


@dataclass(frozen=True)
class Tag:
    id: str
    label: str
    expected: bool  # in the key; a distractor otherwise
    why: str = ""  # shown after submission


@dataclass(frozen=True)
class Prompt:
    prompt: str
    max_words: int


@dataclass(frozen=True)
class ImproveField:
    id: str
    axis: int
    label: str
    guidance: str
    max_words: int


@dataclass(frozen=True)
class DpaCase:
    """A validated case, texts in one language: what every screen of the case reads."""

    slug: str
    title: str
    summary: str
    languages: tuple[str, ...]
    training_unit: str
    framework_code: str
    framework_version: int
    estimated_minutes: int
    case_type: str
    alpha: Decimal
    situation: str
    professional: str
    initial_plan: tuple[Measure, ...]
    tags: tuple[Tag, ...]
    critique: Prompt
    improve: tuple[ImproveField, ...]
    self_critique: Prompt
    alternative_intro: str
    alternative_steps: tuple[str, ...]
    reflection: Prompt
    criteria: tuple[RubricCriterion, ...]  # descriptors 0..4; auto: the tagging blends in

    @property
    def collective(self) -> bool:
        return self.case_type == "collective"

    @property
    def key(self) -> tuple[str, ...]:
        return tuple(tag.id for tag in self.tags if tag.expected)

    @property
    def auto_criterion(self) -> RubricCriterion:
        return next(c for c in self.criteria if c.auto)

    def domains(self) -> list[str]:
        """Domains assessed, in the order of first appearance in the criteria."""
        return list(dict.fromkeys(c.domain for c in self.criteria))

    def criterion(self, code: str) -> RubricCriterion | None:
        return next((c for c in self.criteria if c.code == code), None)

    def rubric(self) -> Rubric:
        """The case's criteria as the shared rubric engine reads them."""
        return Rubric(self.criteria)

    def tagging_score(self, chosen: Collection[str]) -> Decimal:
        return tagging_score(chosen, self.key)


def _prompt(value: dict[str, Any], t: Any) -> Prompt:
    return Prompt(prompt=t(value["prompt"]), max_words=int(value["max_words"]))


def dpa_from_json(content: dict[str, Any], *, language: str = "fr") -> DpaCase:
    """A case from validated content, texts in ``language`` when the case has it."""
    languages = tuple(content.get("languages") or ("fr",))
    default = languages[0]
    lang = language if language in languages else default

    def t(value: Any) -> str:
        return local_text(value, lang, default)

    key = set(content["key"])
    return DpaCase(
        slug=content["slug"],
        title=t(content["title"]),
        summary=t(content["summary"]),
        languages=languages,
        training_unit=content.get("training_unit", ""),
        framework_code=content["framework"]["code"],
        framework_version=int(content["framework"]["version"]),
        estimated_minutes=int(content.get("estimated_minutes", DEFAULT_MINUTES)),
        case_type=content["case_type"],
        alpha=Decimal(str(content.get("alpha", DEFAULT_ALPHA))),
        situation=t(content["situation"]),
        professional=t(content["professional"]),
        initial_plan=tuple(Measure(m["id"], t(m["measure"])) for m in content["initial_plan"]),
        tags=tuple(
            Tag(id=g["id"], label=t(g["label"]), expected=g["id"] in key, why=t(g.get("why")))
            for g in content["tags"]
        ),
        critique=_prompt(content["critique"], t),
        improve=tuple(
            ImproveField(
                id=f["id"],
                axis=int(f["axis"]),
                label=t(f["label"]),
                guidance=t(f["guidance"]),
                max_words=int(f["max_words"]),
            )
            for f in content["improve"]
        ),
        self_critique=_prompt(content["self_critique"], t),
        alternative_intro=t(content["alternative_plan"]["intro"]),
        alternative_steps=tuple(t(s) for s in content["alternative_plan"]["steps"]),
        reflection=_prompt(content["reflection"], t),
        criteria=tuple(rubric_criterion_read(item, t) for item in content["criteria"]),
    )
