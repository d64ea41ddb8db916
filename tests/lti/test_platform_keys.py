"""Platform JWKS: cached, fetched again once on an unknown kid, never on every launch."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.cache import cache

from lti_tool.core.jwk import rsa_public_jwk
from lti_tool.lti import platform_keys
from lti_tool.lti.errors import LaunchRefused, PlatformKeysUnavailable
from tests.lti.test_launch import _foreign_pem

pytestmark = pytest.mark.django_db


class KeySetServer:
    """A real HTTP server publishing a key set and counting how often it is fetched."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.hits = 0
        self.status = 200
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hits += 1
                body = json.dumps({"keys": owner.keys}).encode()
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, kid: str) -> None:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(_foreign_pem(), password=None)
        self.keys.append({**rsa_public_jwk(key.public_key()), "kid": kid, "alg": "RS256"})  # type: ignore[arg-type]


@pytest.fixture
def keyset() -> Iterator[KeySetServer]:
    cache.clear()
    server = KeySetServer()
    yield server
    server.server.shutdown()


def test_the_key_set_is_fetched_once_and_reused(keyset: KeySetServer) -> None:
    keyset.publish("k1")
    for _ in range(5):
        platform_keys.platform_public_key(key_set_url=keyset.url, kid="k1")
    assert keyset.hits == 1


def test_an_unknown_kid_triggers_one_refetch_that_finds_a_rotated_key(
    keyset: KeySetServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyset.publish("k1")
    platform_keys.platform_public_key(key_set_url=keyset.url, kid="k1")
    monkeypatch.setattr(platform_keys, "_REFETCH_MIN_SECONDS", 0)
    keyset.publish("k2")  # the platform rotated its key
    platform_keys.platform_public_key(key_set_url=keyset.url, kid="k2")
    assert keyset.hits == 2


def test_random_unknown_kids_do_not_refetch_on_every_launch(keyset: KeySetServer) -> None:
    keyset.publish("k1")
    platform_keys.platform_public_key(key_set_url=keyset.url, kid="k1")
    for attempt in range(5):
        with pytest.raises(LaunchRefused) as refused:
            platform_keys.platform_public_key(key_set_url=keyset.url, kid=f"random-{attempt}")
        assert refused.value.code == "kid_unknown"
    assert keyset.hits == 1


def test_a_key_published_for_another_algorithm_is_ignored(keyset: KeySetServer) -> None:
    keyset.publish("k1")
    keyset.keys[0]["alg"] = "RS512"
    with pytest.raises(LaunchRefused):
        platform_keys.platform_public_key(key_set_url=keyset.url, kid="k1")


def test_an_unreachable_key_set_is_a_clear_upstream_error(keyset: KeySetServer) -> None:
    keyset.status = 503
    with pytest.raises(PlatformKeysUnavailable) as error:
        platform_keys.platform_public_key(key_set_url=keyset.url, kid="k1")
    assert error.value.status_code == 502


def test_a_key_set_that_is_not_json_is_a_clear_upstream_error() -> None:
    with pytest.raises(PlatformKeysUnavailable):
        platform_keys.platform_public_key(key_set_url="http://127.0.0.1:9/closed", kid="k1")
