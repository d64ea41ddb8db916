"""Dynamic Registration 1.0, our half of the exchange: the client registration we post
with the platform's token (§3.5.2, §3.3) and the platform's answer (§3.6), in the shape
Moodle 4.3 wants (shared/moodle.md, "Registration")."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from lti_tool.lti.constants import TOOL_SCOPES, Claim, DeepLinkingPlacement, MessageType
from lti_tool.lti.dynamic_registration import (
    PlatformConfiguration,
    PlatformConfigurationInvalid,
    PlatformRefusedRegistration,
    PlatformUnreachable,
    body_read,
    json_object_read,
    platform_text,
)
from lti_tool.lti.endpoints import ToolEndpoints

logger = logging.getLogger(__name__)

TOOL_CLIENT_NAME = "Atelier"
# OIDC claims Atelier needs to greet people and list them to trainers (DR §3.3 "claims");
# Moodle turns name/email claims into "share name/email: always".
TOOL_CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")


@dataclass(frozen=True)
class ClientRegistration:
    """The platform's answer to our registration (DR §3.6)."""

    client_id: str
    deployment_id: str
    client_name: str


def tool_registration_payload(endpoints: ToolEndpoints) -> dict[str, Any]:
    """Our client registration request (DR §3.5.2, §3.3), in the shape Moodle 4.3 wants."""
    # Moodle compares ``domain`` with the host of target_link_uri, port included.
    domain = urlsplit(endpoints.launch_url).netloc
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": endpoints.login_url,
        "redirect_uris": list(endpoints.redirect_uris),
        "client_name": TOOL_CLIENT_NAME,
        "jwks_uri": endpoints.jwks_url,
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(str(scope) for scope in TOOL_SCOPES),
        str(Claim.TOOL_CONFIGURATION): {
            "domain": domain,
            "target_link_uri": endpoints.launch_url,
            "description": _(
                "Atelier : mises en situation professionnelle et évaluation par domaine "
                "de compétences."
            ),
            "claims": list(TOOL_CLAIMS),
            "messages": [
                {
                    "type": str(MessageType.DEEP_LINKING),
                    "target_link_uri": endpoints.deep_link_url,
                    "label": TOOL_CLIENT_NAME,
                    "placements": [str(DeepLinkingPlacement.CONTENT_AREA)],
                }
            ],
        },
    }


def client_registration_post(
    *, configuration: PlatformConfiguration, registration_token: str, payload: dict[str, Any]
) -> ClientRegistration:
    """POST the registration with the platform's token (DR §3.5.2) and read its answer."""
    url = configuration.registration_endpoint
    try:
        response = requests.post(
            url,
            data=json.dumps(payload),
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {registration_token}",
            },
            timeout=settings.LTI_HTTP_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        )
    except requests.RequestException as exc:
        # Never log the exception text: some carry the request headers (the token).
        logger.info("dynamic registration: POST %s failed: %s", url, type(exc).__name__)
        raise PlatformUnreachable(
            _("Impossible d'envoyer l'enregistrement à la plateforme (%(url)s).") % {"url": url}
        ) from exc
    body = body_read(response)
    if not 200 <= response.status_code < 300:
        raise _refusal(response.status_code, body)
    return client_registration_parse(json_object_read(body, what=_("réponse à l'enregistrement")))


def client_registration_parse(data: dict[str, Any]) -> ClientRegistration:
    """DR §3.6: ``client_id`` at the top, the deployment in the tool-configuration claim."""
    tool_configuration = data.get(Claim.TOOL_CONFIGURATION)
    tool_configuration = tool_configuration if isinstance(tool_configuration, dict) else {}
    client_id = data.get("client_id")
    deployment_id = tool_configuration.get("deployment_id")
    if not isinstance(client_id, str | int) or not str(client_id):
        raise PlatformConfigurationInvalid(
            _("La plateforme a accepté l'enregistrement sans donner d'identifiant client."),
            code="registration_without_client_id",
        )
    if not isinstance(deployment_id, str | int) or not str(deployment_id):
        raise PlatformConfigurationInvalid(
            _("La plateforme a accepté l'enregistrement sans donner d'identifiant de déploiement."),
            code="registration_without_deployment_id",
        )
    return ClientRegistration(
        client_id=str(client_id),
        deployment_id=str(deployment_id),
        client_name=str(data.get("client_name") or TOOL_CLIENT_NAME),
    )


# Moodle answers refusals in plain text with a bare code (mod/lti/openid-registration.php).
KNOWN_REFUSALS = {
    "token_already_used": gettext_noop("Ce jeton d'enregistrement a déjà servi."),
    "missing_registration_token": gettext_noop(
        "La plateforme n'a pas reçu de jeton d'enregistrement."
    ),
    "expired token": gettext_noop("Le jeton d'enregistrement a expiré (il est valable une heure)."),
    "invalid_response_types": gettext_noop("La plateforme refuse les types de réponse demandés."),
    "invalid_redirect_uris": gettext_noop("La plateforme refuse les URI de redirection."),
    "invalid_token_endpoint_auth_method": gettext_noop(
        "La plateforme refuse la méthode d'authentification."
    ),
    "invalid_application_type": gettext_noop("La plateforme refuse le type d'application."),
}


def _refusal(status: int, body: bytes) -> PlatformRefusedRegistration:
    text = platform_text(body)
    known = next(
        (_(sentence) for code, sentence in KNOWN_REFUSALS.items() if code in text.lower()), ""
    )
    message = _("La plateforme a refusé l'enregistrement (HTTP %(status)s) : « %(text)s »") % {
        "status": status,
        "text": text or _("réponse vide"),
    }
    return PlatformRefusedRegistration(
        f"{message} {known}".strip(),
        extra={
            "platform_status": status,
            "platform_message": text,
            "hint": _(
                "Le jeton d'enregistrement est à usage unique et valable une heure : "
                "relancez l'enregistrement depuis Moodle (Gérer les outils → « URL de "
                "l'outil » → Ajouter LTI Advantage)."
            ),
        },
    )
