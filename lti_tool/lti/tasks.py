"""Celery tasks of the LTI layer (style rule 7: ids in, a service call, a stable name)."""

from __future__ import annotations

from celery import shared_task

from lti_tool.lti.keys import tool_keys_retire_expired


@shared_task(name="lti.keys_retire_expired")
def keys_retire_expired() -> int:
    return tool_keys_retire_expired()
