"""Debrief of a co-animated session (issue 8; domain.md §6.1 step 4): the co-animators'
self and partner grids, their feedback to each other, and the observers' synthesis shown
without names. The written follow-up (step 5) is in ``reports.py``.

Selectors read, services write (style rule 2). Everything here is input for the trainer,
never a grade (domain.md §0 point 7): no domain result is read or shown.

Rules decided here (issue 8 leaves them open):
* the debrief and the follow-up open once the session has started (``started_at`` set);
* a co-animator marked absent fills no grid and is no partner's subject (they did not
  co-animate); they still write their follow-up if the trainer asks for it;
* a co-animator reads what partners wrote about them (grid, feedback) and their overall
  comments once their own debrief is complete (every grid answered, "je ne sais pas"
  included), so that nobody copies or answers back; self-grids stay between their author
  and the trainer; in a trio, what A wrote about B is not shown to C.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.content import RolePlay, RolePlayCriterion
from lti_tool.activities.roleplays.models import (
    DebriefComment,
    GridEntry,
    LiveSession,
    ObserverNote,
    TeamMember,
)
from lti_tool.activities.roleplays.synthesis import session_inputs
from lti_tool.core.exceptions import PermissionDenied, ValidationFailed
from lti_tool.grading.rules import RUBRIC_LEVEL_MAX
from lti_tool.lti.models import LtiUser

COMMENT_CHARS_MAX = 2000  # a comment on one criterion
FEEDBACK_CHARS_MAX = 4000  # feedback to a partner, overall comment


def session_started(session: LiveSession) -> bool:
    return session.started_at is not None


def started_required(session: LiveSession) -> None:
    if not session_started(session):
        raise ValidationFailed(
            _("Le bilan s'ouvre quand la séance a commencé : revenez après la séance.")
        )


# --- which grids a co-animator fills (pure, from the brief) ---------------------------------


def self_criteria(brief: RolePlay) -> tuple[RolePlayCriterion, ...]:
    """The criteria of the self-grid: those whose evidence includes ``self``.

    The shipped briefs declare none; a co-animator then assesses themself on the individual
    criteria observers watched in class: what they lived through and can compare with the
    observers' synthesis. Shared and trainer-only criteria (sheet, reports) stay with the
    trainer.
    """
    declared = tuple(c for c in brief.criteria if "self" in c.evidence)
    return declared or tuple(c for c in brief.criteria if c.observed and not c.shared)


def partner_criteria(brief: RolePlay) -> tuple[RolePlayCriterion, ...]:
    """The criteria a co-animator assesses about each partner (e.g. CA-BIN). A shared
    criterion is about the whole team, the assessor included, so it is never a partner's."""
    return tuple(c for c in brief.criteria if "partner" in c.evidence and not c.shared)


# --- grids: input and validation ------------------------------------------------------------


@dataclass(frozen=True)
class GridInput:
    """One answer of a debrief form: a level 0..4 or None ("je ne sais pas")."""

    source: str  # GridEntry.Source.SELF or PARTNER
    criterion: str
    subject_pk: int | None  # the co-animator assessed (the author on their self-grid)
    level: int | None
    comment: str = ""


Slot = tuple[str, str, int | None]  # (source, criterion, subject pk or None when shared)


def present_members(session: LiveSession) -> list[TeamMember]:
    return list(
        TeamMember.objects.filter(team_id=session.team_id, absent=False).select_related("lti_user")
    )


def expected_slots(brief: RolePlay, author_pk: int, partner_pks: Iterable[int]) -> list[Slot]:
    """Every answer a present co-animator gives in their debrief, in form order."""
    slots: list[Slot] = [
        (GridEntry.Source.SELF, c.code, None if c.shared else author_pk)
        for c in self_criteria(brief)
    ]
    for partner_pk in partner_pks:
        slots.extend(
            (GridEntry.Source.PARTNER, c.code, partner_pk) for c in partner_criteria(brief)
        )
    return slots


# Form field names (debrief form, no JavaScript needed): "self:<code>" and
# "partner:<pk>:<code>" carry a level 0..4 or DONT_KNOW; the same name + ":comment" its
# comment; "feedback:<pk>" the text to a partner; "overall" the overall comment.
DONT_KNOW = "nsp"


