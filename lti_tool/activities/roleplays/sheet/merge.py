"""Merging two members' concurrent edits of the sheet (pure): three-way, per section, per plan row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lti_tool.activities.roleplays.sheet.sections import PLAN, SECTION_KEYS, fields_normalised

# --- merging concurrent edits (pure) ---------------------------------------------------


@dataclass(frozen=True)
class Merge:
    """Three-way merge of a save started from ``base`` onto the sheet as it is now."""

    fields: dict[str, Any]  # the result; a conflicting section keeps the current value
    mine: frozenset[str]  # sections this save changes relative to its base
    theirs: frozenset[str]  # sections others changed since that base
    conflicts: tuple[str, ...]  # sections both changed incompatibly, in sheet order


def _three_way(base: Any, mine: Any, theirs: Any) -> tuple[Any, bool]:
    """(result, conflict) for one value."""
    if mine in (base, theirs):
        return theirs, False
    if theirs == base:
        return mine, False
    return theirs, True


def _row_order(
    base: list[str], mine: list[str], theirs: list[str], *, kept: set[str]
) -> list[str] | None:
    """Order of the merged rows, or None when both sides reordered differently."""
    common = [i for i in base if i in mine and i in theirs and i in kept]
    seq_m = [i for i in mine if i in common]
    seq_t = [i for i in theirs if i in common]
    if seq_m == common:
        primary, other = theirs, mine
    elif seq_t in (common, seq_m):
        primary, other = mine, theirs
    else:
        return None
    order = [i for i in primary if i in kept]
    for position, row_id in enumerate(other):
        if row_id in order or row_id not in kept:
            continue
        # A row only the other side added goes after its nearest predecessor there.
        before = next((p for p in reversed(other[:position]) if p in order), None)
        order.insert(order.index(before) + 1 if before else 0, row_id)
    return order


def plan_merge(
    base: Sequence[Mapping[str, Any]],
    mine: Sequence[Mapping[str, Any]],
    theirs: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]] | None:
    """Merge the plan row by row (rows keep their id); None when the same row was changed
    (or deleted and changed) on both sides, or both sides reordered the rows differently."""
    by = [{row["id"]: dict(row) for row in rows} for rows in (base, mine, theirs)]
    merged: dict[str, dict[str, Any]] = {}
    for row_id in dict.fromkeys([*by[0], *by[1], *by[2]]):
        value, conflict = _three_way(*(side.get(row_id) for side in by))
        if conflict:
            return None
        if value is not None:
            merged[row_id] = value
    order = _row_order(list(by[0]), list(by[1]), list(by[2]), kept=set(merged))
    if order is None:
        return None
    return [merged[row_id] for row_id in order]


def sheet_merge(
    *, base: Mapping[str, Any], mine: Mapping[str, Any], theirs: Mapping[str, Any]
) -> Merge:
    """Per section: what only one side changed wins; both changed alike is no conflict;
    both changed differently is a conflict (the plan is first merged per row)."""
    base, mine, theirs = (fields_normalised(f) for f in (base, mine, theirs))
    result: dict[str, Any] = {}
    conflicts: list[str] = []
    for key in SECTION_KEYS:
        value, conflict = _three_way(base[key], mine[key], theirs[key])
        if conflict and key == PLAN:
            rows = plan_merge(base[key], mine[key], theirs[key])
            value, conflict = (theirs[key], True) if rows is None else (rows, False)
        result[key] = value
        if conflict:
            conflicts.append(key)
    return Merge(
        fields=result,
        mine=frozenset(k for k in SECTION_KEYS if mine[k] != base[k]),
        theirs=frozenset(k for k in SECTION_KEYS if theirs[k] != base[k]),
        conflicts=tuple(conflicts),
    )
