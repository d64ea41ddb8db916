"""Launching the tool: OIDC login initiation, the auth endpoint's checks, the id_token.

LTI 1.3 Core §5.1 (OpenID Connect launch flow) as Moodle 4.3 runs it
(shared/moodle.md, Launch): a form POST to the tool's login URL, then an auto-submitted
form post of the signed id_token to a redirect URI compared character for character.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.core import signing
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.demo.constants import (
    AGS_SCOPES,
    COURSE_OFFERING,
    ID_TOKEN_LIFETIME_SECONDS,
    LTI_VERSION,
    MESSAGE_HINT_MAX_AGE_SECONDS,
    PRODUCT_FAMILY_CODE,
    PRODUCT_VERSION,
    Claim,
    MessageType,
    Role,
    Scope,
)
from lti_tool.demo.crypto import jwt_sign
from lti_tool.demo.models import (
    DemoCourse,
    DemoEnrolment,
    DemoPlatform,
    DemoResourceLink,
    DemoTool,
    DemoUser,
)
from lti_tool.demo.selectors import (
    enrolment_get,
    line_item_url,
    link_line_item,
    nrps_url,
    platform_course,
    platform_tool_current,
    platform_url,
    tool_get_by_client_id,
    tool_line_items_url,
    user_get,
)

DOCUMENT_TARGETS = ("iframe", "window")
_HINT_SALT = "demo.lti_message_hint"
_DL_DATA_SALT = "demo.deep_linking.data"


def _tool_for(
    platform: DemoPlatform, resource_link: DemoResourceLink | None, tool: DemoTool | None = None
) -> DemoTool:
    if tool is None:
        tool = resource_link.tool if resource_link is not None else platform_tool_current(platform)
    if tool is None:
        raise ValidationFailed(
            _("Aucun outil n'est enregistré sur la plateforme : enregistrez Atelier d'abord."),
            code="no_tool",
        )
    return tool


def _target_link_uri(tool: DemoTool, resource_link: DemoResourceLink | None) -> str:
    if resource_link is None:
        # Deep Linking 2.0 §4.4: the request goes to the tool's deep-linking URL.
        return tool.deep_link_url or tool.target_link_uri
    return resource_link.url or tool.target_link_uri


def login_initiation(
    *,
    platform: DemoPlatform,
    user: DemoUser,
    resource_link: DemoResourceLink | None = None,
    deep_linking: bool = False,
    document_target: str = "iframe",
) -> tuple[str, dict[str, str]]:
    """The tool's login URL and the fields the platform POSTs to it (LTI 1.3 §5.1.1)."""
    if document_target not in DOCUMENT_TARGETS:
        raise ValidationFailed(_("Affichage inconnu : %(t)s.") % {"t": document_target})
    if not deep_linking and resource_link is None:
        raise ValidationFailed(_("Choisissez l'activité à lancer."), code="no_link")
    link = None if deep_linking else resource_link
    tool = _tool_for(platform, link)
    hint = signing.dumps(
        {"u": user.pk, "l": link.pk if link else None, "dl": deep_linking, "t": document_target},
        salt=_HINT_SALT,
        compress=True,
    )
    fields = {
        "iss": platform.issuer,
        "login_hint": str(user.pk),
        "target_link_uri": _target_link_uri(tool, link),
        "lti_message_hint": hint,
        "client_id": tool.client_id,
        "lti_deployment_id": tool.deployment_id,
    }
    return tool.initiate_login_uri, fields


def _roles(user: DemoUser, enrolment: DemoEnrolment | None) -> list[str]:
    roles = []
    if enrolment is not None:
        role = Role.INSTRUCTOR if enrolment.role == DemoEnrolment.Role.INSTRUCTOR else Role.LEARNER
        roles.append(str(role))
    if user.is_site_admin:
        # Moodle: site admins arrive as Administrator (+ Instructor where they teach).
        roles.append(str(Role.ADMINISTRATOR))
        if str(Role.INSTRUCTOR) not in roles:
            roles.append(str(Role.INSTRUCTOR))
    return roles


def _substitute(
    values: Mapping[str, Any], *, user: DemoUser, course: DemoCourse, link: DemoResourceLink | None
) -> dict[str, str]:
    """Moodle expands substitution variables in custom parameters (LTI 1.3 §A.3)."""
    known = {
        "$User.id": str(user.pk),
        "$User.username": user.username,
        "$Person.name.full": user.full_name,
        "$Person.name.given": user.given_name,
        "$Person.name.family": user.family_name,
        "$Person.email.primary": user.email,
        "$Context.id": str(course.pk),
        "$Context.label": course.label,
        "$Context.title": course.title,
        "$ResourceLink.id": str(link.pk) if link else "",
        "$ResourceLink.title": link.title if link else "",
        "$CourseSection.timeFrame.begin": course.starts_at.isoformat() if course.starts_at else "",
        "$CourseSection.timeFrame.end": course.ends_at.isoformat() if course.ends_at else "",
    }
    return {str(key): known.get(str(value), str(value)) for key, value in values.items()}


