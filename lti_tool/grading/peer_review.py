"""Optional peer review of written work, for every kind graded on a rubric (issue 9, "Shared:
rubric grading"; domain.md §4.2): two classmates who are not its authors read each submitted
work, anonymously, and give rubric levels and a comment. It is formative: the trainer sees
the median per criterion and the comments as input; the peer weight β stays 0, so the grade
is the trainer's alone.

Pure functions on plain data (style rule 3): each kind (DSL canvas, DPA case) keeps its own
review rows and hands these functions the ids and levels they need.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.grading.rubric import peer_median
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX

REVIEWERS = 2
COMMENT_MAX = 2000


@dataclass(frozen=True)
class Work:
    """A submitted work to review: its id and the people who wrote it (one student, or the
    members of a team)."""

    key: int
    authors: frozenset[int]


def reviewers_assign(
    works: Sequence[Work],
    existing: Mapping[int, Collection[int]],
    *,
    per_work: int = REVIEWERS,
) -> list[tuple[int, int]]:
    """The (work, reviewer) pairs to add so each work has up to ``per_work`` reviewers.

    Reviewers are the authors of the other works, taken in turn from the next works in the
    given order (so neighbours do not all review each other), least loaded first; nobody
    reviews a work they wrote, nor the same work twice. ``existing`` (work → reviewers
    already given) is kept and counted in the load: calling again adds nothing new.
    """
    load: dict[int, int] = {}
    for reviewers in existing.values():
        for reviewer in reviewers:
            load[reviewer] = load.get(reviewer, 0) + 1
    added: list[tuple[int, int]] = []
    for index, work in enumerate(works):
        have = set(existing.get(work.key, ()))
        others = [works[(index + step) % len(works)] for step in range(1, len(works))]
        candidates = list(dict.fromkeys(a for other in others for a in sorted(other.authors)))
        candidates = [c for c in candidates if c not in work.authors and c not in have]
        candidates.sort(key=lambda person: load.get(person, 0))  # stable: nearest works first
        for reviewer in candidates[: max(0, per_work - len(have))]:
            added.append((work.key, reviewer))
            load[reviewer] = load.get(reviewer, 0) + 1
    return added


def review_levels(
    raw: Mapping[str, str], *, known: Collection[str], sending: bool
) -> dict[str, int]:
    """A reviewer's levels as posted (criterion code → "0".."4", "" = no opinion), checked:
    codes of the rubric, levels 0..4, and at least one level before the review is sent."""
    chosen: dict[str, int] = {}
    for code, value in raw.items():
        if code not in known:
            raise ValidationFailed(_("Critère inconnu : %(code)s.") % {"code": code})
        value = value.strip()
        if value == "":
            continue
        if not value.isdigit() or not 0 <= int(value) <= RUBRIC_LEVEL_MAX:
            raise ValidationFailed(_("Niveau « %(level)s » inconnu : 0 à 4.") % {"level": value})
        chosen[code] = int(value)
    if sending and not chosen:
        raise ValidationFailed(_("Donnez au moins un niveau avant d'envoyer la relecture."))
    return chosen


def review_comment(text: str) -> str:
    return text.strip()[:COMMENT_MAX]


@dataclass(frozen=True)
class SentReview:
    """A review once sent, as the summary reads it."""

    levels: Mapping[str, int]
    comment: str = ""


@dataclass(frozen=True)
class PeerSummary:
    """What the trainer's screen shows of the reviews sent: the levels per criterion, their
    median, and the comments (no reviewer names anywhere)."""

    levels: dict[str, list[int]] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    def median(self, code: str) -> Decimal | None:
        return peer_median(self.levels.get(code, []))

    def count(self, code: str) -> int:
        return len(self.levels.get(code, []))


def peer_summary(reviews: Iterable[SentReview]) -> PeerSummary:
    summary = PeerSummary()
    for review in reviews:
        for code, level in review.levels.items():
            summary.levels.setdefault(code, []).append(int(level))
        if review.comment:
            summary.comments.append(review.comment)
    return summary
