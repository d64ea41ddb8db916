"""A student works on a DPA case through real launches: read, tag and critique, improve,
self-critique, submit (locked), then — and only then — the alternative plan and the final
reflection. Access is decided from the launch: own submission only."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from lti_tool.activities.dpa.access import case_of
from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.grading.models import Assessment
from lti_tool.lti.csrf import launch_csrf_token
from tests.activities.dpa.fixtures import (
    case_path,
    full_answers,
    launch_dpa,
    submission_of,
)
from tests.grading.factories import Launched, launch, other_course, text_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("decesf")]

# A sentence of the Morel case's alternative plan, and of its intro.
PLAN_STEP = "réseau d'échanges réciproques de savoirs de la ville"
PLAN_INTRO = "Ce n'est pas un corrigé"


def opened(student: Launched) -> Any:
    """The student's first visit: the landing page redirects to the case page."""
    landing = student.get(student.landing_path)
    assert landing.status_code == 303, landing.text[:500]
    assert case_path(student) in landing.headers["Location"]
    page = student.get(case_path(student))
    assert page.status_code == 200, page.text[:1000]
    return page


def tokens(student: Launched) -> dict[str, str]:
    return student.form_tokens(case_path(student), "dpa-form")


def submitted(student: Launched, **overrides: Any) -> Any:
    opened(student)
    case = case_of(submission_of(student).activity_version)
    data = {**full_answers(case), "revision": "0", **overrides}
    return student.post(case_path(student, "submit"), data, tokens=tokens(student))


