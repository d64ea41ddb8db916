"""Grade passback end to end: services → outbox → a real Celery worker on the real broker
→ AGS over HTTP → the built-in platform's gradebook (design.md §5)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.celery import app as celery_app
from lti_tool.demo.faults import demo_fault_set, demo_faults_clear
from lti_tool.demo.models import DemoGrade, DemoLineItem
from lti_tool.grading.models import DomainResult, Passback, PassbackAttempt
from lti_tool.grading.passback import passbacks_stuck_requeue
from lti_tool.grading.rules import ActivityKind, Criterion, Evidence, ResultStatus, level_evidence
from lti_tool.grading.services import (
    assessment_create,
    assessment_grade,
    passback_resend,
    result_moderate,
)
from lti_tool.grading.tasks import passback_send
from lti_tool.lti.models import LtiUser, ResourceLink
from tests.grading.worker import (
    RABBITMQ_BROKER,
    REDIS_BROKER,
    WorkerProcess,
    port_open,
    real_services_missing,
    wait_until,
)
from tests.lti.flow import login_and_authorize, post_launch

pytestmark = pytest.mark.django_db(transaction=True)

D = Decimal
CRITERIA = [
    Criterion("GD-ANIM", "DC2", D(2), ("DC2.A3",)),
    Criterion("GD-COOP", "DC4", D(1), ("DC4.4",)),
    Criterion("GD-VEILLE", "DC1", D(1), ("DC1.1",)),
]


def _launch_as(demo: Any, who: str) -> LtiUser:
    import requests

    session = requests.Session()
    url, fields = demo.login_fields(who)
    auth = login_and_authorize(session, url, fields)
    assert post_launch(session, auth).status_code == 303
    return LtiUser.objects.get(sub=auth.claims["sub"])


def _scenario(demo: Any, student: LtiUser, kind: ActivityKind = ActivityKind.SCENARIO) -> Any:
    return assessment_create(
        resource_link=ResourceLink.objects.get(),
        lti_user=student,
        activity_kind=kind,
        activity_title="Premier groupe de parents",
        activity_ref="premier-groupe-parents",
        framework_code="DECESF-2018",
        framework_version=1,
        criteria=CRITERIA,
    )


def _platform_grade(demo: Any, tag: str | None) -> DemoGrade | None:
    items = DemoLineItem.objects.filter(course__platform=demo.platform)
    item = (
        items.filter(resource_link=demo.link(0), created_by_tool=False).first()
        if tag is None
        else (items.filter(tag=tag).first())
    )
    return DemoGrade.objects.filter(line_item=item).first() if item else None


# --- without a worker: what finalising writes ------------------------------------------


def test_a_final_scenario_result_writes_one_outbox_row_per_assessed_domain(demo: Any) -> None:
    student = _launch_as(demo, "student")
    assessment = _scenario(demo, student)
    results = assessment_grade(
        assessment=assessment,
        evidence=[Evidence("GD-ANIM", D(3), D(3)), level_evidence("GD-COOP", 2, source="auto")],
    )
    assert {r.domain_code for r in results} == {"DC2", "DC4"}
    assert all(r.status == ResultStatus.FINAL for r in results)
    assert Passback.objects.filter(result__in=results, status=Passback.Status.PENDING).count() == 2
    assert not DomainResult.objects.filter(domain_code="DC1").exists()


def test_a_flagged_result_waits_for_a_trainer_and_sends_nothing(demo: Any) -> None:
    student = _launch_as(demo, "student")
    assessment = _scenario(demo, student)
    results = assessment_grade(
        assessment=assessment,
        evidence=[
            Evidence("GD-ANIM", D(3), D(3), ethics_flag=True),
            Evidence("GD-COOP", D(1), D(3)),
        ],
    )
    by_domain = {r.domain_code: r for r in results}
    assert by_domain["DC2"].status == ResultStatus.TO_REVIEW
    assert by_domain["DC4"].status == ResultStatus.FINAL  # the flag touches its own domain only
    assert not Passback.objects.filter(result=by_domain["DC2"]).exists()


def test_a_trainer_validation_schedules_the_passback(demo: Any) -> None:
    trainer = _launch_as(demo, "trainer")
    student = _launch_as(demo, "student")
    assessment = _scenario(demo, student, ActivityKind.ROLEPLAY)
    (dc2,) = assessment_grade(assessment=assessment, evidence=[level_evidence("GD-ANIM", 3)])
    assert dc2.status == ResultStatus.TO_REVIEW and not dc2.passbacks.exists()
    result_moderate(
        result=dc2, actor=trainer, criterion_levels={"GD-ANIM": 4}, comment="Très bon cadre"
    )
    dc2.refresh_from_db()
    assert dc2.score_20 == D("20.00") and dc2.status == ResultStatus.FINAL
    assert dc2.passbacks.get().status == Passback.Status.PENDING


# --- with a real worker -----------------------------------------------------------------


def test_final_results_land_in_the_platform_gradebook_per_domain(
    demo: Any, worker: WorkerProcess
) -> None:
    student = _launch_as(demo, "student")
    assessment = _scenario(demo, student)
    assessment_grade(
        assessment=assessment,
        evidence=[Evidence("GD-ANIM", D(2), D(3)), level_evidence("GD-COOP", 3, source="auto")],
    )
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENT).count() == 2,
        what=lambda: f"two scores sent; worker log:\n{worker.log()}",
    )
    own_column = _platform_grade(demo, None)
    assert own_column is not None and own_column.grade == D("13.33")  # DC2 = 20 × 2/3
    dc4 = _platform_grade(demo, "DC4")
    assert dc4 is not None and dc4.grade == D("15.00")
    item = dc4.line_item
    assert item.resource_id == "premier-groupe-parents:DC4"
    assert item.label.startswith("Premier groupe de parents — DC4")
    assert item.score_maximum == 20
    assert not DemoLineItem.objects.filter(tag="DC1").exists()  # unassessed: no column at all


# --- faults: nothing is lost --------------------------------------------------------


def _grade_two_domains(demo: Any) -> list[DomainResult]:
    student = _launch_as(demo, "student")
    return assessment_grade(
        assessment=_scenario(demo, student),
        evidence=[Evidence("GD-ANIM", D(3), D(3)), level_evidence("GD-COOP", 2, source="auto")],
    )


def _all_sent(worker: WorkerProcess, count: int = 2, timeout: float = 90) -> None:
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENT).count() == count,
        timeout=timeout,
        what=lambda: (
            f"{count} scores sent; rows: "
            f"{list(Passback.objects.values_list('status', 'tries', 'last_error'))}\n{worker.log()}"
        ),
    )


@pytest.mark.parametrize("status", [500, 503, 429])
def test_grades_arrive_once_the_platform_recovers(
    demo: Any, worker: WorkerProcess, status: int
) -> None:
    demo_fault_set(platform=demo.platform, kind="ags_error", count=3, status=status)
    _grade_two_domains(demo)
    _all_sent(worker)
    outcomes = list(PassbackAttempt.objects.values_list("outcome", flat=True))
    assert outcomes.count(PassbackAttempt.Outcome.TRANSIENT) == 3
    assert outcomes.count(PassbackAttempt.Outcome.SENT) == 2
    assert _platform_grade(demo, "DC4").grade == D("10.00")  # type: ignore[union-attr]


def test_a_platform_that_hangs_past_the_timeout_is_retried(
    demo: Any, worker: WorkerProcess
) -> None:
    demo_fault_set(platform=demo.platform, kind="ags_hang", count=1, seconds=3)
    _grade_two_domains(demo)
    _all_sent(worker)
    assert PassbackAttempt.objects.filter(outcome=PassbackAttempt.Outcome.TRANSIENT).count() == 1


def test_a_token_endpoint_outage_delays_but_loses_nothing(demo: Any, worker: WorkerProcess) -> None:
    demo_fault_set(platform=demo.platform, kind="token_refuse", count=2, status=503)
    _grade_two_domains(demo)
    _all_sent(worker)


def test_a_permanent_refusal_fails_with_a_reason_and_a_resend_delivers_it(
    demo: Any, worker: WorkerProcess
) -> None:
    demo_fault_set(platform=demo.platform, kind="ags_error", count=50, status=403)
    results = _grade_two_domains(demo)
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.FAILED).count() == 2,
        what=lambda: f"two failures\n{worker.log()}",
    )
    failed = Passback.objects.filter(status=Passback.Status.FAILED).first()
    assert failed is not None and failed.last_status_code == 403 and failed.tries == 1
    assert failed.last_error  # a sentence a trainer can read
    demo_faults_clear(demo.platform)
    for result in results:
        passback_resend(passback=result.passbacks.first(), actor=None)  # type: ignore[arg-type]
    _all_sent(worker)


def test_a_worker_killed_mid_send_loses_nothing_and_writes_no_duplicate(
    demo: Any, worker: WorkerProcess, tmp_path: Path, settings: Any
) -> None:
    settings.PASSBACK_STUCK_AFTER_SECONDS = 1
    demo_fault_set(platform=demo.platform, kind="ags_hang", count=1, seconds=6)
    _grade_two_domains(demo)
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENDING).exists(),
        what="a send in progress",
    )
    worker.kill()
    replacement = WorkerProcess(queue=worker.queue, log_dir=tmp_path).start()
    try:
        # The killed worker's message is not acknowledged; the periodic sweep finds the
        # row once its lease has run out (design.md §5.4).
        def swept_and_sent() -> bool:
            passbacks_stuck_requeue()
            return Passback.objects.filter(status=Passback.Status.SENT).count() == 2

        wait_until(swept_and_sent, timeout=90, what=lambda: f"recovery\n{replacement.log()}")
    finally:
        replacement.stop()
    assert DemoLineItem.objects.filter(course__platform=demo.platform, tag="DC4").count() == 1
    assert DemoGrade.objects.filter(line_item__course__platform=demo.platform).count() == 2


def test_messages_lost_by_the_broker_are_sent_again_by_the_sweep(
    demo: Any, worker: WorkerProcess, tmp_path: Path, settings: Any
) -> None:
    settings.PASSBACK_STUCK_AFTER_SECONDS = 1
    worker.stop()
    _grade_two_domains(demo)
    # A broker restart that keeps nothing on disk drops every queued message.
    with celery_app.connection_for_write() as connection:
        connection.default_channel.queue_purge(worker.queue)
    replacement = WorkerProcess(queue=worker.queue, log_dir=tmp_path).start()
    try:

        def swept_and_sent() -> bool:
            passbacks_stuck_requeue()
            return Passback.objects.filter(status=Passback.Status.SENT).count() == 2

        wait_until(swept_and_sent, timeout=120, what=lambda: f"recovery\n{replacement.log()}")
    finally:
        replacement.stop()


@pytest.mark.parametrize(
    ("broker", "port"),
    [
        pytest.param(REDIS_BROKER, 6379, id="redis"),
        pytest.param(RABBITMQ_BROKER, 5672, id="rabbitmq"),
    ],
)
def test_the_worker_delivers_through_either_broker(
    demo: Any, tmp_path: Path, broker: str, port: int
) -> None:
    """Production runs on Redis or RabbitMQ: the same task crosses both."""
    reason = real_services_missing() or (
        "" if port_open("127.0.0.1", port) else f"{broker} unreachable"
    )
    if reason:
        pytest.skip(reason)
    queue = f"atelier-test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = f"{queue}-unused"  # the services' own enqueue
    worker = WorkerProcess(queue=queue, log_dir=tmp_path, broker_url=broker).start()
    try:
        _grade_two_domains(demo)
        with celery_app.connection_for_write(url=broker) as connection:
            for passback in Passback.objects.all():
                passback_send.apply_async((passback.pk,), queue=queue, connection=connection)
        _all_sent(worker)
    finally:
        worker.stop()
        celery_app.conf.task_default_queue = previous
        with celery_app.connection_for_write() as connection:
            # The services' own messages went to a queue nobody reads: drop it.
            connection.default_channel.queue_delete(f"{queue}-unused")