@dataclass(frozen=True)
class DebriefForm:
    entries: list[GridInput]
    feedback: dict[int, str]
    overall: str


def _level(value: str) -> int | None:
    if value == DONT_KNOW:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationFailed(
            _("Niveau illisible : choisissez de 0 à 4 ou « je ne sais pas ».")
        ) from None


def _pk(value: str) -> int:
    if not value.isdigit():
        raise ValidationFailed(_("Partenaire illisible dans le formulaire : rechargez la page."))
    return int(value)


def debrief_form_read(data: Mapping[str, str], *, brief: RolePlay, author_pk: int) -> DebriefForm:
    """The answers of a posted debrief form. A self answer is about the author, or about the
    team for a shared criterion; the service judges everything else."""
    entries: list[GridInput] = []
    feedback: dict[int, str] = {}
    for name, value in data.items():
        parts = name.split(":")
        if parts[0] == "self" and len(parts) == 2 and value != "":
            criterion = brief.criterion(parts[1])
            subject = None if criterion is not None and criterion.shared else author_pk
            comment = data.get(f"{name}:comment", "").strip()
            entries.append(GridInput("self", parts[1], subject, _level(value), comment))
        elif parts[0] == "partner" and len(parts) == 3 and value != "":
            comment = data.get(f"{name}:comment", "").strip()
            entries.append(GridInput("partner", parts[2], _pk(parts[1]), _level(value), comment))
        elif parts[0] == "feedback" and len(parts) == 2:
            feedback[_pk(parts[1])] = value
    return DebriefForm(entries, feedback, data.get("overall", ""))


def _grid_problem(item: GridInput, brief: RolePlay, author_pk: int, team: set[int]) -> str:
    """Why one answer is refused, or "" when it is acceptable."""
    criterion = brief.criterion(item.criterion)
    if criterion is None:
        return _("Critère inconnu : %(code)s.") % {"code": item.criterion}
    if item.level is not None and not 0 <= item.level <= RUBRIC_LEVEL_MAX:
        return _("%(code)s : le niveau va de 0 à 4 (ou « je ne sais pas »).") % {
            "code": item.criterion
        }
    if len(item.comment) > COMMENT_CHARS_MAX:
        return _("%(code)s : commentaire trop long (%(max)s caractères au plus).") % {
            "code": item.criterion,
            "max": COMMENT_CHARS_MAX,
        }
    if item.source == GridEntry.Source.SELF:
        if criterion not in self_criteria(brief):
            return _("%(code)s ne fait pas partie de l'auto-évaluation.") % {"code": criterion.code}
        if item.subject_pk != (None if criterion.shared else author_pk):
            return _("Votre auto-évaluation porte sur vous, pas sur une autre personne.")
        return ""
    if item.source == GridEntry.Source.PARTNER:
        if criterion not in partner_criteria(brief):
            return _("%(code)s ne fait pas partie de la grille sur vos partenaires.") % {
                "code": criterion.code
            }
        if item.subject_pk == author_pk:
            return _(
                "La grille partenaire porte sur vos partenaires : pour vous, c'est l'auto-évaluation."
            )
        if item.subject_pk not in team:
            return _(
                "Vous ne pouvez évaluer que les co-animateur·rices présent·es de votre équipe."
            )
        return ""
    return _("Grille inconnue : %(source)s.") % {"source": item.source}


