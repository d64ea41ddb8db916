"""Role-play views: debrief (issue 8). Thin: access, one service or selector, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def debrief_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    # Placeholder so that the URL name exists while the page is being built (issue 8).
    raise NotImplementedError


def report_page(request: HttpRequest, resource_link_pk: int, team_pk: int) -> HttpResponse:
    # Placeholder so that the URL name exists while the page is being built (issue 8).
    raise NotImplementedError


urlpatterns: list[URLPattern] = [
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/bilan/",
        debrief_page,
        name="debrief",
    ),
    path(
        "jeu-de-role/<int:resource_link_pk>/equipes/<int:team_pk>/compte-rendu/",
        report_page,
        name="report",
    ),
]
