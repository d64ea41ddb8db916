"""Post/redirect/get after a launch: the next URL keeps the launch id.

Inside Moodle's iframe there is no cookie to carry the session (shared/moodle.md, "Forms
inside the iframe"), so every redirect names the launch in its query string.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpResponseRedirect
from django.urls import reverse

from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.middleware import LAUNCH_PARAM


def launch_redirect(
    launch: LtiLaunch, name: str, *args: int, anchor: str = "", **query: str | int
) -> HttpResponseRedirect:
    """A 303 to the URL named ``name`` (with ``args``), keeping the launch id."""
    params = urlencode({LAUNCH_PARAM: launch.launch_id, **query})
    fragment = f"#{anchor}" if anchor else ""
    response = HttpResponseRedirect(f"{reverse(name, args=args)}?{params}{fragment}")
    response.status_code = 303
    return response
