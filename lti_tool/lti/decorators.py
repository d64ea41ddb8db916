"""Guards for views reached after a launch (server-side authorisation, design.md §6)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from lti_tool.core.exceptions import NotAuthenticated


def lti_launch_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse with 401 when the request carries no valid launch id (expired or absent)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.lti_launch.present:  # type: ignore[attr-defined]
            raise NotAuthenticated(
                "Votre session Atelier a expiré ou cette page a été ouverte hors de Moodle : "
                "relancez l'activité depuis votre cours."
            )
        return view(request, *args, **kwargs)

    return wrapped
