"""The step-8 documents as one printable PDF, rendered on the server with ReportLab (a
maintained, pure-pip library: no download, no browser at run time).

Two documents, each starting on its own page: the synthesis note for elected officials and
partners (meant to fit two A4 pages: the brief's word limit sees to it), then the
plain-language poster for inhabitants, shrunk if needed to stay on one page.
Student texts are escaped: ReportLab paragraphs read a small markup language.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from lti_tool.activities.dsl.canvas import rung_label
from lti_tool.activities.dsl.content import LADDER, NOTE, PHASING, POSTER, DslBrief
from lti_tool.activities.dsl.models import Canvas

_MARGIN = 2 * cm
_FRAME_W, _FRAME_H = A4[0] - 2 * _MARGIN, A4[1] - 2 * _MARGIN


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontSize=17, leading=21),
        "meta": ParagraphStyle("m", parent=base["Normal"], fontSize=9, textColor=colors.grey),
        "h": ParagraphStyle("h", parent=base["Heading3"], fontSize=11.5, spaceBefore=6),
        "body": ParagraphStyle("b", parent=base["Normal"], fontSize=10, leading=13.5, spaceAfter=5),
        "poster_title": ParagraphStyle("pt", parent=base["Title"], fontSize=30, leading=36),
        "poster": ParagraphStyle(
            "p", parent=base["Normal"], fontSize=16, leading=22, spaceAfter=10
        ),
    }


def _paragraphs(text: str, styles: dict[str, ParagraphStyle], body: str) -> list[Flowable]:
    """Blank lines separate paragraphs; a short line alone (no final full stop) reads as a
    subheading, as the note's help suggests."""
    flow: list[Flowable] = []
    for block in (b.strip() for b in text.replace("\r\n", "\n").split("\n\n")):
        if not block:
            continue
        markup = escape(block).replace("\n", "<br/>")
        heading = "\n" not in block and len(block) <= 70 and not block.endswith((".", "!", "?"))
        flow.append(Paragraph(markup, styles["h" if heading and body == "body" else body]))
    return flow


def _note(brief: DslBrief, canvas: Canvas, fields: dict[str, Any],
          styles: dict[str, ParagraphStyle]) -> list[Flowable]:  # fmt: skip
    names = ", ".join(m.lti_user.display_name for m in canvas.members.all())
    today = formats.date_format(timezone.localdate(), "DATE_FORMAT")
    flow: list[Flowable] = [
        Paragraph(escape(_("Note de synthèse — %(title)s") % {"title": brief.title}), styles["title"]),
        Paragraph(escape(f"{brief.territory.name} · {names} · {today}"), styles["meta"]),
        Spacer(1, 8),
        *_paragraphs(fields[brief.field_of_type(NOTE).id], styles, "body"),
    ]  # fmt: skip
    ladder = fields[brief.field_of_type(LADDER).id]
    if ladder.get("rung"):
        flow += [Paragraph(escape(_("Participation des habitant·es visée")), styles["h"]),
                 Paragraph(escape(rung_label(ladder["rung"])), styles["body"])]  # fmt: skip
    rows = [r for r in fields[brief.field_of_type(PHASING).id] if r.get("action")]
    if rows:
        data = [[_("Années"), _("Action"), _("Qui porte")]] + [
            [Paragraph(escape(f"{r.get('start') or '?'}–{r.get('end') or '?'}"), styles["body"]),
             Paragraph(escape(r["action"]), styles["body"]),
             Paragraph(escape(r.get("who") or ""), styles["body"])]
            for r in rows
        ]  # fmt: skip
        table = Table(data, colWidths=[2.2 * cm, 9.3 * cm, 5.5 * cm], repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e4e9f0")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))  # fmt: skip
        flow += [Paragraph(escape(_("Calendrier")), styles["h"]), table]
    return flow


def _poster(brief: DslBrief, fields: dict[str, Any],
            styles: dict[str, ParagraphStyle]) -> list[Flowable]:  # fmt: skip
    content: list[Flowable] = [
        Paragraph(escape(brief.territory.name.split(",")[0]), styles["poster_title"]),
        Spacer(1, 12),
        *_paragraphs(fields[brief.field_of_type(POSTER).id], styles, "poster"),
    ]
    # One page whatever the length: the poster shrinks rather than spill onto a second page.
    return [KeepInFrame(_FRAME_W, _FRAME_H - 1, content, mode="shrink")]


def canvas_pdf(*, brief: DslBrief, canvas: Canvas, fields: dict[str, Any]) -> bytes:
    """The note (first pages) and the poster (last page) of ``fields``, as PDF bytes."""
    styles = _styles()
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
        bottomMargin=_MARGIN, title=f"{brief.title} — {canvas.name}", author=canvas.name,
        subject=_("Note de synthèse et affiche"), lang="fr",
    )  # fmt: skip
    story = [*_note(brief, canvas, fields, styles), PageBreak(), *_poster(brief, fields, styles)]
    document.build(story)
    return buffer.getvalue()
