"""A live session ready to run, shared by the live-session tests: real launches of the demo
people on « Premiers pas dans mon logement », a pair of co-animators with their mandates,
a participant holding a role card and an observer with a focus. Rows for the team and
the roles are made as the trainer's teams screen makes them (built alongside).

Who is who:
* hugo.petit — co-animator, mandate ``caf``; ines.moreau — co-animator, mandate ``bailleur``
* lea.bernard — participant, card ``lise-vautrin`` (incident ``caf-coupe-les-aides``)
* lucas.fontaine — observer, focus ``cadre-et-regulation`` (CA-CADRE, CA-REG, CA-INST:
  individual criteria)
* chloe.lambert — a student of the course without a role in this session
* nobody holds the card ``farid-benali`` (incident ``impaye-devant-le-groupe``)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from lti_tool.activities.models import Placement
from lti_tool.activities.placements import placement_bind_from_custom
from lti_tool.activities.roleplays.access import brief_of, session_of
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.models import LiveSession, SessionRole, Team, TeamMember
from lti_tool.activities.services import activities_load, roleplay_files
from tests.activities.roleplays.fixtures import launch_roleplay, placement_of, roleplay  # noqa: F401
from tests.grading.factories import Launched
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

CARD_INCIDENT = "caf-coupe-les-aides"  # to lise-vautrin (Léa's card)
MANDATE_INCIDENT = "chiffre-conteste"  # to the caf mandate (Hugo)
NOBODY_INCIDENT = "impaye-devant-le-groupe"  # to farid-benali: nobody holds it


@dataclass
class LiveSetup:
    demo: Any
    placement: Placement
    brief: RolePlay
    team: Team
    session: LiveSession
    trainer: Launched
    hugo: Launched  # co-animator, caf
    ines: Launched  # co-animator, bailleur
    lea: Launched  # participant, lise-vautrin
    lucas: Launched  # observer, cadre-et-regulation
    chloe: Launched  # no role

    def path(self, name: str, *extra: str) -> str:
        from django.urls import reverse

        return reverse(
            f"roleplays:{name}", args=[self.placement.resource_link_id, self.team.pk, *extra]
        )

    def fresh_session(self) -> LiveSession:
        return LiveSession.objects.get(pk=self.session.pk)


def live_setup_make(demo: Any) -> LiveSetup:
    # Migration 0003 published the briefs, but a transactional test before this one may
    # have flushed them (and ``roleplay`` publishes the scenarios only): publish again.
    activities_load(paths=roleplay_files())
    trainer = launch_roleplay(demo, "claire.martin")
    placement_bind_from_custom(resource_link=trainer.resource_link)
    people = {
        who: launch_roleplay(demo, who)
        for who in ("hugo.petit", "ines.moreau", "lea.bernard", "lucas.fontaine", "chloe.lambert")
    }
    placement = placement_of(trainer)
    team = Team.objects.create(placement=placement, number=1, name="Équipe 1")
    for who, mandate in (("hugo.petit", "caf"), ("ines.moreau", "bailleur")):
        TeamMember.objects.create(
            team=team, placement=placement, lti_user=people[who].lti_user, mandate_id=mandate
        )
    session = session_of(team)
    SessionRole.objects.create(
        session=session,
        lti_user=people["lea.bernard"].lti_user,
        role=SessionRole.Role.PARTICIPANT,
        card_id="lise-vautrin",
    )
    SessionRole.objects.create(
        session=session,
        lti_user=people["lucas.fontaine"].lti_user,
        role=SessionRole.Role.OBSERVER,
        focus_id="cadre-et-regulation",
    )
    return LiveSetup(
        demo=demo,
        placement=placement,
        brief=brief_of(placement),
        team=team,
        session=session,
        trainer=trainer,
        hugo=people["hugo.petit"],
        ines=people["ines.moreau"],
        lea=people["lea.bernard"],
        lucas=people["lucas.fontaine"],
        chloe=people["chloe.lambert"],
    )


@pytest.fixture
def live_setup(roleplay: Any, decesf: Any) -> LiveSetup:  # noqa: F811
    return live_setup_make(roleplay)