def _services_claims(
    tool: DemoTool, course: DemoCourse, link: DemoResourceLink | None
) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    ags_scopes = [str(scope) for scope in AGS_SCOPES if str(scope) in tool.scopes]
    if ags_scopes:
        endpoint: dict[str, Any] = {
            "scope": ags_scopes,
            "lineitems": tool_line_items_url(tool, course),
        }
        item = link_line_item(link) if link is not None else None
        if item is not None:
            endpoint["lineitem"] = line_item_url(tool, item)
        claims[Claim.AGS_ENDPOINT] = endpoint
    if str(Scope.NRPS_MEMBERSHIP_READONLY) in tool.scopes:
        claims[Claim.NRPS] = {
            "context_memberships_url": nrps_url(tool, course),
            "service_versions": ["1.0", "2.0"],
        }
    return claims


def deep_linking_data_sign(*, course: DemoCourse, user: DemoUser) -> str:
    return signing.dumps({"c": course.pk, "u": user.pk}, salt=_DL_DATA_SALT)


def deep_linking_data_read(value: str) -> dict[str, int]:
    try:
        data = signing.loads(value, salt=_DL_DATA_SALT, max_age=MESSAGE_HINT_MAX_AGE_SECONDS)
    except signing.BadSignature as error:
        raise ValidationFailed(
            _("La valeur « data » renvoyée par l'outil n'est pas celle de la demande."),
            code="dl_data",
        ) from error
    return dict(data)


def id_token_claims(
    *,
    platform: DemoPlatform,
    user: DemoUser,
    resource_link: DemoResourceLink | None = None,
    nonce: str,
    deep_linking: bool = False,
    document_target: str = "iframe",
    tool: DemoTool | None = None,
) -> dict[str, Any]:
    """Exactly the claims the auth endpoint signs into the id_token (LTI 1.3 §5.3).

    ``tool`` defaults to the resource link's tool (or, for deep linking, the platform's
    current tool).
    """
    link = None if deep_linking else resource_link
    tool = _tool_for(platform, link, tool)
    course = link.course if link is not None else platform_course(platform)
    enrolment = enrolment_get(course=course, user=user)
    roles = _roles(user, enrolment)
    if not roles:
        raise ValidationFailed(_("%(name)s n'est pas inscrit·e au cours.") % {"name": user})
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": platform.issuer,
        # Moodle: aud is the client_id as a plain string, and there is no azp.
        "aud": tool.client_id,
        "sub": str(user.pk),
        "iat": now,
        "exp": now + ID_TOKEN_LIFETIME_SECONDS,
        "nonce": nonce,
        "name": user.full_name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "email": user.email,
        "locale": user.locale,
        Claim.DEPLOYMENT_ID: tool.deployment_id,
        Claim.VERSION: LTI_VERSION,
        Claim.TARGET_LINK_URI: _target_link_uri(tool, link),
        Claim.ROLES: roles,
        Claim.CONTEXT: {
            "id": str(course.pk),
            "label": course.label,
            "title": course.title,
            "type": [COURSE_OFFERING],
        },
        Claim.LAUNCH_PRESENTATION: {
            "locale": user.locale,
            "document_target": document_target,
            "return_url": platform_url(platform, "home"),
        },
        Claim.TOOL_PLATFORM: {
            "product_family_code": PRODUCT_FAMILY_CODE,
            "version": PRODUCT_VERSION,
            "guid": urlsplit(platform.base_url).netloc,
            "name": platform.name,
            "description": platform.name,
        },
        Claim.EXT: {"user_username": user.username, "lms": "moodle-2"},
        Claim.CUSTOM: _substitute(
            {**tool.custom, **(link.custom if link else {})}, user=user, course=course, link=link
        ),
        **_services_claims(tool, course, link),
    }
    if link is not None:
        claims[Claim.MESSAGE_TYPE] = MessageType.RESOURCE_LINK.value
        claims[Claim.RESOURCE_LINK] = {
            "id": str(link.pk),
            "title": link.title,
            "description": link.text,
        }
    else:
        is_instructor = enrolment is not None and enrolment.role == DemoEnrolment.Role.INSTRUCTOR
        if not (is_instructor or user.is_site_admin):
            raise ValidationFailed(
                _("Seul·e un·e formateur·rice peut sélectionner du contenu."),
                code="dl_not_instructor",
            )
        claims[Claim.MESSAGE_TYPE] = MessageType.DEEP_LINKING.value
        claims[Claim.DEEP_LINKING_SETTINGS] = {
            "deep_link_return_url": platform_url(platform, "deep_link_return"),
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_copy_advice": False,
            "accept_multiple": True,
            "accept_unsigned": False,
            "auto_create": False,
            "can_confirm": False,
            "accept_lineitem": True,
            "title": "",
            "text": "",
            "data": deep_linking_data_sign(course=course, user=user),
        }
    return claims


