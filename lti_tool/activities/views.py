"""Where launches land: the trainer's course page and the student's activity page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from lti_tool.core.exceptions import PermissionDenied
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.selectors import (
    context_get,
    context_memberships,
    context_resource_links,
    lti_user_get,
    resource_link_get,
)


@lti_launch_required
def course_home(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch = request.lti_launch  # type: ignore[attr-defined]
    if not launch.is_trainer or launch.context_id != context_pk:
        raise PermissionDenied("Cette page est réservée aux formateurs de ce cours.")
    context = context_get(context_pk=context_pk)
    return render(
        request,
        "activities/course_home.html",
        {
            "launch": launch,
            "context": context,
            "me": lti_user_get(lti_user_pk=launch.lti_user_id),
            "memberships": context_memberships(context=context),
            "links": context_resource_links(context=context),
        },
    )


@lti_launch_required
def resource_link_page(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch = request.lti_launch  # type: ignore[attr-defined]
    if launch.resource_link_id != resource_link_pk:
        raise PermissionDenied("Ce lancement ne donne pas accès à cette activité.")
    link = resource_link_get(resource_link_pk=resource_link_pk)
    return render(
        request,
        "activities/resource_link.html",
        {"launch": launch, "link": link, "me": lti_user_get(lti_user_pk=launch.lti_user_id)},
    )
