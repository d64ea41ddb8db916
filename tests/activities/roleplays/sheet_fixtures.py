"""Shared by the preparation-sheet tests: a pair of co-animators (Léa Bernard, Hugo Petit)
launched for real on the demo's role-play, in team 1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.activities.roleplays.models import Team, TeamMember
from lti_tool.activities.services import activities_load, shipped_files
from tests.activities.roleplays.fixtures import launch_roleplay, placement_of
from tests.grading.factories import Launched


def team_formed(launched: Launched, members: list[Launched], *, number: int = 1) -> Team:
    """A team as the trainer forms it (the teams screen is built alongside), on the link
    bound as its landing page binds it."""
    # Transactional tests flush the briefs migration 0003 published: publish them again.
    activities_load(paths=shipped_files())
    placement_bind_from_custom(resource_link=launched.resource_link)
    placement = placement_of(launched)
    team = Team.objects.create(placement=placement, number=number, name=f"Équipe {number}")
    for member in members:
        TeamMember.objects.create(team=team, placement=placement, lti_user=member.lti_user)
    return team


@dataclass
class Pair:
    team: Team
    lea: Launched
    hugo: Launched


@pytest.fixture(name="pair")
def pair_fixture(roleplay: Any) -> Pair:
    lea = launch_roleplay(roleplay, "lea.bernard")
    hugo = launch_roleplay(roleplay, "hugo.petit")
    return Pair(team_formed(lea, [lea, hugo]), lea, hugo)