def test_the_student_reads_the_case_without_the_alternative_plan(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    page = text_of(opened(student))
    assert "Mme Inès Morel" in page and "master de droit public" in page
    assert "Orienter vers l'épicerie solidaire" in page  # the initial plan
    assert "Lecture centrée sur les manques" in page  # the checklist
    assert PLAN_STEP not in page and PLAN_INTRO not in page
    assert submission_of(student).status == DpaSubmission.Status.DRAFT


def test_the_alternative_plan_is_not_reachable_before_submission_by_any_url(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    opened(student)
    after = student.get(case_path(student, "after"))
    assert after.status_code == 403
    assert PLAN_STEP not in text_of(after) and PLAN_INTRO not in text_of(after)
    as_json = student.session.get(
        student.url(case_path(student, "after")),
        params={"launch": student.launch_id},
        headers={"Accept": "application/json"},
        allow_redirects=False,
        timeout=10,
    )
    assert as_json.status_code == 403 and PLAN_STEP not in as_json.text
    reflect = student.post(
        case_path(student, "reflect"), {"reflection": "Trop tôt."}, tokens=tokens(student)
    )
    assert reflect.status_code == 403
    # The trainer's pages (where the plan is shown to trainers) refuse a student.
    trainer_page = student.get(case_path(student, "trainer"))
    assert trainer_page.status_code == 403 and PLAN_STEP not in text_of(trainer_page)
    assert submission_of(student).reflection == ""


def test_the_draft_is_saved_without_javascript_and_by_autosave(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    opened(student)
    form = student.post(
        case_path(student, "save"),
        {"tags": ["empilement"], "critique": "Premier jet.", "revision": "0"},
        tokens=tokens(student),
    )
    assert form.status_code == 303 and "enregistre=1" in form.headers["Location"]
    page = text_of(student.get(form.headers["Location"]))
    assert "Premier jet." in page
    assert "Brouillon enregistré." in page
    auto = student.session.post(
        student.url(case_path(student, "save")),
        data={**tokens(student), "critique": "Deuxième jet.", "revision": "1"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert auto.status_code == 200 and auto.json()["revision"] == 2
    submission = submission_of(student)
    assert submission.critique == "Deuxième jet." and submission.tags == []


def test_a_stale_tab_cannot_overwrite_a_newer_draft(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    opened(student)
    student.post(
        case_path(student, "save"), {"critique": "Récent.", "revision": "0"}, tokens=tokens(student)
    )
    stale = student.session.post(
        student.url(case_path(student, "save")),
        data={**tokens(student), "critique": "Ancien onglet.", "revision": "0"},
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert stale.status_code == 409 and stale.json()["extra"]["revision"] == 1
    assert submission_of(student).critique == "Récent."


def test_an_incomplete_analysis_is_not_submitted_and_keeps_what_was_typed(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    response = submitted(student, self_critique="", critique=" ".join(["mot"] * 151))
    assert response.status_code == 303 and "incomplet=1" in response.headers["Location"]
    submission = submission_of(student)
    assert submission.status == DpaSubmission.Status.DRAFT
    assert submission.critique.startswith("mot mot") and submission.assessment is None
    page = text_of(student.get(response.headers["Location"]))
    assert "« l'autocritique » est vide." in page
    assert "151 mots pour 150 au plus" in page
    assert PLAN_STEP not in page


def test_submitting_locks_the_answers_scores_the_tagging_and_opens_the_plan(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    # Five of the six expected tags and one distractor: (5 − 1/2) / 6 = 0.75.
    case_tags = [
        "lecture-deficitaire",
        "empilement",
        "demande-non-reformulee",
        "solutions-imposees",
        "competences-ignorees",
        "refuser-fsl",
    ]
    response = submitted(student, tags=case_tags)
    assert (
        response.status_code == 303 and case_path(student, "after") in response.headers["Location"]
    )
    submission = submission_of(student)
    assert submission.status == DpaSubmission.Status.SUBMITTED
    assert submission.auto_score == Decimal("0.75")
    assessment = Assessment.objects.get(pk=submission.assessment_id)
    assert assessment.activity_kind == "dpa" and assessment.activity_ref == "dpa-mme-morel"
    assert assessment.criteria[0]["code"] == "DPA-CRIT"
    after = text_of(student.get(case_path(student, "after")))
    assert PLAN_STEP in after and PLAN_INTRO in after
    assert "Faux : l'aide au loyer est légitime" in after  # why the distractor is wrong
    # The case page now leads to the page after submission.
    again = student.get(case_path(student))
    assert again.status_code == 303 and case_path(student, "after") in again.headers["Location"]
    # Locked: neither a save nor a second submission changes anything.
    for name in ("save", "submit"):
        refused = student.post(
            case_path(student, name),
            {**full_answers(case_of(submission.activity_version), tags=[]), "revision": "1"},
            tokens=student.form_tokens(case_path(student, "after"), None),
        )
        assert refused.status_code == 409
    assert submission_of(student).tags == case_tags


def test_the_final_reflection_is_written_after_the_plan_then_closed(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    submitted(student)
    after = case_path(student, "after")
    saved = student.post(
        case_path(student, "reflect"),
        {"reflection": "Le DPA complète les dispositifs.", "action": "save"},
        tokens=student.form_tokens(after, None),
    )
    assert saved.status_code == 303
    assert submission_of(student).status == DpaSubmission.Status.SUBMITTED
    student.post(
        case_path(student, "reflect"),
        {
            "reflection": "Le DPA complète les dispositifs ; ce n'est pas une recette.",
            "action": "finish",
        },
        tokens=student.form_tokens(after, None),
    )
    submission = submission_of(student)
    assert submission.status == DpaSubmission.Status.COMPLETED
    assert "pas une recette" in text_of(student.get(after))
    late = student.post(
        case_path(student, "reflect"),
        {"reflection": "Modifiée.", "action": "save"},
        tokens=launch_tokens(student),  # the page has no form left to read them from
    )
    assert late.status_code == 409
    assert submission_of(student).reflection.endswith("pas une recette.")


def launch_tokens(student: Launched) -> dict[str, str]:
    """The hidden launch fields every form of this launch carries."""
    return {"launch": student.launch_id, "launch_csrf": launch_csrf_token(student.launch_id)}


# --- access --------------------------------------------------------------------------


def test_each_student_reaches_only_their_own_submission(dpa: Any) -> None:
    hugo = launch_dpa(dpa, "hugo.petit")
    submitted(hugo)
    lea = launch_dpa(dpa, "lea.bernard")
    page = text_of(opened(lea))
    assert "Le plan répond au manque d'argent" not in page  # Hugo's critique
    assert submission_of(lea).pk != submission_of(hugo).pk
    # Hugo's grading screen is the trainer's: a student gets 403.
    grade = lea.get(case_path(lea, "grade", submission_of(hugo).pk))
    assert grade.status_code == 403
    assert lea.get(case_path(lea, "after")).status_code == 403


def test_a_student_launched_on_another_link_is_refused(dpa: Any) -> None:
    launch_dpa(dpa, "hugo.petit")  # binds the DPA link
    elsewhere = launch(dpa, "hugo.petit", link=dpa.link(0))
    dpa_link_pk = launch_dpa(dpa, "lea.bernard").resource_link.pk
    response = elsewhere.get(f"/cas-dpa/{dpa_link_pk}/")
    assert response.status_code == 403


def test_a_trainer_of_another_course_is_refused(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    submitted(student)
    stranger = launch(dpa, "paul.garnier", link=other_course(dpa))
    for name, args in (("trainer", ()), ("grade", (submission_of(student).pk,))):
        response = stranger.get(case_path(student, name, *args))
        assert response.status_code == 403, name


def test_without_a_launch_every_page_answers_401(dpa: Any) -> None:
    student = launch_dpa(dpa, "hugo.petit")
    for name in ("case", "after", "trainer"):
        response = student.get(case_path(student, name), with_launch=False)
        assert response.status_code == 401, name


def test_a_link_holding_another_kind_of_activity_is_not_a_dpa_case(dpa: Any) -> None:
    from lti_tool.activities.services import activities_load

    activities_load()
    link = dpa.link(0)
    link.custom = {"activity": "conflit-amicale-locataires"}
    link.save()
    student = launch(dpa, "hugo.petit", link=link)
    response = student.get(f"/cas-dpa/{student.resource_link.pk}/")
    assert response.status_code == 404
