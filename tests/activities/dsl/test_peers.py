"""Optional peer review of submitted canvases: two reviewers per project from other
projects, anonymous pages, reviews final once sent, shown to the trainer as a median that
does not move the grade (β = 0)."""

from __future__ import annotations

from typing import Any

import pytest

from lti_tool.activities.dsl import peers, services
from lti_tool.activities.dsl.models import Canvas, PeerReview
from lti_tool.activities.dsl.selectors import dsl_placement_get
from lti_tool.core.exceptions import Conflict
from lti_tool.grading.models import DomainResult
from tests.activities.dsl.fixtures import brief_for, complete_fields, launch_dsl, url
from tests.grading.factories import Launched, text_of
from tests.grading.frameworks_fixtures import decesf  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

STUDENTS = ("lea.bernard", "hugo.petit", "ines.moreau")


def submitted(demo: Any, who: str) -> tuple[Launched, Canvas]:
    student = launch_dsl(demo, who)
    placement = dsl_placement_get(resource_link_pk=student.resource_link.pk)
    canvas = services.canvas_start(placement=placement, lti_user=student.lti_user)
    services.canvas_save(canvas=canvas, author=student.lti_user, base_revision=0,
                         values=complete_fields())  # fmt: skip
    services.canvas_submit(canvas=canvas, author=student.lti_user, revision=1)
    return student, canvas


def test_each_project_gets_two_reviewers_from_other_projects_once(dsl: Any) -> None:
    lea, first = submitted(dsl, "lea.bernard")
    with pytest.raises(Conflict, match="au moins deux projets"):
        peers.peer_reviews_assign(placement=first.placement)
    people = [lea] + [submitted(dsl, who)[0] for who in STUDENTS[1:]]
    created = peers.peer_reviews_assign(placement=first.placement)
    assert len(created) == 6
    for review in PeerReview.objects.select_related("canvas"):
        assert not review.canvas.members.filter(lti_user_id=review.reviewer_id).exists()
    per_person = {p.lti_user.pk: PeerReview.objects.filter(reviewer=p.lti_user).count()
                  for p in people}  # fmt: skip
    assert set(per_person.values()) == {2}
    assert peers.peer_reviews_assign(placement=first.placement) == []  # idempotent


def test_a_reviewer_reads_the_project_without_names_and_sends_a_final_review(dsl: Any) -> None:
    lea, lea_canvas = submitted(dsl, "lea.bernard")
    hugo, _hugo_canvas = submitted(dsl, "hugo.petit")
    peers.peer_reviews_assign(placement=lea_canvas.placement)
    review = PeerReview.objects.get(reviewer=hugo.lti_user)
    assert review.canvas == lea_canvas
    page_path = url(hugo, "peer_review", review.pk)
    page = text_of(hugo.get(page_path))
    assert "Venez construire le projet du quartier" in page  # the poster of Léa's project
    assert "Bernard" not in page and lea.lti_user.display_name not in page  # anonymous
    assert lea.get(page_path).status_code == 403  # not hers to review
    step = text_of(hugo.get(url(hugo, "step", _hugo_canvas.pk, 1)))
    assert 'data-testid="reviews-to-do"' in step
    tokens = hugo.form_tokens(page_path, None)
    sent = hugo.post(url(hugo, "peer_review_save", review.pk),
                     {"level-DSL-DIAG": "1", "level-DSL-TER": "", "comment": "Diagnostic trop rapide.",
                      "action": "send"}, tokens=tokens)  # fmt: skip
    assert sent.status_code == 303
    review.refresh_from_db()
    assert review.levels == {"DSL-DIAG": 1} and review.submitted_at is not None
    late = hugo.post(url(hugo, "peer_review_save", review.pk),
                     {"level-DSL-DIAG": "4", "action": "send"}, tokens=tokens)  # fmt: skip
    assert late.status_code == 409


def test_the_trainer_sees_the_peers_median_and_the_grade_does_not_move(dsl: Any) -> None:
    lea, canvas = submitted(dsl, "lea.bernard")
    reviewers = [submitted(dsl, who)[0] for who in STUDENTS[1:]]
    peers.peer_reviews_assign(placement=canvas.placement)
    brief = brief_for(reviewers[0])
    for reviewer, level in zip(reviewers, ("1", "2"), strict=True):
        review = PeerReview.objects.get(canvas=canvas, reviewer=reviewer.lti_user)
        peers.peer_review_save(review=review, brief=brief, levels={"DSL-DIAG": level},
                               comment=f"Avis {level}", submit=True)  # fmt: skip
    trainer = launch_dsl(dsl, "trainer")
    page = text_of(trainer.get(url(trainer, "grade", canvas.pk)))
    assert "Avis des pairs (2, formatif, sans effet sur la note) : médiane 1.5" in page
    assert "Avis 1" in page and "Avis 2" in page
    listing = text_of(trainer.get(url(trainer, "trainer")))
    assert "2 sur 2 reçues" in listing
    services.canvas_review_save(canvas=canvas, trainer=trainer.lti_user,
                                entries=[services.ReviewEntry("DSL-DIAG", "4")])  # fmt: skip
    result = DomainResult.objects.get(assessment__lti_user=lea.lti_user, domain_code="DC2")
    assert str(result.score_20) == "20.00"  # the trainer's level alone
