"""Grade passback drain: how fast the outbox reaches the built-in platform's gradebook.

What it does (all on 127.0.0.1, everything it starts it stops, bounded by ``--timeout``):

1. Configures Django with a production-like environment (PostgreSQL, Redis cache and
   broker, a queue of its own) and runs the migrations and ``createcachetable``.
2. Starts gunicorn on a free port (the tool and the built-in platform under ``/demo/``
   are the same Django site), unless ``--base-url`` names a server already running with
   the same ``DATABASE_URL``/``REDIS_URL``.
3. Sets up, idempotently and through the project's own services: the platform of that
   base URL (``demo_platform_setup``), the tool attached to it (``demo_tool_attach``) with
   the tool-side Registration and active Deployment (as ``tests/conftest.py`` does),
   ``--students`` learners enrolled in the demo course, ``--links`` activities each with
   the grade column Moodle creates with an activity, and the tool-side rows a launch of
   each (student, activity) would create (``launch_record`` / ``lti_user_upsert`` fed
   with exactly the claims the platform signs, ``demo.launch.id_token_claims``).
4. Starts ``--workers`` Celery worker processes (prefork, ``--concurrency`` each) on the
   run's queue, idle at first.
5. Schedules students × links × domains final results through
   ``grading.services.assessment_create`` + ``assessment_grade`` (a scenario: final at
   once, one Passback per domain, enqueued after commit) — the workers are idle, so this
   is a backlog; ``--live`` lets them consume while results are being scheduled.
6. Lets the workers consume (``add_consumer``) and measures until every Passback of the
   run is sent or ``--timeout``: drain rate overall and per window, latency
   created → sent, token requests, PassbackAttempts and retries, 409s, CPU seconds per
   process group. The periodic sweep (``passbacks_stuck_requeue``) runs every
   ``--sweep-seconds`` as celery beat would in production.
7. Checks integrity: 0 lost (every Passback sent), 0 duplicates (one DemoGrade per
   (line item, user), one tool-created line item per (link, non-primary domain), the
   primary domain on the activity's own column, as many accepted score POSTs as results),
   every DemoGrade equal to its result's score.
8. Stops what it started and, without ``--keep``, deletes what it created.

``--faults`` runs with the platform's fault switches: 10 % of AGS calls answer 503 and a
few 429 (both with Retry-After: 1), the token endpoint down for the first token requests,
then, at 40 % sent, the platform revokes its tokens (AGS answers 401) while the token
endpoint is down again; faults are cleared at 80 % sent (the platform recovers).

It prints figures; it asserts nothing about timings (exit status 1 only when a grade is
lost, duplicated or wrong, or the drain timed out).

Environment (defaults shown; the database must exist:
``psql -h 127.0.0.1 -U postgres -c 'create database atelier_bench'``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_bench
    REDIS_URL=redis://127.0.0.1:6379/14      # cache and broker
    CELERY_QUEUE=atelier-bench-<random>     # always a fresh queue per run

Examples::

    .venv/bin/python benchmarks/passback.py                       # 500 × 5 × 4 = 10 000
    .venv/bin/python benchmarks/passback.py --faults
    .venv/bin/python benchmarks/passback.py --students 100 --links 2 --workers 1
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
DOMAINS_MAX = 4  # DECESF 2018: DC1–DC4
ACTIVITY_PREFIX = "Banc d'essai passback"
STUDENT_PREFIX = "bench.passback."


# --- environment and processes ----------------------------------------------------------


def bench_env(args: argparse.Namespace) -> dict[str, str]:
    """The environment of the benchmark, the web server and the workers (one and the same)."""
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
        "CELERY_QUEUE": f"atelier-bench-{uuid.uuid4().hex[:8]}",
        "DB_CONN_MAX_AGE": os.environ.get("DB_CONN_MAX_AGE", "600"),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "PASSBACK_BACKOFF_FIRST_SECONDS": str(args.backoff_first),
        "LTI_HTTP_TIMEOUT_SECONDS": str(args.http_timeout),
    }
    env.pop("CELERY_BROKER_URL", None)
    for name in ("DATABASE_URL", "REDIS_URL"):
        host = urlsplit(env[name]).hostname or ""
        if host not in LOCAL_HOSTS:
            sys.exit(f"{name} must point at 127.0.0.1 (got {host!r}): this benchmark stays local.")
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.process.poll() is None

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def stop(self, grace: float) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass


@dataclass
class Children:
    log_dir: Path
    env: dict[str, str]
    items: list[Child] = field(default_factory=list)

    def start(self, name: str, command: list[str]) -> Child:
        log = self.log_dir / f"{name}.log"
        handle = log.open("ab")
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            command,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        child = Child(name, process, log)
        self.items.append(child)
        return child

    def stop_all(self) -> None:
        # Workers first (they call the web server), then the server.
        for child in sorted(self.items, key=lambda c: c.name.startswith("web")):
            child.stop(grace=20)
        self.items.clear()


def wait_for(check: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def web_start(children: Children, port: int, web_workers: int) -> Child:
    web = children.start(
        "web",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(web_workers),
            "--timeout",
            "60",
        ],
    )

    def answers() -> bool:
        if not web.alive():
            raise RuntimeError(f"gunicorn exited:\n{web.tail()}")
        try:
            return requests.get(f"http://127.0.0.1:{port}/lti/jwks/", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_for(answers, timeout=60, what="gunicorn")
    return web


def workers_start(children: Children, count: int, concurrency: int, idle_queue: str) -> list[str]:
    """Workers listening to an idle queue only; returns their node names."""
    names = []
    started = []
    for index in range(count):
        name = f"bench{index}-{uuid.uuid4().hex[:6]}@127.0.0.1"
        names.append(name)
        started.append(
            children.start(
                f"worker{index}",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    idle_queue,
                    "-n",
                    name,
                    "-c",
                    str(concurrency),
                    "-P",
                    "prefork",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-l",
                    "info",
                ],
            )
        )
    for worker in started:

        def ready(worker: Child = worker) -> bool:
            if not worker.alive():
                raise RuntimeError(f"{worker.name} exited:\n{worker.tail()}")
            return "ready." in worker.log.read_text(errors="replace")

        wait_for(ready, timeout=90, what=worker.name)
    return names


# --- CPU accounting (/proc) -------------------------------------------------------------


def _proc_table() -> dict[int, tuple[str, int, float]]:
    """pid → (command name, parent pid, CPU seconds); a PostgreSQL backend's name is its
    title ("postgres: 15/main: postgres atelier_bench 127.0.0.1(…) idle")."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        if name == "postgres":
            try:
                name = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
        table[int(entry)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return table


def cpu_by_group(roots: dict[str, list[int]], database: str) -> dict[str, float]:
    """CPU seconds used so far by each group of process trees, the PostgreSQL backends
    of ``database`` and Redis."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (_name, parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)
    totals: dict[str, float] = {}
    all_roots = {pid for pids in roots.values() for pid in pids}
    for group, pids in roots.items():
        seen, stack = set(), list(pids)
        while stack:
            pid = stack.pop()
            if pid in seen or pid not in table or (pid in all_roots and pid not in pids):
                continue  # another group's tree (the benchmark is the parent of them all)
            seen.add(pid)
            stack.extend(children.get(pid, []))
        totals[group] = sum(table[pid][2] for pid in seen)
    totals["postgres"] = sum(
        cpu
        for name, _p, cpu in table.values()
        if name.startswith("postgres: ") and f" {database} " in name
    )
    totals["redis"] = sum(cpu for name, _p, cpu in table.values() if name.startswith("redis"))
    # Everything else on the machine (other people's tests and servers): busy time of all
    # CPUs minus the groups above, so a reader knows whether the figures were contended.
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
    busy = (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")
    totals["other"] = busy - sum(totals.values())
    return totals


# --- setup through Django -----------------------------------------------------------------


@dataclass
class Bench:
    base_url: str
    platform: Any
    tool: Any
    registration: Any
    deployment: Any
    demo_links: list[Any]
    links: list[Any]  # tool-side ResourceLinks, same order
    students: list[Any]  # DemoUsers
    lti_users: dict[int, Any]  # DemoUser pk → LtiUser


def django_prepare() -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)


def _tool_and_registration(platform: Any, base_url: str) -> tuple[Any, Any, Any]:
    from lti_tool.demo.models import DemoTool
    from lti_tool.demo.services import demo_tool_attach
    from lti_tool.lti.models import Deployment, Registration

    for tool in DemoTool.objects.filter(platform=platform, status=DemoTool.Status.ACTIVE):
        registration = Registration.objects.filter(
            issuer=platform.issuer, client_id=tool.client_id
        ).first()
        deployment = (
            registration.deployments.filter(deployment_id=tool.deployment_id, active=True).first()
            if registration
            else None
        )
        if deployment is not None:
            return tool, registration, deployment
    tool = demo_tool_attach(platform=platform, tool_base_url=base_url)
    registration = Registration.objects.create(
        name="Plateforme de démonstration (banc d'essai passback)",
        issuer=platform.issuer,
        client_id=tool.client_id,
        auth_login_url=f"{platform.issuer}/auth/",
        auth_token_url=f"{platform.issuer}/token/",
        key_set_url=f"{platform.issuer}/jwks/",
        source=Registration.Source.DEMO,
    )
    deployment = Deployment.objects.create(
        registration=registration, deployment_id=tool.deployment_id, active=True
    )
    return tool, registration, deployment


def _demo_links(course: Any, tool: Any, count: int) -> list[Any]:
    from lti_tool.demo.models import DemoLineItem, DemoResourceLink

    links = []
    for index in range(1, count + 1):
        title = f"{ACTIVITY_PREFIX} {index}"
        link, _created = DemoResourceLink.objects.get_or_create(
            course=course, title=title, defaults={"tool": tool, "text": "Benchmark."}
        )
        if link.tool_id != tool.pk:
            link.tool = tool
            link.save(update_fields=["tool", "updated_at"])
        if not link.line_items.exists():
            # Moodle creates the activity's own grade item with the activity.
            DemoLineItem.objects.create(
                course=course,
                resource_link=link,
                tool=tool,
                label=title,
                score_maximum=Decimal(20),
            )
        links.append(link)
    return links


def _demo_students(platform: Any, course: Any, count: int) -> list[Any]:
    from lti_tool.demo.models import DemoEnrolment, DemoUser

    DemoUser.objects.bulk_create(
        [
            DemoUser(
                platform=platform,
                username=f"{STUDENT_PREFIX}{index:05d}",
                given_name="Étudiant·e",
                family_name=f"Banc {index:05d}",
                email=f"{STUDENT_PREFIX}{index:05d}@demo.atelier.test",
            )
            for index in range(count)
        ],
        ignore_conflicts=True,
    )
    users = list(
        DemoUser.objects.filter(
            platform=platform,
            username__in=[f"{STUDENT_PREFIX}{index:05d}" for index in range(count)],
        ).order_by("username")
    )
    DemoEnrolment.objects.bulk_create(
        [
            DemoEnrolment(course=course, user=user, role=DemoEnrolment.Role.LEARNER)
            for user in users
        ],
        ignore_conflicts=True,
    )
    return users


def setup(base_url: str, *, students: int, links: int) -> Bench:
    """Idempotent: a second run on the same base URL reuses everything."""
    from django.db import transaction

    from lti_tool.demo.launch import id_token_claims
    from lti_tool.demo.selectors import platform_course
    from lti_tool.demo.services import demo_platform_setup
    from lti_tool.lti.launch import ValidatedLaunch
    from lti_tool.lti.models import LtiUser, ResourceLink
    from lti_tool.lti.services import launch_record, lti_user_upsert, membership_upsert

    platform = demo_platform_setup(base_url=base_url)
    tool, registration, deployment = _tool_and_registration(platform, base_url)
    course = platform_course(platform)
    demo_links = _demo_links(course, tool, links)
    users = _demo_students(platform, course, students)

    # The tool-side rows one launch per (activity) and per (student) leaves, from exactly
    # the claims the platform signs into the id_token.
    link_pks = []
    for link in demo_links:
        claims = id_token_claims(platform=platform, user=users[0], resource_link=link, nonce="b")
        launch = launch_record(
            launch=ValidatedLaunch(registration=registration, deployment=deployment, claims=claims)
        )
        link_pks.append(launch.resource_link_id)
    by_pk = ResourceLink.objects.select_related("context").in_bulk(link_pks)
    tool_links = [by_pk[pk] for pk in link_pks]
    context = tool_links[0].context
    known = set(
        LtiUser.objects.filter(
            registration=registration, sub__in=[str(u.pk) for u in users]
        ).values_list("sub", flat=True)
    )
    for user in users:
        if str(user.pk) in known:
            continue
        claims = id_token_claims(
            platform=platform, user=user, resource_link=demo_links[0], nonce="b"
        )
        with transaction.atomic():
            lti_user = lti_user_upsert(registration=registration, claims=claims)
            membership_upsert(
                context=context, lti_user=lti_user, roles=list(claims[_roles_claim()])
            )
    lti_users = {
        int(u.sub): u
        for u in LtiUser.objects.filter(
            registration=registration, sub__in=[str(u.pk) for u in users]
        )
    }
    return Bench(
        base_url, platform, tool, registration, deployment, demo_links, tool_links, users, lti_users
    )


def _roles_claim() -> str:
    from lti_tool.lti.constants import Claim

    return str(Claim.ROLES)


# --- scheduling ---------------------------------------------------------------------------


def domain_codes(count: int) -> list[str]:
    return [f"DC{n}" for n in range(1, count + 1)]


def level_for(student: int, link: int, domain: int) -> int:
    """A deterministic rubric level 0–4, so scores vary (0, 5, 10, 15, 20 /20)."""
    return (student * 7 + link * 3 + domain) % 5


def schedule(bench: Bench, *, domains: int, progress: bool = True) -> float:
    """Grade one scenario per (student, link) through the services; returns seconds."""
    from lti_tool.grading.rules import ActivityKind, Criterion, level_evidence
    from lti_tool.grading.services import assessment_create, assessment_grade

    codes = domain_codes(domains)
    criteria = [Criterion(f"BENCH-{code}", code, Decimal(1), ()) for code in codes]
    started = time.perf_counter()
    total = len(bench.students) * len(bench.links)
    done = 0
    for s_index, student in enumerate(bench.students):
        lti_user = bench.lti_users[student.pk]
        for l_index, link in enumerate(bench.links):
            assessment = assessment_create(
                resource_link=link,
                lti_user=lti_user,
                activity_kind=ActivityKind.SCENARIO,
                activity_title=f"{ACTIVITY_PREFIX} {l_index + 1}",
                activity_ref=f"banc-passback-{l_index + 1}",
                framework_code="DECESF-2018",
                framework_version=1,
                criteria=criteria,
            )
            assessment_grade(
                assessment=assessment,
                evidence=[
                    level_evidence(f"BENCH-{code}", level_for(s_index, l_index, d), source="auto")
                    for d, code in enumerate(codes)
                ],
            )
            done += 1
        if progress and (s_index + 1) % 50 == 0:
            elapsed = time.perf_counter() - started
            print(
                f"  scheduled {done * domains}/{total * domains} results "
                f"({done * domains / elapsed:.0f}/s)",
                flush=True,
            )
    return time.perf_counter() - started


# --- measuring ----------------------------------------------------------------------------


def run_passbacks(bench: Bench, since: Any) -> Any:
    from lti_tool.grading.models import Passback

    return Passback.objects.filter(
        result__assessment__resource_link__in=bench.links, created_at__gte=since
    )


def status_counts(bench: Bench, since: Any) -> Counter[str]:
    from django.db.models import Count

    rows = run_passbacks(bench, since).values("status").annotate(n=Count("pk"))
    return Counter({row["status"]: row["n"] for row in rows})


@dataclass
class FaultPlan:
    """The fault schedule of ``--faults``, applied by the drain loop."""

    platform: Any
    tool: Any
    revoked: bool = False
    cleared: bool = False
    log: list[str] = field(default_factory=list)

    def start(self, at: float) -> None:
        from lti_tool.demo.faults import demo_fault_set

        demo_fault_set(platform=self.platform, kind="ags_error_share", share=0.10, status=503)
        demo_fault_set(platform=self.platform, kind="ags_error", count=20, status=429)
        demo_fault_set(platform=self.platform, kind="token_refuse", count=3, status=503)
        self.log.append(f"t={at:5.1f}s  10 % AGS → 503, next 20 AGS → 429, next 3 tokens → 503")

    def step(self, at: float, share_sent: float) -> None:
        from lti_tool.demo.faults import demo_fault_set, demo_faults_clear
        from lti_tool.demo.models import DemoAccessToken

        if not self.revoked and share_sent >= 0.4:
            self.revoked = True
            revoked, _ = DemoAccessToken.objects.filter(tool=self.tool).delete()
            demo_fault_set(platform=self.platform, kind="token_refuse", count=3, status=503)
            self.log.append(
                f"t={at:5.1f}s  platform revokes its {revoked} token(s) (AGS → 401), "
                "next 3 tokens → 503"
            )
        if not self.cleared and share_sent >= 0.8:
            self.cleared = True
            demo_faults_clear(self.platform)
            self.log.append(f"t={at:5.1f}s  faults cleared (platform recovered)")

    def stop(self) -> None:
        from lti_tool.demo.faults import demo_faults_clear

        demo_faults_clear(self.platform)


@dataclass
class Drain:
    started: float
    samples: list[tuple[float, int]] = field(default_factory=list)
    finished: float | None = None
    swept: int = 0
    sweeps: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    load: tuple[float, float] = (0.0, 0.0)


def drain(
    bench: Bench,
    *,
    since: Any,
    expected: int,
    deadline: float,
    sweep_seconds: float,
    faults: FaultPlan | None,
    alive: Callable[[], None],
) -> Drain:
    from lti_tool.grading.models import Passback
    from lti_tool.grading.passback import passbacks_stuck_requeue

    state = Drain(started=time.monotonic(), load=(os.getloadavg()[0], 0.0))
    next_sweep = state.started + sweep_seconds
    next_print = state.started + 5
    while True:
        now = time.monotonic()
        counts = status_counts(bench, since)
        sent = counts[Passback.Status.SENT]
        state.samples.append((now - state.started, sent))
        state.counts = counts
        if faults:
            faults.step(now - state.started, sent / expected)
        if sent >= expected:
            state.finished = now
            break
        if now >= deadline:
            break
        if now >= next_print:
            next_print = now + 5
            print(
                f"  t={now - state.started:5.1f}s sent {sent}/{expected} "
                + " ".join(f"{k} {v}" for k, v in sorted(counts.items()) if k != "sent"),
                flush=True,
            )
        if now >= next_sweep:
            # What celery beat's "grading-passback-sweep" does every 60 s in production.
            state.swept += passbacks_stuck_requeue()
            state.sweeps += 1
            next_sweep = now + sweep_seconds
        alive()
        time.sleep(0.5)
    state.load = (state.load[0], os.getloadavg()[0])
    return state


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def window_rates(samples: list[tuple[float, int]], width: float) -> list[float]:
    rates = []
    edge, last = width, (0.0, 0)
    for at, sent in samples:
        if at >= edge:
            rates.append((sent - last[1]) / (at - last[0]))
            last, edge = (at, sent), at + width
    return rates


def sustained_rate(samples: list[tuple[float, int]], expected: int) -> float:
    """Rate between 10 % and 90 % sent: no ramp-up, no tail of retries."""

    def first_at(count: float) -> tuple[float, int] | None:
        return next(((at, sent) for at, sent in samples if sent >= count), None)

    low, high = first_at(0.1 * expected), first_at(0.9 * expected)
    if low is None or high is None or high[0] <= low[0]:
        return float("nan")
    return (high[1] - low[1]) / (high[0] - low[0])


# --- integrity ----------------------------------------------------------------------------


@dataclass
class Integrity:
    lost: int = 0
    failed: int = 0
    grades_missing: int = 0
    grades_wrong: int = 0
    grades_extra: int = 0
    grades_resent: int = 0
    counters_lost: bool = False
    line_item_problems: list[str] = field(default_factory=list)
    accepted_minus_expected: int = 0

    @property
    def ok(self) -> bool:
        return not (
            self.lost
            or self.failed
            or self.grades_missing
            or self.grades_wrong
            or self.grades_extra
            or self.grades_resent
            or self.line_item_problems
            or (self.accepted_minus_expected and not self.counters_lost)
        )


def _item_id(url: str) -> int:
    # .../demo/ags/<course>/lineitems/<item>/lineitem?type_id=N
    parts = urlsplit(url).path.rstrip("/").split("/")
    return int(parts[parts.index("lineitems") + 1])


def integrity_check(
    bench: Bench, *, since: Any, domains: int, accepted_delta: int, expected: int
) -> Integrity:
    from lti_tool.demo.models import DemoGrade, DemoLineItem
    from lti_tool.grading.models import Passback
    from lti_tool.lti.models import LineItem

    report = Integrity()
    rows = list(
        run_passbacks(bench, since).values_list(
            "status",
            "score_given",
            "result__domain_code",
            "result__assessment__resource_link_id",
            "result__assessment__lti_user__sub",
            "score_timestamp",
        )
    )
    report.lost = sum(1 for row in rows if row[0] != Passback.Status.SENT)
    report.failed = sum(1 for row in rows if row[0] == Passback.Status.FAILED)
    stored = {
        (item.resource_link_id, item.domain_code): _item_id(item.url)
        for item in LineItem.objects.filter(resource_link__in=bench.links)
    }
    expected_grades: dict[tuple[int, int], tuple[Decimal, datetime | None]] = {}
    for _status, score, domain, link_id, sub, timestamp in rows:
        item = stored.get((link_id, domain))
        if item is None:
            report.grades_missing += 1
            continue
        expected_grades[(item, int(sub))] = (score, timestamp)
    grades = {
        (g.line_item_id, g.user_id): (g.grade, g.timestamp)
        for g in DemoGrade.objects.filter(line_item_id__in={k[0] for k in expected_grades})
    }
    for key, (score, timestamp) in expected_grades.items():
        if key not in grades:
            report.grades_missing += 1
            continue
        grade, stored_timestamp = grades[key]
        if grade is None or grade != score:
            report.grades_wrong += 1
        # Every send carries a new, strictly later timestamp (score clock): a second
        # accepted POST of the same score would have left a later one on the platform.
        if timestamp is None or datetime.fromisoformat(stored_timestamp) != timestamp:
            report.grades_resent += 1
    student_ids = {u.pk for u in bench.students}
    report.grades_extra = sum(
        1 for key in grades if key[1] in student_ids and key not in expected_grades
    )
    codes = domain_codes(domains)
    for demo_link, tool_link in zip(bench.demo_links, bench.links, strict=True):
        items = list(DemoLineItem.objects.filter(resource_link=demo_link))
        own = [i for i in items if not i.created_by_tool]
        if len(own) != 1:
            report.line_item_problems.append(f"{demo_link.title}: {len(own)} own columns")
        for code in codes:
            made = [i for i in items if i.created_by_tool and i.tag == code]
            primary = code == codes[0]
            if primary and made:
                report.line_item_problems.append(f"{demo_link.title} {code}: extra tool column")
            if not primary and len(made) != 1:
                report.line_item_problems.append(
                    f"{demo_link.title} {code}: {len(made)} tool-created columns"
                )
            item = stored.get((tool_link.pk, code))
            wanted = own[0].pk if primary and own else (made[0].pk if made else None)
            if item != wanted:
                report.line_item_problems.append(
                    f"{demo_link.title} {code}: tool stores column {item}, expected {wanted}"
                )
    report.accepted_minus_expected = accepted_delta - expected
    return report


# --- one delivery, traced -----------------------------------------------------------------


def delivery_trace(bench: Bench, *, domains: int) -> None:
    """Grade and deliver one more result in this process, listing its SQL queries.

    Run after the drain, with the workers stopped and the web server still up; the
    result goes to a (line item, user) that already has a grade, as in steady state.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lti_tool.grading.models import Passback, PassbackAttempt
    from lti_tool.grading.passback import passback_deliver
    from lti_tool.grading.rules import ActivityKind, Criterion, level_evidence
    from lti_tool.grading.services import assessment_create, assessment_grade

    code = domain_codes(domains)[-1]
    print(f"\n=== one delivery traced ({code}, steady state: column known, grade exists) ===")
    for attempt in range(2):  # the first one warms this process up; the second is shown
        with CaptureQueriesContext(connection) as grading:
            assessment = assessment_create(
                resource_link=bench.links[0],
                lti_user=bench.lti_users[bench.students[attempt].pk],
                activity_kind=ActivityKind.SCENARIO,
                activity_title=f"{ACTIVITY_PREFIX} 1",
                activity_ref="banc-passback-1",
                framework_code="DECESF-2018",
                framework_version=1,
                criteria=[Criterion(f"BENCH-{code}", code, Decimal(1), ())],
            )
            (result,) = assessment_grade(
                assessment=assessment, evidence=[level_evidence(f"BENCH-{code}", 2)]
            )
        passback = Passback.objects.filter(result=result).get()
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as delivery:
            outcome = passback_deliver(passback_id=passback.pk)
        total_ms = (time.perf_counter() - started) * 1000
    attempt_row = PassbackAttempt.objects.filter(passback=passback).last()
    print(f"  grading one assessment (1 domain): {len(grading.captured_queries)} queries")
    print(
        f"  passback_deliver: {outcome}, {total_ms:.1f} ms in all, "
        f"{len(delivery.captured_queries)} queries "
        f"({sum(float(q['time']) for q in delivery.captured_queries) * 1000:.1f} ms in SQL); "
        f"attempt duration {attempt_row.duration_ms if attempt_row else '?'} ms "
        "(line item + score clock + HTTP POST)"
    )
    for query in delivery.captured_queries:
        sql = " ".join(query["sql"].split())
        print(f"    {float(query['time']) * 1000:6.2f} ms  {sql[:150]}")


# --- cleaning up --------------------------------------------------------------------------


def cleanup(bench: Bench, *, since: Any, whole_platform: bool) -> None:
    """Delete the run's data; with ``whole_platform`` (our own server) everything set up."""
    from django.contrib.auth import get_user_model

    from lti_tool.demo.models import DemoPlatform
    from lti_tool.grading.models import Assessment
    from lti_tool.lti.models import LtiUser, Registration

    if not whole_platform:
        Assessment.objects.filter(resource_link__in=bench.links, created_at__gte=since).delete()
        return
    from lti_tool.demo.faults import demo_stats_reset
    from lti_tool.lti.access_tokens import access_token_invalidate
    from lti_tool.lti.constants import AGS_SCOPES

    demo_stats_reset(bench.platform)  # its counters live in the cache, keyed by base URL
    access_token_invalidate(registration=bench.registration, scopes=AGS_SCOPES)
    user_ids = list(
        LtiUser.objects.filter(registration=bench.registration).values_list("user_id", flat=True)
    )
    Assessment.objects.filter(resource_link__in=bench.links).delete()
    Registration.objects.filter(pk=bench.registration.pk).delete()
    get_user_model().objects.filter(pk__in=user_ids).delete()
    DemoPlatform.objects.filter(pk=bench.platform.pk).delete()


def queues_delete(names: Iterable[str]) -> None:
    from config.celery import app

    with app.connection_for_write() as connection:
        channel = connection.default_channel
        for name in names:
            try:
                # Left-over messages (sweep duplicates, retries not yet due), then kombu's
                # binding keys: queue_delete only forgets bindings this channel declared.
                channel.queue_purge(name)
                client = getattr(channel, "client", None)
                if client is not None:
                    client.delete(f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}")
            except Exception as error:  # best effort at shutdown
                print(f"  (could not delete queue {name}: {error})")


# --- report -------------------------------------------------------------------------------


def demo_counters(bench: Bench) -> dict[str, int]:
    from lti_tool.demo.faults import demo_stats
    from lti_tool.demo.models import DemoTool

    stats = demo_stats(bench.platform)
    tool = DemoTool.objects.get(pk=bench.tool.pk)
    return {
        **{k: v for k, v in stats.items() if isinstance(v, int)},
        "tokens_tool": tool.tokens_issued,
    }


def attempts_summary(bench: Bench, since: Any) -> tuple[Counter[str], Counter[int | None], int]:
    from django.db.models import Count

    from lti_tool.grading.models import PassbackAttempt

    attempts = PassbackAttempt.objects.filter(passback__in=run_passbacks(bench, since).values("pk"))
    outcomes = Counter(
        {row["outcome"]: row["n"] for row in attempts.values("outcome").annotate(n=Count("pk"))}
    )
    statuses = Counter(
        {
            row["status_code"]: row["n"]
            for row in attempts.exclude(outcome="sent")
            .values("status_code")
            .annotate(n=Count("pk"))
        }
    )
    return outcomes, statuses, attempts.count()


def report(
    *,
    args: argparse.Namespace,
    bench: Bench,
    since: Any,
    expected: int,
    setup_seconds: float,
    schedule_seconds: float,
    state: Drain,
    before: dict[str, int],
    after: dict[str, int],
    cpu: dict[str, float],
    integrity: Integrity,
    faults: FaultPlan | None,
) -> None:
    from lti_tool.grading.models import Passback, PassbackAttempt

    rows = list(run_passbacks(bench, since).values_list("created_at", "first_try_at", "sent_at"))
    latency = sorted((s - c).total_seconds() for c, _f, s in rows if s)
    service = sorted((s - f).total_seconds() * 1000 for _c, f, s in rows if s and f)
    sent = state.counts[Passback.Status.SENT]
    elapsed = (state.finished or time.monotonic()) - state.started
    windows = window_rates(state.samples, args.window)
    outcomes, statuses, attempts = attempts_summary(bench, since)
    durations = sorted(
        float(ms)
        for ms in PassbackAttempt.objects.filter(
            passback__in=run_passbacks(bench, since).values("pk"), outcome="sent"
        ).values_list("duration_ms", flat=True)
    )
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}

    def line(label: str, value: str) -> None:
        print(f"  {label:<34} {value}")

    print("\n=== passback drain ===")
    line("base URL", bench.base_url)
    line(
        "size",
        f"{len(bench.students)} students × {len(bench.links)} links × {args.domains} domains "
        f"= {expected} scores",
    )
    line(
        "processes",
        f"web {'(attached)' if args.base_url else f'gunicorn -w {args.web_workers}'}; "
        f"{args.workers} worker(s) × concurrency {args.concurrency}; "
        f"{'live' if args.live else 'backlog'} mode; faults {'on' if faults else 'off'}",
    )
    line("setup", f"{setup_seconds:.1f} s")
    line(
        "scheduling (services)",
        f"{schedule_seconds:.1f} s = {expected / schedule_seconds:.0f} results/s",
    )
    status = "complete" if state.finished else f"TIMED OUT after {elapsed:.0f} s"
    line("drain", f"{sent}/{expected} sent in {elapsed:.1f} s ({status})")
    line("drain rate overall", f"{sent / elapsed:.1f} scores/s")
    line(
        "drain rate 10 %→90 % (sustained)",
        f"{sustained_rate(state.samples, expected):.1f} scores/s",
    )
    if windows:
        line(
            f"drain rate per {args.window:.0f} s window",
            f"min {min(windows):.0f}  median {statistics.median(windows):.0f}  "
            f"max {max(windows):.0f}",
        )
    line(
        "created → sent (s)",
        f"p50 {percentile(latency, 50):.1f}  p95 {percentile(latency, 95):.1f}  "
        f"max {max(latency, default=float('nan')):.1f}",
    )
    line(
        "first try → sent (ms)",
        f"p50 {percentile(service, 50):.0f}  p95 {percentile(service, 95):.0f}",
    )
    line(
        "successful try, in the task (ms)",
        f"p50 {percentile(durations, 50):.0f}  p95 {percentile(durations, 95):.0f}  "
        "(line item + score clock + token + POST)",
    )
    line(
        "access-token requests",
        f"{delta['tokens_tool']} issued to this tool's registration in {elapsed:.0f} s, "
        f"{delta.get('tokens_refused', 0)} refused by faults",
    )
    line(
        "PassbackAttempt rows",
        f"{attempts} = " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
    )
    retries = attempts - outcomes.get("sent", 0)
    line(
        "retries (failed tries)",
        f"{retries}"
        + (
            " by status: "
            + ", ".join(
                f"{k if k else 'no answer'}: {v}" for k, v in sorted(statuses.items(), key=str)
            )
            if statuses
            else ""
        ),
    )
    line(
        "409s from the platform",
        f"{delta.get('scores_conflict', 0)} (conflict attempts recorded: "
        f"{outcomes.get('conflict', 0)})",
    )
    line(
        "AGS calls / faults injected",
        f"{delta.get('ags_calls', 0)} / {delta.get('faults_injected', 0)}",
    )
    line(
        "score POSTs accepted",
        f"{delta.get('scores_accepted', 0)} (refused {delta.get('scores_refused', 0)})",
    )
    line(
        f"sweep (every {args.sweep_seconds:.0f} s)",
        f"{state.sweeps} run(s), re-enqueued {state.swept}",
    )
    if cpu:
        total = sum(cpu.values())
        line(
            "CPU seconds during the drain",
            ", ".join(f"{k} {v:.1f}" for k, v in cpu.items())
            + f" (total {total:.1f} of {elapsed * (os.cpu_count() or 1):.0f} available)",
        )
        line(
            "CPU per score (ms)",
            ", ".join(f"{k} {1000 * v / max(sent, 1):.1f}" for k, v in cpu.items() if k != "other"),
        )
    if cpu and sent:
        ours = sum(v for k, v in cpu.items() if k not in ("other", "bench")) / sent
        tool = sum(v for k, v in cpu.items() if k in ("workers", "postgres", "redis"))
        cores = os.cpu_count() or 1
        line(
            "CPU-bound ceiling on this machine",
            f"{cores / ours:.0f} scores/s with the platform here, "
            f"{cores / (tool / sent):.0f}/s for the tool alone "
            f"({cores} cores, no other load)",
        )
    line("load average (1 min) start → end", f"{state.load[0]:.1f} → {state.load[1]:.1f}")
    if integrity.counters_lost:
        print(
            "  WARNING: the Redis database was flushed during the run (by another process): "
            "the platform's counters (AGS calls, faults, refusals, accepted POSTs) are "
            "partial and the broker lost its queued messages (the sweep re-enqueues them)."
        )
    if faults:
        for entry in faults.log:
            line("fault plan", entry)
    print("--- integrity ---")
    line("lost (not sent)", f"{integrity.lost} (failed {integrity.failed})")
    line("grades missing / wrong", f"{integrity.grades_missing} / {integrity.grades_wrong}")
    line("grades for no result (extra)", str(integrity.grades_extra))
    line(
        "grades stamped by a later send",
        f"{integrity.grades_resent} (platform timestamp ≠ the row's score_timestamp)",
    )
    line(
        "accepted POSTs − results",
        "unknown: the platform's counters were wiped during the run (Redis db flushed by "
        "someone else?)"
        if integrity.counters_lost
        else str(integrity.accepted_minus_expected),
    )
    line(
        "line items",
        "one per (link, domain), primary on the activity's own column"
        if not integrity.line_item_problems
        else "; ".join(integrity.line_item_problems[:5]),
    )
    line("verdict", "OK: 0 lost, 0 duplicates" if integrity.ok else "PROBLEM (see above)")


