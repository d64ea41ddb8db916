"""How a call to a platform's services failed, typed by what the caller should do.

The passback task retries ``AgsTransientError`` (timeouts, connection errors, 429, 5xx),
gives up on ``AgsPermanentError`` (400, 403, 404, 415, 401 after a fresh token, a token
refusal), and resends once with a newer timestamp on ``AgsConflict`` (409). Every error
carries what a PassbackAttempt records: the platform's HTTP status (None when no answer
came), a short excerpt of its body, and how long the call took. ``message`` is French,
for a trainer.

These are not ``ApplicationError``s on purpose: ``status_code`` here is the *platform's*
answer, not the status a view of ours should render; nothing calls AGS from a view.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

BODY_EXCERPT_CHARS = 500


def body_excerpt(text: str | bytes | None) -> str:
    if text is None:
        return ""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return " ".join(text.split())[:BODY_EXCERPT_CHARS]


class AgsError(Exception):
    """A platform service call that did not succeed."""

    retryable: bool = False
    code: str = "ags_error"

    def __init__(
        self,
        message: Any,
        *,
        status_code: int | None = None,
        body: str | bytes | None = None,
        duration_ms: int = 0,
        method: str = "",
        url: str = "",
        retry_after_seconds: float | None = None,
        token_refreshed: bool = False,
    ) -> None:
        self.message = str(message)
        self.status_code = status_code
        self.body_excerpt = body_excerpt(body)
        self.duration_ms = duration_ms
        self.method = method
        self.url = url
        # Retry-After of a 429/503, in seconds, when the platform sent one (RFC 9110 §10.2.3).
        self.retry_after_seconds = retry_after_seconds
        self.token_refreshed = token_refreshed
        super().__init__(self.message)

    def __str__(self) -> str:
        status = self.status_code if self.status_code is not None else "-"
        return f"{self.method} {self.url} -> {status} ({self.duration_ms} ms): {self.message}"


class AgsTransientError(AgsError):
    """Worth retrying later: the platform was unreachable, slow, overloaded or broken."""

    retryable = True
    code = "ags_transient"


class AgsTimeout(AgsTransientError):
    code = "ags_timeout"


class AgsConnectionError(AgsTransientError):
    code = "ags_connection"


class AgsPermanentError(AgsError):
    """Retrying the same request cannot succeed: someone must change something."""

    code = "ags_permanent"


class AgsUnauthorized(AgsPermanentError):
    """401 even with a freshly obtained token (the client refreshes once by itself)."""

    code = "ags_unauthorized"


class AgsConflict(AgsError):
    """409: the platform holds a score with a timestamp ≥ ours (AGS 2.0 §3.4.1, Moodle
    compares seconds). Resend once with a newer timestamp."""

    code = "ags_conflict"


class AgsNotAvailable(AgsPermanentError):
    """The launch gave no AGS endpoint for this activity (services off in Moodle)."""

    code = "ags_not_available"


class AccessTokenRefused(AgsPermanentError):
    """The token endpoint answered 4xx: carries the platform's own words."""

    code = "token_refused"

    def __init__(self, message: Any, *, oauth_error: str = "", **kwargs: Any) -> None:
        self.oauth_error = oauth_error
        super().__init__(message, **kwargs)


class AccessTokenUnavailable(AgsTransientError):
    """The token endpoint timed out, was unreachable, or answered 429/5xx."""

    code = "token_unavailable"


class ScoreTimestampTooSoon(Exception):
    """The next score timestamp for (line item, user) would be in the future: wait.

    Moodle refuses a timestamp ≤ the stored one (409) and a future timestamp blocks every
    later correction, so the caller delays by ``retry_after_ms`` instead.
    """

    def __init__(self, retry_after_ms: int) -> None:
        self.retry_after_ms = retry_after_ms
        super().__init__(f"next score timestamp available in {retry_after_ms} ms")


# French messages a trainer reads on the passback screen, by platform status.
def message_for_status(status: int, *, detail: str = "", scores: bool = False) -> str:
    if status == 400 and scores:
        text = _(
            "La plateforme a refusé la note (400) : l'étudiant·e n'est probablement plus "
            "inscrit·e au cours avec un rôle noté (étudiant)."
        )
    elif status == 400:
        text = _("La plateforme a refusé la demande comme invalide (400).")
    elif status == 401:
        text = _(
            "La plateforme refuse le jeton d'accès d'Atelier, même renouvelé (401) : "
            "vérifiez l'enregistrement de l'outil (clés, client_id)."
        )
    elif status == 403:
        text = _(
            "La plateforme interdit cette opération à Atelier (403) : les services de notes "
            "ne sont pas autorisés pour l'outil, ou l'activité appartient à un autre outil."
        )
    elif status == 404:
        text = _(
            "La colonne de notes est introuvable sur la plateforme (404) : elle a peut-être "
            "été supprimée, ou l'activité retirée du cours."
        )
    elif status == 409:
        text = _(
            "La plateforme détient déjà une note de même date ou plus récente pour cet·te "
            "étudiant·e (409)."
        )
    elif status == 415:
        text = _("La plateforme refuse le format de la requête (415) : signalez-le à l'équipe.")
    elif status == 429:
        text = _("La plateforme limite le nombre de requêtes (429) : nouvel essai plus tard.")
    elif status >= 500:
        text = _(
            "La plateforme a rencontré une erreur (%(status)s) : nouvel essai automatique."
        ) % {"status": status}
    else:
        text = _("La plateforme a répondu de façon inattendue (%(status)s).") % {"status": status}
    if detail:
        text += " " + _("Réponse : « %(detail)s ».") % {"detail": detail[:200]}
    return text


def error_for_status(status: int) -> type[AgsError]:
    """AGS 2.0 over HTTP: which family a non-success status belongs to."""
    if status == 409:
        return AgsConflict
    if status == 401:
        return AgsUnauthorized
    if status in (408, 429) or status >= 500:
        return AgsTransientError
    return AgsPermanentError
