"""Role-play views: the live session (issue 8, "Live session (in class, on phones)").

The trainer's console (start, stop, trigger incidents, follow deliveries and observers'
saves) and the students' live page (their role, the clock, the incidents addressed to
them, and the observer's grid). Thin: access, one service or selector, render.

Two small fragments are polled every 2 s by htmx (``live_poll`` for a student,
``console_poll`` for the trainer), so an incident appears without a reload; the full pages
show the same state on refresh, without JavaScript. Saves answer JSON to ``fetch``
(``Accept: application/json``, observer.js) and redirect back to the page for plain forms.
Inside Moodle's iframe there is no cookie: the launch id and its CSRF token travel in the
forms or in headers (lti/csrf.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.roleplays import live
from lti_tool.activities.roleplays.access import (
    Viewer,
    brief_of,
    roleplay_access,
    trainer_required,
)
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.redirects import launch_redirect


def _seat(
    request: HttpRequest, resource_link_pk: int, team_pk: int, *, trainer: bool = False
) -> tuple[LtiLaunch, Viewer, live.LiveSeat, RolePlay]:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    viewer = roleplay_access(launch, resource_link_pk=resource_link_pk)
    if trainer:
        trainer_required(viewer)
    seat = live.live_seat_get(viewer, team_pk=team_pk)
    return launch, viewer, seat, brief_of(viewer.placement, language=launch.language)


def _trainer_seat(
    request: HttpRequest, resource_link_pk: int, team_pk: int
) -> tuple[LtiLaunch, Viewer, live.LiveSeat, RolePlay]:
    return _seat(request, resource_link_pk, team_pk, trainer=True)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(
    launch: LtiLaunch,
    name: str,
    resource_link_pk: int,
    team_pk: int,
    anchor: str = "",
    **query: str,
) -> HttpResponseRedirect:
    """Back to one of this team's pages, keeping the launch id."""
    return launch_redirect(launch, name, resource_link_pk, team_pk, anchor=anchor, **query)


def _done(
    request: HttpRequest,
    launch: LtiLaunch,
    message: str,
    back: tuple[str, int, int],
    anchor: str = "",
    **data: Any,
) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"status": "ok", "message": message, **data})
    return _back(launch, *back, anchor=anchor, fait=message)


def _subject_pk(raw: str) -> int | None:
    if raw in ("", live.TEAM_KEY):
        return None
    if not raw.isdigit():
        raise ValidationFailed(_("Co-animateur·rice inconnu·e."), code="bad_subject")
    return int(raw)


def _clock(seat: live.LiveSeat) -> dict[str, Any]:
    elapsed = live.elapsed_seconds(seat.session)
    return {
        "elapsed": elapsed,
        "clock": divmod(elapsed, 60) if elapsed is not None else None,
        "saving_open": live.saving_open(seat.session),
    }


# --- students ---------------------------------------------------------------------------


@lti_launch_required
@require_GET
def live_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer, seat, brief = _seat(request, resource_link_pk, team_pk)
    if seat.seat == live.Seat.TRAINER:
        return _back(launch, "roleplays:console", resource_link_pk, team_pk)
    members = live.team_members(seat.team)
    context: dict[str, Any] = {
        "launch": launch,
        "brief": brief,
        "seat": seat,
        "members": members,
        "link_pk": resource_link_pk,
        "done": request.GET.get("fait", ""),
        "incidents": live.incidents_deliver(
            session=seat.session, brief=brief, lti_user_pk=viewer.lti_user.pk
        ),
        **_clock(seat),
    }
    if seat.seat == live.Seat.CO_ANIMATOR and seat.membership is not None:
        context["mandate"] = brief.mandate(seat.membership.mandate_id)
    elif seat.seat == live.Seat.PARTICIPANT and seat.role is not None:
        context["card"] = brief.card(seat.role.card_id)
    elif seat.seat == live.Seat.OBSERVER:
        context["grid"] = live.observer_grid(seat=seat, brief=brief, members=members)
        context["new_note_id"] = live.new_client_id()
    return render(request, "roleplays/live.html", context)


