"""The platform's keys and the JWTs it signs or checks (LTI Security Framework §5, §6).

The platform fetches the tool's JWKS over HTTP every time it needs it, as Moodle 4.3
does: nothing of the tool is read from the database.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.utils.translation import gettext as _
from jwt import PyJWK
from jwt.exceptions import InvalidTokenError, PyJWKError

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.core.jwk import jwk_thumbprint, rsa_public_jwk
from lti_tool.demo.constants import JWT_ALGORITHM, RSA_KEY_SIZE

logger = logging.getLogger(__name__)

HTTP_TIMEOUT_SECONDS = 10.0


def rsa_key_generate() -> tuple[str, str, dict[str, str]]:
    """A new 2048-bit key: (kid, private PEM, public JWK with kid/alg/use)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    jwk = rsa_public_jwk(private_key.public_key())
    kid = jwk_thumbprint(jwk)
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")
    return kid, pem, {**jwk, "kid": kid, "alg": JWT_ALGORITHM, "use": "sig"}


@functools.lru_cache(maxsize=16)
def _private_key(pem: bytes) -> Any:
    # Loading a PEM validates the RSA key (~35 ms); a launch must not pay it every time.
    return serialization.load_pem_private_key(pem, password=None)


def jwt_sign(claims: dict[str, Any], *, kid: str, private_key_pem: str | bytes) -> str:
    pem = private_key_pem.encode("ascii") if isinstance(private_key_pem, str) else private_key_pem
    return jwt.encode(claims, _private_key(pem), algorithm=JWT_ALGORITHM, headers={"kid": kid})


def jwt_header(token: str) -> dict[str, Any]:
    try:
        return jwt.get_unverified_header(token)
    except InvalidTokenError as error:
        raise ValidationFailed(
            _("Le jeton n'est pas un JWT lisible."), code="jwt_malformed"
        ) from error


def jwt_unverified_claims(token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except InvalidTokenError as error:
        raise ValidationFailed(
            _("Le jeton n'est pas un JWT lisible."), code="jwt_malformed"
        ) from error
    return dict(claims)


def tool_jwks_fetch(jwks_uri: str) -> list[dict[str, Any]]:
    """The tool's public keys, read over HTTP from its keyset URL."""
    try:
        response = requests.get(jwks_uri, timeout=HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        keys = response.json().get("keys")
    except (requests.RequestException, ValueError, AttributeError) as error:
        logger.warning("tool JWKS %s unavailable: %s", jwks_uri, error)
        raise ValidationFailed(
            _("Le jeu de clés publiques de l'outil (%(url)s) est inaccessible.")
            % {"url": jwks_uri},
            code="tool_jwks_unavailable",
        ) from error
    if not isinstance(keys, list):
        raise ValidationFailed(
            _("Le jeu de clés publiques de l'outil n'a pas de liste « keys »."),
            code="tool_jwks_invalid",
        )
    return [key for key in keys if isinstance(key, dict)]


def tool_public_key(jwks_uri: str, token: str) -> Any:
    """The tool key named by the token's ``kid``; refused when the kid is not published."""
    header = jwt_header(token)
    if header.get("alg") != JWT_ALGORITHM:
        raise ValidationFailed(
            _("Seul l'algorithme RS256 est accepté (reçu : %(alg)s).") % {"alg": header.get("alg")},
            code="jwt_alg",
        )
    kid = header.get("kid")
    if not kid:
        raise ValidationFailed(_("L'en-tête du JWT n'a pas de « kid »."), code="jwt_no_kid")
    for jwk in tool_jwks_fetch(jwks_uri):
        if jwk.get("kid") == kid:
            try:
                return PyJWK(jwk, algorithm=JWT_ALGORITHM).key
            except PyJWKError as error:
                raise ValidationFailed(
                    _("La clé %(kid)s du jeu de clés de l'outil est invalide.") % {"kid": kid},
                    code="tool_jwk_invalid",
                ) from error
    raise ValidationFailed(
        _("La clé « %(kid)s » est absente du jeu de clés de l'outil (%(url)s).")
        % {"kid": kid, "url": jwks_uri},
        code="jwt_unknown_kid",
    )


def tool_jwt_verify(token: str, *, jwks_uri: str, audience: str, leeway: int = 0) -> dict[str, Any]:
    """Signature, audience, exp and iat checked; iat in the future is refused (Moodle)."""
    key = tool_public_key(jwks_uri, token)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[JWT_ALGORITHM],
            audience=audience,
            leeway=leeway,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except jwt.ImmatureSignatureError as error:
        raise ValidationFailed(
            _("Le jeton est daté dans le futur (iat) : l'horloge de l'outil avance."),
            code="jwt_iat_future",
        ) from error
    except jwt.ExpiredSignatureError as error:
        raise ValidationFailed(_("Le jeton a expiré (exp)."), code="jwt_expired") from error
    except jwt.InvalidAudienceError as error:
        raise ValidationFailed(
            _("Le jeton n'est pas destiné à %(aud)s (aud).") % {"aud": audience},
            code="jwt_audience",
        ) from error
    except InvalidTokenError as error:
        raise ValidationFailed(
            _("Le jeton est refusé : %(reason)s.") % {"reason": error}, code="jwt_invalid"
        ) from error
    return dict(claims)
