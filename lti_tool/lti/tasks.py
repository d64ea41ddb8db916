"""Celery tasks of the LTI layer (style rule 7: ids in, a service call, a stable name)."""

from __future__ import annotations

from celery import shared_task

from lti_tool.lti.ags.errors import AgsError
from lti_tool.lti.keys import tool_keys_retire_expired
from lti_tool.lti.models import Context
from lti_tool.lti.roster import roster_contexts_recent
from lti_tool.lti.roster import roster_sync as roster_sync_service


@shared_task(name="lti.keys_retire_expired")
def keys_retire_expired() -> int:
    return tool_keys_retire_expired()


@shared_task(name="lti.roster_sync")
def roster_sync(context_id: int, max_age_seconds: int = 0) -> str:
    """Read one course's members through NRPS (idempotent; a fresh roster is not re-read
    when ``max_age_seconds`` says so)."""
    context = (
        Context.objects.select_related("deployment__registration").filter(pk=context_id).first()
    )
    if context is None:
        return "gone"
    try:
        report = roster_sync_service(context=context, max_age_seconds=max_age_seconds)
    except AgsError as error:
        # Recorded on RosterSync for the dashboard; the next scheduled run tries again.
        return f"failed: {error.code}"
    return "cached" if report.cached else f"{report.members} members"


@shared_task(name="lti.roster_sync_recent")
def roster_sync_recent() -> int:
    """The schedule: one ``lti.roster_sync`` per course launched lately, each skipping a
    roster read within the last hour (a trainer's refresh, an earlier run)."""
    context_ids = roster_contexts_recent()
    for context_id in context_ids:
        roster_sync.delay(context_id, 3600)
    return len(context_ids)
