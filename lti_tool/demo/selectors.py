"""Reads of the built-in platform's data (style rule 2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import NotAuthenticated, NotFound, PermissionDenied
from lti_tool.demo.models import (
    DemoAccessToken,
    DemoCourse,
    DemoEnrolment,
    DemoGrade,
    DemoLineItem,
    DemoPlatform,
    DemoResourceLink,
    DemoTool,
    DemoUser,
)

COURSE_LABEL = "DECESF"


def platform_url(platform: DemoPlatform, name: str, **kwargs: Any) -> str:
    """Absolute URL of one of the platform's endpoints (``demo:<name>``)."""
    return platform.base_url + reverse(f"demo:{name}", kwargs=kwargs or None)


def platform_token_url(platform: DemoPlatform) -> str:
    return platform_url(platform, "token")


def platform_get_for_base_url(base_url: str) -> DemoPlatform | None:
    return DemoPlatform.objects.filter(base_url=base_url.rstrip("/")).first()


def platform_get_by_issuer(issuer: str) -> DemoPlatform | None:
    return DemoPlatform.objects.filter(issuer=issuer).first()


def platform_course(platform: DemoPlatform) -> DemoCourse:
    course = platform.courses.filter(label=COURSE_LABEL).first() or platform.courses.first()
    if course is None:
        raise NotFound(_("La plateforme de démonstration n'a pas encore de cours."))
    return course


def platform_tool_current(platform: DemoPlatform) -> DemoTool | None:
    """The tool launches go to: the newest active one, else the newest registered."""
    active = platform.tools.filter(status=DemoTool.Status.ACTIVE).order_by("-pk").first()
    return active or platform.tools.order_by("-pk").first()


def tool_get_by_client_id(client_id: str) -> DemoTool | None:
    return DemoTool.objects.select_related("platform").filter(client_id=client_id).first()


def user_get(*, platform: DemoPlatform, user_id: str | int) -> DemoUser | None:
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        return None
    return DemoUser.objects.filter(platform=platform, pk=pk).first()


def enrolment_get(*, course: DemoCourse, user: DemoUser) -> DemoEnrolment | None:
    return DemoEnrolment.objects.filter(course=course, user=user).first()


def course_enrolments(course: DemoCourse) -> QuerySet[DemoEnrolment]:
    return course.enrolments.select_related("user").order_by("pk")


def course_links(course: DemoCourse) -> QuerySet[DemoResourceLink]:
    return course.links.select_related("tool").order_by("pk")


def link_line_item(link: DemoResourceLink) -> DemoLineItem | None:
    """The activity's own grade column (the one a launch's ``lineitem`` points at)."""
    return link.line_items.order_by("pk").first()


def tool_line_items_url(tool: DemoTool, course: DemoCourse) -> str:
    return (
        platform_url(tool.platform, "ags_lineitems", course_id=course.pk)
        + "?"
        + urlencode({"type_id": tool.pk})
    )


def line_item_url(tool: DemoTool, item: DemoLineItem) -> str:
    # Moodle's shape: the query string carries the tool type, so /scores and /results
    # go before it (shared/moodle.md, AGS).
    return (
        platform_url(tool.platform, "ags_lineitem", course_id=item.course_id, item_id=item.pk)
        + "?"
        + urlencode({"type_id": tool.pk})
    )


def nrps_url(tool: DemoTool, course: DemoCourse) -> str:
    return platform_url(tool.platform, "nrps", course_id=course.pk)


@dataclass(frozen=True)
class BearerAccess:
    tool: DemoTool
    scopes: frozenset[str]


def access_token_check(authorization: str, *, any_of: tuple[str, ...]) -> BearerAccess:
    """The tool behind a Bearer token, which must hold one of ``any_of`` scopes.

    401 when the token is absent, unknown or expired; 403 when it lacks the scope.
    """
    scheme, _sep, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise NotAuthenticated(_("Jeton d'accès absent : en-tête « Authorization: Bearer … »."))
    row = (
        DemoAccessToken.objects.select_related("tool__platform")
        .filter(token=value.strip(), expires_at__gt=timezone.now())
        .first()
    )
    if row is None:
        raise NotAuthenticated(_("Jeton d'accès inconnu ou expiré."))
    scopes = frozenset(row.scopes)
    if not scopes.intersection(any_of):
        raise PermissionDenied(
            _("Le jeton d'accès n'a pas la portée requise (%(scopes)s).")
            % {"scopes": " ou ".join(any_of)}
        )
    return BearerAccess(tool=row.tool, scopes=scopes)


def course_for_tool(*, access: BearerAccess, course_id: int, type_id: str | None) -> DemoCourse:
    """The course of an AGS/NRPS URL, checked against the token's tool."""
    if type_id is not None and type_id != str(access.tool.pk):
        raise PermissionDenied(_("Ce jeton appartient à un autre outil (type_id)."))
    course = DemoCourse.objects.filter(pk=course_id, platform=access.tool.platform).first()
    if course is None:
        raise NotFound(_("Cours %(id)s introuvable sur cette plateforme.") % {"id": course_id})
    return course


def course_line_items(*, course: DemoCourse, tool: DemoTool) -> QuerySet[DemoLineItem]:
    return course.line_items.filter(tool=tool).select_related("resource_link").order_by("pk")


def gradebook_rows(course: DemoCourse) -> list[dict[str, Any]]:
    """One row per line item with each student's stored grade (or None)."""
    learners = [e.user for e in course_enrolments(course) if e.role == DemoEnrolment.Role.LEARNER]
    grades = {
        (g.line_item_id, g.user_id): g for g in DemoGrade.objects.filter(line_item__course=course)
    }
    rows = []
    for item in course.line_items.select_related("resource_link").order_by("pk"):
        rows.append(
            {
                "item": item,
                "cells": [(user, grades.get((item.pk, user.pk))) for user in learners],
            }
        )
    return rows
