"""Role-play views: teams and roles (issue 8). Thin: access, one service or selector, render.

The trainer's setup page (settings, roster, teams, mandates, session roles) and the
student's home (the brief's public parts, my team, my roles, self-enrolment). Every form
posts inside Moodle's iframe: it carries the launch id and its CSRF token, and the answer
is a 303 back to the page with the launch id (post/redirect/get, no cookie).
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.dashboard import roster_state
from lti_tool.activities.roleplays import teams
from lti_tool.activities.roleplays.access import (
    Viewer,
    roleplay_access,
    team_get,
    trainer_required,
)
from lti_tool.activities.roleplays.models import SessionRole
from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.lti.ags.errors import AgsError
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.redirects import launch_redirect
from lti_tool.lti.roster import roster_sync, roster_sync_request
from lti_tool.lti.selectors import lti_user_get


def _viewer(request: HttpRequest, resource_link_pk: int) -> tuple[LtiLaunch, Viewer]:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    return launch, roleplay_access(launch, resource_link_pk=resource_link_pk)


def _trainer(request: HttpRequest, resource_link_pk: int) -> tuple[LtiLaunch, Viewer]:
    launch, viewer = _viewer(request, resource_link_pk)
    trainer_required(viewer)
    return launch, viewer


def _student(request: HttpRequest, resource_link_pk: int) -> tuple[LtiLaunch, Viewer]:
    """Self-enrolment is for students: a trainer forms teams on the setup page."""
    launch, viewer = _viewer(request, resource_link_pk)
    if viewer.is_trainer:
        raise PermissionDenied(
            _("Les formateur·rices forment les équipes depuis la page de mise en place.")
        )
    return launch, viewer


def _done(launch: LtiLaunch, resource_link_pk: int, what: str, anchor: str = "") -> HttpResponse:
    return launch_redirect(launch, "roleplays:setup", resource_link_pk, anchor=anchor, fait=what)


# --- reading the forms ----------------------------------------------------------------------


def _pks(values: list[str]) -> list[int]:
    if not all(value.isdigit() for value in values):
        raise ValidationFailed(_("Le formulaire envoyé est illisible : rechargez la page."))
    return list(dict.fromkeys(int(value) for value in values))


def _team_size(raw: str) -> int:
    if not raw.isdigit():
        raise ValidationFailed(_("Indiquez la taille des équipes : 2 (binômes) ou 3 (trios)."))
    return int(raw)


def _deadline(raw: str) -> datetime | None:
    """A ``datetime-local`` field, in the site's time zone; empty for no deadline."""
    if not raw:
        return None
    try:
        due = datetime.fromisoformat(raw)
    except ValueError:
        due = None
    if due is None:
        raise ValidationFailed(
            _("La date limite de préparation « %(raw)s » est illisible (jj/mm/aaaa hh:mm).")
            % {"raw": raw}
        )
    return due if timezone.is_aware(due) else timezone.make_aware(due)


def _assignments(post: QueryDict) -> dict[int, teams.Assignment]:
    """``role-<student pk>`` = ``card:<id>`` | ``focus:<id>`` | "" (no role)."""
    kinds = {"card": SessionRole.Role.PARTICIPANT.value, "focus": SessionRole.Role.OBSERVER.value}
    wanted: dict[int, teams.Assignment] = {}
    for key in post:
        value = post.get(key, "")
        if not key.startswith("role-") or not value:
            continue
        pk, (kind, _sep, item) = key.removeprefix("role-"), value.partition(":")
        if not pk.isdigit() or kind not in kinds or not item:
            raise ValidationFailed(_("Le formulaire des rôles est illisible : rechargez la page."))
        wanted[int(pk)] = (kinds[kind], item)
    return wanted


def _mandates(post: QueryDict) -> dict[int, str]:
    """``mandate-<team member pk>`` = a mandate id of the brief, or "" for none."""
    chosen = {}
    for key in post:
        value = post.get(key, "")
        if key.startswith("mandate-"):
            pk = key.removeprefix("mandate-")
            if not pk.isdigit():
                raise ValidationFailed(
                    _("Le formulaire des mandats est illisible : rechargez la page.")
                )
            chosen[int(pk)] = value.strip()
    return chosen


# --- student ------------------------------------------------------------------------------


