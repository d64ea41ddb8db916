"""The tool's keys: creation on first use, RFC 7638 kids, rotation with a grace period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from lti_tool.lti.keys import (
    jwk_thumbprint,
    tool_jwks,
    tool_key_ensure,
    tool_key_rotate,
    tool_keys_retire_expired,
    tool_signing_key,
)
from lti_tool.lti.models import ToolKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def keys_dir(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    settings.LTI_KEYS_DIR = tmp_path / "keys"
    return settings.LTI_KEYS_DIR


def test_the_first_jwks_request_creates_a_key_automatically(client: Client, keys_dir: Path) -> None:
    assert not ToolKey.objects.exists()
    response = client.get("/lti/jwks/")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kid"] == ToolKey.objects.get().kid
    assert (keys_dir / f"{key['kid']}.pem").stat().st_mode & 0o077 == 0


def test_the_jwks_publishes_public_parts_only_with_cache_headers(client: Client) -> None:
    response = client.get("/.well-known/jwks.json")
    (key,) = response.json()["keys"]
    assert set(key) == {"kty", "e", "n", "kid", "alg", "use"}
    assert key["alg"] == "RS256" and key["use"] == "sig"
    assert "max-age=3600" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]


def test_the_kid_is_the_rfc7638_thumbprint_of_the_public_key() -> None:
    key = tool_key_ensure()
    assert key.kid == jwk_thumbprint(key.public_jwk)
    # RFC 7638 §3.1 worked example.
    example = {
        "kty": "RSA",
        "e": "AQAB",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
            "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
            "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI"
            "4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        ),
    }
    assert jwk_thumbprint(example) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_rotation_keeps_the_old_key_published_for_the_grace_period() -> None:
    old = tool_key_ensure()
    new = tool_key_rotate(grace=timedelta(hours=1))
    assert tool_signing_key().kid == new.kid
    assert {k["kid"] for k in tool_jwks()["keys"]} == {old.kid, new.kid}
    assert tool_keys_retire_expired() == 0


def test_a_key_retires_when_its_grace_period_ends(keys_dir: Path) -> None:
    old = tool_key_ensure()
    new = tool_key_rotate(grace=timedelta(hours=1))
    ToolKey.objects.filter(pk=old.pk).update(grace_until=timezone.now() - timedelta(seconds=1))
    assert tool_keys_retire_expired() == 1
    assert [k["kid"] for k in tool_jwks()["keys"]] == [new.kid]
    assert not (keys_dir / old.private_key_file).exists()
    assert ToolKey.objects.get(pk=old.pk).status == ToolKey.Status.RETIRED


def test_the_signing_key_verifies_against_the_published_jwks() -> None:
    signing = tool_signing_key()
    token = jwt.encode(
        {"iss": "atelier"}, signing.private_key_pem, algorithm="RS256", headers={"kid": signing.kid}
    )
    (jwk,) = tool_jwks()["keys"]
    assert jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"])["iss"] == "atelier"


def test_the_keys_command_creates_lists_and_rotates(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("lti_keys", "create")
    call_command("lti_keys", "rotate", "--grace-hours", "2")
    call_command("lti_keys", "list")
    out = capsys.readouterr().out
    assert "active" in out and "grace" in out


def test_creating_a_second_active_key_is_refused_with_a_clear_message() -> None:
    call_command("lti_keys", "create")
    with pytest.raises(Exception, match="rotation"):
        call_command("lti_keys", "create")
