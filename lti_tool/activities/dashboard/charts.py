"""Per-domain distributions of final results, drawn server-side as inline SVG geometry
(the template draws the shapes; a table gives the same figures as text). One chart per
domain: never a chart, nor a figure, across domains."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from lti_tool.activities.dashboard.matrix import Matrix
from lti_tool.grading.feedback import READING_LABELS
from lti_tool.grading.rules import Reading, reading

# Bars of 2 points: the reading thresholds (8 fragile, 10 acquired) fall on bar edges.
BIN_WIDTH = 2
BIN_COUNT = 10
CHART_WIDTH = 320
CHART_HEIGHT = 140
CHART_BASELINE = 120  # y of the axis; labels go below it


@dataclass(frozen=True)
class Bar:
    low: int
    high: int
    count: int
    reading: Reading
    x: int
    y: int
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high}"

    @property
    def center(self) -> int:
        return self.x + self.width // 2

    @property
    def reading_label(self) -> str:
        return str(READING_LABELS[self.reading])


@dataclass(frozen=True)
class DomainChart:
    code: str
    title: str
    count: int
    bars: list[Bar]
    by_reading: list[tuple[str, str, int]]  # (reading value, label, count)
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    baseline: int = CHART_BASELINE
    ticks: list[tuple[int, str]] = field(default_factory=list)  # (x, label)


def _bin(score: Decimal) -> int:
    return min(int(score // BIN_WIDTH), BIN_COUNT - 1)  # 20/20 goes in the last bar


def _bars(scores: list[Decimal]) -> list[Bar]:
    counts = [0] * BIN_COUNT
    for score in scores:
        counts[_bin(score)] += 1
    tallest = max(counts) or 1
    slot = CHART_WIDTH // BIN_COUNT
    bars = []
    for index, count in enumerate(counts):
        height = round(count * (CHART_BASELINE - 10) / tallest)
        low = index * BIN_WIDTH
        bars.append(
            Bar(
                low=low,
                high=low + BIN_WIDTH,
                count=count,
                reading=reading(Decimal(low)),
                x=index * slot + 2,
                y=CHART_BASELINE - height,
                width=slot - 4,
                height=height,
            )
        )
    return bars


def domain_charts(*, matrix: Matrix) -> list[DomainChart]:
    """One distribution per domain, of the final counting results (one per student and
    activity): never a chart, nor a figure, across domains."""
    charts = []
    offset = 0
    for domain in matrix.domains:
        width = len(domain.columns)
        scores = [
            cell.score_20
            for row in matrix.rows
            for cell in row.cells[offset : offset + width]
            if cell.state == "final" and cell.score_20 is not None
        ]
        offset += width
        by_reading = [
            (r.value, str(READING_LABELS[r]), sum(1 for s in scores if reading(s) == r))
            for r in (Reading.NOT_ACQUIRED, Reading.FRAGILE, Reading.ACQUIRED)
        ]
        slot = CHART_WIDTH // BIN_COUNT
        ticks = [(i * slot, str(i * BIN_WIDTH)) for i in range(0, BIN_COUNT + 1, 2)]
        charts.append(
            DomainChart(
                code=domain.code,
                title=domain.title,
                count=len(scores),
                bars=_bars(scores),
                by_reading=by_reading,
                ticks=ticks,
            )
        )
    return charts
