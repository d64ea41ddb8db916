"""OIDC third-party login and id_token validation, hardened beyond pylti1p3's defaults.

pylti1p3 keeps state in a cookie, decodes with ``verify_aud`` off, trusts the header's
``alg`` and refetches nothing on an unknown kid. ``HardenedMessageLaunch`` keeps its
message validators and helpers, and replaces the checks:

* state: server-side, single use, bound to the registration the login was for;
* header: ``alg`` must be RS256 and a ``kid`` present (Security Framework §5.1.3 step 1);
* ``iss`` equal to the registration's issuer, ``aud`` containing our client_id, ``azp``
  required with several audiences and equal to our client_id (OIDC Core §3.1.3.7);
* signature against the platform JWKS (cached, refetched once on an unknown kid);
* ``exp``/``iat`` with a small configurable leeway;
* nonce equal to the one sent at login and usable once;
* message type, ``version`` 1.3.0, required claims, deployment known and active,
  ``target_link_uri`` on our own host.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import jwt
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from pylti1p3.contrib.django import DjangoMessageLaunch
from pylti1p3.contrib.django.request import DjangoRequest
from pylti1p3.exception import LtiException

from lti_tool.lti.constants import JWT_ALGORITHM, LTI_VERSION, Claim, MessageType
from lti_tool.lti.errors import LaunchRefused
from lti_tool.lti.launch_store import LoginState, login_state_pop, login_state_save, nonce_consume
from lti_tool.lti.models import Deployment, Registration
from lti_tool.lti.platform_keys import platform_public_key
from lti_tool.lti.tool_config import DatabaseToolConf

logger = logging.getLogger(__name__)

SUPPORTED_MESSAGES = (MessageType.RESOURCE_LINK, MessageType.DEEP_LINKING)


def _host_of(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _check_target_link_uri(uri: str, *, our_host: str) -> None:
    parts = urlsplit(uri)
    if parts.scheme not in {"http", "https"} or parts.netloc.lower() != our_host.lower():
        raise LaunchRefused("target_link_uri_foreign", uri=uri, host=our_host)


# --- OIDC login initiation (LTI 1.3 §5.1.1, OIDC third-party initiated login) ---------


def _find_registration(iss: str, client_id: str) -> Registration:
    rows = Registration.objects.filter(issuer=iss)
    if client_id:
        rows = rows.filter(client_id=client_id)
    candidates = list(rows[:2])
    if not candidates:
        raise LaunchRefused(
            "platform_unknown", status_code=403, iss=iss, client_id=client_id or "—"
        )
    if len(candidates) > 1:
        raise LaunchRefused("platform_ambiguous", iss=iss)
    registration = candidates[0]
    if not registration.active:
        raise LaunchRefused("platform_inactive", status_code=403, name=registration.name)
    return registration


def oidc_login_redirect_url(*, params: dict[str, str], redirect_uri: str, our_host: str) -> str:
    """Check the login request and return the platform's auth URL to send the browser to."""
    for name in ("iss", "login_hint", "target_link_uri"):
        if not params.get(name):
            raise LaunchRefused("login_param_missing", param=name)
    _check_target_link_uri(params["target_link_uri"], our_host=our_host)
    registration = _find_registration(params["iss"], params.get("client_id", ""))
    state, record = login_state_save(
        registration_id=registration.pk, target_link_uri=params["target_link_uri"]
    )
    auth_params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": registration.client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "nonce": record.nonce,
        "login_hint": params["login_hint"],
    }
    if params.get("lti_message_hint"):
        auth_params["lti_message_hint"] = params["lti_message_hint"]
    separator = "&" if "?" in registration.auth_login_url else "?"
    return registration.auth_login_url + separator + urlencode(auth_params)


# --- Launch (LTI 1.3 §5.1.2 and Security Framework §5.1.3) ---------------------------


@dataclass(frozen=True)
class ValidatedLaunch:
    registration: Registration
    deployment: Deployment
    claims: dict[str, Any]

    @property
    def message_type(self) -> str:
        return str(self.claims[Claim.MESSAGE_TYPE])


