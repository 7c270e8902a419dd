"""Demographics of the active population (docs/measures/demographics.md), hand-built patients."""

from __future__ import annotations

from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake

PATIENTS = [
    {
        "patient_key": "p1",
        "gender": "F",
        "age_band": "65-74",
        "race": "white",
        "ethnicity": "nonhispanic",
        "is_active": True,
    },
    {
        "patient_key": "p2",
        "gender": "F",
        "age_band": "65-74",
        "race": "black",
        "ethnicity": "hispanic",
        "is_active": True,
    },
    {
        "patient_key": "p3",
        "gender": "M",
        "age_band": "18-34",
        "race": "white",
        "ethnicity": "nonhispanic",
        "is_active": True,
    },
    {
        "patient_key": "p4",
        "gender": "U",
        "age_band": "85+",
        "race": None,
        "ethnicity": "nonhispanic",
        "is_active": True,
    },
    {
        "patient_key": "p5",
        "gender": None,
        "age_band": "0-17",
        "race": "asian",
        "ethnicity": None,
        "is_active": True,
    },
    # not active (no encounter in 24 months, or deceased): not counted
    {
        "patient_key": "p6",
        "gender": "M",
        "age_band": "50-64",
        "race": "white",
        "ethnicity": "nonhispanic",
        "is_active": False,
    },
    {
        "patient_key": "p7",
        "gender": "M",
        "age_band": "50-64",
        "race": "white",
        "ethnicity": "nonhispanic",
        "is_active": None,
    },
]


@pytest.fixture(scope="module")
def demographics(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict]:
    root: Path = tmp_path_factory.mktemp("demographics")
    lake = write_lake(root / "lake", {"gold.dim_patient": PATIENTS})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_demographics")) as engine:
        frame = engine.query("v_demographics")
    return {(r["dimension"], r["dimension_value"]): r for r in frame.to_dict("records")}


def test_counts_and_shares_of_the_five_active_patients(demographics: dict) -> None:
    assert demographics[("gender", "F")]["patients"] == 2
    assert demographics[("gender", "F")]["share_of_patients"] == pytest.approx(0.4)
    assert demographics[("age_band", "65-74")]["patients"] == 2
    assert demographics[("race", "white")]["share_of_patients"] == pytest.approx(0.4)  # p1, p3 (not p6, p7)
    assert demographics[("ethnicity", "nonhispanic")]["patients"] == 3
    assert {r["active_patients"] for r in demographics.values()} == {5}


def test_missing_values_are_unknown(demographics: dict) -> None:
    assert demographics[("gender", "Unknown")]["patients"] == 1
    assert demographics[("race", "Unknown")]["patients"] == 1
    assert demographics[("ethnicity", "Unknown")]["patients"] == 1


def test_each_dimension_covers_the_active_population(demographics: dict) -> None:
    for dimension in ("age_band", "gender", "race", "ethnicity"):
        rows = [r for (d, _), r in demographics.items() if d == dimension]
        assert sum(r["patients"] for r in rows) == 5
        assert sum(r["share_of_patients"] for r in rows) == pytest.approx(1.0)
    assert ("age_band", "50-64") not in demographics  # only inactive patients are 50-64
