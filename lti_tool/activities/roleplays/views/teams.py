"""Role-play views: teams (issue 8). Thin: access, one service or selector, render."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path


def home(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    # Placeholder so that the URL name exists while the page is being built (issue 8).
    raise NotImplementedError


def setup(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    # Placeholder so that the URL name exists while the page is being built (issue 8).
    raise NotImplementedError


urlpatterns: list[URLPattern] = [
    path("jeu-de-role/<int:resource_link_pk>/", home, name="home"),
    path("jeu-de-role/<int:resource_link_pk>/equipes/", setup, name="setup"),
]
