"""Cache: Redis when ``REDIS_URL`` is set, else a database table shared by every process.

The OIDC state/nonce store and the launch store live in this cache, so it must be
shared between web processes (a per-process LocMemCache would break launches).
"""

from __future__ import annotations

from config.env import env

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="atelier"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "atelier_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