@lti_launch_required
@require_GET
def live_poll(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    """The polled fragment: session state, clock, incidents addressed to me."""
    _launch, viewer, seat, brief = _seat(request, resource_link_pk, team_pk)
    incidents = live.incidents_deliver(
        session=seat.session, brief=brief, lti_user_pk=viewer.lti_user.pk
    )
    return render(
        request,
        "roleplays/_live_state.html",
        {"seat": seat, "incidents": incidents, "link_pk": resource_link_pk, **_clock(seat)},
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def grid_save(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, _viewer, seat, brief = _seat(request, resource_link_pk, team_pk)
    subject = _subject_pk(request.POST.get("subject", ""))
    entry = live.grid_entry_save(
        seat=seat,
        brief=brief,
        criterion_code=request.POST.get("criterion", ""),
        subject_pk=subject,
        level=request.POST.get("level", ""),
    )
    key = f"{entry.criterion_code}:{entry.subject_id or live.TEAM_KEY}"
    return _done(
        request,
        launch,
        _("Niveau enregistré."),
        ("roleplays:live", resource_link_pk, team_pk),
        anchor="item-" + key.replace(":", "-"),
        key=key,
        level=live.LEVEL_UNKNOWN if entry.level is None else entry.level,
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def note_save(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, _viewer, seat, brief = _seat(request, resource_link_pk, team_pk)
    note, created = live.observer_note_save(
        seat=seat,
        brief=brief,
        client_id=request.POST.get("client_id", ""),
        text=request.POST.get("text", ""),
        noted_at=request.POST.get("noted_at", ""),
        criterion_code=request.POST.get("criterion", ""),
        subject_pk=_subject_pk(request.POST.get("subject", "")),
    )
    return _done(
        request,
        launch,
        _("Note enregistrée.") if created else _("Note déjà enregistrée."),
        ("roleplays:live", resource_link_pk, team_pk),
        anchor="notes",
        client_id=str(note.client_id),
        noted_at=note.noted_at.isoformat(),
    )


# --- trainer ----------------------------------------------------------------------------


def _console_context(seat: live.LiveSeat, brief: RolePlay, resource_link_pk: int) -> dict[str, Any]:
    return {
        "seat": seat,
        "brief": brief,
        "console": live.console_get(session=seat.session, brief=brief),
        "link_pk": resource_link_pk,
        **_clock(seat),
    }


@lti_launch_required
@require_GET
def console(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, _viewer, seat, brief = _trainer_seat(request, resource_link_pk, team_pk)
    context = _console_context(seat, brief, resource_link_pk)
    context.update(launch=launch, done=request.GET.get("fait", ""))
    return render(request, "roleplays/console.html", context)


@lti_launch_required
@require_GET
def console_poll(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    """The console's polled fragment: state, clock, deliveries, observers' saves."""
    _launch, _viewer, seat, brief = _trainer_seat(request, resource_link_pk, team_pk)
    return render(
        request, "roleplays/_live_console.html", _console_context(seat, brief, resource_link_pk)
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def session_start(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, _viewer, seat, _brief = _trainer_seat(request, resource_link_pk, team_pk)
    live.session_start(session=seat.session)
    back = ("roleplays:console", resource_link_pk, team_pk)
    return _done(request, launch, _("La séance a commencé."), back)


@lti_launch_required
@launch_csrf_protect
@require_POST
def session_stop(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, _viewer, seat, _brief = _trainer_seat(request, resource_link_pk, team_pk)
    live.session_stop(session=seat.session)
    back = ("roleplays:console", resource_link_pk, team_pk)
    return _done(request, launch, _("La séance est terminée."), back)


@lti_launch_required
@launch_csrf_protect
@require_POST
def incident_trigger(
    request: HttpRequest, resource_link_pk: int, team_pk: int, incident_id: str
) -> HttpResponse:
    launch, viewer, seat, brief = _trainer_seat(request, resource_link_pk, team_pk)
    delivery = live.incident_trigger(
        session=seat.session, brief=brief, incident_id=incident_id, actor=viewer.lti_user
    )
    message = (
        _("Incident envoyé.")
        if delivery.recipient_id
        else _("Personne ne tient ce rôle : remettez la consigne sur papier.")
    )
    back = ("roleplays:console", resource_link_pk, team_pk)
    return _done(
        request,
        launch,
        message,
        back,
        anchor=f"incident-{incident_id}",
        delivered=bool(delivery.recipient_id),
    )


_SESSION = "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/seance/"

urlpatterns: list[URLPattern] = [
    path(_SESSION, live_page, name="live"),
    path(f"{_SESSION}etat/", live_poll, name="live_poll"),
    path(f"{_SESSION}grille/", grid_save, name="live_grid_save"),
    path(f"{_SESSION}notes/", note_save, name="live_note_save"),
    path(f"{_SESSION}console/", console, name="console"),
    path(f"{_SESSION}console/etat/", console_poll, name="console_poll"),
    path(f"{_SESSION}demarrer/", session_start, name="live_start"),
    path(f"{_SESSION}terminer/", session_stop, name="live_stop"),
    path(
        f"{_SESSION}incidents/<slug:incident_id>/declencher/",
        incident_trigger,
        name="live_incident_trigger",
    ),
]
