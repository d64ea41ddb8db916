"""Reads of the LTI layer used by the pages above it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import NotFound
from lti_tool.lti.models import Context, LtiUser, Membership, ResourceLink


def context_get(*, context_pk: int) -> Context:
    context = (
        Context.objects.select_related("deployment__registration").filter(pk=context_pk).first()
    )
    if context is None:
        raise NotFound(_("Ce cours n'est pas connu d'Atelier."))
    return context


def resource_link_get(*, resource_link_pk: int) -> ResourceLink:
    link = (
        ResourceLink.objects.select_related("context__deployment__registration")
        .filter(pk=resource_link_pk)
        .first()
    )
    if link is None:
        raise NotFound(_("Cette activité n'est pas connue d'Atelier."))
    return link


def lti_user_get(*, lti_user_pk: int) -> LtiUser:
    return LtiUser.objects.get(pk=lti_user_pk)


def context_memberships(*, context: Context) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(context=context)
        .select_related("lti_user")
        .order_by("-is_trainer", "lti_user__family_name", "lti_user__name")
    )


def context_resource_links(*, context: Context) -> QuerySet[ResourceLink]:
    return ResourceLink.objects.filter(context=context).order_by("title", "resource_link_id")
