"""Access tokens for AGS: client assertion, cache, refresh, refusals (Security Framework §4.1),
against the built-in platform's token endpoint over HTTP."""

from __future__ import annotations

import threading
import time
from typing import Any

import jwt
import pytest
import requests
from django.core.cache import cache

from lti_tool.demo.faults import demo_fault_set
from lti_tool.demo.models import DemoAccessToken
from lti_tool.lti import access_tokens
from lti_tool.lti.access_tokens import (
    access_token_get,
    access_token_invalidate,
    client_assertion,
)
from lti_tool.lti.ags import AccessTokenRefused, AccessTokenUnavailable, AgsPermanentError
from lti_tool.lti.ags.client import line_item_get
from lti_tool.lti.constants import AGS_SCOPES, Scope
from lti_tool.lti.keys import tool_signing_key
from tests.lti.ags_fixtures import (
    AGS_TEST_MARKS,
    launch,
    tokens_issued,
)

pytestmark = AGS_TEST_MARKS


def test_client_assertion_names_the_active_kid_and_is_dated_a_few_seconds_back(demo: Any):
    before = int(time.time())
    assertion = client_assertion(demo.registration)
    header = jwt.get_unverified_header(assertion)
    assert header["kid"] == tool_signing_key().kid
    assert header["alg"] == "RS256"
    jwks = requests.get(demo.absolute("/lti/jwks/"), timeout=10).json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    claims = jwt.decode(
        assertion,
        jwt.PyJWK(key).key,
        algorithms=["RS256"],
        audience=demo.registration.auth_token_url,
    )
    assert claims["iss"] == claims["sub"] == demo.registration.client_id
    assert claims["iat"] < before  # Moodle has no clock-skew tolerance
    assert claims["exp"] == claims["iat"] + 300
    assert (
        claims["jti"]
        != jwt.decode(client_assertion(demo.registration), options={"verify_signature": False})[
            "jti"
        ]
    )


def test_the_assertion_audience_follows_an_explicit_token_audience(demo: Any):
    demo.registration.auth_audience = "https://moodle.example/token-audience"
    claims = jwt.decode(client_assertion(demo.registration), options={"verify_signature": False})
    assert claims["aud"] == "https://moodle.example/token-audience"


def test_two_ags_calls_cost_a_single_token_request(demo: Any):
    launched = launch(demo)
    before = tokens_issued(demo)
    line_item_get(demo.registration, launched.resource_link.ags_lineitem_url)
    line_item_get(demo.registration, launched.resource_link.ags_lineitem_url)
    assert tokens_issued(demo) == before + 1
    token = DemoAccessToken.objects.get(tool=demo.tool)
    assert sorted(token.scopes) == sorted(str(s) for s in AGS_SCOPES)


def test_the_cache_holds_the_token_until_a_minute_before_it_expires(demo: Any):
    token = access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    assert 3500 < token.expires_at - time.time() <= 3600
    # Same scope set in another order: the same cache entry.
    again = access_token_get(registration=demo.registration, scopes=reversed(AGS_SCOPES))
    assert again.value == token.value
    other = access_token_get(registration=demo.registration, scopes=[Scope.AGS_SCORE])
    assert other.value != token.value
    assert tokens_issued(demo) == 2


def test_concurrent_callers_share_one_token_request(demo: Any, settings: Any):
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        # Threads on the in-memory SQLite test database lock its cache table; a process
        # memory cache keeps the same add/get semantics for this test.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    values: list[str] = []
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            values.append(access_token_get(registration=demo.registration, scopes=AGS_SCOPES).value)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    assert len(set(values)) == 1
    assert tokens_issued(demo) == 1


def test_invalidating_a_stale_token_keeps_a_fresh_one_fetched_meanwhile(demo: Any):
    first = access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    access_token_invalidate(registration=demo.registration, scopes=AGS_SCOPES, token=first)
    second = access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    assert second.value != first.value
    access_token_invalidate(registration=demo.registration, scopes=AGS_SCOPES, token=first)
    assert access_token_get(registration=demo.registration, scopes=AGS_SCOPES) == second
    assert tokens_issued(demo) == 2


def test_a_refused_token_request_carries_the_platforms_words(demo: Any):
    demo.registration.client_id = "client-inconnu"
    with pytest.raises(AccessTokenRefused) as caught:
        access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    error = caught.value
    assert error.status_code == 400
    assert error.oauth_error == "invalid_client"
    assert "client_id" in error.message  # the platform's error_description, quoted
    assert not error.retryable
    assert error.duration_ms >= 0


def test_a_token_refusal_switched_on_at_the_platform_is_permanent(demo: Any):
    demo_fault_set(platform=demo.platform, kind="token_refuse", count=1)
    with pytest.raises(AccessTokenRefused) as caught:
        access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    assert caught.value.status_code == 400
    # The next request is served again, and nothing refused was cached.
    assert access_token_get(registration=demo.registration, scopes=AGS_SCOPES).value


def test_an_unavailable_token_endpoint_is_transient(demo: Any):
    demo_fault_set(platform=demo.platform, kind="token_refuse", count=1, status=503)
    with pytest.raises(AccessTokenUnavailable) as caught:
        access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    assert caught.value.status_code == 503
    assert caught.value.retryable


def test_an_unreachable_token_endpoint_is_transient(demo: Any):
    demo.registration.auth_token_url = "http://127.0.0.1:9/token/"
    with pytest.raises(AccessTokenUnavailable) as caught:
        access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    assert caught.value.status_code is None
    assert caught.value.retryable


def test_the_token_cache_key_depends_on_registration_and_scopes_only(demo: Any):
    access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    key = access_tokens._cache_key(demo.registration, access_tokens._scope_key(AGS_SCOPES))
    assert cache.get(key)["value"]


def test_a_missing_private_key_file_is_a_permanent_error_naming_the_fix(
    demo: Any, settings: Any, tmp_path: Any
):
    tool_signing_key()  # the active key exists, in the usual folder
    settings.LTI_KEYS_DIR = str(tmp_path)  # ... but not where the worker looks
    with pytest.raises(AgsPermanentError) as caught:
        access_token_get(registration=demo.registration, scopes=AGS_SCOPES)
    assert "lti_keys rotate" in caught.value.message
    assert caught.value.status_code is None
    assert tokens_issued(demo) == 0
