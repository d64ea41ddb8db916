"""Reads of the trainer's grading screen (one team, side by side with the evidence) and of
a student's own results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Prefetch

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.content import Incident, RolePlay, RolePlayCriterion
from lti_tool.activities.roleplays.grading.state import (
    REPORT_CRITERIA,
    SHEET_CRITERIA,
    LevelChoice,
    Slot,
    brief_rubric,
    domain_feedback,
    member_levels,
    members_of,
    result_stale,
    team_choices,
)
from lti_tool.activities.roleplays.models import LiveSession, Team, TeamMember
from lti_tool.activities.roleplays.reports import ReportItem, reports_of
from lti_tool.activities.roleplays.sheet import SheetView, sheet_view
from lti_tool.activities.roleplays.synthesis import CriterionInputs, session_inputs
from lti_tool.activities.selectors import domain_titles
from lti_tool.grading.models import CriterionScore, DomainResult, Passback
from lti_tool.grading.rubric import rubric_grade
from lti_tool.grading.rules import ResultStatus
from lti_tool.grading.selectors import StudentDomainResult, student_results
from lti_tool.lti.models import LtiUser

# --- the trainer's screen -------------------------------------------------------------------


@dataclass(frozen=True)
class GradingCell:
    """One slot on the screen: the team (shared criterion) or one co-animator."""

    criterion: RolePlayCriterion
    member: TeamMember | None  # None: shared, graded once for the team
    inputs: CriterionInputs | None
    choice: LevelChoice | None
    absent: bool  # an absent co-animator's individual criterion: N/E, not gradable
    report: ReportItem | None = None  # the member's written follow-up (CA-TRANS, CA-REFL)

    @property
    def who(self) -> str:
        return "equipe" if self.member is None else str(self.member.lti_user_id)

    @property
    def dom_id(self) -> str:
        return f"cell-{self.criterion.code}-{self.who}"

    @property
    def level(self) -> int | None:
        return None if self.choice is None or self.absent else self.choice.level

    @property
    def comment(self) -> str:
        return "" if self.choice is None or self.absent else self.choice.comment

    @property
    def report_part(self) -> str:
        """Which part of the member's written follow-up is this criterion's evidence."""
        return REPORT_CRITERIA.get(self.criterion.code, "") if self.member else ""


@dataclass(frozen=True)
class IncidentEvidence:
    """An incident of the brief that cites the criterion: what a level 3–4 answer looks
    like (the trainer's only) and when it was triggered in this session, if it was."""

    incident: Incident
    triggered_at: datetime | None


@dataclass(frozen=True)
class GradingRow:
    criterion: RolePlayCriterion
    cells: tuple[GradingCell, ...]
    incidents: tuple[IncidentEvidence, ...] = ()

    @property
    def shows_sheet(self) -> bool:
        return self.criterion.code in SHEET_CRITERIA


@dataclass(frozen=True)
class GradingDomain:
    code: str
    title: str
    rows: tuple[GradingRow, ...]


@dataclass(frozen=True)
class MemberDomain:
    """One student's result in one domain, as computed now and as last validated."""

    code: str
    title: str
    score_20: Decimal | None  # computed from the levels saved; None: all N/E, no result
    result: DomainResult | None
    passback: Passback | None  # the newest send that is not superseded
    changed: bool = False  # validated, then levels or comments changed: to validate again

    @property
    def state(self) -> str:
        if self.score_20 is None:
            return "not_assessed"
        if self.result is None or self.result.status != ResultStatus.FINAL:
            return "to_validate"
        return "changed" if self.changed else "final"


@dataclass(frozen=True)
class MemberSummary:
    member: TeamMember
    domains: tuple[MemberDomain, ...]


@dataclass(frozen=True)
class TeamGrading:
    team: Team
    brief: RolePlay
    members: tuple[TeamMember, ...]
    domains: tuple[GradingDomain, ...]
    summaries: tuple[MemberSummary, ...]
    sheet: SheetView  # the preparation sheet, evidence of CA-PREP

    @property
    def to_validate(self) -> bool:
        return any(d.state in ("to_validate", "changed") for s in self.summaries for d in s.domains)

    @property
    def validated(self) -> bool:
        return any(d.state in ("final", "changed") for s in self.summaries for d in s.domains)

    def cell(self, code: str, who: str) -> GradingCell | None:
        for domain in self.domains:
            for row in domain.rows:
                for cell in row.cells:
                    if row.criterion.code == code and cell.who == who:
                        return cell
        return None


def _cells(
    criterion: RolePlayCriterion,
    members: Sequence[TeamMember],
    state: Mapping[Slot, LevelChoice],
    inputs: Mapping[Slot, CriterionInputs],
    reports: Mapping[int, ReportItem],
) -> tuple[GradingCell, ...]:
    if criterion.shared:
        slot: Slot = (criterion.code, None)
        return (GradingCell(criterion, None, inputs.get(slot), state.get(slot), absent=False),)
    return tuple(
        GradingCell(
            criterion,
            member,
            inputs.get((criterion.code, member.lti_user_id)),
            state.get((criterion.code, member.lti_user_id)),
            absent=member.absent,
            report=reports.get(member.lti_user_id) if criterion.code in REPORT_CRITERIA else None,
        )
        for member in members
    )


def _summary(
    member: TeamMember, brief: RolePlay, state: Mapping[Slot, LevelChoice], titles: dict[str, str]
) -> MemberSummary:
    levels, comments = member_levels(member, brief, state)
    computed = rubric_grade(brief_rubric(brief), levels=levels).domains
    choices = {code: LevelChoice(levels[code], comments[code]) for code in levels}
    results: dict[str, DomainResult] = {}
    if member.assessment is not None:
        live = Passback.objects.exclude(status=Passback.Status.SUPERSEDED).order_by(
            "-created_at", "-pk"
        )
        results = {
            r.domain_code: r
            for r in member.assessment.results.prefetch_related(
                Prefetch("passbacks", queryset=live, to_attr="live")
            )
        }
    domains = []
    for code in brief.domains():
        result = results.get(code)
        outcome = computed.get(code)
        domains.append(
            MemberDomain(
                code=code,
                title=titles.get(code, ""),
                score_20=outcome.score_20 if outcome else None,
                result=result,
                passback=result.live[0] if result is not None and result.live else None,  # type: ignore[attr-defined]
                changed=result is not None
                and outcome is not None
                and result_stale(result, outcome, domain_feedback(brief, outcome, choices)),
            )
        )
    return MemberSummary(member=member, domains=tuple(domains))


def team_grading(*, team: Team, brief: RolePlay) -> TeamGrading:
    """Everything the grading screen shows for one team, criteria grouped by domain in the
    brief's order; per student, the per-domain /20 (never an overall grade)."""
    members = members_of(team)
    state = team_choices(members, brief)
    session = LiveSession.objects.filter(team=team).first()
    inputs = session_inputs(session, brief) if session else {}
    triggered = (
        dict(session.incidents.values_list("incident_id", "triggered_at")) if session else {}
    )
    reports = {item.author.pk: item for item in reports_of(session)} if session else {}
    titles = domain_titles(team.placement.activity_version)
    domains = tuple(
        GradingDomain(
            code=code,
            title=titles.get(code, ""),
            rows=tuple(
                GradingRow(
                    c,
                    _cells(c, members, state, inputs, reports),
                    tuple(
                        IncidentEvidence(i, triggered.get(i.id))
                        for i in brief.incidents
                        if c.code in i.criteria
                    ),
                )
                for c in brief.criteria
                if c.domain == code
            ),
        )
        for code in brief.domains()
    )
    return TeamGrading(
        team=team,
        brief=brief,
        members=tuple(members),
        domains=domains,
        summaries=tuple(_summary(m, brief, state, titles) for m in members),
        sheet=sheet_view(team),
    )


# --- a student's own results ----------------------------------------------------------------


@dataclass(frozen=True)
class CriterionResult:
    code: str
    label: str
    reading: str
    reading_label: str
    comment: str


@dataclass(frozen=True)
class DomainResultView:
    code: str
    title: str
    state: str  # "final", "pending" (waiting for validation), "not_assessed" (no grade)
    result: StudentDomainResult | None = None
    criteria: tuple[CriterionResult, ...] = field(default=())


def _validated_comments(result: DomainResult) -> dict[str, str]:
    """The trainer's comment on each criterion as it was when the result was validated
    (a change saved since waits for the next validation)."""
    rows = CriterionScore.objects.filter(
        assessment_id=result.assessment_id,
        domain_code=result.domain_code,
        source=CriterionScore.Source.TRAINER,
        created_at__lte=result.finalised_at,
    ).order_by("created_at", "pk")
    return {row.criterion_code: row.note for row in rows}


def _criteria_results(
    shown: StudentDomainResult, result: DomainResult
) -> tuple[CriterionResult, ...]:
    comments = _validated_comments(result)
    return tuple(
        CriterionResult(
            code=c.code,
            label=c.label,
            reading=str(c.reading),
            reading_label=c.reading_label,
            comment=comments.get(c.code, ""),
        )
        for c in shown.criteria
    )


def student_roleplay_results(
    *, placement: Placement, lti_user: LtiUser, brief: RolePlay
) -> list[DomainResultView]:
    """This student's own per-domain results in this role-play, in the brief's domain order;
    the score and the per-criterion feedback only once the trainer has validated. A domain
    without a result after validation was not assessed for them: no grade, not 0."""
    link = placement.resource_link
    activities = student_results(
        lti_user=lti_user, context=link.context, current_resource_link_pk=link.pk
    )
    current = next((a for a in activities if a.current), None)
    shown = {d.code: d for d in current.domains} if current else {}
    stored = {
        r.domain_code: r
        for r in DomainResult.objects.filter(
            assessment__resource_link=link, assessment__lti_user=lti_user, assessment__counts=True
        )
    }
    validated = any(d.final for d in shown.values())
    titles = domain_titles(placement.activity_version)
    views = []
    for code in brief.domains():
        domain = shown.get(code)
        title = titles.get(code, "")
        if domain is None:
            views.append(DomainResultView(code, title, "not_assessed" if validated else "pending"))
        elif not domain.final or code not in stored:
            views.append(DomainResultView(code, title, "pending"))
        else:
            views.append(
                DomainResultView(
                    code,
                    domain.title or title,
                    "final",
                    result=domain,
                    criteria=_criteria_results(domain, stored[code]),
                )
            )
    return views
