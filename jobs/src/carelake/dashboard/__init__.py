"""The static dashboards ``make demo`` ends with: an analyst page (de-identified aggregates, small
cells suppressed) and a care-team page (PHI: the worklist and the high-risk list), each as one
self-contained HTML file and a PDF, with a PNG per chart, drawn from the Athena views on the local
lake (docs/dashboard.md).

Public API:
    build_dashboard(engine, out_dir) -> Dashboard   both pages; .pages, .charts, .empty_charts, .paths
    write_dashboard(engine, out_dir) -> [Path]      the same; the two HTML pages, then the two PDFs
    kpi_lines(engine), care_team_kpi_lines(engine)  the KPI summaries make demo prints
    read_dashboard(html) -> {chart_id: ChartRecord} what a written page holds
    PAGES, CHARTS, CHART_IDS                        the pages and charts, in page order
"""

from carelake.dashboard.build import Dashboard, PageResult, build_dashboard, write_dashboard
from carelake.dashboard.charts import CHART_IDS, CHARTS, ChartResult, ChartSpec
from carelake.dashboard.kpis import care_team_kpi_lines, kpi_lines
from carelake.dashboard.page import ChartRecord, read_dashboard
from carelake.dashboard.pages import ANALYST, CARE_TEAM, PAGES, PageSpec

__all__ = [
    "ANALYST",
    "CARE_TEAM",
    "CHARTS",
    "CHART_IDS",
    "PAGES",
    "ChartRecord",
    "ChartResult",
    "ChartSpec",
    "Dashboard",
    "PageResult",
    "PageSpec",
    "build_dashboard",
    "care_team_kpi_lines",
    "kpi_lines",
    "read_dashboard",
    "write_dashboard",
]
