"""Reading the preparation sheet: the page, the history, the trainer's grading screen."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.models import (
    PreparationSheet,
    RolePlaySetup,
    Team,
    TeamMember,
)
from lti_tool.activities.roleplays.sheet.sections import (
    PLAN,
    SECTIONS,
    fields_normalised,
    leads_missing,
    section_label,
)
from lti_tool.core.exceptions import NotFound

# --- reading the sheet (selectors) -----------------------------------------------------


@dataclass(frozen=True)
class CommentView:
    author: str
    section: str  # "" for the whole sheet
    section_label: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class PlanRowView:
    id: str
    start: int  # minute the sequence starts, from the durations of the rows above
    duration: int | None
    title: str
    lead_id: int | None
    lead: str
    support_ids: tuple[int, ...]
    support: tuple[str, ...]
    technique: str


@dataclass(frozen=True)
class SectionView:
    key: str
    label: str
    help: str
    kind: str
    max_length: int
    value: str  # text sections
    rows: tuple[PlanRowView, ...]  # the plan
    comments: tuple[CommentView, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.value.strip() or self.rows)


@dataclass(frozen=True)
class MemberView:
    id: int  # the LtiUser pk, as stored in plan rows
    name: str


@dataclass(frozen=True)
class SheetView:
    """The sheet as screens show it: the team's page, the history, the trainer's grading."""

    team_id: int
    team_name: str
    revision: int
    sections: tuple[SectionView, ...]
    members: tuple[MemberView, ...]
    last_author: str | None
    last_saved_at: datetime | None
    general_comments: tuple[CommentView, ...]
    comments: tuple[CommentView, ...]
    leads_missing: tuple[str, ...]  # names of co-animators who lead no sequence yet
    due_at: datetime | None
    locked: bool
    fields: dict[str, Any]  # the raw snapshot (JSON for the page's script)

    @property
    def plan_rows(self) -> tuple[PlanRowView, ...]:
        return next(s.rows for s in self.sections if s.kind == "plan")

    @property
    def member_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.members)

    @property
    def total_minutes(self) -> int:
        return sum(row.duration or 0 for row in self.plan_rows)


def sheet_member_ids(team: Team) -> list[int]:
    """Who may lead or support a sequence: the team's co-animators (LtiUser pks)."""
    return list(TeamMember.objects.filter(team=team).values_list("lti_user_id", flat=True))


def _member_names(team: Team) -> dict[int, str]:
    members = TeamMember.objects.filter(team=team).select_related("lti_user")
    return {m.lti_user_id: m.lti_user.display_name for m in members}


def _plan_rows(
    plan: Sequence[Mapping[str, Any]], names: Mapping[int, str]
) -> tuple[PlanRowView, ...]:
    def name(pk: int | None) -> str:
        return "" if pk is None else names.get(pk, _("ancien membre"))

    rows, start = [], 0
    for row in plan:
        support = tuple(row.get("support") or ())
        rows.append(
            PlanRowView(
                id=row["id"],
                start=start,
                duration=row.get("duration"),
                title=row.get("title", ""),
                lead_id=row.get("lead"),
                lead=name(row.get("lead")),
                support_ids=support,
                support=tuple(name(pk) for pk in support),
                technique=row.get("technique", ""),
            )
        )
        start += row.get("duration") or 0
    return tuple(rows)


def _comment_views(sheet: PreparationSheet) -> tuple[CommentView, ...]:
    return tuple(
        CommentView(
            author=c.author.display_name if c.author else _("formateur·rice"),
            section=c.section,
            section_label=section_label(c.section) if c.section else "",
            text=c.text,
            created_at=c.created_at,
        )
        for c in sheet.comments.select_related("author")
    )


def sheet_of(team: Team) -> PreparationSheet:
    """The team's sheet, created empty on first use."""
    sheet, _created = PreparationSheet.objects.get_or_create(team=team)
    return sheet


def sheet_due_at(team: Team) -> datetime | None:
    setup = RolePlaySetup.objects.filter(placement_id=team.placement_id).first()
    return setup.preparation_due_at if setup else None


def sheet_is_locked(due_at: datetime | None) -> bool:
    return due_at is not None and timezone.now() >= due_at


def _sections(
    fields: Mapping[str, Any], names: Mapping[int, str], comments: tuple[CommentView, ...]
) -> tuple[SectionView, ...]:
    return tuple(
        SectionView(
            key=s.key,
            label=str(s.label),
            help=str(s.help),
            kind=s.kind,
            max_length=s.max_length,
            value=fields[s.key] if s.kind == "text" else "",
            rows=_plan_rows(fields[s.key], names) if s.kind == "plan" else (),
            comments=tuple(c for c in comments if c.section == s.key),
        )
        for s in SECTIONS
    )


def sheet_view_with_fields(view: SheetView, fields: Mapping[str, Any]) -> SheetView:
    """``view`` showing other values (a form sent back after a conflict, another member's
    version): same team, revision and comments."""
    names = {m.id: m.name for m in view.members}
    fields = fields_normalised(fields)
    return replace(
        view,
        sections=_sections(fields, names, view.comments),
        fields=fields,
        leads_missing=tuple(names[pk] for pk in leads_missing(fields[PLAN], names)),
    )


def sheet_view(team: Team, *, revision: int | None = None) -> SheetView:
    """The sheet of ``team`` with labels, plan rows, last author and the trainer's comments;
    ``revision``: a past state from the history instead (without comments)."""
    sheet = sheet_of(team)
    names = _member_names(team)
    last = sheet.revisions.select_related("author").order_by("-number")
    comments: tuple[CommentView, ...] = ()
    if revision is not None and revision != sheet.revision:
        shown = last.filter(number=revision).first()
        if shown is None:
            raise NotFound(_("Cette version de la fiche n'existe pas."))
        fields = fields_normalised(shown.fields)
    else:
        shown = last.first()
        fields, comments = fields_normalised(sheet.fields), _comment_views(sheet)
    due_at = sheet_due_at(team)
    sections = _sections(fields, names, comments)
    return SheetView(
        team_id=team.pk,
        team_name=team.name,
        revision=shown.number if shown else 0,
        sections=sections,
        members=tuple(MemberView(pk, name) for pk, name in names.items()),
        last_author=(shown.author.display_name if shown and shown.author else None),
        last_saved_at=shown.created_at if shown else None,
        general_comments=tuple(c for c in comments if not c.section),
        comments=comments,
        leads_missing=tuple(names[pk] for pk in leads_missing(fields[PLAN], names)),
        due_at=due_at,
        locked=sheet_is_locked(due_at),
        fields=fields,
    )


@dataclass(frozen=True)
class RevisionView:
    number: int
    author: str
    created_at: datetime
    changed: tuple[str, ...]  # section labels


def sheet_revisions(team: Team) -> list[RevisionView]:
    """The history, newest first."""
    revisions = sheet_of(team).revisions.select_related("author").order_by("-number")
    return [
        RevisionView(
            number=r.number,
            author=r.author.display_name if r.author else "—",
            created_at=r.created_at,
            changed=tuple(section_label(key) for key in r.changed),
        )
        for r in revisions
    ]
