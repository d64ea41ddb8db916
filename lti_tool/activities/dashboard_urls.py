"""The trainer's course dashboard (included from config/urls.py under the "dashboard"
namespace)."""

from __future__ import annotations

from django.urls import path

from lti_tool.activities import dashboard_views

app_name = "dashboard"

urlpatterns = [
    path(
        "cours/<int:context_pk>/tableau-de-bord/",
        dashboard_views.course_dashboard_page,
        name="course",
    ),
    path(
        "cours/<int:context_pk>/tableau-de-bord/export.csv",
        dashboard_views.course_dashboard_csv,
        name="course_csv",
    ),
    path(
        "cours/<int:context_pk>/participants/actualiser/",
        dashboard_views.course_roster_refresh,
        name="roster_refresh",
    ),
]
