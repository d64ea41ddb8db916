"""URLs of placed role-plays, under /jeu-de-role/<resource link>/ (issue 8)."""

from __future__ import annotations

from django.urls import URLPattern

from lti_tool.activities.roleplays.views import debrief, grading, live, sheet, teams

app_name = "roleplays"

urlpatterns: list[URLPattern] = [
    *teams.urlpatterns,
    *sheet.urlpatterns,
    *live.urlpatterns,
    *debrief.urlpatterns,
    *grading.urlpatterns,
]
