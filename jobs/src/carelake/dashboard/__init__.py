"""The static dashboard ``make demo`` ends with: one self-contained HTML page and the same
charts as PNG files, drawn from the Athena views on the local lake (docs/dashboard.md).

Public API:
    write_dashboard(engine, out_dir) -> Path       out_dir/index.html (+ out_dir/<chart>.png)
    build_dashboard(engine, out_dir) -> Dashboard  the same, with each chart's status and rows
    kpi_lines(engine) -> list[str]                 the KPI summary make demo prints
    read_dashboard(index_html) -> {chart_id: ChartRecord}   what a written page holds
    CHART_IDS                                      every chart, in page order
"""

from carelake.dashboard.build import Dashboard, build_dashboard, write_dashboard
from carelake.dashboard.charts import CHART_IDS, CHARTS, ChartResult, ChartSpec
from carelake.dashboard.kpis import kpi_lines
from carelake.dashboard.page import ChartRecord, read_dashboard

__all__ = [
    "CHARTS",
    "CHART_IDS",
    "ChartRecord",
    "ChartResult",
    "ChartSpec",
    "Dashboard",
    "build_dashboard",
    "kpi_lines",
    "read_dashboard",
    "write_dashboard",
]
