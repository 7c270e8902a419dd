"""Cohort outcomes (docs/measures/cohort-outcomes.md) on a hand-built population: which stays each
cohort counts, and the LOS, 30-day readmission and ED revisit figures worked out in the comments.

Every stay below is a HEDIS index stay (discharged alive, not same-day, the data end 2023-12-31
leaves 30 days of follow-up), except where a comment says otherwise.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import encounter, views_subset, write_lake

D = date.fromisoformat


def emergency(eid: str, patient: str, day: str) -> dict:
    return encounter(eid, patient, D(day), D(day), encounter_class="emergency", is_acute_inpatient=False)


ENCOUNTERS = [
    # pk1 (heart failure since 2023-01-01): Z before the diagnosis; A readmitted by B 15 days later;
    # an ED visit 16 days after B (33 days after A: only B's revisit)
    encounter("z", "pk1", D("2022-06-01"), D("2022-06-03")),  # LOS 2, before the cohort
    encounter("a", "pk1", D("2023-02-01"), D("2023-02-05")),  # LOS 4, readmitted
    encounter("b", "pk1", D("2023-02-20"), D("2023-02-22")),  # LOS 2
    emergency("ed1", "pk1", "2023-03-10"),
    # pk2 (COPD since 2023-06-01): C discharged the day after the diagnosis; ED visit on day 30
    encounter("c", "pk2", D("2023-05-30"), D("2023-06-02")),  # LOS 3
    emergency("ed2", "pk2", "2023-07-02"),
    # pk3 (diabetes, no onset date: every stay): ED visit on day 31 does not count
    encounter("d", "pk3", D("2023-03-01"), D("2023-03-04")),  # LOS 3
    emergency("ed3", "pk3", "2023-04-04"),
    # pk4 (no cohort): an ED visit on the discharge day (day 0) does not count
    encounter("e", "pk4", D("2023-04-01"), D("2023-04-11")),  # LOS 10
    emergency("ed4", "pk4", "2023-04-11"),
    # sets the data's end
    encounter(
        "end", "pk4", D("2023-12-31"), D("2023-12-31"), encounter_class="ambulatory", is_acute_inpatient=False
    ),
]
COHORTS = [
    {"patient_key": "pk1", "cohort": "heart_failure", "cohort_name": "Heart failure", "first_diagnosed_date": D("2023-01-01")},
    {"patient_key": "pk2", "cohort": "copd", "cohort_name": "COPD", "first_diagnosed_date": D("2023-06-01")},
    {"patient_key": "pk3", "cohort": "diabetes", "cohort_name": "Diabetes", "first_diagnosed_date": None},
]  # fmt: skip
PATIENTS = [{"patient_key": f"pk{i}"} for i in range(1, 6)]  # pk5: no stays at all
COLUMNS = ("patients", "patients_with_index_stays", "index_stays", "total_los_days", "mean_los_days",
           "readmissions_30d", "readmission_rate_30d", "ed_revisits_30d", "ed_revisit_rate_30d")  # fmt: skip


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root: Path = tmp_path_factory.mktemp("cohorts")
    lake = write_lake(
        root / "lake",
        {"gold.fact_encounter": ENCOUNTERS, "gold.patient_cohort": COHORTS, "gold.dim_patient": PATIENTS},
    )
    views = views_subset(root / "views", "v_readmission_index_stays", "v_cohort_outcomes")
    with LocalQueryEngine(lake, views) as engine:
        frame = engine.query("v_cohort_outcomes")
    return {r["cohort"]: r for r in frame.to_dict("records")}


def values(row: dict) -> tuple:
    return tuple(row[c] for c in COLUMNS)


def test_heart_failure_counts_the_stays_from_the_diagnosis_on(cohorts) -> None:
    # A and B (Z ended before 2023-01-01): LOS 4 + 2; A readmitted; B revisited the ED
    assert values(cohorts["heart_failure"]) == (1, 1, 2, 6, 3.0, 1, 0.5, 1, 0.5)
    assert cohorts["heart_failure"]["cohort_name"] == "Heart failure"


def test_copd_counts_a_stay_ending_after_the_diagnosis_and_the_day_30_revisit(cohorts) -> None:
    assert values(cohorts["copd"]) == (1, 1, 1, 3, 3.0, 0, 0.0, 1, 1.0)


def test_diabetes_without_an_onset_counts_every_stay_and_day_31_is_out(cohorts) -> None:
    assert values(cohorts["diabetes"]) == (1, 1, 1, 3, 3.0, 0, 0.0, 0, 0.0)


def test_all_patients_is_the_baseline(cohorts) -> None:
    # Z A B C D E: LOS 2+4+2+3+3+10 = 24 over 6 stays; A readmitted; B and C revisited the ED
    row = cohorts["all_patients"]
    assert values(row)[:6] == (5, 4, 6, 24, 4.0, 1)
    assert row["readmission_rate_30d"] == pytest.approx(1 / 6)
    assert (row["ed_revisits_30d"], row["ed_revisit_rate_30d"]) == (2, pytest.approx(1 / 3))
    assert set(cohorts) == {"all_patients", "heart_failure", "copd", "diabetes"}
