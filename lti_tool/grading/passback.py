"""Delivering outbox rows to the platform's gradebook (design.md §5; AGS 2.0 §3.4).

One row = one (result, score) to send. The delivery:

1. claims the row (pending, or sending whose lease ran out) under a row lock, so two
   workers never send the same row at once and a redelivered message after a crash
   resumes it; a sent or superseded row is left alone (idempotence);
2. outside any transaction, finds or creates the line item of (resource link, domain)
   and posts the score with a timestamp strictly after the last one sent for
   (line item, user);
3. records the try (PassbackAttempt) and decides: sent; retry later with exponential
   backoff and jitter (timeouts, connection errors, 429, 5xx, token endpoint down);
   failed with a message a trainer understands (400, 403, 404, 415, 401 after a fresh
   token); 409 → once more at once with a newer timestamp.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lti_tool.grading.models import DomainResult, Passback, PassbackAttempt
from lti_tool.lti.ags import AgsConflict, AgsError, AgsPermanentError, ScoreTimestampTooSoon
from lti_tool.lti.ags.client import score_post
from lti_tool.lti.ags.line_items import line_item_ensure
from lti_tool.lti.score_clock import score_timestamp_next

logger = logging.getLogger(__name__)

BACKOFF_CAP_SECONDS = 3600
# Transient failures are retried for two days before a trainer is asked to act; a
# platform outage of an hour, or a night, loses nothing (issue: "at least 24 h").
GIVE_UP_AFTER = timedelta(hours=48)


def backoff_seconds(tries: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with ±20 % jitter, capped at an hour."""
    first = settings.PASSBACK_BACKOFF_FIRST_SECONDS
    base = min(first * 2 ** max(tries - 1, 0), BACKOFF_CAP_SECONDS)
    return base * (rng or random).uniform(0.8, 1.2)


def _claim(passback_id: int) -> Passback | None:
    now = timezone.now()
    with transaction.atomic():
        # Lock this row only (``of=self``): the joined rows are shared by every score of
        # the course, and locking them would make concurrent claims skip each other.
        passback = (
            Passback.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("result__assessment__resource_link__context__deployment__registration")
            .select_related("result__assessment__lti_user")
            .filter(pk=passback_id)
            .first()
        )
        if passback is None or passback.status not in (
            Passback.Status.PENDING,
            Passback.Status.SENDING,
        ):
            return None  # gone, done, superseded, or being claimed by another worker
        if passback.next_try_at and passback.next_try_at > now:
            return None  # not due yet, or another worker holds the lease
        newer = passback.result.passbacks.filter(created_at__gt=passback.created_at).exclude(
            status=Passback.Status.SUPERSEDED
        )
        if newer.exists():
            passback.status = Passback.Status.SUPERSEDED
            passback.save(update_fields=["status", "updated_at"])
            return None
        passback.status = Passback.Status.SENDING
        passback.tries += 1
        passback.first_try_at = passback.first_try_at or now
        # While a worker sends the row nobody else may claim it; past the lease (worker
        # killed) the sweep or a redelivered message takes it over.
        passback.next_try_at = now + timedelta(seconds=settings.PASSBACK_LEASE_SECONDS)
        passback.save(
            update_fields=["status", "tries", "first_try_at", "next_try_at", "updated_at"]
        )
        return passback


def _line_item_label(result: DomainResult) -> str:
    title = f" {result.domain_title}" if result.domain_title else ""
    return f"{result.assessment.activity_title} — {result.domain_code}{title}"[:250]


def _send(passback: Passback) -> None:
    result = passback.result
    assessment = result.assessment
    link = assessment.resource_link
    registration = link.context.deployment.registration
    line_item = line_item_ensure(
        resource_link=link,
        domain_code=result.domain_code,
        label=_line_item_label(result),
        tag=result.domain_code,
        resource_id=f"{assessment.activity_ref}:{result.domain_code}",
        score_maximum=passback.score_maximum,
        is_primary=result.domain_code == assessment.primary_domain,
    )
    passback.line_item_url = line_item.url
    for attempt in range(2):
        timestamp = score_timestamp_next(line_item=line_item, lti_user=assessment.lti_user)
        passback.score_timestamp = timestamp
        try:
            score_post(
                registration,
                line_item.url,
                user_id=assessment.lti_user.sub,
                score_given=passback.score_given,
                score_maximum=passback.score_maximum,
                comment=passback.comment or None,
                timestamp=timestamp,
            )
            return
        except AgsConflict:
            # 409: the platform holds a newer-or-equal timestamp; resend once, newer.
            if attempt == 1:
                raise


