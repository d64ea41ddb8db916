"""Assignment and Grade Services 2.0 with Moodle 4.3's semantics (shared/moodle.md, AGS).

Line items, scores and results of one course, seen through a tool's access token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from lti_tool.demo.constants import ActivityProgress, GradingProgress, Role
from lti_tool.demo.models import (
    DemoCourse,
    DemoEnrolment,
    DemoGrade,
    DemoLineItem,
    DemoResourceLink,
    DemoTool,
    DemoUser,
)
from lti_tool.demo.selectors import course_line_items, line_item_url, platform_url


def json_body(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError as error:
        raise ValidationFailed(_("Le corps n'est pas du JSON valide.")) from error
    if not isinstance(data, dict):
        raise ValidationFailed(_("Le corps doit être un objet JSON."))
    return data


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def line_item_as_json(tool: DemoTool, item: DemoLineItem) -> dict[str, Any]:
    """AGS 2.0 §3.2 line item; empty optional members are left out."""
    data: dict[str, Any] = {
        "id": line_item_url(tool, item),
        "label": item.label,
        "scoreMaximum": _number(item.score_maximum),
    }
    if item.resource_link_id:
        data["resourceLinkId"] = str(item.resource_link_id)
    for key, value in (
        ("resourceId", item.resource_id),
        ("tag", item.tag),
        ("startDateTime", item.start_date_time),
        ("endDateTime", item.end_date_time),
    ):
        if value:
            data[key] = value
    return data


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_url: str | None


def line_items_list(
    *, tool: DemoTool, course: DemoCourse, filters: dict[str, str]
) -> tuple[list[DemoLineItem], str | None]:
    """Moodle's filters: resource_link_id, resource_id, tag; limit/from paging."""
    items: QuerySet[DemoLineItem] = course_line_items(course=course, tool=tool)
    if filters.get("resource_link_id"):
        items = items.filter(resource_link_id=_int(filters["resource_link_id"], "resource_link_id"))
    if filters.get("resource_id"):
        items = items.filter(resource_id=filters["resource_id"])
    if filters.get("tag"):
        items = items.filter(tag=filters["tag"])
    return _paged(list(items), filters, base=_container_base(tool, course))


def _container_base(tool: DemoTool, course: DemoCourse) -> str:
    return platform_url(tool.platform, "ags_lineitems", course_id=course.pk)


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError as error:
        raise ValidationFailed(_("%(name)s doit être un entier.") % {"name": name}) from error


def _paged(rows: list[Any], filters: dict[str, str], *, base: str) -> tuple[list[Any], str | None]:
    if not filters.get("limit"):
        return rows, None
    limit = max(_int(filters["limit"], "limit"), 1)
    start = max(_int(filters.get("from", "0") or "0", "from"), 0)
    page = rows[start : start + limit]
    if start + limit >= len(rows):
        return page, None
    query = {k: v for k, v in filters.items() if v}
    query.update({"limit": str(limit), "from": str(start + limit)})
    return page, base + "?" + urlencode(query)


def _line_item_fields(
    data: dict[str, Any], *, course: DemoCourse, tool: DemoTool
) -> dict[str, Any]:
    label = data.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ValidationFailed(_("label est obligatoire."))
    try:
        maximum = Decimal(str(data.get("scoreMaximum")))
    except InvalidOperation as error:
        raise ValidationFailed(_("scoreMaximum doit être un nombre.")) from error
    if not maximum.is_finite() or maximum <= 0:
        raise ValidationFailed(_("scoreMaximum doit être un nombre positif."))
    link = None
    if data.get("resourceLinkId") not in (None, ""):
        link = DemoResourceLink.objects.filter(
            pk=_int(str(data["resourceLinkId"]), "resourceLinkId"), course=course
        ).first()
        # Moodle: the link must be an activity of this very tool.
        if link is None or link.tool_id != tool.pk:
            raise PermissionDenied(
                _("resourceLinkId %(id)s n'est pas une activité de cet outil dans ce cours.")
                % {"id": data["resourceLinkId"]}
            )
    return {
        "label": label.strip()[:255],
        "score_maximum": maximum,
        "resource_link": link,
        # AGS 2.0 §3.2.x: a PUT is a full replacement; absent members are erased.
        "resource_id": str(data.get("resourceId") or "")[:255],
        "tag": str(data.get("tag") or "")[:255],
        "start_date_time": str(data.get("startDateTime") or "")[:40],
        "end_date_time": str(data.get("endDateTime") or "")[:40],
    }


@transaction.atomic
def line_item_create(*, tool: DemoTool, course: DemoCourse, data: dict[str, Any]) -> DemoLineItem:
    fields = _line_item_fields(data, course=course, tool=tool)
    return DemoLineItem.objects.create(course=course, tool=tool, created_by_tool=True, **fields)


def line_item_get(*, tool: DemoTool, course: DemoCourse, item_id: int) -> DemoLineItem:
    item = course_line_items(course=course, tool=tool).filter(pk=item_id).first()
    if item is None:
        raise NotFound(_("Élément de notation %(id)s introuvable.") % {"id": item_id})
    return item


@transaction.atomic
def line_item_replace(*, item: DemoLineItem, tool: DemoTool, data: dict[str, Any]) -> DemoLineItem:
    fields = _line_item_fields(data, course=item.course, tool=tool)
    if fields["resource_link"] is None:
        # Moodle keeps the activity binding of a line item the tool did not create.
        fields["resource_link"] = item.resource_link
    for name, value in fields.items():
        setattr(item, name, value)
    item.save()
    return item


@transaction.atomic
def line_item_delete(*, item: DemoLineItem) -> None:
    item.delete()


