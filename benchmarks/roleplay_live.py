"""Live role-play session under a class's load: observers saving on their phones, everyone
polling for incidents, the trainer triggering incidents (issue 8; targets: p95 save
≤ 100 ms, incident delivery ≤ 3 s).

What it does (all on 127.0.0.1; what it starts it stops; bounded by ``--seconds``):

1. Configures Django with a production-like environment (PostgreSQL, Redis cache), runs
   the migrations and ``createcachetable``, and starts gunicorn on a free port (as
   ``passback.py``), unless ``--base-url`` names a server already running with the same
   ``DATABASE_URL``/``REDIS_URL``.
2. Sets up, through the project's own services: the built-in platform of that base URL
   (``demo_platform_setup``), the tool attached and registered (``passback.py``'s
   ``_tool_and_registration``), a fresh demo activity for this run carrying
   ``activity=premiers-pas-logement`` (Moodle's custom parameter), and demo people
   enrolled in the demo course: ``--observers`` observers and, per team (``--teams``),
   two co-animators (mandates ``bailleur`` and ``caf``) and two participants (cards
   ``lise-vautrin`` and ``farid-benali``).
3. Launches every one of them for real (OIDC login → the platform's auth → the tool's
   launch, over HTTP), then forms the teams and gives the roles as the trainer's teams
   screen does (rows; the observers spread over the teams, each with one of the brief's
   focuses), and the trainer starts every session from the console (HTTP POST).
4. For ``--seconds`` (default 300): each observer, in its own thread, saves a level (a
   criterion of its focus × a co-animator, or once for the team when the criterion is
   shared) or, one time in four, a note with a fresh UUID, every ``--pace`` seconds on
   average (exponential gaps), with the launch id and CSRF token in headers and
   ``Accept: application/json`` as ``observer.js`` sends them; every person polls the
   live page's fragment every 2 s as htmx does; the trainer polls each console every
   2 s; the script triggers the brief's three incidents of every team, spread over the
   run, from the console (HTTP POST).
5. Prints p50/p95/p99 of save latency (request sent → answer read, on the client),
   poll latency, and incident delivery delay: trigger request sent → the first poll
   of the recipient whose answer shows the incident. Errors by kind. Then stops the
   sessions and, without ``--keep``, deletes this run's teams.

It asserts nothing about timings (exit status 1 only when a save or a delivery failed).

Environment (defaults shown; the database must exist:
``psql -h 127.0.0.1 -U postgres -c 'create database atelier_bench'``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_bench
    REDIS_URL=redis://127.0.0.1:6379/14      # cache (launch store)

Examples::

    .venv/bin/python benchmarks/roleplay_live.py                   # 30 observers, 5 min
    .venv/bin/python benchmarks/roleplay_live.py --seconds 60 --pace 5
"""

from __future__ import annotations

import argparse
import atexit
import html
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from launch import LaunchError, LoginInitiation, expect, read_form
from passback import (
    LOCAL_HOSTS,
    ROOT,
    Children,
    _tool_and_registration,
    cpu_by_group,
    django_prepare,
    free_port,
    web_start,
)

SLUG = "premiers-pas-logement"
PREFIX = "bench.live."
MANDATES = ("bailleur", "caf")
CARDS = ("lise-vautrin", "farid-benali")
POLL_SECONDS = 2.0  # hx-trigger="every 2s"
HEADERS_RE = re.compile(r'(?:hx-headers|data-headers)="([^"]+)"')


# --- environment ------------------------------------------------------------------------


def bench_env() -> dict[str, str]:
    env = {
        "ATELIER_MODE": "production",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-not-a-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # The built-in platform in production mode: for this benchmark only, never a real site.
        "ATELIER_DEMO": "true",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/atelier_bench"
        ),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14"),
        "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "600"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
    }
    for name in ("DATABASE_URL", "REDIS_URL"):
        host = urlsplit(env[name]).hostname or ""
        if host not in LOCAL_HOSTS:
            sys.exit(f"{name} must point at 127.0.0.1 (got {host!r}): this benchmark stays local.")
    return env


# --- people, launches, teams --------------------------------------------------------------


