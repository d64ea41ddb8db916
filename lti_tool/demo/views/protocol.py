"""Platform endpoints a tool calls: keys, discovery, OIDC auth, tokens, registration,
deep-linking return. Authenticated by JWTs and tokens, hence CSRF-exempt."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lti_tool.core.exceptions import ApplicationError, NotFound
from lti_tool.demo.constants import Claim
from lti_tool.demo.deep_linking import deep_linking_response_accept
from lti_tool.demo.faults import token_faults
from lti_tool.demo.launch import auth_request_answer
from lti_tool.demo.models import DemoPlatform
from lti_tool.demo.oauth import OAuthError, access_token_issue
from lti_tool.demo.registration import openid_configuration, tool_registration_create
from lti_tool.demo.selectors import platform_get_for_base_url
from lti_tool.demo.views.common import (
    content_type_of,
    plain_text_errors,
    request_base_url,
)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    """Public keys of the platform(s) this server hosts (Security Framework §6.3)."""
    platform = platform_get_for_base_url(request_base_url(request))
    platforms = [platform] if platform else DemoPlatform.objects.order_by("pk")
    members = ("kty", "e", "n", "kid", "alg", "use")
    keys = [{m: p.public_jwk[m] for m in members} for p in platforms]
    return JsonResponse({"keys": keys})


@require_GET
@plain_text_errors
def openid_configuration_view(request: HttpRequest) -> JsonResponse:
    platform = platform_get_for_base_url(request_base_url(request))
    if platform is None:
        raise NotFound(
            _("Aucune plateforme de démonstration pour %(url)s.")
            % {"url": request_base_url(request)}
        )
    return JsonResponse(openid_configuration(platform))


@csrf_exempt
@require_POST
@plain_text_errors
def register(request: HttpRequest) -> HttpResponse:
    """Dynamic Registration 1.0 §3.5 registration endpoint."""
    if content_type_of(request) != "application/json":
        raise ApplicationError(_("Le corps doit être en application/json."), status_code=415)
    _tool, answer = tool_registration_create(
        authorization=request.headers.get("Authorization", ""), body=request.body
    )
    return JsonResponse(answer)


@csrf_exempt
@xframe_options_sameorigin
@require_http_methods(["GET", "POST"])
def auth(request: HttpRequest) -> HttpResponse:
    """OIDC authentication endpoint (LTI 1.3 §5.1.1.2): answers an auto-submitted form."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        answer = auth_request_answer(params={k: params.get(k, "") for k in params})
    except ApplicationError as error:
        return render(
            request,
            "demo/refusal.html",
            {"error": error, "title": _("Demande d'authentification refusée")},
            status=400,
        )
    return render(
        request,
        "demo/auto_post.html",
        {
            "form_id": "lti-auto-submit",
            "action": answer.redirect_uri,
            "fields": {"id_token": answer.id_token, "state": answer.state},
            "title": _("Lancement de l'outil…"),
        },
    )


@csrf_exempt
@require_POST
@token_faults
def token(request: HttpRequest) -> JsonResponse:
    """OAuth 2 client credentials (Security Framework §4.1); errors per RFC 6749 §5.2."""
    try:
        issued = access_token_issue(form=request.POST, content_type=content_type_of(request))
    except OAuthError as error:
        return JsonResponse(
            {"error": error.code, "error_description": error.message}, status=error.status_code
        )
    response = JsonResponse(issued.as_dict())
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@xframe_options_sameorigin
@require_POST
def deep_link_return(request: HttpRequest) -> HttpResponse:
    """Deep Linking 2.0 §4.5: the tool's signed response, posted by the browser."""
    try:
        placed, claims = deep_linking_response_accept(token=request.POST.get("JWT", ""))
    except ApplicationError as error:
        return render(
            request,
            "demo/refusal.html",
            {"error": error, "title": _("Réponse de sélection de contenu refusée")},
            status=400,
        )
    return render(
        request,
        "demo/deep_link_done.html",
        {
            "placed": placed,
            "msg": claims.get(Claim.DL_MSG, ""),
            "errormsg": claims.get(Claim.DL_ERRORMSG, ""),
        },
    )
