"""Grade passback end to end: services → outbox → a real Celery worker on the real broker
→ AGS over HTTP → the built-in platform's gradebook (design.md §5)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from config.celery import app as celery_app
from lti_tool.demo.models import DemoGrade, DemoLineItem
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import ActivityKind, Criterion, Evidence, ResultStatus, level_evidence
from lti_tool.grading.services import assessment_create, assessment_grade, result_moderate
from lti_tool.lti.models import LtiUser, ResourceLink
from tests.grading.worker import WorkerProcess, real_services_missing, wait_until
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


@pytest.fixture
def worker(demo: Any, tmp_path: Path) -> Iterator[WorkerProcess]:
    reason = real_services_missing()
    if reason:
        pytest.skip(reason)
    queue = f"atelier-test-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    process = WorkerProcess(queue=queue, log_dir=tmp_path).start()
    yield process
    process.stop()
    celery_app.conf.task_default_queue = previous


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
        what=f"two scores sent; worker log:\n{worker.log()}",
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