class HardenedMessageLaunch(DjangoMessageLaunch):
    """pylti1p3's launch with every weak check replaced (see the module docstring)."""

    def __init__(self, request: HttpRequest, *, our_host: str) -> None:
        super().__init__(DjangoRequest(request, post_only=True), DatabaseToolConf())
        self._our_host = our_host
        self._login: LoginState | None = None
        self._row: Registration | None = None
        self._deployment_row: Deployment | None = None

    def validate(self) -> HardenedMessageLaunch:
        self._validated = True
        try:
            self._validate_state()
            self._validate_header()
            self._validate_issuer_and_audience()
            self._validate_signature_and_times()
            self._validate_nonce()
            self._validate_message()
            self._validate_deployment()
        except Exception:
            self._validated = False
            raise
        return self

    def result(self) -> ValidatedLaunch:
        if self._row is None or self._deployment_row is None:
            raise RuntimeError("result() called before a successful validate()")
        return ValidatedLaunch(self._row, self._deployment_row, dict(self._jwt["body"]))

    def _bound_registration(self) -> Registration:
        """The registration the login state named (set by ``_validate_state``)."""
        if self._row is None:
            raise LaunchRefused("state_unknown")
        return self._row

    def _validate_state(self) -> None:
        state = self._get_request_param("state")
        if not state:
            raise LaunchRefused("state_missing")
        self._login = login_state_pop(state)
        if self._login is None:
            raise LaunchRefused("state_unknown")
        self._row = Registration.objects.filter(pk=self._login.registration_id).first()
        if self._row is None:
            raise LaunchRefused("state_unknown")
        if not self._row.active:
            raise LaunchRefused("platform_inactive", status_code=403, name=self._row.name)

    def _validate_header(self) -> None:
        if not self._get_request_param("id_token"):
            raise LaunchRefused("id_token_missing")
        try:
            self.validate_jwt_format()
        except LtiException as error:
            raise LaunchRefused("id_token_malformed") from error
        header, body = self._jwt.get("header"), self._jwt.get("body")
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchRefused("id_token_malformed")
        if header.get("alg") != JWT_ALGORITHM:
            raise LaunchRefused("alg_not_allowed", alg=str(header.get("alg")))
        if not header.get("kid"):
            raise LaunchRefused("kid_missing")

    def _validate_issuer_and_audience(self) -> None:
        self._row = self._bound_registration()
        body = self._jwt["body"]
        client_id = self._row.client_id
        if body.get("iss") != self._row.issuer:
            raise LaunchRefused("iss_mismatch", iss=str(body.get("iss")), expected=self._row.issuer)
        aud = body.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise LaunchRefused("aud_mismatch", client_id=client_id)
        azp = body.get("azp")
        if len(audiences) > 1 and not azp:
            raise LaunchRefused("azp_missing")
        if azp is not None and azp != client_id:
            raise LaunchRefused("azp_mismatch", azp=str(azp))

    def _validate_signature_and_times(self) -> None:
        self._row = self._bound_registration()
        key = platform_public_key(key_set_url=self._row.key_set_url, kid=self._jwt["header"]["kid"])
        try:
            jwt.decode(
                self._get_id_token(),
                key,
                algorithms=[JWT_ALGORITHM],
                audience=self._row.client_id,
                issuer=self._row.issuer,
                leeway=settings.LTI_CLOCK_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise LaunchRefused("token_expired", status_code=401) from error
        except jwt.ImmatureSignatureError as error:
            raise LaunchRefused("token_not_yet_valid", status_code=401) from error
        except jwt.MissingRequiredClaimError as error:
            raise LaunchRefused("claim_missing", claim=error.claim) from error
        except jwt.InvalidAudienceError as error:
            raise LaunchRefused("aud_mismatch", client_id=self._row.client_id) from error
        except jwt.InvalidIssuerError as error:
            raise LaunchRefused("iss_mismatch", iss="?", expected=self._row.issuer) from error
        except jwt.InvalidTokenError as error:
            raise LaunchRefused("signature_invalid", status_code=401) from error
        iat = self._jwt["body"].get("iat")
        # PyJWT only checks that iat is a number; a token issued in the future is refused.
        if (
            isinstance(iat, int | float)
            and iat > timezone.now().timestamp() + settings.LTI_CLOCK_LEEWAY_SECONDS
        ):
            raise LaunchRefused("token_not_yet_valid", status_code=401)

    def _validate_nonce(self) -> None:
        if self._login is None:
            raise LaunchRefused("state_unknown")
        nonce = self._jwt["body"].get("nonce")
        if not nonce:
            raise LaunchRefused("nonce_missing")
        if nonce != self._login.nonce:
            raise LaunchRefused("nonce_mismatch")
        if not nonce_consume(str(nonce)):
            raise LaunchRefused("nonce_replayed")

    def _validate_message(self) -> None:
        body = self._jwt["body"]
        version = body.get(Claim.VERSION)
        if version != LTI_VERSION:
            raise LaunchRefused("version_invalid", version=str(version))
        message_type = body.get(Claim.MESSAGE_TYPE)
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchRefused("message_type_unsupported", type=str(message_type))
        if not body.get("sub"):
            raise LaunchRefused("sub_missing")
        if message_type == MessageType.RESOURCE_LINK:
            link = body.get(Claim.RESOURCE_LINK)
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchRefused("resource_link_missing")
        target = body.get(Claim.TARGET_LINK_URI)
        if not isinstance(target, str) or not target:
            raise LaunchRefused("claim_missing", claim=Claim.TARGET_LINK_URI.value)
        _check_target_link_uri(target, our_host=self._our_host)
        try:
            self.validate_message()  # pylti1p3's per-message validators (roles, DL settings)
        except LtiException as error:
            raise LaunchRefused("message_invalid", detail=str(error)) from error

    def _validate_deployment(self) -> None:
        self._row = self._bound_registration()
        deployment_id = self._jwt["body"].get(Claim.DEPLOYMENT_ID)
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchRefused("deployment_missing")
        deployment, _created = Deployment.objects.get_or_create(
            registration=self._row, deployment_id=deployment_id, defaults={"active": False}
        )
        if not deployment.active:
            logger.warning("launch from pending deployment %s of %s", deployment_id, self._row)
            raise LaunchRefused(
                "deployment_pending",
                status_code=403,
                deployment_id=deployment_id,
                name=self._row.name,
            )
        self._deployment_row = deployment


def launch_validate(request: HttpRequest) -> ValidatedLaunch:
    """Validate a launch POST; raise LaunchRefused (4xx) with the reason otherwise."""
    message_launch = HardenedMessageLaunch(request, our_host=request.get_host())
    return message_launch.validate().result()


def unverified_locale(request: HttpRequest) -> str:
    """The launch locale read from the (not yet verified) token, only to pick the language
    of an error page; never used for anything else."""
    token = request.POST.get("id_token", "")
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
        locale = claims.get(Claim.LAUNCH_PRESENTATION, {}).get("locale", "")
    except (jwt.InvalidTokenError, AttributeError, json.JSONDecodeError):
        return ""
    return str(locale)[:2].lower() if isinstance(locale, str) else ""
