"""Registration screens (dynamic and manual); included by lti/urls.py."""

from __future__ import annotations

from django.urls import URLPattern, path

from lti_tool.lti.views import registration

urlpatterns: list[URLPattern] = [
    # LTI Dynamic Registration 1.0: the URL an admin pastes into Moodle.
    path("register/", registration.dynamic_registration, name="register"),
    # Staff only, outside LTI.
    path("registrations/", registration.registration_index, name="registration_index"),
    path("registrations/new/", registration.registration_create, name="registration_create"),
    path("registrations/moodle-values/", registration.tool_values, name="tool_values"),
    path(
        "registrations/<int:pk>/active/",
        registration.registration_toggle,
        name="registration_toggle",
    ),
    path(
        "deployments/<int:pk>/active/",
        registration.deployment_toggle,
        name="deployment_toggle",
    ),
]
