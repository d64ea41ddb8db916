"""Full LTI 1.3 launches per second against a running Atelier, through its built-in platform.

One launch is what a browser does when a person clicks an activity in Moodle:

1. POST the OIDC login initiation to the tool's ``/lti/login/``  → 302 to the platform;
2. GET the platform's auth endpoint (``/demo/auth/``)             → form with the id_token;
3. POST ``id_token`` + ``state`` to the tool's ``/lti/launch/``   → 303 to the landing page;
4. GET the landing page (for a trainer the course page, or the catalogue while the link
   is bound to no activity; for a student the activity page).

The login initiation fields come over HTTP from the built-in platform's own pages (the
"Lancer" buttons of ``/demo/`` and the auto-submitted form they open), read once at start:
they are signed for an hour and may be replayed; every launch gets a fresh state and nonce
from the tool. So the server must be set up for the same base URL first, by
``manage.py demo_setup --base-url URL --register`` (or ``--setup`` below, which runs that
command with this process's environment, hence the same ``DATABASE_URL``), or by the
demo start script.

Bounded: ``--count`` launches (plus ``--warmup`` unmeasured ones), ``--concurrency``
threads each with its own ``requests.Session``, ``--max-seconds`` in all. Loopback only.

Embedded demo (SQLite; expect far less than with PostgreSQL)::

    scripts/demo.sh &            # http://127.0.0.1:8000
    .venv/bin/python benchmarks/launch.py --base-url http://127.0.0.1:8000

Production-like, PostgreSQL + Redis + gunicorn (database ``atelier_bench`` made once with
``psql -h 127.0.0.1 -U postgres -c 'create database atelier_bench'``)::

    export ATELIER_MODE=production SECRET_KEY=bench ALLOWED_HOSTS=127.0.0.1 \\
        DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_bench \\
        REDIS_URL=redis://127.0.0.1:6379/1 ATELIER_DEMO=true DB_CONN_MAX_AGE=600
    .venv/bin/python manage.py migrate
    .venv/bin/gunicorn config.wsgi:application -b 127.0.0.1:8200 -w 4 &
    .venv/bin/python benchmarks/launch.py --base-url http://127.0.0.1:8200 --setup \\
        --count 3000 --concurrency 8

(``ATELIER_DEMO=true`` keeps the built-in platform in production mode: never on a real
site.) Prints launches/s, latency percentiles in ms (whole launch and per step) and the
errors met.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("login", "auth", "launch", "landing")


class FormReader(HTMLParser):
    """The first form with a given id: its action and its hidden inputs."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and values.get("id") == self.form_id and self.action is None:
            self.inside = True
            self.action = values.get("action", "")
        elif self.inside and tag == "input" and values.get("name"):
            self.fields[values["name"]] = values.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


class LaunchButtons(HTMLParser):
    """The demo course table: data-start URL of each "Lancer" button, by data-testid."""

    def __init__(self) -> None:
        super().__init__()
        self.starts: dict[str, str] = {}
        self.tool_status = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        test_id = values.get("data-testid", "")
        if test_id == "tool-status":
            self.tool_status = values.get("data-status", "")
        if tag == "a" and test_id.startswith("launch-") and values.get("data-start"):
            self.starts[test_id.removeprefix("launch-")] = values["data-start"]


def read_form(html: str, form_id: str, page_url: str) -> tuple[str, dict[str, str]]:
    reader = FormReader(form_id)
    reader.feed(html)
    if reader.action is None:
        raise LaunchError(f"no form #{form_id} in {page_url}: {html[:200]!r}")
    return urljoin(page_url, reader.action), reader.fields


class LaunchError(Exception):
    pass


@dataclass(frozen=True)
class LoginInitiation:
    label: str  # "<username>-<link id>"
    url: str
    fields: dict[str, str]


@dataclass
class Results:
    totals: list[float] = field(default_factory=list)
    steps: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, total: float, steps: dict[str, float]) -> None:
        with self.lock:
            self.totals.append(total)
            for name, value in steps.items():
                self.steps[name].append(value)

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors[message[:160]] += 1


def setup_server(base_url: str) -> None:
    """Run demo_setup with this process's environment (same DATABASE_URL as the server)."""
    command = [sys.executable, str(ROOT / "manage.py"), "demo_setup", "--base-url", base_url]
    subprocess.run([*command, "--register"], cwd=ROOT, check=True)  # noqa: S603


def login_initiations(session: requests.Session, base_url: str, who: str) -> list[LoginInitiation]:
    home = session.get(f"{base_url}/demo/", timeout=30)
    home.raise_for_status()
    buttons = LaunchButtons()
    buttons.feed(home.text)
    if buttons.tool_status != "active" or not buttons.starts:
        sys.exit(
            f"{base_url}/demo/ shows no active registered tool (status {buttons.tool_status!r}): "
            f"run `manage.py demo_setup --base-url {base_url} --register` or pass --setup."
        )
    chosen = []
    for label, start in sorted(buttons.starts.items()):
        trainer = label.startswith(("claire.martin-", "nadia.roussel-"))
        if who == "all" or (who == "trainers") == trainer:
            page = session.get(urljoin(home.url, start), timeout=30)
            page.raise_for_status()
            url, fields = read_form(page.text, "lti-login-initiation", page.url)
            chosen.append(LoginInitiation(label, url, fields))
    if not chosen:
        sys.exit(f"no launch button for --who {who} on {base_url}/demo/")
    return chosen


