"""Outreach compliance (docs/measures/outreach-compliance.md) on a hand-built cohort.

A discharge complies when the patient has a successful outreach (reached or completed) on days
1..30 after the discharge date (local calendar dates). Discharges are acute inpatient stays with
transfers merged (v_readmission_index_stays), alive at discharge, whose 30-day window has closed
by the data's end (2024-12-31, patient p99). Attribution: the first successful outreach's
coordinator, else the last attempt's in the window, else the patient's latest outreach on or
before the discharge date, else 'unassigned'.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import encounter, views_subset, write_lake

D = date

ENCOUNTERS = [
    encounter("s1", "pA", D(2024, 3, 1), D(2024, 3, 5)),
    encounter("s2", "pB", D(2024, 3, 10), D(2024, 3, 12)),
    encounter("s3", "pC", D(2024, 3, 10), D(2024, 3, 12)),
    encounter("s4", "pD", D(2024, 3, 20), D(2024, 3, 22)),
    encounter("s5", "pE", D(2024, 3, 20), D(2024, 3, 22)),
    encounter("s6", "pF", D(2024, 3, 20), D(2024, 3, 22), died_in_stay=True),
    encounter("s7a", "pG", D(2024, 3, 1), D(2024, 3, 3), discharge_disposition_code="02"),
    encounter("s7b", "pG", D(2024, 3, 4), D(2024, 3, 8), location_key="fac-b"),
    encounter("s8", "pH", D(2024, 12, 10), D(2024, 12, 15)),
    encounter("s9", "pI", D(2024, 4, 3), D(2024, 4, 3)),  # a same-day stay is a discharge too
    encounter("x1", "pJ", D(2024, 3, 1), D(2024, 3, 9), encounter_class="snf", is_acute_inpatient=False),
    encounter(
        "p99-amb",
        "p99",
        D(2024, 12, 31),
        D(2024, 12, 31),
        encounter_class="ambulatory",
        is_acute_inpatient=False,
    ),
]


def outreach(
    outreach_id: str, patient: str | None, coordinator: str, day: date, hour: int, status: str
) -> dict[str, Any]:
    return {
        "outreach_id": outreach_id,
        "patient_key": patient,
        "coordinator_id": coordinator,
        "event_at": datetime(day.year, day.month, day.day, hour),
        "event_local_date": day,
        "channel": "phone",
        "status": status,
        "is_successful": status in ("reached", "completed"),
    }


OUTREACH = [
    # s1 (discharged 03-05): the discharge day does not count; cm-2 reaches pA on day 2, cm-1 on day 15
    outreach("o1", "pA", "cm-1", D(2024, 3, 5), 18, "reached"),
    outreach("o2", "pA", "cm-2", D(2024, 3, 6), 10, "no_answer"),
    outreach("o3", "pA", "cm-2", D(2024, 3, 7), 10, "reached"),
    outreach("o4", "pA", "cm-1", D(2024, 3, 20), 10, "completed"),
    # s2 (03-12): reached on day 30 (04-11): complies
    outreach("o5", "pB", "cm-1", D(2024, 4, 11), 9, "reached"),
    # s3 (03-12): reached on day 31: too late, and not before the discharge either -> unassigned;
    # an outreach whose patient the MPI could not resolve is ignored
    outreach("o6", "pC", "cm-1", D(2024, 4, 12), 9, "reached"),
    outreach("o7", None, "cm-1", D(2024, 3, 13), 9, "reached"),
    # s4 (03-22): cm-3 before the stay, cm-1 leaves a message in the window -> cm-1, not compliant
    outreach("o8", "pD", "cm-3", D(2024, 3, 1), 9, "completed"),
    outreach("o9", "pD", "cm-1", D(2024, 3, 25), 9, "left_message"),
    # s5 (03-22): nothing in the window; cm-3 called before the discharge -> cm-3, not compliant
    outreach("o10", "pE", "cm-3", D(2024, 3, 15), 9, "reached"),
    # s6 died: no row even with an outreach
    outreach("o11", "pF", "cm-1", D(2024, 3, 25), 9, "reached"),
    # s7 (transfer, discharged 03-08): reached on 03-05, after the first hospital's discharge but
    # before the stay's: not in the window; latest before the discharge -> cm-2, not compliant
    outreach("o12", "pG", "cm-2", D(2024, 3, 5), 9, "reached"),
    # s8 (12-15): reached on day 1 but the window is open on 2024-12-31: not in the measure yet
    outreach("o13", "pH", "cm-1", D(2024, 12, 16), 9, "reached"),
    # s9 (04-03): completed on day 1 -> cm-2, April
    outreach("o14", "pI", "cm-2", D(2024, 4, 4), 9, "completed"),
]

VIEWS = ("v_readmission_index_stays", "v_outreach_discharges", "outreach_compliance")


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalQueryEngine:
    root: Path = tmp_path_factory.mktemp("outreach")
    lake = write_lake(root / "lake", {"gold.fact_encounter": ENCOUNTERS, "gold.fact_outreach": OUTREACH})
    with LocalQueryEngine(lake, views_subset(root / "views", *VIEWS)) as engine:
        assert engine.failed_views == {}
        yield engine


@pytest.fixture(scope="module")
def discharges(engine: LocalQueryEngine) -> dict[str, dict]:
    return {r["stay_id"]: r for r in engine.query("v_outreach_discharges").to_dict("records")}


def test_one_row_per_discharge_alive(discharges: dict) -> None:
    # s6 died, s7a/s7b are one stay, x1 is not acute
    assert set(discharges) == {"s1", "s2", "s3", "s4", "s5", "s7a", "s8", "s9"}


def test_first_successful_outreach_in_days_1_to_30(discharges: dict) -> None:
    s1 = discharges["s1"]
    assert s1["has_successful_outreach_30d"] and s1["first_successful_outreach_id"] == "o3"
    assert (s1["days_to_successful_outreach"], s1["coordinator_id"]) == (2, "cm-2")
    assert s1["outreach_attempts_30d"] == 3  # o2, o3, o4 (not o1 on the discharge day)
    assert (
        discharges["s2"]["has_successful_outreach_30d"]
        and discharges["s2"]["days_to_successful_outreach"] == 30
    )
    assert not discharges["s3"]["has_successful_outreach_30d"]  # day 31


def test_attribution_rules(discharges: dict) -> None:
    got = {k: (r["coordinator_id"], r["attribution_rule"]) for k, r in discharges.items()}
    assert got == {
        "s1": ("cm-2", "first_successful_outreach"),
        "s2": ("cm-1", "first_successful_outreach"),
        "s3": ("unassigned", "unassigned"),
        "s4": ("cm-1", "last_attempt_in_window"),
        "s5": ("cm-3", "latest_outreach_before_discharge"),
        "s7a": ("cm-2", "latest_outreach_before_discharge"),
        "s8": ("cm-1", "first_successful_outreach"),
        "s9": ("cm-2", "first_successful_outreach"),
    }


def test_open_windows_are_flagged(discharges: dict) -> None:
    assert [k for k, r in discharges.items() if not r["is_window_complete"]] == ["s8"]


def test_compliance_by_coordinator_and_month(engine: LocalQueryEngine) -> None:
    frame = engine.query("outreach_compliance")
    got = {
        (r["coordinator_id"], r["discharge_month"]): (
            r["discharges"],
            r["discharges_with_successful_outreach"],
            r["compliance_rate"],
            r["mean_days_to_successful_outreach"],
        )
        for r in frame.to_dict("records")
    }
    nan_free = {k: tuple(None if pd.isna(v) else v for v in row) for k, row in got.items()}
    assert nan_free == {
        ("cm-2", "2024-03"): (2, 1, 0.5, 2.0),  # s1 reached on day 2, s7 not
        ("cm-1", "2024-03"): (2, 1, 0.5, 30.0),  # s2 reached on day 30, s4 not
        ("cm-3", "2024-03"): (1, 0, 0.0, None),  # s5
        ("unassigned", "2024-03"): (1, 0, 0.0, None),  # s3
        ("cm-2", "2024-04"): (1, 1, 1.0, 1.0),  # s9; s8 (December) has an open window
    }
