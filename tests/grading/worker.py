"""A real Celery worker process for the passback tests, on the real broker and database.

The worker runs in its own process with the test database's name, the same cache and a
queue of its own, so it sees the rows the live-server tests commit and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


REDIS_BROKER = "redis://127.0.0.1:6379/9"
RABBITMQ_BROKER = "amqp://guest:guest@127.0.0.1:5672//"


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def real_services_missing() -> str:
    """Why a worker test cannot run here ('' when it can)."""
    if connection.vendor != "postgresql":
        return "needs PostgreSQL (the worker process shares the test database)"
    if str(settings.CELERY_BROKER_URL).startswith("filesystem"):
        return "needs a real broker (REDIS_URL or CELERY_BROKER_URL)"
    if "RedisCache" not in settings.CACHES["default"]["BACKEND"]:
        return "needs a shared cache (REDIS_URL) for the access-token cache"
    return ""


class WorkerProcess:
    def __init__(self, *, queue: str, log_dir: Path, broker_url: str | None = None) -> None:
        self.queue = queue
        self.broker_url = broker_url
        self.log_path = log_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        db = connection.settings_dict
        env = dict(os.environ)
        env.update(
            DATABASE_URL=(
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
                f"{db['PORT'] or 5432}/{db['NAME']}"
            ),
            CELERY_QUEUE=self.queue,
            PASSBACK_BACKOFF_FIRST_SECONDS="0.3",
            PASSBACK_LEASE_SECONDS="3",
            PASSBACK_STUCK_AFTER_SECONDS="1",
            LTI_HTTP_TIMEOUT_SECONDS="2",
            LTI_KEYS_DIR=str(settings.LTI_KEYS_DIR),
            DB_CONN_MAX_AGE="0",
        )
        if self.broker_url:
            env["CELERY_BROKER_URL"] = self.broker_url
        return env

    def start(self) -> WorkerProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.queue,
                "-c",
                "2",
                "-P",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "ready." in self.log_path.read_text(errors="replace"):
                return
            assert self.process is not None and self.process.poll() is None, self.log()
            time.sleep(0.2)
        raise AssertionError(f"worker not ready:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and its children), like an OOM kill."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:]


def wait_until(
    check: Callable[[], bool], *, timeout: float = 60, what: str | Callable[[], str] = "condition"
) -> None:
    """Poll until ``check`` holds; ``what`` (or what it returns) explains a time-out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what() if callable(what) else what}")


@pytest.fixture
def worker(demo: Any, tmp_path: Path) -> Iterator[WorkerProcess]:
    """A worker on a queue of this test's own, with the test process publishing to it;
    skipped with the reason when PostgreSQL or a real broker is missing."""
    reason = real_services_missing()
    if reason:
        pytest.skip(reason)
    queue = f"atelier-test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    process = WorkerProcess(queue=queue, log_dir=tmp_path).start()
    yield process
    process.stop()
    celery_app.conf.task_default_queue = previous
