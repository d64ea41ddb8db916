"""AGS and NRPS endpoints (the tool calls them with a Bearer token from /demo/token/).

Media types are compared exactly and refused with 415 before anything else, as Moodle's
``services.php`` does; refusals are plain text with their status.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lti_tool.core.exceptions import ApplicationError
from lti_tool.demo import ags
from lti_tool.demo.constants import MediaType, Scope
from lti_tool.demo.faults import ags_faults
from lti_tool.demo.selectors import (
    BearerAccess,
    access_token_check,
    course_for_tool,
    platform_url,
)
from lti_tool.demo.views.common import content_type_of, plain_text_errors

LINEITEM_READ = (Scope.AGS_LINEITEM.value, Scope.AGS_LINEITEM_READONLY.value)
LINEITEM_WRITE = (Scope.AGS_LINEITEM.value,)


class UnsupportedMediaType(ApplicationError):
    status_code = 415
    code = "unsupported_media_type"


def _media(
    data: Any,
    media_type: str,
    *,
    status: int = 200,
    next_url: str | None = None,
    typographic: bool = False,
) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=str(media_type))
    if next_url:
        if typographic:
            # Moodle's lineitems service writes rel=“next” with typographic quotes, as
            # raw UTF-8 bytes (shared/moodle.md): WSGI headers are latin-1 strings.
            response["Link"] = f"<{next_url}>; rel=“next”".encode().decode("latin-1")
        else:
            response["Link"] = f'<{next_url}>; rel="next"'
    return response


def _require_media(request: HttpRequest, media_type: str) -> None:
    received = content_type_of(request)
    if received != media_type:
        raise UnsupportedMediaType(
            _("Type de contenu « %(got)s » refusé : « %(want)s » attendu.")
            % {"got": received or "-", "want": media_type}
        )


def _access(request: HttpRequest, scopes: tuple[str, ...]) -> BearerAccess:
    return access_token_check(request.headers.get("Authorization", ""), any_of=scopes)


def _filters(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "") for key in request.GET}


@csrf_exempt
@require_http_methods(["GET", "POST"])
@ags_faults()
@plain_text_errors
def line_items(request: HttpRequest, course_id: int) -> HttpResponse:
    if request.method == "POST":
        _require_media(request, MediaType.LINEITEM)
        access = _access(request, LINEITEM_WRITE)
        course = course_for_tool(
            access=access, course_id=course_id, type_id=request.GET.get("type_id")
        )
        item = ags.line_item_create(
            tool=access.tool, course=course, data=ags.json_body(request.body)
        )
        return _media(ags.line_item_as_json(access.tool, item), MediaType.LINEITEM, status=201)
    access = _access(request, LINEITEM_READ)
    course = course_for_tool(access=access, course_id=course_id, type_id=request.GET.get("type_id"))
    items, next_url = ags.line_items_list(
        tool=access.tool, course=course, filters=_filters(request)
    )
    data = [ags.line_item_as_json(access.tool, item) for item in items]
    return _media(data, MediaType.LINEITEM_CONTAINER, next_url=next_url, typographic=True)


@csrf_exempt
@require_http_methods(["GET", "PUT", "DELETE"])
@ags_faults()
@plain_text_errors
def line_item(request: HttpRequest, course_id: int, item_id: int) -> HttpResponse:
    if request.method == "PUT":
        _require_media(request, MediaType.LINEITEM)
    access = _access(request, LINEITEM_READ if request.method == "GET" else LINEITEM_WRITE)
    course = course_for_tool(access=access, course_id=course_id, type_id=request.GET.get("type_id"))
    item = ags.line_item_get(tool=access.tool, course=course, item_id=item_id)
    if request.method == "DELETE":
        ags.line_item_delete(item=item)
        return HttpResponse(status=204)
    if request.method == "PUT":
        item = ags.line_item_replace(item=item, tool=access.tool, data=ags.json_body(request.body))
    return _media(ags.line_item_as_json(access.tool, item), MediaType.LINEITEM)


@csrf_exempt
@require_POST
@ags_faults(scores=True)
@plain_text_errors
def scores(request: HttpRequest, course_id: int, item_id: int) -> HttpResponse:
    """AGS 2.0 §3.4: Moodle answers 200 with an empty body."""
    _require_media(request, MediaType.SCORE)
    access = _access(request, (Scope.AGS_SCORE.value,))
    course = course_for_tool(access=access, course_id=course_id, type_id=request.GET.get("type_id"))
    item = ags.line_item_get(tool=access.tool, course=course, item_id=item_id)
    ags.score_record(item=item, data=ags.json_body(request.body))
    return HttpResponse(b"", status=200, content_type="text/plain")


@csrf_exempt
@require_GET
@ags_faults()
@plain_text_errors
def results(request: HttpRequest, course_id: int, item_id: int) -> HttpResponse:
    access = _access(request, (Scope.AGS_RESULT_READONLY.value,))
    course = course_for_tool(access=access, course_id=course_id, type_id=request.GET.get("type_id"))
    item = ags.line_item_get(tool=access.tool, course=course, item_id=item_id)
    data, next_url = ags.results_list(tool=access.tool, item=item, filters=_filters(request))
    return _media(data, MediaType.RESULT_CONTAINER, next_url=next_url, typographic=True)


@csrf_exempt
@require_GET
@plain_text_errors
def memberships(request: HttpRequest, course_id: int) -> HttpResponse:
    """NRPS 2.0 §2.2 membership container, short role names, limit paging."""
    access = _access(request, (Scope.NRPS_MEMBERSHIP_READONLY.value,))
    course = course_for_tool(access=access, course_id=course_id, type_id=None)
    base = platform_url(access.tool.platform, "nrps", course_id=course.pk)
    members, next_url = ags.memberships_list(course=course, filters=_filters(request), base=base)
    data = {
        "id": base + ("?" + request.GET.urlencode() if request.GET else ""),
        "context": {"id": str(course.pk), "label": course.label, "title": course.title},
        "members": members,
    }
    return _media(data, MediaType.NRPS_MEMBERSHIP, next_url=next_url)