@dataclass
class Person:
    username: str
    demo_user: Any
    launch_id: str = ""
    lti_user: Any = None
    session: requests.Session = field(default_factory=requests.Session)
    headers: dict[str, str] = field(default_factory=dict)  # launch id + CSRF, from the page
    team: int = 0
    seat: str = ""  # co_animator, participant, observer, trainer
    focus: str = ""


def people_make(platform: Any, course: Any, *, observers: int, teams: int) -> list[Person]:
    from lti_tool.demo.models import DemoEnrolment, DemoUser

    wanted: list[tuple[str, str, int]] = []
    for team in range(teams):
        wanted += [(f"{PREFIX}t{team}.anim{i}", "co_animator", team) for i in range(2)]
        wanted += [(f"{PREFIX}t{team}.part{i}", "participant", team) for i in range(2)]
    wanted += [(f"{PREFIX}obs{i:02d}", "observer", i % teams) for i in range(observers)]
    DemoUser.objects.bulk_create(
        [
            DemoUser(
                platform=platform,
                username=name,
                given_name="Banc",
                family_name=name.removeprefix(PREFIX),
                email=f"{name}@demo.atelier.test",
            )
            for name, _seat, _team in wanted
        ],
        ignore_conflicts=True,
    )
    users = {
        u.username: u
        for u in DemoUser.objects.filter(platform=platform, username__startswith=PREFIX)
    }
    DemoEnrolment.objects.bulk_create(
        [
            DemoEnrolment(course=course, user=users[n], role=DemoEnrolment.Role.LEARNER)
            for n, _s, _t in wanted
        ],
        ignore_conflicts=True,
    )
    return [Person(name, users[name], team=team, seat=seat) for name, seat, team in wanted]


def launch(person: Person, platform: Any, link: Any, timeout: float) -> None:
    """A full launch over HTTP, as a click in Moodle; keeps the launch id."""
    from lti_tool.demo.launch import login_initiation

    url, fields = login_initiation(platform=platform, user=person.demo_user, resource_link=link)
    login = LoginInitiation(person.username, url, fields)
    response = person.session.post(
        login.url, data=login.fields, allow_redirects=False, timeout=timeout
    )
    expect(response, (302, 303), "login")
    auth_url = urljoin(login.url, response.headers["Location"])
    response = person.session.get(auth_url, allow_redirects=False, timeout=timeout)
    expect(response, (200,), "auth")
    launch_url, form = read_form(response.text, "lti-auto-submit", auth_url)
    response = person.session.post(launch_url, data=form, allow_redirects=False, timeout=timeout)
    expect(response, (302, 303), "launch")
    person.launch_id = parse_qs(urlsplit(response.headers["Location"]).query)["launch"][0]


def page_headers(person: Person, url: str, timeout: float) -> None:
    """The launch id and CSRF token the page hands to htmx / observer.js."""
    response = person.session.get(
        url, headers={"X-Atelier-Launch": person.launch_id}, timeout=timeout
    )
    expect(response, (200,), f"page {url}")
    found = HEADERS_RE.search(response.text)
    if found is None:
        raise LaunchError(f"no launch headers in {url}")
    person.headers = json.loads(html.unescape(found.group(1)))


@dataclass
class Bench:
    base_url: str
    placement: Any
    brief: Any
    link_pk: int
    teams: list[Any]
    trainer: Person
    people: list[Person]

    def url(self, name: str, team: int, *extra: str) -> str:
        from django.urls import reverse

        return self.base_url + reverse(
            f"roleplays:{name}", args=[self.link_pk, self.teams[team].pk, *extra]
        )


