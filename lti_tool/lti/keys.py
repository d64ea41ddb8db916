"""The tool's RSA keys: creation, JWKS, rotation with a grace period.

The private half is written to ``settings.LTI_KEYS_DIR/<kid>.pem`` (git-ignored, mode
0600) and never leaves it; the database holds the public JWK and the status. The kid is
the RFC 7638 JWK thumbprint, so it is stable and derived from the key itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lti_tool.core.exceptions import ApplicationError
from lti_tool.core.jwk import jwk_thumbprint, rsa_public_jwk
from lti_tool.lti.constants import JWT_ALGORITHM
from lti_tool.lti.models import ToolKey

logger = logging.getLogger(__name__)

RSA_KEY_SIZE = 2048


class KeyFileMissing(ApplicationError):
    status_code = 500
    code = "key_file_missing"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key_pem: bytes


def _keys_dir() -> Path:
    path = Path(settings.LTI_KEYS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write_private_key(kid: str, private_key: rsa.RSAPrivateKey) -> str:
    pem = private_key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    filename = f"{kid}.pem"
    path = _keys_dir() / filename
    path.write_bytes(pem)
    path.chmod(0o600)
    return filename


def _new_key_row(status: str) -> ToolKey:
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    jwk = rsa_public_jwk(private_key.public_key())
    kid = jwk_thumbprint(jwk)
    filename = _write_private_key(kid, private_key)
    public_jwk = {**jwk, "kid": kid, "alg": JWT_ALGORITHM, "use": "sig"}
    now = timezone.now()
    return ToolKey.objects.create(
        kid=kid,
        public_jwk=public_jwk,
        private_key_file=filename,
        status=status,
        activated_at=now if status == ToolKey.Status.ACTIVE else None,
    )


@transaction.atomic
def tool_key_create() -> ToolKey:
    """Create the first active key. Refuses when one is already active (use rotate)."""
    if ToolKey.objects.filter(status=ToolKey.Status.ACTIVE).exists():
        raise ApplicationError(
            "Une clé active existe déjà : utilisez la rotation pour en changer.",
            code="key_exists",
            status_code=409,
        )
    return _new_key_row(ToolKey.Status.ACTIVE)


def tool_key_ensure() -> ToolKey:
    """Return the active key, creating one on first run (the demo needs no manual step)."""
    key = ToolKey.objects.filter(status=ToolKey.Status.ACTIVE).first()
    if key is not None:
        return key
    try:
        return tool_key_create()
    except (IntegrityError, ApplicationError):
        # Another process created it at the same moment: the unique constraint on the
        # active status decided who won; use theirs.
        return ToolKey.objects.get(status=ToolKey.Status.ACTIVE)


@transaction.atomic
def tool_key_rotate(*, grace: timedelta | None = None) -> ToolKey:
    """Make a new key active; the previous one stays published until the grace ends."""
    grace = grace if grace is not None else timedelta(seconds=settings.LTI_KEY_GRACE_SECONDS)
    now = timezone.now()
    ToolKey.objects.select_for_update().filter(status=ToolKey.Status.ACTIVE).update(
        status=ToolKey.Status.GRACE, grace_until=now + grace
    )
    return _new_key_row(ToolKey.Status.ACTIVE)


@transaction.atomic
def tool_keys_retire_expired() -> int:
    """Retire keys whose grace period has ended; their private file is deleted."""
    expired = list(
        ToolKey.objects.select_for_update().filter(
            status=ToolKey.Status.GRACE, grace_until__lte=timezone.now()
        )
    )
    for key in expired:
        key.status = ToolKey.Status.RETIRED
        key.retired_at = timezone.now()
        key.save(update_fields=["status", "retired_at", "updated_at"])
        (_keys_dir() / key.private_key_file).unlink(missing_ok=True)
        logger.info("retired tool key %s", key.kid)
    return len(expired)


def tool_jwks() -> dict[str, list[dict[str, Any]]]:
    """Public JWKS: the active key and keys in their grace period, public parts only."""
    tool_key_ensure()
    keys = ToolKey.objects.filter(status__in=[ToolKey.Status.ACTIVE, ToolKey.Status.GRACE])
    public_members = ("kty", "e", "n", "kid", "alg", "use")
    return {
        "keys": [
            {m: key.public_jwk[m] for m in public_members} for key in keys.order_by("-created_at")
        ]
    }


def tool_signing_key() -> SigningKey:
    """The active key with its private PEM, for signing assertions and deep-link responses."""
    key = tool_key_ensure()
    path = _keys_dir() / key.private_key_file
    if not path.exists():
        raise KeyFileMissing(
            f"La clé privée {key.kid} est introuvable dans {_keys_dir()} : "
            "restaurez le dossier keys/ ou lancez « manage.py lti_keys rotate »."
        )
    return SigningKey(kid=key.kid, private_key_pem=path.read_bytes())
