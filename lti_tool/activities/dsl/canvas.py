"""The canvas's rules as pure functions: what a field may hold (word limits, table rows,
the Arnstein rung), the per-field three-way merge of concurrent saves, the automatic score
of the dilemma cards, and what a canvas needs before it can be submitted.

No ORM, no request: the services call these with the brief and plain JSON values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lti_tool.activities.dsl.content import (
    LADDER,
    NOTE,
    PHASING,
    POSTER,
    STAKEHOLDERS,
    DslBrief,
    Field,
)
from lti_tool.core.exceptions import ValidationFailed

ROWS_MAX = 20
CELL_MAX = 300
LEVEL_MIN, LEVEL_MAX = 1, 4  # power and interest, 1 (low) to 4 (high)
YEAR_MIN, YEAR_MAX = 1, 6  # project years
PHASING_YEARS_MIN = 2  # a multi-year phasing (domain.md §7.1, step 5)
_WORD = re.compile(r"\w+(?:['’-]\w+)*")

# Arnstein's ladder, bottom to top (domain.md §3.6): (id, label, group).
RUNGS: tuple[tuple[str, Any, Any], ...] = (
    ("manipulation", gettext_lazy("Manipulation"), gettext_lazy("non-participation")),
    ("therapie", gettext_lazy("Thérapie"), gettext_lazy("non-participation")),
    ("information", gettext_lazy("Information"), gettext_lazy("participation symbolique")),
    ("consultation", gettext_lazy("Consultation"), gettext_lazy("participation symbolique")),
    ("conciliation", gettext_lazy("Conciliation (apaisement)"),
     gettext_lazy("participation symbolique")),
    ("partenariat", gettext_lazy("Partenariat"), gettext_lazy("pouvoir effectif des citoyen·nes")),
    ("delegation", gettext_lazy("Délégation de pouvoir"),
     gettext_lazy("pouvoir effectif des citoyen·nes")),
    ("controle", gettext_lazy("Contrôle citoyen"), gettext_lazy("pouvoir effectif des citoyen·nes")),
)  # fmt: skip
RUNG_IDS = tuple(rung[0] for rung in RUNGS)
ENGAGEMENTS: tuple[tuple[str, Any], ...] = (
    ("opposant", gettext_lazy("opposant")),
    ("reserve", gettext_lazy("réservé")),
    ("neutre", gettext_lazy("neutre")),
    ("favorable", gettext_lazy("favorable")),
    ("moteur", gettext_lazy("moteur")),
)
ENGAGEMENT_IDS = tuple(e[0] for e in ENGAGEMENTS)
STAKEHOLDER_KEYS = ("actor", "role", "interest", "power", "engagement")
PHASING_KEYS = ("start", "end", "action", "who")


def word_count(text: str) -> int:
    """Words as a reader counts them: « l'habitant·e » and « aller-vers » are one each."""
    return len(_WORD.findall(text))


def rung_label(rung_id: str) -> str:
    return next((str(label) for rid, label, _group in RUNGS if rid == rung_id), "")


def engagement_label(engagement: str) -> str:
    return next((str(label) for eid, label in ENGAGEMENTS if eid == engagement), "")


# --- one field's value ---------------------------------------------------------------------


def empty_value(field: Field) -> Any:
    if field.type in (STAKEHOLDERS, PHASING):
        return []
    if field.type == LADDER:
        return {"rung": "", "justification": ""}
    return ""


def _text(value: Any, field: Field, what: str, limit: int | None) -> str:
    text = str(value or "").replace("\r\n", "\n").strip()
    if limit is not None and word_count(text) > limit:
        raise ValidationFailed(
            _("« %(field)s » : %(what)s dépasse la limite de %(limit)s mots (%(count)s mots).")
            % {"field": field.label, "what": what, "limit": limit, "count": word_count(text)}
        )
    # A word limit also bounds the characters: no single endless "word".
    if len(text) > (limit or 40) * 25 + 200:
        raise ValidationFailed(_("« %(field)s » est trop long.") % {"field": field.label})
    return text


