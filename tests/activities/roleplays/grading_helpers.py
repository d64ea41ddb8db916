"""Shared by the role-play grading tests: a team of real launched students on the placed
« Premiers pas dans mon logement », observers' levels on its session, and the trainer.

Teams and grid entries are written as rows: the teams and live-session screens that
create them are other parts of issue 8; grading only reads them.
"""

from __future__ import annotations

from typing import Any

from lti_tool.activities.models import Placement
from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.activities.roleplays.access import brief_of
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.grading import LevelChoice, Slot, team_grading_save
from lti_tool.activities.roleplays.models import GridEntry, LiveSession, Team, TeamMember
from lti_tool.activities.services import activities_load, shipped_files
from lti_tool.grading.models import DomainResult
from lti_tool.lti.models import LtiUser
from tests.activities.roleplays.fixtures import launch_roleplay, placement_of
from tests.grading.factories import Launched

# Premiers pas dans mon logement: DC2 = CA-PREP (shared, w3), CA-CADRE (2), CA-PART (3),
# CA-REG (2), CA-EVAL (shared, w1); DC4 = CA-BIN (3), CA-INST (2); DC3 = CA-ORAL (2),
# CA-TRANS (2); DC1 = CA-TECH (2), CA-REFL (2).
SHARED_CODES = ("CA-PREP", "CA-EVAL")


def team_formed(
    demo: Any, *students: str, name: str = "Équipe 1"
) -> tuple[Launched, Placement, Team, list[Launched]]:
    """The trainer launches (binding the placement), then each student; one team of them."""
    # The roleplay fixture publishes the scenarios only; a flushed database (transactional
    # tests) also needs the shipped briefs again (idempotent).
    activities_load(paths=shipped_files())
    trainer = launch_roleplay(demo, "claire.martin")
    # What the trainer's landing page does on a link with ``activity=`` (Moodle's custom
    # parameter): bind the placement.
    placement_bind_from_custom(resource_link=trainer.resource_link, actor=trainer.lti_user)
    placement = placement_of(trainer)
    launched = [launch_roleplay(demo, who) for who in students]
    number = Team.objects.filter(placement=placement).count() + 1
    team = Team.objects.create(placement=placement, number=number, name=name)
    for student in launched:
        TeamMember.objects.create(team=team, placement=placement, lti_user=student.lti_user)
    LiveSession.objects.create(team=team)
    return trainer, placement, team, launched


def brief(placement: Placement) -> RolePlay:
    return brief_of(placement)


def everything_at(
    brief: RolePlay, members: list[LtiUser], level: int, comment: str = ""
) -> dict[Slot, LevelChoice]:
    """Every slot of the screen at one level: shared once, individual per member."""
    changes: dict[Slot, LevelChoice] = {}
    for criterion in brief.criteria:
        subjects: list[int | None] = [None] if criterion.shared else [m.pk for m in members]
        for subject in subjects:
            changes[(criterion.code, subject)] = LevelChoice(level, comment)
    return changes


def observer_level(
    team: Team, author: LtiUser, code: str, level: int, subject: LtiUser | None
) -> None:
    GridEntry.objects.create(
        session=team.session,
        author=author,
        subject=subject,
        source=GridEntry.Source.OBSERVER,
        criterion_code=code,
        level=level,
    )


def results_of(user: LtiUser, placement: Placement) -> dict[str, DomainResult]:
    return {
        r.domain_code: r
        for r in DomainResult.objects.filter(
            assessment__lti_user=user, assessment__resource_link=placement.resource_link
        )
    }


def graded(trainer: Launched, team: Team, rp: RolePlay, changes: dict[Slot, LevelChoice]) -> None:
    """The trainer saves ``changes`` on the team's grading screen (the service behind it)."""
    team_grading_save(team=team, brief=rp, actor=trainer.lti_user, changes=changes)
