"""LTI Dynamic Registration 1.0, tool side, as Moodle 4.3 drives it (shared/moodle.md).

The protocol steps, without storage: check the parameters Moodle opens us with, read and
check the platform's OpenID configuration (§3.4, §3.5.1) and sign the confirmation form
shown to the admin. Posting our client registration is ``dynamic_registration_client``;
storing the result ``registration_services.registration_complete_dynamic``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from django.conf import settings
from django.core import signing
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ApplicationError, PermissionDenied, UpstreamUnavailable
from lti_tool.lti.constants import (
    JWT_ALGORITHM,
    Claim,
)
from lti_tool.lti.framing import origin_of, same_origin

logger = logging.getLogger(__name__)

REQUIRED_ENDPOINTS = (
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "registration_endpoint",
)
CONFIRMATION_SALT = "atelier.lti.dynamic-registration.confirm"
# Moodle's registration_token lives one hour; the confirmation cannot outlive it.
CONFIRMATION_MAX_AGE_SECONDS = 3600
# A platform's configuration or answer is a few kilobytes; refuse to buffer more.
MAX_BODY_BYTES = 1_000_000
PLATFORM_TEXT_MAX_CHARS = 400


class RegistrationParametersMissing(ApplicationError):
    status_code = 400
    code = "registration_parameters_missing"


class PlatformConfigurationInvalid(ApplicationError):
    status_code = 422
    code = "platform_configuration_invalid"


class PlatformUnreachable(UpstreamUnavailable):
    code = "platform_unreachable"


class PlatformRefusedRegistration(ApplicationError):
    status_code = 422
    code = "platform_refused_registration"


class ConfirmationRefused(PermissionDenied):
    code = "registration_confirmation_refused"


@dataclass(frozen=True)
class PlatformConfiguration:
    """What we keep of the platform's OpenID configuration (DR §3.4)."""

    configuration_url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family_code: str = ""
    version: str = ""
    messages_supported: tuple[str, ...] = field(default=())

    @property
    def origin(self) -> str:
        return origin_of(self.issuer) or ""

    @property
    def display_name(self) -> str:
        """E.g. "Moodle 4.3 — moodle.example": the configuration carries no site name."""
        host = urlsplit(self.issuer).netloc
        product = self.product_family_code.strip().capitalize()
        if not product:
            return host
        version = self.version.split(" ")[0].strip()
        return f"{product} {version} — {host}".replace("  ", " ")


# --- the configuration ---------------------------------------------------------------


def registration_parameters_check(*, openid_configuration: str, registration_token: str) -> None:
    """The two query parameters Moodle adds to our registration URL (DR §3.4)."""
    missing = [
        name
        for name, value in (
            ("openid_configuration", openid_configuration),
            ("registration_token", registration_token),
        )
        if not value.strip()
    ]
    if missing:
        raise RegistrationParametersMissing(
            _(
                "Il manque le ou les paramètres %(names)s : cette page s'ouvre depuis Moodle "
                "(Administration du site → Plugins → Outil externe → Gérer les outils → "
                "« URL de l'outil »), pas directement."
            )
            % {"names": ", ".join(missing)},
            extra={"missing": missing},
        )
    if origin_of(openid_configuration) is None:
        raise RegistrationParametersMissing(
            _("L'adresse de configuration de la plateforme n'est pas une URL http(s) : %(url)s")
            % {"url": openid_configuration[:200]},
            code="openid_configuration_not_url",
        )
    _registration_token_not_expired(registration_token)


