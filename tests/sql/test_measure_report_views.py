"""The report views analysts read apply the cell-size rule (docs/measures/README.md): a count of 1
to 10 is null and flags the row, a rate resting on it is null, zero and 11 are shown."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import encounter, views_subset, write_lake


def claim(key: str, payer: str, patient: str, denied: bool) -> dict:
    return {"claim_key": key, "patient_key": patient, "payer_key": payer, "service_month": "2024-01",
            "billed_amount": Decimal("100.00"), "allowed_amount": Decimal("50.00"),
            "paid_amount": Decimal("0.00" if denied else "40.00"), "is_denied": denied,
            "is_initially_denied": denied}  # fmt: skip


CLAIMS = (
    # big: 12 claims of 12 patients, 2 denied (a small cell), paid 10 x 40.00 of 1,200.00 billed
    [claim(f"b{i}", "big", f"pb{i}", i < 2) for i in range(12)]
    # small: 5 claims of one patient, none denied
    + [claim(f"s{i}", "small", "ps", False) for i in range(5)]
)
START = date(2023, 1, 2)
ENCOUNTERS = (
    # CIR: 11 index stays of 11 patients, none readmitted: shown, rate 0
    [
        encounter(f"c{i}", f"pc{i}", START, START + timedelta(days=2), diagnosis_category="CIR")
        for i in range(11)
    ]
    # RSP: 3 index stays: hidden
    + [
        encounter(f"r{i}", f"pr{i}", START, START + timedelta(days=2), diagnosis_category="RSP")
        for i in range(3)
    ]
    + [encounter("end", "pz", date(2023, 12, 31), date(2023, 12, 31), is_acute_inpatient=False)]
)
DIAGNOSES = [
    {"diagnosis_key": "I50.9", "diagnosis_category": "CIR", "diagnosis_category_name": "Diseases of the circulatory system"}
]  # fmt: skip


def missing(value: object) -> bool:
    return value is None or value != value  # null arrives as None or NaN


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):
    root: Path = tmp_path_factory.mktemp("reports")
    lake = write_lake(
        root / "lake",
        {"gold.fact_claim": CLAIMS, "gold.fact_encounter": ENCOUNTERS, "gold.dim_diagnosis": DIAGNOSES},
    )
    views = views_subset(
        root / "views",
        "v_claims_by_payer",
        "report_claims_by_payer",
        "v_readmission_index_stays",
        "v_readmission_rates",
        "report_readmission_by_category",
    )
    with LocalQueryEngine(lake, views) as engine:
        yield engine


def test_claims_by_payer_hides_small_counts_and_their_rates(engine) -> None:
    rows = {r["payer_key"]: r for r in engine.query("report_claims_by_payer").to_dict("records")}
    big, small = rows["big"], rows["small"]
    assert (big["claims"], big["patients"], big["decided_claims"]) == (12, 12, 12)
    assert big["paid_to_billed_ratio"] == pytest.approx(400 / 1200)
    # 2 initially denied: a small cell, so the count and the rate over it are hidden
    assert missing(big["initially_denied_claims"])
    assert missing(big["initial_denial_rate"]) and big["is_suppressed"]
    # 5 claims of 1 patient: counts and the paid ratio hidden, money shown; 0 denied is shown
    assert missing(small["claims"]) and missing(small["patients"])
    assert missing(small["paid_to_billed_ratio"])
    assert (
        small["billed_amount"] == 500.0 and small["initially_denied_claims"] == 0 and small["is_suppressed"]
    )


def test_readmission_by_category_names_categories_and_hides_small_ones(engine) -> None:
    rows = {
        r["diagnosis_category"]: r for r in engine.query("report_readmission_by_category").to_dict("records")
    }
    cir, rsp = rows["CIR"], rows["RSP"]
    assert (cir["index_stays"], cir["readmissions"], cir["readmission_rate"], cir["is_suppressed"]) == (
        11,
        0,
        0.0,
        False,
    )
    assert cir["diagnosis_category_name"] == "Diseases of the circulatory system"
    assert rsp["diagnosis_category_name"] == "RSP"  # no name known: the code
    assert missing(rsp["index_stays"]) and missing(rsp["readmission_rate"])
    assert rsp["is_suppressed"]
