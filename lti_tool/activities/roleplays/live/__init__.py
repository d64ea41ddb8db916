"""The live session, in class and on phones (issue 8, "Live session"; domain.md §6.1 step 3).

Who is who in one session (``live_seat_get``), what the trainer's console and a student's
live page show (selectors), and the writes of the session: start and stop, trigger an
incident, mark it seen, save an observer's level or note (services).

Rules kept here, on the server:
* an incident reaches the holder of the role card or of the mandate it is addressed to,
  once, and only while the session runs; with no holder it is recorded for nobody and the
  trainer hands it on paper;
* an observer assesses the criteria of their focus only: per co-animator when the
  criterion is individual, once for the team when it is shared (domain.md §4.3);
* saving stays open while the session runs and ``SAVE_GRACE`` after it ends, so that a
  phone that was offline at the end can still deliver what it kept;
* a note carries the phone's UUID: a retried save is recorded once.

The save and poll paths are what 30 phones hit every few seconds: each is a handful of
indexed queries, never one per item.
"""

from lti_tool.activities.roleplays.live.seats import (
    LEVEL_UNKNOWN,
    NOTE_MAX_CHARS,
    SAVE_GRACE,
    TEAM_KEY,
    LiveSeat,
    Seat,
    elapsed_seconds,
    live_seat_get,
    saving_open,
)
from lti_tool.activities.roleplays.live.selectors import (
    Console,
    GridItem,
    ObserverGrid,
    console_get,
    observer_grid,
    team_members,
)
from lti_tool.activities.roleplays.live.services import (
    DeliveredIncident,
    grid_entry_save,
    incident_recipient,
    incident_trigger,
    incidents_deliver,
    new_client_id,
    observer_note_save,
    session_start,
    session_stop,
)

__all__ = [
    "LEVEL_UNKNOWN",
    "NOTE_MAX_CHARS",
    "SAVE_GRACE",
    "TEAM_KEY",
    "Console",
    "DeliveredIncident",
    "GridItem",
    "LiveSeat",
    "ObserverGrid",
    "Seat",
    "console_get",
    "elapsed_seconds",
    "grid_entry_save",
    "incident_recipient",
    "incident_trigger",
    "incidents_deliver",
    "live_seat_get",
    "new_client_id",
    "observer_grid",
    "observer_note_save",
    "saving_open",
    "session_start",
    "session_stop",
    "team_members",
]
