"""Environment reading shared by every settings module.

Atelier runs in one of two modes, chosen by ``ATELIER_MODE``:

* ``embedded`` (the default): nothing installed but Python. SQLite, a database cache and
  a filesystem Celery broker, all under ``var/``; a secret key generated on first run.
* ``production``: PostgreSQL, Redis or RabbitMQ, several web processes and workers.
  Missing secrets stop the process at start-up instead of running half-configured.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

MODE = env.str("ATELIER_MODE", default="embedded")
if MODE not in {"embedded", "production"}:
    raise ImproperlyConfigured(f"ATELIER_MODE must be 'embedded' or 'production', not {MODE!r}.")
PRODUCTION = MODE == "production"

VAR_DIR = Path(env.str("ATELIER_VAR_DIR", default=str(BASE_DIR / "var")))


def require(name: str) -> str:
    """Read a variable that production cannot run without (fail fast, style rule 9)."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set when ATELIER_MODE=production (see .env.example)."
        )
    return value


def embedded_secret_key() -> str:
    """A per-machine secret for the embedded mode, kept out of git under var/."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()
