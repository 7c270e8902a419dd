"""Population summary by month and diagnosis category (docs/measures/population-summary.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import encounter, views_subset, write_lake

D = date

ENCOUNTERS = [
    # January CIR: 3 encounters of 2 patients, 1 acute inpatient stay (counted in the admission month)
    encounter("e1", "p1", D(2024, 1, 30), D(2024, 2, 3)),
    encounter(
        "e2", "p1", D(2024, 1, 5), D(2024, 1, 5), encounter_class="ambulatory", is_acute_inpatient=False
    ),
    encounter(
        "e3", "p2", D(2024, 1, 9), D(2024, 1, 9), encounter_class="emergency", is_acute_inpatient=False
    ),
    # January RSP: 1 encounter; no category: 'Unknown'
    encounter("e4", "p3", D(2024, 1, 12), D(2024, 1, 14), diagnosis_category="RSP"),
    encounter("e5", "p3", D(2024, 1, 20), D(2024, 1, 20), diagnosis_category=None, is_acute_inpatient=False),
]
CLAIMS = [
    {
        "claim_key": "c1",
        "patient_key": "p1",
        "service_month": "2024-01",
        "diagnosis_category": "CIR",
        "billed_amount": Decimal("100.00"),
        "paid_amount": Decimal("80.00"),
    },
    {
        "claim_key": "c2",
        "patient_key": "p2",
        "service_month": "2024-01",
        "diagnosis_category": "CIR",
        "billed_amount": Decimal("50.50"),
        "paid_amount": Decimal("0.00"),
    },
    # February END: claims but no encounters
    {
        "claim_key": "c3",
        "patient_key": "p4",
        "service_month": "2024-02",
        "diagnosis_category": "END",
        "billed_amount": Decimal("75.25"),
        "paid_amount": Decimal("70.00"),
    },
]


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    root: Path = tmp_path_factory.mktemp("population")
    lake = write_lake(root / "lake", {"gold.fact_encounter": ENCOUNTERS, "gold.fact_claim": CLAIMS})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_population_summary")) as engine:
        frame = engine.query("v_population_summary")
    return {(r["activity_month"], r["diagnosis_category"]): r for r in frame.to_dict("records")}


def _cell(row: dict) -> tuple:
    return (
        row["encounters"],
        row["patients"],
        row["acute_inpatient_stays"],
        row["claims"],
        row["billed_amount"],
        row["paid_amount"],
    )


def test_encounters_and_claims_meet_on_month_and_category(summary: dict) -> None:
    assert _cell(summary[("2024-01", "CIR")]) == (3, 2, 1, 2, 150.5, 80.0)
    assert _cell(summary[("2024-01", "RSP")]) == (1, 1, 1, 0, 0.0, 0.0)
    assert _cell(summary[("2024-01", "Unknown")]) == (1, 1, 0, 0, 0.0, 0.0)


def test_claims_without_encounters_still_show(summary: dict) -> None:
    assert _cell(summary[("2024-02", "END")]) == (0, 0, 0, 1, 75.25, 70.0)
    assert set(summary) == {
        ("2024-01", "CIR"),
        ("2024-01", "RSP"),
        ("2024-01", "Unknown"),
        ("2024-02", "END"),
    }