def expect(response: requests.Response, statuses: tuple[int, ...], step: str) -> None:
    if response.status_code not in statuses:
        raise LaunchError(f"{step}: HTTP {response.status_code} {response.text[:120]!r}")


def launch_once(
    session: requests.Session, login: LoginInitiation, timeout: float
) -> dict[str, float]:
    """One full launch; returns the seconds spent in each step."""
    times: dict[str, float] = {}
    start = time.perf_counter()
    response = session.post(login.url, data=login.fields, allow_redirects=False, timeout=timeout)
    expect(response, (302, 303), "login")
    auth_url = urljoin(login.url, response.headers["Location"])
    times["login"] = (now := time.perf_counter()) - start

    response = session.get(auth_url, allow_redirects=False, timeout=timeout)
    expect(response, (200,), "auth")
    launch_url, fields = read_form(response.text, "lti-auto-submit", auth_url)
    times["auth"] = (later := time.perf_counter()) - now

    response = session.post(launch_url, data=fields, allow_redirects=False, timeout=timeout)
    expect(response, (302, 303), "launch")
    landing_url = urljoin(launch_url, response.headers["Location"])
    times["launch"] = (now := time.perf_counter()) - later

    response = session.get(landing_url, allow_redirects=False, timeout=timeout)
    # 200 means the tool accepted the launch id; a refused one is a 4xx error page.
    expect(response, (200,), "landing")
    times["landing"] = time.perf_counter() - now
    return times


def run(
    logins: list[LoginInitiation],
    *,
    count: int,
    concurrency: int,
    timeout: float,
    deadline: float,
    results: Results,
) -> float:
    """``count`` launches over ``concurrency`` threads; returns the elapsed seconds."""
    tickets = itertools.count()
    tickets_lock = threading.Lock()

    def worker() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            with tickets_lock:
                ticket = next(tickets)
            if ticket >= count:
                return
            login = logins[ticket % len(logins)]
            started = time.perf_counter()
            try:
                steps = launch_once(session, login, timeout)
            except (LaunchError, requests.RequestException, KeyError) as error:
                results.fail(f"{type(error).__name__}: {error}")
                continue
            results.add(time.perf_counter() - started, steps)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def report(results: Results, elapsed: float, args: argparse.Namespace, kinds: int) -> int:
    done = len(results.totals)
    failed = sum(results.errors.values())
    print(f"\nbase URL     {args.base_url}")
    print(
        f"launches     {done} ok, {failed} failed, concurrency {args.concurrency}, "
        f"{kinds} (user, activity) pairs, --who {args.who}"
    )
    print(f"elapsed      {elapsed:.2f} s")
    print(f"throughput   {done / elapsed:.1f} launches/s ({4 * done / elapsed:.0f} requests/s)")
    if done:
        ms = [t * 1000 for t in results.totals]
        print(
            f"latency ms   p50 {percentile(ms, 50):.1f}   p95 {percentile(ms, 95):.1f}   "
            f"p99 {percentile(ms, 99):.1f}   max {max(ms):.1f}"
        )
        for step in STEPS:
            values = [t * 1000 for t in results.steps[step]]
            print(
                f"  {step:<10} mean {statistics.fmean(values):6.1f}   "
                f"p95 {percentile(values, 95):6.1f}   p99 {percentile(values, 99):6.1f}"
            )
    for message, times in results.errors.most_common(10):
        print(f"error ×{times}: {message}")
    return 1 if failed or not done else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--count", type=int, default=1000, help="measured launches (≤ 100000)")
    parser.add_argument("--concurrency", type=int, default=8, help="threads (≤ 64)")
    parser.add_argument("--warmup", type=int, default=40, help="unmeasured launches first")
    parser.add_argument("--who", choices=("all", "students", "trainers"), default="all")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="stop after this")
    parser.add_argument("--setup", action="store_true", help="run demo_setup --register first")
    args = parser.parse_args()
    args.base_url = args.base_url.rstrip("/")
    if not 1 <= args.count <= 100_000 or not 1 <= args.concurrency <= 64:
        parser.error("--count must be 1..100000 and --concurrency 1..64")

    if args.setup:
        setup_server(args.base_url)
    logins = login_initiations(requests.Session(), args.base_url, args.who)
    deadline = time.monotonic() + args.max_seconds
    if args.warmup:
        warmup = Results()
        run(
            logins,
            count=args.warmup,
            concurrency=args.concurrency,
            timeout=args.timeout,
            deadline=deadline,
            results=warmup,
        )
        for message, times in warmup.errors.most_common(5):
            print(f"warm-up error ×{times}: {message}")
    results = Results()
    elapsed = run(
        logins,
        count=args.count,
        concurrency=args.concurrency,
        timeout=args.timeout,
        deadline=deadline,
        results=results,
    )
    return report(results, elapsed, args, len(logins))


if __name__ == "__main__":
    sys.exit(main())
