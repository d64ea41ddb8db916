"""The written follow-up of a co-animated session (issue 8; domain.md §6.1 step 5): each
co-animator's session report for the team (DC3, CA-TRANS) and reflexive analysis (DC1.2,
CA-REFL), each about one page, saved as drafts with optimistic concurrency and submitted;
the trainer flags a follow-up that is not anonymised (domain.md §0 point 9).

Who reads what: the session report is the team's (every co-animator reads a teammate's once
submitted) and the trainer's; the reflexive analysis is its author's and the trainer's only.
A submitted follow-up is read-only unless the trainer flags it; the author then revises and
submits again, which lifts the flag (who flagged it and why stay on the page).

``reports_of`` and ``roleplays/_report_readonly.html`` are also read by the trainer's
grading screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.content import RolePlay
from lti_tool.activities.roleplays.debrief import session_started, started_required
from lti_tool.activities.roleplays.models import LiveSession, SessionReport, TeamMember
from lti_tool.activities.roleplays.writing import (
    REPORT_WORDS_MAX,
    NameWarning,
    anonymity_warnings,
    word_count,
)
from lti_tool.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from lti_tool.lti.models import LtiUser, Membership

REPORT_CHARS_MAX = 12000  # a draft well past the word limit is still saved, not this
FLAG_REASON_CHARS_MAX = 1000


@dataclass(frozen=True)
class ReportFlag:
    """A trainer's "not anonymised" flag. Kept after it is lifted (``active`` False) so that
    the author and the trainer still see who flagged the report and why."""

    by: LtiUser | None
    reason: str
    at: datetime | None
    active: bool


@dataclass(frozen=True)
class ReportItem:
    """One co-animator's written follow-up; empty texts when they have not started it."""

    author: LtiUser
    report: str
    reflection: str
    submitted_at: datetime | None
    flag: ReportFlag | None  # the current flag, None when the report is not flagged
    previous_flag: ReportFlag | None  # a flag lifted since (author resubmitted or trainer)
    revision: int
    updated_at: datetime | None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def started(self) -> bool:
        return self.revision > 0

    @property
    def report_words(self) -> int:
        return word_count(self.report)

    @property
    def reflection_words(self) -> int:
        return word_count(self.reflection)

    @property
    def editable(self) -> bool:
        """A submitted text is what the trainer grades: it changes only when flagged."""
        return not self.submitted or self.flag is not None


def _flags(row: SessionReport) -> tuple[ReportFlag | None, ReportFlag | None]:
    if row.flagged_by_id is None and not row.flag_reason:
        return None, None
    flag = ReportFlag(
        by=row.flagged_by,
        reason=row.flag_reason,
        at=row.flagged_at,
        active=row.flagged_at is not None,
    )
    return (flag, None) if flag.active else (None, flag)


def report_item(author: LtiUser, row: SessionReport | None) -> ReportItem:
    if row is None:
        return ReportItem(author, "", "", None, None, None, 0, None)
    flag, previous = _flags(row)
    return ReportItem(
        author=author,
        report=row.report,
        reflection=row.reflection,
        submitted_at=row.submitted_at,
        flag=flag,
        previous_flag=previous,
        revision=row.revision,
        updated_at=row.updated_at if row.revision else None,
    )


def reports_of(session: LiveSession) -> list[ReportItem]:
    """Every co-animator's follow-up, in the team's order (one item per member, empty when
    not started), then any report of someone no longer in the team.

    The trainer's view: it holds the reflexive analysis, which only its author and the
    trainer may read (``report_page_of`` filters it for teammates).
    """
    rows = {
        row.author_id: row
        for row in SessionReport.objects.filter(session=session).select_related(
            "author", "flagged_by"
        )
    }
    members = TeamMember.objects.filter(team_id=session.team_id).select_related("lti_user")
    items = [report_item(m.lti_user, rows.pop(m.lti_user_id, None)) for m in members]
    items.extend(report_item(row.author, row) for row in rows.values())
    return items


@dataclass(frozen=True)
class ReportReview:
    """A follow-up with what may identify someone in each text (warnings, not refusals)."""

    item: ReportItem
    report_warnings: list[NameWarning]
    reflection_warnings: list[NameWarning]


@dataclass
class ReportPage:
    started: bool
    mine: ReportReview | None = None  # the viewing co-animator's own follow-up
    team: list[ReportItem] = field(default_factory=list)  # teammates' submitted reports
    everyone: list[ReportReview] = field(default_factory=list)  # trainer only
    words_max: int = REPORT_WORDS_MAX


def _roster_names(session: LiveSession) -> list[str]:
    """Classmates of the course, except the team's own co-animators (who may name each
    other: they are the professionals of the session, not the people to protect)."""
    team = TeamMember.objects.filter(team_id=session.team_id).values("lti_user_id")
    context_pk = (
        LiveSession.objects.filter(pk=session.pk)
        .values_list("team__placement__resource_link__context_id", flat=True)
        .get()
    )
    memberships = Membership.objects.filter(context_id=context_pk, is_student=True)
    names: list[str] = []
    for membership in memberships.exclude(lti_user_id__in=team).select_related("lti_user"):
        user = membership.lti_user
        names.extend(n for n in (user.given_name, user.family_name, user.name) if n)
    return names


def review_of(item: ReportItem, *, roster: list[str], fictional: list[str]) -> ReportReview:
    def warn(text: str) -> list[NameWarning]:
        return anonymity_warnings(text, roster_names=roster, fictional_names=fictional)

    return ReportReview(item, warn(item.report), warn(item.reflection))


