"""Writes of the DSL canvas: teams, saves with revisions and merge, dilemma choices,
submission, and the trainer's rubric grade and validation (domain.md §4.3, §7).

Concurrency: every write to a canvas first takes its row lock, so two members saving at the
same moment are serialised; the second is merged onto the first per field (never silently
overwritten: a field both changed is kept as the other saved it and reported as a conflict).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.dsl.canvas import (
    canvas_merge,
    fields_normalised,
    submission_gaps,
    value_clean,
)
from lti_tool.activities.dsl.content import DslBrief
from lti_tool.activities.dsl.models import (
    Canvas,
    CanvasMember,
    CanvasRevision,
    DilemmaChoice,
    DslSetup,
)
from lti_tool.activities.dsl.selectors import (
    brief_of,
    canvas_auto_scores,
    choices_of,
    setup_of,
)
from lti_tool.activities.models import Placement
from lti_tool.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from lti_tool.grading.models import Assessment, DomainResult
from lti_tool.grading.rules import ActivityKind, ResultStatus
from lti_tool.grading.services import (
    assessment_create,
    assessment_grade,
    assessment_grade_rubric,
    result_moderate,
)
from lti_tool.lti.models import LtiUser

NAME_MAX = 100


class CanvasLocked(Conflict):
    code = "canvas_submitted"


def _locked_refusal(canvas: Canvas) -> CanvasLocked:
    return CanvasLocked(
        _(
            "Ce projet a été rendu : il ne peut plus être modifié (c'est cette version que "
            "votre formateur·rice évalue). Ce que vous venez d'écrire n'a pas été enregistré."
        ),
        extra={"revision": canvas.revision},
    )


# --- setting and teams ---------------------------------------------------------------------


@transaction.atomic
def dsl_setup_update(*, placement: Placement, team_size: int) -> DslSetup:
    """The trainer chooses individual work or a team size the brief allows."""
    brief = brief_of(placement)
    if team_size not in brief.team_sizes:
        raise ValidationFailed(
            _("Taille impossible pour ce projet (possibles : %(sizes)s).")
            % {"sizes": ", ".join(str(s) for s in brief.team_sizes)}
        )
    setup = DslSetup.objects.select_for_update().get(pk=setup_of(placement).pk)
    if placement.canvases.exists() and setup.team_size != team_size:
        raise Conflict(_("Des projets sont commencés : la taille des équipes ne change plus."))
    setup.team_size = team_size
    setup.save(update_fields=["team_size", "updated_at"])
    return setup


@transaction.atomic
def canvas_start(*, placement: Placement, lti_user: LtiUser) -> Canvas:
    """The student's canvas: their own (individual work) or a new team they found."""
    existing = CanvasMember.objects.filter(placement=placement, lti_user=lti_user).first()
    if existing is not None:
        return existing.canvas
    setup = setup_of(placement)
    # One creator at a time per placement: canvas numbers never collide.
    Placement.objects.select_for_update().get(pk=placement.pk)
    number = (placement.canvases.aggregate(n=Max("number"))["n"] or 0) + 1
    name = (
        lti_user.display_name[:NAME_MAX]
        if setup.team_size == 1
        else _("Équipe %(n)s") % {"n": number}
    )
    canvas = Canvas.objects.create(placement=placement, number=number, name=name)
    _member_add(canvas=canvas, lti_user=lti_user)
    return canvas


def _member_add(*, canvas: Canvas, lti_user: LtiUser) -> CanvasMember:
    try:
        with transaction.atomic():
            return CanvasMember.objects.create(
                canvas=canvas, placement_id=canvas.placement_id, lti_user=lti_user
            )
    except IntegrityError as error:
        raise Conflict(_("Vous travaillez déjà sur un autre projet de cette activité.")) from error


@transaction.atomic
def canvas_join(*, canvas: Canvas, lti_user: LtiUser) -> Canvas:
    """A student joins a team with a free seat, before it submits."""
    canvas = Canvas.objects.select_for_update().get(pk=canvas.pk)
    setup = setup_of(canvas.placement)
    if setup.team_size == 1:
        raise Conflict(_("Ce projet est individuel : commencez le vôtre."))
    if canvas.submitted:
        raise _locked_refusal(canvas)
    if canvas.members.count() >= setup.team_size:
        raise Conflict(_("Cette équipe est complète (%(n)s membres).") % {"n": setup.team_size})
    _member_add(canvas=canvas, lti_user=lti_user)
    return canvas


