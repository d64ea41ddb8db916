from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from lti_tool.lti.views.jwks import jwks

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("lti/", include("lti_tool.lti.urls")),
    path(".well-known/jwks.json", jwks, name="well_known_jwks"),
    path("referentiels/", include("lti_tool.grading.frameworks.urls")),
    path("evaluation/", include("lti_tool.grading.urls")),
    path("", include("lti_tool.activities.dashboard_urls")),
    path("", include("lti_tool.activities.urls")),
    path("", include("lti_tool.activities.roleplays.urls")),
    path("", include("lti_tool.activities.dsl.urls")),
    path("", include("lti_tool.activities.dpa.urls")),
]

if settings.DEMO_PLATFORM_ENABLED:
    urlpatterns.append(path("demo/", include("lti_tool.demo.urls")))
