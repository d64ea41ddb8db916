"""Template helpers of the scenario player."""

from __future__ import annotations

import json

from django import template
from django.http import HttpRequest

from lti_tool.lti.csrf import launch_csrf_token
from lti_tool.lti.middleware import LAUNCH_HEADER

register = template.Library()


@register.simple_tag(takes_context=True)
def launch_htmx_headers(context: template.Context) -> str:
    """``hx-headers`` JSON: every htmx request carries the launch id and its CSRF token,
    since the iframe has no cookie to carry them (shared/moodle.md, "Container")."""
    request: HttpRequest = context["request"]
    launch = request.lti_launch  # type: ignore[attr-defined]
    if not launch.present:
        return "{}"
    # Autoescaping of the attribute value happens in the template ({{ }} of a simple_tag
    # result is escaped), so quotes in the JSON are safe inside hx-headers='…'.
    return json.dumps(
        {LAUNCH_HEADER: launch.launch_id, "X-Launch-CSRF": launch_csrf_token(launch.launch_id)}
    )


@register.filter
def minutes_seconds(seconds: int | None) -> str:
    """``95`` → ``1 min 35 s`` (time spent on a decision)."""
    if seconds is None:
        return "—"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


@register.filter
def get_item(mapping: dict[object, object], key: object) -> object:
    """``mapping[key]`` or None (the course page's placements by link)."""
    return mapping.get(key) if isinstance(mapping, dict) else None