def setup(base_url: str, *, observers: int, teams: int, timeout: float) -> Bench:
    from lti_tool.activities.placements import placement_bind_from_custom
    from lti_tool.activities.roleplays.access import brief_of, session_of
    from lti_tool.activities.roleplays.models import SessionRole, Team, TeamMember
    from lti_tool.activities.services import activities_load, roleplay_files
    from lti_tool.demo.models import DemoCourse, DemoResourceLink, DemoUser
    from lti_tool.demo.services import demo_platform_setup
    from lti_tool.lti.models import LtiUser, ResourceLink

    activities_load(paths=roleplay_files())
    platform = demo_platform_setup(base_url=base_url)
    tool, registration, _deployment = _tool_and_registration(platform, base_url)
    course = DemoCourse.objects.filter(platform=platform).order_by("pk").first()
    run = uuid.uuid4().hex[:6]
    link = DemoResourceLink.objects.create(
        course=course, tool=tool, title=f"Banc d'essai séance {run}", custom={"activity": SLUG}
    )
    trainer = Person(
        "claire.martin",
        DemoUser.objects.get(platform=platform, username="claire.martin"),
        seat="trainer",
    )
    people = people_make(platform, course, observers=observers, teams=teams)
    launch(trainer, platform, link, timeout)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda p: launch(p, platform, link, timeout), people))
    resource_link = ResourceLink.objects.get(
        context__deployment__registration=registration, resource_link_id=str(link.pk)
    )
    placement = placement_bind_from_custom(resource_link=resource_link)
    brief = brief_of(placement)
    by_sub = {u.sub: u for u in LtiUser.objects.filter(registration=registration)}
    for person in [trainer, *people]:
        person.lti_user = by_sub.get(str(person.demo_user.pk))
    missing = [p.username for p in people if p.lti_user is None]
    if missing:
        sys.exit(
            f"no tool-side user after launch for {missing[:3]}… (sub is not the demo user pk?)"
        )
    created = []
    focuses = [f.id for f in brief.observer_focuses]
    for number in range(teams):
        team = Team.objects.create(
            placement=placement, number=number + 1, name=f"Équipe {number + 1}"
        )
        created.append(team)
        session = session_of(team)
        members = [p for p in people if p.team == number]
        for mandate, person in zip(
            MANDATES, [p for p in members if p.seat == "co_animator"], strict=True
        ):
            TeamMember.objects.create(
                team=team, placement=placement, lti_user=person.lti_user, mandate_id=mandate
            )
        for card, person in zip(
            CARDS, [p for p in members if p.seat == "participant"], strict=True
        ):
            SessionRole.objects.create(
                session=session,
                lti_user=person.lti_user,
                role=SessionRole.Role.PARTICIPANT,
                card_id=card,
            )
        for index, person in enumerate(p for p in members if p.seat == "observer"):
            person.focus = focuses[index % len(focuses)]
            SessionRole.objects.create(
                session=session,
                lti_user=person.lti_user,
                role=SessionRole.Role.OBSERVER,
                focus_id=person.focus,
            )
    return Bench(base_url, placement, brief, resource_link.pk, created, trainer, people)


# --- the run ------------------------------------------------------------------------------


@dataclass
class Figures:
    saves: list[float] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)
    console_polls: list[float] = field(default_factory=list)
    triggers: list[float] = field(default_factory=list)
    triggered_at: dict[tuple[int, str], float] = field(default_factory=dict)
    delivered_after: dict[tuple[int, str], float] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per process group
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, bucket: list[float], seconds: float) -> None:
        with self.lock:
            bucket.append(seconds * 1000)

    def fail(self, what: str) -> None:
        with self.lock:
            self.errors[what[:160]] += 1


def post(person: Person, url: str, data: dict[str, str], timeout: float) -> requests.Response:
    return person.session.post(
        url,
        data=data,
        headers={**person.headers, "Accept": "application/json"},
        allow_redirects=False,
        timeout=timeout,
    )


def grid_items(bench: Bench, person: Person) -> list[tuple[str, str]]:
    """(criterion, subject) pairs of the observer's grid, as the page lists them."""
    focus = bench.brief.focus(person.focus)
    team = [p for p in bench.people if p.team == person.team and p.seat == "co_animator"]
    items = []
    for code in focus.criteria:
        criterion = bench.brief.criterion(code)
        subjects = ["equipe"] if criterion.shared else [str(p.lti_user.pk) for p in team]
        items += [(code, s) for s in subjects]
    return items


