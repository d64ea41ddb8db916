"""Grading screens reached from a launch: moderation (trainers), passback board (trainers)
and a student's own results. Thin views: check the launch, parse, call one service or
selector, render (style rule 1). Authorisation is server-side from the launch (design.md §6):
a trainer acts only in the course they launched from; a student sees only their own work.

Forms are posted inside Moodle's iframe, without cookies: they carry the launch id and a
launch-bound CSRF token (lti/csrf.py), and redirects keep the launch id in the URL.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.grading import selectors, services
from lti_tool.grading.forms import ModerationForm
from lti_tool.grading.models import Passback
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required, trainer_course_get
from lti_tool.lti.redirects import launch_redirect
from lti_tool.lti.selectors import lti_user_get, resource_link_get

# --- moderation ------------------------------------------------------------------------


@lti_launch_required
@require_http_methods(["GET", "HEAD"])
def moderation_queue(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    queue = selectors.moderation_queue(context=context)
    done = None
    if (done_pk := request.GET.get("modere", "")).isdigit():
        done = selectors.result_find(context=context, result_pk=int(done_pk))
    return render(
        request,
        "grading/moderation_queue.html",
        {"launch": launch, "context": context, "queue": queue, "done": done},
    )


@lti_launch_required
@launch_csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def result_moderate(request: HttpRequest, context_pk: int, result_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    result = selectors.result_get(context=context, result_pk=result_pk)
    detail = selectors.result_detail(result=result)
    form = ModerationForm(
        request.POST if request.method == "POST" else None,
        criteria=detail.criteria,
        initial={"feedback": result.feedback},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.result_moderate(
                    result=result,
                    actor=lti_user_get(lti_user_pk=launch.lti_user_id),
                    criterion_levels=data["levels"] or None,
                    score_override=data["score_20"],
                    feedback=data["feedback"].strip(),
                    comment=data["comment"].strip(),
                    finalise=data["finalise"],
                )
            except ValidationFailed as error:
                form.add_error(None, error.message)
            else:
                return launch_redirect(
                    launch, "grading:moderation_queue", context.pk, modere=result.pk
                )
        status = 400
    return render(
        request,
        "grading/result_moderate.html",
        {"launch": launch, "context": context, "detail": detail, "result": result, "form": form},
        status=status,
    )


# --- passback board --------------------------------------------------------------------


@lti_launch_required
@require_http_methods(["GET", "HEAD"])
def passback_board(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    return render(
        request,
        "grading/passback_board.html",
        {
            "launch": launch,
            "context": context,
            "board": selectors.passback_board(context=context),
            "resent": int(resent) if (resent := request.GET.get("renvoye", "")).isdigit() else None,
        },
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def passback_resend(request: HttpRequest, context_pk: int, passback_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    passback = selectors.passback_get(context=context, passback_pk=passback_pk)
    if passback.status != Passback.Status.FAILED:
        # A second click, or a stale page: that send was already replaced or delivered.
        return launch_redirect(launch, "grading:passback_board", context.pk, renvoye=0)
    services.passback_resend(passback=passback, actor=lti_user_get(lti_user_pk=launch.lti_user_id))
    return launch_redirect(launch, "grading:passback_board", context.pk, renvoye=1)


@lti_launch_required
@launch_csrf_protect
@require_POST
def passbacks_resend_failed(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    resent = services.passbacks_resend_failed(
        context=context, actor=lti_user_get(lti_user_pk=launch.lti_user_id)
    )
    return launch_redirect(launch, "grading:passback_board", context.pk, renvoye=len(resent))


# --- a student's own results -----------------------------------------------------------


@lti_launch_required
@require_http_methods(["GET", "HEAD"])
def student_results(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch = request.lti_launch  # type: ignore[attr-defined]
    if launch.resource_link_id != resource_link_pk:
        raise PermissionDenied(
            _("Ce lancement ne donne pas accès aux résultats de cette activité.")
        )
    link = resource_link_get(resource_link_pk=resource_link_pk)
    activities = selectors.student_results(
        lti_user=lti_user_get(lti_user_pk=launch.lti_user_id),
        context=link.context,
        current_resource_link_pk=link.pk,
    )
    return render(
        request,
        "grading/student_results.html",
        {"launch": launch, "link": link, "activities": activities},
    )
