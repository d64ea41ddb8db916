"""Template helpers for pages rendered for a launch."""

from __future__ import annotations

from django import template
from django.http import HttpRequest
from django.utils.html import format_html

from lti_tool.lti.csrf import FIELD_NAME, launch_csrf_token
from lti_tool.lti.middleware import LAUNCH_PARAM

register = template.Library()


@register.simple_tag(takes_context=True)
def launch_form_fields(context: template.Context) -> str:
    """Hidden inputs every form inside the iframe needs: the launch id and its CSRF token."""
    request: HttpRequest = context["request"]
    launch = request.lti_launch  # type: ignore[attr-defined]
    if not launch.present:
        return ""
    return format_html(
        '<input type="hidden" name="{}" value="{}"><input type="hidden" name="{}" value="{}">',
        LAUNCH_PARAM,
        launch.launch_id,
        FIELD_NAME,
        launch_csrf_token(launch.launch_id),
    )


@register.simple_tag(takes_context=True)
def launch_url(context: template.Context, path: str) -> str:
    """``path`` with the launch id appended, for links that stay inside the launch."""
    request: HttpRequest = context["request"]
    launch = request.lti_launch  # type: ignore[attr-defined]
    if not launch.present:
        return path
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{LAUNCH_PARAM}={launch.launch_id}"
