"""Query the views, draw every chart, write out_dir/index.html and out_dir/<chart>.png."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from carelake.dashboard.charts import CHARTS, TABLE_ROW_LIMIT, ChartResult, ChartSpec
from carelake.dashboard.kpis import kpi_lines
from carelake.dashboard.page import render_page
from carelake.dashboard.plots import chart_png, placeholder_png
from carelake.query import LocalQueryEngine, QueryError

INDEX = "index.html"


@dataclass(frozen=True)
class Dashboard:
    """A written dashboard: the page, each chart's outcome and the KPI lines."""

    index_path: Path
    charts: tuple[ChartResult, ...]
    kpis: tuple[str, ...]

    @property
    def empty_charts(self) -> list[ChartResult]:
        """Charts written without data ('empty' or 'error'): a demo lake should have none. A chart
        that may be empty (the call list, when every scored patient was reached) counts only when
        its view returned nothing at all."""
        return [
            c for c in self.charts
            if not c.has_data and not (c.spec.may_be_empty and c.status == "empty" and c.view_rows > 0)
        ]  # fmt: skip


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _chart(
    spec: ChartSpec, views: dict[str, pd.DataFrame | QueryError], out_dir: Path, limit: int
) -> ChartResult:
    view = views[spec.source]
    png_path = out_dir / f"{spec.chart_id}.png"
    status, note, total = "ok", None, 0
    rows = pd.DataFrame(columns=spec.column_names)
    if isinstance(view, QueryError):
        status, note = "error", f"view {spec.source} is unavailable: {_first_line(view)}"
    elif view.empty:
        status, note = "empty", f"view {spec.source} returned no rows"
    else:
        total = len(spec.rows(view, len(view)))
        rows = spec.rows(view, limit)
        if rows.empty:
            status, note = "empty", f"view {spec.source} has {len(view):,} rows but {spec.empty_note}"
    png = chart_png(spec, rows, total) if status == "ok" else placeholder_png(spec, note or "")
    png_path.write_bytes(png)
    view_rows = 0 if isinstance(view, QueryError) else len(view)
    return ChartResult(spec, status, rows, total, note, png, png_path, view_rows)


def build_dashboard(
    engine: LocalQueryEngine,
    out_dir: Path | str,
    *,
    table_row_limit: int = TABLE_ROW_LIMIT,
    generated_at: datetime | None = None,
) -> Dashboard:
    """Write the dashboard and return what was written, chart by chart."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    views: dict[str, pd.DataFrame | QueryError] = {}
    for source in dict.fromkeys(spec.source for spec in CHARTS):
        try:
            views[source] = engine.query(source)
        except QueryError as error:
            views[source] = error
    charts = tuple(_chart(spec, views, out_dir, table_row_limit) for spec in CHARTS)
    kpis = tuple(kpi_lines(engine))
    stamp = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    index = out_dir / INDEX
    index.write_text(
        render_page(list(charts), list(kpis), lake=str(engine.lake_root), generated_at=stamp),
        encoding="utf-8",
    )
    return Dashboard(index, charts, kpis)


def write_dashboard(engine: LocalQueryEngine, out_dir: Path | str) -> Path:
    """Write out_dir/index.html (self-contained) and out_dir/<chart>.png; returns index.html's path."""
    return build_dashboard(engine, out_dir).index_path
