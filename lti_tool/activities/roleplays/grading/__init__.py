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

from lti_tool.activities.roleplays.grading.selectors import (
    DomainResultView,
    GradingCell,
    TeamGrading,
    student_roleplay_results,
    team_grading,
)
from lti_tool.activities.roleplays.grading.services import (
    member_absence_set,
    team_grading_save,
    team_grading_validate,
)
from lti_tool.activities.roleplays.grading.state import LevelChoice, Slot, brief_rubric

__all__ = [
    "DomainResultView",
    "GradingCell",
    "LevelChoice",
    "Slot",
    "TeamGrading",
    "brief_rubric",
    "member_absence_set",
    "student_roleplay_results",
    "team_grading",
    "team_grading_save",
    "team_grading_validate",
]
