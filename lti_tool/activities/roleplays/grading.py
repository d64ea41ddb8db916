"""The trainer grades a team, validates, and each student reads their own results
(issue 8, "Grading (trainers) and passback"; domain.md §4, §6.2).

The role-play produces evidence; the grading app owns the law, the history and the
passback outbox. Here:

* the trainer's level (0–4 or N/E) and comment per criterion are stored as the grading
  app's own rubric evidence: one grading ``Assessment`` per co-animator, created on the
  first save and linked from ``TeamMember.assessment``. A shared criterion is set once for
  the team and written to every member's assessment (same ``s_c``); an individual one per
  student; an absent student's individual criteria are N/E, never 0 (domain.md §4.5);
* every save grades through ``assessment_grade_rubric`` with the observers' levels as peer
  inputs (β = 0: shown, never counted): results stay "to review";
* « Valider » finalises every domain result of the team through ``result_moderate``
  (history + passback outbox, one line item per (link, domain)). A domain whose criteria
  are all N/E for a student has no result and nothing is sent;
* after validation a saved change waits, like the first grading, for the trainer to
  validate again; only the domains whose result changed are then moderated again and
  re-posted (AGS "latest wins", domain.md §4.3 "Regrading").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from lti_tool.activities.models import Placement
from lti_tool.activities.roleplays.content import RolePlay, RolePlayCriterion
from lti_tool.activities.roleplays.models import LiveSession, Team, TeamMember
from lti_tool.activities.roleplays.reports import ReportItem, reports_of
from lti_tool.activities.roleplays.sheet import SheetView, sheet_view
from lti_tool.activities.roleplays.synthesis import CriterionInputs, InputKey, session_inputs
from lti_tool.activities.selectors import domain_titles
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.grading.feedback import INDICATOR_LABELS, indicator_reading
from lti_tool.grading.models import Assessment, CriterionScore, DomainResult, Passback
from lti_tool.grading.rubric import Rubric, RubricCriterion, RubricGrade, rubric_grade
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX, ActivityKind, DomainOutcome, ResultStatus
from lti_tool.grading.selectors import StudentDomainResult, student_results
from lti_tool.grading.services import assessment_create, assessment_grade_rubric, result_moderate
from lti_tool.lti.models import LtiUser

# A grading slot: (criterion code, the co-animator's LtiUser pk, or None for a shared
# criterion: the whole team) — the same keys as ``synthesis.session_inputs``.
Slot = InputKey

# Evidence shown beside a criterion on the grading screen (domain.md §6.2 "source of
# evidence"): the preparation sheet (CA-PREP) and each student's written follow-up.
SHEET_CRITERIA = frozenset({"CA-PREP"})
REPORT_CRITERIA = {"CA-TRANS": "report", "CA-REFL": "reflection"}


@dataclass(frozen=True)
class LevelChoice:
    """The trainer's decision on one slot: a level 0..4, or None for N/E."""

    level: int | None
    comment: str = ""


# --- the rubric and what is stored ---------------------------------------------------------


def brief_rubric(brief: RolePlay) -> Rubric:
    """The brief's criteria and their level descriptors, as the grading app's rubric."""
    return Rubric(
        criteria=tuple(
            RubricCriterion(criterion=c.criterion, descriptors=c.levels) for c in brief.criteria
        )
    )


def _slot(criterion: RolePlayCriterion, member: TeamMember) -> Slot:
    return (criterion.code, None if criterion.shared else member.lti_user_id)


def _stored_choices(assessment: Assessment | None) -> dict[str, LevelChoice]:
    """The trainer's live levels and comments on one assessment (N/E: no live row)."""
    if assessment is None:
        return {}
    choices = {}
    for score in assessment.scores.filter(
        superseded=False, source=CriterionScore.Source.TRAINER
    ).order_by("pk"):
        # β = 0: the evidence is exactly level / 4 (rubric.rubric_grade).
        level = round(score.earned * RUBRIC_LEVEL_MAX / score.maximum)
        choices[score.criterion_code] = LevelChoice(level=int(level), comment=score.note)
    return choices


