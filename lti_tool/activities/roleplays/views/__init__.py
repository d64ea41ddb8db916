"""Views of the role-play app, one module per stage of the activity (issue 8): teams and
roles, preparation sheet, live session, debrief and reports, trainer grading."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.middleware import LAUNCH_PARAM


def launch_redirect(
    launch: LtiLaunch, name: str, *args: int, anchor: str = "", **query: str
) -> HttpResponseRedirect:
    """Post/redirect/get (303) that keeps the launch id: no cookie inside the iframe."""
    params = urlencode({LAUNCH_PARAM: launch.launch_id, **query})
    response = HttpResponseRedirect(
        f"{reverse(name, args=args)}?{params}{'#' + anchor if anchor else ''}"
    )
    response.status_code = 303
    return response