# --- saving --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    revision: int
    fields: dict[str, Any]
    changed: tuple[str, ...]  # fields this save wrote
    theirs: tuple[str, ...]  # fields others changed since the base revision (merged in)
    conflicts: tuple[str, ...]  # both changed: kept as the other saved them, reported
    their_values: dict[str, Any]  # conflicting field → the other's value
    their_authors: dict[str, list[str]]


def _authors_since(canvas: Canvas, base_revision: int) -> dict[str, list[str]]:
    authors: dict[str, list[str]] = {}
    for revision in canvas.revisions.filter(number__gt=base_revision).select_related("author"):
        name = revision.author.display_name if revision.author else "—"
        for key in revision.changed:
            if name not in authors.setdefault(key, []):
                authors[key].append(name)
    return authors


@transaction.atomic
def canvas_save(
    *, canvas: Canvas, author: LtiUser, base_revision: int, values: Mapping[str, Any]
) -> Saved:
    """Save ``values`` (field id → raw value, only the fields the page sent), started from
    ``base_revision``. Fields others changed meanwhile are merged in; a field both changed
    keeps the other's value and is returned in ``conflicts`` (the page then shows both
    versions and the author decides). Word limits and table checks refuse the whole save
    (400, nothing written); a submitted canvas refuses every save (409)."""
    canvas = Canvas.objects.select_for_update().get(pk=canvas.pk)
    if canvas.submitted:
        raise _locked_refusal(canvas)
    brief = brief_of(canvas.placement)
    if not 0 <= base_revision <= canvas.revision:
        raise ValidationFailed(_("Version de départ inconnue : rechargez la page."))
    mine: dict[str, Any] = {}
    for field_id, raw in values.items():
        field = brief.field(field_id)
        if field is None:
            raise ValidationFailed(_("Ce champ n'existe pas dans le projet : rechargez la page."))
        mine[field_id] = value_clean(field, raw)
    current = fields_normalised(brief, canvas.fields)
    base = current
    if base_revision < canvas.revision:
        snapshot = canvas.revisions.filter(number=base_revision).first()
        base = fields_normalised(brief, snapshot.fields if snapshot else {})
    order = [f.id for f in brief.fields]
    merge = canvas_merge(order=order, base=base, mine=mine, theirs=current)
    changed = tuple(key for key in order if merge.fields[key] != current[key])
    if changed:
        canvas.revision += 1
        canvas.fields = merge.fields
        canvas.save(update_fields=["revision", "fields", "updated_at"])
        CanvasRevision.objects.create(
            canvas=canvas, number=canvas.revision, author=author, fields=merge.fields,
            changed=list(changed),
        )  # fmt: skip
    authors = _authors_since(canvas, base_revision)
    return Saved(
        revision=canvas.revision,
        fields=merge.fields,
        changed=changed,
        theirs=tuple(k for k in order if k in merge.theirs and k not in merge.conflicts),
        conflicts=merge.conflicts,
        their_values={key: current[key] for key in merge.conflicts},
        their_authors={key: authors.get(key, []) for key in (*merge.conflicts, *merge.theirs)},
    )


# --- dilemma cards -------------------------------------------------------------------------


@dataclass(frozen=True)
class Chosen:
    choice: DilemmaChoice
    repeated: bool  # the card had already been answered (by this member or another)


@transaction.atomic
def dilemma_choose(*, canvas: Canvas, author: LtiUser, card_id: str, option_id: str) -> Chosen:
    """Answer a dilemma card for the canvas. The first answer is final: a second one (a
    double click, a teammate at the same moment) returns the recorded choice unchanged."""
    canvas = Canvas.objects.select_for_update().get(pk=canvas.pk)
    existing = choices_of(canvas).get(card_id)
    if existing is not None:
        return Chosen(existing, True)
    if canvas.submitted:
        raise _locked_refusal(canvas)
    card = brief_of(canvas.placement).dilemma(card_id)
    if card is None:
        raise ValidationFailed(_("Cette carte dilemme n'existe pas dans le projet."))
    if card.option(option_id) is None:
        raise ValidationFailed(_("Choisissez une des options de la carte."))
    choice = DilemmaChoice.objects.create(
        canvas=canvas, card_id=card_id, option_id=option_id, chosen_by=author
    )
    return Chosen(choice, False)


