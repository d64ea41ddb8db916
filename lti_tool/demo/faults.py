"""Fault switches and counters of the built-in platform, for tests and benchmarks.

A switch makes the platform misbehave the way Moodle or its network can: AGS answering an
error status for the next N calls or for a share of calls, AGS hanging longer than the
tool's timeout, the token endpoint refusing tokens, the platform rotating its key. The
switches and counters live in the shared Django cache (Redis in CI), keyed by the
platform's base URL, so a benchmark flips them over HTTP (POST /demo/faults/) while any
number of server processes serve the calls.
"""

from __future__ import annotations

import functools
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from lti_tool.core.exceptions import ValidationFailed
from lti_tool.demo.crypto import rsa_key_generate
from lti_tool.demo.models import DemoGrade, DemoPlatform, DemoTool
from lti_tool.demo.views.common import plain_text, request_base_url

HANG_SECONDS_DEFAULT = 15.0
HANG_SECONDS_MAX = 120.0
LOCK_SECONDS = 5


class FaultKind(StrEnum):
    AGS_ERROR = "ags_error"  # the next `count` AGS calls answer `status`
    AGS_ERROR_SHARE = "ags_error_share"  # a share `share` of AGS calls answer `status`
    AGS_HANG = "ags_hang"  # the next `count` AGS calls sleep `seconds`, then answer 504
    TOKEN_REFUSE = "token_refuse"  # noqa: S105 - the next `count` token requests answer `status`
    KEY_ROTATE = "key_rotate"  # the platform gets a new signing key, now


COUNTERS = (
    "ags_calls",
    "faults_injected",
    "scores_received",
    "scores_accepted",
    "scores_conflict",
    "scores_refused",
    "tokens_refused",
    "key_rotations",
)


def _faults_key(base_url: str) -> str:
    return f"demo:faults:{base_url.rstrip('/')}"


def _counter_key(base_url: str, name: str) -> str:
    return f"demo:stats:{base_url.rstrip('/')}:{name}"


@contextmanager
def _lock(key: str) -> Iterator[None]:
    """cache.add is atomic on Redis and on the database cache; the read-modify-writes
    below are short, so waiting a little is enough."""
    owner = uuid.uuid4().hex
    deadline = time.monotonic() + LOCK_SECONDS
    while not cache.add(key + ":lock", owner, timeout=LOCK_SECONDS):
        if time.monotonic() > deadline:
            break  # a crashed holder: its lock expires with its timeout anyway
        time.sleep(0.005)
    try:
        yield
    finally:
        if cache.get(key + ":lock") == owner:
            cache.delete(key + ":lock")


def _atomic_incr() -> bool:
    return "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()


def counter_add(base_url: str, name: str, amount: int = 1) -> None:
    key = _counter_key(base_url, name)
    if _atomic_incr():
        # Redis INCRBY is atomic and keeps the key's (absent) expiry.
        if cache.add(key, amount, timeout=None):
            return
        cache.incr(key, amount)
        return
    with _lock(key):
        cache.set(key, int(cache.get(key, 0)) + amount, timeout=None)


# --- services ----------------------------------------------------------------------


