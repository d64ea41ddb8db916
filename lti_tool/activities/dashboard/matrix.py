"""The students × domains matrix of a course: inside each domain one column per activity
that has a result in it; a cell is the counting result of that student in that activity and
that domain. There is no total and no average across domains (domain.md §0 point 1)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from lti_tool.activities.models import Attempt
from lti_tool.grading.feedback import READING_LABELS
from lti_tool.grading.models import DomainResult
from lti_tool.grading.rules import Reading, ResultStatus, reading
from lti_tool.lti.models import Context, LtiUser, Membership, RosterSync


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
