"""Reads behind the trainer's course dashboard (one course, the launch's course only).

The matrix is students × domains, and inside each domain one column per activity that has
a result in it: a cell is the counting result of that student in that activity and that
domain. Nothing is ever summed or averaged across domains (domain.md §0 point 1, §4.1): no
total column, no overall figure, in the page as in the CSV export. The distribution charts
are per domain, drawn server-side as inline SVG with a table alternative.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from lti_tool.activities.models import KIND_CHOICES, Attempt, Placement
from lti_tool.grading.feedback import READING_LABELS
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import Reading, ResultStatus, reading
from lti_tool.lti.models import Context, LineItem, LtiUser, Membership, ResourceLink, RosterSync

KIND_LABELS = dict(KIND_CHOICES)
# Bars of 2 points: the reading thresholds (8 fragile, 10 acquired) fall on bar edges.
BIN_WIDTH = 2
BIN_COUNT = 10
CHART_WIDTH = 320
CHART_HEIGHT = 140
CHART_BASELINE = 120  # y of the axis; labels go below it


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
    links = (
        ResourceLink.objects.filter(context=context)
        .select_related("placement__activity_version__activity")
        .order_by("title", "resource_link_id")
    )
    placements = Placement.objects.filter(resource_link__context=context).annotate(
        n_attempts=Count("attempts", distinct=True),
        n_started=Count("attempts__lti_user", distinct=True),
        n_completed=Count(
            "attempts__lti_user",
            filter=Q(attempts__status=Attempt.Status.COMPLETED),
            distinct=True,
        ),
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


# --- the students × domains matrix -----------------------------------------------------


@dataclass(frozen=True)
class MatrixColumn:
    """One activity inside one domain."""

    domain_code: str
    resource_link_id: int
    activity_title: str


@dataclass(frozen=True)
class MatrixDomain:
    code: str
    title: str
    columns: list[MatrixColumn]


@dataclass(frozen=True)
class Cell:
    """``final`` shows the score; ``to_review``/``proposed`` wait for a trainer; ``none``:
    no result in this domain for this activity (not assessed is not zero)."""

    state: str
    domain_code: str = ""
    score_20: Decimal | None = None
    reading: Reading | None = None

    @property
    def reading_label(self) -> str:
        return str(READING_LABELS[self.reading]) if self.reading else ""


@dataclass(frozen=True)
class MatrixRow:
    student: LtiUser
    started: bool
    inactive: bool  # reported Inactive/Deleted by the platform at the last roster read
    cells: list[Cell]  # aligned with Matrix.columns


@dataclass(frozen=True)
class Matrix:
    domains: list[MatrixDomain]
    rows: list[MatrixRow]

    @property
    def columns(self) -> list[MatrixColumn]:
        return [column for domain in self.domains for column in domain.columns]

    @property
    def not_started(self) -> int:
        return sum(1 for row in self.rows if not row.started)


def _counting_results(context: Context) -> list[DomainResult]:
    """The results that count: of the counting assessment of each (student, activity),
    the newest when a platform replays one."""
    return list(
        DomainResult.objects.filter(
            assessment__resource_link__context=context, assessment__counts=True
        )
        .select_related("assessment__resource_link")
        .order_by("assessment__created_at", "pk")
    )


def _matrix_domains(results: list[DomainResult]) -> list[MatrixDomain]:
    titles: dict[str, str] = {}
    links: dict[str, dict[int, str]] = defaultdict(dict)
    for result in results:
        titles[result.domain_code] = titles.get(result.domain_code) or result.domain_title
        link = result.assessment.resource_link
        links[result.domain_code][link.pk] = link.title or result.assessment.activity_title
    return [
        MatrixDomain(
            code=code,
            title=titles[code],
            columns=[
                MatrixColumn(code, pk, title)
                for pk, title in sorted(links[code].items(), key=lambda item: (item[1], item[0]))
            ],
        )
        for code in sorted(titles)
    ]


def _cell(result: DomainResult) -> Cell:
    code = result.domain_code
    if result.status == ResultStatus.FINAL:
        score = result.score_20
        return Cell(state="final", domain_code=code, score_20=score, reading=reading(score))
    return Cell(state=str(result.status), domain_code=code)


def _students(context: Context, results: list[DomainResult]) -> list[LtiUser]:
    """Students on the roster (NRPS or launches) and anyone with a result in the course."""
    ids = set(
        Membership.objects.filter(context=context, is_student=True).values_list(
            "lti_user_id", flat=True
        )
    )
    ids.update(r.assessment.lti_user_id for r in results)
    return list(
        LtiUser.objects.filter(pk__in=ids).order_by("family_name", "given_name", "name", "pk")
    )


def _started_ids(context: Context, results: list[DomainResult]) -> set[int]:
    started = set(
        Attempt.objects.filter(placement__resource_link__context=context).values_list(
            "lti_user_id", flat=True
        )
    )
    started.update(r.assessment.lti_user_id for r in results)
    return started


def course_matrix(*, context: Context) -> Matrix:
    results = _counting_results(context)
    domains = _matrix_domains(results)
    by_cell: dict[tuple[int, str, int], Cell] = {}
    for result in results:  # oldest first: a newer counting result replaces an older one
        key = (
            result.assessment.lti_user_id,
            result.domain_code,
            result.assessment.resource_link_id,
        )
        by_cell[key] = _cell(result)
    started = _started_ids(context, results)
    sync = RosterSync.objects.filter(context=context).first()
    inactive = set(sync.inactive_subs) if sync else set()
    columns = [c for d in domains for c in d.columns]
    rows = [
        MatrixRow(
            student=student,
            started=student.pk in started,
            inactive=student.sub in inactive,
            cells=[
                by_cell.get(
                    (student.pk, c.domain_code, c.resource_link_id),
                    Cell(state="none", domain_code=c.domain_code),
                )
                for c in columns
            ],
        )
        for student in _students(context, results)
    ]
    return Matrix(domains=domains, rows=rows)


# --- per-domain distributions ----------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    low: int
    high: int
    count: int
    reading: Reading
    x: int
    y: int
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"

    @property
    def center(self) -> int:
        return self.x + self.width // 2

    @property
    def reading_label(self) -> str:
        return str(READING_LABELS[self.reading])


@dataclass(frozen=True)
class DomainChart:
    code: str
    title: str
    count: int
    bars: list[Bar]
    by_reading: list[tuple[str, str, int]]  # (reading value, label, count)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = CHART_BASELINE
    ticks: list[tuple[int, str]] = field(default_factory=list)  # (x, label)


def _bin(score: Decimal) -> int:
    return min(int(score // BIN_WIDTH), BIN_COUNT - 1)  # 20/20 goes in the last bar


def _bars(scores: list[Decimal]) -> list[Bar]:
    counts = [0] * BIN_COUNT
    for score in scores:
        counts[_bin(score)] += 1
    tallest = max(counts) or 1
    slot = CHART_WIDTH // BIN_COUNT
    bars = []
    for index, count in enumerate(counts):
        height = round(count * (CHART_BASELINE - 10) / tallest)
        low = index * BIN_WIDTH
        bars.append(
            Bar(
                low=low,
                high=low + BIN_WIDTH,
                count=count,
                reading=reading(Decimal(low)),
                x=index * slot + 2,
                y=CHART_BASELINE - height,
                width=slot - 4,
                height=height,
            )
        )
    return bars


def domain_charts(*, matrix: Matrix) -> list[DomainChart]:
    """One distribution per domain, of the final counting results (one per student and
    activity): never a chart, nor a figure, across domains."""
    charts = []
    offset = 0
    for domain in matrix.domains:
        width = len(domain.columns)
        scores = [
            cell.score_20
            for row in matrix.rows
            for cell in row.cells[offset : offset + width]
            if cell.state == "final" and cell.score_20 is not None
        ]
        offset += width
        by_reading = [
            (r.value, str(READING_LABELS[r]), sum(1 for s in scores if reading(s) == r))
            for r in (Reading.NOT_ACQUIRED, Reading.FRAGILE, Reading.ACQUIRED)
        ]
        slot = CHART_WIDTH // BIN_COUNT
        ticks = [(i * slot, str(i * BIN_WIDTH)) for i in range(0, BIN_COUNT + 1, 2)]
        charts.append(
            DomainChart(
                code=domain.code,
                title=domain.title,
                count=len(scores),
                bars=_bars(scores),
                by_reading=by_reading,
                ticks=ticks,
            )
        )
    return charts


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
    label: str
    activity_title: str
    own_column: bool  # the activity's own column, which Moodle names after the activity


def gradebook_columns(*, context: Context) -> list[GradebookColumn]:
    """The grade columns Atelier uses in this course, domain by domain, to tell the
    trainer which Moodle category each goes in (shared/moodle.md, Deep Linking)."""
    items = (
        LineItem.objects.filter(resource_link__context=context)
        .select_related("resource_link")
        .order_by("domain_code", "resource_link__title", "pk")
    )
    return [
        GradebookColumn(
            domain_code=item.domain_code,
            label=item.resource_link.title if not item.created_by_tool else item.label,
            activity_title=item.resource_link.title,
            own_column=not item.created_by_tool,
        )
        for item in items
    ]


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


# --- CSV export ------------------------------------------------------------------------


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is quoted as text
    (OWASP CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_score(cell: Cell) -> str:
    if cell.state == "final" and cell.score_20 is not None:
        # French spreadsheets read a decimal comma.
        return f"{cell.score_20.normalize():f}".replace(".", ",")
    if cell.state == ResultStatus.TO_REVIEW:
        return _("à valider")
    if cell.state == ResultStatus.PROPOSED:
        return _("en cours")
    return ""


def matrix_csv_rows(*, matrix: Matrix) -> list[list[str]]:
    """The matrix as rows for a semicolon CSV: a header row, one row per student, one
    column per (domain, activity); no total column (domains never compensate)."""
    header = [_("Nom"), _("Prénom"), _("Nom affiché"), _("Courriel"), _("Statut")]
    header += [f"{c.domain_code} — {c.activity_title}" for c in matrix.columns]
    rows: list[list[Any]] = [header]
    for row in matrix.rows:
        status = _("commencé") if row.started else _("pas commencé")
        if row.inactive:
            status += " " + _("(inscription inactive)")
        student = row.student
        rows.append(
            [
                _csv_safe(student.family_name),
                _csv_safe(student.given_name),
                _csv_safe(student.display_name),
                _csv_safe(student.email),
                status,
                *[_csv_score(cell) for cell in row.cells],
            ]
        )
    return rows
