"""patient_risk_view and v_high_risk_outreach over hand-built gold.patient_risk and
gold.high_risk_outreach_list (the LACE score itself is docs/measures/lace.md's job)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake

D = date
AS_OF = D(2024, 3, 31)


def risk(
    patient: str, los: int, l_pts: int, a: int, charlson: int, c: int, ed: int, e: int, discharge: date
) -> dict[str, Any]:
    score = l_pts + a + c + e
    return {
        "patient_key": patient,
        "index_encounter_id": f"enc-{patient}",
        "discharge_date": discharge,
        "length_of_stay_days": los,
        "l_points": l_pts,
        "a_points": a,
        "charlson_index": charlson,
        "c_points": c,
        "ed_visits_6m": ed,
        "e_points": e,
        "lace_score": score,
        "risk_band": "high" if score >= 10 else "moderate" if score >= 5 else "low",
        "as_of": AS_OF,
    }


def listed(
    patient: str, score: int, discharge: date, status: str | None, at: datetime | None
) -> dict[str, Any]:
    return {
        "patient_key": patient,
        "mrn": f"MRN-{patient}",
        "clinic_id": "fac-a",
        "clinic_name": "General",
        "lace_score": score,
        "risk_band": "high",
        "discharge_date": discharge,
        "last_outreach_status": status,
        "last_outreach_at": at,
        "last_coordinator_id": "cm-1" if status else None,
    }


RISK = [
    risk("pk1", 5, 4, 3, 2, 2, 1, 1, D(2024, 3, 1)),  # 4 + 3 + 2 + 1 = 10
    risk("pk2", 1, 1, 0, 0, 0, 0, 0, D(2024, 3, 2)),  # 1, low, not listed
    risk("pk3", 14, 7, 3, 6, 5, 4, 4, D(2024, 2, 1)),  # 19
    risk("pk4", 4, 4, 3, 4, 5, 0, 0, D(2024, 3, 5)),  # 12
    risk("pk5", 4, 4, 3, 4, 5, 0, 0, D(2024, 3, 10)),  # 12
]
OUTREACH_LIST = [
    listed("pk1", 10, D(2024, 3, 1), "reached", datetime(2024, 3, 3, 15)),  # reached after discharge
    listed("pk3", 19, D(2024, 2, 1), None, None),  # never contacted
    listed("pk4", 12, D(2024, 3, 5), "no_answer", datetime(2024, 3, 6, 10)),
    listed("pk5", 12, D(2024, 3, 10), "reached", datetime(2024, 3, 10, 9)),  # on the discharge day: not after
]
PATIENTS = [
    {"patient_key": f"pk{i}", "age_band": "65-74", "gender": "F", "is_active": True} for i in range(1, 6)
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalQueryEngine:
    root: Path = tmp_path_factory.mktemp("risk")
    tables = {
        "gold.patient_risk": RISK,
        "gold.high_risk_outreach_list": OUTREACH_LIST,
        "gold.dim_patient": PATIENTS,
    }
    lake = write_lake(root / "lake", tables)
    with LocalQueryEngine(
        lake, views_subset(root / "views", "patient_risk_view", "v_high_risk_outreach")
    ) as engine:
        yield engine


def test_each_lace_component_is_explained(engine: LocalQueryEngine) -> None:
    rows = {r["patient_key"]: r for r in engine.query("patient_risk_view").to_dict("records")}
    first = rows["pk1"]
    assert (first["l_points"], first["a_points"], first["c_points"], first["e_points"]) == (4, 3, 2, 1)
    assert first["lace_points_total"] == first["lace_score"] == 10 and first["is_acute_admission"]
    assert first["lace_explanation"] == "L 4 (5 days) + A 3 + C 2 (Charlson 2) + E 1 (1 ED visits) = 10"
    assert "mrn" not in rows["pk1"]  # de-identified


def test_outreach_status_of_listed_patients(engine: LocalQueryEngine) -> None:
    rows = {r["patient_key"]: r for r in engine.query("patient_risk_view").to_dict("records")}
    assert rows["pk1"]["is_on_outreach_list"] and rows["pk1"]["last_outreach_status"] == "reached"
    assert not rows["pk2"]["is_on_outreach_list"] and rows["pk2"]["last_outreach_status"] is None
    assert rows["pk2"]["risk_band"] == "low" and rows["pk2"]["age_band"] == "65-74"


def test_call_list_puts_patients_not_reached_since_discharge_first(engine: LocalQueryEngine) -> None:
    frame = engine.query("v_high_risk_outreach").sort_values("priority_rank")
    # not reached: pk3 (19), then the two 12s by latest discharge: pk5 (03-10), pk4 (03-05); pk1 was reached
    assert list(frame["patient_key"]) == ["pk3", "pk5", "pk4", "pk1"]
    assert list(frame["priority_rank"]) == [1, 2, 3, 4]
    assert list(frame["is_reached_since_discharge"]) == [False, False, False, True]
    assert list(frame["mrn"]) == ["MRN-pk3", "MRN-pk5", "MRN-pk4", "MRN-pk1"]  # coordinators need the chart
    # as_of 2024-03-31: 59, 21, 26, 30 days since discharge
    assert list(frame["days_since_discharge"]) == [59, 21, 26, 30]
    assert list(frame["c_points"]) == [5, 5, 5, 2]
