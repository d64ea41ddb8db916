"""What the inputs say, per criterion: observers' levels summarised (median, spread,
notes), the co-animators' self and partner grids (issue 8, "Debrief" and "Grading").

Read by the debrief (the team and the trainer see the synthesis) and by the trainer's
grading screen (the median is shown as a suggestion, domain.md §4.2). Inputs are never a
grade on their own: the trainer grades every criterion (domain.md §0 point 7).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.models import GridEntry, LiveSession, ObserverNote
from lti_tool.grading.rubric import peer_median

# (criterion code, co-animator pk, or None for a shared criterion: the whole team)
InputKey = tuple[str, int | None]


@dataclass
class CriterionInputs:
    criterion: str
    subject_pk: int | None
    observer_levels: list[int] = field(default_factory=list)
    observer_comments: list[str] = field(default_factory=list)
    notes: list[ObserverNote] = field(default_factory=list)
    self_level: int | None = None
    self_comment: str = ""
    partner_levels: list[int] = field(default_factory=list)
    partner_comments: list[str] = field(default_factory=list)

    @property
    def observer_median(self) -> Decimal | None:
        return peer_median(self.observer_levels)

    @property
    def observer_spread(self) -> tuple[int, int] | None:
        """(lowest, highest) level given by the observers."""
        if not self.observer_levels:
            return None
        return min(self.observer_levels), max(self.observer_levels)

    @property
    def observers(self) -> int:
        return len(self.observer_levels)


def session_inputs(session: LiveSession, brief: RolePlay) -> dict[InputKey, CriterionInputs]:
    """Every input of a session keyed by (criterion, co-animator or None when shared).

    A level given on a shared criterion about one co-animator counts for the team; a level
    given on an individual criterion without a subject is ignored (it says nothing about
    one student). Levels of "cannot say" (None) are not counted.
    """
    shared = {c.code for c in brief.criteria if c.shared}
    inputs: dict[InputKey, CriterionInputs] = {}

    def slot(code: str, subject_pk: int | None) -> CriterionInputs | None:
        if brief.criterion(code) is None:
            return None
        key: InputKey = (code, None if code in shared else subject_pk)
        if key[1] is None and code not in shared:
            return None
        if key not in inputs:
            inputs[key] = CriterionInputs(criterion=code, subject_pk=key[1])
        return inputs[key]

    for entry in GridEntry.objects.filter(session=session).order_by("pk"):
        item = slot(entry.criterion_code, entry.subject_id)
        if item is None:
            continue
        if entry.source == GridEntry.Source.OBSERVER:
            if entry.level is not None:
                item.observer_levels.append(entry.level)
            if entry.comment:
                item.observer_comments.append(entry.comment)
        elif entry.source == GridEntry.Source.SELF:
            item.self_level, item.self_comment = entry.level, entry.comment
        elif entry.source == GridEntry.Source.PARTNER:
            if entry.level is not None:
                item.partner_levels.append(entry.level)
            if entry.comment:
                item.partner_comments.append(entry.comment)
    for note in ObserverNote.objects.filter(session=session).order_by("noted_at", "pk"):
        if note.criterion_code:
            item = slot(note.criterion_code, note.subject_id)
            if item is not None:
                item.notes.append(note)
    return inputs


def notes_by_subject(session: LiveSession) -> dict[int | None, list[ObserverNote]]:
    """Every observer note of the session, by the co-animator it is about (None: general)."""
    grouped: dict[int | None, list[ObserverNote]] = defaultdict(list)
    for note in ObserverNote.objects.filter(session=session).order_by("noted_at", "pk"):
        grouped[note.subject_id].append(note)
    return dict(grouped)
