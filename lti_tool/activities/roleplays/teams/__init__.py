"""Teams and session roles of a placed role-play (issue 8, "Groups and roles"; domain.md §6.1).

The trainer forms pairs or trios from the course roster (launches and NRPS, so students who
never launched are there too), by hand or at random, or lets students enrol themselves up
to the team size; gives each co-animator one of the brief's mandates; and, for each team's
live session, deals the brief's role cards to participants and its focuses to observers,
among the students who do not co-animate that session.

Writes are ``@transaction.atomic`` and lock the placement's setup row first: two trainers
(or two students joining the last seat) are served one after the other, so the "team not
full" and "not in a team yet" checks hold. The database constraints (one team per student
and placement, a card once per session) stay the last word: an ``IntegrityError`` becomes
a 409 a person can act on. Ids of cards, focuses and mandates are checked against the brief.

``rules`` (pure), ``selectors`` (reads), ``services`` and ``enrolment`` (writes: the
trainer's, the students'); their public names are re-exported here.
"""

from __future__ import annotations

from lti_tool.activities.roleplays.teams.enrolment import (
    team_enrol_create,
    team_enrol_join,
    team_enrol_leave,
)
from lti_tool.activities.roleplays.teams.rules import (
    mandates_dealt,
    roles_dealt,
    team_sizes,
)
from lti_tool.activities.roleplays.teams.selectors import (
    MemberView,
    OpenTeam,
    RoleChoice,
    RoleView,
    SetupPage,
    StudentHome,
    StudentRow,
    TeamView,
    course_students,
    course_students_get,
    setup_page,
    student_home,
    team_lock_reason,
    team_sheet_written,
)
from lti_tool.activities.roleplays.teams.services import (
    Assignment,
    session_roles_deal,
    session_roles_set,
    setup_update,
    team_create,
    team_delete,
    team_mandates_set,
    team_members_set,
    teams_draw,
    trainer_link_bind,
)

__all__ = [
    "Assignment",
    "MemberView",
    "OpenTeam",
    "RoleChoice",
    "RoleView",
    "SetupPage",
    "StudentHome",
    "StudentRow",
    "TeamView",
    "course_students",
    "course_students_get",
    "mandates_dealt",
    "roles_dealt",
    "session_roles_deal",
    "session_roles_set",
    "setup_page",
    "setup_update",
    "student_home",
    "team_create",
    "team_delete",
    "team_enrol_create",
    "team_enrol_join",
    "team_enrol_leave",
    "team_lock_reason",
    "team_mandates_set",
    "team_members_set",
    "team_sheet_written",
    "team_sizes",
    "teams_draw",
    "trainer_link_bind",
]
