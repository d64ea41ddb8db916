"""OAuth 2 access tokens for the platform's services (LTI Security Framework §4.1).

Client credentials with a JWT client assertion (RFC 7523) signed by the tool's active key.
Tokens are cached per (registration, scope set) in the shared Django cache until a minute
before they expire, so a registration costs about one token request per hour however many
workers post scores (Moodle spends a full PHP request on each: shared/moodle.md).
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from lti_tool.lti.ags.errors import (
    AccessTokenRefused,
    AccessTokenUnavailable,
    AgsPermanentError,
    body_excerpt,
)
from lti_tool.lti.constants import (
    CLIENT_ASSERTION_TYPE,
    CLIENT_CREDENTIALS_GRANT,
    JWT_ALGORITHM,
)
from lti_tool.lti.keys import KeyFileMissing, tool_signing_key
from lti_tool.lti.models import Registration

logger = logging.getLogger(__name__)

# Moodle tolerates no clock skew at all: an iat 1 s in the future is refused (400).
ASSERTION_BACKDATE_SECONDS = 5
ASSERTION_LIFETIME_SECONDS = 300
# Drop a cached token this long before the platform says it expires.
EXPIRY_MARGIN_SECONDS = 60
DEFAULT_EXPIRES_IN = 3600
LOCK_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class AccessToken:
    value: str
    scopes: tuple[str, ...]
    expires_at: float  # epoch seconds


def _scope_key(scopes: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(scope) for scope in scopes}))


def _cache_key(registration: Registration, scopes: tuple[str, ...]) -> str:
    digest = hashlib.sha256(" ".join(scopes).encode()).hexdigest()[:16]
    return f"lti:token:{registration.pk}:{digest}"


@contextmanager
def cache_lock(key: str, *, ttl: float, wait: float) -> Iterator[bool]:
    """A short cross-process lock through ``cache.add`` (atomic on Redis and on the
    database cache). Yields True when acquired, False when ``wait`` ran out; either way
    the caller re-reads what it is about to compute, which keeps this only an optimisation
    against stampedes, never a correctness requirement."""
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    acquired = cache.add(key, owner, timeout=max(int(ttl), 1))
    while not acquired and time.monotonic() < deadline:
        time.sleep(LOCK_POLL_SECONDS)
        acquired = cache.add(key, owner, timeout=max(int(ttl), 1))
    try:
        yield acquired
    finally:
        if acquired and cache.get(key) == owner:
            cache.delete(key)


def client_assertion(registration: Registration) -> str:
    """RFC 7523 §3 / Security Framework §4.1.1: iss = sub = client_id, aud = token URL."""
    key = tool_signing_key()
    iat = int(time.time()) - ASSERTION_BACKDATE_SECONDS
    claims = {
        "iss": registration.client_id,
        "sub": registration.client_id,
        "aud": registration.token_audience,
        "iat": iat,
        "exp": iat + ASSERTION_LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(
        claims, key.private_key_pem, algorithm=JWT_ALGORITHM, headers={"kid": key.kid}
    )


def _token_request(registration: Registration, scopes: tuple[str, ...]) -> AccessToken:
    url = registration.auth_token_url
    started = time.monotonic()
    common: dict[str, Any] = {"method": "POST", "url": url}
    try:
        assertion = client_assertion(registration)
    except KeyFileMissing as error:
        # Our own configuration, not the platform's: no retry fixes it until an admin acts.
        raise AgsPermanentError(error.message, **common) from error
    data = {
        "grant_type": CLIENT_CREDENTIALS_GRANT,
        "client_assertion_type": CLIENT_ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": " ".join(scopes),
    }
    try:
        # requests sends a dict as application/x-www-form-urlencoded, the only body
        # Moodle's token.php accepts.
        response = requests.post(url, data=data, timeout=settings.LTI_HTTP_TIMEOUT_SECONDS)
    except requests.Timeout as error:
        raise AccessTokenUnavailable(
            _("Le service de jetons de la plateforme n'a pas répondu à temps."),
            duration_ms=_ms(started),
            **common,
        ) from error
    except requests.RequestException as error:
        raise AccessTokenUnavailable(
            _("Le service de jetons de la plateforme est injoignable : %(error)s.")
            % {"error": type(error).__name__},
            duration_ms=_ms(started),
            **common,
        ) from error
    return _token_from_response(response, scopes, duration_ms=_ms(started), common=common)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _token_from_response(
    response: requests.Response,
    scopes: tuple[str, ...],
    *,
    duration_ms: int,
    common: dict[str, Any],
) -> AccessToken:
    status = response.status_code
    meta = {"status_code": status, "body": response.text, "duration_ms": duration_ms, **common}
    if status == 429 or status >= 500:
        raise AccessTokenUnavailable(
            _("Le service de jetons de la plateforme est indisponible (%(status)s).")
            % {"status": status},
            **meta,
        )
    payload = _json_or_empty(response)
    if status != 200:
        oauth_error = str(payload.get("error") or "")
        detail = str(payload.get("error_description") or "") or body_excerpt(response.text)
        raise AccessTokenRefused(
            _(
                "La plateforme refuse de délivrer un jeton d'accès à Atelier (%(status)s) : "
                "« %(detail)s ». Vérifiez l'enregistrement de l'outil (clés publiques, "
                "client_id, services de notes activés)."
            )
            % {"status": status, "detail": detail[:300] or oauth_error},
            oauth_error=oauth_error,
            **meta,
        )
    value = payload.get("access_token")
    if not isinstance(value, str) or not value:
        raise AccessTokenRefused(
            _("La plateforme a répondu sans jeton d'accès (champ « access_token » absent)."),
            **meta,
        )
    expires_in = payload.get("expires_in", DEFAULT_EXPIRES_IN)
    if not isinstance(expires_in, int | float) or expires_in <= 0:
        expires_in = DEFAULT_EXPIRES_IN
    return AccessToken(value=value, scopes=scopes, expires_at=time.time() + float(expires_in))


def _json_or_empty(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _cached(key: str) -> AccessToken | None:
    entry = cache.get(key)
    if not isinstance(entry, dict) or entry.get("expires_at", 0) <= time.time():
        return None
    return AccessToken(
        value=entry["value"], scopes=tuple(entry["scopes"]), expires_at=entry["expires_at"]
    )


def _store(key: str, token: AccessToken) -> None:
    ttl = int(token.expires_at - time.time()) - EXPIRY_MARGIN_SECONDS
    if ttl <= 0:
        return  # a token living less than the margin is used once, not cached
    entry = {"value": token.value, "scopes": list(token.scopes), "expires_at": token.expires_at}
    cache.set(key, entry, timeout=ttl)


def access_token_get(*, registration: Registration, scopes: Iterable[str]) -> AccessToken:
    """A valid token for these scopes: from the cache, else one request for all waiters.

    Raises ``AccessTokenRefused`` (4xx, permanent) or ``AccessTokenUnavailable`` (timeouts,
    connection errors, 429, 5xx).
    """
    scope_key = _scope_key(scopes)
    key = _cache_key(registration, scope_key)
    token = _cached(key)
    if token is not None:
        return token
    wait = settings.LTI_HTTP_TIMEOUT_SECONDS + 2
    # Concurrent callers wait for the one fetching instead of each asking the platform.
    with cache_lock(key + ":lock", ttl=wait + 1, wait=wait):
        token = _cached(key)
        if token is not None:
            return token
        token = _token_request(registration, scope_key)
        _store(key, token)
        logger.info("access token obtained for registration %s", registration.pk)
        return token


def access_token_invalidate(
    *, registration: Registration, scopes: Iterable[str], token: AccessToken | None = None
) -> None:
    """Forget the cached token (after a 401). With ``token``, only if it is still that
    one, so a caller holding a stale token does not drop a fresh one fetched meanwhile."""
    key = _cache_key(registration, _scope_key(scopes))
    if token is not None:
        cached = _cached(key)
        if cached is not None and cached.value != token.value:
            return
    cache.delete(key)
