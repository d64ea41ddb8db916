"""The trainer's pages of a placed DSL project canvas: the projects list and team size,
the keyboard rubric grading screen (grading/_rubric_keyboard.html, shared with the DPA
case), and validation, which makes the results final and schedules their passback.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.dsl import canvas as rules
from lti_tool.activities.dsl import peers, selectors, services
from lti_tool.activities.dsl.charts import phasing_timeline, stakeholder_chart
from lti_tool.activities.dsl.content import PHASING, STAKEHOLDERS, DslBrief
from lti_tool.activities.dsl.models import Canvas
from lti_tool.activities.dsl.views.common import (
    int_posted,
    launch_of,
    viewer_canvas,
    wants_json,
)
from lti_tool.grading.frameworks.selectors import framework_get, framework_tree
from lti_tool.grading.rubric import peer_median, rubric_grade
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.redirects import launch_redirect

# --- trainer -------------------------------------------------------------------------------


@lti_launch_required
@require_GET
def trainer(request: HttpRequest, link: int) -> HttpResponse:
    launch = launch_of(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    selectors.trainer_required(viewer)
    return render(request, "dsl/trainer.html", {
        "launch": launch, "link": link, "me": viewer.lti_user,
        "brief": selectors.brief_of(viewer.placement, language=launch.language),
        "setup": selectors.setup_of(viewer.placement),
        "submissions": selectors.submissions(viewer.placement),
    })  # fmt: skip


@lti_launch_required
@launch_csrf_protect
@require_POST
def setup(request: HttpRequest, link: int) -> HttpResponse:
    launch = launch_of(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    selectors.trainer_required(viewer)
    services.dsl_setup_update(
        placement=viewer.placement, team_size=int_posted(request.POST.get("team_size"), "taille")
    )
    return launch_redirect(launch, "dsl:trainer", link)


def _domain_titles(brief: DslBrief) -> dict[str, str]:
    framework = framework_get(code=brief.framework_code, version=brief.framework_version)
    return {d.code: d.title_fr for d in framework_tree(framework=framework)}


def _entries(request: HttpRequest, brief: DslBrief) -> list[services.ReviewEntry]:
    """The criteria the grading screen posted (the keyboard screen posts one at a time)."""
    entries = []
    for criterion in brief.criteria:
        level = request.POST.get(f"level-{criterion.code}")
        comment = request.POST.get(f"comment-{criterion.code}")
        if level is not None or comment is not None:
            entries.append(services.ReviewEntry(criterion.code, level, comment))
    return entries


@lti_launch_required
@require_GET
def grade(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    selectors.trainer_required(viewer)
    brief = selectors.brief_of(viewer.placement, language=launch_of(request).language)
    return render(request, "dsl/grade.html", _grade_context(request, viewer, canvas, brief))


@lti_launch_required
@launch_csrf_protect
@require_POST
def grade_save(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    launch = launch_of(request)
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    selectors.trainer_required(viewer)
    brief = selectors.brief_of(viewer.placement, language=launch.language)
    reviewed = services.canvas_review_save(
        canvas=canvas, trainer=viewer.lti_user, entries=_entries(request, brief),
        domain_titles=_domain_titles(brief),
    )  # fmt: skip
    if wants_json(request):
        domains = reviewed.grade.domains if reviewed.grade is not None else {}
        return JsonResponse({
            "message": _("Enregistré."),
            "domains": {code: str(outcome.score_20) for code, outcome in domains.items()},
        })  # fmt: skip
    return launch_redirect(launch, "dsl:grade", link, canvas.pk)


@lti_launch_required
@launch_csrf_protect
@require_POST
def validate(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    launch = launch_of(request)
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    selectors.trainer_required(viewer)
    services.canvas_validate(
        domain_titles=_domain_titles(selectors.brief_of(viewer.placement)),
        canvas=canvas, trainer=viewer.lti_user,
        feedback=request.POST.get("feedback", "").strip()[:2000],
    )  # fmt: skip
    return launch_redirect(launch, "dsl:grade", link, canvas.pk)


def _rubric_items(
    canvas: Canvas, brief: DslBrief, auto: dict[str, Decimal]
) -> list[dict[str, Any]]:
    """The criteria as the shared keyboard rubric (grading/_rubric_keyboard.html) reads them."""
    items = []
    peer = peers.peer_levels(canvas)
    for item in brief.criteria:
        state = canvas.review.get(item.code, {})
        note = ""
        if item.auto:
            note = (
                _("Partie automatique (cartes dilemmes) : niveau %(level)s sur 4, comptée pour %(alpha)s %% du critère.")
                % {"level": (auto[item.code] * 4).quantize(Decimal("0.1")), "alpha": int(brief.alpha * 100)}
                if item.code in auto
                else _("Aucune carte dilemme jouée pour ce critère : votre niveau compte seul.")
            )  # fmt: skip
        if item.code in peer:
            median = peer_median(peer[item.code])
            note = " ".join(filter(None, [note, _(
                "Avis des pairs (%(n)s, formatif, sans effet sur la note) : médiane %(median)s."
            ) % {"n": len(peer[item.code]), "median": median}]))  # fmt: skip
        items.append({
            "code": item.code, "label": item.criterion.label, "domain": item.domain,
            "weight": item.criterion.weight, "descriptors": item.descriptors,
            "level": state.get("level"), "decided": bool(state.get("decided")),
            "comment": state.get("comment", ""), "auto": item.auto, "auto_note": note,
        })  # fmt: skip
    return items


def _domain_states(submission: selectors.Submission, preview: dict[str, Any]) -> dict[str, str]:
    """Domain → "final" when every member's result is validated and still matches the
    grid, else "to_review" (a change after validation waits to be validated again)."""
    states: dict[str, str] = {}
    for result in submission.results:
        outcome = preview.get(result.domain_code)
        current = outcome is None or outcome.score_20 == result.score_20
        final = result.status == "final" and current
        final = final and states.get(result.domain_code, "final") == "final"
        states[result.domain_code] = "final" if final else "to_review"
    return states


def _grade_context(
    request: HttpRequest, viewer: selectors.Viewer, canvas: Canvas, brief: DslBrief
) -> dict[str, Any]:
    fields = selectors.graded_fields(canvas, brief)
    auto = selectors.canvas_auto_scores(canvas, brief)
    choices = selectors.choices_of(canvas)
    everything = selectors.submissions(viewer.placement)
    submission = next(s for s in everything if s.canvas.pk == canvas.pk)
    submitted = [s.canvas.pk for s in everything if s.canvas.submitted]
    position = submitted.index(canvas.pk) if canvas.pk in submitted else -1
    levels = {c: v["level"] for c, v in canvas.review.items() if v.get("decided")}
    preview = rubric_grade(brief.rubric(), levels=levels, auto_scores=auto, alpha=brief.alpha)
    steps = []
    for step_ in brief.steps:
        items = []
        for field in step_.fields:
            value = fields[field.id]
            entry: dict[str, Any] = {"field": field, "value": value}
            if field.type == STAKEHOLDERS:
                entry["chart"] = stakeholder_chart(value)
            elif field.type == PHASING:
                entry["chart"] = phasing_timeline(value)
            items.append(entry)
        cards = [{"card": c, "option": c.option(choices[c.id].option_id) if c.id in choices else None,
                  "choice": choices.get(c.id)} for c in step_.dilemmas]  # fmt: skip
        steps.append({"step": step_, "items": items, "cards": cards})
    return {
        "launch": launch_of(request), "link": viewer.placement.resource_link_id,
        "me": viewer.lti_user, "canvas": canvas, "brief": brief, "steps": steps,
        "criteria": _rubric_items(canvas, brief, auto),
        "peer_comments": peers.peer_comments(canvas), "submission": submission,
        "rungs": rules.RUNGS, "domains": preview.domains,
        "domain_states": _domain_states(submission, preview.domains),
        "previous_pk": submitted[position - 1] if position > 0 else None,
        "next_pk": submitted[position + 1] if 0 <= position < len(submitted) - 1 else None,
    }  # fmt: skip


@lti_launch_required
@launch_csrf_protect
@require_POST
def peer_assign(request: HttpRequest, link: int) -> HttpResponse:
    launch = launch_of(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    selectors.trainer_required(viewer)
    peers.peer_reviews_assign(placement=viewer.placement)
    return launch_redirect(launch, "dsl:trainer", link)


urlpatterns = [
    path("projet-dsl/<int:link>/suivi/", trainer, name="trainer"),
    path("projet-dsl/<int:link>/reglages/", setup, name="setup"),
    path("projet-dsl/<int:link>/relectures/", peer_assign, name="peer_assign"),
    path("projet-dsl/<int:link>/correction/<int:canvas_pk>/", grade, name="grade"),
    path("projet-dsl/<int:link>/correction/<int:canvas_pk>/enregistrer/", grade_save,
         name="grade_save"),
    path("projet-dsl/<int:link>/correction/<int:canvas_pk>/valider/", validate,
         name="validate"),
]  # fmt: skip
