"""URLs of placed DSL project canvases, under /projet-dsl/<resource link>/ (issue 9)."""

from __future__ import annotations

from django.urls import URLPattern

from lti_tool.activities.dsl.views import peers, student, trainer

app_name = "dsl"

urlpatterns: list[URLPattern] = [
    *student.urlpatterns,
    *peers.urlpatterns,
    *trainer.urlpatterns,
]