def _team_choices(members: Sequence[TeamMember], brief: RolePlay) -> dict[Slot, LevelChoice]:
    """Every slot's current choice. A shared criterion is read from the first member who
    has it (all members carry the same level: it is written to each of them)."""
    state: dict[Slot, LevelChoice] = {}
    for member in members:
        stored = _stored_choices(member.assessment)
        for criterion in brief.criteria:
            slot = _slot(criterion, member)
            if criterion.code in stored and slot not in state:
                state[slot] = stored[criterion.code]
    return state


def _member_levels(
    member: TeamMember, brief: RolePlay, state: Mapping[Slot, LevelChoice]
) -> tuple[dict[str, int | None], dict[str, str]]:
    levels: dict[str, int | None] = {}
    comments: dict[str, str] = {}
    for criterion in brief.criteria:
        choice = state.get(_slot(criterion, member))
        absent_here = member.absent and not criterion.shared
        levels[criterion.code] = None if absent_here or choice is None else choice.level
        comments[criterion.code] = choice.comment if choice and not absent_here else ""
    return levels, comments


def _members(team: Team) -> list[TeamMember]:
    return list(
        TeamMember.objects.filter(team=team)
        .select_related("lti_user", "assessment")
        .order_by("lti_user__family_name", "lti_user__given_name", "pk")
    )


def _inputs(team: Team, brief: RolePlay) -> dict[Slot, CriterionInputs]:
    session = LiveSession.objects.filter(team=team).first()
    return session_inputs(session, brief) if session else {}


# --- services ------------------------------------------------------------------------------


def _assessment_of(member: TeamMember, placement: Placement, brief: RolePlay) -> Assessment:
    if member.assessment is not None:
        return member.assessment
    version = placement.activity_version
    assessment = assessment_create(
        resource_link=placement.resource_link,
        lti_user=member.lti_user,
        activity_kind=ActivityKind.ROLEPLAY,
        activity_title=version.title,
        # The slug, as scenarios and deep linking do: the line items ("<slug>:DCn") stay
        # the same across versions of the brief.
        activity_ref=version.activity.slug,
        framework_code=brief.framework_code,
        framework_version=brief.framework_version,
        criteria=[c.criterion for c in brief.criteria],
    )
    member.assessment = assessment
    member.save(update_fields=["assessment", "updated_at"])
    return assessment


def _results_prune(assessment: Assessment, grade: RubricGrade, member: TeamMember) -> None:
    """A domain whose criteria all became N/E has no result any more (not 0). One never
    validated was never sent: it goes. One already validated is in the gradebook: refuse,
    the trainer corrects a level instead."""
    stale = DomainResult.objects.filter(assessment=assessment).exclude(
        domain_code__in=list(grade.domains)
    )
    for result in stale:
        if result.status == ResultStatus.FINAL:
            raise Conflict(
                _(
                    "Le domaine %(domain)s de %(name)s est déjà validé et envoyé au carnet de "
                    "notes : au moins un de ses critères doit rester noté. Corrigez un niveau "
                    "plutôt que de tout passer en N/E."
                )
                % {"domain": result.domain_code, "name": member.lti_user.display_name}
            )
        result.delete()


def _member_grade(
    *,
    member: TeamMember,
    placement: Placement,
    brief: RolePlay,
    state: Mapping[Slot, LevelChoice],
    inputs: Mapping[Slot, CriterionInputs],
    actor: LtiUser,
) -> None:
    assessment = _assessment_of(member, placement, brief)
    levels, comments = _member_levels(member, brief, state)
    peers = {
        c.code: list(item.observer_levels)
        for c in brief.criteria
        if (item := inputs.get(_slot(c, member))) is not None and item.observer_levels
    }
    grade, _results = assessment_grade_rubric(
        assessment=assessment,
        rubric=brief_rubric(brief),
        levels=levels,
        peer_levels=peers,
        comments=comments,
        assessor=actor,
        domain_titles=domain_titles(placement.activity_version),
    )
    _results_prune(assessment, grade, member)


