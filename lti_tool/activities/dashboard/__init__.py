"""Reads behind the trainer's course dashboard (one course, the launch's course only).

The matrix (matrix.py) is students × domains × activities of final results; the charts
(charts.py) are per domain; the CSV (export.py) is the matrix. Nothing is ever summed or
averaged across domains (domain.md §0 point 1, §4.1): no total column, no overall figure,
in the page as in the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from lti_tool.activities.dashboard.charts import DomainChart, domain_charts
from lti_tool.activities.dashboard.export import matrix_csv_rows
from lti_tool.activities.dashboard.matrix import Matrix, course_matrix
from lti_tool.activities.models import KIND_CHOICES, Attempt, Placement
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import ResultStatus
from lti_tool.lti.models import Context, LineItem, ResourceLink, RosterSync

KIND_LABELS = dict(KIND_CHOICES)

__all__ = ["CourseDashboard", "course_dashboard", "course_matrix", "matrix_csv_rows"]


# --- placed activities -----------------------------------------------------------------


@dataclass(frozen=True)
class PlacedActivity:
    link: ResourceLink
    title: str
    kind: str  # the kind's label, "" when the link is not bound to an activity yet
    version: int | None
    domains: list[str]
    attempts: int
    students_started: int
    students_completed: int

    @property
    def bound(self) -> bool:
        return self.version is not None


def placed_activities(*, context: Context) -> list[PlacedActivity]:
    """Every link of the course, bound or not, with attempt counts per placement."""
    links = ResourceLink.objects.filter(context=context).order_by("title", "resource_link_id")
    placements = (
        Placement.objects.filter(resource_link__context=context)
        .select_related("activity_version__activity")
        .annotate(
            n_attempts=Count("attempts", distinct=True),
            n_started=Count("attempts__lti_user", distinct=True),
            n_completed=Count(
                "attempts__lti_user",
                filter=Q(attempts__status=Attempt.Status.COMPLETED),
                distinct=True,
            ),
        )
    )
    counts = {p.resource_link_id: p for p in placements}
    rows = []
    for link in links:
        placement = counts.get(link.pk)
        version = placement.activity_version if placement else None
        rows.append(
            PlacedActivity(
                link=link,
                title=link.title or (version.title if version else link.resource_link_id),
                kind=str(KIND_LABELS.get(version.activity.kind, "")) if version else "",
                version=version.version if version else None,
                domains=list(version.domains) if version else [],
                attempts=placement.n_attempts if placement else 0,
                students_started=placement.n_started if placement else 0,
                students_completed=placement.n_completed if placement else 0,
            )
        )
    return rows


# --- waiting work, roster state, gradebook columns -------------------------------------


@dataclass(frozen=True)
class RosterState:
    available: bool  # the launches gave a memberships URL
    synced_at: datetime | None
    members: int
    error: str  # the last failure, when it is newer than the last success
    failed_at: datetime | None


def roster_state(*, context: Context) -> RosterState:
    sync = RosterSync.objects.filter(context=context).first()
    failed_later = bool(
        sync and sync.failed_at and (not sync.synced_at or sync.failed_at > sync.synced_at)
    )
    return RosterState(
        available=bool(context.nrps_memberships_url),
        synced_at=sync.synced_at if sync else None,
        members=sync.members_count if sync else 0,
        error=sync.last_error if sync and failed_later else "",
        failed_at=sync.failed_at if sync and failed_later else None,
    )


@dataclass(frozen=True)
class GradebookColumn:
    domain_code: str
    label: str  # "" for a column Atelier has not created yet
    activity_title: str
    own_column: bool  # the activity's own column, which Moodle names after the activity
    planned: bool = False  # not seen on the platform yet: made at the first grade sent


def _planned_columns(context: Context, seen: set[tuple[int, str]]) -> list[GradebookColumn]:
    """Columns of placed activities that no grade has reached yet: the first domain goes
    to the activity's own column, each other one to a column Atelier creates (design.md §4)."""
    placements = Placement.objects.filter(resource_link__context=context).select_related(
        "resource_link", "activity_version"
    )
    columns = []
    for placement in placements:
        link = placement.resource_link
        domains = [
            d for d in placement.activity_version.domains if d not in placement.disabled_domains
        ]
        for index, code in enumerate(domains):
            if (link.pk, code) in seen:
                continue
            columns.append(
                GradebookColumn(
                    domain_code=code,
                    label=link.title if index == 0 else "",
                    activity_title=link.title,
                    own_column=index == 0,
                    planned=True,
                )
            )
    return columns


def gradebook_columns(*, context: Context) -> list[GradebookColumn]:
    """The grade columns Atelier uses in this course, domain by domain, to tell the
    trainer which Moodle category each goes in (shared/moodle.md, Deep Linking): those on
    the platform already, and those the placed activities will need."""
    items = list(
        LineItem.objects.filter(resource_link__context=context).select_related("resource_link")
    )
    columns = [
        GradebookColumn(
            domain_code=item.domain_code,
            label=item.resource_link.title if not item.created_by_tool else item.label,
            activity_title=item.resource_link.title,
            own_column=not item.created_by_tool,
        )
        for item in items
    ]
    seen = {(item.resource_link_id, item.domain_code) for item in items}
    columns += _planned_columns(context, seen)
    return sorted(columns, key=lambda c: (c.domain_code, c.activity_title, not c.own_column))


@dataclass(frozen=True)
class CourseDashboard:
    context: Context
    activities: list[PlacedActivity]
    matrix: Matrix
    charts: list[DomainChart]
    to_review: int
    failed_passbacks: int
    roster: RosterState
    columns: list[GradebookColumn]


def course_dashboard(*, context: Context) -> CourseDashboard:
    matrix = course_matrix(context=context)
    in_course = Q(assessment__resource_link__context=context)
    failed = (
        Passback.objects.filter(
            status=Passback.Status.FAILED, result__assessment__resource_link__context=context
        )
        .order_by()  # no Meta.ordering column inside the DISTINCT
        .values("result_id")
        .distinct()
        .count()
    )
    return CourseDashboard(
        context=context,
        activities=placed_activities(context=context),
        matrix=matrix,
        charts=domain_charts(matrix=matrix),
        to_review=DomainResult.objects.filter(in_course, status=ResultStatus.TO_REVIEW).count(),
        failed_passbacks=failed,
        roster=roster_state(context=context),
        columns=gradebook_columns(context=context),
    )
