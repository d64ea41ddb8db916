"""A student's peer review of another project (formative, anonymous): the submitted canvas
without its authors' names, and the rubric to give levels and a comment."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.dsl import peers, selectors
from lti_tool.activities.dsl.charts import phasing_timeline, stakeholder_chart
from lti_tool.activities.dsl.content import PHASING, STAKEHOLDERS
from lti_tool.activities.dsl.views.common import launch_of
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.redirects import launch_redirect


def _review(request: HttpRequest, link: int, review_pk: int) -> tuple[Any, Any]:
    viewer = selectors.dsl_access(launch_of(request), resource_link_pk=link)
    review = peers.review_of(placement=viewer.placement, reviewer=viewer.lti_user,
                             review_pk=review_pk)  # fmt: skip
    return viewer, review


@lti_launch_required
@require_GET
def peer_review(request: HttpRequest, link: int, review_pk: int) -> HttpResponse:
    viewer, review = _review(request, link, review_pk)
    brief = selectors.brief_of(viewer.placement, language=launch_of(request).language)
    fields = selectors.graded_fields(review.canvas, brief)
    steps = []
    for step in brief.steps:
        items = []
        for field in step.fields:
            entry: dict[str, Any] = {"field": field, "value": fields[field.id]}
            if field.type == STAKEHOLDERS:
                entry["chart"] = stakeholder_chart(fields[field.id])
            elif field.type == PHASING:
                entry["chart"] = phasing_timeline(fields[field.id])
            items.append(entry)
        steps.append({"step": step, "items": items})
    criteria = [{"item": c, "level": review.levels.get(c.code)} for c in brief.criteria]
    return render(request, "dsl/peer_review.html", {
        "launch": launch_of(request), "link": link, "me": viewer.lti_user, "brief": brief,
        "review": review, "steps": steps, "criteria": criteria, "levels": range(5),
    })  # fmt: skip


@lti_launch_required
@launch_csrf_protect
@require_POST
def peer_review_save(request: HttpRequest, link: int, review_pk: int) -> HttpResponse:
    viewer, review = _review(request, link, review_pk)
    brief = selectors.brief_of(viewer.placement)
    levels = {c.code: request.POST.get(f"level-{c.code}", "").strip() for c in brief.criteria}
    peers.peer_review_save(
        review=review, brief=brief, levels=levels, comment=request.POST.get("comment", ""),
        submit=request.POST.get("action") == "send",
    )  # fmt: skip
    return launch_redirect(launch_of(request), "dsl:peer_review", link, review.pk)


urlpatterns = [
    path("projet-dsl/<int:link>/relecture/<int:review_pk>/", peer_review, name="peer_review"),
    path("projet-dsl/<int:link>/relecture/<int:review_pk>/enregistrer/", peer_review_save,
         name="peer_review_save"),
]  # fmt: skip
