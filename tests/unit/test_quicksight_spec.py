"""The QuickSight dashboards (terraform/modules/analytics/quicksight_dashboards.json) are the local
pages' charts, and the view columns Terraform types the data sets with (sql/view_columns.json) are
what the views give. No Spark needed."""

from __future__ import annotations

import json

from carelake.dashboard import ANALYST, CARE_TEAM
from carelake.dashboard.charts import WORKLIST_VIEW
from carelake.query.view_columns import view_columns_json
from tests.paths import REPO

SPEC = json.loads(
    (REPO / "terraform/modules/analytics/quicksight_dashboards.json").read_text(encoding="utf-8")
)
VIEW_COLUMNS = REPO / "sql" / "view_columns.json"


def test_view_columns_file_is_what_the_views_give() -> None:
    expected = view_columns_json(REPO / "sql" / "views")
    assert VIEW_COLUMNS.read_text(encoding="utf-8") == expected, "run `carelake view-columns` and commit it"


def test_the_analyst_dashboard_is_the_analyst_page() -> None:
    visuals = SPEC["analyst"]["visuals"]
    assert [(v["id"], v["title"], v["data_set"]) for v in visuals] == [
        (c.chart_id, c.title, c.source) for c in ANALYST.charts
    ]
    assert SPEC["analyst"]["classification"] == "non-phi"
    assert all(v["data_set"].startswith("report_") or v["data_set"] == "v_dq_summary" for v in visuals)


def test_the_care_team_dashboard_is_the_worklist_and_phi() -> None:
    [worklist] = SPEC["care_team"]["visuals"]
    chart = next(c for c in CARE_TEAM.charts if c.chart_id == "care_team_worklist")
    assert (worklist["id"], worklist["title"], worklist["data_set"]) == (
        chart.chart_id,
        chart.title,
        WORKLIST_VIEW,
    )
    assert worklist["columns"] == chart.column_names  # the agreed worklist columns
    assert SPEC["care_team"]["classification"] == "phi"


def test_every_column_a_visual_reads_is_in_its_view() -> None:
    columns = {view: {c["name"] for c in cols} for view, cols in json.loads(VIEW_COLUMNS.read_text()).items()}
    for visual in SPEC["analyst"]["visuals"]:
        used = {visual.get("category"), visual.get("date_category"), visual.get("colors")} - {None}
        used |= {m["column"] for key in ("values", "bars", "lines") for m in visual.get(key, [])}
        used |= set(visual.get("columns", [])) | {f["column"] for f in visual.get("filters", [])}
        assert used and used <= columns[visual["data_set"]], (
            visual["id"],
            used - columns[visual["data_set"]],
        )
        assert {m["aggregation"] for key in ("values", "bars", "lines") for m in visual.get(key, [])} <= {
            "SUM",
            "AVERAGE",
        }