def _changes_check(
    team: Team, brief: RolePlay, members: Sequence[TeamMember], changes: Mapping[Slot, LevelChoice]
) -> None:
    by_pk = {m.lti_user_id: m for m in members}
    for (code, subject), choice in changes.items():
        criterion = brief.criterion(code)
        if criterion is None:
            raise ValidationFailed(
                _("Le critère %(code)s n'existe pas dans cette fiche.") % {"code": code}
            )
        if criterion.shared != (subject is None) or (subject is not None and subject not in by_pk):
            raise ValidationFailed(
                _("Le critère %(code)s ne se note pas ainsi pour l'équipe %(team)s.")
                % {"code": code, "team": team.name}
            )
        if choice.level is not None and not 0 <= choice.level <= RUBRIC_LEVEL_MAX:
            raise ValidationFailed(_("Un niveau se choisit de 0 à 4, ou N/E."))
        if subject is not None and by_pk[subject].absent and choice.level is not None:
            raise ValidationFailed(
                _(
                    "%(name)s est noté·e absent·e : ses critères individuels sont N/E. "
                    "Retirez l'absence pour les noter."
                )
                % {"name": by_pk[subject].lti_user.display_name}
            )


@transaction.atomic
def team_grading_save(
    *,
    team: Team,
    brief: RolePlay,
    actor: LtiUser,
    changes: Mapping[Slot, LevelChoice],
) -> None:
    """Record the trainer's levels and comments (one slot or the whole screen) and
    recompute the results of the co-animators concerned. Nothing becomes final here."""
    team = Team.objects.select_for_update().select_related("placement").get(pk=team.pk)
    members = _members(team)
    _changes_check(team, brief, members, changes)
    state = {**_team_choices(members, brief), **changes}
    touched_shared = any(subject is None for _code, subject in changes)
    touched = {subject for _code, subject in changes}
    inputs = _inputs(team, brief)
    for member in members:
        if touched_shared or member.lti_user_id in touched:
            _member_grade(
                member=member,
                placement=team.placement,
                brief=brief,
                state=state,
                inputs=inputs,
                actor=actor,
            )


@transaction.atomic
def member_absence_set(
    *, team: Team, brief: RolePlay, actor: LtiUser, lti_user_pk: int, absent: bool
) -> TeamMember:
    """Mark a co-animator absent (individual criteria N/E, shared ones still count) or
    present again (their individual criteria are then to grade anew)."""
    team = Team.objects.select_for_update().select_related("placement").get(pk=team.pk)
    members = _members(team)
    member = next((m for m in members if m.lti_user_id == lti_user_pk), None)
    if member is None:
        raise ValidationFailed(_("Cette personne ne co-anime pas dans cette équipe."))
    member.absent = absent
    member.save(update_fields=["absent", "updated_at"])
    if member.assessment is not None:
        _member_grade(
            member=member,
            placement=team.placement,
            brief=brief,
            state=_team_choices(members, brief),
            inputs=_inputs(team, brief),
            actor=actor,
        )
    return member


def _domain_feedback(
    brief: RolePlay, outcome: DomainOutcome, choices: Mapping[str, LevelChoice]
) -> str:
    """The short per-criterion summary sent with the score (domain.md §4.4 "comment")."""
    lines = []
    for piece in outcome.criteria:
        criterion = brief.criterion(piece.criterion)
        label = criterion.label if criterion else piece.criterion
        line = f"{label} : {INDICATOR_LABELS[indicator_reading(piece.ratio)]}"
        comment = choices[piece.criterion].comment if piece.criterion in choices else ""
        lines.append(f"{line} — {comment}" if comment else line)
    return "\n".join(lines)


def _earned_of(result: DomainResult) -> dict[str, Decimal]:
    return {str(e["criterion"]): Decimal(str(e["earned"])) for e in result.evidence or []}


