"""What every DSL view shares: the launch, the
JSON switch of the autosave and the grading screen, and the canvas the viewer may see."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _

from lti_tool.activities.dsl import selectors
from lti_tool.activities.dsl.models import Canvas
from lti_tool.core.exceptions import ValidationFailed
from lti_tool.lti.launch_context import LtiLaunch


def launch_of(request: HttpRequest) -> LtiLaunch:
    return request.lti_launch  # type: ignore[attr-defined,no-any-return]


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def int_posted(raw: str | None, what: str) -> int:
    if raw is None or not raw.strip().isdigit():
        raise ValidationFailed(
            _("Formulaire illisible (%(what)s) : rechargez la page.") % {"what": what}
        )
    return int(raw)


def viewer_canvas(
    request: HttpRequest, link: int, canvas_pk: int
) -> tuple[selectors.Viewer, Canvas]:
    viewer = selectors.dsl_access(launch_of(request), resource_link_pk=link)
    return viewer, selectors.canvas_get(viewer, canvas_pk=canvas_pk)
