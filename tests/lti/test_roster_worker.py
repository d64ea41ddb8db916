"""The roster read by a real Celery worker, on the real broker and database: the schedule's
task and a trainer's first visit to the dashboard both end with the whole course known
(design.md §7; style rule 7: tasks take ids and call the service)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lti_tool.lti import tasks
from lti_tool.lti.models import Context, Membership, RosterSync
from tests.grading.factories import launch, text_of
from tests.grading.worker import WorkerProcess, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ENROLLED = 7  # the demo course: two trainers, five students


def _roster_read(context: Context) -> bool:
    sync = RosterSync.objects.filter(context=context).first()
    return bool(sync and sync.synced_at and sync.members_count == ENROLLED)


def test_the_schedule_has_a_worker_read_the_rosters_of_recent_courses(
    demo: Any, worker: WorkerProcess
) -> None:
    context = launch(demo, "trainer").context

    tasks.roster_sync_recent.delay()

    wait_until(lambda: _roster_read(context), what=worker.log)
    assert Membership.objects.filter(context=context).count() == ENROLLED


def test_a_first_visit_to_the_dashboard_has_a_worker_read_the_roster(
    demo: Any, worker: WorkerProcess
) -> None:
    trainer = launch(demo, "trainer")
    page = reverse("dashboard:course", args=[trainer.context.pk])
    first = text_of(trainer.get(page))
    assert 'data-testid="roster-requested"' in first and "Inès Moreau" not in first

    wait_until(lambda: _roster_read(trainer.context), what=worker.log)

    again = text_of(trainer.get(page))
    assert "Inès Moreau" in again and "pas commencé" in again
    assert 'data-testid="roster-requested"' not in again
