"""Server-side SVG drawings of the canvas's tables (pure): the stakeholder map as a
power/interest chart, the multi-year phasing as a timeline.

The tables stay the accessible alternative: each drawing carries a title and a description
(``role="img"``) and the page shows the table next to it. Every text from a student is
escaped here, because the SVG is inserted in the page as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from lti_tool.activities.dsl.canvas import ENGAGEMENTS, LEVEL_MAX, YEAR_MAX, engagement_label

_COLOURS = {"opposant": "#b3261e", "reserve": "#b07800", "neutre": "#6b7280",
            "favorable": "#2e7d32", "moteur": "#1b4f9c", "": "#9aa3ad"}  # fmt: skip
_SIZE, _PAD = 420, 48


def _svg(
    width: int, height: int, title: str, desc: str, body: list[str], testid: str
) -> SafeString:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{testid}-t {testid}-d" data-testid="{testid}" '
        f'class="dsl-chart"><title id="{testid}-t">{escape(title)}</title>'
        f'<desc id="{testid}-d">{escape(desc)}</desc>'
    )
    return mark_safe(head + "".join(body) + "</svg>")  # noqa: S308 - every text escaped above


def _text(x: float, y: float, text: str, *, size: int = 11, anchor: str = "middle",
          weight: str = "normal", fill: str = "#1f2933") -> str:  # fmt: skip
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(text)}</text>'
    )


def stakeholder_chart(rows: Sequence[Mapping[str, Any]]) -> SafeString:
    """Power (vertical) against interest (horizontal), 1–4 each, in four quadrants; each
    actor is a numbered dot coloured by engagement (the number refers to the table)."""
    inner = _SIZE - 2 * _PAD
    cell = inner / LEVEL_MAX
    body = [f'<rect x="{_PAD}" y="{_PAD}" width="{inner}" height="{inner}" fill="#fff" '
            'stroke="#c7ced6"/>',
            f'<line x1="{_PAD + inner / 2}" y1="{_PAD}" x2="{_PAD + inner / 2}" '
            f'y2="{_PAD + inner}" stroke="#c7ced6" stroke-dasharray="4 3"/>',
            f'<line x1="{_PAD}" y1="{_PAD + inner / 2}" x2="{_PAD + inner}" '
            f'y2="{_PAD + inner / 2}" stroke="#c7ced6" stroke-dasharray="4 3"/>']  # fmt: skip
    # Quadrant names sit outside the plot, above and below it, never under a dot.
    quadrants = (
        (0.25, _PAD - 8, _("à satisfaire")), (0.75, _PAD - 8, _("acteurs clés")),
        (0.25, _PAD + inner + 16, _("à surveiller")),
        (0.75, _PAD + inner + 16, _("à informer et associer")),
    )  # fmt: skip
    for fx, y, label in quadrants:
        body.append(_text(_PAD + fx * inner, y, label, size=10, fill="#52606d"))
    body.append(_text(_PAD + inner / 2, _PAD + inner + 34, _("intérêt →"), size=12,
                      weight="bold"))  # fmt: skip
    legend_x = 10.0
    for engagement, label in ENGAGEMENTS:
        body.append(f'<circle cx="{legend_x + 6}" cy="{_SIZE + 14}" r="6" '
                    f'fill="{_COLOURS[engagement]}"/>')  # fmt: skip
        body.append(_text(legend_x + 16, _SIZE + 18, str(label), size=10, anchor="start"))
        legend_x += 16 + 7 * len(str(label)) + 14
    body.append(
        f'<text x="14" y="{_PAD + inner / 2}" font-size="12" font-weight="bold" '
        f'text-anchor="middle" transform="rotate(-90 14 {_PAD + inner / 2})">'
        f"{escape(_('pouvoir →'))}</text>"
    )
    placed: dict[tuple[int, int], int] = {}
    described = []
    for number, row in enumerate(rows, start=1):
        interest, power = row.get("interest"), row.get("power")
        if not interest or not power:
            continue
        slot = placed.get((interest, power), 0)
        placed[(interest, power)] = slot + 1
        # Actors in the same cell are spread on a small grid instead of overlapping.
        x = _PAD + (interest - 1) * cell + cell * (0.3 + 0.4 * (slot % 2))
        y = _PAD + (LEVEL_MAX - power) * cell + cell * (0.35 + 0.3 * (slot // 2 % 2))
        colour = _COLOURS.get(str(row.get("engagement") or ""), _COLOURS[""])
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="11" fill="{colour}"/>')
        body.append(_text(x, y + 4, str(number), size=11, weight="bold", fill="#fff"))
        described.append(
            _("%(n)s %(actor)s : intérêt %(i)s, pouvoir %(p)s, %(e)s")
            % {"n": number, "actor": row.get("actor") or "?", "i": interest, "p": power,
               "e": engagement_label(str(row.get("engagement") or "")) or _("engagement non précisé")}
        )  # fmt: skip
    desc = "; ".join(described) or _("Aucun acteur placé (intérêt et pouvoir à renseigner).")
    return _svg(_SIZE, _SIZE + 28, _("Carte des acteurs : pouvoir et intérêt"), desc, body,
                "stakeholder-chart")  # fmt: skip


def phasing_timeline(rows: Sequence[Mapping[str, Any]]) -> SafeString:
    """One bar per action from its start year to its end year, years as columns."""
    dated = [r for r in rows if r.get("start") and r.get("end")]
    years = max([2, *(int(r["end"]) for r in dated)])
    years = min(years, YEAR_MAX)
    label_w, col_w, row_h, top = 200, 90, 30, 34
    width = label_w + years * col_w + 10
    height = top + max(len(dated), 1) * row_h + 10
    body = []
    for year in range(1, years + 1):
        x = label_w + (year - 1) * col_w
        body.append(f'<rect x="{x}" y="{top - 4}" width="{col_w}" height="{height - top}" '
                    f'fill="{"#f4f6f8" if year % 2 else "#fff"}"/>')  # fmt: skip
        body.append(_text(x + col_w / 2, 20, _("Année %(n)s") % {"n": year}, weight="bold"))
    described = []
    for index, row in enumerate(dated):
        y = top + index * row_h
        start, end = int(row["start"]), int(row["end"])
        action = str(row.get("action") or "?")
        short = action if len(action) <= 30 else action[:29] + "…"
        body.append(_text(label_w - 8, y + 17, short, anchor="end"))
        x = label_w + (start - 1) * col_w + 4
        body.append(f'<rect x="{x}" y="{y + 4}" width="{(end - start + 1) * col_w - 8}" '
                    f'height="{row_h - 10}" rx="4" fill="#1b4f9c"/>')  # fmt: skip
        if row.get("who"):
            body.append(_text(x + 6, y + 18, str(row["who"])[:24], anchor="start", size=10,
                              fill="#fff"))  # fmt: skip
        described.append(_("%(action)s : année %(start)s à année %(end)s")
                         % {"action": action, "start": start, "end": end})  # fmt: skip
    desc = "; ".join(described) or _("Aucune action datée.")
    return _svg(width, height, _("Phasage pluriannuel"), desc, body, "phasing-timeline")