# --- submission ----------------------------------------------------------------------------


def _assessment_for(member: CanvasMember, brief: DslBrief, canvas: Canvas) -> Assessment:
    version = canvas.placement.activity_version
    return assessment_create(
        resource_link=canvas.placement.resource_link,
        lti_user=member.lti_user,
        activity_kind=ActivityKind.DSL,
        activity_title=brief.title,
        activity_ref=version.reference,
        framework_code=brief.framework_code,
        framework_version=brief.framework_version,
        criteria=[c.criterion for c in brief.criteria],
        review_requested=True,
    )


@transaction.atomic
def canvas_submit(*, canvas: Canvas, author: LtiUser, revision: int) -> Canvas:
    """Lock the canvas at ``revision`` (the version the author saw) for grading; one
    assessment per member, submitted and waiting for the trainer (domain.md §4.3)."""
    canvas = Canvas.objects.select_for_update().get(pk=canvas.pk)
    if canvas.submitted:
        raise _locked_refusal(canvas)
    if revision != canvas.revision:
        raise Conflict(
            _(
                "Le projet a changé depuis que vous l'avez ouvert : relisez la dernière version, puis rendez-la."
            )
        )
    brief = brief_of(canvas.placement)
    gaps = submission_gaps(brief, fields_normalised(brief, canvas.fields))
    if gaps:
        raise ValidationFailed(
            _("Le projet ne peut pas encore être rendu : %(gaps)s") % {"gaps": " ".join(gaps)},
            extra={"gaps": gaps},
        )
    if canvas.revision == 0:
        raise ValidationFailed(_("Le projet est vide."))
    canvas.submitted_at = timezone.now()
    canvas.submitted_revision = canvas.revision
    canvas.submitted_by = author
    canvas.save(update_fields=["submitted_at", "submitted_revision", "submitted_by", "updated_at"])
    for member in canvas.members.select_related("lti_user"):
        assessment = member.assessment or _assessment_for(member, brief, canvas)
        if member.assessment_id is None:
            member.assessment = assessment
            member.save(update_fields=["assessment", "updated_at"])
        assessment_grade(assessment=assessment, evidence=[], complete=True)
    return canvas


# --- grading -------------------------------------------------------------------------------


NOT_ASSESSED = "ne"
COMMENT_MAX = 2000


@dataclass(frozen=True)
class ReviewEntry:
    """One criterion as the grading screen posts it: ``level`` None = unchanged, "ne" =
    N/E, "0".."4"; ``comment`` None = unchanged."""

    code: str
    level: str | None = None
    comment: str | None = None


def _review_apply(review: dict[str, Any], entries: list[ReviewEntry], brief: DslBrief) -> None:
    known = {c.code for c in brief.criteria}
    for entry in entries:
        if entry.code not in known:
            raise ValidationFailed(
                _("Critère inconnu de cette grille : %(code)s.") % {"code": entry.code}
            )
        current = review.setdefault(entry.code, {"level": None, "decided": False, "comment": ""})
        if entry.level is not None:
            if entry.level == NOT_ASSESSED:
                current["level"] = None
            elif entry.level in {"0", "1", "2", "3", "4"}:
                current["level"] = int(entry.level)
            else:
                raise ValidationFailed(
                    _("Niveau « %(level)s » inconnu : 0 à 4, ou N/E.") % {"level": entry.level}
                )
            current["decided"] = True
        if entry.comment is not None:
            current["comment"] = entry.comment.strip()[:COMMENT_MAX]


@dataclass(frozen=True)
class Reviewed:
    grade: Any  # grading.rubric.RubricGrade of the canvas (the same for every member)
    results: list[DomainResult]


