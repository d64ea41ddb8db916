"""Staff screens for competence frameworks, mounted under /referentiels/ (config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, path

from lti_tool.grading.frameworks import views

app_name = "frameworks"

urlpatterns: list[URLPattern] = [
    path("", views.framework_index, name="index"),
    path("<str:code>/v<int:version>/", views.framework_detail, name="detail"),
    path(
        "<str:code>/v<int:version>/moodle.csv",
        views.framework_moodle_csv_download,
        name="moodle_csv",
    ),
]
