"""Guards for views reached after a launch (server-side authorisation, design.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import NotAuthenticated, PermissionDenied
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.models import Context
from lti_tool.lti.selectors import context_get


def lti_launch_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse with 401 when the request carries no valid launch id (expired or absent)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.lti_launch.present:  # type: ignore[attr-defined]
            raise NotAuthenticated(
                _(
                    "Votre session Atelier a expiré ou cette page a été ouverte hors de Moodle : "
                    "relancez l'activité depuis votre cours."
                )
            )
        return view(request, *args, **kwargs)

    return wrapped


def trainer_course_get(request: HttpRequest, context_pk: int) -> tuple[LtiLaunch, Context]:
    """The launch and its course, when the launch is a trainer's launch from that course
    (server-side authorisation by role and context, design.md §6); 403 otherwise."""
    launch = request.lti_launch  # type: ignore[attr-defined]
    if not launch.is_trainer or launch.context_id != context_pk:
        raise PermissionDenied(
            _(
                "Cette page est réservée aux formateur·rices de ce cours : relancez Atelier "
                "depuis le cours concerné."
            )
        )
    return launch, context_get(context_pk=context_pk)