def observer_loop(
    bench: Bench,
    person: Person,
    figures: Figures,
    *,
    until: float,
    pace: float,
    timeout: float,
    seed: int,
) -> None:
    rng = random.Random(seed)
    items = grid_items(bench, person)
    grid_url, note_url = (
        bench.url("live_grid_save", person.team),
        bench.url("live_note_save", person.team),
    )
    next_save = time.monotonic() + rng.expovariate(1 / pace)
    count = 0
    while time.monotonic() < until:
        wait = next_save - time.monotonic()
        if wait > 0:
            time.sleep(min(wait, 0.5))
            continue
        count += 1
        if count % 4 == 0:
            url, data = (
                note_url,
                {
                    "client_id": str(uuid.uuid4()),
                    "text": f"Note {count} de {person.username}",
                    "noted_at": "",
                },
            )
        else:
            code, subject = rng.choice(items)
            url, data = (
                grid_url,
                {
                    "criterion": code,
                    "subject": subject,
                    "level": rng.choice(["0", "1", "2", "3", "4", "nsp"]),
                },
            )
        started = time.perf_counter()
        try:
            response = post(person, url, data, timeout)
            if response.status_code == 200:
                figures.add(figures.saves, time.perf_counter() - started)
            else:
                figures.fail(f"save HTTP {response.status_code}: {response.text[:100]}")
        except requests.RequestException as error:
            figures.fail(f"save {type(error).__name__}")
        next_save += rng.expovariate(1 / pace)


def poll_loop(
    bench: Bench,
    person: Person,
    figures: Figures,
    *,
    until: float,
    timeout: float,
    console: int | None = None,
) -> None:
    """htmx's ``every 2s``: one GET, then 2 s after the answer (htmx waits for it)."""
    url = (
        bench.url("console_poll", console)
        if console is not None
        else bench.url("live_poll", person.team)
    )
    bucket = figures.console_polls if console is not None else figures.polls
    time.sleep(random.random() * POLL_SECONDS)  # phones do not poll in step
    while time.monotonic() < until:
        sent = time.monotonic()
        started = time.perf_counter()
        try:
            response = person.session.get(
                url, headers={**person.headers, "HX-Request": "true"}, timeout=timeout
            )
        except requests.RequestException as error:
            figures.fail(f"poll {type(error).__name__}")
            time.sleep(POLL_SECONDS)
            continue
        figures.add(bucket, time.perf_counter() - started)
        if response.status_code != 200:
            figures.fail(f"poll HTTP {response.status_code}")
        elif console is None:
            for incident in bench.brief.incidents:
                key = (person.team, incident.id)
                if f'data-testid="incident-{incident.id}"' in response.text:
                    with figures.lock:
                        if key in figures.triggered_at and key not in figures.delivered_after:
                            figures.delivered_after[key] = sent - figures.triggered_at[key]
        time.sleep(POLL_SECONDS)


def trigger_loop(
    bench: Bench, figures: Figures, *, start: float, seconds: float, timeout: float
) -> None:
    """The brief's incidents of every team, spread over the run (the last at 80 %)."""
    plan = [
        (team, incident.id)
        for incident in bench.brief.incidents
        for team in range(len(bench.teams))
    ]
    for index, (team, incident_id) in enumerate(plan):
        at = start + seconds * 0.8 * (index + 0.5) / len(plan)
        time.sleep(max(0.0, at - time.monotonic()))
        sent = time.monotonic()
        with figures.lock:
            figures.triggered_at[(team, incident_id)] = sent
        started = time.perf_counter()
        response = post(
            bench.trainer, bench.url("live_incident_trigger", team, incident_id), {}, timeout
        )
        figures.add(figures.triggers, time.perf_counter() - started)
        if response.status_code != 200:
            figures.fail(f"trigger HTTP {response.status_code}: {response.text[:100]}")


def sessions(bench: Bench, action: str, timeout: float) -> None:
    for team in range(len(bench.teams)):
        response = post(bench.trainer, bench.url(action, team), {}, timeout)
        if response.status_code != 200:
            raise LaunchError(
                f"{action} team {team}: HTTP {response.status_code} {response.text[:200]}"
            )


