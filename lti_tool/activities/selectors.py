"""Reads of the activities app: scenario content, the student's start page, attempts and
debrief (the trainer's view reads through ``trainer_selectors``).

Everything is scoped by the caller: a student's attempts are looked up by (placement,
their own user, number) (design.md §6). No figure here adds or averages scores across
domains (domain.md §0 point 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lti_tool.activities.models import Activity, ActivityVersion, Attempt, Decision, Placement
from lti_tool.activities.scenarios import engine
from lti_tool.core.exceptions import NotFound
from lti_tool.grading.feedback import READING_LABELS
from lti_tool.grading.frameworks.selectors import framework_domains, framework_get
from lti_tool.grading.models import DomainResult
from lti_tool.grading.rules import Reading, ResultStatus, reading
from lti_tool.lti.models import LtiUser, ResourceLink

# --- content ---------------------------------------------------------------------------


def scenario_of(version: ActivityVersion, *, language: str = "fr") -> engine.Scenario:
    """The version's scenario with its texts in ``language`` (the author's default else)."""
    return engine.scenario_from_json(version.content, language=language)


def domain_titles(version: ActivityVersion) -> dict[str, str]:
    """Short domain titles of the version's framework, for results and AGS labels."""
    try:
        framework = framework_get(code=version.framework_code, version=version.framework_version)
    except NotFound:
        return {}
    return {d.code: d.short_title_fr or d.title_fr for d in framework_domains(framework=framework)}


def activities_published() -> QuerySet[Activity]:
    """Activities with at least one published version, for the trainer's binding help."""
    return Activity.objects.filter(versions__isnull=False).distinct().order_by("title")


def placement_of(*, resource_link: ResourceLink) -> Placement | None:
    return (
        Placement.objects.filter(resource_link=resource_link)
        .select_related("activity_version__activity", "resource_link__context")
        .first()
    )


# --- a student's attempts --------------------------------------------------------------


def attempts_of(*, placement: Placement, lti_user: LtiUser) -> list[Attempt]:
    return list(
        Attempt.objects.filter(placement=placement, lti_user=lti_user)
        .select_related("assessment")
        .order_by("number")
    )


def attempt_get(*, placement: Placement, lti_user: LtiUser, number: int) -> Attempt:
    """One of this student's own attempts; anyone else's is simply not found."""
    attempt = (
        Attempt.objects.filter(placement=placement, lti_user=lti_user, number=number)
        .select_related("activity_version__activity", "placement", "assessment")
        .first()
    )
    if attempt is None:
        raise NotFound(_("Cette tentative n'existe pas (ou n'est pas la vôtre)."))
    return attempt


@dataclass(frozen=True)
class StartPage:
    placement: Placement
    scenario: engine.Scenario
    attempts: list[Attempt]
    unfinished: Attempt | None
    counting: Attempt | None

    @property
    def used(self) -> int:
        return len(self.attempts)

    @property
    def allowed(self) -> int:
        return self.placement.attempts_allowed

    @property
    def remaining(self) -> int | None:
        return None if not self.allowed else max(0, self.allowed - self.used)

    @property
    def can_start(self) -> bool:
        return self.unfinished is None and (self.remaining is None or self.remaining > 0)

    @property
    def completed(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status == Attempt.Status.COMPLETED]


def start_page(*, placement: Placement, lti_user: LtiUser, language: str) -> StartPage:
    attempts = attempts_of(placement=placement, lti_user=lti_user)
    unfinished = next((a for a in attempts if a.status == Attempt.Status.IN_PROGRESS), None)
    counting = next((a for a in attempts if a.assessment and a.assessment.counts), None)
    return StartPage(
        placement=placement,
        scenario=scenario_of(placement.activity_version, language=language),
        attempts=attempts,
        unfinished=unfinished,
        counting=counting,
    )


# --- the debrief of one attempt ---------------------------------------------------------


@dataclass(frozen=True)
class PathStep:
    decision: Decision
    node: engine.Node | None
    choice: engine.Choice | None

    @property
    def node_title(self) -> str:
        return self.node.title if self.node else self.decision.node_id

    @property
    def choice_label(self) -> str:
        return self.choice.label if self.choice else self.decision.choice_id

    @property
    def feedback(self) -> str:
        return self.choice.feedback if self.choice else ""


@dataclass(frozen=True)
class DomainLine:
    """One domain result as the student (or the trainer) reads it: never a total."""

    code: str
    title: str
    status: str
    score_20: Decimal
    flagged: bool

    @property
    def final(self) -> bool:
        return self.status == ResultStatus.FINAL

    @property
    def reading(self) -> Reading:
        return reading(self.score_20)

    @property
    def reading_label(self) -> str:
        return str(READING_LABELS[self.reading])


@dataclass(frozen=True)
class Debrief:
    attempt: Attempt
    scenario: engine.Scenario
    path: list[PathStep]
    ending: engine.Node | None
    domains: list[DomainLine]


def _node_or_none(scenario: engine.Scenario, node_id: str) -> engine.Node | None:
    return scenario.nodes.get(node_id)


def _choice_of(node: engine.Node | None, choice_id: str) -> engine.Choice | None:
    if node is None:
        return None
    return next((c for c in node.choices if c.id == choice_id), None)


def path_steps_for(scenario: engine.Scenario, decisions: Iterable[Decision]) -> list[PathStep]:
    steps = []
    for decision in sorted(decisions, key=lambda d: d.step):
        node = _node_or_none(scenario, decision.node_id)
        steps.append(
            PathStep(decision=decision, node=node, choice=_choice_of(node, decision.choice_id))
        )
    return steps


def path_steps(attempt: Attempt, scenario: engine.Scenario) -> list[PathStep]:
    return path_steps_for(scenario, attempt.decisions.all())


def domain_lines(attempt: Attempt) -> list[DomainLine]:
    if attempt.assessment_id is None:
        return []
    order = {code: index for index, code in enumerate(attempt.activity_version.domains)}
    results = DomainResult.objects.filter(assessment_id=attempt.assessment_id)
    lines = [
        DomainLine(
            code=r.domain_code,
            title=r.domain_title,
            status=r.status,
            score_20=r.score_20,
            flagged=r.flagged,
        )
        for r in results
    ]
    return sorted(lines, key=lambda line: (order.get(line.code, len(order)), line.code))


def attempt_debrief(*, attempt: Attempt, language: str) -> Debrief:
    scenario = scenario_of(attempt.activity_version, language=language)
    return Debrief(
        attempt=attempt,
        scenario=scenario,
        path=path_steps(attempt, scenario),
        ending=_node_or_none(scenario, attempt.ending) if attempt.ending else None,
        domains=domain_lines(attempt),
    )


def decision_at(*, attempt: Attempt, step: int) -> Decision:
    decision = attempt.decisions.filter(step=step).first()
    if decision is None:
        raise NotFound(_("Aucune réponse n'a été enregistrée à cette étape."))
    return decision
