"""Fixtures for tests that talk to the built-in platform (lti_tool/demo) over HTTP.

The tool's part is played by the real tool: its JWKS is served by the live server at
/lti/jwks/ and its client assertions are signed with its active key.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
import requests
from django.core.cache import cache

from lti_tool.demo.constants import CLIENT_ASSERTION_TYPE, SUPPORTED_SCOPES
from lti_tool.demo.models import DemoPlatform, DemoTool
from lti_tool.demo.selectors import platform_token_url
from lti_tool.demo.services import demo_platform_setup, demo_tool_attach
from lti_tool.lti.keys import tool_signing_key


@pytest.fixture
def demo_platform(live_server: Any, transactional_db: None) -> Iterator[DemoPlatform]:
    """The platform of the live server, with its course, people, activities, line items.

    Every test gets a new platform key at the same URL (the live server's port lives for
    the session): the tool's cached copies of the platform's key set are dropped before
    and after, so that no test inherits or leaves a stale one.
    """
    cache.clear()
    yield demo_platform_setup(base_url=live_server.url)
    cache.clear()


@pytest.fixture
def demo_tool(demo_platform: DemoPlatform, live_server: Any) -> DemoTool:
    """The tool recorded on the platform as an admin would by hand (active, all scopes)."""
    return demo_tool_attach(platform=demo_platform, tool_base_url=live_server.url)


@pytest.fixture
def client_assertion(demo_tool: DemoTool) -> Callable[..., str]:
    """Sign a client assertion with the tool's real key; any claim can be overridden
    (pass a value of None to drop it)."""

    def sign(*, kid: str | None = None, **overrides: Any) -> str:
        key = tool_signing_key()
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": demo_tool.client_id,
            "sub": demo_tool.client_id,
            "aud": platform_token_url(demo_tool.platform),
            # Moodle tolerates no clock skew: iat a few seconds in the past.
            "iat": now - 5,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        }
        claims.update(overrides)
        claims = {name: value for name, value in claims.items() if value is not None}
        return jwt.encode(
            claims, key.private_key_pem, algorithm="RS256", headers={"kid": kid or key.kid}
        )

    return sign


@pytest.fixture
def demo_token(demo_tool: DemoTool, client_assertion: Callable[..., str]) -> Callable[..., str]:
    """Get an access token from /demo/token/ over HTTP for the given scopes (all by default)."""

    def fetch(*scopes: str) -> str:
        response = requests.post(
            platform_token_url(demo_tool.platform),
            data={
                "grant_type": "client_credentials",
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": client_assertion(),
                "scope": " ".join(scopes or [str(s) for s in SUPPORTED_SCOPES]),
            },
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    return fetch
