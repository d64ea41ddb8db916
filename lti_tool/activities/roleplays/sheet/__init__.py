"""The team's *fiche de préparation* (issue 8, "Preparation"; domain.md §6.1 step 2, §3.5).

The sheet is a fixed list of sections (``SECTIONS``): free texts and one timed sequence plan
whose rows say who leads and who supports (each co-animator should lead at least one, a
warning rather than a refusal while the team is still writing). Every save writes the
sheet and a ``SheetRevision`` (author, full snapshot, sections changed) under a row lock.

Two members may edit at once (optimistic concurrency): a save says which revision it
started from; if the sheet moved on, ``sheet_merge`` (pure) keeps what only the others
changed, applies what only this member changed, and refuses — without writing anything —
when both changed the same section (or the same plan row) differently. Nothing is ever
silently overwritten. After ``RolePlaySetup.preparation_due_at`` the sheet is read-only for
the team; the trainer reads it and comments, never edits it.
"""

from lti_tool.activities.roleplays.sheet.merge import Merge, plan_merge, sheet_merge
from lti_tool.activities.roleplays.sheet.sections import (
    PLAN,
    SECTION_KEYS,
    SECTIONS,
    Section,
    fields_from_form,
    fields_normalised,
    leads_missing,
    section_label,
    section_of,
)
from lti_tool.activities.roleplays.sheet.selectors import (
    CommentView,
    MemberView,
    PlanRowView,
    RevisionView,
    SectionView,
    SheetView,
    sheet_is_locked,
    sheet_member_ids,
    sheet_of,
    sheet_revisions,
    sheet_view,
    sheet_view_with_fields,
)
from lti_tool.activities.roleplays.sheet.services import (
    SheetConflict,
    SheetLocked,
    SheetSaved,
    sheet_comment_add,
    sheet_save,
)

__all__ = [
    "PLAN",
    "SECTIONS",
    "SECTION_KEYS",
    "CommentView",
    "MemberView",
    "Merge",
    "PlanRowView",
    "RevisionView",
    "Section",
    "SectionView",
    "SheetConflict",
    "SheetLocked",
    "SheetSaved",
    "SheetView",
    "fields_from_form",
    "fields_normalised",
    "leads_missing",
    "plan_merge",
    "section_label",
    "section_of",
    "sheet_comment_add",
    "sheet_is_locked",
    "sheet_member_ids",
    "sheet_merge",
    "sheet_of",
    "sheet_revisions",
    "sheet_save",
    "sheet_view",
    "sheet_view_with_fields",
]
