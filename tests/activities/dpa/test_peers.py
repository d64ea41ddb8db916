"""Optional peer review of DPA analyses, through real launches: the trainer gives out the
reviews once two analyses are submitted (two reviewers each, never the author), a reviewer
reads the analysis without its author's name nor the trainer's grades, saves then sends a
review that is final once sent, and the trainer sees the peers' median and comments next to
the rubric while the grade stays the trainer's alone (β = 0)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from lti_tool.activities.dpa.access import case_of
from lti_tool.activities.dpa.models import DpaPeerReview, DpaSubmission
from lti_tool.grading.models import DomainResult
from lti_tool.lti.csrf import launch_csrf_token
from tests.activities.dpa.fixtures import case_path, full_answers, launch_dpa, submission_of
from tests.grading.factories import Launched, launch, other_course, text_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]


def tokens(person: Launched) -> dict[str, str]:
    return {"launch": person.launch_id, "launch_csrf": launch_csrf_token(person.launch_id)}


def submitted(demo: Any, who: str) -> Launched:
    """``who`` submits a complete analysis whose critique names its author's login (to find
    it, or not, on the pages)."""
    student = launch_dpa(demo, who)
    student.get(case_path(student))
    case = case_of(submission_of(student).activity_version)
    answers = {**full_answers(case), "critique": f"Critique rédigée par {who}, le plan impose."}
    response = student.post(
        case_path(student, "submit"), {**answers, "revision": "0"}, tokens=tokens(student)
    )
    assert response.status_code == 303, response.text[:500]
    return student


def assign(trainer: Launched) -> requests.Response:
    return trainer.post(case_path(trainer, "peer_assign"), {}, tokens=tokens(trainer))


def review_given(reviewer: Launched, author: Launched) -> DpaPeerReview:
    return DpaPeerReview.objects.get(reviewer=reviewer.lti_user, submission=submission_of(author))


def send(reviewer: Launched, review: DpaPeerReview, action: str, **fields: str) -> Any:
    return reviewer.post(
        case_path(reviewer, "peer_review_save", review.pk),
        {"action": action, **fields},
        tokens=tokens(reviewer),
    )


def test_the_trainer_gives_two_reviewers_to_each_submitted_analysis_once(dpa: Any) -> None:
    trainer = launch_dpa(dpa, "claire.martin")
    lea = submitted(dpa, "lea.bernard")
    listing = text_of(trainer.get(case_path(trainer, "trainer")))
    assert 'data-testid="peer-wait"' in listing and 'data-testid="peer-assign"' not in listing
    assert assign(trainer).status_code == 409  # one analysis: nobody to review it
    people = [lea, submitted(dpa, "hugo.petit"), submitted(dpa, "ines.moreau")]
    drafting = launch_dpa(dpa, "lucas.fontaine")
    drafting.get(case_path(drafting))  # a draft: neither reviewed nor reviewing
    assert 'data-testid="peer-assign"' in text_of(trainer.get(case_path(trainer, "trainer")))
    response = assign(trainer)
    assert response.status_code == 303 and "relectures=6" in response.headers["Location"]
    reviews = list(DpaPeerReview.objects.select_related("submission"))
    assert len(reviews) == 6
    assert all(r.reviewer_id != r.submission.lti_user_id for r in reviews)
    for person in people:
        assert DpaPeerReview.objects.filter(reviewer=person.lti_user).count() == 2
        assert DpaPeerReview.objects.filter(submission=submission_of(person)).count() == 2
    assert not DpaPeerReview.objects.filter(reviewer=drafting.lti_user).exists()
    assert assign(trainer).headers["Location"].endswith("relectures=0")  # idempotent
    assert DpaPeerReview.objects.count() == 6
    listing = text_of(trainer.get(case_path(trainer, "trainer")))
    assert "0 sur 2 reçues" in listing


def test_a_reviewer_reads_the_analysis_anonymously_and_a_sent_review_is_final(dpa: Any) -> None:
    lea = submitted(dpa, "lea.bernard")
    hugo = submitted(dpa, "hugo.petit")
    trainer = launch_dpa(dpa, "claire.martin")
    graded = trainer.post(
        case_path(trainer, "review_save", submission_of(lea).pk),
        {"level-DPA-ACT": "3", "comment-DPA-ACT": "Note privée de la formatrice."},
        tokens=tokens(trainer),
    )
    assert graded.status_code == 303
    assign(trainer)
    review = review_given(hugo, lea)
    after = text_of(hugo.get(case_path(hugo, "after")))
    assert 'data-testid="reviews-to-do"' in after and "Analyse à relire n° 1" in after
    assert lea.lti_user.display_name not in after
    page = text_of(hugo.get(case_path(hugo, "peer_review", review.pk)))
    assert "Critique rédigée par lea.bernard" in page  # Léa's analysis…
    assert lea.lti_user.display_name not in page and "Bernard" not in page  # …without her name
    assert "Note privée de la formatrice." not in page  # …nor the trainer's grading
    assert "Proposition pour" in page and 'name="level-DPA-CRIT"' in page

    saved = send(hugo, review, "save", **{"level-DPA-CRIT": "2", "comment": "  À préciser. "})
    assert saved.status_code == 303
    review.refresh_from_db()
    assert review.levels == {"DPA-CRIT": 2} and review.comment == "À préciser."
    assert review.submitted_at is None
    assert send(hugo, review, "send", **{"level-DPA-CRIT": ""}).status_code == 400
    assert send(hugo, review, "send", **{"level-DPA-XYZ": "2"}).status_code == 400
    assert send(hugo, review, "send", **{"level-DPA-CRIT": "7"}).status_code == 400
    sent = send(hugo, review, "send", **{"level-DPA-CRIT": "1", "comment": "Plan trop fermé."})
    assert sent.status_code == 303
    review.refresh_from_db()
    assert review.levels == {"DPA-CRIT": 1} and review.submitted_at is not None
    assert send(hugo, review, "save", **{"level-DPA-CRIT": "4"}).status_code == 409
    review.refresh_from_db()
    assert review.levels == {"DPA-CRIT": 1}
    page = text_of(hugo.get(case_path(hugo, "peer_review", review.pk)))
    assert 'data-testid="review-sent"' in page and 'data-testid="review-send"' not in page
    # The author never learns who reviewed her: no review of hers shows on her page.
    mine = text_of(lea.get(case_path(lea, "after")))
    assert hugo.lti_user.display_name not in mine


def test_the_trainer_sees_the_median_and_comments_and_the_grade_does_not_move(dpa: Any) -> None:
    lea = submitted(dpa, "lea.bernard")
    reviewers = [submitted(dpa, "hugo.petit"), submitted(dpa, "ines.moreau")]
    trainer = launch_dpa(dpa, "claire.martin")
    trainer.post(
        case_path(trainer, "review_save", submission_of(lea).pk),
        {"level-DPA-ACT": "4"},
        tokens=tokens(trainer),
    )
    before = {
        r.domain_code: r.score_20
        for r in DomainResult.objects.filter(assessment=submission_of(lea).assessment_id)
    }
    assert before
    assign(trainer)
    for reviewer, level in zip(reviewers, ("1", "2"), strict=True):
        review = review_given(reviewer, lea)
        answer = send(
            reviewer, review, "send", **{"level-DPA-ACT": level, "comment": f"Avis {level}"}
        )
        assert answer.status_code == 303
    page = text_of(trainer.get(case_path(trainer, "grade", submission_of(lea).pk)))
    assert "Avis des pairs (2, formatif, sans effet sur la note) : médiane 1.5" in page
    assert 'data-testid="peer-comments"' in page and "Avis 1" in page and "Avis 2" in page
    assert 'data-testid="peer-median-DPA-CRIT"' not in page  # no peer level there
    assert reviewers[0].lti_user.display_name not in page.split('data-testid="peer-comments"')[1]
    # The trainer saves again: the peers' levels (β = 0) leave the grade where it was.
    trainer.post(
        case_path(trainer, "review_save", submission_of(lea).pk),
        {"level-DPA-ACT": "4"},
        tokens=tokens(trainer),
    )
    after = {
        r.domain_code: r.score_20
        for r in DomainResult.objects.filter(assessment=submission_of(lea).assessment_id)
    }
    assert after == before
    assert "2 sur 2 reçues" in text_of(trainer.get(case_path(trainer, "trainer")))


def test_a_review_is_reached_by_its_reviewer_only(dpa: Any) -> None:
    lea = submitted(dpa, "lea.bernard")
    hugo = submitted(dpa, "hugo.petit")
    ines = submitted(dpa, "ines.moreau")
    trainer = launch_dpa(dpa, "claire.martin")
    assign(trainer)
    review = review_given(hugo, lea)
    page = case_path(hugo, "peer_review", review.pk)
    save = case_path(hugo, "peer_review_save", review.pk)
    assert hugo.get(page).status_code == 200
    for person in (lea, trainer):  # the author, the trainer
        assert person.get(page).status_code == 403
        assert send(person, review, "send", **{"level-DPA-CRIT": "2"}).status_code == 403
    assert ines.get(page).status_code == 403  # another classmate, reviewing Léa too
    stranger = launch(dpa, "paul.garnier", link=other_course(dpa))
    assert stranger.get(page).status_code == 403
    assert stranger.post(save, {"action": "send"}, tokens=tokens(stranger)).status_code == 403
    assert hugo.get(page, with_launch=False).status_code == 401
    assert hugo.post(case_path(hugo, "peer_assign"), {}, tokens=tokens(hugo)).status_code == 403
    assert DpaPeerReview.objects.get(pk=review.pk).submitted_at is None


def test_an_analysis_is_never_reviewed_before_it_is_submitted(dpa: Any) -> None:
    hugo = submitted(dpa, "hugo.petit")
    lucas = launch_dpa(dpa, "lucas.fontaine")
    lucas.get(case_path(lucas))
    draft = submission_of(lucas)
    assert draft.status == DpaSubmission.Status.DRAFT
    # A review row on a draft (none is ever given out: assignment reads submitted ones).
    review = DpaPeerReview.objects.create(submission=draft, reviewer=hugo.lti_user)
    assert hugo.get(case_path(hugo, "peer_review", review.pk)).status_code == 403
    assert send(hugo, review, "save", **{"level-DPA-CRIT": "2"}).status_code == 403
    assert "Analyse à relire" not in text_of(hugo.get(case_path(hugo, "after")))