def run(bench: Bench, args: argparse.Namespace, roots: dict[str, list[int]]) -> Figures:
    from django.db import connection

    figures = Figures()
    database = str(connection.settings_dict["NAME"])
    page_headers(bench.trainer, bench.url("console", 0), args.timeout)
    for person in bench.people:
        page_headers(person, bench.url("live", person.team), args.timeout)
    sessions(bench, "live_start", args.timeout)
    cpu_before = cpu_by_group(roots, database)
    start = time.monotonic()
    until = start + args.seconds
    threads = [
        threading.Thread(
            target=poll_loop,
            args=(bench, p, figures),
            kwargs={"until": until, "timeout": args.timeout},
            daemon=True,
        )
        for p in bench.people
    ]
    threads += [
        threading.Thread(
            target=poll_loop,
            args=(bench, bench.trainer, figures),
            kwargs={"until": until, "timeout": args.timeout, "console": team},
            daemon=True,
        )
        for team in range(len(bench.teams))
    ]
    threads += [
        threading.Thread(
            target=observer_loop,
            args=(bench, p, figures),
            kwargs={"until": until, "pace": args.pace, "timeout": args.timeout, "seed": index},
            daemon=True,
        )
        for index, p in enumerate(p for p in bench.people if p.seat == "observer")
    ]
    threads.append(
        threading.Thread(
            target=trigger_loop,
            args=(bench, figures),
            kwargs={"start": start, "seconds": args.seconds, "timeout": args.timeout},
            daemon=True,
        )
    )
    for thread in threads:
        thread.start()
    last = start
    while any(t.is_alive() for t in threads):
        time.sleep(1)
        if time.monotonic() - last >= 30:
            last = time.monotonic()
            print(f"  {last - start:5.0f} s: {len(figures.saves)} saves, {len(figures.polls)} polls, "
                  f"{len(figures.delivered_after)}/{len(figures.triggered_at)} incidents delivered", flush=True)  # fmt: skip
    cpu_after = cpu_by_group(roots, database)
    figures.cpu = {k: cpu_after[k] - cpu_before.get(k, 0) for k in cpu_after}
    sessions(bench, "live_stop", args.timeout)
    return figures


# --- report -----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def spread(label: str, values: list[float], unit: str = "ms") -> None:
    if not values:
        print(f"{label:<22} none")
        return
    print(
        f"{label:<22} n {len(values):6d}   p50 {percentile(values, 50):7.1f}   p95 {percentile(values, 95):7.1f}   "
        f"p99 {percentile(values, 99):7.1f}   max {max(values):7.1f} {unit}"
    )


def report(bench: Bench, figures: Figures, args: argparse.Namespace, setup_seconds: float) -> int:
    from lti_tool.activities.roleplays.models import GridEntry, ObserverNote

    observers = sum(p.seat == "observer" for p in bench.people)
    print(f"\nbase URL               {bench.base_url}")
    print(
        f"people                 {observers} observers, {len(bench.teams)} teams × (2 co-animators + 2 participants), 1 trainer"
    )
    print(
        f"run                    {args.seconds:.0f} s, a save every {args.pace:.0f} s per observer on average, polls every {POLL_SECONDS:.0f} s"
    )
    print(f"setup                  {setup_seconds:.1f} s (launches included)")
    load = os.getloadavg()
    print(
        f"machine                {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1/5/15 min) at the end"
    )
    spread("save latency", figures.saves)
    spread("poll latency", figures.polls)
    spread("console poll latency", figures.console_polls)
    spread("trigger latency", figures.triggers)
    delays = [d * 1000 for d in figures.delivered_after.values()]
    spread("incident delivery", delays)
    print(
        f"incidents              {len(figures.delivered_after)} delivered of {len(figures.triggered_at)} triggered"
    )
    print(
        f"rows                   {GridEntry.objects.filter(session__team__in=bench.teams).count()} grid entries, "
        f"{ObserverNote.objects.filter(session__team__in=bench.teams).count()} notes"
    )
    requests_count = (
        len(figures.saves) + len(figures.polls) + len(figures.console_polls) + len(figures.triggers)
    )
    if figures.cpu and requests_count:
        per = {k: v * 1000 / requests_count for k, v in figures.cpu.items()}
        print(
            f"CPU during the run      {', '.join(f'{k} {v:.0f} s' for k, v in figures.cpu.items())} "
            f"(other: the rest of the machine)"
        )
        print(
            f"CPU per request         web {per.get('web', 0):.1f} ms + PostgreSQL {per['postgres']:.1f} ms "
            f"+ Redis {per['redis']:.1f} ms ({requests_count} requests; the benchmark's own "
            f"clients: {per.get('bench', 0):.1f} ms)"
        )
    for message, times in figures.errors.most_common(10):
        print(f"error ×{times}: {message}")
    lost = len(figures.triggered_at) - len(figures.delivered_after)
    return 1 if figures.errors or lost else 0