def _positive_int(value: Any, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as error:
        raise ValidationFailed(_("%(name)s doit être un entier.") % {"name": name}) from error
    if number < 1:
        raise ValidationFailed(_("%(name)s doit être au moins 1.") % {"name": name})
    return number


def _status(value: Any, default: int) -> int:
    status = default if value in (None, "") else _positive_int(value, "status")
    if not 400 <= status <= 599:
        raise ValidationFailed(_("status doit être un code d'erreur HTTP (400 à 599)."))
    return status


def _share(value: Any) -> float:
    try:
        share = float(value)
    except (TypeError, ValueError) as error:
        raise ValidationFailed(_("share doit être un nombre entre 0 et 1.")) from error
    if not 0 < share <= 1:
        raise ValidationFailed(_("share doit être un nombre entre 0 (exclu) et 1."))
    return share


def _fault_fields(
    kind: FaultKind, *, count: Any, share: Any, status: Any, seconds: Any
) -> dict[str, Any]:
    if kind == FaultKind.AGS_ERROR:
        return {"count": _positive_int(count, "count"), "status": _status(status, 500)}
    if kind == FaultKind.AGS_ERROR_SHARE:
        return {"share": _share(share), "status": _status(status, 503)}
    if kind == FaultKind.AGS_HANG:
        hang = HANG_SECONDS_DEFAULT if seconds in (None, "") else float(seconds)
        if not 0 < hang <= HANG_SECONDS_MAX:
            raise ValidationFailed(_("seconds doit être entre 0 et 120."))
        return {"count": _positive_int(count, "count"), "seconds": hang}
    return {"count": _positive_int(count, "count"), "status": _status(status, 400)}


@transaction.atomic
def _platform_key_rotate(platform: DemoPlatform) -> None:
    """A new signing key; the JWKS publishes only it from now on (no grace period: the
    harshest case for a tool that cached the old key set)."""
    kid, pem, jwk = rsa_key_generate()
    platform.kid, platform.private_key_pem, platform.public_jwk = kid, pem, jwk
    platform.save(update_fields=["kid", "private_key_pem", "public_jwk", "updated_at"])


def demo_fault_set(
    *,
    platform: DemoPlatform,
    kind: str,
    count: int | None = None,
    share: float | None = None,
    status: int | None = None,
    seconds: float | None = None,
) -> dict[str, dict[str, Any]]:
    """Switch one fault on (replacing a fault of the same kind); returns the active ones."""
    try:
        fault_kind = FaultKind(kind)
    except ValueError as error:
        raise ValidationFailed(
            _("Type de panne inconnu : %(kind)s (attendu : %(kinds)s).")
            % {"kind": kind, "kinds": ", ".join(k.value for k in FaultKind)}
        ) from error
    if fault_kind == FaultKind.KEY_ROTATE:
        _platform_key_rotate(platform)
        counter_add(platform.base_url, "key_rotations")
        return demo_faults_get(platform)
    fields = _fault_fields(fault_kind, count=count, share=share, status=status, seconds=seconds)
    key = _faults_key(platform.base_url)
    with _lock(key):
        faults = dict(cache.get(key) or {})
        faults[fault_kind.value] = fields
        cache.set(key, faults, timeout=None)
    return faults


def demo_faults_clear(platform: DemoPlatform) -> None:
    cache.delete(_faults_key(platform.base_url))


def demo_faults_get(platform: DemoPlatform) -> dict[str, dict[str, Any]]:
    return dict(cache.get(_faults_key(platform.base_url)) or {})


def demo_stats(platform: DemoPlatform) -> dict[str, Any]:
    """Counters since the last reset, plus what the database says."""
    counters = {name: int(cache.get(_counter_key(platform.base_url, name), 0)) for name in COUNTERS}
    tools = DemoTool.objects.filter(platform=platform).order_by("pk")
    grades = DemoGrade.objects.filter(line_item__course__platform=platform)
    return {
        "platform": platform.issuer,
        **counters,
        "tokens_issued": tools.aggregate(total=Sum("tokens_issued"))["total"] or 0,
        "tokens_issued_by_client": {tool.client_id: tool.tokens_issued for tool in tools},
        "grades_stored": grades.count(),
        "grades_written": grades.exclude(grade=None).count(),
        "faults": demo_faults_get(platform),
    }


def demo_stats_reset(platform: DemoPlatform) -> None:
    cache.delete_many([_counter_key(platform.base_url, name) for name in COUNTERS])
    DemoTool.objects.filter(platform=platform).update(tokens_issued=0)


# --- taking a fault, for the views ---------------------------------------------------


@dataclass(frozen=True)
class Injected:
    status: int
    hang_seconds: float = 0.0


def _take(base_url: str, kinds: tuple[FaultKind, ...]) -> Injected | None:
    key = _faults_key(base_url)
    faults = cache.get(key)
    if not faults:
        return None  # the common case: one cache read per call
    if any("count" in faults.get(kind.value, {}) for kind in kinds):
        injected = _take_counted(key, kinds)
        if injected is not None:
            return injected
    for kind in kinds:
        fault = faults.get(kind.value)
        # A share needs no write, hence no lock: calls under a share fault stay parallel.
        if fault and "share" in fault and random.random() < fault["share"]:  # noqa: S311
            return Injected(status=fault["status"])
    return None


def _take_counted(key: str, kinds: tuple[FaultKind, ...]) -> Injected | None:
    """Spend one call of the first counted fault among ``kinds`` (under the lock)."""
    with _lock(key):
        faults = dict(cache.get(key) or {})
        for kind in kinds:
            fault = faults.get(kind.value)
            if fault is None or "count" not in fault:
                continue
            fault = {**fault, "count": fault["count"] - 1}
            if fault["count"] <= 0:
                faults.pop(kind.value)
            else:
                faults[kind.value] = fault
            cache.set(key, faults, timeout=None)
            if kind == FaultKind.AGS_HANG:
                return Injected(status=504, hang_seconds=fault["seconds"])
            return Injected(status=fault["status"])
    return None


def _fault_response(injected: Injected) -> HttpResponse:
    if injected.hang_seconds:
        # Hang, then answer like a proxy giving up; nothing is processed, so a late
        # answer never writes a grade behind the client's back.
        time.sleep(injected.hang_seconds)
    response = plain_text(
        _("Panne simulée par la plateforme de démonstration (%(status)s).")
        % {"status": injected.status},
        status=injected.status,
    )
    if injected.status in (429, 503):
        response["Retry-After"] = "1"
    return response


def ags_faults(*, scores: bool = False) -> Callable[[Callable[..., HttpResponse]], Any]:
    """Decorate an AGS view: inject the active faults, count calls and score outcomes."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            base_url = request_base_url(request)
            counter_add(base_url, "ags_calls")
            injected = _take(
                base_url, (FaultKind.AGS_ERROR, FaultKind.AGS_HANG, FaultKind.AGS_ERROR_SHARE)
            )
            if injected is not None:
                counter_add(base_url, "faults_injected")
                return _fault_response(injected)
            response = view(request, *args, **kwargs)
            if scores:
                _count_score(base_url, response.status_code)
            return response

        return wrapper

    return decorate


def _count_score(base_url: str, status: int) -> None:
    counter_add(base_url, "scores_received")
    if status in (200, 201, 204):
        counter_add(base_url, "scores_accepted")
    elif status == 409:
        counter_add(base_url, "scores_conflict")
    else:
        counter_add(base_url, "scores_refused")


def token_faults(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate the token view: refuse tokens while a TOKEN_REFUSE fault is active."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        base_url = request_base_url(request)
        injected = _take(base_url, (FaultKind.TOKEN_REFUSE,))
        if injected is None:
            return view(request, *args, **kwargs)
        counter_add(base_url, "tokens_refused")
        error = "invalid_client" if injected.status < 500 else "temporarily_unavailable"
        return JsonResponse(
            {
                "error": error,
                "error_description": _("Jeton refusé par une panne simulée (%(status)s).")
                % {"status": injected.status},
            },
            status=injected.status,
        )

    return wrapper
