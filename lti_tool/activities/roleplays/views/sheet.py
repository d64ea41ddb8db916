"""Role-play views: the team's preparation sheet (issue 8). Thin: access, one service or
selector, render.

One save endpoint serves both the plain form (post/redirect/get; a conflict renders the
page again, status 409, with both versions) and ``sheet.js`` (``Accept: application/json``:
the answer is JSON, a refusal is the middleware's ``{"message", "extra"}``). The team edits
until the deadline; the course's trainer reads and comments, never edits.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.roleplays import sheet
from lti_tool.activities.roleplays.access import (
    Viewer,
    roleplay_access,
    team_work_get,
    trainer_required,
)
from lti_tool.activities.roleplays.models import Team
from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.redirects import launch_redirect

SPARE_ROWS = 2  # blank plan rows offered by the plain form (JavaScript adds rows itself)


def _team(
    request: HttpRequest, resource_link_pk: int, team_pk: int
) -> tuple[LtiLaunch, Viewer, Team]:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    viewer = roleplay_access(launch, resource_link_pk=resource_link_pk)
    return launch, viewer, team_work_get(viewer, team_pk=team_pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _page(
    request: HttpRequest,
    viewer: Viewer,
    team: Team,
    view: sheet.SheetView,
    *,
    conflicts: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = viewer.is_co_animator(team) and not view.locked
    return render(
        request,
        "roleplays/sheet.html",
        {
            "launch": request.lti_launch,  # type: ignore[attr-defined]
            "me": viewer.lti_user,
            "viewer": viewer,
            "team": team,
            "link_pk": viewer.placement.resource_link_id,
            "sheet_view": view,
            "can_edit": can_edit,
            "conflicts": conflicts or [],
            "spare_row_ids": [secrets.token_hex(4) for _n in range(SPARE_ROWS)] if can_edit else [],
            "saved": request.GET.get("enregistre", ""),
            "sections": sheet.SECTIONS,
        },
        status=status,
    )


@lti_launch_required
@require_GET
def sheet_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    _launch, viewer, team = _team(request, resource_link_pk, team_pk)
    return _page(request, viewer, team, sheet.sheet_view(team))


def _base_revision(request: HttpRequest) -> int:
    raw = request.POST.get("base_revision", "")
    if not raw.isdigit():
        raise ValidationFailed(
            _("Le formulaire ne dit pas de quelle version il part : rechargez la page.")
        )
    return int(raw)


def _held(request: HttpRequest) -> set[str]:
    """Sections this save must not change: an open conflict (``hold``, sent by sheet.js), or
    a conflict of the plain form where the student did not choose to keep their version."""
    held = set(request.POST.getlist("hold"))
    for key in request.POST.getlist("conflict"):
        if request.POST.get(f"choice-{key}") != "mine":
            held.add(key)
    return held


def _saved_json(saved: sheet.SheetSaved) -> JsonResponse:
    time = formats.time_format(timezone.localtime(saved.saved_at), "H:i")
    return JsonResponse(
        {
            "revision": saved.revision,
            "fields": saved.fields,
            "changed": list(saved.changed),
            "updated": saved.updated,
            "saved_at": saved.saved_at.isoformat(),
            "message": _("Enregistré à %(time)s") % {"time": time},
        }
    )


def _conflict_page(
    request: HttpRequest,
    viewer: Viewer,
    team: Team,
    conflict: sheet.SheetConflict,
    sent: dict[str, Any],
) -> HttpResponse:
    """The plain form again, rebased on the current revision: my changes kept (conflicting
    ones in the field), the others' changes taken, the other version shown beside."""
    extra = conflict.extra
    current = sheet.fields_normalised(extra["fields"])
    mine = set(extra["mine"])
    rebased = {key: sent[key] if key in mine else current[key] for key in sheet.SECTION_KEYS}
    view = sheet.sheet_view(team)
    form_view = sheet.sheet_view_with_fields(view, rebased)
    theirs_view = sheet.sheet_view_with_fields(view, current)
    conflicts = [
        {
            **item,
            "theirs_section": next(s for s in theirs_view.sections if s.key == item["section"]),
        }
        for item in extra["conflicts"]
    ]
    return _page(request, viewer, team, form_view, conflicts=conflicts, status=409)


@lti_launch_required
@launch_csrf_protect
@require_POST
def sheet_save(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer, team = _team(request, resource_link_pk, team_pk)
    if not viewer.is_co_animator(team):
        raise PermissionDenied(
            _("Seule l'équipe écrit sa fiche : le ou la formateur·rice la lit et la commente.")
        )
    sent = sheet.fields_from_form(dict(request.POST.lists()), members=sheet.sheet_member_ids(team))
    try:
        saved = sheet.sheet_save(
            team=team,
            author=viewer.lti_user,
            base_revision=_base_revision(request),
            fields=sent,
            held=_held(request),
        )
    except sheet.SheetConflict as conflict:
        if _wants_json(request):
            raise
        return _conflict_page(request, viewer, team, conflict, sheet.fields_normalised(sent))
    if _wants_json(request):
        return _saved_json(saved)
    return launch_redirect(
        launch, "roleplays:sheet", resource_link_pk, team_pk, enregistre=str(saved.revision)
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def sheet_comment(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer, team = _team(request, resource_link_pk, team_pk)
    trainer_required(viewer)
    section = request.POST.get("section", "")
    sheet.sheet_comment_add(
        team=team, author=viewer.lti_user, section=section, text=request.POST.get("text", "")
    )
    return launch_redirect(
        launch,
        "roleplays:sheet",
        resource_link_pk,
        team_pk,
        anchor=f"section-{section}" if section else "commentaires",
    )


@lti_launch_required
@require_GET
def sheet_history(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer, team = _team(request, resource_link_pk, team_pk)
    return render(
        request,
        "roleplays/sheet_history.html",
        {
            "launch": launch,
            "me": viewer.lti_user,
            "team": team,
            "link_pk": resource_link_pk,
            "revisions": sheet.sheet_revisions(team),
        },
    )


@lti_launch_required
@require_GET
def sheet_revision(
    request: HttpRequest, resource_link_pk: int, team_pk: int, number: int
) -> HttpResponse:
    launch, viewer, team = _team(request, resource_link_pk, team_pk)
    return render(
        request,
        "roleplays/sheet_revision.html",
        {
            "launch": launch,
            "me": viewer.lti_user,
            "team": team,
            "link_pk": resource_link_pk,
            "sheet_view": sheet.sheet_view(team, revision=number),
        },
    )


_TEAM = "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/fiche/"

urlpatterns: list[URLPattern] = [
    path(_TEAM, sheet_page, name="sheet"),
    path(f"{_TEAM}enregistrer/", sheet_save, name="sheet_save"),
    path(f"{_TEAM}commentaires/", sheet_comment, name="sheet_comment"),
    path(f"{_TEAM}historique/", sheet_history, name="sheet_history"),
    path(f"{_TEAM}historique/<int:number>/", sheet_revision, name="sheet_revision"),
]