def _level(raw: Any, field: Field, what: str, low: int, high: int) -> int | None:
    text = str(raw if raw is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValidationFailed(
            _("« %(field)s » : %(what)s doit être un nombre de %(low)s à %(high)s.")
            % {"field": field.label, "what": what, "low": low, "high": high}
        )
    return int(text)


def _rows(value: Any, field: Field) -> list[Mapping[str, Any]]:
    rows = value if isinstance(value, list) else []
    if not all(isinstance(row, Mapping) for row in rows):
        raise ValidationFailed(_("« %(field)s » : tableau illisible.") % {"field": field.label})
    kept = [row for row in rows if any(str(v or "").strip() for v in row.values())]
    if len(kept) > ROWS_MAX:
        raise ValidationFailed(
            _("« %(field)s » : %(max)s lignes au plus.") % {"field": field.label, "max": ROWS_MAX}
        )
    return kept


def _cell(row: Mapping[str, Any], key: str, field: Field) -> str:
    text = str(row.get(key) or "").strip()
    if len(text) > CELL_MAX:
        raise ValidationFailed(
            _("« %(field)s » : une case dépasse %(max)s caractères.")
            % {"field": field.label, "max": CELL_MAX}
        )
    return text


def _stakeholders(value: Any, field: Field) -> list[dict[str, Any]]:
    result = []
    for row in _rows(value, field):
        engagement = str(row.get("engagement") or "").strip()
        if engagement and engagement not in ENGAGEMENT_IDS:
            raise ValidationFailed(
                _("Niveau d'engagement inconnu : %(value)s.") % {"value": engagement}
            )
        result.append({
            "actor": _cell(row, "actor", field),
            "role": _cell(row, "role", field),
            "interest": _level(row.get("interest"), field, _("l'intérêt"), LEVEL_MIN, LEVEL_MAX),
            "power": _level(row.get("power"), field, _("le pouvoir"), LEVEL_MIN, LEVEL_MAX),
            "engagement": engagement,
        })  # fmt: skip
    return result


def _phasing(value: Any, field: Field) -> list[dict[str, Any]]:
    result = []
    for row in _rows(value, field):
        start = _level(row.get("start"), field, _("l'année de début"), YEAR_MIN, YEAR_MAX)
        end = _level(row.get("end"), field, _("l'année de fin"), YEAR_MIN, YEAR_MAX)
        if start is not None and end is not None and end < start:
            raise ValidationFailed(
                _("« %(field)s » : une action finit (année %(end)s) avant de commencer (année %(start)s).")
                % {"field": field.label, "end": end, "start": start}
            )  # fmt: skip
        result.append({"start": start, "end": end, "action": _cell(row, "action", field),
                       "who": _cell(row, "who", field)})  # fmt: skip
    return result


def value_clean(field: Field, value: Any) -> Any:
    """The value of ``field`` as stored, or ``ValidationFailed`` with a French sentence
    (word limits are enforced here, on the server, on every save)."""
    if field.type == STAKEHOLDERS:
        return _stakeholders(value, field)
    if field.type == PHASING:
        return _phasing(value, field)
    if field.type == LADDER:
        data = value if isinstance(value, Mapping) else {}
        rung = str(data.get("rung") or "").strip()
        if rung and rung not in RUNG_IDS:
            raise ValidationFailed(
                _("Échelon de participation inconnu : %(value)s.") % {"value": rung}
            )
        return {"rung": rung,
                "justification": _text(data.get("justification"), field, _("la justification"),
                                       field.words)}  # fmt: skip
    return _text(value, field, _("le texte"), field.words)


def fields_normalised(brief: DslBrief, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of the brief, stored values as they are, missing ones empty."""
    return {f.id: fields.get(f.id, empty_value(f)) for f in brief.fields}


# --- merging concurrent saves --------------------------------------------------------------


@dataclass(frozen=True)
class Merge:
    fields: dict[str, Any]  # the result; a conflicting field keeps the current value
    mine: frozenset[str]  # fields this save changes relative to its base
    theirs: frozenset[str]  # fields others changed since that base
    conflicts: tuple[str, ...]  # fields both changed differently, in brief order


def canvas_merge(
    *, order: Iterable[str], base: Mapping[str, Any], mine: Mapping[str, Any],
    theirs: Mapping[str, Any],
) -> Merge:  # fmt: skip
    """Three-way, per field: what only one side changed wins; both changed alike is no
    conflict; both changed differently is a conflict (nothing is silently overwritten)."""
    result: dict[str, Any] = {}
    conflicts: list[str] = []
    mine_changed: set[str] = set()
    theirs_changed: set[str] = set()
    for key in order:
        b, m, t = base.get(key), mine.get(key, base.get(key)), theirs.get(key)
        if m != b:
            mine_changed.add(key)
        if t != b:
            theirs_changed.add(key)
        if m in (b, t):
            result[key] = t
        elif t == b:
            result[key] = m
        else:
            result[key] = t
            conflicts.append(key)
    return Merge(result, frozenset(mine_changed), frozenset(theirs_changed), tuple(conflicts))


# --- dilemma cards -------------------------------------------------------------------------


def auto_scores(brief: DslBrief, choices: Mapping[str, str]) -> dict[str, Decimal]:
    """Criterion → automatic score in [0, 1] from the cards answered (card id → option id):
    the mean of the chosen levels / 4 over the answered cards that feed it. A criterion no
    answered card feeds has no automatic score (the trainer's level alone counts)."""
    levels: dict[str, list[int]] = {}
    for card in brief.dilemmas:
        option = card.option(choices.get(card.id, ""))
        if option is None:
            continue
        for code in card.criteria:
            levels.setdefault(code, []).append(option.scores[code])
    return {
        code: (Decimal(sum(found)) / Decimal(4 * len(found))).quantize(Decimal("0.0001"))
        for code, found in levels.items()
    }


# --- submission ----------------------------------------------------------------------------


def phasing_years(rows: Iterable[Mapping[str, Any]]) -> int:
    """How many project years the phasing spans (0 when no row has both years)."""
    spans = [(r["start"], r["end"]) for r in rows if r.get("start") and r.get("end")]
    if not spans:
        return 0
    return max(end for _s, end in spans) - min(start for start, _e in spans) + 1


def submission_gaps(brief: DslBrief, fields: Mapping[str, Any]) -> list[str]:
    """What blocks a submission, in French, in step order: the structured tools and the two
    step-8 documents (the PDF) must be there; free-text fields left empty are the
    student's choice, graded as such."""
    gaps: list[str] = []
    for step in brief.steps:
        for field in step.fields:
            value = fields.get(field.id, empty_value(field))
            if field.type == LADDER:
                if not value.get("rung") or not value.get("justification"):
                    gaps.append(_("Étape %(n)s : choisissez l'échelon visé et justifiez-le.")
                                % {"n": step.number})  # fmt: skip
            elif field.type == PHASING:
                if phasing_years(value) < PHASING_YEARS_MIN:
                    gaps.append(_("Étape %(n)s : le phasage doit couvrir au moins deux années.")
                                % {"n": step.number})  # fmt: skip
            elif field.type == STAKEHOLDERS:
                if not value:
                    gaps.append(_("Étape %(n)s : la carte des acteurs est vide.")
                                % {"n": step.number})  # fmt: skip
            elif field.type in (NOTE, POSTER) and not value:
                gaps.append(_("Étape %(n)s : « %(field)s » est vide.")
                            % {"n": step.number, "field": field.label})  # fmt: skip
    return gaps


# --- the step form (names shared by the HTML form, the autosave and the no-JS post) --------

BLANK_ROWS = 3  # empty rows offered under a table's filled ones


def _keys_of(field: Field) -> tuple[str, ...]:
    return STAKEHOLDER_KEYS if field.type == STAKEHOLDERS else PHASING_KEYS


def posted_values(fields: Iterable[Field], post: Mapping[str, Any]) -> dict[str, Any]:
    """The raw values of the step's fields present in a posted form (absent: unchanged)."""
    values: dict[str, Any] = {}
    for field in fields:
        name = f"f-{field.id}"
        if field.type in (STAKEHOLDERS, PHASING):
            count = str(post.get(f"{name}-rows", ""))
            if not count.isdigit():
                continue
            values[field.id] = [
                {key: post.get(f"{name}-{index}-{key}", "") for key in _keys_of(field)}
                for index in range(min(int(count), ROWS_MAX + BLANK_ROWS))
            ]
        elif field.type == LADDER:
            if f"{name}-rung" in post or f"{name}-justification" in post:
                values[field.id] = {
                    "rung": post.get(f"{name}-rung", ""),
                    "justification": post.get(f"{name}-justification", ""),
                }
        elif name in post:
            values[field.id] = post.get(name, "")
    return values


def form_values(field: Field, value: Any) -> dict[str, str]:
    """A stored value as the form's input names and texts (the autosave puts these back in
    the page after others' changes were merged in)."""
    name = f"f-{field.id}"
    if field.type in (STAKEHOLDERS, PHASING):
        flat = {f"{name}-rows": str(len(value) + BLANK_ROWS)}
        for index, row in enumerate(value):
            for key in _keys_of(field):
                cell = row.get(key)
                flat[f"{name}-{index}-{key}"] = "" if cell is None else str(cell)
        return flat
    if field.type == LADDER:
        return {f"{name}-rung": value.get("rung", ""),
                f"{name}-justification": value.get("justification", "")}  # fmt: skip
    return {name: str(value)}
