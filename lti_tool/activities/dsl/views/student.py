"""The student's pages of a placed DSL project canvas (issue 9): home (start or join a
team), the canvas step by step with autosave, dilemma cards, submission and the PDF.

Thin views: every view starts with ``dsl_access`` (authorisation from the launch), parses,
calls one service or selector, renders. Forms work without JavaScript (post/redirect/get
keeping the launch id); the autosave posts the same form with ``Accept: application/json``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.dsl import canvas as rules
from lti_tool.activities.dsl import peers, selectors, services
from lti_tool.activities.dsl.charts import phasing_timeline, stakeholder_chart
from lti_tool.activities.dsl.content import PHASING, STAKEHOLDERS, DslBrief, Field
from lti_tool.activities.dsl.models import Canvas
from lti_tool.activities.dsl.pdf import canvas_pdf
from lti_tool.activities.dsl.views.common import (
    int_posted,
    launch_of,
    viewer_canvas,
    wants_json,
)
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.redirects import launch_redirect

# --- student: home -------------------------------------------------------------------------


@lti_launch_required
@require_GET
def home(request: HttpRequest, link: int) -> HttpResponse:
    launch = launch_of(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    if viewer.is_trainer:
        return launch_redirect(launch, "dsl:trainer", link)
    if viewer.canvas is not None:
        return launch_redirect(launch, "dsl:step", link, viewer.canvas.pk, 1)
    setup = selectors.setup_of(viewer.placement)
    return render(request, "dsl/home.html", {
        "launch": launch, "link": link, "me": viewer.lti_user, "setup": setup,
        "brief": selectors.brief_of(viewer.placement, language=launch.language),
        "open_canvases": selectors.open_canvases(viewer.placement, team_size=setup.team_size),
    })  # fmt: skip


@lti_launch_required
@launch_csrf_protect
@require_POST
def start(request: HttpRequest, link: int) -> HttpResponse:
    launch = launch_of(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    canvas = services.canvas_start(placement=viewer.placement, lti_user=viewer.lti_user)
    return launch_redirect(launch, "dsl:step", link, canvas.pk, 1)


@lti_launch_required
@launch_csrf_protect
@require_POST
def join(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    launch = launch_of(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    canvas = Canvas.objects.filter(placement=viewer.placement, pk=canvas_pk).first()
    if canvas is None:
        raise ValidationFailed(_("Cette équipe n'existe pas."))
    services.canvas_join(canvas=canvas, lti_user=viewer.lti_user)
    return launch_redirect(launch, "dsl:step", link, canvas.pk, 1)


# --- student: the canvas -------------------------------------------------------------------


def _field_rows(field: Field, value: Any) -> list[dict[str, Any]]:
    """Filled rows then blank ones, with their index, for the table's inputs."""
    rows = [dict(row, index=i) for i, row in enumerate(value)]
    rows += [{"index": len(value) + i} for i in range(rules.BLANK_ROWS)]
    return rows


