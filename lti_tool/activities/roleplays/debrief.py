"""Debrief and written follow-up of a co-animated session (issue 8; domain.md §6.1 steps 4
and 5): the co-animators' self and partner grids, their feedback to each other, the
observers' synthesis shown without names, and each co-animator's session report (DC3,
CA-TRANS) and reflexive analysis (DC1.2, CA-REFL).

Selectors read, services write (style rule 2); the text rules (word limit, names that may
identify someone) are pure and live in ``writing.py``. Everything here is input for the
trainer, never a grade (domain.md §0 point 7): no domain result is read or shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lti_tool.activities.roleplays.models import LiveSession, SessionReport, TeamMember
from lti_tool.lti.models import LtiUser

# --- reports: read by the report page and by the trainer's grading screen -------------------


@dataclass(frozen=True)
class ReportFlag:
    """A trainer's "not anonymised" flag. Kept after it is lifted (``active`` False) so that
    the author and the trainer still see who flagged the report and why."""

    by: LtiUser | None
    reason: str
    at: datetime | None
    active: bool


@dataclass(frozen=True)
class ReportItem:
    """One co-animator's written follow-up; empty texts when they have not started it."""

    author: LtiUser
    report: str
    reflection: str
    submitted_at: datetime | None
    flag: ReportFlag | None  # the current flag, None when the report is not flagged
    previous_flag: ReportFlag | None  # a flag lifted since (author resubmitted or trainer)
    revision: int
    updated_at: datetime | None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def started(self) -> bool:
        return self.revision > 0


def _flags(row: SessionReport) -> tuple[ReportFlag | None, ReportFlag | None]:
    if row.flagged_by_id is None and not row.flag_reason:
        return None, None
    flag = ReportFlag(
        by=row.flagged_by,
        reason=row.flag_reason,
        at=row.flagged_at,
        active=row.flagged_at is not None,
    )
    return (flag, None) if flag.active else (None, flag)


def report_item(author: LtiUser, row: SessionReport | None) -> ReportItem:
    if row is None:
        return ReportItem(author, "", "", None, None, None, 0, None)
    flag, previous = _flags(row)
    return ReportItem(
        author=author,
        report=row.report,
        reflection=row.reflection,
        submitted_at=row.submitted_at,
        flag=flag,
        previous_flag=previous,
        revision=row.revision,
        updated_at=row.updated_at if row.revision else None,
    )


def reports_of(session: LiveSession) -> list[ReportItem]:
    """Every co-animator's follow-up, in the team's order (one item per member, empty when
    not started), then any report of someone no longer in the team.

    The trainer's view: it holds the reflexive analysis, which only its author and the
    trainer may read (``report_page_of`` filters it for teammates).
    """
    rows = {
        row.author_id: row
        for row in SessionReport.objects.filter(session=session).select_related(
            "author", "flagged_by"
        )
    }
    members = TeamMember.objects.filter(team_id=session.team_id).select_related("lti_user")
    items = [report_item(m.lti_user, rows.pop(m.lti_user_id, None)) for m in members]
    items.extend(report_item(row.author, row) for row in rows.values())
    return items
