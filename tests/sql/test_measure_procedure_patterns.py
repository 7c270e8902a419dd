"""Procedure patterns (docs/measures/procedure-patterns.md) on hand-built procedures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake


def procedure(n: int, patient: str, category: str, name: str, cost: str | None, inpatient: bool) -> dict:
    return {
        "patient_key": patient,
        "snomed_code": f"s{n}",
        "performed_at": datetime(2024, 1, n, 9, 0),
        "procedure_category": category,
        "procedure_category_name": name,
        "performed_date": date(2024, 1, n),
        "cost": None if cost is None else Decimal(cost),
        "is_inpatient": inpatient,
    }


PROCEDURES = [
    procedure(1, "pk1", "surgery", "Surgery", "100.00", True),
    procedure(2, "pk2", "surgery", "Surgery", "300.00", False),
    procedure(3, "pk1", "radiology", "Radiology", "10.00", False),
    procedure(4, "pk1", "radiology", "Radiology", "20.00", False),
    procedure(5, "pk1", "radiology", "Radiology", None, False),  # no cost: counted, not in the mean
    procedure(6, "pk3", "unmapped", "No CPT/HCPCS code", "70.00", True),
]
COLUMNS = ("procedure_count", "patients", "inpatient_procedures", "inpatient_share", "total_cost", "mean_cost",
           "share_of_procedures", "share_of_cost")  # fmt: skip


@pytest.fixture(scope="module")
def patterns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root: Path = tmp_path_factory.mktemp("procedures")
    lake = write_lake(root / "lake", {"gold.fact_procedure": PROCEDURES})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_procedure_patterns")) as engine:
        frame = engine.query("v_procedure_patterns")
    assert list(frame["procedure_category"]) == ["surgery", "unmapped", "radiology"]  # cost, highest first
    return {r["procedure_category"]: r for r in frame.to_dict("records")}


def test_volume_cost_and_shares_per_category(patterns) -> None:
    # 6 procedures costing 500.00 in all
    assert tuple(patterns["surgery"][c] for c in COLUMNS) == (2, 2, 1, 0.5, 400.0, 200.0, 2 / 6, 0.8)
    assert tuple(patterns["radiology"][c] for c in COLUMNS) == (
        3,
        1,
        0,
        0.0,
        30.0,
        15.0,
        0.5,
        pytest.approx(0.06),
    )
    assert tuple(patterns["unmapped"][c] for c in COLUMNS) == (
        1,
        1,
        1,
        1.0,
        70.0,
        70.0,
        1 / 6,
        pytest.approx(0.14),
    )
    assert patterns["unmapped"]["procedure_category_name"] == "No CPT/HCPCS code"
