"""One error hierarchy, rendered as a 4xx page for people and as JSON for the API.

Every refusal the user can cause is an ``ApplicationError``: it carries an HTTP status,
a message a person can act on (already translated) and ``extra`` details that are safe to
show. Anything else is a bug and may be a 500.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status_code: int = 400
    default_message: Any = _("La demande n'a pas pu être traitée.")
    code: str = "invalid"

    def __init__(
        self,
        message: Any = None,
        *,
        extra: dict[str, Any] | None = None,
        code: str | None = None,
        status_code: int | None = None,
    ) -> None:
        self.message = str(message if message is not None else self.default_message)
        self.extra = extra or {}
        if code is not None:
            self.code = code
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status_code = 400
    code = "invalid"


class NotAuthenticated(ApplicationError):
    status_code = 401
    default_message = _("Vous devez lancer Atelier depuis votre cours Moodle.")
    code = "not_authenticated"


class PermissionDenied(ApplicationError):
    status_code = 403
    default_message = _("Vous n'avez pas accès à cette page.")
    code = "forbidden"


class NotFound(ApplicationError):
    status_code = 404
    default_message = _("Cette ressource n'existe pas.")
    code = "not_found"


class Conflict(ApplicationError):
    status_code = 409
    default_message = _("La demande entre en conflit avec l'état actuel.")
    code = "conflict"


class UpstreamUnavailable(ApplicationError):
    """A platform we depend on could not be reached or refused to answer."""

    status_code = 502
    default_message = _("La plateforme n'a pas répondu.")
    code = "upstream_unavailable"
