"""Celery: Redis or RabbitMQ by ``CELERY_BROKER_URL``/``REDIS_URL``; a filesystem broker
that needs no server when embedded.

https://docs.celeryq.dev/en/stable/userguide/configuration.html
"""

from __future__ import annotations

from config.env import PRODUCTION, VAR_DIR, env, require
from config.settings.cache import REDIS_URL

_broker = env.str("CELERY_BROKER_URL", default="") or REDIS_URL
if PRODUCTION and not _broker:
    _broker = require("CELERY_BROKER_URL")

if _broker:
    CELERY_BROKER_URL = _broker
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
else:
    # kombu's filesystem transport: a folder of message files, good for one machine.
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    _processed_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        # Broadcast (remote control) messages, else kombu writes ./control/ in the cwd.
        "control_folder": str(VAR_DIR / "celery" / "control"),
        "store_processed": False,
    }

# One queue name per deployment (and per test run, so a test worker never eats another
# run's messages).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="atelier")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only once done, and re-queued if its worker dies: safe because
# every task is idempotent (design.md §5.4).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    # design.md §5.4: rows stuck in pending/sending are sent again, so a lost message or a
    # killed worker never loses a grade.
    "grading-passback-sweep": {
        "task": "grading.passback_sweep",
        "schedule": 60.0,
    },
    "lti-retire-expired-keys": {
        "task": "lti.keys_retire_expired",
        "schedule": 3600.0,
    },
    # Course rosters (NRPS) of courses launched in the last 30 days, so that trainers see
    # who has not started without having to ask (lti/roster.py).
    "lti-roster-sync-recent": {
        "task": "lti.roster_sync_recent",
        "schedule": 6 * 3600.0,
    },
}

# Passback retry policy (design.md §5.3). Tests shorten these to keep fault tests fast.
PASSBACK_BACKOFF_FIRST_SECONDS = env.float("PASSBACK_BACKOFF_FIRST_SECONDS", default=15.0)
PASSBACK_LEASE_SECONDS = env.float("PASSBACK_LEASE_SECONDS", default=120.0)
# A pending row this far past due is presumed lost (broker restart) and published again.
PASSBACK_STUCK_AFTER_SECONDS = env.float("PASSBACK_STUCK_AFTER_SECONDS", default=600.0)
