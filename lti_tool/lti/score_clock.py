"""Score timestamps strictly increasing per (line item, user), never in the future.

Moodle answers 409 to a score whose timestamp is not newer than the stored one, compared
in whole seconds, and a timestamp in the future blocks every later correction until that
moment passes (shared/moodle.md, AGS; AGS 2.0 §3.4.3). So each timestamp is reserved here,
under a row lock, before the score leaves.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from lti_tool.lti.ags.errors import ScoreTimestampTooSoon
from lti_tool.lti.models import LineItem, LtiUser, ScoreClock

ONE_SECOND = timedelta(seconds=1)


@transaction.atomic
def score_timestamp_next(*, line_item: LineItem, lti_user: LtiUser) -> datetime:
    """The timestamp for the next score of (line item, user), reserved.

    Raises ``ScoreTimestampTooSoon(retry_after_ms)`` when the previous one was sent in the
    current second: the caller delays instead of sending a future or equal timestamp.
    """
    clock, _created = ScoreClock.objects.select_for_update().get_or_create(
        line_item=line_item, user=lti_user
    )
    now = timezone.now()
    candidate = now.replace(microsecond=0)
    if clock.last_timestamp is not None:
        candidate = max(candidate, clock.last_timestamp.replace(microsecond=0) + ONE_SECOND)
    if candidate > now:
        wait_ms = math.ceil((candidate - now).total_seconds() * 1000)
        raise ScoreTimestampTooSoon(retry_after_ms=max(wait_ms, 1))
    clock.last_timestamp = candidate
    clock.save(update_fields=["last_timestamp", "updated_at"])
    return candidate
