"""Views of the role-play app, one module per stage of the activity (issue 8): teams and
roles, preparation sheet, live session, debrief and reports, trainer grading."""

from __future__ import annotations
