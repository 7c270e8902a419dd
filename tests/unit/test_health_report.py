"""The run report's pure parts (carelake.health) and silver_to_gold's failed key checks as run
metrics (carelake.gold.io.dq_issue_metrics); the report end to end is
tests/integration/test_pipeline_health.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from carelake.gold.io import dq_issue_metrics
from carelake.health import MASK, QUOTED, dq_issue_metric, dq_issues, run_report, run_report_path
from carelake.pipeline.accounting import RunCounts


def test_failed_key_checks_become_metrics_and_report_issues():
    checked = [
        {"zone": "silver", "table_name": "fct_encounter", "row_count": 200, "key_null_rate": 0.015, "duplicate_keys": 4},
        {"zone": "gold", "table_name": "dim_date", "row_count": 10, "key_null_rate": 0.0, "duplicate_keys": 0},
        {"zone": "gold", "table_name": "empty", "row_count": 0, "key_null_rate": None, "duplicate_keys": 0},
    ]  # fmt: skip
    metrics = dq_issue_metrics(checked)
    assert metrics == {
        "dq_issue:silver.fct_encounter:key_not_null": 3,  # 1.5% of 200 rows
        "dq_issue:silver.fct_encounter:key_unique": 4,
    }
    assert dq_issues({**metrics, "patients_scored": 7, dq_issue_metric("gold", "x", "key_unique"): 0}) == [
        {"zone": "silver", "table": "fct_encounter", "check": "key_not_null", "count": 3},
        {"zone": "silver", "table": "fct_encounter", "check": "key_unique", "count": 4},
    ]


def test_the_report_document():
    counts = RunCounts(rows_read=10, written={"b": 6, "a": 1}, quarantined={"a": 3},
                       metrics={dq_issue_metric("silver", "a", "key_unique"): 2, "other": 1})  # fmt: skip
    report = run_report(
        "bronze_to_silver", "abc", "2024-03-02", datetime(2024, 3, 2, 6, 0, tzinfo=UTC),
        datetime(2024, 3, 2, 6, 5, 30, tzinfo=UTC), counts, {"r": 3}, 7,
    )  # fmt: skip
    assert report == {
        "job": "bronze_to_silver", "run_id": "abc", "batch": "2024-03-02", "commit_seq": 7,
        "started_at": "2024-03-02T06:00:00Z", "finished_at": "2024-03-02T06:05:30Z", "rows_read": 10,
        "rows_written": {"a": 1, "b": 6}, "rows_quarantined": {"a": 3}, "rows_deduplicated": {},
        "quarantined_by_reason": {"r": 3},
        "dq_issues": [{"zone": "silver", "table": "a", "check": "key_unique", "count": 2}],
        "metrics": {"dq_issue:silver.a:key_unique": 2, "other": 1},
    }  # fmt: skip
    assert "/".join(run_report_path("bronze_to_silver", "2024-03-02", "abc")) == (
        "run_report/job=bronze_to_silver/dt=2024-03-02/abc.json"
    )


def test_quoted_values_are_masked_whole():
    # The same pattern Spark applies (Java regex) and the health Lambda applies again.
    for reason, expected in [
        ("column zip: '0211' is not of type int", f"column zip: {MASK} is not of type int"),
        ("column last: 'O'Brien' is too long", f"column last: {MASK} is too long"),
        ("bad date in event_at: 'x\ny' (ISO-8601 with zone expected)",
         f"bad date in event_at: {MASK} (ISO-8601 with zone expected)"),
        ("missing treatment_id", "missing treatment_id"),
    ]:  # fmt: skip
        assert re.sub(QUOTED, MASK, reason) == expected
