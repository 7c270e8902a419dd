"""Length of stay per HCUP (docs/measures/length-of-stay.md) on a hand-built cohort.

LOS = discharge date - admission date in days (a same-day stay is 0), for acute inpatient
discharges (each encounter: a transfer is two discharges, as in HCUP), grouped by diagnosis
category and discharge month, plus an 'All' category per month.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import encounter, views_subset, write_lake

D = date

COHORT = [
    # CIR, discharged in January 2024: LOS 0 (same day), 2, 3, 10
    encounter("e1", "p1", D(2024, 1, 3), D(2024, 1, 3)),
    encounter("e2", "p1", D(2024, 1, 10), D(2024, 1, 12)),
    encounter("e3", "p2", D(2024, 1, 5), D(2024, 1, 8)),
    encounter("e4", "p3", D(2023, 12, 25), D(2024, 1, 4)),  # admitted in December, counted by discharge
    # RSP, January: LOS 1, 4, 7; e6 -> e7 is a transfer: two HCUP discharges
    encounter("e5", "p4", D(2024, 1, 1), D(2024, 1, 2), diagnosis_category="RSP"),
    encounter(
        "e6", "p5", D(2024, 1, 10), D(2024, 1, 14), diagnosis_category="RSP", discharge_disposition_code="02"
    ),
    encounter("e7", "p5", D(2024, 1, 14), D(2024, 1, 21), diagnosis_category="RSP", location_key="fac-b"),
    # CIR, February: LOS 5 (admitted 01-28)
    encounter("e8", "p6", D(2024, 1, 28), D(2024, 2, 2)),
    # no category: 'Unknown', February, LOS 2; a death in hospital is still a discharge
    encounter("e9", "p7", D(2024, 2, 10), D(2024, 2, 12), diagnosis_category=None, died_in_stay=True),
    # not counted: a non-acute SNF stay, an ED visit, a stay still open, a discharge before admission
    encounter("x1", "p8", D(2024, 1, 2), D(2024, 1, 30), encounter_class="snf", is_acute_inpatient=False),
    encounter(
        "x2", "p8", D(2024, 1, 2), D(2024, 1, 2), encounter_class="emergency", is_acute_inpatient=False
    ),
    encounter("x3", "p9", D(2024, 1, 20), None),
    encounter("x4", "p9", D(2024, 1, 20), D(2024, 1, 19)),
]


@pytest.fixture(scope="module")
def los(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    root: Path = tmp_path_factory.mktemp("los")
    lake = write_lake(root / "lake", {"gold.fact_encounter": COHORT})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_length_of_stay")) as engine:
        frame = engine.query("v_length_of_stay")
    return {(r["diagnosis_category"], r["discharge_month"]): r for r in frame.to_dict("records")}


def _summary(row: dict) -> tuple:
    return row["stays"], row["total_days"], row["mean_los_days"], row["median_los_days"], row["max_los_days"]


def test_even_count_median_is_the_mean_of_the_middle_two(los: dict) -> None:
    # 0, 2, 3, 10: mean 15 / 4 = 3.75, median (2 + 3) / 2 = 2.5
    assert _summary(los[("CIR", "2024-01")]) == (4, 15, 3.75, 2.5, 10)


def test_odd_count_median_is_the_middle_value_and_transfers_are_two_discharges(los: dict) -> None:
    # 1, 4, 7: mean 4, median 4
    assert _summary(los[("RSP", "2024-01")]) == (3, 12, 4.0, 4.0, 7)


def test_all_categories_row_per_month(los: dict) -> None:
    # January: 0, 1, 2, 3, 4, 7, 10: mean 27 / 7, median 3
    stays, total, mean, median, longest = _summary(los[("All", "2024-01")])
    assert (stays, total, median, longest) == (7, 27, 3.0, 10)
    assert mean == pytest.approx(27 / 7)
    # February: 5 (CIR) and 2 (Unknown): mean 3.5, median 3.5
    assert _summary(los[("All", "2024-02")]) == (2, 7, 3.5, 3.5, 5)


def test_month_of_discharge_and_missing_category(los: dict) -> None:
    assert _summary(los[("CIR", "2024-02")]) == (1, 5, 5.0, 5.0, 5)
    assert _summary(los[("Unknown", "2024-02")]) == (1, 2, 2.0, 2.0, 2)


def test_only_acute_discharges_with_valid_dates_count(los: dict) -> None:
    assert set(los) == {
        ("CIR", "2024-01"),
        ("RSP", "2024-01"),
        ("All", "2024-01"),
        ("CIR", "2024-02"),
        ("Unknown", "2024-02"),
        ("All", "2024-02"),
    }
    assert sum(r["stays"] for k, r in los.items() if k[0] != "All") == 9
