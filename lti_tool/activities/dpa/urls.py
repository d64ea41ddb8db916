"""URLs of placed DPA cases, under /cas-dpa/<resource link>/ (issue 9)."""

from __future__ import annotations

from django.urls import URLPattern

app_name = "dpa"

urlpatterns: list[URLPattern] = []
