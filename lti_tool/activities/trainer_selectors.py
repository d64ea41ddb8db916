"""Reads behind the trainer's view of one placed scenario: attempts and completion, the
choices the group made at each decision, the spread of results per domain (each domain on
its own: never a total, domain.md §0 point 1) and one student's path.

Everything is scoped to the course of the trainer's launch (design.md §6).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.db.models import Prefetch, QuerySet

from lti_tool.activities.models import Attempt, Decision, Placement
from lti_tool.activities.scenarios import engine
from lti_tool.activities.selectors import (
    DomainLine,
    PathStep,
    domain_lines,
    domain_titles,
    path_steps,
    scenario_of,
)
from lti_tool.core.exceptions import NotFound
from lti_tool.grading.models import DomainResult
from lti_tool.grading.rules import ResultStatus
from lti_tool.lti.models import Context, LtiUser, Membership


@dataclass(frozen=True)
class ChoiceShare:
    choice_id: str
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class NodeDistribution:
    node_id: str
    title: str
    answered: int
    choices: list[ChoiceShare]


@dataclass(frozen=True)
class Bucket:
    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class DomainDistribution:
    code: str
    title: str
    count: int
    waiting: int
    minimum: Decimal | None
    median: Decimal | None
    maximum: Decimal | None
    buckets: list[Bucket]


@dataclass(frozen=True)
class StudentRow:
    student: LtiUser
    attempts: list[Attempt]
    counting: list[DomainLine] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return sum(1 for a in self.attempts if a.status == Attempt.Status.COMPLETED)


@dataclass(frozen=True)
class PlacementOverview:
    placement: Placement
    scenario: engine.Scenario
    started: int
    completed: int
    students_started: int
    students_completed: int
    students_total: int
    nodes: list[NodeDistribution]
    domains: list[DomainDistribution]
    students: list[StudentRow]

    @property
    def completion_percent(self) -> int:
        return _percent(self.completed, self.started)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def trainer_placement_get(*, context: Context, resource_link_pk: int) -> Placement:
    """A placement of this course; another course's is "not found" for this trainer."""
    placement = (
        Placement.objects.filter(resource_link_id=resource_link_pk, resource_link__context=context)
        .select_related("activity_version__activity", "resource_link__context")
        .first()
    )
    if placement is None:
        raise NotFound("Aucun scénario n'est placé sur cette activité de ce cours.")
    return placement


def course_placements(*, context: Context) -> dict[int, Placement]:
    """Placements of the course by resource link pk (the course page lists them)."""
    placements = Placement.objects.filter(resource_link__context=context).select_related(
        "activity_version__activity"
    )
    return {p.resource_link_id: p for p in placements}


def _node_distributions(
    scenario: engine.Scenario, decisions: QuerySet[Decision]
) -> list[NodeDistribution]:
    counts = Counter(
        (d["node_id"], d["choice_id"]) for d in decisions.values("node_id", "choice_id")
    )
    rows = []
    for node in scenario.nodes.values():
        if node.kind != "decision":
            continue
        answered = sum(n for (node_id, _c), n in counts.items() if node_id == node.id)
        rows.append(
            NodeDistribution(
                node_id=node.id,
                title=node.title,
                answered=answered,
                choices=[
                    ChoiceShare(
                        choice_id=c.id,
                        label=c.label,
                        count=counts[(node.id, c.id)],
                        percent=_percent(counts[(node.id, c.id)], answered),
                    )
                    for c in node.choices
                ],
            )
        )
    return rows


# Buckets on /20 that follow the readings (< 8 non acquis, 8–10 fragile, ≥ 10 acquis).
BUCKETS: tuple[tuple[str, Decimal, Decimal], ...] = (
    ("0 – 4", Decimal(0), Decimal(4)),
    ("4 – 8", Decimal(4), Decimal(8)),
    ("8 – 10", Decimal(8), Decimal(10)),
    ("10 – 12", Decimal(10), Decimal(12)),
    ("12 – 16", Decimal(12), Decimal(16)),
    ("16 – 20", Decimal(16), Decimal("20.01")),
)


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _domain_distribution(code: str, title: str, results: list[DomainResult]) -> DomainDistribution:
    final = [r.score_20 for r in results if r.status == ResultStatus.FINAL]
    buckets = [
        Bucket(label, n := sum(1 for s in final if low <= s < high), _percent(n, len(final)))
        for label, low, high in BUCKETS
    ]
    return DomainDistribution(
        code=code,
        title=title,
        count=len(final),
        waiting=len(results) - len(final),
        minimum=min(final) if final else None,
        median=_cents(Decimal(str(median(final)))) if final else None,
        maximum=max(final) if final else None,
        buckets=buckets,
    )


