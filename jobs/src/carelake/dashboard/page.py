"""A dashboard page: one self-contained HTML file (inline CSS, charts as base64 PNG, no
scripts, no network), and ``read_dashboard`` to read back what each chart holds.

The page is marked with its classification (a banner, ``<body data-classification>``) and
prints one chart per sheet with its title and table (``@media print``).

Every chart is a ``<figure data-chart="<id>" data-source="<view>" data-status="ok|empty|error"
data-rows="<n>">`` holding an HTML ``<table>`` of the plotted numbers (formatted) and a
``<script type="application/json" class="chart-data">`` block with the same rows at full
precision: ``{"chart", "source", "status", "rows", "total_rows", "note", "columns", "data"}``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from carelake.dashboard.charts import ChartResult
from carelake.dashboard.formatting import format_value, json_value
from carelake.dashboard.pages import PHI, PageSpec

CSS = """
:root { --ink: #1d2733; --muted: #5b6875; --line: #d5dbe1; --accent: #1f5f8b; --warn: #b5473f; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); background: #f4f6f8; }
header { background: var(--accent); color: white; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header p { margin: 0; opacity: .85; font-size: 13px; }
main { padding: 20px 28px 40px; display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 20px; }
section.kpis, figure.chart-table { grid-column: 1 / -1; }
section.kpis, figure { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 0; }
section.kpis h2, figure h2 { margin: 0 0 6px; font-size: 16px; }
section.kpis ul { margin: 6px 0 0; padding-left: 18px; }
nav { margin-top: 10px; font-size: 13px; }
nav a { color: var(--accent); margin-right: 12px; }
figcaption p { margin: 0 0 8px; color: var(--muted); font-size: 13px; }
figure img { width: 100%; height: auto; display: block; }
.status-badge { display: inline-block; padding: 0 6px; border-radius: 4px; font-size: 11px; color: white; background: var(--warn); }
.no-data { border: 2px dashed var(--warn); color: var(--warn); padding: 18px; text-align: center; border-radius: 6px; }
.scroll { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; font-size: 12px; margin-top: 8px; }
table.data th, table.data td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
table.data th { background: #eef2f5; position: sticky; top: 0; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.data tr.issue td { background: #fbeeee; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; margin-top: 6px; }
footer { padding: 0 28px 30px; color: var(--muted); font-size: 12px; }
.banner { padding: 10px 28px; font-weight: 600; background: #e8f1f8; color: var(--accent); }
.banner.phi { background: var(--warn); color: white; }
@media print {
  body { background: white; }
  main { display: block; padding: 0; }
  section.kpis, figure { break-inside: avoid; page-break-inside: avoid; border: none; margin: 0 0 12px; }
  figure { break-before: page; page-break-before: always; }
  figure h2 { break-after: avoid; page-break-after: avoid; }
  details > *:not(summary) { display: block; }
  details summary, nav { display: none; }
  .scroll { overflow: visible; }
}
"""

NUMERIC_FORMATS = {"int", "money", "pct", "days"}


def _json_script(payload: dict[str, Any], css_class: str, chart_id: str) -> str:
    text = json.dumps(payload, ensure_ascii=True, allow_nan=False)
    # nothing in the block may close the script element or start markup
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (
        f'<script type="application/json" class="{css_class}" data-chart="{escape(chart_id)}">{text}</script>'
    )


def _row_values(result: ChartResult) -> list[tuple[Any, ...]]:
    """The plotted rows as tuples in column order, each column keeping its own type (iterrows
    would turn an integer column into floats in an all-numeric frame)."""
    columns = [result.rows[c].tolist() for c in result.spec.column_names]
    return list(zip(*columns, strict=True)) if columns else []


def chart_payload(result: ChartResult, page: str = "") -> dict[str, Any]:
    spec = result.spec
    return {
        "page": page,
        "chart": spec.chart_id,
        "title": spec.title,
        "source": spec.source,
        "status": result.status,
        "rows": len(result.rows),
        "total_rows": result.total_rows,
        "note": result.note,
        "columns": spec.column_names,
        "data": [[json_value(v) for v in row] for row in _row_values(result)],
    }


def _table(result: ChartResult) -> str:
    spec = result.spec
    head = "".join(f'<th data-column="{escape(c.name)}">{escape(c.label)}</th>' for c in spec.columns)
    body = []
    names = spec.column_names
    flags = (
        result.rows["is_suppressed"].tolist()
        if "is_suppressed" in result.rows
        else [False] * len(result.rows)
    )
    for values, flag in zip(_row_values(result), flags, strict=True):
        row = dict(zip(names, values, strict=True))
        issue = ' class="issue"' if json_value(row.get("has_issues")) else ""
        suppressed = bool(json_value(flag))
        cells = "".join(
            ('<td class="num">' if c.fmt in NUMERIC_FORMATS else "<td>")
            + f"{escape(format_value(row[c.name], c.fmt, suppressed))}</td>"
            for c in spec.columns
        )
        body.append(f"<tr{issue}>{cells}</tr>")
    return (
        f'<div class="scroll"><table class="data" data-chart="{escape(spec.chart_id)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _figure(result: ChartResult, page: str) -> str:
    spec = result.spec
    rows = len(result.rows)
    shown = f"{rows:,} rows" if rows == result.total_rows else f"first {rows:,} of {result.total_rows:,} rows"
    parts = [
        f'<figure class="chart-{escape(spec.kind)} status-{escape(result.status)}" id="{escape(spec.chart_id)}" '
        f'data-chart="{escape(spec.chart_id)}" data-source="{escape(spec.source)}" '
        f'data-status="{escape(result.status)}" data-rows="{rows}" data-total-rows="{result.total_rows}">',
        f"<figcaption><h2>{escape(spec.title)}</h2><p>{escape(spec.description)}</p>"
        f"<p>View <code>{escape(spec.source)}</code> · {shown}</p></figcaption>",
    ]
    if result.has_data:
        if spec.kind == "chart":
            encoded = base64.b64encode(result.png).decode("ascii")
            parts.append(f'<img src="data:image/png;base64,{encoded}" alt="{escape(spec.title)}">')
            parts.append(f"<details open><summary>Data ({rows:,} rows)</summary>{_table(result)}</details>")
        else:
            parts.append(_table(result))
    else:
        label = "No data" if result.status == "empty" else "Unavailable"
        parts.append(
            f'<p class="no-data" role="status"><strong>{label}</strong>: {escape(result.note or "")}</p>'
        )
        if rows:  # rows whose every value is hidden under the cell-size rule: listed as <11
            parts.append(_table(result))
    parts.append(_json_script(chart_payload(result, page), "chart-data", spec.chart_id))
    parts.append("</figure>")
    return "\n".join(parts)


def render_page(
    spec: PageSpec, results: list[ChartResult], kpis: list[str], *, lake: str, generated_at: str
) -> str:
    """The whole page as HTML text."""
    nav = " ".join(
        f'<a href="#{escape(r.chart_id)}">{escape(r.spec.title)}</a>'
        + ("" if r.has_data else f' <span class="status-badge">{escape(r.status)}</span>')
        for r in results
    )
    kpi_items = "".join(f"<li>{escape(line)}</li>" for line in kpis)
    figures = "\n".join(_figure(r, spec.page_id) for r in results)
    banner_class = "banner phi" if spec.classification == PHI else "banner"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(spec.title)}</title>
<style>{CSS}</style>
</head>
<body data-page="{escape(spec.page_id)}" data-classification="{escape(spec.classification)}">
<header>
<h1>{escape(spec.title)}</h1>
<p>Lake <code>{escape(lake)}</code> · generated {escape(generated_at)}</p>
</header>
<p class="{banner_class}" role="note">{escape(spec.banner)}</p>
<main>
<section class="kpis">
<h2>Key figures</h2>
<ul>{kpi_items}</ul>
<nav>{nav}</nav>
</section>
{figures}
</main>
<footer>Definitions: docs/measures/ · chart sources: docs/dashboard.md · the same charts as PNG files and a PDF beside this page.</footer>
</body>
</html>
"""


# --- reading a written dashboard back ---------------------------------------------------------


@dataclass
class ChartRecord:
    """What the page says about one chart."""

    chart_id: str
    source: str
    status: str
    rows: int
    table_rows: int = 0
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.status == "ok" and self.rows > 0 and len(self.payload.get("data", [])) == self.rows


class _DashboardParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: dict[str, ChartRecord] = {}
        self._figure: ChartRecord | None = None
        self._script: list[str] | None = None
        self._in_tbody = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "figure" and "data-chart" in attr:
            self._figure = ChartRecord(
                attr["data-chart"],
                attr.get("data-source", ""),
                attr.get("data-status", ""),
                int(attr.get("data-rows", "0")),
            )
            self.charts[self._figure.chart_id] = self._figure
        elif tag == "script" and attr.get("type") == "application/json" and self._figure is not None:
            self._script = []
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr" and self._in_tbody and self._figure is not None:
            self._figure.table_rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._script is not None and self._figure is not None:
            self._figure.payload = json.loads("".join(self._script))
            self._script = None
        elif tag == "tbody":
            self._in_tbody = False
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script.append(data)


def read_dashboard(page_html: Path | str) -> dict[str, ChartRecord]:
    """Chart id -> what the written page holds for it (status, row count, the JSON data)."""
    parser = _DashboardParser()
    parser.feed(Path(page_html).read_text(encoding="utf-8"))
    parser.close()
    return parser.charts


__all__ = ["ChartRecord", "chart_payload", "read_dashboard", "render_page"]
