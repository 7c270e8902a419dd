"""v_care_team_worklist over a hand-built gold.care_team_worklist: each coordinator's and clinic's
list ranked on its own, most urgent first (docs/measures/care-team-worklist.md)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake

AS_OF = date(2024, 3, 31)
REACHED_THEN_ED = "emergency_visit_since_reached"
NOT_REACHED = "not_reached_since_discharge"


def entry(coordinator: str, clinic: str, patient: str, score: int, discharge: date, reason: str = NOT_REACHED,
          last_at: datetime | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "as_of": AS_OF, "coordinator_id": coordinator, "clinic_id": clinic, "clinic_name": f"Clinic {clinic}",
        "patient_key": patient, "mrn": f"MRN-{patient}", "call_reason": reason, "lace_score": score,
        "risk_band": "high", "lace_reasons": "…", "discharge_date": discharge,
        "days_since_discharge": (AS_OF - discharge).days, "last_outreach_at": last_at,
        "last_outreach_status": "no_answer" if last_at else None, "last_coordinator_id": coordinator if last_at else None,
        "last_successful_outreach_at": None, "risk_signal_at": None,
    }  # fmt: skip


WORKLIST = [
    entry("cm-1", "org-a", "pk-tried-15", 15, date(2024, 3, 20), last_at=datetime(2024, 3, 29, 23, 30)),
    entry("cm-1", "org-a", "pk-new-12", 12, date(2024, 3, 25)),  # nobody tried yet: before the 15
    entry("cm-1", "org-a", "pk-new-12-older", 12, date(2024, 3, 10)),  # same score, older discharge
    entry("cm-1", "org-a", "pk-ed", 10, date(2024, 3, 5), REACHED_THEN_ED, datetime(2024, 3, 7, 10)),
    entry("cm-1", "org-b", "pk-b", 11, date(2024, 3, 30)),  # another clinic: its own ranking
    entry("cm-2", "org-a", "pk-new-12", 12, date(2024, 3, 25)),  # a second coordinator of org-a
    entry("unassigned", "org-c", "pk-c", 19, date(2024, 3, 1)),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalQueryEngine:
    root: Path = tmp_path_factory.mktemp("worklist")
    lake = write_lake(root / "lake", {"gold.care_team_worklist": WORKLIST})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_care_team_worklist")) as engine:
        yield engine


def test_each_coordinators_list_is_ranked_on_its_own(engine: LocalQueryEngine) -> None:
    frame = engine.query("v_care_team_worklist")
    ranked = {
        (r["coordinator_id"], r["clinic_id"], r["priority_rank"]): r["patient_key"]
        for r in frame.to_dict("records")
    }
    assert ranked == {
        # ED visit since reached first, then never tried (by score, then latest discharge), then tried
        ("cm-1", "org-a", 1): "pk-ed",
        ("cm-1", "org-a", 2): "pk-new-12",
        ("cm-1", "org-a", 3): "pk-new-12-older",
        ("cm-1", "org-a", 4): "pk-tried-15",
        ("cm-1", "org-b", 1): "pk-b",
        ("cm-2", "org-a", 1): "pk-new-12",
        ("unassigned", "org-c", 1): "pk-c",
    }


def test_days_since_the_discharge_and_the_last_outreach(engine: LocalQueryEngine) -> None:
    rows = {
        (r["coordinator_id"], r["patient_key"]): r
        for r in engine.query("v_care_team_worklist").to_dict("records")
    }
    tried = rows[("cm-1", "pk-tried-15")]
    # 2024-03-20 -> 03-31: 11 days; last outreach at 23:30 UTC on 03-29: 2 calendar days
    assert (tried["days_since_discharge"], tried["days_since_last_outreach"]) == (11, 2)
    assert pd.isna(rows[("cm-1", "pk-new-12")]["days_since_last_outreach"])  # never tried
    assert rows[("unassigned", "pk-c")]["mrn"] == "MRN-pk-c"  # coordinators need the chart
