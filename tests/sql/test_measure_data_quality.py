"""Data-quality summary (docs/measures/data-quality.md) over a hand-built gold.dq_summary."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake

RUN_AT = datetime(2025, 1, 15, 6, 0)
DQ = [
    {
        "zone": "silver",
        "table_name": "fct_encounter",
        "row_count": 990,
        "key_null_rate": 0.0,
        "duplicate_keys": 0,
        "duplicates_removed": 12,
        "quarantined_rows": 10,
        "last_run_id": "r1",
        "last_run_at": RUN_AT,
    },
    {
        "zone": "gold",
        "table_name": "fact_claim",
        "row_count": 500,
        "key_null_rate": 0.0,
        "duplicate_keys": 0,
        "duplicates_removed": 0,
        "quarantined_rows": 0,
        "last_run_id": "r2",
        "last_run_at": RUN_AT,
    },
    {
        "zone": "silver",
        "table_name": "dim_patient",
        "row_count": 100,
        "key_null_rate": 0.02,
        "duplicate_keys": 1,
        "duplicates_removed": 0,
        "quarantined_rows": None,
        "last_run_id": "r1",
        "last_run_at": RUN_AT,
    },
    {
        "zone": "gold",
        "table_name": "empty",
        "row_count": 0,
        "key_null_rate": None,
        "duplicate_keys": 0,
        "duplicates_removed": 0,
        "quarantined_rows": 0,
        "last_run_id": "r2",
        "last_run_at": RUN_AT,
    },
]


@pytest.fixture(scope="module")
def dq(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    root: Path = tmp_path_factory.mktemp("dq")
    lake = write_lake(root / "lake", {"gold.dq_summary": DQ})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_dq_summary")) as engine:
        frame = engine.query("v_dq_summary")
    return {(r["zone"], r["table_name"]): r for r in frame.to_dict("records")}


def test_quarantine_rate_is_over_rows_seen(dq: dict) -> None:
    assert dq[("silver", "fct_encounter")]["quarantine_rate"] == pytest.approx(10 / 1000)  # 10 of 990 + 10
    assert dq[("gold", "fact_claim")]["quarantine_rate"] == 0.0
    assert dq[("silver", "dim_patient")]["quarantine_rate"] == 0.0  # unknown quarantine counts as none
    assert pd.isna(dq[("gold", "empty")]["quarantine_rate"])  # no rows at all


def test_issues_flag(dq: dict) -> None:
    assert {k: r["has_issues"] for k, r in dq.items()} == {
        ("silver", "fct_encounter"): True,  # quarantined rows (removed duplicates alone are no issue)
        ("gold", "fact_claim"): False,
        ("silver", "dim_patient"): True,  # null keys and a duplicate key
        ("gold", "empty"): False,
    }


def test_run_columns_pass_through(dq: dict) -> None:
    row = dq[("silver", "fct_encounter")]
    assert (row["row_count"], row["duplicates_removed"], row["last_run_id"]) == (990, 12, "r1")
    assert row["last_run_at"] == RUN_AT
