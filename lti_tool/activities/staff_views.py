"""Staff screen: publish a scenario or role-play file (kind read from its ``format:``) and list the published activities and versions.

Staff only (Django staff session, normal CSRF): not reachable through an LTI launch. An
invalid file gets the validator's report, one line-precise message per problem, with a 400.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from lti_tool.activities.content_yaml import ContentInvalid
from lti_tool.activities.dsl.content import DslBrief, dsl_from_json
from lti_tool.activities.models import Activity, ActivityVersion
from lti_tool.activities.roleplays.content import RolePlay, roleplay_from_json
from lti_tool.activities.scenarios.engine import Scenario, scenario_from_json
from lti_tool.activities.services import (
    UPLOAD_MAX_BYTES,
    Publication,
    content_check_text,
    content_publish_text,
    scenario_upload_text,
)
from lti_tool.core.exceptions import ApplicationError
from lti_tool.grading.rules import ActivityKind


class ScenarioUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier de scénario ou de jeu de rôle (YAML)"),
        help_text=_(
            "Format atelier-scenario/1, atelier-roleplay/1 ou atelier-dpa/1, encodé en UTF-8, 512 Ko au plus."
        ),
    )


def _activities() -> list[Activity]:
    versions = ActivityVersion.objects.order_by("-version").annotate(
        attempt_count=Count("attempts", distinct=True),
        placement_count=Count("placements", distinct=True),
    )
    return list(
        Activity.objects.order_by("title").prefetch_related(Prefetch("versions", queryset=versions))
    )


@staff_member_required
@require_http_methods(["GET", "POST"])
def activity_index(request: HttpRequest) -> HttpResponse:
    form = ScenarioUploadForm(request.POST or None, request.FILES or None)
    problems: ContentInvalid | None = None
    refusal = ""
    publication: Publication | None = None
    checked: Scenario | None = None
    checked_roleplay: RolePlay | None = None
    checked_dsl: DslBrief | None = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            name = upload.name or "scenario.yaml"
            try:
                text = scenario_upload_text(data=upload.read(UPLOAD_MAX_BYTES + 1), filename=name)
                if request.POST.get("action") == "check":
                    kind, content = content_check_text(text=text, source_name=name)
                    if kind == ActivityKind.ROLEPLAY:
                        checked_roleplay = roleplay_from_json(content)
                    elif kind == ActivityKind.DSL:
                        checked_dsl = dsl_from_json(content)
                    else:
                        checked = scenario_from_json(content)
                else:
                    publication = content_publish_text(text=text, source_name=name)
                    form = ScenarioUploadForm()
            except ContentInvalid as error:
                problems = error
                status = 400
            except ApplicationError as error:
                refusal = error.message
                status = error.status_code
        else:
            status = 400
    return render(
        request,
        "activities/staff/index.html",
        {
            "form": form,
            "problems": problems,
            "refusal": refusal,
            "publication": publication,
            "checked": checked,
            "checked_roleplay": checked_roleplay,
            "checked_dsl": checked_dsl,
            "activities": _activities(),
        },
        status=status,
    )