def _result_stale(result: DomainResult, outcome: DomainOutcome, feedback: str) -> bool:
    """Levels or comments changed since this result was computed and validated."""
    now = {c.criterion: c.earned for c in outcome.criteria}
    return _earned_of(result) != now or result.feedback != feedback


def _final_remoderate(
    *,
    result: DomainResult,
    outcome: DomainOutcome,
    choices: Mapping[str, LevelChoice],
    feedback: str,
    actor: LtiUser,
) -> DomainResult | None:
    """A validated domain whose criteria changed since: moderated again, so that the
    history says what changed and the new score is re-posted. ``result_moderate`` takes
    levels with one comment that becomes the criterion's note: each changed criterion goes
    through with its own comment, so every note stays the trainer's."""
    before = _earned_of(result)
    now = {c.criterion: c for c in outcome.criteria}
    changed = [code for code, piece in now.items() if before.get(code) != piece.earned]
    if not changed and set(before) != set(now):
        changed = [next(iter(now))]  # only N/E moves: recompute through one criterion
    if not _result_stale(result, outcome, feedback):
        return None  # nothing changed: nothing re-posted
    if not changed:
        return result_moderate(
            result=result, actor=actor, feedback=feedback, comment="", finalise=True
        )
    for code in changed:
        piece = now[code]
        result = result_moderate(
            result=result,
            actor=actor,
            criterion_levels={code: round(piece.earned * RUBRIC_LEVEL_MAX / piece.maximum)},
            feedback=feedback,
            comment=choices[code].comment if code in choices else "",
            finalise=True,
        )
    return result


@transaction.atomic
def team_grading_validate(*, team: Team, brief: RolePlay, actor: LtiUser) -> list[DomainResult]:
    """« Valider »: every domain result of the team's students becomes final and goes to
    the passback outbox; after a first validation, only the domains that changed."""
    team = Team.objects.select_for_update().get(pk=team.pk)
    rubric = brief_rubric(brief)
    finalised: list[DomainResult] = []
    for member in _members(team):
        if member.assessment is None:
            continue
        choices = _stored_choices(member.assessment)
        grade = rubric_grade(rubric, levels={c: ch.level for c, ch in choices.items()})
        for result in member.assessment.results.order_by("domain_code"):
            outcome = grade.domains.get(result.domain_code)
            if outcome is None:
                continue  # cannot happen: an all-N/E domain's result is pruned at save
            feedback = _domain_feedback(brief, outcome, choices)
            if result.status != ResultStatus.FINAL:
                finalised.append(
                    result_moderate(
                        result=result,
                        actor=actor,
                        feedback=feedback,
                        comment=_("Validation de l'évaluation de l'équipe."),
                        finalise=True,
                    )
                )
            elif (done := _final_remoderate(
                result=result, outcome=outcome, choices=choices, feedback=feedback, actor=actor
            )) is not None:  # fmt: skip
                finalised.append(done)
    return finalised


# --- selectors: the trainer's screen ------------------------------------------------------


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
class GradingRow:
    criterion: RolePlayCriterion
    cells: tuple[GradingCell, ...]

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
    levels, comments = _member_levels(member, brief, state)
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
                and _result_stale(result, outcome, _domain_feedback(brief, outcome, choices)),
            )
        )
    return MemberSummary(member=member, domains=tuple(domains))


def team_grading(*, team: Team, brief: RolePlay) -> TeamGrading:
    """Everything the grading screen shows for one team, criteria grouped by domain in the
    brief's order; per student, the per-domain /20 (never an overall grade)."""
    members = _members(team)
    state = _team_choices(members, brief)
    session = LiveSession.objects.filter(team=team).first()
    inputs = session_inputs(session, brief) if session else {}
    reports = {item.author.pk: item for item in reports_of(session)} if session else {}
    titles = domain_titles(team.placement.activity_version)
    domains = tuple(
        GradingDomain(
            code=code,
            title=titles.get(code, ""),
            rows=tuple(
                GradingRow(c, _cells(c, members, state, inputs, reports))
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


# --- selectors: a student's own results ---------------------------------------------------


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