def _record(
    passback: Passback, outcome: str, started: float, error: AgsError | None = None
) -> None:
    PassbackAttempt.objects.create(
        passback=passback,
        outcome=outcome,
        status_code=error.status_code if error else 200,
        duration_ms=int((time.monotonic() - started) * 1000),
        body_excerpt=error.body_excerpt if error else "",
        error=error.message if error else "",
    )


def _finish(passback: Passback, **fields: object) -> None:
    for name, value in fields.items():
        setattr(passback, name, value)
    passback.save()


def passback_deliver(*, passback_id: int) -> str:
    """Send one outbox row; returns what happened (for logs and tests)."""
    passback = _claim(passback_id)
    if passback is None:
        return "skipped"
    started = time.monotonic()
    try:
        _send(passback)
    except ScoreTimestampTooSoon as wait:
        _finish(
            passback,
            status=Passback.Status.PENDING,
            tries=passback.tries - 1,
            next_try_at=timezone.now() + timedelta(milliseconds=wait.retry_after_ms),
        )
        _requeue(passback, wait.retry_after_ms / 1000)
        return "later"
    except AgsError as error:
        return _failure(passback, error, started)
    _record(passback, PassbackAttempt.Outcome.SENT, started)
    _finish(
        passback,
        status=Passback.Status.SENT,
        sent_at=timezone.now(),
        next_try_at=None,
        last_status_code=200,
        last_error="",
    )
    return "sent"


def _failure(passback: Passback, error: AgsError, started: float) -> str:
    if isinstance(error, AgsConflict):
        outcome = PassbackAttempt.Outcome.CONFLICT
    elif isinstance(error, AgsPermanentError):
        outcome = PassbackAttempt.Outcome.PERMANENT
    else:
        outcome = PassbackAttempt.Outcome.TRANSIENT
    _record(passback, outcome, started, error)
    logger.warning("passback %s: %s", passback.pk, error)
    first = passback.first_try_at or timezone.now()
    if error.retryable and timezone.now() - first < GIVE_UP_AFTER:
        delay = max(backoff_seconds(passback.tries), error.retry_after_seconds or 0)
        _finish(
            passback,
            status=Passback.Status.PENDING,
            next_try_at=timezone.now() + timedelta(seconds=delay),
            last_status_code=error.status_code,
            last_error=error.message,
        )
        _requeue(passback, delay)
        return "retry"
    message = error.message
    if error.retryable:
        message = (
            "La plateforme ne répond plus depuis plus de 48 h ; dernier problème : "
            f"{error.message} Renvoyez la note quand elle sera de nouveau disponible."
        )
    _finish(
        passback,
        status=Passback.Status.FAILED,
        next_try_at=None,
        last_status_code=error.status_code,
        last_error=message,
    )
    return "failed"


def _requeue(passback: Passback, delay_seconds: float) -> None:
    from lti_tool.grading.tasks import passback_send

    passback_send.apply_async((passback.pk,), countdown=max(delay_seconds, 0))


def passbacks_stuck_requeue() -> int:
    """Re-enqueue rows whose message was lost or whose worker died (design.md §5.4)."""
    current = timezone.now()
    stuck = Passback.objects.filter(
        # A pending row is only presumed lost once it is well past due: during a backlog,
        # rows wait in the queue for minutes, and re-publishing them would double the work.
        Q(
            status=Passback.Status.PENDING,
            next_try_at__lte=current - timedelta(seconds=settings.PASSBACK_STUCK_AFTER_SECONDS),
        )
        | Q(status=Passback.Status.PENDING, next_try_at__isnull=True)
        | Q(status=Passback.Status.SENDING, next_try_at__lte=current)
    ).values_list("pk", flat=True)[:1000]
    from lti_tool.grading.tasks import passback_send

    count = 0
    for pk in stuck:
        passback_send.delay(pk)
        count += 1
    return count