def report_page_of(
    session: LiveSession, brief: RolePlay, *, viewer: LtiUser, is_trainer: bool
) -> ReportPage:
    """The follow-up as ``viewer`` may read it: the trainer every text; a co-animator their
    own texts and their teammates' submitted session reports, never a teammate's reflexive
    analysis."""
    if not session_started(session):
        return ReportPage(started=False)
    roster = _roster_names(session)
    fictional = [card.name for card in brief.role_cards]
    items = reports_of(session)
    if is_trainer:
        return ReportPage(
            started=True,
            everyone=[review_of(i, roster=roster, fictional=fictional) for i in items],
        )
    mine = next((i for i in items if i.author.pk == viewer.pk), None)
    return ReportPage(
        started=True,
        mine=review_of(mine, roster=roster, fictional=fictional) if mine else None,
        # A teammate's reflexive analysis never reaches this page's data, only its report.
        team=[replace(i, reflection="") for i in items if i.author.pk != viewer.pk and i.submitted],
    )


def _report_row(session: LiveSession, author: LtiUser) -> SessionReport:
    """The author's report row, locked; created empty on first save. Locking the author's
    membership first serialises two first saves (two tabs) that would both create it."""
    if (
        not TeamMember.objects.select_for_update()
        .filter(team_id=session.team_id, lti_user=author)
        .exists()
    ):
        raise PermissionDenied(_("Seul·es les co-animateur·rices de l'équipe écrivent ce suivi."))
    row, _created = SessionReport.objects.select_for_update().get_or_create(
        session=session, author=author
    )
    return row


def _report_problems(report: str, reflection: str, *, submit: bool) -> dict[str, str]:
    problems: dict[str, str] = {}
    for name, text in (("report", report), ("reflection", reflection)):
        if len(text) > REPORT_CHARS_MAX:
            problems[name] = _("Texte beaucoup trop long : %(max)s caractères au plus.") % {
                "max": REPORT_CHARS_MAX
            }
        elif submit and not text.strip():
            problems[name] = _("Ce texte est vide : écrivez-le avant de rendre votre suivi.")
        elif submit and word_count(text) > REPORT_WORDS_MAX:
            problems[name] = _(
                "%(count)s mots : raccourcissez à %(max)s mots au plus (environ une page)."
            ) % {"count": word_count(text), "max": REPORT_WORDS_MAX}
    return problems


@transaction.atomic
def report_save(
    *,
    session: LiveSession,
    author: LtiUser,
    report: str,
    reflection: str,
    revision: int,
    submit: bool = False,
) -> SessionReport:
    """Save a co-animator's follow-up as a draft, or submit it (``submit``).

    ``revision`` is the one the author's page showed: an older one means the texts changed
    elsewhere since (another tab or device) and nothing is overwritten (409). A draft may
    run past the word limit (nothing typed is lost); a submission may not. Submitting
    lifts a trainer's flag: the author has revised the text.
    """
    started_required(session)
    row = _report_row(session, author)
    if row.revision != revision:
        raise Conflict(
            _(
                "Votre suivi a été modifié ailleurs (un autre onglet ou appareil) depuis que "
                "vous avez ouvert cette page : rien n'a été écrasé. Comparez avec la version "
                "enregistrée ci-dessous, reprenez ce qui manque, puis enregistrez à nouveau."
            ),
            extra={"revision": row.revision},
        )
    if not report_item(author, row).editable:
        raise ValidationFailed(
            _(
                "Votre suivi est rendu : il ne se modifie plus, sauf si le ou la formateur·rice le signale."
            )
        )
    problems = _report_problems(report, reflection, submit=submit)
    if problems:
        raise ValidationFailed(" ".join(problems.values()), extra={"fields": problems})
    row.report, row.reflection = report, reflection
    row.revision += 1
    if submit:
        row.submitted_at = timezone.now()
        row.flagged_at = None  # flagged_by and flag_reason stay: the page shows the lifted flag
    row.save()
    return row


def _written_report(session: LiveSession, author_pk: int) -> SessionReport:
    row = (
        SessionReport.objects.select_for_update()
        .filter(session=session, author_id=author_pk, revision__gt=0)
        .first()
    )
    if row is None:
        raise NotFound(_("Cette personne n'a encore rien écrit."))
    return row


@transaction.atomic
def report_flag(*, session: LiveSession, author_pk: int, by: LtiUser, reason: str) -> SessionReport:
    """A trainer flags a written follow-up, draft or submitted, as not anonymised (domain.md
    §0 point 9): the author sees the flag and its reason, and may edit the text again until
    they submit it, which lifts the flag."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            _(
                "Dites à l'auteur·rice ce qui permet d'identifier quelqu'un (le motif est obligatoire)."
            )
        )
    if len(reason) > FLAG_REASON_CHARS_MAX:
        raise ValidationFailed(
            _("Motif trop long (%(max)s caractères au plus).") % {"max": FLAG_REASON_CHARS_MAX}
        )
    row = _written_report(session, author_pk)
    row.flagged_at, row.flagged_by, row.flag_reason = timezone.now(), by, reason
    row.save(update_fields=["flagged_at", "flagged_by", "flag_reason", "updated_at"])
    return row


@transaction.atomic
def report_unflag(*, session: LiveSession, author_pk: int) -> SessionReport:
    """Lift a flag; who flagged and why stay visible as a lifted flag."""
    row = _written_report(session, author_pk)
    row.flagged_at = None
    row.save(update_fields=["flagged_at", "updated_at"])
    return row
