"""Pages of a placed DPA case (issue 9): the student's analysis, the page after submission
(alternative plan, final reflection, feedback), the trainer's list and keyboard grading
screen.

Thin views (style rule 1): ``dpa_access`` first (authorisation from the launch), parse the
form, call one service or selector, render. Inside Moodle's iframe there is no cookie:
forms carry the launch id and its CSRF token, redirects keep the launch id; autosave and
the grading screen post with fetch and ask for JSON. Every page works without JavaScript.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lti_tool.activities.dpa import peers, selectors, services
from lti_tool.activities.dpa.access import (
    Viewer,
    case_of,
    dpa_access,
    student_required,
    trainer_required,
)
from lti_tool.activities.dpa.models import DpaSubmission
from lti_tool.activities.dpa.services import Answers, ReviewEntry
from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.grading.rubric import RubricGrade
from lti_tool.lti.csrf import launch_csrf_protect
from lti_tool.lti.decorators import lti_launch_required
from lti_tool.lti.launch_context import LtiLaunch
from lti_tool.lti.redirects import launch_redirect


def _access(request: HttpRequest, resource_link_pk: int) -> tuple[LtiLaunch, Viewer]:
    launch: LtiLaunch = request.lti_launch  # type: ignore[attr-defined]
    return launch, dpa_access(launch, resource_link_pk=resource_link_pk)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _own_submission(viewer: Viewer) -> DpaSubmission:
    student_required(viewer)
    return services.submission_get_or_create(placement=viewer.placement, lti_user=viewer.lti_user)


def _count(raw: str) -> int | None:
    return int(raw) if raw.isdigit() else None


def _revision(request: HttpRequest) -> int | None:
    raw = request.POST.get("revision", "")
    return int(raw) if raw.isdigit() else None


def _answers(request: HttpRequest, submission: DpaSubmission) -> Answers:
    case = case_of(submission.activity_version)
    return Answers(
        tags=tuple(request.POST.getlist("tags")),
        critique=request.POST.get("critique", ""),
        improve={f.id: request.POST.get(f"improve-{f.id}", "") for f in case.improve},
        self_critique=request.POST.get("self_critique", ""),
    )


# --- the student -----------------------------------------------------------------------


@lti_launch_required
@require_GET
def case_page(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    if viewer.is_trainer:
        return launch_redirect(launch, "dpa:trainer", resource_link_pk)
    submission = _own_submission(viewer)
    if submission.locked:
        return launch_redirect(launch, "dpa:after", resource_link_pk)
    case = case_of(submission.activity_version, language=launch.language)
    return render(
        request,
        "dpa/case.html",
        {
            "launch": launch,
            "link": viewer.placement.resource_link,
            "me": viewer.lti_user,
            "case": case,
            "submission": submission,
            "answers": selectors.answers_of(submission),
            "problems": (
                selectors.draft_problems(submission, case) if request.GET.get("incomplet") else []
            ),
            "saved": request.GET.get("enregistre") == "1",
        },
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def save(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    submission = _own_submission(viewer)
    submission = services.submission_save(
        submission=submission,
        answers=_answers(request, submission),
        revision=_revision(request),
    )
    if _wants_json(request):
        return JsonResponse(
            {
                "revision": submission.revision,
                "saved_at": submission.updated_at.isoformat(),
                "message": _("Brouillon enregistré."),
            }
        )
    return launch_redirect(launch, "dpa:case", resource_link_pk, enregistre="1")


@lti_launch_required
@launch_csrf_protect
@require_POST
def submit(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    submission = _own_submission(viewer)
    answers = _answers(request, submission)
    # The draft is kept first: a refused submission never loses what was typed.
    submission = services.submission_save(
        submission=submission, answers=answers, revision=_revision(request)
    )
    try:
        services.submission_submit(submission=submission, answers=answers, revision=None)
    except ValidationFailed:
        return launch_redirect(launch, "dpa:case", resource_link_pk, incomplet="1")
    return launch_redirect(launch, "dpa:after", resource_link_pk)


def _submitted(viewer: Viewer) -> DpaSubmission:
    """The viewer's submission once submitted; before that, the page after submission (and
    the alternative plan on it) does not exist for them."""
    submission = _own_submission(viewer)
    if not submission.locked:
        raise PermissionDenied(
            _(
                "Cette page s'ouvre une fois votre analyse remise : le plan alternatif se lit "
                "après, pour comparer. Revenez à votre analyse pour la terminer."
            )
        )
    return submission


@lti_launch_required
@require_GET
def after(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    submission = _submitted(viewer)
    case = case_of(submission.activity_version, language=launch.language)
    return render(
        request,
        "dpa/after.html",
        {
            "launch": launch,
            "link": viewer.placement.resource_link,
            "me": viewer.lti_user,
            "case": case,
            "submission": submission,
            "tags": selectors.tag_outcomes(submission, case),
            "feedback": selectors.student_feedback(submission),
            "saved": request.GET.get("enregistre") == "1",
            "reviews": peers.reviews_to_do(placement=viewer.placement, reviewer=viewer.lti_user),
        },
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def reflect(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    submission = _submitted(viewer)
    services.reflection_save(
        submission=submission,
        text=request.POST.get("reflection", ""),
        finish=request.POST.get("action") == "finish",
    )
    return launch_redirect(launch, "dpa:after", resource_link_pk, enregistre="1")


# --- the trainer -----------------------------------------------------------------------


def _trainer(request: HttpRequest, resource_link_pk: int) -> tuple[LtiLaunch, Viewer]:
    launch, viewer = _access(request, resource_link_pk)
    trainer_required(viewer)
    return launch, viewer


@lti_launch_required
@require_GET
def trainer(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    rows = selectors.submission_rows(placement=viewer.placement)
    return render(
        request,
        "dpa/trainer.html",
        {
            "launch": launch,
            "link": viewer.placement.resource_link,
            "me": viewer.lti_user,
            "case": case_of(viewer.placement.activity_version, language=launch.language),
            "rows": rows,
            "first_gradable": selectors.first_to_grade(rows),
            "submitted_count": sum(1 for row in rows if row.gradable),
            "assigned": _count(request.GET.get("relectures", "")),
        },
    )


@lti_launch_required
@require_GET
def grade(request: HttpRequest, resource_link_pk: int, submission_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    submission = selectors.submission_get(placement=viewer.placement, submission_pk=submission_pk)
    if not submission.locked:
        raise PermissionDenied(_("Ce travail n'est pas encore remis : il ne peut pas être évalué."))
    return render(
        request,
        "dpa/grade.html",
        {
            "launch": launch,
            "link": viewer.placement.resource_link,
            "me": viewer.lti_user,
            "screen": selectors.grading_screen(submission=submission, language=launch.language),
            "validated": request.GET.get("valide") == "1",
        },
    )


def _entries(request: HttpRequest) -> list[ReviewEntry]:
    codes = dict.fromkeys(
        key.split("-", 1)[1]
        for key in request.POST
        if key.startswith(("level-", "comment-")) and "-" in key
    )
    return [
        ReviewEntry(
            code=code,
            level=request.POST.get(f"level-{code}"),
            comment=request.POST.get(f"comment-{code}"),
        )
        for code in codes
    ]


def _grade_json(grade: RubricGrade, undecided: list[str]) -> JsonResponse:
    return JsonResponse(
        {
            "message": _("Enregistré."),
            "criteria": {
                item.criterion: {"level": item.level, "reading": item.reading}
                for item in grade.criteria
            },
            "domains": {code: str(o.score_20) for code, o in grade.domains.items()},
            "undecided": undecided,
        }
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def review_save(request: HttpRequest, resource_link_pk: int, submission_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    submission = selectors.submission_get(placement=viewer.placement, submission_pk=submission_pk)
    grade = services.review_save(
        submission=submission, actor=viewer.lti_user, entries=_entries(request)
    )
    if _wants_json(request):
        submission.refresh_from_db()
        placed = services.placed_case(submission)
        return _grade_json(grade, services.review_undecided(submission, placed.rubric))
    return launch_redirect(launch, "dpa:grade", resource_link_pk, submission_pk)


@lti_launch_required
@launch_csrf_protect
@require_POST
def review_validate(
    request: HttpRequest, resource_link_pk: int, submission_pk: int
) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    submission = selectors.submission_get(placement=viewer.placement, submission_pk=submission_pk)
    services.review_validate(submission=submission, actor=viewer.lti_user)
    return launch_redirect(launch, "dpa:grade", resource_link_pk, submission_pk, valide="1")


@lti_launch_required
@launch_csrf_protect
@require_POST
def peer_assign(request: HttpRequest, resource_link_pk: int) -> HttpResponse:
    launch, viewer = _trainer(request, resource_link_pk)
    created = peers.peer_reviews_assign(placement=viewer.placement)
    return launch_redirect(launch, "dpa:trainer", resource_link_pk, relectures=str(len(created)))


# --- peer review (formative, anonymous) ------------------------------------------------


@lti_launch_required
@require_GET
def peer_review(request: HttpRequest, resource_link_pk: int, review_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    review = peers.review_of(placement=viewer.placement, reviewer=viewer.lti_user,
                             review_pk=review_pk)  # fmt: skip
    placed = services.placed_case(review.submission, language=launch.language)
    criteria = [{"item": c, "level": review.levels.get(c.code)} for c in placed.rubric.criteria]
    return render(
        request,
        "dpa/peer_review.html",
        {
            "launch": launch,
            "link": viewer.placement.resource_link,
            "me": viewer.lti_user,
            "case": placed.case,
            "review": review,
            # The analysis only: no author, no trainer's levels, no automatic score.
            "analysis": review.submission,
            "ticked": [t for t in placed.case.tags if t.id in set(review.submission.tags or ())],
            "criteria": criteria,
        },
    )


@lti_launch_required
@launch_csrf_protect
@require_POST
def peer_review_save(request: HttpRequest, resource_link_pk: int, review_pk: int) -> HttpResponse:
    launch, viewer = _access(request, resource_link_pk)
    review = peers.review_of(placement=viewer.placement, reviewer=viewer.lti_user,
                             review_pk=review_pk)  # fmt: skip
    # Every posted level-<code> goes to the check, so an unknown criterion is refused.
    levels = {
        key.removeprefix("level-"): request.POST.get(key, "")
        for key in request.POST
        if key.startswith("level-")
    }
    peers.peer_review_save(
        review=review,
        levels=levels,
        comment=request.POST.get("comment", ""),
        submit=request.POST.get("action") == "send",
    )
    return launch_redirect(launch, "dpa:peer_review", resource_link_pk, review.pk)
