"""The trainer's course dashboard, its CSV export and the roster refresh.

Thin views (style rule 1): check the launch, call one selector or service, render. Only a
trainer of the course they launched from gets in (design.md §6); the refresh form is
posted inside Moodle's iframe, so it carries the launch id and a launch-bound CSRF token.
"""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST

from lti_tool.activities.dashboard import course_dashboard, course_matrix, matrix_csv_rows
from lti_tool.lti.ags.errors import AgsError
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required, trainer_course_get
from lti_tool.lti.redirects import launch_redirect
from lti_tool.lti.roster import roster_sync, roster_sync_request

# Excel reads a CSV as UTF-8 only when it starts with a byte order mark.
UTF8_BOM = "\ufeff"


@lti_launch_required
@require_http_methods(["GET", "HEAD"])
def course_dashboard_page(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    # A roster never read (or stale) is read by a worker; the page says so.
    requested = roster_sync_request(context=context)
    return render(
        request,
        "activities/dashboard/course_dashboard.html",
        {
            "launch": launch,
            "context": context,
            "dashboard": course_dashboard(context=context),
            "roster_outcome": request.GET.get("liste", ""),
            "roster_requested": requested,
        },
    )


@lti_launch_required
@require_http_methods(["GET", "HEAD"])
def course_dashboard_csv(request: HttpRequest, context_pk: int) -> HttpResponse:
    _launch, context = trainer_course_get(request, context_pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = slugify(context.label or context.title or context.context_id) or "cours"
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="atelier-{name}-{stamp}.csv"'
    response.write(UTF8_BOM)
    # French Excel splits on semicolons (the comma is its decimal separator).
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerows(matrix_csv_rows(matrix=course_matrix(context=context)))
    return response


@lti_launch_required
@launch_csrf_protect
@require_POST
def course_roster_refresh(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    try:
        outcome = "recente" if roster_sync(context=context).cached else "ok"
    except AgsError:
        outcome = "erreur"  # the message is recorded with the roster state and shown
    return launch_redirect(launch, "dashboard:course", context.pk, anchor="liste", liste=outcome)
