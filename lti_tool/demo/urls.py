"""The built-in platform's URLs, under /demo/ (config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from lti_tool.demo.views import faults, pages, protocol, services_api

app_name = "demo"

urlpatterns: list[URLPattern | URLResolver] = [
    # Pages for people
    path("", pages.home, name="home"),
    path("setup/", pages.setup, name="setup"),
    path("registration/start/", pages.registration_start, name="registration_start"),
    path("tools/<int:tool_id>/activate/", pages.tool_activate, name="tool_activate"),
    path("launch/", pages.launch, name="launch"),
    path("launch/start/", pages.launch_start, name="launch_start"),
    path("gradebook/", pages.gradebook, name="gradebook"),
    # Fault switches and counters for tests and benchmarks (lti_tool/demo/faults.py).
    path("faults/", faults.faults, name="faults"),
    path("stats/", faults.stats, name="stats"),
    # Endpoints the tool calls
    path("jwks/", protocol.jwks, name="jwks"),
    path(
        ".well-known/openid-configuration",
        protocol.openid_configuration_view,
        name="openid_configuration",
    ),
    path("register/", protocol.register, name="register"),
    path("auth/", protocol.auth, name="auth"),
    path("token/", protocol.token, name="token"),
    path("deep-link-return/", protocol.deep_link_return, name="deep_link_return"),
    # AGS: Moodle's URL shapes, the tool type in the query string (shared/moodle.md).
    path("ags/<int:course_id>/lineitems", services_api.line_items, name="ags_lineitems"),
    path(
        "ags/<int:course_id>/lineitems/<int:item_id>/lineitem",
        services_api.line_item,
        name="ags_lineitem",
    ),
    path(
        "ags/<int:course_id>/lineitems/<int:item_id>/lineitem/scores",
        services_api.scores,
        name="ags_scores",
    ),
    path(
        "ags/<int:course_id>/lineitems/<int:item_id>/lineitem/results",
        services_api.results,
        name="ags_results",
    ),
    path("nrps/<int:course_id>/memberships", services_api.memberships, name="nrps"),
]