# --- main ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--links", type=int, default=5)
    parser.add_argument("--domains", type=int, default=4, help=f"1..{DOMAINS_MAX}")
    parser.add_argument("--workers", type=int, default=1, help="Celery worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="prefork children each")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument(
        "--base-url",
        default="",
        help="attach to a running server (same DATABASE_URL and REDIS_URL) instead of "
        "starting gunicorn",
    )
    parser.add_argument("--faults", action="store_true", help="platform fault switches on")
    parser.add_argument(
        "--live", action="store_true", help="workers consume while results are scheduled"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds for the drain")
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument(
        "--trace",
        action="store_true",
        help="after the drain, deliver one more result in this process and list its queries",
    )
    parser.add_argument("--window", type=float, default=10.0, help="rate window, seconds")
    parser.add_argument("--sweep-seconds", type=float, default=60.0)
    parser.add_argument(
        "--backoff-first",
        type=float,
        default=15.0,
        help="PASSBACK_BACKOFF_FIRST_SECONDS (production default 15)",
    )
    parser.add_argument("--http-timeout", type=float, default=10.0)
    args = parser.parse_args()
    if not 1 <= args.domains <= DOMAINS_MAX:
        parser.error(f"--domains must be 1..{DOMAINS_MAX}")
    if not (1 <= args.students <= 20_000 and 1 <= args.links <= 50):
        parser.error("--students must be 1..20000 and --links 1..50")
    if not (0 <= args.workers <= 16 and 1 <= args.concurrency <= 64):
        parser.error("--workers must be 0..16 and --concurrency 1..64")
    if args.web_workers < 2:
        # The platform's token endpoint fetches the tool's JWKS from the same server: with
        # one sync worker that request waits for itself until the timeout.
        parser.error("--web-workers must be at least 2 (the site calls itself)")
    if args.base_url:
        args.base_url = args.base_url.rstrip("/")
        if urlsplit(args.base_url).hostname not in LOCAL_HOSTS:
            parser.error("--base-url must be on 127.0.0.1")
    elif args.workers == 0:
        parser.error("--workers 0 (use running workers) needs --base-url")
    return args


def main() -> int:
    args = parse_args()
    env = bench_env(args)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    log_dir = Path(tempfile.mkdtemp(prefix="atelier-bench-passback-"))
    children = Children(log_dir=log_dir, env=env)
    atexit.register(children.stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    queue = env["CELERY_QUEUE"]
    print(f"queue {queue}, database {env['DATABASE_URL']}, redis {env['REDIS_URL']}")
    print(f"logs in {log_dir}")

    started = time.perf_counter()
    django_prepare()
    from django.utils import timezone

    from config.celery import app as celery_app

    if args.base_url:
        base_url = args.base_url
        if args.workers == 0:
            # Running workers consume their own CELERY_QUEUE: publish there.
            queue = os.environ.get("BENCH_EXTERNAL_QUEUE", "atelier")
            celery_app.conf.task_default_queue = queue
    else:
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        print(f"starting gunicorn on {base_url} ({args.web_workers} workers)", flush=True)
        web_start(children, port, args.web_workers)
    bench = setup(base_url, students=args.students, links=args.links)
    setup_seconds = time.perf_counter() - started
    expected = args.students * args.links * args.domains
    print(f"setup done in {setup_seconds:.1f} s", flush=True)

    names: list[str] = []
    idle_queue = f"{queue}-idle"
    if args.workers:
        print(f"starting {args.workers} worker(s) × {args.concurrency}", flush=True)
        names = workers_start(children, args.workers, args.concurrency, idle_queue)

    def consume() -> None:
        if names:
            replies = celery_app.control.add_consumer(
                queue, destination=names, reply=True, timeout=10
            )
            if len(replies) != len(names):
                raise RuntimeError(f"add_consumer answered {replies!r} for {names}")

    def alive() -> None:
        for child in children.items:
            if not child.alive():
                raise RuntimeError(f"{child.name} exited:\n{child.tail()}")

    roots: dict[str, list[int]] = {"bench": [os.getpid()]}
    for child in children.items:
        group = "web" if child.name == "web" else "workers"
        roots.setdefault(group, []).append(child.process.pid)

    from django.core.cache import cache
    from django.db import connection

    database = str(connection.settings_dict["NAME"])
    # The platform's counters live in the cache (Redis): if someone flushes that database
    # during the run, this key goes too and the counter-based figures are flagged.
    sentinel = f"bench:passback:{queue}"
    cache.set(sentinel, 1, timeout=None)
    since = timezone.now()
    before = demo_counters(bench)
    deadline = time.monotonic() + args.timeout
    faults = FaultPlan(bench.platform, bench.tool) if args.faults else None
    cpu_before: dict[str, float] = {}
    state = Drain(started=time.monotonic())
    try:
        if args.live:
            consume()
            cpu_before = cpu_by_group(roots, database)
            print(f"scheduling {expected} results, workers consuming", flush=True)
            if faults:
                faults.start(0.0)
            schedule_start = time.monotonic()
            schedule_seconds = schedule(bench, domains=args.domains)
            state = drain(
                bench,
                since=since,
                expected=expected,
                deadline=deadline,
                sweep_seconds=args.sweep_seconds,
                faults=faults,
                alive=alive,
            )
            state.started = schedule_start
            state.samples = [(at + schedule_seconds, n) for at, n in state.samples]
        else:
            print(f"scheduling {expected} results (workers idle)", flush=True)
            schedule_seconds = schedule(bench, domains=args.domains)
            print(f"scheduled in {schedule_seconds:.1f} s; draining", flush=True)
            cpu_before = cpu_by_group(roots, database)
            if faults:
                faults.start(0.0)
            consume()
            state = drain(
                bench,
                since=since,
                expected=expected,
                deadline=time.monotonic() + args.timeout,
                sweep_seconds=args.sweep_seconds,
                faults=faults,
                alive=alive,
            )
        cpu_after = cpu_by_group(roots, database)
        cpu = {k: cpu_after.get(k, 0) - cpu_before.get(k, 0) for k in cpu_after}
    except BaseException:
        if faults:
            faults.stop()
        finish(args, bench, children, since=since, queues=[queue, idle_queue] if names else [])
        raise
    if faults:
        faults.stop()
    after = demo_counters(bench)
    integrity = integrity_check(
        bench,
        since=since,
        domains=args.domains,
        accepted_delta=after["scores_accepted"] - before["scores_accepted"],
        expected=expected,
    )
    integrity.counters_lost = cache.get(sentinel) is None
    cache.delete(sentinel)
    report(
        args=args,
        bench=bench,
        since=since,
        expected=expected,
        setup_seconds=setup_seconds,
        schedule_seconds=schedule_seconds,
        state=state,
        before=before,
        after=after,
        cpu=cpu,
        integrity=integrity,
        faults=faults,
    )
    for child in children.items:
        if child.name != "web":
            child.stop(grace=20)
    if args.trace and (args.base_url or any(c.name == "web" for c in children.items)):
        delivery_trace(bench, domains=args.domains)
    finish(args, bench, children, since=since, queues=[queue, idle_queue] if names else [])
    return 0 if integrity.ok and state.finished else 1


def finish(
    args: argparse.Namespace, bench: Bench, children: Children, *, since: Any, queues: list[str]
) -> None:
    """Stop what we started, drop our queues and, without --keep, the data."""
    children.stop_all()
    if queues:
        queues_delete(queues)
    if args.keep:
        print(f"\ndata kept (platform {bench.platform.issuer})")
        return
    cleanup_started = time.perf_counter()
    cleanup(bench, since=since, whole_platform=not args.base_url)
    print(f"\ndata deleted in {time.perf_counter() - cleanup_started:.1f} s (--keep keeps it)")


if __name__ == "__main__":
    sys.exit(main())
