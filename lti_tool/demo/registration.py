"""Dynamic Registration 1.0, platform side, as Moodle 4.3 runs it (shared/moodle.md).

The admin's dialog hands the tool a ``registration_token`` (a JWT signed by the platform,
one hour, single use); the tool posts its client registration with it as a Bearer token.
Refusals are plain text, like Moodle's ``openid-registration.php``.
"""

from __future__ import annotations

import json
import secrets
import string
import time
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ApplicationError, NotAuthenticated, ValidationFailed
from lti_tool.demo.constants import (
    JWT_ALGORITHM,
    LTI_VERSION,
    PRODUCT_FAMILY_CODE,
    PRODUCT_VERSION,
    REGISTRATION_TOKEN_LIFETIME_SECONDS,
    SUBSTITUTION_VARIABLES,
    SUPPORTED_SCOPES,
    Claim,
    MessageType,
)
from lti_tool.demo.crypto import jwt_sign, jwt_unverified_claims
from lti_tool.demo.models import DemoPlatform, DemoRegistrationToken, DemoTool
from lti_tool.demo.selectors import platform_get_by_issuer, platform_url


def client_id_new() -> str:
    # Moodle's client ids are 15 random letters and digits.
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _i in range(15))


@transaction.atomic
def registration_token_issue(platform: DemoPlatform) -> str:
    """A registration_token for one dynamic registration (1 h, single use)."""
    now = int(time.time())
    row = DemoRegistrationToken.objects.create(
        platform=platform,
        jti=uuid.uuid4().hex,
        client_id=client_id_new(),
        expires_at=timezone.now() + timedelta(seconds=REGISTRATION_TOKEN_LIFETIME_SECONDS),
    )
    claims = {
        "iss": platform.issuer,
        # Moodle pre-assigns the client id and puts it in sub.
        "sub": row.client_id,
        "scope": "reg",
        "jti": row.jti,
        "iat": now,
        "exp": now + REGISTRATION_TOKEN_LIFETIME_SECONDS,
    }
    return jwt_sign(claims, kid=platform.kid, private_key_pem=platform.private_key_pem)


