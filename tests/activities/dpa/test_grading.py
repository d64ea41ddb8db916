"""The trainer grades DPA analyses on the rubric through real launches: saved criterion by
criterion (as the keyboard screen does), the tagging blended at α inside DPA-CRIT only,
results « to review » until validated, then final per domain with passback rows, and the
student's per-criterion feedback."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests
from django.urls import reverse

from lti_tool.activities.dpa.access import case_of
from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.activities.models import Placement
from lti_tool.demo.models import DemoGrade, DemoLineItem
from lti_tool.grading.models import DomainResult, Passback
from lti_tool.grading.rules import ResultStatus
from lti_tool.lti.csrf import launch_csrf_token
from tests.activities.dpa.fixtures import (
    case_path,
    dpa_link,
    full_answers,
    launch_dpa,
    submission_of,
)
from tests.grading.factories import Launched, text_of
from tests.grading.worker import WorkerProcess, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

CODES = ["DPA-CRIT", "DPA-ACT", "DPA-NEG", "DPA-CTX", "DPA-CONS", "DPA-RES", "DPA-BUD",
         "DPA-DISP", "DPA-REFL", "DPA-ECR", "DPA-PTN"]  # fmt: skip


def tokens(person: Launched) -> dict[str, str]:
    return {"launch": person.launch_id, "launch_csrf": launch_csrf_token(person.launch_id)}


def submitted(demo: Any, who: str, *, tags: list[str] | None = None) -> DpaSubmission:
    student = launch_dpa(demo, who)
    student.get(case_path(student))
    case = case_of(submission_of(student).activity_version)
    response = student.post(
        case_path(student, "submit"),
        {**full_answers(case, tags=tags), "revision": "0"},
        tokens=student.form_tokens(case_path(student), "dpa-form"),
    )
    assert response.status_code == 303, response.text[:500]
    return submission_of(student)


def keyed(trainer: Launched, submission: DpaSubmission, **fields: str) -> requests.Response:
    """One keystroke of the grading screen: a fetch asking for JSON."""
    path = case_path(trainer, "review_save", submission.pk)
    return trainer.session.post(
        trainer.url(path),
        data={**tokens(trainer), **fields},
        headers={"Accept": "application/json"},
        timeout=10,
    )


def grade_all(trainer: Launched, submission: DpaSubmission, levels: dict[str, str]) -> None:
    for code, level in levels.items():
        response = keyed(trainer, submission, **{f"level-{code}": level})
        assert response.status_code == 200, response.text[:500]


def results(submission: DpaSubmission) -> dict[str, DomainResult]:
    return {
        r.domain_code: r for r in DomainResult.objects.filter(assessment=submission.assessment_id)
    }


def validate(trainer: Launched, submission: DpaSubmission) -> requests.Response:
    return trainer.post(
        case_path(trainer, "review_validate", submission.pk), {}, tokens=tokens(trainer)
    )


def test_a_trainer_launch_lands_on_the_list_of_analyses(dpa: Any) -> None:
    submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    assert trainer.landing_path == case_path(trainer, "trainer")
    page = text_of(trainer.get(trainer.landing_path))
    assert "Hugo" in page and "remise" in page
    assert "Évaluer au clavier" in page


def test_each_level_is_saved_at_once_and_the_tagging_blends_inside_dpa_crit_only(
    dpa: Any,
) -> None:
    submission = submitted(dpa, "hugo.petit")  # every expected tag: s_auto = 1
    assert submission.auto_score == Decimal(1)
    trainer = launch_dpa(dpa, "claire.martin")
    grade_all(trainer, submission, dict.fromkeys(CODES, "2"))
    answer = keyed(trainer, submission, **{"comment-DPA-NEG": "Le premier pas reste à négocier."})
    data = answer.json()
    # DPA-CRIT: 0.8 × 2/4 + 0.2 × 1 = 0.6; the other DC2 criteria 0.5; weights 2,2,3,2,2,2,1:
    # DC2 = 20 × (2×0.6 + 12×0.5) / 14 = 10.29. The other domains stay exactly at level 2.
    assert data["domains"] == {"DC2": "10.29", "DC1": "10.00", "DC3": "10.00", "DC4": "10.00"}
    assert data["undecided"] == []
    stored = results(submission)
    assert {code: r.score_20 for code, r in stored.items()} == {
        "DC2": Decimal("10.29"),
        "DC1": Decimal("10.00"),
        "DC3": Decimal("10.00"),
        "DC4": Decimal("10.00"),
    }
    assert all(r.status == ResultStatus.TO_REVIEW for r in stored.values())
    assert not Passback.objects.exists()
    submission.refresh_from_db()
    assert submission.review["DPA-NEG"] == {
        "level": 2,
        "decided": True,
        "comment": "Le premier pas reste à négocier.",
    }


def test_the_student_sees_nothing_of_the_grade_before_validation(dpa: Any) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    grade_all(trainer, submission, dict.fromkeys(CODES, "3"))
    keyed(trainer, submission, **{"comment-DPA-ACT": "Commentaire encore privé."})
    student = launch_dpa(dpa, "hugo.petit")
    page = text_of(student.get(case_path(student, "after")))
    assert "pas encore validé" in page
    assert "Commentaire encore privé." not in page
    assert 'data-testid="domain-score"' not in page


def test_validation_waits_for_a_level_or_n_e_on_every_criterion(dpa: Any) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    grade_all(trainer, submission, dict.fromkeys(CODES[:-2], "3"))
    response = validate(trainer, submission)
    assert response.status_code == 400
    assert "DPA-ECR, DPA-PTN" in text_of(response)
    assert all(r.status == ResultStatus.TO_REVIEW for r in results(submission).values())


def test_validation_finalises_each_domain_queues_passback_and_shows_the_feedback(
    dpa: Any,
) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    levels = dict.fromkeys(CODES, "3")
    levels.update({"DPA-RES": "1", "DPA-PTN": "ne"})
    grade_all(trainer, submission, levels)
    keyed(trainer, submission, **{"comment-DPA-RES": "Ses compétences restent absentes du plan."})
    response = validate(trainer, submission)
    assert response.status_code == 303 and "valide=1" in response.headers["Location"]
    stored = results(submission)
    # DPA-PTN is N/E: DC4 has no result at all (not 0) and nothing is sent for it.
    assert set(stored) == {"DC2", "DC1", "DC3"}
    assert all(r.status == ResultStatus.FINAL for r in stored.values())
    sent = Passback.objects.filter(result__assessment=submission.assessment_id)
    assert sorted(p.result.domain_code for p in sent) == ["DC1", "DC2", "DC3"]
    assert all(p.status == Passback.Status.PENDING for p in sent)
    listing = text_of(trainer.get(case_path(trainer, "trainer")))
    assert listing.count('data-testid="row-result"') == 3 and "(à valider)" not in listing
    student = launch_dpa(dpa, "hugo.petit")
    page = text_of(student.get(case_path(student, "after")))
    assert "Ses compétences restent absentes du plan." in page
    assert "non acquis" in page and "acquis" in page  # DPA-RES at 1; the others at 3
    assert f"{stored['DC1'].score_20:.0f}/20" in page
    feedback = page.split("Retour de votre formateur·rice")[1]
    assert "DC4" not in feedback.split("Une autre manière de faire")[0]


def test_a_change_after_validation_is_sent_again_for_its_domain_only(dpa: Any) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    grade_all(trainer, submission, dict.fromkeys(CODES, "2"))
    validate(trainer, submission)
    keyed(trainer, submission, **{"level-DPA-ECR": "4"})
    before = results(submission)
    assert before["DC3"].score_20 == Decimal("10.00")  # final: unchanged until validated
    submission.refresh_from_db()
    assert submission.validated_at is None
    validate(trainer, submission)
    after = results(submission)
    assert after["DC3"].score_20 == Decimal("20.00")
    assert after["DC2"].score_20 == before["DC2"].score_20
    pending = Passback.objects.filter(
        result__assessment=submission.assessment_id, status=Passback.Status.PENDING
    )
    assert sorted(p.result.domain_code for p in pending) == ["DC1", "DC2", "DC3", "DC4"]
    assert Passback.objects.filter(result=after["DC3"]).count() == 2
    assert Passback.objects.filter(result=after["DC2"]).count() == 1


def test_the_whole_rubric_can_be_saved_without_javascript(dpa: Any) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    screen = case_path(trainer, "grade", submission.pk)
    page = text_of(trainer.get(screen))
    assert "data-rubric-keyboard" in page and "Le plan répond au manque d'argent" in page
    form = {f"level-{code}": "4" for code in CODES}
    form["comment-DPA-CRIT"] = "Repérage complet."
    response = trainer.post(
        case_path(trainer, "review_save", submission.pk), form, tokens=tokens(trainer)
    )
    assert response.status_code == 303 and screen in response.headers["Location"]
    assert {r.score_20 for r in results(submission).values()} == {Decimal("20.00")}


def test_the_grading_screen_links_the_previous_and_next_analysis(dpa: Any) -> None:
    first = submitted(dpa, "lea.bernard")
    second = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    # By family name: Bernard, then Petit.
    page = text_of(trainer.get(case_path(trainer, "grade", first.pk)))
    assert f'data-next-url="{case_path(trainer, "grade", second.pk)}' in page
    assert "data-previous-url" not in page and "1 sur 2" in page


def test_a_draft_cannot_be_graded(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    student.get(case_path(student))
    draft = submission_of(student)
    trainer = launch_dpa(dpa, "claire.martin")
    assert trainer.get(case_path(trainer, "grade", draft.pk)).status_code == 403
    assert keyed(trainer, draft, **{"level-DPA-CRIT": "3"}).status_code == 409


def test_an_unknown_level_or_criterion_is_refused(dpa: Any) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    assert keyed(trainer, submission, **{"level-DPA-CRIT": "7"}).status_code == 400
    assert keyed(trainer, submission, **{"level-CA-CADRE": "2"}).status_code == 400
    submission.refresh_from_db()
    assert submission.review == {}


def test_a_domain_turned_to_n_e_before_validation_loses_its_result(dpa: Any) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    grade_all(trainer, submission, dict.fromkeys(CODES, "2"))
    assert "DC4" in results(submission)
    answer = keyed(trainer, submission, **{"level-DPA-PTN": "ne"})
    assert "DC4" not in answer.json()["domains"]
    assert "DC4" not in results(submission)  # no result — not 0, not a stale 10
    validate(trainer, submission)
    assert set(results(submission)) == {"DC1", "DC2", "DC3"}
    assert not Passback.objects.filter(result__domain_code="DC4").exists()


def test_the_course_page_leads_the_trainer_to_the_dpa_analyses(dpa: Any) -> None:
    trainer = launch_dpa(dpa, "claire.martin")
    page = text_of(trainer.get(reverse("activities:course_home", args=[trainer.context.pk])))
    assert f'data-testid="dpa-link-{trainer.resource_link.pk}"' in page
    assert case_path(trainer, "trainer") in page


def test_the_trainers_first_launch_binds_the_link_from_its_custom_parameter(dpa: Any) -> None:
    trainer = launch_dpa(dpa, "claire.martin")
    assert trainer.landing_path == case_path(trainer, "trainer")
    assert trainer.get(trainer.landing_path).status_code == 200
    placement = Placement.objects.get(resource_link=trainer.resource_link)
    assert placement.activity_version.activity.slug == "dpa-mme-morel"
    assert placement.bound_by == trainer.lti_user


def test_validated_domain_grades_reach_the_platforms_gradebook(
    dpa: Any, worker: WorkerProcess
) -> None:
    submission = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    levels = dict.fromkeys(CODES, "4")
    levels.update({"DPA-ECR": "2", "DPA-PTN": "ne"})
    grade_all(trainer, submission, levels)
    validate(trainer, submission)
    wait_until(
        lambda: Passback.objects.filter(status=Passback.Status.SENT).count() == 3,
        what=lambda: (
            f"{list(Passback.objects.values_list('status', 'last_error'))}\n{worker.log()}"
        ),
    )
    items = DemoLineItem.objects.filter(course__platform=dpa.platform)
    link = dpa_link(dpa)
    # The launch's own column carries the first domain of the case (DC2); the others have a
    # column of their own, tagged; DC4 (all N/E) has none.
    own = items.get(resource_link=link, created_by_tool=False)
    grades = {"DC2": DemoGrade.objects.get(line_item=own).grade}
    for code in ("DC1", "DC3"):
        grades[code] = DemoGrade.objects.get(line_item=items.get(tag=code)).grade
    assert grades == {"DC2": Decimal(20), "DC1": Decimal(20), "DC3": Decimal(10)}
    assert not items.filter(tag="DC4").exists()