@dataclass(frozen=True)
class AuthAnswer:
    redirect_uri: str
    id_token: str
    state: str


def _require(params: Mapping[str, str], name: str, expected: str | None = None) -> str:
    value = params.get(name, "")
    if not value:
        raise ValidationFailed(_("Paramètre « %(name)s » absent.") % {"name": name}, code=name)
    if expected is not None and value != expected:
        raise ValidationFailed(
            _("« %(name)s » doit valoir « %(expected)s » (reçu « %(value)s »).")
            % {"name": name, "expected": expected, "value": value},
            code=name,
        )
    return value


def auth_request_answer(*, params: Mapping[str, str]) -> AuthAnswer:
    """Check an OIDC authentication request and sign the id_token (LTI 1.3 §5.1.1.2)."""
    if "openid" not in _require(params, "scope").split():
        raise ValidationFailed(_("« scope » doit contenir « openid »."), code="scope")
    _require(params, "response_type", "id_token")
    _require(params, "response_mode", "form_post")
    _require(params, "prompt", "none")
    client_id = _require(params, "client_id")
    tool = tool_get_by_client_id(client_id)
    if tool is None:
        raise ValidationFailed(
            _("client_id inconnu : %(id)s.") % {"id": client_id}, code="client_id"
        )
    if not tool.is_active:
        raise ValidationFailed(
            _("L'outil « %(name)s » est en attente : un administrateur doit l'activer.")
            % {"name": tool.name},
            code="tool_pending",
        )
    redirect_uri = _require(params, "redirect_uri")
    if redirect_uri not in tool.redirect_uris:
        raise ValidationFailed(
            _("redirect_uri « %(uri)s » n'est pas une URI de redirection enregistrée (%(known)s).")
            % {"uri": redirect_uri, "known": ", ".join(tool.redirect_uris)},
            code="redirect_uri",
        )
    nonce = _require(params, "nonce")
    state = _require(params, "state")
    user = user_get(platform=tool.platform, user_id=_require(params, "login_hint"))
    if user is None:
        raise ValidationFailed(_("login_hint ne désigne aucun utilisateur."), code="login_hint")
    hint = _message_hint_read(_require(params, "lti_message_hint"), tool=tool, user=user)
    claims = id_token_claims(
        platform=tool.platform,
        user=user,
        resource_link=hint.link,
        nonce=nonce,
        deep_linking=hint.deep_linking,
        document_target=hint.document_target,
        tool=tool,
    )
    id_token = jwt_sign(
        claims, kid=tool.platform.kid, private_key_pem=tool.platform.private_key_pem
    )
    return AuthAnswer(redirect_uri=redirect_uri, id_token=id_token, state=state)


@dataclass(frozen=True)
class _Hint:
    link: DemoResourceLink | None
    deep_linking: bool
    document_target: str


def _message_hint_read(value: str, *, tool: DemoTool, user: DemoUser) -> _Hint:
    try:
        data = signing.loads(value, salt=_HINT_SALT, max_age=MESSAGE_HINT_MAX_AGE_SECONDS)
    except signing.SignatureExpired as error:
        raise ValidationFailed(
            _("lti_message_hint a expiré : relancez depuis la plateforme."), code="hint_expired"
        ) from error
    except signing.BadSignature as error:
        raise ValidationFailed(_("lti_message_hint invalide."), code="hint_invalid") from error
    if data.get("u") != user.pk:
        raise ValidationFailed(
            _("lti_message_hint a été émis pour un autre utilisateur que login_hint."),
            code="hint_user",
        )
    link = None
    if data.get("l") is not None:
        link = (
            DemoResourceLink.objects.select_related("course", "tool").filter(pk=data["l"]).first()
        )
        if link is None or link.tool_id != tool.pk:
            raise ValidationFailed(
                _("L'activité demandée n'appartient pas à cet outil."), code="hint_link"
            )
    elif not data.get("dl"):
        raise ValidationFailed(_("lti_message_hint invalide."), code="hint_invalid")
    return _Hint(
        link=link, deep_linking=bool(data.get("dl")), document_target=data.get("t", "iframe")
    )