def _registration_token_not_expired(registration_token: str) -> None:
    """Say at once that a token has expired rather than after the admin confirms.

    Read without verifying: the platform verifies its own token when we post it; this is
    only for a clearer message. A token that is not a JWT is left to the platform too.
    """
    try:
        claims = jwt.decode(registration_token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires < time.time():
        raise PlatformRefusedRegistration(
            _(
                "Le jeton d'enregistrement a expiré (il est valable une heure) : relancez "
                "l'enregistrement depuis Moodle (Gérer les outils → « URL de l'outil »)."
            ),
            code="registration_token_expired",
        )


def _get_json(url: str, *, what: str) -> dict[str, Any]:
    try:
        response = requests.get(
            url,
            headers={"Accept": "application/json"},
            timeout=settings.LTI_HTTP_TIMEOUT_SECONDS,
            # The issuer check below is about the URL Moodle gave us: a redirect would
            # silently change the origin we trust.
            allow_redirects=False,
            stream=True,
        )
    except requests.Timeout as exc:
        raise PlatformUnreachable(
            _("La plateforme n'a pas répondu à temps (%(what)s, %(url)s).")
            % {"what": what, "url": url},
            extra={
                "hint": _("Vérifiez que la plateforme est joignable depuis le serveur d'Atelier.")
            },
        ) from exc
    except requests.RequestException as exc:
        logger.info("dynamic registration: %s unreachable at %s: %s", what, url, type(exc).__name__)
        raise PlatformUnreachable(
            _("Impossible de joindre la plateforme (%(what)s, %(url)s).")
            % {"what": what, "url": url},
            extra={
                "hint": _(
                    "Vérifiez l'adresse et que la plateforme est joignable depuis le serveur "
                    "d'Atelier (pare-feu, DNS, certificat)."
                )
            },
        ) from exc
    if response.status_code != 200:
        response.close()
        raise PlatformUnreachable(
            _("La plateforme a répondu %(status)s à la demande de %(what)s (%(url)s).")
            % {"status": response.status_code, "what": what, "url": url},
            # Not the body: this URL came from an anonymous request, and echoing what it
            # answered would let anyone read internal pages through us (SSRF).
        )
    return json_object_read(body_read(response), what=what)


def body_read(response: requests.Response) -> bytes:
    """The body, read up to just past MAX_BODY_BYTES: never buffer a huge answer."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.iter_content(chunk_size=65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                break
    except requests.RequestException as exc:
        raise PlatformUnreachable(
            _("La réponse de la plateforme a été interrompue (%(url)s).") % {"url": response.url}
        ) from exc
    finally:
        response.close()
    return b"".join(chunks)


def json_object_read(content: bytes, *, what: str) -> dict[str, Any]:
    if len(content) > MAX_BODY_BYTES:
        raise PlatformConfigurationInvalid(
            _("La réponse de la plateforme (%(what)s) est trop volumineuse.") % {"what": what}
        )
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PlatformConfigurationInvalid(
            _("La plateforme a répondu autre chose que du JSON (%(what)s).") % {"what": what},
        ) from exc
    if not isinstance(data, dict):
        raise PlatformConfigurationInvalid(
            _("La réponse de la plateforme (%(what)s) n'est pas un objet JSON.") % {"what": what}
        )
    return data


def platform_configuration_fetch(url: str) -> PlatformConfiguration:
    """GET the OpenID configuration (DR §3.4) and check it."""
    data = _get_json(url, what=_("configuration OpenID"))
    return platform_configuration_parse(data, configuration_url=url)


def platform_configuration_parse(
    data: dict[str, Any], *, configuration_url: str
) -> PlatformConfiguration:
    """Check a configuration document against the rules of DR §3.5.1."""
    issuer = data.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise PlatformConfigurationInvalid(
            _("La configuration de la plateforme ne donne pas son identifiant (issuer).")
        )
    # DR §3.5.1: the issuer must match the configuration URL's origin, else anyone could
    # make us trust a configuration speaking for another platform.
    if not same_origin(issuer, configuration_url):
        raise PlatformConfigurationInvalid(
            _(
                "L'identifiant de la plateforme (%(issuer)s) ne correspond pas à l'adresse de "
                "sa configuration (%(url)s) : enregistrement refusé."
            )
            % {"issuer": issuer, "url": configuration_url},
            code="issuer_origin_mismatch",
        )
    endpoints = _required_endpoints(data)
    # Moodle serves every endpoint from its wwwroot. Posting the registration token, and
    # showing the answer, anywhere else would hand both to whoever wrote the document.
    if not same_origin(endpoints["registration_endpoint"], configuration_url):
        raise PlatformConfigurationInvalid(
            _(
                "L'adresse d'enregistrement annoncée par la plateforme (%(endpoint)s) n'est pas "
                "sur le même serveur que sa configuration : enregistrement refusé."
            )
            % {"endpoint": endpoints["registration_endpoint"]},
            code="registration_endpoint_origin_mismatch",
        )
    _check_algorithms(data)
    platform = data.get(Claim.PLATFORM_CONFIGURATION)
    platform = platform if isinstance(platform, dict) else {}
    messages = platform.get("messages_supported")
    return PlatformConfiguration(
        configuration_url=configuration_url,
        issuer=issuer,
        product_family_code=str(platform.get("product_family_code") or ""),
        version=str(platform.get("version") or ""),
        messages_supported=tuple(
            str(m.get("type")) for m in messages or [] if isinstance(m, dict) and m.get("type")
        ),
        **endpoints,
    )


def _required_endpoints(data: dict[str, Any]) -> dict[str, str]:
    endpoints = {name: data.get(name) for name in REQUIRED_ENDPOINTS}
    missing = [
        name
        for name, value in endpoints.items()
        if not isinstance(value, str) or origin_of(value) is None
    ]
    if missing:
        raise PlatformConfigurationInvalid(
            _("La configuration de la plateforme n'indique pas d'URL valide pour : %(names)s.")
            % {"names": ", ".join(missing)},
            code="platform_endpoints_missing",
            extra={"missing": missing},
        )
    return {name: str(value) for name, value in endpoints.items()}


def _check_algorithms(data: dict[str, Any]) -> None:
    # LTI Security Framework §5.1.3: we only speak RS256. A platform that announces its
    # algorithms without RS256 could not verify us nor be verified.
    for name in (
        "id_token_signing_alg_values_supported",
        "token_endpoint_auth_signing_alg_values_supported",
    ):
        announced = data.get(name)
        if isinstance(announced, list) and JWT_ALGORITHM not in announced:
            raise PlatformConfigurationInvalid(
                _("La plateforme n'accepte pas l'algorithme RS256 (%(name)s : %(values)s).")
                % {"name": name, "values": ", ".join(map(str, announced))},
                code="platform_algorithm_unsupported",
            )


# --- the confirmation form ------------------------------------------------------------


def _binding(*, openid_configuration: str, registration_token: str) -> str:
    material = f"{openid_configuration}\n{registration_token}".encode()
    return hashlib.sha256(material).hexdigest()


def registration_confirmation_issue(*, openid_configuration: str, registration_token: str) -> str:
    """A signed, time-limited token for the confirmation form.

    The form is posted inside Moodle's iframe, where our CSRF cookie is lost (shared/
    moodle.md, "Forms inside the iframe"); this token, bound to the registration token and
    configuration URL, is the CSRF defence instead.
    """
    binding = _binding(
        openid_configuration=openid_configuration, registration_token=registration_token
    )
    return signing.dumps({"b": binding}, salt=CONFIRMATION_SALT, compress=False)


def registration_confirmation_check(
    *, confirmation: str, openid_configuration: str, registration_token: str
) -> None:
    if not confirmation:
        raise ConfirmationRefused(
            _("La confirmation est absente : recommencez l'enregistrement depuis Moodle.")
        )
    try:
        data = signing.loads(
            confirmation, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE_SECONDS
        )
    except signing.SignatureExpired as exc:
        raise ConfirmationRefused(
            _(
                "La page de confirmation a expiré (plus d'une heure) : recommencez "
                "l'enregistrement depuis Moodle."
            )
        ) from exc
    except signing.BadSignature as exc:
        raise ConfirmationRefused(
            _("La confirmation n'est pas valide : recommencez l'enregistrement depuis Moodle.")
        ) from exc
    expected = _binding(
        openid_configuration=openid_configuration, registration_token=registration_token
    )
    if not isinstance(data, dict) or not hmac.compare_digest(str(data.get("b", "")), expected):
        raise ConfirmationRefused(
            _("La confirmation ne correspond pas à cette demande d'enregistrement.")
        )


def platform_text(content: bytes) -> str:
    """The platform's own words, short and without markup (its error pages may be HTML)."""
    return _clean_text(content[:MAX_BODY_BYTES].decode("utf-8", "replace"))


def _clean_text(text: str) -> str:
    text = re.sub(r"\s+", " ", strip_tags(text)).strip()
    if len(text) > PLATFORM_TEXT_MAX_CHARS:
        text = text[: PLATFORM_TEXT_MAX_CHARS - 1] + "…"
    return text
