"""Writing the preparation sheet: saves with revisions and merge, the trainer's comments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from lti_tool.activities.roleplays.models import (
    PreparationSheet,
    SheetComment,
    SheetRevision,
    Team,
)
from lti_tool.activities.roleplays.sheet.merge import Merge, sheet_merge
from lti_tool.activities.roleplays.sheet.sections import (
    COMMENT_MAX,
    SECTION_KEYS,
    fields_normalised,
    section_label,
)
from lti_tool.activities.roleplays.sheet.selectors import sheet_due_at, sheet_is_locked, sheet_of
from lti_tool.core.exceptions import Conflict, ValidationFailed
from lti_tool.lti.models import LtiUser

# --- writing the sheet (services) ------------------------------------------------------


class SheetLocked(Conflict):
    code = "sheet_locked"


class SheetConflict(Conflict):
    code = "sheet_conflict"


@dataclass(frozen=True)
class SheetSaved:
    revision: int
    fields: dict[str, Any]
    changed: tuple[str, ...]  # sections this save wrote (empty: nothing new)
    # Sections whose value now differs from what was sent (others' changes merged in, or
    # sections held back), with who changed them since the base revision.
    updated: dict[str, list[str]]
    saved_at: datetime


def _locked_refusal(due_at: datetime) -> SheetLocked:
    when = formats.date_format(timezone.localtime(due_at), "SHORT_DATETIME_FORMAT")
    return SheetLocked(
        _(
            "La date limite de préparation est passée (%(when)s) : la fiche est en lecture "
            "seule. Ce que vous venez d'écrire n'a pas été enregistré ; copiez-le si vous "
            "voulez le garder et parlez-en à votre formateur·rice."
        )
        % {"when": when}
    )


def _authors_since(sheet: PreparationSheet, base_revision: int) -> dict[str, list[str]]:
    """Section → names of who changed it after ``base_revision``."""
    authors: dict[str, list[str]] = {}
    for revision in sheet.revisions.filter(number__gt=base_revision).select_related("author"):
        name = revision.author.display_name if revision.author else "—"
        for key in revision.changed:
            if name not in authors.setdefault(key, []):
                authors[key].append(name)
    return authors


def _conflict(
    sheet: PreparationSheet, merge: Merge, current: dict[str, Any], base_revision: int
) -> SheetConflict:
    authors = _authors_since(sheet, base_revision)
    parts = [
        _("« %(section)s » (modifiée par %(who)s)")
        % {"section": section_label(key), "who": ", ".join(authors.get(key, ["—"]))}
        for key in merge.conflicts
    ]
    return SheetConflict(
        _(
            "Pendant que vous écriviez, la même partie a été modifiée par un autre membre : "
            "%(parts)s. Rien n'a été écrasé : comparez les deux versions, puis gardez la "
            "vôtre, reprenez l'autre ou fusionnez-les à la main."
        )
        % {"parts": " ; ".join(parts)},
        extra={
            "revision": sheet.revision,
            "fields": current,
            "mine": sorted(merge.mine),
            "conflicts": [
                {
                    "section": key,
                    "label": section_label(key),
                    "theirs": current[key],
                    "authors": authors.get(key, []),
                }
                for key in merge.conflicts
            ],
            "updated": {
                key: authors.get(key, []) for key in sorted(merge.theirs - set(merge.conflicts))
            },
        },
    )


def _locked_sheet(team: Team) -> PreparationSheet:
    sheet_of(team)  # created outside the lock: get_or_create copes with a racing create
    return PreparationSheet.objects.select_for_update().get(team=team)


@transaction.atomic
def sheet_save(
    *,
    team: Team,
    author: LtiUser,
    base_revision: int,
    fields: Mapping[str, Any],
    held: Iterable[str] = (),
) -> SheetSaved:
    """Save ``fields`` (the whole sheet as ``author`` sees it, started from
    ``base_revision``), merging with what others saved meanwhile. ``held`` sections are not
    changed by this save (an unresolved conflict on the page). Raises ``SheetConflict``
    (409, nothing written) when a section changed on both sides, ``SheetLocked`` after the
    deadline."""
    due_at = sheet_due_at(team)
    if sheet_is_locked(due_at):
        raise _locked_refusal(due_at)  # type: ignore[arg-type]
    sheet = _locked_sheet(team)
    if not 0 <= base_revision <= sheet.revision:
        raise ValidationFailed(_("Version de départ inconnue : rechargez la page."))
    current = fields_normalised(sheet.fields)
    base = current
    if base_revision < sheet.revision:
        snapshot = sheet.revisions.filter(number=base_revision).first()
        base = fields_normalised(snapshot.fields if snapshot else {})
    mine = fields_normalised(fields)
    for key in held:
        if key in mine:
            mine[key] = base[key]
    merge = sheet_merge(base=base, mine=mine, theirs=current)
    if merge.conflicts:
        raise _conflict(sheet, merge, current, base_revision)
    changed = tuple(k for k in SECTION_KEYS if merge.fields[k] != current[k])
    now = timezone.now()
    if changed:
        sheet.revision += 1
        sheet.fields = merge.fields
        sheet.save(update_fields=["revision", "fields", "updated_at"])
        SheetRevision.objects.create(
            sheet=sheet,
            number=sheet.revision,
            author=author,
            fields=merge.fields,
            changed=list(changed),
        )
    authors = _authors_since(sheet, base_revision)
    sent = fields_normalised(fields)
    return SheetSaved(
        revision=sheet.revision,
        fields=merge.fields,
        changed=changed,
        updated={k: authors.get(k, []) for k in SECTION_KEYS if merge.fields[k] != sent[k]},
        saved_at=now,
    )


@transaction.atomic
def sheet_comment_add(*, team: Team, author: LtiUser, section: str, text: str) -> SheetComment:
    """A trainer's comment on one section (``section`` key) or on the whole sheet ("")."""
    text = text.strip()
    if section and section not in SECTION_KEYS:
        raise ValidationFailed(_("Cette partie de la fiche n'existe pas."))
    if not text:
        raise ValidationFailed(_("Le commentaire est vide."))
    if len(text) > COMMENT_MAX:
        raise ValidationFailed(
            _("Le commentaire dépasse %(max)s caractères.") % {"max": COMMENT_MAX}
        )
    return SheetComment.objects.create(
        sheet=sheet_of(team), author=author, section=section, text=text
    )
