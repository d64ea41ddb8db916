"""Attach the launch the request belongs to, from an opaque id (never a cookie).

The id travels as the ``launch`` query/form parameter or the ``X-Atelier-Launch`` header
(htmx requests). Pages rendered for a launch speak its language and may be framed by its
platform only (shared/moodle.md, "Container" and "Framing").
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from lti_tool.lti.framing import allow_framing_by
from lti_tool.lti.launch_context import ABSENT_LAUNCH, LtiLaunch
from lti_tool.lti.launch_store import launch_load

LAUNCH_PARAM = "launch"
LAUNCH_HEADER = "X-Atelier-Launch"


def launch_id_of(request: HttpRequest) -> str:
    return (
        request.headers.get(LAUNCH_HEADER)
        or request.GET.get(LAUNCH_PARAM)
        or (request.POST.get(LAUNCH_PARAM, "") if request.method == "POST" else "")
    )


class LaunchMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        launch_id = launch_id_of(request)
        data = launch_load(launch_id) if launch_id else None
        if data is None:
            request.lti_launch = ABSENT_LAUNCH  # type: ignore[attr-defined]
            return self.get_response(request)
        launch = LtiLaunch.from_store(launch_id, data)
        request.lti_launch = launch  # type: ignore[attr-defined]
        with translation.override(launch.language):
            request.LANGUAGE_CODE = launch.language  # type: ignore[attr-defined]
            response = self.get_response(request)
        return allow_framing_by(response, [launch.platform_origin])
