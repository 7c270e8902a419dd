"""A dashboard page as a PDF, laid out for print with matplotlib's PdfPages (no browser).

Page 1 is the cover: title, the classification banner, when and from which lake, the KPI lines
and the list of charts. Then each chart on a page of its own, its title on top, its description,
the plot and its table below it (at most ``CHART_TABLE_ROWS`` rows: the latest years of a
trend, the first rows otherwise; the HTML page holds them all). A table chart fills as many
pages as it needs, ``TABLE_PAGE_ROWS`` rows each, its title repeated with "(continued)". A chart
with nothing to show says why. So a page's PDF has exactly
1 + sum(ceil(rows / TABLE_PAGE_ROWS) for tables with rows, 1 for everything else) pages.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from carelake.dashboard.charts import DATE, ChartResult
from carelake.dashboard.pages import PHI, PageSpec
from carelake.dashboard.plots import DRAW, RED, cell_texts, draw_table

PAGE_SIZE = (8.27, 11.69)  # A4 portrait, inches
CHART_TABLE_ROWS = 24
TABLE_PAGE_ROWS = 40
PDF_CELL_WIDTH = 40  # characters of a table cell on paper
INK, MUTED = "#1d2733", "#5b6875"


def pages_for(result: ChartResult) -> int:
    """PDF pages one chart takes."""
    if result.spec.kind == "table" and len(result.rows):
        return math.ceil(len(result.rows) / TABLE_PAGE_ROWS)
    return 1


# Horizontal bar charts need room on the left for their category names.
WIDE_LABELS = {"readmission_by_category", "denials_by_payer", "top_cost_diagnoses", "procedure_patterns",
               "provider_ranking"}  # fmt: skip


def _sheet(title: str, subtitle: str = "") -> Figure:
    fig = Figure(figsize=PAGE_SIZE)
    lines = textwrap.wrap(title, 62)
    fig.text(0.06, 0.96, "\n".join(lines), fontsize=14, weight="bold", color=INK, va="top")
    if subtitle:
        top = 0.96 - 0.024 * len(lines) - 0.006
        fig.text(0.06, top, "\n".join(textwrap.wrap(subtitle, 105)), fontsize=8.5, color=MUTED, va="top")
    return fig


def _banner(fig: Figure, spec: PageSpec, y: float) -> None:
    colour = RED if spec.classification == PHI else "#1f5f8b"
    fig.text(
        0.06, y, "\n".join(textwrap.wrap(spec.banner, 95)), fontsize=9, color=colour, weight="bold", va="top"
    )


def _footer(fig: Figure, spec: PageSpec, number: int) -> None:
    marking = "CONTAINS PHI - care team only" if spec.classification == PHI else "De-identified aggregates"
    fig.text(0.06, 0.025, f"{spec.title} · {marking}", fontsize=7, color=MUTED)
    fig.text(0.94, 0.025, f"page {number}", fontsize=7, color=MUTED, ha="right")


def _cover(spec: PageSpec, results: list[ChartResult], kpis: list[str], generated_at: str) -> Figure:
    fig = _sheet(
        spec.title, f"Generated {generated_at}. Definitions: docs/measures/; sources: docs/dashboard.md."
    )
    _banner(fig, spec, 0.88)
    lines = ["Key figures", *[f"· {line}" for line in kpis], "", "Charts"]
    page = 2
    for result in results:
        state = "" if result.has_data else f" ({result.status})"
        lines.append(f"· {result.spec.title}{state} ... page {page}")
        page += pages_for(result)
    wrapped = [part for line in lines for part in (textwrap.wrap(line, 110, subsequent_indent="   ") or [""])]
    fig.text(0.06, 0.80, "\n".join(wrapped), fontsize=8.5, color=INK, va="top", linespacing=1.5)
    return fig


def _table_rows(result: ChartResult, limit: int) -> tuple[list[list[str]], str]:
    rows = result.rows
    if len(rows) <= limit:
        return cell_texts(result.spec, rows, PDF_CELL_WIDTH), ""
    trend = result.spec.columns[0].fmt == DATE
    shown = rows.tail(limit) if trend else rows.head(limit)
    which = "latest" if trend else "first"
    return cell_texts(
        result.spec, shown
    ), f"{which} {limit} of {len(rows)} rows; the HTML page lists every row"


def _chart_sheets(result: ChartResult) -> list[Figure]:
    chart = result.spec
    description = chart.description
    if not result.has_data:
        label = "No data" if result.status == "empty" else "Unavailable"
        description += f"\n\n{label}: {result.note}"
    if chart.kind == "table" and len(result.rows):
        sheets = []
        cells = cell_texts(chart, result.rows, PDF_CELL_WIDTH)
        for n, start in enumerate(range(0, len(cells), TABLE_PAGE_ROWS)):
            title = chart.title + (" (continued)" if n else "")
            fig = _sheet(title, description if not n else "")
            part = cells[start : start + TABLE_PAGE_ROWS]
            height = 0.018 * (len(part) + 1)
            draw_table(fig.add_axes((0.05, 0.86 - height, 0.9, height)), chart, part, fontsize=6)
            sheets.append(fig)
        return sheets
    fig = _sheet(chart.title, description)
    if result.has_data:
        left = 0.30 if chart.chart_id in WIDE_LABELS else 0.10
        DRAW[chart.chart_id](fig.add_axes((left, 0.50, 0.86 - left, 0.32)), result.plotted)
    if len(result.rows):
        cells, caption = _table_rows(result, CHART_TABLE_ROWS)
        height = 0.016 * (len(cells) + 1)
        top = 0.42 if result.has_data else 0.80
        draw_table(fig.add_axes((0.05, top - height, 0.9, height)), chart, cells, fontsize=6)
        if caption:
            fig.text(0.06, top - height - 0.012, caption, fontsize=7, color=MUTED, va="top")
    return [fig]


def write_pdf(
    spec: PageSpec, results: list[ChartResult], kpis: list[str], path: Path, *, generated_at: str
) -> Path:
    """The page as a PDF at ``path`` (text kept as text: TrueType fonts, searchable)."""
    metadata = {
        "Title": spec.title,
        "Subject": spec.banner,
        "Creator": "carelake dashboard",
        "CreationDate": None,  # reproducible bytes: the cover carries the time
    }
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path, metadata=metadata) as pdf:
        number = 1
        sheets = [_cover(spec, results, kpis, generated_at)]
        for result in results:
            sheets += _chart_sheets(result)
        for fig in sheets:
            _footer(fig, spec, number)
            pdf.savefig(fig)
            number += 1
    return path
