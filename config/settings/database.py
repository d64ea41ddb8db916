"""Database: SQLite under var/ when embedded, ``DATABASE_URL`` (PostgreSQL) otherwise.

https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
"""

from __future__ import annotations

from config.env import PRODUCTION, VAR_DIR, env, require

if PRODUCTION:
    DATABASES = {"default": env.db_url_config(require("DATABASE_URL"))}
elif env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "atelier.sqlite3",
            # Several processes (web, worker, beat) share the file: wait on locks
            # rather than failing with "database is locked".
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
