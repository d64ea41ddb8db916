"""Role-play views: debrief and written follow-up (issue 8). Thin: access, one service or
selector, render.

Who: the team's co-animators and the course's trainer (``team_work_get``); everyone else
gets a 403 page, a request without a launch a 401. Forms post with the launch-bound CSRF
token and redirect back keeping the launch id (no cookie inside Moodle's iframe). The
follow-up form is re-rendered with what was typed when a save is refused (stale revision:
409; word limit on submission: 400), so that nothing typed is lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.roleplays import debrief, reports
from lti_tool.activities.roleplays.access import (
    Viewer,
    brief_of,
    roleplay_access,
    session_of,
    team_work_get,
    trainer_required,
)
from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.models import LiveSession, Team
from lti_tool.activities.roleplays.writing import REPORT_WORDS_MAX, word_count
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.redirects import launch_redirect


@dataclass(frozen=True)
class _Work:
    launch: LtiLaunch
    viewer: Viewer
    team: Team
    session: LiveSession
    brief: RolePlay


def _work(request: HttpRequest, resource_link_pk: int, team_pk: int) -> _Work:
    """The team's work as the launch may see it: its co-animators and the trainer only."""
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    viewer = roleplay_access(launch, resource_link_pk=resource_link_pk)
    team = team_work_get(viewer, team_pk=team_pk)
    brief = brief_of(viewer.placement, language=launch.language)
    return _Work(launch, viewer, team, session_of(team), brief)


def _redirect(work: _Work, name: str, *, anchor: str = "", **query: str) -> HttpResponseRedirect:
    """Back to one of this team's pages (``name`` takes the link and the team)."""
    return launch_redirect(
        work.launch,
        name,
        work.viewer.placement.resource_link_id,
        work.team.pk,
        anchor=anchor,
        **query,
    )


def _base_context(work: _Work) -> dict[str, Any]:
    return {
        "launch": work.launch,
        "viewer": work.viewer,
        "team": work.team,
        "session": work.session,
        "brief": work.brief,
        "link_pk": work.viewer.placement.resource_link_id,
    }


# --- debrief ----------------------------------------------------------------------------


@lti_launch_required
@require_GET
def debrief_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    work = _work(request, resource_link_pk, team_pk)
    page = debrief.debrief_page_of(
        work.session, work.brief, viewer=work.viewer.lti_user, is_trainer=work.viewer.is_trainer
    )
    context = {
        **_base_context(work),
        "page": page,
        "saved": request.GET.get("enregistre") == "1",
        "dont_know": debrief.DONT_KNOW,
        "levels": range(5),
    }
    return render(request, "roleplays/debrief.html", context)


@lti_launch_required
@launch_csrf_protect
@require_POST
def debrief_save(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    work = _work(request, resource_link_pk, team_pk)
    author = work.viewer.lti_user
    form = debrief.debrief_form_read(request.POST, brief=work.brief, author_pk=author.pk)
    debrief.debrief_save(
        session=work.session,
        brief=work.brief,
        author=author,
        entries=form.entries,
        feedback=form.feedback,
        overall=form.overall,
    )
    return _redirect(work, "roleplays:debrief", anchor="mon-bilan", enregistre="1")


# --- written follow-up --------------------------------------------------------------------


def _report_render(
    request: HttpRequest,
    work: _Work,
    *,
    status: int = 200,
    typed: dict[str, str] | None = None,
    revision: int | None = None,
    **extra: Any,
) -> HttpResponse:
    """The follow-up page; the form shows ``typed`` (a refused save) or the saved texts."""
    page = reports.report_page_of(
        work.session, work.brief, viewer=work.viewer.lti_user, is_trainer=work.viewer.is_trainer
    )
    draft: dict[str, Any] = {}
    if page.mine is not None:
        saved = page.mine.item
        texts = typed or {"report": saved.report, "reflection": saved.reflection}
        draft = {
            **texts,
            "report_words": word_count(texts["report"]),
            "reflection_words": word_count(texts["reflection"]),
            "revision": saved.revision if revision is None else revision,
        }
    context = {
        **_base_context(work),
        "page": page,
        "draft": draft,
        "words_max": REPORT_WORDS_MAX,
        **extra,
    }
    return render(request, "roleplays/report.html", context, status=status)


@lti_launch_required
@require_GET
def report_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    work = _work(request, resource_link_pk, team_pk)
    return _report_render(request, work, saved=request.GET.get("enregistre", ""))


@lti_launch_required
@launch_csrf_protect
@require_POST
def report_save(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    work = _work(request, resource_link_pk, team_pk)
    typed = {
        "report": request.POST.get("report", ""),
        "reflection": request.POST.get("reflection", ""),
    }
    submit = request.POST.get("action") == "submit"
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        raise ValidationFailed(
            _("Formulaire incomplet (version manquante) : rechargez la page.")
        ) from None
    try:
        reports.report_save(
            session=work.session,
            author=work.viewer.lti_user,
            revision=revision,
            submit=submit,
            **typed,
        )
    except Conflict as error:
        # The saved version is shown next to what was typed; the form now carries the
        # current revision, so saving again replaces it knowingly.
        return _report_render(
            request, work, status=error.status_code, typed=typed, error=error, conflict=True,
            revision=error.extra.get("revision"),
        )  # fmt: skip
    except ValidationFailed as error:
        return _report_render(
            request, work, status=error.status_code, typed=typed, revision=revision,
            error=error, field_errors=error.extra.get("fields", {}),
        )  # fmt: skip
    return _redirect(
        work, "roleplays:report", anchor="mon-suivi", enregistre="rendu" if submit else "brouillon"
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def report_flag(
    request: HttpRequest, resource_link_pk: int, team_pk: int, author_pk: int
) -> HttpResponse:
    work = _work(request, resource_link_pk, team_pk)
    trainer_required(work.viewer)
    reports.report_flag(
        session=work.session,
        author_pk=author_pk,
        by=work.viewer.lti_user,
        reason=request.POST.get("reason", ""),
    )
    return _redirect(work, "roleplays:report", anchor=f"suivi-{author_pk}")


@lti_launch_required
@launch_csrf_protect
@require_POST
def report_unflag(
    request: HttpRequest, resource_link_pk: int, team_pk: int, author_pk: int
) -> HttpResponse:
    work = _work(request, resource_link_pk, team_pk)
    trainer_required(work.viewer)
    reports.report_unflag(session=work.session, author_pk=author_pk)
    return _redirect(work, "roleplays:report", anchor=f"suivi-{author_pk}")


_TEAM = "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>"

urlpatterns: list[URLPattern] = [
    path(f"{_TEAM}/bilan/", debrief_page, name="debrief"),
    path(f"{_TEAM}/bilan/enregistrer/", debrief_save, name="debrief_save"),
    path(f"{_TEAM}/compte-rendu/", report_page, name="report"),
    path(f"{_TEAM}/compte-rendu/enregistrer/", report_save, name="report_save"),
    path(f"{_TEAM}/compte-rendu/<int:author_pk>/signaler/", report_flag, name="report_flag"),
    path(f"{_TEAM}/compte-rendu/<int:author_pk>/lever/", report_unflag, name="report_unflag"),
]
