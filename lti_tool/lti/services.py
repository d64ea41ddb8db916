"""Writes of the LTI layer: what a validated launch tells us, stored idempotently."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from lti_tool.lti.constants import LEARNER_ROLES, TRAINER_ROLES, Claim, MessageType
from lti_tool.lti.launch import ValidatedLaunch
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.launch_store import launch_save
from lti_tool.lti.models import Context, LtiUser, Membership, Registration, ResourceLink


def _claim_dict(claims: dict[str, Any], claim: Claim) -> dict[str, Any]:
    value = claims.get(claim)
    return value if isinstance(value, dict) else {}


def _text(value: Any, limit: int = 255) -> str:
    return str(value)[:limit] if value is not None else ""


def lti_user_upsert(*, registration: Registration, claims: dict[str, Any]) -> LtiUser:
    sub = str(claims["sub"])
    lti_user = (
        LtiUser.objects.select_related("user").filter(registration=registration, sub=sub).first()
    )
    if lti_user is None:
        user = get_user_model().objects.create_user(
            username=f"lti-{registration.pk}-{sub}"[:150], password=None
        )
        lti_user = LtiUser(registration=registration, sub=sub, user=user)
    lti_user.name = _text(claims.get("name"))
    lti_user.given_name = _text(claims.get("given_name"))
    lti_user.family_name = _text(claims.get("family_name"))
    lti_user.email = _text(claims.get("email"), 254)
    lti_user.locale = _text(_claim_dict(claims, Claim.LAUNCH_PRESENTATION).get("locale"), 20)
    lti_user.last_launch_at = timezone.now()
    lti_user.save()
    return lti_user


def _roles(claims: dict[str, Any]) -> list[str]:
    roles = claims.get(Claim.ROLES)
    return [str(role) for role in roles] if isinstance(roles, list) else []


def context_upsert(*, launch: ValidatedLaunch) -> Context | None:
    data = _claim_dict(launch.claims, Claim.CONTEXT)
    if not data.get("id"):
        return None
    nrps = _claim_dict(launch.claims, Claim.NRPS)
    context, _ = Context.objects.update_or_create(
        deployment=launch.deployment,
        context_id=_text(data["id"]),
        defaults={
            "label": _text(data.get("label")),
            "title": _text(data.get("title"), 500),
            "nrps_memberships_url": _text(nrps.get("context_memberships_url"), 500),
        },
    )
    return context


def membership_upsert(*, context: Context, lti_user: LtiUser, roles: list[str]) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        context=context,
        lti_user=lti_user,
        defaults={
            "roles": roles,
            "is_trainer": bool(TRAINER_ROLES.intersection(roles)),
            "is_student": bool(LEARNER_ROLES.intersection(roles)),
            "source": Membership.Source.LAUNCH,
        },
    )
    return membership


def resource_link_upsert(*, context: Context, claims: dict[str, Any]) -> ResourceLink | None:
    link = _claim_dict(claims, Claim.RESOURCE_LINK)
    if not link.get("id"):
        return None
    ags = _claim_dict(claims, Claim.AGS_ENDPOINT)
    custom = claims.get(Claim.CUSTOM)
    resource_link, _ = ResourceLink.objects.update_or_create(
        context=context,
        resource_link_id=_text(link["id"]),
        defaults={
            "title": _text(link.get("title"), 500),
            "description": _text(link.get("description"), 5000),
            "custom": custom if isinstance(custom, dict) else {},
            "ags_lineitems_url": _text(ags.get("lineitems"), 500),
            "ags_lineitem_url": _text(ags.get("lineitem"), 500),
            "ags_scopes": [str(s) for s in ags.get("scope", []) if isinstance(s, str)],
        },
    )
    return resource_link


def launch_record(*, launch: ValidatedLaunch) -> LtiLaunch:
    """Upsert user, course, membership and link from a validated launch, and open an
    opaque launch id for the pages that follow (design.md §6).

    Two first launches of the same person or course at the same moment (a double click,
    two tabs) both find nothing and both insert: the loser's transaction hits a unique
    constraint. Its rows now exist, so one more pass updates them instead of failing.
    """
    try:
        return _launch_record(launch=launch)
    except IntegrityError:
        return _launch_record(launch=launch)


@transaction.atomic
def _launch_record(*, launch: ValidatedLaunch) -> LtiLaunch:
    claims = launch.claims
    lti_user = lti_user_upsert(registration=launch.registration, claims=claims)
    roles = _roles(claims)
    context = context_upsert(launch=launch)
    resource_link = None
    if context is not None:
        membership_upsert(context=context, lti_user=lti_user, roles=roles)
        if launch.message_type == MessageType.RESOURCE_LINK:
            resource_link = resource_link_upsert(context=context, claims=claims)
    presentation = _claim_dict(claims, Claim.LAUNCH_PRESENTATION)
    data: dict[str, Any] = {
        "message_type": launch.message_type,
        "registration_id": launch.registration.pk,
        "deployment_id": launch.deployment.pk,
        "lti_user_id": lti_user.pk,
        "user_id": lti_user.user_id,
        "context_id": context.pk if context else None,
        "resource_link_id": resource_link.pk if resource_link else None,
        "roles": roles,
        "locale": _text(presentation.get("locale"), 20),
        "document_target": _text(presentation.get("document_target"), 20),
        "return_url": _text(presentation.get("return_url"), 1000),
        "claims": claims,
    }
    launch_id = launch_save(data)
    return LtiLaunch.from_store(launch_id, data)
