"""Role-play views: grading (issue 8). Thin: access, one service or selector, render.

The trainer's screen is one plain form (every slot saved with one button, without
JavaScript); with htmx each slot saves on change and the server answers with the slot's
status line and the per-student summary (save as you go). Marking a co-animator absent and « Valider »
are forms of their own. Students read their own results only.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.roleplays import grading
from lti_tool.activities.roleplays.access import (
    Viewer,
    brief_of,
    roleplay_access,
    team_get,
    trainer_required,
)
from lti_tool.activities.roleplays.models import Team
from lti_tool.core.exceptions import ApplicationError, PermissionDenied, ValidationFailed
from lti_tool.grading.feedback import LEVEL_LABELS
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.redirects import launch_redirect

LEVELS = [(level, str(label)) for level, label in LEVEL_LABELS.items()]
SHARED = "equipe"  # the "who" of a shared criterion's fields: the whole team
NOT_ASSESSED = "ne"


def _trainer(request: HttpRequest, resource_link_pk: int) -> Viewer:
    viewer = roleplay_access(request.lti_launch, resource_link_pk=resource_link_pk)  # type: ignore[attr-defined]
    trainer_required(viewer)
    return viewer


def _changes(data: QueryDict) -> dict[grading.Slot, grading.LevelChoice]:
    """``level:<code>:<who>`` and ``comment:<code>:<who>`` fields → the slots they set;
    ``who`` is a co-animator's LtiUser pk or « equipe » for a shared criterion."""
    changes: dict[grading.Slot, grading.LevelChoice] = {}
    for key, value in data.items():
        parts = key.split(":")
        if len(parts) != 3 or parts[0] != "level":
            continue
        _kind, code, who = parts
        if who != SHARED and not who.isdigit():
            raise ValidationFailed(_("Formulaire d'évaluation illisible : rechargez la page."))
        if value not in {NOT_ASSESSED, "0", "1", "2", "3", "4"}:
            raise ValidationFailed(_("Un niveau se choisit de 0 à 4, ou N/E."))
        slot: grading.Slot = (code, None if who == SHARED else int(who))
        comment = data.get(f"comment:{code}:{who}", "").strip()
        level = None if value == NOT_ASSESSED else int(value)
        changes[slot] = grading.LevelChoice(level=level, comment=comment)
    if not changes:
        raise ValidationFailed(_("Aucun niveau n'a été envoyé : rien n'a été enregistré."))
    return changes


def _page(request: HttpRequest, viewer: Viewer, team_pk: int, **extra: object) -> HttpResponse:
    team = team_get(viewer, team_pk=team_pk)
    context: Mapping[str, object] = {
        "viewer": viewer,
        "placement": viewer.placement,
        "link_pk": viewer.placement.resource_link_id,
        "course": viewer.placement.resource_link.context,
        "grading": grading.team_grading(team=team, brief=brief_of(viewer.placement)),
        "level_labels": LEVELS,
        **extra,
    }
    return render(request, "roleplays/grading.html", context)


@lti_launch_required
@require_GET
def grading_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    viewer = _trainer(request, resource_link_pk)
    notice = {"valide": "validated", "rien": "nothing", "enregistre": "saved"}.get(
        request.GET.get("fait", ""), ""
    )
    return _page(request, viewer, team_pk, notice=notice)


@lti_launch_required
@launch_csrf_protect
@require_POST
def grading_save(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    brief = brief_of(viewer.placement)
    try:
        changes = _changes(request.POST)
        grading.team_grading_save(team=team, brief=brief, actor=viewer.lti_user, changes=changes)
    except ApplicationError as error:
        if not request.htmx:  # type: ignore[attr-defined]
            raise
        return _saved(request, viewer, team, error=error.message, status=422)
    if request.htmx:  # type: ignore[attr-defined]
        return _saved(request, viewer, team)
    return launch_redirect(
        request.lti_launch,  # type: ignore[attr-defined]
        "roleplays:grading",
        resource_link_pk,
        team_pk,
        fait="enregistre",
        anchor="resume",
    )


def _saved(
    request: HttpRequest, viewer: Viewer, team: Team, *, error: str = "", status: int = 200
) -> HttpResponse:
    """What htmx swaps after a slot's save: the slot's status line (its fields stay as the
    trainer left them: nothing typed meanwhile is lost) and, out of band, the per-student
    summary (a shared criterion moves every member's domain scores)."""
    return render(
        request,
        "roleplays/_grading_saved.html",
        {
            "grading": grading.team_grading(team=team, brief=brief_of(viewer.placement)),
            "link_pk": viewer.placement.resource_link_id,
            "course": viewer.placement.resource_link.context,
            "error": error,
        },
        status=status,
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def grading_absence(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    member = request.POST.get("member", "")
    if not member.isdigit():
        raise ValidationFailed(_("Choisissez la personne à marquer absente ou présente."))
    grading.member_absence_set(
        team=team,
        brief=brief_of(viewer.placement),
        actor=viewer.lti_user,
        lti_user_pk=int(member),
        absent=request.POST.get("absent") == "1",
    )
    return launch_redirect(
        request.lti_launch,  # type: ignore[attr-defined]
        "roleplays:grading",
        resource_link_pk,
        team_pk,
        anchor=f"membre-{member}",
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def grading_validate(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    done = grading.team_grading_validate(
        team=team, brief=brief_of(viewer.placement), actor=viewer.lti_user
    )
    return launch_redirect(
        request.lti_launch,  # type: ignore[attr-defined]
        "roleplays:grading",
        resource_link_pk,
        team_pk,
        fait="valide" if done else "rien",
        anchor="resume",
    )


@lti_launch_required
@require_GET
def results_page(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    viewer = roleplay_access(request.lti_launch, resource_link_pk=resource_link_pk)  # type: ignore[attr-defined]
    if viewer.is_trainer:
        raise PermissionDenied(
            _(
                "Cette page montre à chaque étudiant·e ses propres résultats. Comme "
                "formateur·rice, ouvrez l'évaluation de chaque équipe."
            )
        )
    brief = brief_of(viewer.placement)
    domains = grading.student_roleplay_results(
        placement=viewer.placement, lti_user=viewer.lti_user, brief=brief
    )
    return render(
        request,
        "roleplays/results.html",
        {
            "viewer": viewer,
            "brief": brief,
            "link_pk": resource_link_pk,
            "domains": domains,
            "validated": any(d.state == "final" for d in domains),
        },
    )


urlpatterns: list[URLPattern] = [
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/evaluation/",
        grading_page,
        name="grading",
    ),
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/evaluation/enregistrer/",
        grading_save,
        name="grading_save",
    ),
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/evaluation/absence/",
        grading_absence,
        name="grading_absence",
    ),
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/evaluation/valider/",
        grading_validate,
        name="grading_validate",
    ),
    path("jeu-de-role/<int:resource_link_pk>/resultats/", results_page, name="results"),
]
