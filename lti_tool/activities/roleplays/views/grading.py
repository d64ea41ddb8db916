"""Role-play views: grading (issue 8). Thin: access, one service or selector, render."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
