"""Server-side stores for the OIDC handshake and for launches, keyed by opaque values.

Moodle shows the tool in a cross-site iframe where third-party cookies are lost
(shared/moodle.md, "Container"), so nothing here rides on a cookie: the OIDC ``state`` is
the key of the login record, and after the launch the browser carries an opaque launch id.
The store is Django's cache (Redis in production, a database table when embedded), which
every web process shares.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

_STATE_PREFIX = "lti:state:"
_NONCE_PREFIX = "lti:nonce-used:"
_LAUNCH_PREFIX = "lti:launch:"


@dataclass(frozen=True)
class LoginState:
    """What the login step promised, checked by the launch step (OIDC Core §3.2.2.5)."""

    nonce: str
    registration_id: int
    target_link_uri: str


def login_state_save(*, registration_id: int, target_link_uri: str) -> tuple[str, LoginState]:
    state = secrets.token_urlsafe(32)
    record = LoginState(
        nonce=secrets.token_urlsafe(32),
        registration_id=registration_id,
        target_link_uri=target_link_uri,
    )
    cache.set(_STATE_PREFIX + state, asdict(record), timeout=settings.LTI_STATE_TTL_SECONDS)
    return state, record


def login_state_pop(state: str) -> LoginState | None:
    """Return the login record and forget it: a state answers one launch only."""
    key = _STATE_PREFIX + state
    data = cache.get(key)
    if data is None:
        return None
    cache.delete(key)
    return LoginState(**data)


def nonce_consume(nonce: str) -> bool:
    """Mark a nonce used; False when it was used before (replay). ``add`` is atomic."""
    ttl = settings.LTI_STATE_TTL_SECONDS + 2 * settings.LTI_CLOCK_LEEWAY_SECONDS + 120
    return bool(cache.add(_NONCE_PREFIX + nonce, 1, timeout=ttl))


def launch_save(data: dict[str, Any]) -> str:
    launch_id = secrets.token_urlsafe(24)
    cache.set(_LAUNCH_PREFIX + launch_id, data, timeout=settings.LTI_LAUNCH_TTL_SECONDS)
    return launch_id


def launch_load(launch_id: str) -> dict[str, Any] | None:
    if not launch_id or len(launch_id) > 64:
        return None
    data = cache.get(_LAUNCH_PREFIX + launch_id)
    return data if isinstance(data, dict) else None
