"""Fault switches (staff only) and counters of the built-in platform.

POST /demo/faults/ flips a switch: a staff session with its CSRF token (the page), or
HTTP Basic credentials of a staff account (benchmark scripts). GET /demo/stats/ answers
the counters as JSON for tests and benchmarks.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods

from lti_tool.core.exceptions import ApplicationError, NotFound, ValidationFailed
from lti_tool.demo import faults as demo_faults
from lti_tool.demo.models import DemoPlatform
from lti_tool.demo.selectors import platform_get_for_base_url
from lti_tool.demo.views.common import request_base_url


def _platform(request: HttpRequest) -> DemoPlatform:
    platform = platform_get_for_base_url(request_base_url(request))
    if platform is None:
        raise NotFound(
            _("La plateforme de démonstration n'est pas initialisée pour %(url)s.")
            % {"url": request_base_url(request)}
        )
    return platform


def _basic_staff(request: HttpRequest) -> bool | None:
    """True/False for Basic credentials of a staff account or not; None without them."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        username, _sep, password = base64.b64decode(value).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    user = authenticate(request, username=username, password=password)
    return bool(user is not None and user.is_active and user.is_staff)


def _fields(request: HttpRequest) -> dict[str, Any]:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError as error:
            raise ValidationFailed(_("Le corps n'est pas du JSON valide.")) from error
        if not isinstance(data, dict):
            raise ValidationFailed(_("Le corps doit être un objet JSON."))
        return data
    form: QueryDict = request.POST
    return {key: form.get(key) for key in form}


def _apply(platform: DemoPlatform, data: dict[str, Any]) -> None:
    action = data.get("action") or "set"
    if action == "clear":
        demo_faults.demo_faults_clear(platform)
    elif action == "reset_stats":
        demo_faults.demo_stats_reset(platform)
    elif action == "set":
        demo_faults.demo_fault_set(
            platform=platform,
            kind=str(data.get("kind") or ""),
            count=data.get("count") or None,
            share=data.get("share") or None,
            status=data.get("status") or None,
            seconds=data.get("seconds") or None,
        )
    else:
        raise ValidationFailed(
            _("action inconnue : %(action)s (set, clear, reset_stats).") % {"action": action}
        )


def _api(request: HttpRequest, platform: DemoPlatform) -> JsonResponse:
    try:
        if request.method == "POST":
            _apply(platform, _fields(request))
    except ApplicationError as error:
        return JsonResponse({"message": error.message, "extra": error.extra}, status=400)
    return JsonResponse({"faults": demo_faults.demo_faults_get(platform)})


@csrf_protect
def _page_post(request: HttpRequest, platform: DemoPlatform) -> HttpResponse:
    try:
        _apply(platform, _fields(request))
    except ApplicationError as error:
        return _page(request, platform, error=error.message, status=400)
    return redirect("demo:faults")


def _page(
    request: HttpRequest, platform: DemoPlatform, *, error: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "platform": platform,
        "faults": demo_faults.demo_faults_get(platform),
        "stats": demo_faults.demo_stats(platform),
        "kinds": [kind.value for kind in demo_faults.FaultKind],
        "error": error,
    }
    return render(request, "demo/faults.html", context, status=status)


@csrf_exempt  # Basic-authenticated scripts only; the session path goes through csrf_protect
@require_http_methods(["GET", "POST"])
def faults(request: HttpRequest) -> HttpResponse:
    platform = _platform(request)
    basic = _basic_staff(request)
    if basic is not None:
        if not basic:
            return JsonResponse({"message": _("Identifiants d'équipe refusés.")}, status=403)
        return _api(request, platform)
    if not (request.user.is_authenticated and request.user.is_staff):
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        return _page_post(request, platform)
    return _page(request, platform)


@require_GET
def stats(request: HttpRequest) -> JsonResponse:
    return JsonResponse(demo_faults.demo_stats(_platform(request)))
