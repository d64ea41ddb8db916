"""Staff screens: the competence frameworks shipped with Atelier, and their Moodle export."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lti_tool.grading.frameworks.moodle_csv import framework_moodle_csv, moodle_csv_filename
from lti_tool.grading.frameworks.selectors import framework_get, framework_list, framework_tree


@staff_member_required
@require_GET
def framework_index(request: HttpRequest) -> HttpResponse:
    return render(request, "frameworks/list.html", {"frameworks": framework_list()})


@staff_member_required
@require_GET
def framework_detail(request: HttpRequest, code: str, version: int) -> HttpResponse:
    framework = framework_get(code=code, version=version)
    return render(
        request,
        "frameworks/detail.html",
        {"framework": framework, "domains": framework_tree(framework=framework)},
    )


@staff_member_required
@require_GET
def framework_moodle_csv_download(request: HttpRequest, code: str, version: int) -> HttpResponse:
    framework = framework_get(code=code, version=version)
    response = HttpResponse(
        framework_moodle_csv(framework=framework), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{moodle_csv_filename(framework)}"'
    return response