def _step_context(
    request: HttpRequest, viewer: selectors.Viewer, canvas: Canvas, number: int,
    fields: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    launch = launch_of(request)
    brief = selectors.brief_of(viewer.placement, language=launch.language)
    step = brief.step(number)
    if step is None:
        raise ValidationFailed(_("Cette étape n'existe pas."))
    choices = selectors.choices_of(canvas)
    authors = selectors.last_authors(canvas)
    items = []
    for field in step.fields:
        value = fields[field.id]
        item: dict[str, Any] = {"field": field, "value": value, "author": authors.get(field.id)}
        if field.type in (STAKEHOLDERS, PHASING):
            item["rows"] = _field_rows(field, value)
            item["row_count"] = len(item["rows"])
        if field.type == STAKEHOLDERS:
            item["chart"] = stakeholder_chart(value)
        elif field.type == PHASING:
            item["chart"] = phasing_timeline(value)
            item["years"] = rules.phasing_years(value)
        elif field.is_text or field.type == "ladder":
            text = value["justification"] if isinstance(value, dict) else value
            item["count"] = rules.word_count(text)
        items.append(item)
    cards = [{"card": card, "choice": choices.get(card.id),
              "option": card.option(choices[card.id].option_id) if card.id in choices else None}
             for card in step.dilemmas]  # fmt: skip
    return {
        "launch": launch, "link": viewer.placement.resource_link_id, "me": viewer.lti_user,
        "viewer": viewer, "canvas": canvas, "brief": brief, "step": step, "items": items,
        "cards": cards, "rungs": rules.RUNGS, "engagements": rules.ENGAGEMENTS,
        "levels": range(rules.LEVEL_MIN, rules.LEVEL_MAX + 1),
        "years": range(rules.YEAR_MIN, rules.YEAR_MAX + 1),
        "members": list(canvas.members.all()),
        "gaps": rules.submission_gaps(brief, fields) if number == len(brief.steps) else [],
        "revision": canvas.revision, "locked": canvas.submitted or viewer.is_trainer,
        "reviews": (
            peers.reviews_to_do(placement=viewer.placement, reviewer=viewer.lti_user)
            if not viewer.is_trainer
            else []
        ),
        "feedback": (
            selectors.student_feedback(canvas, brief, viewer.lti_user) if canvas.submitted else []
        ),
    }  # fmt: skip


@lti_launch_required
@require_GET
def step(request: HttpRequest, link: int, canvas_pk: int, number: int) -> HttpResponse:
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    brief = selectors.brief_of(viewer.placement)
    fields = rules.fields_normalised(brief, canvas.fields)
    context = _step_context(request, viewer, canvas, number, fields)
    return render(request, "dsl/step.html", context)


def _save_json(saved: services.Saved, brief: DslBrief, number: int) -> JsonResponse:
    step_fields = brief.steps[number - 1].fields
    values: dict[str, str] = {}
    for field in step_fields:
        values.update(rules.form_values(field, saved.fields[field.id]))
    body: dict[str, Any] = {
        "revision": saved.revision, "changed": list(saved.changed), "theirs": list(saved.theirs),
        "values": values,
        "counts": {f.id: rules.word_count(saved.fields[f.id]) for f in step_fields if f.is_text},
    }  # fmt: skip
    if not saved.conflicts:
        return JsonResponse(body)
    body["message"] = _(
        "Pendant que vous écriviez, un·e autre membre a modifié le même champ. Rien n'a été "
        "écrasé : comparez les deux versions, puis gardez la vôtre ou reprenez l'autre."
    )
    body["conflicts"] = [
        {"field": key, "label": brief.field(key).label,  # type: ignore[union-attr]
         "authors": saved.their_authors.get(key, []),
         "theirs": rules.form_values(brief.field(key), saved.their_values[key])}  # type: ignore[arg-type]
        for key in saved.conflicts
    ]  # fmt: skip
    return JsonResponse(body, status=409)


@lti_launch_required
@launch_csrf_protect
@require_POST
def save(request: HttpRequest, link: int, canvas_pk: int, number: int) -> HttpResponse:
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    if viewer.is_trainer:
        raise ValidationFailed(_("Le ou la formateur·rice lit le projet sans le modifier."))
    brief = selectors.brief_of(viewer.placement)
    step_ = brief.step(number)
    if step_ is None:
        raise ValidationFailed(_("Cette étape n'existe pas."))
    values = rules.posted_values(step_.fields, request.POST)
    saved = services.canvas_save(
        canvas=canvas, author=viewer.lti_user,
        base_revision=int_posted(request.POST.get("revision"), "revision"), values=values,
    )  # fmt: skip
    if wants_json(request):
        return _save_json(saved, brief, number)
    if not saved.conflicts:
        target = request.POST.get("next", "")
        goto = int(target) if target.isdigit() and brief.step(int(target)) else number
        return launch_redirect(launch_of(request), "dsl:step", link, canvas.pk, goto)
    # Without JavaScript: the page again, the author's text kept in the conflicting fields,
    # the other's version shown beside it; sending the form again keeps the author's.
    canvas.refresh_from_db()
    shown = dict(saved.fields)
    for key in saved.conflicts:
        field = brief.field(key)
        shown[key] = rules.value_clean(field, values[key]) if field else shown[key]
    context = _step_context(request, viewer, canvas, number, shown)
    context["conflicts"] = [
        {"label": brief.field(k).label, "authors": saved.their_authors.get(k, []),  # type: ignore[union-attr]
         "theirs": saved.their_values[k]} for k in saved.conflicts
    ]  # fmt: skip
    return render(request, "dsl/step.html", context, status=409)


@lti_launch_required
@launch_csrf_protect
@require_POST
def choose(request: HttpRequest, link: int, canvas_pk: int, card_id: str) -> HttpResponse:
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    if viewer.is_trainer:
        raise ValidationFailed(_("Le ou la formateur·rice lit le projet sans le modifier."))
    chosen = services.dilemma_choose(
        canvas=canvas, author=viewer.lti_user, card_id=card_id,
        option_id=request.POST.get("option", "").strip(),
    )  # fmt: skip
    card = selectors.brief_of(viewer.placement).dilemma(card_id)
    number = next(s.number for s in selectors.brief_of(viewer.placement).steps
                  if card is not None and s.id == card.step)  # fmt: skip
    return launch_redirect(launch_of(request), "dsl:step", link, canvas.pk, number,
                     anchor=f"carte-{chosen.choice.card_id}")  # fmt: skip


@lti_launch_required
@launch_csrf_protect
@require_POST
def submit(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    if viewer.is_trainer:
        raise ValidationFailed(_("Seul·es les membres du projet peuvent le rendre."))
    services.canvas_submit(
        canvas=canvas, author=viewer.lti_user,
        revision=int_posted(request.POST.get("revision"), "revision"),
    )  # fmt: skip
    return launch_redirect(launch_of(request), "dsl:step", link, canvas.pk, 8)


@lti_launch_required
@require_GET
def pdf(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    viewer, canvas = viewer_canvas(request, link, canvas_pk)
    brief = selectors.brief_of(viewer.placement, language=launch_of(request).language)
    fields = (
        selectors.graded_fields(canvas, brief)
        if canvas.submitted
        else rules.fields_normalised(brief, canvas.fields)
    )
    data = canvas_pdf(brief=brief, canvas=canvas, fields=fields)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="projet-dsl-{canvas.number}.pdf"'
    return response


urlpatterns = [
    path("projet-dsl/<int:link>/", home, name="home"),
    path("projet-dsl/<int:link>/commencer/", start, name="start"),
    path("projet-dsl/<int:link>/rejoindre/<int:canvas_pk>/", join, name="join"),
    path("projet-dsl/<int:link>/canevas/<int:canvas_pk>/etape/<int:number>/", step, name="step"),
    path("projet-dsl/<int:link>/canevas/<int:canvas_pk>/etape/<int:number>/enregistrer/", save,
         name="save"),
    path("projet-dsl/<int:link>/canevas/<int:canvas_pk>/dilemme/<slug:card_id>/", choose,
         name="choose"),
    path("projet-dsl/<int:link>/canevas/<int:canvas_pk>/rendre/", submit, name="submit"),
    path("projet-dsl/<int:link>/canevas/<int:canvas_pk>/documents.pdf", pdf, name="pdf"),
]  # fmt: skip