@transaction.atomic
def debrief_save(
    *,
    session: LiveSession,
    brief: RolePlay,
    author: LtiUser,
    entries: list[GridInput],
    feedback: Mapping[int, str],
    overall: str,
) -> None:
    """Record (or replace) a co-animator's whole debrief: self-grid, partner grids, feedback
    to each partner and overall comment. All or nothing: any refused answer saves nothing."""
    started_required(session)
    # One save at a time per author (two tabs): the upserts below never race each other.
    member = (
        TeamMember.objects.select_for_update()
        .filter(team_id=session.team_id, lti_user=author)
        .first()
    )
    if member is None:
        raise PermissionDenied(_("Seul·es les co-animateur·rices de l'équipe font ce bilan."))
    if member.absent:
        raise ValidationFailed(
            _("Vous étiez absent·e à la séance : il n'y a pas de grille à remplir.")
        )
    partners = {m.lti_user_id for m in present_members(session)} - {author.pk}
    problems = [p for p in (_grid_problem(e, brief, author.pk, partners) for e in entries) if p]
    given = {(e.source, e.criterion, e.subject_pk) for e in entries}
    missing = [s for s in expected_slots(brief, author.pk, sorted(partners)) if s not in given]
    if missing:
        problems.append(
            _("Répondez à chaque critère (un niveau ou « je ne sais pas ») : %(codes)s.")
            % {"codes": ", ".join(dict.fromkeys(code for _s, code, _p in missing))}
        )
    texts: dict[int | None, str] = dict(feedback.items())
    texts[None] = overall
    if any(pk not in partners for pk in feedback):
        problems.append(_("Un retour ne peut s'adresser qu'à un·e partenaire présent·e."))
    if any(len(text) > FEEDBACK_CHARS_MAX for text in texts.values()):
        problems.append(
            _("Un retour est trop long (%(max)s caractères au plus).") % {"max": FEEDBACK_CHARS_MAX}
        )
    if problems:
        raise ValidationFailed(" ".join(dict.fromkeys(problems)), extra={"problems": problems})
    for entry in entries:
        GridEntry.objects.update_or_create(
            session=session,
            author=author,
            subject_id=entry.subject_pk,
            criterion_code=entry.criterion,
            defaults={"source": entry.source, "level": entry.level, "comment": entry.comment},
        )
    for subject_pk, text in texts.items():
        _comment_put(session, author, subject_pk, text.strip())


def _comment_put(session: LiveSession, author: LtiUser, subject_pk: int | None, text: str) -> None:
    if not text:
        DebriefComment.objects.filter(
            session=session, author=author, subject_id=subject_pk
        ).delete()
        return
    DebriefComment.objects.update_or_create(
        session=session, author=author, subject_id=subject_pk, defaults={"text": text}
    )


# --- debrief page: what each person may read -----------------------------------------------


@dataclass
class GridRow:
    criterion: RolePlayCriterion
    subject_pk: int | None
    answered: bool = False
    level: int | None = None
    comment: str = ""


@dataclass
class PartnerGrid:
    """What ``author`` wrote about ``partner``: their grid and their feedback text."""

    author: LtiUser
    partner: LtiUser
    rows: list[GridRow]
    feedback: str = ""


@dataclass
class MemberDebrief:
    """Everything one co-animator wrote in the debrief."""

    member: TeamMember
    self_rows: list[GridRow]
    partner_grids: list[PartnerGrid]
    overall: str
    complete: bool


def _member_debriefs(session: LiveSession, brief: RolePlay) -> list[MemberDebrief]:
    members = list(TeamMember.objects.filter(team_id=session.team_id).select_related("lti_user"))
    present = [m for m in members if not m.absent]
    entries = {
        (e.author_id, e.source, e.criterion_code, e.subject_id): e
        for e in GridEntry.objects.filter(session=session).exclude(source=GridEntry.Source.OBSERVER)
    }
    comments = {
        (c.author_id, c.subject_id): c.text for c in DebriefComment.objects.filter(session=session)
    }

    def row(author: int, source: str, criterion: RolePlayCriterion, subject: int | None) -> GridRow:
        entry = entries.get((author, source, criterion.code, subject))
        if entry is None:
            return GridRow(criterion, subject)
        return GridRow(criterion, subject, True, entry.level, entry.comment)

    result = []
    for member in members:
        me = member.lti_user_id
        partners = [m for m in present if m.lti_user_id != me] if not member.absent else []
        self_rows = [
            row(me, GridEntry.Source.SELF, c, None if c.shared else me)
            for c in self_criteria(brief)
        ]
        grids = [
            PartnerGrid(
                author=member.lti_user,
                partner=p.lti_user,
                rows=[
                    row(me, GridEntry.Source.PARTNER, c, p.lti_user_id)
                    for c in partner_criteria(brief)
                ],
                feedback=comments.get((me, p.lti_user_id), ""),
            )
            for p in partners
        ]
        rows = [*self_rows, *(r for g in grids for r in g.rows)]
        complete = not member.absent and all(r.answered for r in rows)
        result.append(
            MemberDebrief(member, self_rows, grids, comments.get((me, None), ""), complete)
        )
    return result