@transaction.atomic
def canvas_review_save(
    *,
    canvas: Canvas,
    trainer: LtiUser,
    entries: list[ReviewEntry],
    domain_titles: dict[str, str] | None = None,
) -> Reviewed:
    """The trainer's rubric grade of a submitted canvas, saved as it is given (one level or
    comment at a time): the same levels for every member (the canvas is one shared piece
    of work); the dilemma cards' automatic scores blend at the brief's α inside the
    criteria they feed only. Results stay « to review » until validated."""
    canvas = Canvas.objects.select_for_update().get(pk=canvas.pk)
    if not canvas.submitted:
        raise Conflict(_("Ce projet n'a pas encore été rendu."))
    brief = brief_of(canvas.placement)
    review = dict(canvas.review)
    _review_apply(review, entries, brief)
    canvas.review = review
    canvas.save(update_fields=["review", "updated_at"])
    return _regrade(canvas, brief, trainer, domain_titles)


def _regrade(
    canvas: Canvas, brief: DslBrief, trainer: LtiUser, domain_titles: dict[str, str] | None
) -> Reviewed:
    """Every member's assessment graded on the whole rubric as the trainer left it."""
    review = canvas.review
    levels = {code: item["level"] for code, item in review.items() if item["decided"]}
    comments = {code: item["comment"] for code, item in review.items() if item["comment"]}
    auto = canvas_auto_scores(canvas, brief)
    grade: Any = None
    results: list[DomainResult] = []
    for member in canvas.members.select_related("assessment"):
        if member.assessment is None:
            continue
        grade, stored = assessment_grade_rubric(
            assessment=member.assessment, rubric=brief.rubric(), levels=levels,
            auto_scores=auto, alpha=brief.alpha, comments=comments, assessor=trainer,
            domain_titles=domain_titles,
        )  # fmt: skip
        results.extend(stored)
    return Reviewed(grade=grade, results=results)


def review_undecided(canvas: Canvas, brief: DslBrief) -> list[str]:
    return [c.code for c in brief.criteria if not canvas.review.get(c.code, {}).get("decided")]


@transaction.atomic
def canvas_validate(
    *, canvas: Canvas, trainer: LtiUser, feedback: str = "",
    domain_titles: dict[str, str] | None = None,
) -> list[DomainResult]:  # fmt: skip
    """The trainer validates: every member's results become final and go to the platform's
    gradebook (passback outbox). Each criterion needs a level or an explicit N/E first. A
    rubric changed after an earlier validation replaces the final score of the domains it
    changed, which are sent again (domain.md §4.3, "Regrading"); the others stay as sent."""
    canvas = Canvas.objects.select_for_update().get(pk=canvas.pk)
    context = canvas.placement.resource_link.context
    if not trainer.memberships.filter(context=context, is_trainer=True).exists():
        raise PermissionDenied(_("Cette page est réservée aux formateur·rices du cours."))
    if not canvas.submitted:
        raise Conflict(_("Ce projet n'a pas encore été rendu."))
    brief = brief_of(canvas.placement)
    undecided = review_undecided(canvas, brief)
    if undecided:
        raise ValidationFailed(
            _("Donnez un niveau (ou N/E) à chaque critère avant de valider : %(codes)s.")
            % {"codes": ", ".join(undecided)},
            extra={"undecided": undecided},
        )
    grade = _regrade(canvas, brief, trainer, domain_titles).grade
    validated = []
    for member in canvas.members.exclude(assessment=None).select_related("assessment"):
        for result in member.assessment.results.order_by("domain_code"):  # type: ignore[union-attr]
            outcome = grade.domains.get(result.domain_code) if grade else None
            if outcome is None:
                continue  # every criterion of that domain is now N/E: nothing to send
            if result.status != ResultStatus.FINAL:
                validated.append(result_moderate(result=result, actor=trainer,
                                                 feedback=feedback, finalise=True))  # fmt: skip
            elif result.score_20 != outcome.score_20:
                validated.append(result_moderate(
                    result=result, actor=trainer, score_override=outcome.score_20,
                    feedback=feedback, comment=_("Nouvelle évaluation sur la grille."),
                    finalise=True,
                ))  # fmt: skip
    if not validated and canvas.validated_review == canvas.review:
        raise Conflict(_("Rien de nouveau à valider : les notes envoyées sont à jour."))
    canvas.validated_review = dict(canvas.review)
    canvas.save(update_fields=["validated_review", "updated_at"])
    return validated
