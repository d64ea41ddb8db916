"""Run the demo's processes together: web server, Celery worker with beat, then setup.

Started by ``scripts/demo.sh`` once the venv, the database and the key exist. Each child
runs in its own process group so that Ctrl-C reaches this supervisor only; it then asks
every child to stop (SIGTERM), waits a little, and kills what is left. If one child dies,
the others are stopped too, and the exit status says so.

Environment: ``HOST`` (127.0.0.1), ``PORT`` (8000), ``WEB_CONCURRENCY`` (3 gunicorn
workers), ``WEB_THREADS`` (4 threads each), ``ATELIER_WEB=runserver`` to use Django's development server instead of
gunicorn, ``CELERY_CONCURRENCY`` (2).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
# Celery's warm shutdown takes several seconds with the filesystem broker.
STOP_GRACE_SECONDS = 20.0
WEB_START_TIMEOUT_SECONDS = 60.0


def log(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def port_taken(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
    except OSError:
        return False
    return True


def web_command(host: str, port: int) -> list[str]:
    if os.environ.get("ATELIER_WEB") == "runserver":
        return [PYTHON, "manage.py", "runserver", "--noreload", f"{host}:{port}"]
    return [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        os.environ.get("WEB_CONCURRENCY", "3"),
        # Threads, because the tool calls the built-in platform on this same server (its
        # JWKS, its registration endpoint): with one request per worker, a few concurrent
        # launches on a cold key-set cache would take every worker and wait on themselves.
        "--threads",
        os.environ.get("WEB_THREADS", "4"),
        "--graceful-timeout",
        "5",
        "--access-logfile",
        "-",
        # Path without the query string: launch ids and registration tokens stay out of logs.
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s %(M)sms',
    ]


def worker_command() -> list[str]:
    # The filesystem broker has no broadcast: no gossip, mingle or heartbeat.
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--beat",
        "--loglevel",
        "info",
        "--concurrency",
        os.environ.get("CELERY_CONCURRENCY", "2"),
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]


class Supervisor:
    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = False

    def start(self, name: str, command: list[str]) -> None:
        log(f"Starting {name}: {' '.join(command)}")
        # Our own venv binaries with fixed arguments.
        self.children[name] = subprocess.Popen(command, cwd=ROOT, start_new_session=True)  # noqa: S603

    def dead_child(self) -> str | None:
        for name, process in self.children.items():
            if process.poll() is not None:
                return name
        return None

    def stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        log("Stopping…")
        # Only the leaders: gunicorn's master and Celery's main process stop their own
        # workers (a signal to the whole group would kill Celery's pool mid-task).
        for process in self.children.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in self.children.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} did not stop in {STOP_GRACE_SECONDS:.0f} s: killing it")
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log("Stopped.")

    def wait_for_web(self, url: str) -> bool:
        deadline = time.monotonic() + WEB_START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.dead_child():
                return False
            try:
                with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http URL)
                    return True
            except urllib.error.HTTPError:
                return True  # it answers, whatever it says
            except OSError:
                time.sleep(0.3)
        return False


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    base_url = f"http://{host}:{port}"
    if port_taken(host, port):
        print(
            f"Port {port} on {host} is already in use. Stop what runs there or choose another "
            f"port: PORT={port + 1} scripts/demo.sh",
            file=sys.stderr,
        )
        return 1

    supervisor = Supervisor()

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        supervisor.start("web", web_command(host, port))
        supervisor.start("celery worker + beat", worker_command())
        if not supervisor.wait_for_web(f"{base_url}/lti/jwks/"):
            log("The web server did not start: see the messages above.")
            return 1
        log("Setting up the built-in platform and registering Atelier with it")
        setup = subprocess.run(  # noqa: S603 (our own interpreter and manage.py)
            [PYTHON, "manage.py", "demo_setup", "--base-url", base_url, "--register"],
            cwd=ROOT,
            check=False,
        )
        if setup.returncode != 0:
            log("demo_setup failed: see the message above (the server keeps running).")
        print(
            "\n"
            f"  Atelier is running.  Open  {base_url}/demo/  (built-in LTI platform)\n"
            f"  Gradebook: {base_url}/demo/gradebook/   Tool JWKS: {base_url}/lti/jwks/\n"
            "  Staff screens need an account: .venv/bin/python manage.py createsuperuser\n"
            "  Press Ctrl-C to stop.\n",
            flush=True,
        )
        while True:
            dead = supervisor.dead_child()
            if dead:
                code = supervisor.children[dead].returncode
                log(f"{dead} exited with status {code}: stopping the others.")
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
