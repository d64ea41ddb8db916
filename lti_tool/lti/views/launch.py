"""OIDC login and launch endpoints. Thin: parse, call lti services, answer."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lti_tool.core.exceptions import ApplicationError
from lti_tool.core.middleware import render_application_error
from lti_tool.lti.endpoints import tool_endpoints_for_request
from lti_tool.lti.errors import LaunchRefused
from lti_tool.lti.framing import allow_framing_by
from lti_tool.lti.launch import launch_validate, oidc_login_redirect_url, unverified_locale
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.middleware import LAUNCH_PARAM
from lti_tool.lti.services import launch_record

logger = logging.getLogger(__name__)

_LOGIN_PARAMS = (
    "iss",
    "login_hint",
    "target_link_uri",
    "lti_message_hint",
    "client_id",
    "lti_deployment_id",
)


# Moodle posts the login initiation from its own page (no CSRF token can exist); the
# request is authenticated later by the signed id_token bound to this state.
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    source = request.POST if request.method == "POST" else request.GET
    params = {name: source.get(name, "") for name in _LOGIN_PARAMS}
    try:
        url = oidc_login_redirect_url(
            params=params,
            redirect_uri=tool_endpoints_for_request(request).launch_url,
            our_host=request.get_host(),
        )
    except ApplicationError as error:
        return render_application_error(request, error)
    return HttpResponseRedirect(url)


def _trainer_link_landing(launch: LtiLaunch) -> str | None:
    """A trainer's resource-link launch may need another page first (a link not bound to
    an activity yet opens the catalogue): the app above decides, through a setting, so
    that lti/ imports nothing from it (design.md §2)."""
    hook = getattr(settings, "LTI_TRAINER_LINK_LANDING", "")
    if not hook or launch.resource_link_id is None:
        return None
    landing: str | None = import_string(hook)(launch)
    return landing


def _landing_url(launch: LtiLaunch) -> str:
    destinations = settings.LTI_LAUNCH_DESTINATIONS
    if launch.is_deep_linking:
        # Deep Linking 2.0 §4.4: the catalogue; placing content is a trainer's act.
        if not launch.is_trainer:
            raise LaunchRefused(
                "deep_linking_role", status_code=403, roles=", ".join(launch.roles) or "—"
            )
        path = reverse(destinations["deep_linking"])
    elif launch.is_trainer and launch.context_id is not None:
        path = _trainer_link_landing(launch) or reverse(
            destinations["trainer"], args=[launch.context_id]
        )
    elif launch.resource_link_id is not None and (launch.is_student or not launch.is_trainer):
        path = reverse(destinations["student"], args=[launch.resource_link_id])
    else:
        raise LaunchRefused(
            "role_unsupported", status_code=403, roles=", ".join(launch.roles) or "—"
        )
    return f"{path}?{urlencode({LAUNCH_PARAM: launch.launch_id})}"


# The id_token form post comes from the platform's auth page: it is authenticated by the
# signature, the single-use state and the single-use nonce, not by a CSRF cookie.
@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    try:
        validated = launch_validate(request)
    except ApplicationError as error:
        with translation.override(unverified_locale(request) or translation.get_language()):
            return render_application_error(request, error)
    lti_launch = launch_record(launch=validated)
    with translation.override(lti_launch.language):
        try:
            response: HttpResponse = HttpResponseRedirect(_landing_url(lti_launch))
            response.status_code = 303
        except ApplicationError as error:
            response = render_application_error(request, error)
    return allow_framing_by(response, [lti_launch.platform_origin])