def server_times(access_log: Path) -> None:
    """Time spent inside gunicorn's worker per kind of request (from its access log)."""
    kinds: dict[str, list[float]] = {"save": [], "poll": [], "console poll": [], "trigger": []}
    for line in access_log.read_text(errors="replace").splitlines():
        parts = line.split()
        if len(parts) != 3 or not parts[2].isdigit():
            continue
        path, micros = parts[0], int(parts[2]) / 1000
        if path.endswith(("/grille/", "/notes/")):
            kinds["save"].append(micros)
        elif path.endswith("/console/etat/"):
            kinds["console poll"].append(micros)
        elif path.endswith("/etat/"):
            kinds["poll"].append(micros)
        elif path.endswith("/declencher/"):
            kinds["trigger"].append(micros)
    print("in the web worker (gunicorn's request time, the accept queue excluded):")
    for kind, values in kinds.items():
        spread(f"  {kind}", values)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--observers", type=int, default=30)
    parser.add_argument("--teams", type=int, default=5, help="sessions the observers spread over")
    parser.add_argument("--seconds", type=float, default=300, help="length of the measured run")
    parser.add_argument(
        "--pace", type=float, default=10, help="mean seconds between two saves of an observer"
    )
    parser.add_argument("--web-workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument(
        "--base-url", default="", help="attach to a running server instead of starting gunicorn"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    parser.add_argument("--keep", action="store_true", help="keep this run's teams afterwards")
    args = parser.parse_args()
    if not (1 <= args.observers <= 200 and 1 <= args.teams <= 20 and 5 <= args.seconds <= 3600):
        parser.error("--observers 1..200, --teams 1..20, --seconds 5..3600")
    if args.web_workers < 2:
        parser.error("--web-workers must be at least 2 (the platform's pages call the tool)")
    if args.base_url:
        args.base_url = args.base_url.rstrip("/")
        if urlsplit(args.base_url).hostname not in LOCAL_HOSTS:
            parser.error("--base-url must be on 127.0.0.1")
    return args


def main() -> int:
    args = parse_args()
    env = bench_env()
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    log_dir = Path(tempfile.mkdtemp(prefix="atelier-bench-live-"))
    access_log = log_dir / "access.log"
    # gunicorn's own measure of each request (in the worker, accept queue excluded), to
    # tell the code's cost from the machine's queueing in the client's figures.
    env["GUNICORN_CMD_ARGS"] = (
        f"--access-logfile {access_log} --access-logformat '%(U)s %(s)s %(D)s'"
    )
    children = Children(log_dir=log_dir, env=env)
    atexit.register(children.stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"database {env['DATABASE_URL']}, redis {env['REDIS_URL']}, logs in {log_dir}")
    started = time.perf_counter()
    django_prepare()
    if args.base_url:
        base_url = args.base_url
    else:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        print(f"starting gunicorn on {base_url} ({args.web_workers} workers)", flush=True)
        web_start(children, port, args.web_workers)
    bench = setup(base_url, observers=args.observers, teams=args.teams, timeout=args.timeout)
    roots = {"bench": [os.getpid()], **{c.name: [c.process.pid] for c in children.items}}
    setup_seconds = time.perf_counter() - started
    print(f"setup done in {setup_seconds:.1f} s; running {args.seconds:.0f} s", flush=True)
    try:
        figures = run(bench, args, roots)
        status = report(bench, figures, args, setup_seconds)
        if not args.base_url:
            server_times(access_log)
        return status
    finally:
        if not args.keep:
            for team in bench.teams:
                team.delete()
        children.stop_all()


if __name__ == "__main__":
    sys.exit(main())