@dataclass(frozen=True)
class TimedNote:
    """An observer's note without its author: minutes since the session started."""

    minute: int | None
    text: str


@dataclass
class SynthesisRow:
    criterion: RolePlayCriterion
    median: Decimal | None = None
    spread: tuple[int, int] | None = None
    observers: int = 0
    comments: list[str] = field(default_factory=list)
    notes: list[TimedNote] = field(default_factory=list)


@dataclass
class SynthesisBlock:
    """The observers' input about one co-animator (individual criteria) or about the whole
    team (``member`` None: shared criteria and notes about nobody in particular)."""

    member: TeamMember | None
    rows: list[SynthesisRow]
    other_notes: list[TimedNote]


def _timed(note: ObserverNote, started_at: datetime | None) -> TimedNote:
    if started_at is None:
        return TimedNote(None, note.text)
    return TimedNote(max(0, int((note.noted_at - started_at).total_seconds() // 60)), note.text)


def observers_synthesis(session: LiveSession, brief: RolePlay) -> list[SynthesisBlock]:
    """Per observed criterion: median, spread, number of observers who gave a level, their
    comments and time-stamped notes — never who wrote what (the team reads it). A note that
    fits no row (no criterion, or one observers do not assess) is listed under the
    co-animator it is about, or the team: nothing an observer wrote is left out."""
    inputs = session_inputs(session, brief)
    observed = [c for c in brief.criteria if c.observed]
    members = list(TeamMember.objects.filter(team_id=session.team_id).select_related("lti_user"))
    shown: set[int] = set()

    def rows(criteria: list[RolePlayCriterion], subject_pk: int | None) -> list[SynthesisRow]:
        result = []
        for criterion in criteria:
            item = inputs.get((criterion.code, subject_pk))
            if item is None:
                result.append(SynthesisRow(criterion))
                continue
            shown.update(n.pk for n in item.notes)
            result.append(
                SynthesisRow(
                    criterion,
                    item.observer_median,
                    item.observer_spread,
                    item.observers,
                    list(item.observer_comments),
                    [_timed(n, session.started_at) for n in item.notes],
                )
            )
        return result

    individual = [c for c in observed if not c.shared]
    blocks = [SynthesisBlock(m, rows(individual, m.lti_user_id), []) for m in members]
    blocks.append(SynthesisBlock(None, rows([c for c in observed if c.shared], None), []))
    by_subject = {block.member.lti_user_id: block for block in blocks if block.member}
    for note in ObserverNote.objects.filter(session=session).order_by("noted_at", "pk"):
        if note.pk not in shown:
            block = by_subject.get(note.subject_id or 0, blocks[-1])
            block.other_notes.append(_timed(note, session.started_at))
    return blocks


@dataclass
class DebriefPage:
    started: bool
    synthesis: list[SynthesisBlock]
    mine: MemberDebrief | None = None  # the viewing co-animator's own debrief
    received: list[PartnerGrid] | None = None  # about them; None until theirs is complete
    partners_overall: list[tuple[LtiUser, str]] = field(default_factory=list)
    everyone: list[MemberDebrief] = field(default_factory=list)  # trainer only


def debrief_page_of(
    session: LiveSession, brief: RolePlay, *, viewer: LtiUser, is_trainer: bool
) -> DebriefPage:
    """The debrief as ``viewer`` may read it (the caller checked they are the trainer or a
    co-animator of the team)."""
    if not session_started(session):
        return DebriefPage(started=False, synthesis=[])
    page = DebriefPage(started=True, synthesis=observers_synthesis(session, brief))
    debriefs = _member_debriefs(session, brief)
    if is_trainer:
        page.everyone = debriefs
        return page
    page.mine = next((d for d in debriefs if d.member.lti_user_id == viewer.pk), None)
    if page.mine is not None and page.mine.complete:
        others = [d for d in debriefs if d.member.lti_user_id != viewer.pk]
        page.received = [g for d in others for g in d.partner_grids if g.partner.pk == viewer.pk]
        page.partners_overall = [(d.member.lti_user, d.overall) for d in others if d.overall]
    return page