def _timestamp_seconds(value: Any) -> tuple[str, int]:
    if not isinstance(value, str) or not value:
        raise ValidationFailed(_("timestamp est obligatoire (ISO 8601)."))
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise ValidationFailed(
            _("timestamp n'est pas une date ISO 8601 : %(v)s.") % {"v": value}
        ) from error
    if moment.tzinfo is None:
        raise ValidationFailed(_("timestamp doit porter un fuseau horaire."))
    return value, int(moment.timestamp())


def _score_user(item: DemoLineItem, user_id: Any) -> DemoUser:
    enrolment = (
        DemoEnrolment.objects.select_related("user")
        .filter(course=item.course, user_id=_int(str(user_id), "userId"))
        .first()
        if user_id not in (None, "")
        else None
    )
    # Moodle answers 400 for a user without a gradebook role in the course.
    if enrolment is None or enrolment.role != DemoEnrolment.Role.LEARNER:
        raise ValidationFailed(
            _("L'utilisateur %(id)s n'est pas inscrit avec un rôle noté dans ce cours.")
            % {"id": user_id}
        )
    return enrolment.user


def _decimal(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise ValidationFailed(_("%(name)s doit être un nombre.") % {"name": name}) from error
    if not number.is_finite():
        raise ValidationFailed(_("%(name)s doit être un nombre.") % {"name": name})
    return number


@transaction.atomic
def score_record(*, item: DemoLineItem, data: dict[str, Any]) -> DemoGrade:
    """AGS 2.0 §3.4 score publish, Moodle-style (409, FullyGraded only, clamped grade)."""
    user = _score_user(item, data.get("userId"))
    timestamp, seconds = _timestamp_seconds(data.get("timestamp"))
    grading = data.get("gradingProgress")
    activity = data.get("activityProgress")
    if grading not in {g.value for g in GradingProgress}:
        raise ValidationFailed(_("gradingProgress invalide : %(v)s.") % {"v": grading})
    if activity not in {a.value for a in ActivityProgress}:
        raise ValidationFailed(_("activityProgress invalide : %(v)s.") % {"v": activity})
    given = _decimal(data.get("scoreGiven"), "scoreGiven")
    maximum = _decimal(data.get("scoreMaximum"), "scoreMaximum")
    if given is not None and (maximum is None or maximum <= 0):
        raise ValidationFailed(_("scoreMaximum (positif) est obligatoire avec scoreGiven."))
    grade = DemoGrade.objects.select_for_update().filter(line_item=item, user=user).first()
    if grade is not None and seconds <= grade.timestamp_seconds:
        raise Conflict(
            _("Le timestamp %(new)s n'est pas postérieur au dernier reçu (%(old)s).")
            % {"new": timestamp, "old": grade.timestamp}
        )
    grade = grade or DemoGrade(line_item=item, user=user)
    grade.grade = _grade_value(item, grading, given, maximum)
    grade.score_given, grade.score_maximum = given, maximum
    grade.activity_progress, grade.grading_progress = activity, grading
    grade.comment = str(data.get("comment") or "")
    grade.timestamp, grade.timestamp_seconds = timestamp, seconds
    try:
        with transaction.atomic():
            grade.save()
    except IntegrityError as error:
        # A concurrent first score for the same (line item, user) won the insert.
        raise Conflict(_("Une autre note vient d'être enregistrée ; renvoyez-la.")) from error
    return grade


def _grade_value(
    item: DemoLineItem, grading: str, given: Decimal | None, maximum: Decimal | None
) -> Decimal | None:
    # Moodle writes a grade only when FullyGraded; anything else clears it.
    if grading != GradingProgress.FULLY_GRADED or given is None or maximum is None:
        return None
    value = given * item.score_maximum / maximum
    return min(max(value, Decimal(0)), item.score_maximum)


def results_list(
    *, tool: DemoTool, item: DemoLineItem, filters: dict[str, str]
) -> tuple[list[dict[str, Any]], str | None]:
    grades = item.grades.select_related("user").order_by("user_id")
    if filters.get("user_id"):
        grades = grades.filter(user_id=_int(filters["user_id"], "user_id"))
    item_url = line_item_url(tool, item)
    path, _sep, query = item_url.partition("?")
    results = []
    for grade in grades:
        result: dict[str, Any] = {
            "id": f"{path}/results?{query}&user_id={grade.user_id}",
            "scoreOf": item_url,
            "userId": str(grade.user_id),
            "resultMaximum": _number(item.score_maximum),
        }
        if grade.grade is not None:
            result["resultScore"] = _number(grade.grade)
        if grade.comment:
            result["comment"] = grade.comment
        results.append(result)
    base = platform_url(tool.platform, "ags_results", course_id=item.course_id, item_id=item.pk)
    return _paged(results, {**filters, "type_id": str(tool.pk)}, base=base)


def memberships_list(
    *, course: DemoCourse, filters: dict[str, str], base: str
) -> tuple[list[dict[str, Any]], str | None]:
    """NRPS 2.0 §2.2 members with short role names, limit/from paging."""
    members = []
    for enrolment in course.enrolments.select_related("user").order_by("pk"):
        user = enrolment.user
        if filters.get("role") and filters["role"] not in {
            enrolment.role,
            _full_role(enrolment.role),
        }:
            continue
        members.append(
            {
                "status": "Active",
                "name": user.full_name,
                "given_name": user.given_name,
                "family_name": user.family_name,
                "email": user.email,
                "user_id": str(user.pk),
                "roles": [enrolment.role],
            }
        )
    return _paged(members, filters, base=base)


def _full_role(short: str) -> str:
    return str(Role.INSTRUCTOR if short == DemoEnrolment.Role.INSTRUCTOR else Role.LEARNER)
