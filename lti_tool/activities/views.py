"""Where launches land and where scenarios are played: the trainer's course page and
scenario view, the student's start page, player and debrief.

Thin views (style rule 1): check the launch, parse, call one service or selector, render.
Authorisation is server-side from the launch (design.md §6): a student reaches only the
link they launched and only their own attempts; a trainer only the course they launched
from. Inside Moodle's iframe there is no cookie: forms carry the launch id and its CSRF
token, redirects keep the launch id in the URL (shared/moodle.md, "Forms inside the
iframe"). Every page works without JavaScript; htmx only swaps the main region in place.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities import player, selectors, trainer_selectors
from lti_tool.activities.models import Attempt, Placement
from lti_tool.activities.placements import CUSTOM_PARAMETER, placement_bind_from_custom
from lti_tool.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from lti_tool.grading.rules import ActivityKind
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required, trainer_course_get
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.redirects import launch_redirect
from lti_tool.lti.selectors import (
    context_memberships,
    context_resource_links,
    lti_user_get,
    resource_link_get,
)

logger = logging.getLogger(__name__)


# --- trainer ---------------------------------------------------------------------------


def _launched_link_binding(launch: LtiLaunch) -> tuple[Placement | None, str]:
    """Bind the link the trainer launched from its custom parameter; a bad reference is
    shown on the course page (the trainer can fix it in Moodle), not as an error page."""
    if launch.resource_link_id is None:
        return None, ""
    link = resource_link_get(resource_link_pk=launch.resource_link_id)
    try:
        actor = lti_user_get(lti_user_pk=launch.lti_user_id)
        return placement_bind_from_custom(resource_link=link, actor=actor), ""
    except ApplicationError as error:
        return None, error.message


@lti_launch_required
def course_home(request: HttpRequest, context_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    launched_placement, binding_error = _launched_link_binding(launch)
    return render(
        request,
        "activities/course_home.html",
        {
            "launch": launch,
            "context": context,
            "me": lti_user_get(lti_user_pk=launch.lti_user_id),
            "memberships": context_memberships(context=context),
            "links": context_resource_links(context=context),
            "placements": trainer_selectors.course_placements(context=context),
            "launched_link": (
                resource_link_get(resource_link_pk=launch.resource_link_id)
                if launch.resource_link_id
                else None
            ),
            "launched_placement": launched_placement,
            "binding_error": binding_error,
            "custom_parameter": CUSTOM_PARAMETER,
            "activities": selectors.activities_published(),
        },
    )


@lti_launch_required
@require_GET
def scenario_overview(request: HttpRequest, context_pk: int, resource_link_pk: int) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    placement = trainer_selectors.trainer_placement_get(
        context=context, resource_link_pk=resource_link_pk
    )
    overview = trainer_selectors.placement_overview(placement=placement, language=launch.language)
    return render(
        request,
        "activities/trainer/overview.html",
        {"launch": launch, "context": context, "overview": overview, "placement": placement},
    )


@lti_launch_required
@require_GET
def scenario_student(
    request: HttpRequest, context_pk: int, resource_link_pk: int, student_pk: int
) -> HttpResponse:
    launch, context = trainer_course_get(request, context_pk)
    placement = trainer_selectors.trainer_placement_get(
        context=context, resource_link_pk=resource_link_pk
    )
    student, paths = trainer_selectors.student_paths(
        placement=placement, student_pk=student_pk, language=launch.language
    )
    return render(
        request,
        "activities/trainer/student.html",
        {
            "launch": launch,
            "context": context,
            "placement": placement,
            "student": student,
            "paths": paths,
        },
    )


# --- student ---------------------------------------------------------------------------


def _own_link(request: HttpRequest, resource_link_pk: int) -> LtiLaunch:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    if launch.resource_link_id != resource_link_pk:
        raise PermissionDenied(_("Ce lancement ne donne pas accès à cette activité."))
    return launch


def _player_placement(request: HttpRequest, resource_link_pk: int) -> tuple[LtiLaunch, Placement]:
    launch = _own_link(request, resource_link_pk)
    if launch.is_trainer and not launch.is_student:
        raise PermissionDenied(
            _(
                "Les tentatives sont réservées aux étudiant·es. Le suivi du groupe est dans "
                "votre espace formateur (lancez l'activité depuis Moodle)."
            )
        )
    link = resource_link_get(resource_link_pk=resource_link_pk)
    placement = selectors.placement_of(resource_link=link)
    if placement is None:
        raise ValidationFailed(
            _("Cette activité n'est pas encore configurée : revenez plus tard."),
            code="not_configured",
        )
    return launch, placement


def _attempt(request: HttpRequest, resource_link_pk: int, number: int) -> tuple[LtiLaunch, Attempt]:
    launch, placement = _player_placement(request, resource_link_pk)
    lti_user = lti_user_get(lti_user_pk=launch.lti_user_id)
    return launch, selectors.attempt_get(placement=placement, lti_user=lti_user, number=number)


# Kinds with pages of their own: the student's landing redirects there (issues 8 and 9).
_KIND_HOMES = {
    ActivityKind.ROLEPLAY.value: "roleplays:home",
    ActivityKind.DPA.value: "dpa:case",
    ActivityKind.DSL.value: "dsl:home",
}


@lti_launch_required
def resource_link_page(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    """The student's landing page: the scenario's start page once the link is bound."""
    launch = _own_link(request, resource_link_pk)
    link = resource_link_get(resource_link_pk=resource_link_pk)
    me = lti_user_get(lti_user_pk=launch.lti_user_id)
    try:
        placement = placement_bind_from_custom(resource_link=link, actor=None)
    except ApplicationError as error:
        # A custom parameter naming nothing published is the trainer's to fix (their course
        # page says why); the student only needs to know the activity is not ready.
        logger.info("link %s not bound for a student: %s", link.pk, error.message)
        placement = None
    if placement is None:
        return render(
            request, "activities/resource_link.html", {"launch": launch, "link": link, "me": me}
        )
    home = _KIND_HOMES.get(placement.activity_version.activity.kind)
    if home is not None:
        return launch_redirect(launch, home, resource_link_pk)
    start = selectors.start_page(placement=placement, lti_user=me, language=launch.language)
    return render(
        request,
        "activities/scenario/start.html",
        {"launch": launch, "link": link, "me": me, "start": start},
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def attempt_start(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, placement = _player_placement(request, resource_link_pk)
    attempt = player.attempt_start(
        placement=placement, lti_user=lti_user_get(lti_user_pk=launch.lti_user_id)
    )
    return launch_redirect(launch, "activities:attempt_play", resource_link_pk, attempt.number)


@lti_launch_required
@require_GET
def attempt_play(request: HttpRequest, resource_link_pk: int, number: int) -> HttpResponse:
    launch, attempt = _attempt(request, resource_link_pk, number)
    if attempt.status == Attempt.Status.COMPLETED:
        return launch_redirect(launch, "activities:attempt_debrief", resource_link_pk, number)
    scenario = selectors.scenario_of(attempt.activity_version, language=launch.language)
    return render(
        request,
        "activities/scenario/play.html",
        {
            "launch": launch,
            "attempt": attempt,
            "scenario": scenario,
            "node": scenario.node(attempt.current_node),
            "link_pk": resource_link_pk,
        },
    )


def _step_of(request: HttpRequest) -> int:
    raw = request.POST.get("step", "")
    if not raw.isdigit():
        raise ValidationFailed(
            _("Le formulaire ne dit pas à quelle étape il répond : rechargez la page.")
        )
    return int(raw)


@lti_launch_required
@launch_csrf_protect
@require_POST
def attempt_move(request: HttpRequest, resource_link_pk: int, number: int) -> HttpResponse:
    launch, attempt = _attempt(request, resource_link_pk, number)
    step = _step_of(request)
    choice = request.POST.get("choice", "").strip()
    if choice:
        move = player.attempt_choose(attempt=attempt, step=step, choice_id=choice)
    else:
        move = player.attempt_continue(attempt=attempt, step=step)
    if move.decision is not None:
        query = {"deja": "1"} if move.repeated else {}
        return launch_redirect(
            launch,
            "activities:decision_feedback",
            resource_link_pk,
            number,
            move.decision.step,
            **query,
        )
    return launch_redirect(launch, "activities:attempt_play", resource_link_pk, number)


@lti_launch_required
@require_GET
def decision_feedback(
    request: HttpRequest, resource_link_pk: int, number: int, step: int
) -> HttpResponse:
    launch, attempt = _attempt(request, resource_link_pk, number)
    decision = selectors.decision_at(attempt=attempt, step=step)
    scenario = selectors.scenario_of(attempt.activity_version, language=launch.language)
    (path_step,) = selectors.path_steps_for(scenario, [decision])
    return render(
        request,
        "activities/scenario/feedback.html",
        {
            "launch": launch,
            "attempt": attempt,
            "scenario": scenario,
            "step": path_step,
            "repeated": request.GET.get("deja") == "1",
            "link_pk": resource_link_pk,
        },
    )


@lti_launch_required
@require_GET
def attempt_debrief(request: HttpRequest, resource_link_pk: int, number: int) -> HttpResponse:
    launch, attempt = _attempt(request, resource_link_pk, number)
    if attempt.status != Attempt.Status.COMPLETED:
        return launch_redirect(launch, "activities:attempt_play", resource_link_pk, number)
    debrief = selectors.attempt_debrief(attempt=attempt, language=launch.language)
    return render(
        request,
        "activities/scenario/debrief.html",
        {"launch": launch, "debrief": debrief, "attempt": attempt, "link_pk": resource_link_pk},
    )
