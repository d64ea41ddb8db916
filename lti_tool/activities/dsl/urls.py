"""URLs of placed DSL project canvases, under /projet-dsl/<resource link>/ (issue 9)."""

from __future__ import annotations

from lti_tool.activities.dsl.views import urlpatterns

app_name = "dsl"

__all__ = ["app_name", "urlpatterns"]
