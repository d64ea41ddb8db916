"""Deep Linking 2.0, tool side: read the request's settings, sign the response.

The request (§4.4) arrives as a launch whose claims the launch store keeps; the answer
(§4.5) is a JWT the browser posts to ``deep_link_return_url`` as the form field ``JWT``.
pylti1p3's ``DeepLink`` cannot add ``msg``/``errormsg`` nor choose the lifetime, so the
response is built here with PyJWT and the tool's active key (same key as the JWKS).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import jwt
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from lti_tool.lti.constants import (
    JWT_ALGORITHM,
    LTI_VERSION,
    Claim,
    ContentItemType,
    MessageType,
)
from lti_tool.lti.keys import KeyFileMissing, tool_signing_key
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.models import Registration

# Deep Linking 2.0 §4.5: the response is posted by the browser right away; a short life
# limits what a copied token is worth. iat a few seconds in the past: Moodle tolerates no
# clock skew on the tokens it decodes (shared/moodle.md, Access tokens).
RESPONSE_LIFETIME_SECONDS = 120
IAT_BACKDATE_SECONDS = 5
FORM_FIELD = "JWT"


class DeepLinkingSigningFailed(ApplicationError):
    # The selection itself is fine; the tool cannot sign until an admin restores its key.
    status_code = 409
    code = "deep_linking_signing_failed"


@dataclass(frozen=True)
class DeepLinkingSettings:
    """What the platform accepts (Deep Linking 2.0 §4.4.1)."""

    return_url: str
    accept_types: tuple[str, ...]
    accept_multiple: bool
    accept_lineitem: bool
    data: str | None
    title: str = ""
    text: str = ""

    @property
    def accepts_resource_links(self) -> bool:
        return ContentItemType.LTI_RESOURCE_LINK in self.accept_types


@dataclass(frozen=True)
class LineItemSpec:
    """The ``lineItem`` of a resource link (Deep Linking 2.0 §3.2.2, AGS 2.0 §3.2)."""

    score_maximum: int
    label: str
    tag: str
    resource_id: str


@dataclass(frozen=True)
class ResourceLinkItem:
    title: str
    text: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    line_item: LineItemSpec | None = None


@dataclass(frozen=True)
class DeepLinkingResponse:
    return_url: str
    token: str
    form_field: str = FORM_FIELD


def deep_linking_settings(launch: LtiLaunch) -> DeepLinkingSettings:
    """The settings of a deep-linking launch; refuse any other launch with a 4xx."""
    if not launch.is_deep_linking:
        raise PermissionDenied(
            _(
                "Cette page s'ouvre depuis le bouton « Sélectionner du contenu » de Moodle "
                "(lancement de type deep linking) ; ce lancement n'en est pas un."
            ),
            code="not_deep_linking",
        )
    raw = launch.claims.get(Claim.DEEP_LINKING_SETTINGS)
    raw = raw if isinstance(raw, dict) else {}
    return_url = raw.get("deep_link_return_url")
    if not isinstance(return_url, str) or not return_url.startswith(("https://", "http://")):
        raise ValidationFailed(
            _("La plateforme n'a pas indiqué d'adresse de retour (deep_link_return_url)."),
            code="deep_link_return_url_missing",
        )
    accept_types = raw.get("accept_types")
    data = raw.get("data")
    return DeepLinkingSettings(
        return_url=return_url,
        accept_types=tuple(str(t) for t in accept_types) if isinstance(accept_types, list) else (),
        # §4.4.1: accept_multiple defaults to true; accept_lineitem is optional too.
        accept_multiple=raw.get("accept_multiple", True) is not False,
        accept_lineitem=raw.get("accept_lineitem", True) is not False,
        data=str(data) if data is not None else None,
        title=str(raw.get("title") or ""),
        text=str(raw.get("text") or ""),
    )


def _content_item(item: ResourceLinkItem, *, with_line_item: bool) -> dict[str, Any]:
    content: dict[str, Any] = {"type": ContentItemType.LTI_RESOURCE_LINK.value, "title": item.title}
    if item.text:
        content["text"] = item.text
    if item.custom:
        # §3.2: custom values are strings (Moodle stores them as key=value lines).
        content["custom"] = {str(k): str(v) for k, v in item.custom.items()}
    if with_line_item and item.line_item is not None:
        content["lineItem"] = {
            # An integer: Moodle's maximum grade is an integer 1–100 (shared/moodle.md).
            "scoreMaximum": int(item.line_item.score_maximum),
            "label": item.line_item.label,
            "tag": item.line_item.tag,
            "resourceId": item.line_item.resource_id,
        }
    return content


def _check_items(settings: DeepLinkingSettings, items: Sequence[ResourceLinkItem]) -> None:
    if items and not settings.accepts_resource_links:
        raise ValidationFailed(
            _("La plateforme n'accepte pas de lien d'activité LTI (ltiResourceLink) ici."),
            code="deep_linking_type_refused",
        )
    if len(items) > 1 and not settings.accept_multiple:
        raise ValidationFailed(
            _(
                "La plateforme n'accepte qu'un seul contenu à la fois : choisissez une seule "
                "activité (vous en avez choisi %(count)d)."
            )
            % {"count": len(items)},
            code="deep_linking_single_only",
        )


def _sign(claims: dict[str, Any]) -> str:
    try:
        key = tool_signing_key()
        return jwt.encode(
            claims, key.private_key_pem, algorithm=JWT_ALGORITHM, headers={"kid": key.kid}
        )
    except KeyFileMissing as error:
        raise DeepLinkingSigningFailed(error.message) from error
    except (ValueError, TypeError, jwt.PyJWTError) as error:
        raise DeepLinkingSigningFailed(
            _(
                "La réponse à Moodle n'a pas pu être signée avec la clé de l'outil (%(why)s). "
                "Un administrateur doit vérifier les clés (manage.py lti_keys)."
            )
            % {"why": type(error).__name__}
        ) from error


def deep_linking_response_build(
    *,
    launch: LtiLaunch,
    items: Sequence[ResourceLinkItem],
    msg: str = "",
    errormsg: str = "",
) -> DeepLinkingResponse:
    """Sign the LtiDeepLinkingResponse for ``items`` (none: the trainer cancelled).

    Deep Linking 2.0 §4.5: iss = our client_id, aud = the platform issuer, deployment_id
    of the request, a fresh nonce, and ``data`` echoed exactly when the request had it.
    """
    settings = deep_linking_settings(launch)
    _check_items(settings, items)
    registration = Registration.objects.get(pk=launch.registration_id)
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": registration.client_id,
        "aud": registration.issuer,
        "iat": now - IAT_BACKDATE_SECONDS,
        "exp": now + RESPONSE_LIFETIME_SECONDS,
        "nonce": secrets.token_urlsafe(24),
        Claim.DEPLOYMENT_ID.value: str(launch.claims[Claim.DEPLOYMENT_ID]),
        Claim.MESSAGE_TYPE.value: MessageType.DEEP_LINKING_RESPONSE.value,
        Claim.VERSION.value: LTI_VERSION,
        Claim.DL_CONTENT_ITEMS.value: [
            _content_item(item, with_line_item=settings.accept_lineitem) for item in items
        ],
    }
    if settings.data is not None:
        claims[Claim.DL_DATA.value] = settings.data
    if msg:
        claims[Claim.DL_MSG.value] = msg
    if errormsg:
        claims[Claim.DL_ERRORMSG.value] = errormsg
    return DeepLinkingResponse(return_url=settings.return_url, token=_sign(claims))
