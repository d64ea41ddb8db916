"""Platform public keys: fetched from the registration's JWKS URL, cached, and fetched
again once when a token names a kid we have not seen (the platform rotated its key).

LTI Security Framework §6.3 (key set URL) and §6.4 (rotation). An unknown kid may come
from an attacker too: a refetch happens at most once per ``_REFETCH_MIN_SECONDS`` per URL,
so random kids cannot turn every launch into an outgoing request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from jwt import PyJWK
from jwt.exceptions import PyJWKError

from lti_tool.lti.constants import JWT_ALGORITHM
from lti_tool.lti.errors import LaunchRefused, PlatformKeysUnavailable

logger = logging.getLogger(__name__)

_REFETCH_MIN_SECONDS = 30


def _cache_key(url: str) -> str:
    return "lti:jwks:" + hashlib.sha256(url.encode()).hexdigest()


def _fetch(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=settings.LTI_HTTP_TIMEOUT_SECONDS)
        response.raise_for_status()
        keyset = response.json()
    except (requests.RequestException, ValueError) as error:
        logger.warning("platform JWKS %s unavailable: %s", url, error)
        raise PlatformKeysUnavailable(extra={"url": url}) from error
    if not isinstance(keyset, dict) or not isinstance(keyset.get("keys"), list):
        raise PlatformKeysUnavailable(extra={"url": url})
    entry = {"keys": keyset["keys"], "fetched_at": time.time()}
    cache.set(_cache_key(url), entry, timeout=settings.LTI_PLATFORM_JWKS_TTL_SECONDS)
    return entry


def _find(keys: list[Any], kid: str) -> dict[str, Any] | None:
    for key in keys:
        if not isinstance(key, dict) or key.get("kid") != kid:
            continue
        # A key published for another use or algorithm must not verify our tokens.
        if key.get("kty") != "RSA" or key.get("alg", JWT_ALGORITHM) != JWT_ALGORITHM:
            continue
        if key.get("use", "sig") != "sig":
            continue
        return key
    return None


def platform_public_key(*, key_set_url: str, kid: str) -> PyJWK:
    entry = cache.get(_cache_key(key_set_url)) or _fetch(key_set_url)
    jwk = _find(entry["keys"], kid)
    if jwk is None and time.time() - entry["fetched_at"] >= _REFETCH_MIN_SECONDS:
        entry = _fetch(key_set_url)
        jwk = _find(entry["keys"], kid)
    if jwk is None:
        raise LaunchRefused("kid_unknown", kid=kid, url=key_set_url)
    try:
        return PyJWK(jwk, algorithm=JWT_ALGORITHM)
    except PyJWKError as error:
        raise LaunchRefused("kid_unknown", kid=kid, url=key_set_url) from error
