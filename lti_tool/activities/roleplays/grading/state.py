"""What the trainer has decided so far, read back from the grading app's evidence: one
level (or N/E) and one comment per slot (criterion × co-animator, or × team when shared),
and the short per-criterion summary sent with each domain's score."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from lti_tool.activities.roleplays.content import RolePlay, RolePlayCriterion
from lti_tool.activities.roleplays.models import LiveSession, Team, TeamMember
from lti_tool.activities.roleplays.synthesis import CriterionInputs, InputKey, session_inputs
from lti_tool.grading.feedback import INDICATOR_LABELS, indicator_reading
from lti_tool.grading.models import Assessment, CriterionScore, DomainResult
from lti_tool.grading.rubric import Rubric, RubricCriterion
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX, DomainOutcome

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


def brief_rubric(brief: RolePlay) -> Rubric:
    """The brief's criteria and their level descriptors, as the grading app's rubric."""
    return Rubric(
        criteria=tuple(
            RubricCriterion(criterion=c.criterion, descriptors=c.levels) for c in brief.criteria
        )
    )


def slot_of(criterion: RolePlayCriterion, member: TeamMember) -> Slot:
    return (criterion.code, None if criterion.shared else member.lti_user_id)


def stored_choices(assessment: Assessment | None) -> dict[str, LevelChoice]:
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


def team_choices(members: Sequence[TeamMember], brief: RolePlay) -> dict[Slot, LevelChoice]:
    """Every slot's current choice. A shared criterion is read from the first member who
    has it (all members carry the same level: it is written to each of them)."""
    state: dict[Slot, LevelChoice] = {}
    for member in members:
        stored = stored_choices(member.assessment)
        for criterion in brief.criteria:
            slot = slot_of(criterion, member)
            if criterion.code in stored and slot not in state:
                state[slot] = stored[criterion.code]
    return state


def member_levels(
    member: TeamMember, brief: RolePlay, state: Mapping[Slot, LevelChoice]
) -> tuple[dict[str, int | None], dict[str, str]]:
    levels: dict[str, int | None] = {}
    comments: dict[str, str] = {}
    for criterion in brief.criteria:
        choice = state.get(slot_of(criterion, member))
        absent_here = member.absent and not criterion.shared
        levels[criterion.code] = None if absent_here or choice is None else choice.level
        comments[criterion.code] = choice.comment if choice and not absent_here else ""
    return levels, comments


def members_of(team: Team) -> list[TeamMember]:
    return list(
        TeamMember.objects.filter(team=team)
        .select_related("lti_user", "assessment")
        .order_by("lti_user__family_name", "lti_user__given_name", "pk")
    )


def inputs_of(team: Team, brief: RolePlay) -> dict[Slot, CriterionInputs]:
    session = LiveSession.objects.filter(team=team).first()
    return session_inputs(session, brief) if session else {}


def domain_feedback(
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


def earned_of(result: DomainResult) -> dict[str, Decimal]:
    return {str(e["criterion"]): Decimal(str(e["earned"])) for e in result.evidence or []}


def result_stale(result: DomainResult, outcome: DomainOutcome, feedback: str) -> bool:
    """Levels or comments changed since this result was computed and validated."""
    now = {c.criterion: c.earned for c in outcome.criteria}
    return earned_of(result) != now or result.feedback != feedback