@lti_launch_required
@require_GET
def home(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _viewer(request, resource_link_pk)
    if viewer.is_trainer:
        return launch_redirect(launch, "roleplays:setup", resource_link_pk)
    page = teams.student_home(
        placement=viewer.placement,
        lti_user=viewer.lti_user,
        roles=viewer.roles,
        language=launch.language,
    )
    return render(
        request,
        "roleplays/home.html",
        {
            "launch": launch,
            "me": viewer.lti_user,
            "link_pk": resource_link_pk,
            "page": page,
            "done": request.GET.get("fait", ""),
        },
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def enrol_create(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _student(request, resource_link_pk)
    teams.team_enrol_create(placement=viewer.placement, student=viewer.lti_user)
    return launch_redirect(launch, "roleplays:home", resource_link_pk, fait="equipe-creee")


@lti_launch_required
@launch_csrf_protect
@require_POST
def enrol_join(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer = _student(request, resource_link_pk)
    teams.team_enrol_join(team=team_get(viewer, team_pk=team_pk), student=viewer.lti_user)
    return launch_redirect(launch, "roleplays:home", resource_link_pk, fait="equipe-rejointe")


@lti_launch_required
@launch_csrf_protect
@require_POST
def enrol_leave(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _student(request, resource_link_pk)
    teams.team_enrol_leave(placement=viewer.placement, student=viewer.lti_user)
    return launch_redirect(launch, "roleplays:home", resource_link_pk, fait="equipe-quittee")


# --- trainer ------------------------------------------------------------------------------


@lti_launch_required
@require_GET
def setup(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    if launch.is_trainer:
        # The trainer's first launch of the link may land here before anything bound it.
        teams.trainer_link_bind(
            resource_link_pk=resource_link_pk,
            context_pk=launch.context_id,
            actor=lti_user_get(lti_user_pk=launch.lti_user_id),
        )
    launch, viewer = _trainer(request, resource_link_pk)
    context = viewer.placement.resource_link.context
    # A roster never read (or stale) is read by a worker; the page says so.
    requested = roster_sync_request(context=context)
    return render(
        request,
        "roleplays/setup.html",
        {
            "launch": launch,
            "me": viewer.lti_user,
            "link_pk": resource_link_pk,
            "context": context,
            "page": teams.setup_page(placement=viewer.placement, language=launch.language),
            "roster": roster_state(context=context),
            "roster_requested": requested,
            "done": request.GET.get("fait", ""),
        },
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def setup_settings(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    teams.setup_update(
        placement=viewer.placement,
        team_size=_team_size(request.POST.get("team_size", "").strip()),
        self_enrolment_open=request.POST.get("self_enrolment") == "open",
        preparation_due_at=_deadline(request.POST.get("preparation_due_at", "").strip()),
    )
    return _done(launch, resource_link_pk, "reglages", "reglages")


@lti_launch_required
@launch_csrf_protect
@require_POST
def setup_roster(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    try:
        outcome = (
            "liste-recente"
            if roster_sync(context=viewer.placement.resource_link.context).cached
            else "liste"
        )
    except AgsError:
        outcome = "liste-erreur"  # the message is recorded with the roster state and shown
    return _done(launch, resource_link_pk, outcome, "liste")


@lti_launch_required
@launch_csrf_protect
@require_POST
def team_create(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    members = teams.course_students_get(
        placement=viewer.placement, pks=_pks(request.POST.getlist("member"))
    )
    team = teams.team_create(placement=viewer.placement, members=members)
    return _done(launch, resource_link_pk, "equipe-creee", f"equipe-{team.pk}")


@lti_launch_required
@launch_csrf_protect
@require_POST
def teams_draw(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    teams.teams_draw(placement=viewer.placement)
    return _done(launch, resource_link_pk, "tirage", "equipes")


@lti_launch_required
@launch_csrf_protect
@require_POST
def team_members(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    members = teams.course_students_get(
        placement=viewer.placement, pks=_pks(request.POST.getlist("member"))
    )
    teams.team_members_set(team=team, members=members)
    return _done(launch, resource_link_pk, "membres", f"equipe-{team.pk}")


@lti_launch_required
@launch_csrf_protect
@require_POST
def team_delete(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    teams.team_delete(team=team_get(viewer, team_pk=team_pk))
    return _done(launch, resource_link_pk, "equipe-supprimee", "equipes")


@lti_launch_required
@launch_csrf_protect
@require_POST
def team_mandates(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    teams.team_mandates_set(team=team, mandates=_mandates(request.POST))
    return _done(launch, resource_link_pk, "mandats", f"equipe-{team.pk}")


@lti_launch_required
@launch_csrf_protect
@require_POST
def session_roles(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    teams.session_roles_set(team=team, assignments=_assignments(request.POST))
    return _done(launch, resource_link_pk, "roles", f"roles-{team.pk}")


@lti_launch_required
@launch_csrf_protect
@require_POST
def session_roles_deal(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    team = team_get(viewer, team_pk=team_pk)
    teams.session_roles_deal(team=team)
    return _done(launch, resource_link_pk, "roles-distribues", f"roles-{team.pk}")


_TEAM = "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>"

urlpatterns: list[URLPattern] = [
    path("jeu-de-role/<int:resource_link_pk>/", home, name="home"),
    path("jeu-de-role/<int:resource_link_pk>/inscription/", enrol_create, name="enrol_create"),
    path(
        "jeu-de-role/<int:resource_link_pk>/inscription/quitter/", enrol_leave, name="enrol_leave"
    ),
    path(f"{_TEAM}/rejoindre/", enrol_join, name="enrol_join"),
    path("jeu-de-role/<int:resource_link_pk>/equipes/", setup, name="setup"),
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/reglages/",
        setup_settings,
        name="setup_settings",
    ),
    path("jeu-de-role/<int:resource_link_pk>/equipes/liste/", setup_roster, name="setup_roster"),
    path("jeu-de-role/<int:resource_link_pk>/equipes/nouvelle/", team_create, name="team_create"),
    path("jeu-de-role/<int:resource_link_pk>/equipes/hasard/", teams_draw, name="teams_draw"),
    path(f"{_TEAM}/membres/", team_members, name="team_members"),
    path(f"{_TEAM}/supprimer/", team_delete, name="team_delete"),
    path(f"{_TEAM}/mandats/", team_mandates, name="team_mandates"),
    path(f"{_TEAM}/roles/", session_roles, name="session_roles"),
    path(f"{_TEAM}/roles/distribuer/", session_roles_deal, name="session_roles_deal"),
]
