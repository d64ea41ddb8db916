"""RSA public keys as JWKs and their RFC 7638 thumbprints.

Shared by the tool's keys (lti/keys.py) and the built-in platform's (demo/crypto.py), which
may both import core/ but not each other (design.md §2).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa


def _b64url_uint(value: int) -> str:
    """RFC 7518 §6.3.1: an unsigned big-endian integer, base64url without padding."""
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def rsa_public_jwk(public_key: rsa.RSAPublicKey) -> dict[str, str]:
    """The required members of an RSA public JWK (RFC 7518 §6.3.1)."""
    numbers = public_key.public_numbers()
    return {"kty": "RSA", "e": _b64url_uint(numbers.e), "n": _b64url_uint(numbers.n)}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 §3: SHA-256 over the required members, sorted, without whitespace."""
    required = {name: jwk[name] for name in ("e", "kty", "n")}
    digest = hashlib.sha256(
        json.dumps(required, separators=(",", ":"), sort_keys=True).encode()
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
