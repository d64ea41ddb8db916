"""Celery tasks of the grading app (style rule 7: ids in, a service call, a stable name)."""

from __future__ import annotations

from celery import shared_task

from lti_tool.grading import passback


@shared_task(name="grading.passback_send", acks_late=True, reject_on_worker_lost=True)
def passback_send(passback_id: int) -> str:
    """Deliver one outbox row; idempotent (a sent row is never sent again)."""
    return passback.passback_deliver(passback_id=passback_id)


@shared_task(name="grading.passback_sweep")
def passback_sweep() -> int:
    """Re-enqueue rows left pending or sending (lost message, killed worker)."""
    return passback.passbacks_stuck_requeue()
