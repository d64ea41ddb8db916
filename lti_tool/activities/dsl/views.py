"""Pages of a placed DSL project canvas (issue 9): the student's home (start or join a
team), the canvas step by step with autosave, dilemma cards, submission and the PDF; the
trainer's submissions list, rubric grading and validation.

Thin views: every view starts with ``dsl_access`` (authorisation from the launch), parses,
calls one service or selector, renders. Forms work without JavaScript (post/redirect/get
keeping the launch id); the autosave posts the same form with ``Accept: application/json``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.dsl import canvas as rules
from lti_tool.activities.dsl import selectors, services
from lti_tool.activities.dsl.charts import phasing_timeline, stakeholder_chart
from lti_tool.activities.dsl.content import PHASING, STAKEHOLDERS, DslBrief, Field
from lti_tool.activities.dsl.models import Canvas
from lti_tool.activities.dsl.pdf import canvas_pdf
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.grading.frameworks.selectors import framework_get, framework_tree
from lti_tool.grading.rubric import rubric_grade
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.middleware import LAUNCH_PARAM


def _launch(request: HttpRequest) -> LtiLaunch:
    return request.lti_launch  # type: ignore[attr-defined,no-any-return]


def _redirect(launch: LtiLaunch, name: str, *args: Any, anchor: str = "") -> HttpResponseRedirect:
    params = urlencode({LAUNCH_PARAM: launch.launch_id})
    response = HttpResponseRedirect(f"{reverse(name, args=args)}?{params}{anchor}")
    response.status_code = 303
    return response


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _int(raw: str | None, what: str) -> int:
    if raw is None or not raw.strip().isdigit():
        raise ValidationFailed(
            _("Formulaire illisible (%(what)s) : rechargez la page.") % {"what": what}
        )
    return int(raw)


def _viewer_canvas(
    request: HttpRequest, link: int, canvas_pk: int
) -> tuple[selectors.Viewer, Canvas]:
    viewer = selectors.dsl_access(_launch(request), resource_link_pk=link)
    return viewer, selectors.canvas_get(viewer, canvas_pk=canvas_pk)


# --- student: home -------------------------------------------------------------------------


@lti_launch_required
@require_GET
def home(request: HttpRequest, link: int) -> HttpResponse:
    launch = _launch(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    if viewer.is_trainer:
        return _redirect(launch, "dsl:trainer", link)
    if viewer.canvas is not None:
        return _redirect(launch, "dsl:step", link, viewer.canvas.pk, 1)
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
    launch = _launch(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    canvas = services.canvas_start(placement=viewer.placement, lti_user=viewer.lti_user)
    return _redirect(launch, "dsl:step", link, canvas.pk, 1)


@lti_launch_required
@launch_csrf_protect
@require_POST
def join(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    launch = _launch(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    canvas = Canvas.objects.filter(placement=viewer.placement, pk=canvas_pk).first()
    if canvas is None:
        raise ValidationFailed(_("Cette équipe n'existe pas."))
    services.canvas_join(canvas=canvas, lti_user=viewer.lti_user)
    return _redirect(launch, "dsl:step", link, canvas.pk, 1)


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
    launch = _launch(request)
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
        "feedback": (
            selectors.student_feedback(canvas, brief, viewer.lti_user) if canvas.submitted else []
        ),
    }  # fmt: skip


@lti_launch_required
@require_GET
def step(request: HttpRequest, link: int, canvas_pk: int, number: int) -> HttpResponse:
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
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
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    if viewer.is_trainer:
        raise ValidationFailed(_("Le ou la formateur·rice lit le projet sans le modifier."))
    brief = selectors.brief_of(viewer.placement)
    step_ = brief.step(number)
    if step_ is None:
        raise ValidationFailed(_("Cette étape n'existe pas."))
    values = rules.posted_values(step_.fields, request.POST)
    saved = services.canvas_save(
        canvas=canvas, author=viewer.lti_user,
        base_revision=_int(request.POST.get("revision"), "revision"), values=values,
    )  # fmt: skip
    if _wants_json(request):
        return _save_json(saved, brief, number)
    if not saved.conflicts:
        target = request.POST.get("next", "")
        goto = int(target) if target.isdigit() and brief.step(int(target)) else number
        return _redirect(_launch(request), "dsl:step", link, canvas.pk, goto)
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
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    if viewer.is_trainer:
        raise ValidationFailed(_("Le ou la formateur·rice lit le projet sans le modifier."))
    chosen = services.dilemma_choose(
        canvas=canvas, author=viewer.lti_user, card_id=card_id,
        option_id=request.POST.get("option", "").strip(),
    )  # fmt: skip
    card = selectors.brief_of(viewer.placement).dilemma(card_id)
    number = next(s.number for s in selectors.brief_of(viewer.placement).steps
                  if card is not None and s.id == card.step)  # fmt: skip
    return _redirect(_launch(request), "dsl:step", link, canvas.pk, number,
                     anchor=f"#carte-{chosen.choice.card_id}")  # fmt: skip


@lti_launch_required
@launch_csrf_protect
@require_POST
def submit(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    if viewer.is_trainer:
        raise ValidationFailed(_("Seul·es les membres du projet peuvent le rendre."))
    services.canvas_submit(
        canvas=canvas, author=viewer.lti_user,
        revision=_int(request.POST.get("revision"), "revision"),
    )  # fmt: skip
    return _redirect(_launch(request), "dsl:step", link, canvas.pk, 8)


@lti_launch_required
@require_GET
def pdf(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    brief = selectors.brief_of(viewer.placement, language=_launch(request).language)
    fields = (
        selectors.graded_fields(canvas, brief)
        if canvas.submitted
        else rules.fields_normalised(brief, canvas.fields)
    )
    data = canvas_pdf(brief=brief, canvas=canvas, fields=fields)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="projet-dsl-{canvas.number}.pdf"'
    return response


# --- trainer -------------------------------------------------------------------------------


@lti_launch_required
@require_GET
def trainer(request: HttpRequest, link: int) -> HttpResponse:
    launch = _launch(request)
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
    launch = _launch(request)
    viewer = selectors.dsl_access(launch, resource_link_pk=link)
    selectors.trainer_required(viewer)
    services.dsl_setup_update(
        placement=viewer.placement, team_size=_int(request.POST.get("team_size"), "taille")
    )
    return _redirect(launch, "dsl:trainer", link)


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
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    selectors.trainer_required(viewer)
    brief = selectors.brief_of(viewer.placement, language=_launch(request).language)
    return render(request, "dsl/grade.html", _grade_context(request, viewer, canvas, brief))


@lti_launch_required
@launch_csrf_protect
@require_POST
def grade_save(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    launch = _launch(request)
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    selectors.trainer_required(viewer)
    brief = selectors.brief_of(viewer.placement, language=launch.language)
    reviewed = services.canvas_review_save(
        canvas=canvas, trainer=viewer.lti_user, entries=_entries(request, brief),
        domain_titles=_domain_titles(brief),
    )  # fmt: skip
    if _wants_json(request):
        domains = reviewed.grade.domains if reviewed.grade is not None else {}
        return JsonResponse({
            "message": _("Enregistré."),
            "domains": {code: str(outcome.score_20) for code, outcome in domains.items()},
        })  # fmt: skip
    return _redirect(launch, "dsl:grade", link, canvas.pk)


@lti_launch_required
@launch_csrf_protect
@require_POST
def validate(request: HttpRequest, link: int, canvas_pk: int) -> HttpResponse:
    launch = _launch(request)
    viewer, canvas = _viewer_canvas(request, link, canvas_pk)
    selectors.trainer_required(viewer)
    services.canvas_validate(
        canvas=canvas, trainer=viewer.lti_user,
        feedback=request.POST.get("feedback", "").strip()[:2000],
    )  # fmt: skip
    return _redirect(launch, "dsl:grade", link, canvas.pk)


def _rubric_items(
    canvas: Canvas, brief: DslBrief, auto: dict[str, Decimal]
) -> list[dict[str, Any]]:
    """The criteria as the shared keyboard rubric (grading/_rubric_keyboard.html) reads them."""
    items = []
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
        items.append({
            "code": item.code, "label": item.criterion.label, "domain": item.domain,
            "weight": item.criterion.weight, "descriptors": item.descriptors,
            "level": state.get("level"), "decided": bool(state.get("decided")),
            "comment": state.get("comment", ""), "auto": item.auto, "auto_note": note,
        })  # fmt: skip
    return items


def _domain_states(submission: selectors.Submission) -> dict[str, str]:
    """Domain → "final" when every member's result is validated, else "to_review"."""
    states: dict[str, str] = {}
    for result in submission.results:
        final = result.status == "final" and states.get(result.domain_code, "final") == "final"
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
        "launch": _launch(request), "link": viewer.placement.resource_link_id,
        "me": viewer.lti_user, "canvas": canvas, "brief": brief, "steps": steps,
        "criteria": _rubric_items(canvas, brief, auto), "submission": submission,
        "rungs": rules.RUNGS, "domains": preview.domains,
        "domain_states": _domain_states(submission),
        "previous_pk": submitted[position - 1] if position > 0 else None,
        "next_pk": submitted[position + 1] if 0 <= position < len(submitted) - 1 else None,
    }  # fmt: skip


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
    path("projet-dsl/<int:link>/suivi/", trainer, name="trainer"),
    path("projet-dsl/<int:link>/reglages/", setup, name="setup"),
    path("projet-dsl/<int:link>/correction/<int:canvas_pk>/", grade, name="grade"),
    path("projet-dsl/<int:link>/correction/<int:canvas_pk>/enregistrer/", grade_save,
         name="grade_save"),
    path("projet-dsl/<int:link>/correction/<int:canvas_pk>/valider/", validate,
         name="validate"),
]  # fmt: skip