def _domain_distributions(placement: Placement) -> list[DomainDistribution]:
    """Per domain, the results of the attempt that counts for each student."""
    results = list(
        DomainResult.objects.filter(
            assessment__attempt__placement=placement, assessment__counts=True
        ).order_by("domain_code")
    )
    titles = domain_titles(placement.activity_version)
    codes = [c for c in placement.activity_version.domains if c not in placement.disabled_domains]
    codes += sorted({r.domain_code for r in results} - set(codes))
    return [
        _domain_distribution(
            code, titles.get(code, code), [r for r in results if r.domain_code == code]
        )
        for code in codes
    ]


def _student_rows(placement: Placement, attempts: list[Attempt]) -> list[StudentRow]:
    by_student: dict[int, list[Attempt]] = {}
    for attempt in attempts:
        by_student.setdefault(attempt.lti_user_id, []).append(attempt)
    members = (
        Membership.objects.filter(context=placement.resource_link.context, is_student=True)
        .select_related("lti_user")
        .order_by("lti_user__family_name", "lti_user__given_name", "lti_user__name", "pk")
    )
    students = {m.lti_user_id: m.lti_user for m in members}
    for attempt in attempts:  # a student who played but is no longer listed as a member
        students.setdefault(attempt.lti_user_id, attempt.lti_user)
    rows = []
    for user_pk, student in students.items():
        own = by_student.get(user_pk, [])
        counting = next((a for a in own if a.assessment and a.assessment.counts), None)
        rows.append(
            StudentRow(
                student=student,
                attempts=own,
                counting=domain_lines(counting) if counting else [],
            )
        )
    return rows


def placement_overview(*, placement: Placement, language: str) -> PlacementOverview:
    scenario = scenario_of(placement.activity_version, language=language)
    attempts = list(
        Attempt.objects.filter(placement=placement)
        .select_related("lti_user", "assessment", "activity_version")
        .order_by("lti_user_id", "number")
    )
    completed = [a for a in attempts if a.status == Attempt.Status.COMPLETED]
    decisions = Decision.objects.filter(
        attempt__placement=placement, attempt__activity_version=placement.activity_version
    )
    students = _student_rows(placement, attempts)
    return PlacementOverview(
        placement=placement,
        scenario=scenario,
        started=len(attempts),
        completed=len(completed),
        students_started=len({a.lti_user_id for a in attempts}),
        students_completed=len({a.lti_user_id for a in completed}),
        students_total=len(students),
        nodes=_node_distributions(scenario, decisions),
        domains=_domain_distributions(placement),
        students=students,
    )


@dataclass(frozen=True)
class StudentAttemptPath:
    attempt: Attempt
    path: list[PathStep]
    ending: engine.Node | None
    domains: list[DomainLine]

    @property
    def seconds_total(self) -> int:
        return sum(step.decision.seconds_spent for step in self.path)


def student_paths(
    *, placement: Placement, student_pk: int, language: str
) -> tuple[LtiUser, list[StudentAttemptPath]]:
    """Every attempt of one student of this placement, with the path they took."""
    attempts = list(
        Attempt.objects.filter(placement=placement, lti_user_id=student_pk)
        .select_related("lti_user", "activity_version", "assessment")
        .prefetch_related(Prefetch("decisions", queryset=Decision.objects.order_by("step")))
        .order_by("number")
    )
    member = (
        Membership.objects.filter(
            context=placement.resource_link.context, lti_user_id=student_pk, is_student=True
        )
        .select_related("lti_user")
        .first()
    )
    if member is None and not attempts:
        raise NotFound("Cette personne n'est pas un·e étudiant·e de ce cours.")
    student = member.lti_user if member else attempts[0].lti_user
    paths = []
    for attempt in attempts:
        scenario = scenario_of(attempt.activity_version, language=language)
        paths.append(
            StudentAttemptPath(
                attempt=attempt,
                path=path_steps(attempt, scenario),
                ending=scenario.nodes.get(attempt.ending) if attempt.ending else None,
                domains=domain_lines(attempt),
            )
        )
    return student, paths
