"""CSRF defence for forms posted inside the platform's iframe, where Django's CSRF cookie
is lost with every other third-party cookie (shared/moodle.md, "Forms inside the iframe").

The token is an HMAC of the opaque launch id (django.core.signing, salted): only a page
rendered for that launch can carry it, and it dies with the launch. Views that accept it
are exempt from the cookie check and must call ``launch_csrf_check`` — never a blanket
``csrf_exempt``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from lti_tool.core.exceptions import PermissionDenied

_SALT = "atelier.lti.launch-csrf"
FIELD_NAME = "launch_csrf"


def launch_csrf_token(launch_id: str) -> str:
    return signing.Signer(salt=_SALT).sign(launch_id).split(":", 1)[1]


def launch_csrf_check(request: HttpRequest) -> None:
    launch = request.lti_launch  # type: ignore[attr-defined]
    sent = request.POST.get(FIELD_NAME) or request.headers.get("X-Launch-CSRF", "")
    if not launch.present or not sent:
        raise PermissionDenied(
            _(
                "Le formulaire n'a pas pu être vérifié (jeton absent). Rechargez la page et réessayez."
            )
        )
    try:
        signing.Signer(salt=_SALT).unsign(f"{launch.launch_id}:{sent}")
    except signing.BadSignature as error:
        raise PermissionDenied(
            _(
                "Le formulaire n'a pas pu être vérifié (jeton invalide ou session expirée). "
                "Rechargez la page et réessayez."
            )
        ) from error


def launch_csrf_protect(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Replace the cookie-based CSRF check by the launch-bound token on unsafe methods."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in {"GET", "HEAD", "OPTIONS", "TRACE"}:
            launch_csrf_check(request)
        return view(request, *args, **kwargs)

    return wrapped