def openid_configuration(platform: DemoPlatform) -> dict[str, Any]:
    """Dynamic Registration 1.0 §3.4 (OpenID discovery + LTI platform configuration)."""
    return {
        "issuer": platform.issuer,
        "token_endpoint": platform_url(platform, "token"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": [JWT_ALGORITHM],
        "jwks_uri": platform_url(platform, "jwks"),
        "authorization_endpoint": platform_url(platform, "auth"),
        "registration_endpoint": platform_url(platform, "register"),
        "scopes_supported": [*(str(s) for s in SUPPORTED_SCOPES), "openid"],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": [JWT_ALGORITHM],
        "claims_supported": ["sub", "iss", "name", "given_name", "family_name", "email"],
        Claim.PLATFORM_CONFIGURATION: {
            "product_family_code": PRODUCT_FAMILY_CODE,
            "version": PRODUCT_VERSION,
            "messages_supported": [
                {"type": MessageType.RESOURCE_LINK.value},
                {"type": MessageType.DEEP_LINKING.value, "placements": ["ContentArea"]},
            ],
            "variables": list(SUBSTITUTION_VARIABLES),
        },
    }


class RegistrationRefused(ApplicationError):
    status_code = 400
    code = "registration_refused"


def _token_row(authorization: str) -> DemoRegistrationToken:
    scheme, _sep, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated(_("registration_token absent (en-tête Authorization: Bearer)."))
    token = token.strip()
    try:
        claims = jwt_unverified_claims(token)
    except ValidationFailed as error:
        raise NotAuthenticated(error.message) from error
    platform = platform_get_by_issuer(str(claims.get("iss", "")))
    if platform is None:
        raise NotAuthenticated(_("registration_token émis par une autre plateforme."))
    try:
        jwt.decode(
            token,
            jwt.PyJWK(platform.public_jwk).key,
            algorithms=[JWT_ALGORITHM],
            options={"require": ["exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError as error:
        raise NotAuthenticated(_("registration_token expiré (valable une heure).")) from error
    except jwt.InvalidTokenError as error:
        raise NotAuthenticated(_("registration_token invalide : %(e)s.") % {"e": error}) from error
    row = (
        DemoRegistrationToken.objects.select_for_update()
        .select_related("platform")
        .filter(jti=claims["jti"], platform=platform)
        .first()
    )
    if row is None or row.expires_at <= timezone.now():
        raise NotAuthenticated(_("registration_token inconnu ou expiré."))
    if row.used_at is not None:
        raise NotAuthenticated(_("registration_token déjà utilisé (usage unique)."))
    return row


def _refuse(code: str, message: str) -> RegistrationRefused:
    return RegistrationRefused(f"{code}: {message}", code=code)


def _url(value: Any) -> bool:
    parts = urlsplit(value) if isinstance(value, str) else None
    return bool(parts and parts.scheme in {"http", "https"} and parts.netloc)


def _check_client(payload: dict[str, Any]) -> None:
    """Moodle's registration_helper::registration_to_config checks, in its order."""
    if payload.get("application_type") != "web":
        raise _refuse("invalid_application_type", _("application_type doit valoir « web »."))
    if "id_token" not in (payload.get("response_types") or []):
        raise _refuse("invalid_response_types", _("response_types doit contenir « id_token »."))
    grants = payload.get("grant_types") or []
    if "implicit" not in grants or "client_credentials" not in grants:
        raise _refuse(
            "invalid_grant_types",
            _("grant_types doit contenir « implicit » et « client_credentials »."),
        )
    if not _url(payload.get("initiate_login_uri")):
        raise _refuse("missing_initiate_login_uri", _("initiate_login_uri absent ou invalide."))
    uris = payload.get("redirect_uris")
    if not isinstance(uris, list) or not uris or not all(_url(u) for u in uris):
        raise _refuse("missing_redirect_uris", _("redirect_uris doit être une liste d'URL."))
    if not isinstance(payload.get("client_name"), str) or not payload["client_name"].strip():
        raise _refuse("missing_client_name", _("client_name absent."))
    if not _url(payload.get("jwks_uri")):
        raise _refuse("missing_jwks_uri", _("jwks_uri absent ou invalide."))
    if payload.get("token_endpoint_auth_method") != "private_key_jwt":
        raise _refuse(
            "invalid_token_endpoint_auth_method",
            _("token_endpoint_auth_method doit valoir « private_key_jwt »."),
        )
    if not isinstance(payload.get("scope"), str):
        raise _refuse("missing_scope", _("scope absent (portées séparées par des espaces)."))


def _check_tool_configuration(payload: dict[str, Any]) -> dict[str, Any]:
    config = payload.get(Claim.TOOL_CONFIGURATION)
    if not isinstance(config, dict):
        raise _refuse(
            "missing_lti_tool_configuration", _("%(c)s absent.") % {"c": Claim.TOOL_CONFIGURATION}
        )
    domain = config.get("domain")
    target = config.get("target_link_uri")
    if not isinstance(domain, str) or not domain:
        raise _refuse("missing_domain", _("domain absent de la configuration de l'outil."))
    if not _url(target):
        raise _refuse("missing_target_link_uri", _("target_link_uri absent ou invalide."))
    # Moodle compares host[:port] of target_link_uri with domain, port included.
    if urlsplit(target).netloc.lower() != domain.lower():
        raise _refuse(
            "domain_targetlinkuri_mismatch",
            _("domain « %(d)s » ne correspond pas à l'hôte de target_link_uri « %(t)s ».")
            % {"d": domain, "t": urlsplit(target).netloc},
        )
    return config


def _deep_link_url(config: dict[str, Any]) -> str:
    for message in config.get("messages") or []:
        if isinstance(message, dict) and message.get("type") == MessageType.DEEP_LINKING.value:
            return str(message.get("target_link_uri") or config["target_link_uri"])
    return ""


@transaction.atomic
def tool_registration_create(*, authorization: str, body: bytes) -> tuple[DemoTool, dict[str, Any]]:
    """Register a tool from its client registration; the token is spent only on success."""
    row = _token_row(authorization)
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise _refuse("invalid_json", _("Le corps n'est pas du JSON.")) from error
    if not isinstance(payload, dict):
        raise _refuse("invalid_json", _("Le corps doit être un objet JSON."))
    _check_client(payload)
    config = _check_tool_configuration(payload)
    requested = payload["scope"].split()
    granted = [str(s) for s in SUPPORTED_SCOPES if str(s) in requested]
    custom = config.get("custom_parameters")
    tool = DemoTool.objects.create(
        platform=row.platform,
        name=payload["client_name"][:200],
        client_id=row.client_id,
        deployment_id="",
        initiate_login_uri=payload["initiate_login_uri"],
        redirect_uris=list(payload["redirect_uris"]),
        jwks_uri=payload["jwks_uri"],
        target_link_uri=config["target_link_uri"],
        deep_link_url=_deep_link_url(config),
        domain=config["domain"],
        scopes=granted,
        custom={str(k): str(v) for k, v in custom.items()} if isinstance(custom, dict) else {},
        status=DemoTool.Status.PENDING,
        source=DemoTool.Source.DYNAMIC,
        registration_request=payload,
    )
    tool.deployment_id = str(tool.pk)
    tool.save(update_fields=["deployment_id", "updated_at"])
    row.used_at = timezone.now()
    row.save(update_fields=["used_at", "updated_at"])
    return tool, _registration_answer(tool, payload, config)


def _registration_answer(
    tool: DemoTool, payload: dict[str, Any], config: dict[str, Any]
) -> dict[str, Any]:
    answer_config = {
        "version": LTI_VERSION,
        "deployment_id": tool.deployment_id,
        "target_link_uri": tool.target_link_uri,
        "domain": tool.domain,
        "description": config.get("description", ""),
        "claims": config.get("claims", []),
        "messages": config.get("messages", []),
    }
    if tool.custom:
        answer_config["custom_parameters"] = tool.custom
    return {
        "client_id": tool.client_id,
        "response_types": ["id_token"],
        "jwks_uri": tool.jwks_uri,
        "initiate_login_uri": tool.initiate_login_uri,
        "grant_types": ["client_credentials", "implicit"],
        "redirect_uris": tool.redirect_uris,
        "application_type": "web",
        "token_endpoint_auth_method": "private_key_jwt",
        "client_name": tool.name,
        "logo_uri": payload.get("logo_uri", ""),
        "scope": " ".join(tool.scopes),
        Claim.TOOL_CONFIGURATION: answer_config,
    }
