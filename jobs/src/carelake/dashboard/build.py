"""Query the views, draw every chart, and write each page as HTML and PDF (plus a PNG per chart):
out_dir/analyst.html, analyst.pdf, care-team.html, care-team.pdf, <chart>.png."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from carelake.dashboard.charts import SUPPRESSED_NOTE, TABLE_ROW_LIMIT, ChartResult, ChartSpec
from carelake.dashboard.page import render_page
from carelake.dashboard.pages import PAGES, PageSpec
from carelake.dashboard.pdf import write_pdf
from carelake.dashboard.plots import chart_png, placeholder_png
from carelake.query import LocalQueryEngine, QueryError


@dataclass(frozen=True)
class PageResult:
    """A written page: its HTML and PDF, each chart's outcome and the KPI lines."""

    spec: PageSpec
    html_path: Path
    pdf_path: Path
    charts: tuple[ChartResult, ...]
    kpis: tuple[str, ...]

    @property
    def page_id(self) -> str:
        return self.spec.page_id


@dataclass(frozen=True)
class Dashboard:
    pages: tuple[PageResult, ...]

    def page(self, page_id: str) -> PageResult:
        return next(p for p in self.pages if p.page_id == page_id)

    @property
    def charts(self) -> tuple[ChartResult, ...]:
        return tuple(c for p in self.pages for c in p.charts)

    @property
    def empty_charts(self) -> list[ChartResult]:
        """Charts with nothing to show; each says why (not an error)."""
        return [c for c in self.charts if c.status == "empty"]

    @property
    def failed_charts(self) -> list[ChartResult]:
        """Charts whose view could not be created or queried: a broken lake or view."""
        return [c for c in self.charts if c.status == "error"]

    @property
    def paths(self) -> list[Path]:
        """Both pages' HTML, then both PDFs."""
        return [p.html_path for p in self.pages] + [p.pdf_path for p in self.pages]


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def outreach_settings() -> dict[str, str]:
    """The LACE threshold and outreach window the gold job runs with (the manifest's defaults)."""
    from carelake.manifest import load_manifest

    return dict(load_manifest().jobs["silver_to_gold"].default_arguments)


def _empty_note(spec: ChartSpec) -> str:
    if spec.chart_id != "high_risk_outreach":
        return spec.empty_note
    settings = outreach_settings()
    return (
        f"no patient at or over the LACE threshold ({settings['risk_threshold']}) was discharged in the last "
        f"{settings['outreach_window_days']} days"
    )


def _chart(spec: ChartSpec, view: pd.DataFrame | QueryError, out_dir: Path) -> ChartResult:
    png_path = out_dir / f"{spec.chart_id}.png"
    empty = pd.DataFrame(columns=spec.column_names)
    status, note, rows, plotted, total = "ok", None, empty, empty, 0
    if isinstance(view, QueryError):
        status, note = "error", f"view {spec.source} is unavailable: {_first_line(view)}"
    elif view.empty:
        status, note = "empty", f"{_empty_note(spec)} (view {spec.source} returned no rows)"
    else:
        rows = spec.rows(view)
        total = len(rows)
        if spec.kind == "table":
            rows = rows.head(TABLE_ROW_LIMIT)
        plotted = spec.plotted(rows)
        if rows.empty:
            status, note = (
                "empty",
                f"{_empty_note(spec)} (view {spec.source} has {len(view):,} rows, none for this chart)",
            )
        elif spec.kind == "chart" and plotted.empty:
            status, note = "empty", SUPPRESSED_NOTE
    drawn = status == "ok"
    png = chart_png(spec, rows, plotted, total) if drawn else placeholder_png(spec, note or "")
    png_path.write_bytes(png)
    return ChartResult(spec, status, rows.reset_index(drop=True), plotted, total, note, png, png_path)


def build_page(engine: LocalQueryEngine, spec: PageSpec, out_dir: Path, generated_at: str) -> PageResult:
    views: dict[str, pd.DataFrame | QueryError] = {}
    for source in dict.fromkeys(chart.source for chart in spec.charts):
        try:
            views[source] = engine.query(source)
        except QueryError as error:
            views[source] = error
    charts = tuple(_chart(chart, views[chart.source], out_dir) for chart in spec.charts)
    kpis = tuple(spec.kpis(engine))
    html_path = out_dir / f"{spec.page_id}.html"
    html_path.write_text(
        render_page(spec, list(charts), list(kpis), lake=str(engine.lake_root), generated_at=generated_at),
        encoding="utf-8",
    )
    pdf_path = out_dir / f"{spec.page_id}.pdf"
    write_pdf(spec, list(charts), list(kpis), pdf_path, generated_at=generated_at)
    return PageResult(spec, html_path, pdf_path, charts, kpis)


def build_dashboard(
    engine: LocalQueryEngine, out_dir: Path | str, *, generated_at: datetime | None = None
) -> Dashboard:
    """Write both pages (HTML, PDF, a PNG per chart) and return what was written, chart by chart."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = (generated_at or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    return Dashboard(tuple(build_page(engine, spec, out_dir, stamp) for spec in PAGES))


def write_dashboard(engine: LocalQueryEngine, out_dir: Path | str) -> list[Path]:
    """Write both pages; returns the paths of the two HTML pages and the two PDFs."""
    return build_dashboard(engine, out_dir).paths
