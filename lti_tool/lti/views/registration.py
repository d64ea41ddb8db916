"""Registration screens: dynamic registration (inside the platform's iframe) and the
staff-only screens for manual registration.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from lti_tool.core.exceptions import ApplicationError
from lti_tool.lti.constants import REGISTRATION_CLOSE_SUBJECT, TOOL_SCOPES
from lti_tool.lti.dynamic_registration_client import TOOL_CLAIMS, TOOL_CLIENT_NAME
from lti_tool.lti.endpoints import tool_endpoints_for_request
from lti_tool.lti.forms import ManualRegistrationForm
from lti_tool.lti.framing import allow_framing_by
from lti_tool.lti.models import Deployment, Registration
from lti_tool.lti.registration import registration_list
from lti_tool.lti.registration_services import (
    deployment_set_active,
    dynamic_registration_perform,
    dynamic_registration_prepare,
    registration_set_active,
    registration_upsert,
)

logger = logging.getLogger(__name__)

# --- dynamic registration (LTI Dynamic Registration 1.0) --------------------------------


# csrf_exempt is not a blanket exemption: Moodle's iframe loses our CSRF cookie, so the
# POST is checked against a signed confirmation token bound to the registration token
# (registration_confirmation_check, called first by dynamic_registration_perform).
@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def dynamic_registration(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    openid_configuration = params.get("openid_configuration", "").strip()
    registration_token = params.get("registration_token", "").strip()
    try:
        if request.method == "POST":
            response = _registration_done(
                request,
                openid_configuration=openid_configuration,
                registration_token=registration_token,
                confirmation=params.get("confirmation", ""),
            )
        else:
            response = _registration_confirm(
                request,
                openid_configuration=openid_configuration,
                registration_token=registration_token,
            )
    except ApplicationError as error:
        response = _registration_error(request, error)
    # The platform that opened us is the one serving its configuration (checked in
    # platform_configuration_parse); only it may frame these pages.
    return allow_framing_by(response, [openid_configuration])


def _registration_confirm(
    request: HttpRequest, *, openid_configuration: str, registration_token: str
) -> HttpResponse:
    configuration, confirmation = dynamic_registration_prepare(
        openid_configuration=openid_configuration, registration_token=registration_token
    )
    endpoints = tool_endpoints_for_request(request)
    return render(
        request,
        "lti/registration/confirm.html",
        {
            "platform": configuration,
            "endpoints": endpoints,
            "tool_name": TOOL_CLIENT_NAME,
            "scopes": [str(scope) for scope in TOOL_SCOPES],
            "claims": TOOL_CLAIMS,
            "openid_configuration": openid_configuration,
            "registration_token": registration_token,
            "confirmation": confirmation,
        },
    )


def _registration_done(
    request: HttpRequest,
    *,
    openid_configuration: str,
    registration_token: str,
    confirmation: str,
) -> HttpResponse:
    configuration, outcome = dynamic_registration_perform(
        openid_configuration=openid_configuration,
        registration_token=registration_token,
        confirmation=confirmation,
        endpoints=tool_endpoints_for_request(request),
    )
    return render(
        request,
        "lti/registration/done.html",
        {
            "platform": configuration,
            "registration": outcome.registration,
            "created": outcome.created,
            "deployments": outcome.registration.deployments.order_by("deployment_id"),
            "close_subject": REGISTRATION_CLOSE_SUBJECT,
        },
    )


def _registration_error(request: HttpRequest, error: ApplicationError) -> HttpResponse:
    # Logged by code and message only: the registration token never reaches the logs.
    logger.info("dynamic registration refused: %s (%s)", error.code, error.message)
    return render(
        request,
        "lti/registration/error.html",
        {"error": error, "status": error.status_code, "close_subject": REGISTRATION_CLOSE_SUBJECT},
        status=error.status_code,
    )


# --- staff screens (outside LTI: X-Frame-Options DENY and Django's CSRF stay on) -------


@staff_member_required
@require_http_methods(["GET"])
def registration_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "lti/registration/list.html",
        {"registrations": registration_list(), "endpoints": tool_endpoints_for_request(request)},
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def registration_create(request: HttpRequest) -> HttpResponse:
    form = ManualRegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = registration_upsert(
            values=form.registration_values(),
            source=Registration.Source.MANUAL,
            deployment_ids=form.deployment_ids,
        )
        for warning in form.warnings:
            messages.warning(request, warning)
        messages.success(
            request, _registration_saved_message(outcome.created, outcome.registration)
        )
        return redirect("lti:registration_index")
    return render(
        request,
        "lti/registration/create.html",
        {"form": form, **_tool_values_context(request)},
        status=400 if form.is_bound else 200,
    )


def _registration_saved_message(created: bool, registration: Registration) -> str:
    if created:
        return _("Plateforme « %(name)s » enregistrée.") % {"name": registration.name}
    return _(
        "Cette plateforme (même identifiant et même client) existait déjà : "
        "ses adresses et ses déploiements ont été mis à jour."
    )


@staff_member_required
@require_http_methods(["GET"])
def tool_values(request: HttpRequest) -> HttpResponse:
    return render(request, "lti/registration/tool_values.html", _tool_values_context(request))


def _tool_values_context(request: HttpRequest) -> dict[str, object]:
    endpoints = tool_endpoints_for_request(request)
    return {
        "endpoints": endpoints,
        "redirect_uris_text": "\n".join(endpoints.redirect_uris),
        "tool_name": TOOL_CLIENT_NAME,
    }


@staff_member_required
@require_POST
def registration_toggle(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    registration = get_object_or_404(Registration, pk=pk)
    active = request.POST.get("active") == "1"
    registration_set_active(registration=registration, active=active)
    on, off = _("Plateforme « %(name)s » activée."), _("Plateforme « %(name)s » désactivée.")
    return _back_to_index(request, (on if active else off) % {"name": registration.name})


@staff_member_required
@require_POST
def deployment_toggle(request: HttpRequest, pk: int) -> HttpResponseRedirect:
    deployment = get_object_or_404(Deployment.objects.select_related("registration"), pk=pk)
    active = request.POST.get("active") == "1"
    deployment_set_active(deployment=deployment, active=active)
    on = _("Déploiement %(id)s accepté.")
    off = _("Déploiement %(id)s désactivé : ses lancements seront refusés.")
    return _back_to_index(request, (on if active else off) % {"id": deployment.deployment_id})


def _back_to_index(request: HttpRequest, message: str) -> HttpResponseRedirect:
    messages.success(request, message)
    return HttpResponseRedirect(reverse("lti:registration_index"))
