"""Deep Linking 2.0 response, platform side (§4.5), as Moodle 4.3 takes it.

The tool posts a JWT signed with its key: iss = client_id, aud = platform issuer, the
deployment id, the message type and version, and the content items to place.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.demo.constants import LTI_VERSION, Claim, MessageType
from lti_tool.demo.crypto import jwt_unverified_claims, tool_jwt_verify
from lti_tool.demo.launch import deep_linking_data_read
from lti_tool.demo.models import DemoCourse, DemoLineItem, DemoResourceLink, DemoTool
from lti_tool.demo.selectors import platform_course, tool_get_by_client_id

# Moodle's maximum grade for an activity is an integer from 1 to 100.
MAX_GRADE_LIMIT = 100


def _response_claims(token: str) -> tuple[DemoTool, dict[str, Any]]:
    tool = tool_get_by_client_id(str(jwt_unverified_claims(token).get("iss", "")))
    if tool is None:
        raise ValidationFailed(
            _("iss ne désigne aucun outil enregistré (client_id)."), code="dl_iss"
        )
    claims = tool_jwt_verify(token, jwks_uri=tool.jwks_uri, audience=tool.platform.issuer, leeway=5)
    if not claims.get("nonce"):
        raise ValidationFailed(_("nonce absent de la réponse de deep linking."), code="dl_nonce")
    if claims.get(Claim.DEPLOYMENT_ID) != tool.deployment_id:
        raise ValidationFailed(
            _("deployment_id « %(got)s » inattendu (attendu « %(want)s »).")
            % {"got": claims.get(Claim.DEPLOYMENT_ID), "want": tool.deployment_id},
            code="dl_deployment",
        )
    if claims.get(Claim.MESSAGE_TYPE) != MessageType.DEEP_LINKING_RESPONSE.value:
        raise ValidationFailed(
            _("message_type doit valoir %(t)s.") % {"t": MessageType.DEEP_LINKING_RESPONSE.value},
            code="dl_message_type",
        )
    if claims.get(Claim.VERSION) != LTI_VERSION:
        raise ValidationFailed(_("version doit valoir 1.3.0."), code="dl_version")
    return tool, claims


def _course(tool: DemoTool, claims: dict[str, Any]) -> DemoCourse:
    data = claims.get(Claim.DL_DATA)
    if not data:
        return platform_course(tool.platform)
    course_id = deep_linking_data_read(str(data))["c"]
    course = tool.platform.courses.filter(pk=course_id).first()
    if course is None:
        raise ValidationFailed(_("Le cours de la demande n'existe plus."), code="dl_course")
    return course


def _max_grade(line_item: dict[str, Any]) -> Decimal:
    try:
        value = Decimal(str(line_item.get("scoreMaximum")))
    except InvalidOperation as error:
        raise ValidationFailed(
            _("lineItem.scoreMaximum doit être un nombre."), code="dl_lineitem"
        ) from error
    if not value.is_finite() or value <= 0:
        raise ValidationFailed(_("lineItem.scoreMaximum doit être positif."), code="dl_lineitem")
    whole = value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(max(whole, Decimal(1)), Decimal(MAX_GRADE_LIMIT))


def _place(tool: DemoTool, course: DemoCourse, item: dict[str, Any]) -> DemoResourceLink:
    title = str(item.get("title") or tool.name)[:255]
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    link = DemoResourceLink.objects.create(
        course=course,
        tool=tool,
        title=title,
        text=str(item.get("text") or ""),
        url=str(item.get("url") or "")[:500],
        custom={str(k): str(v) for k, v in (custom or {}).items()},
    )
    line_item = item.get("lineItem")
    if isinstance(line_item, dict):
        # Moodle names the activity's grade column after the activity: the label is
        # dropped, tag and resourceId are kept (shared/moodle.md, Deep Linking).
        DemoLineItem.objects.create(
            course=course,
            tool=tool,
            resource_link=link,
            label=title,
            score_maximum=_max_grade(line_item),
            resource_id=str(line_item.get("resourceId") or "")[:255],
            tag=str(line_item.get("tag") or "")[:255],
        )
    return link


@transaction.atomic
def deep_linking_response_accept(*, token: str) -> tuple[list[DemoResourceLink], dict[str, Any]]:
    """Verify the response and place its ltiResourceLink items; returns them and the claims."""
    if not token:
        raise ValidationFailed(_("Champ « JWT » absent."), code="dl_jwt")
    tool, claims = _response_claims(token)
    course = _course(tool, claims)
    items = claims.get(Claim.DL_CONTENT_ITEMS) or []
    if not isinstance(items, list):
        raise ValidationFailed(_("content_items doit être une liste."), code="dl_items")
    placed = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") != "ltiResourceLink":
            raise ValidationFailed(
                _("Type de contenu non accepté : %(t)s (seul ltiResourceLink l'est).")
                % {"t": item.get("type") if isinstance(item, dict) else item},
                code="dl_type",
            )
        placed.append(_place(tool, course, item))
    return placed, claims
