"""The matrix as a CSV for French spreadsheets (semicolons, decimal comma; the view adds
the UTF-8 byte order mark). No total column: domains never compensate."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from lti_tool.activities.dashboard.matrix import Cell, Matrix
from lti_tool.grading.rules import ResultStatus


def _csv_safe(value: str) -> str:
    """A cell a spreadsheet would run as a formula (=, +, -, @) is quoted as text
    (OWASP CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_score(cell: Cell) -> str:
    if cell.state == "final" and cell.score_20 is not None:
        # French spreadsheets read a decimal comma.
        return f"{cell.score_20.normalize():f}".replace(".", ",")
    if cell.state == ResultStatus.TO_REVIEW:
        return _("à valider")
    if cell.state == ResultStatus.PROPOSED:
        return _("en cours")
    return ""


def matrix_csv_rows(*, matrix: Matrix) -> list[list[str]]:
    """The matrix as rows for a semicolon CSV: a header row, one row per student, one
    column per (domain, activity); no total column (domains never compensate)."""
    header = [_("Nom de famille"), _("Prénom"), _("Nom affiché"), _("Courriel"), _("Statut")]
    header += [f"{c.domain_code} — {c.activity_title}" for c in matrix.columns]
    rows: list[list[Any]] = [header]
    for row in matrix.rows:
        status = _("commencé") if row.started else _("pas commencé")
        if row.inactive:
            status += " " + _("(inscription inactive)")
        student = row.student
        rows.append(
            [
                _csv_safe(student.family_name),
                _csv_safe(student.given_name),
                _csv_safe(student.display_name),
                _csv_safe(student.email),
                status,
                *[_csv_score(cell) for cell in row.cells],
            ]
        )
    return rows
