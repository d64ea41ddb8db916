"""The token endpoint: OAuth 2 client credentials with a JWT client assertion.

LTI Security Framework §4.1 (RFC 7523 private_key_jwt) with Moodle 4.3's rules
(shared/moodle.md, Access tokens): form-urlencoded only, the tool's key found by kid in
its JWKS fetched over HTTP, aud = token URL, no clock-skew tolerance, tokens for 3600 s.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ApplicationError
from lti_tool.demo.constants import ACCESS_TOKEN_LIFETIME_SECONDS, CLIENT_ASSERTION_TYPE
from lti_tool.demo.crypto import jwt_unverified_claims, tool_jwt_verify
from lti_tool.demo.models import DemoAccessToken, DemoClientAssertion, DemoTool
from lti_tool.demo.selectors import platform_token_url, tool_get_by_client_id


class OAuthError(ApplicationError):
    """An RFC 6749 §5.2 error: rendered as {"error", "error_description"}."""

    status_code = 400

    def __init__(self, error: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(description, code=error, status_code=status_code)


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    scope: str
    expires_in: int = ACCESS_TOKEN_LIFETIME_SECONDS
    token_type: str = "Bearer"  # noqa: S105 - RFC 6750 token type, not a secret

    def as_dict(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
            "scope": self.scope,
        }


def _assertion_tool(assertion: str) -> DemoTool:
    try:
        claims = jwt_unverified_claims(assertion)
    except ApplicationError as error:
        raise OAuthError("invalid_request", error.message) from error
    client_id = str(claims.get("sub") or "")
    tool = tool_get_by_client_id(client_id)
    if tool is None or claims.get("iss") != client_id:
        raise OAuthError(
            "invalid_client",
            _("iss et sub doivent valoir un client_id enregistré."),
            status_code=400,
        )
    if not tool.is_active:
        raise OAuthError("unauthorized_client", _("L'outil est en attente d'activation."))
    return tool


def _assertion_verify(tool: DemoTool, assertion: str) -> dict[str, object]:
    try:
        # leeway=0: Moodle refuses an iat even one second in the future.
        claims = tool_jwt_verify(
            assertion, jwks_uri=tool.jwks_uri, audience=platform_token_url(tool.platform), leeway=0
        )
    except ApplicationError as error:
        raise OAuthError("invalid_client", error.message) from error
    if claims.get("sub") != tool.client_id or claims.get("iss") != tool.client_id:
        raise OAuthError("invalid_client", _("iss et sub doivent valoir le client_id."))
    if not claims.get("jti"):
        raise OAuthError("invalid_request", _("L'assertion n'a pas de jti."))
    return claims


@transaction.atomic
def access_token_issue(*, form: Mapping[str, str], content_type: str) -> IssuedToken:
    """Exchange a client assertion for an opaque Bearer token limited to granted scopes."""
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError(
            "invalid_request",
            _("Le point d'accès aux jetons n'accepte que application/x-www-form-urlencoded."),
        )
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", _("grant_type doit valoir client_credentials."))
    if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise OAuthError(
            "invalid_request",
            _("client_assertion_type doit valoir %(t)s.") % {"t": CLIENT_ASSERTION_TYPE},
        )
    assertion = form.get("client_assertion", "")
    if not assertion:
        raise OAuthError("invalid_request", _("client_assertion absent."))
    tool = _assertion_tool(assertion)
    claims = _assertion_verify(tool, assertion)
    granted = [scope for scope in form.get("scope", "").split() if scope in tool.scopes]
    if not granted:
        raise OAuthError(
            "invalid_scope", _("Aucune des portées demandées n'est accordée à l'outil.")
        )
    _assertion_spend(tool, str(claims["jti"]), int(claims["exp"]))  # type: ignore[call-overload]
    row = DemoAccessToken.objects.create(
        tool=tool,
        token=secrets.token_urlsafe(32),
        scopes=granted,
        expires_at=timezone.now() + timedelta(seconds=ACCESS_TOKEN_LIFETIME_SECONDS),
    )
    DemoTool.objects.filter(pk=tool.pk).update(tokens_issued=F("tokens_issued") + 1)
    return IssuedToken(access_token=row.token, scope=" ".join(granted))


def _assertion_spend(tool: DemoTool, jti: str, exp: int) -> None:
    """A client assertion is exchanged once (RFC 7523 §3, jti)."""
    try:
        with transaction.atomic():
            DemoClientAssertion.objects.create(
                tool=tool, jti=jti, expires_at=datetime.fromtimestamp(exp, tz=UTC)
            )
    except IntegrityError as error:
        raise OAuthError("invalid_grant", _("Cette assertion (jti) a déjà servi.")) from error
