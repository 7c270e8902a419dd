"""Top 10 diagnoses by billed amount (docs/measures/top-cost-diagnoses.md), hand-built claims."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake

# billed per diagnosis: D01 1200 (two claims of 700 and 500), D02 1100, ... D09 400, D10 300,
# D11 300 (tied with D10: ranked by key, so D11 is 11th), D12 100; plus 500 without a diagnosis.
# Total billed = 1200 + 1100 + 1000 + 900 + 800 + 700 + 600 + 500 + 400 + 300 + 300 + 100 + 500 = 8400.
BILLED = {
    "D01": [700, 500],
    "D02": [1100],
    "D03": [1000],
    "D04": [900],
    "D05": [800],
    "D06": [700],
    "D07": [600],
    "D08": [500],
    "D09": [400],
    "D10": [300],
    "D11": [300],
    "D12": [100],
    None: [500],
}
CLAIMS = [
    {
        "claim_key": f"c-{key}-{i}",
        "patient_key": f"p{i}",
        "diagnosis_key": key,
        "billed_amount": Decimal(amount),
        "allowed_amount": Decimal(amount),
        "paid_amount": Decimal(amount) / 2,
        "claim_status": "paid",
        "is_denied": False,
    }
    for key, amounts in BILLED.items()
    for i, amount in enumerate(amounts)
]
DIAGNOSES = [
    {
        "diagnosis_key": "D01",
        "icd10cm_code": "I50.9",
        "icd10cm_display": "Heart failure, unspecified",
        "diagnosis_category": "CIR",
        "diagnosis_category_name": "Diseases of the circulatory system",
    },
]


@pytest.fixture(scope="module")
def top(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    root: Path = tmp_path_factory.mktemp("top_cost")
    lake = write_lake(root / "lake", {"gold.fact_claim": CLAIMS, "gold.dim_diagnosis": DIAGNOSES})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_top_cost_diag")) as engine:
        frame = engine.query("v_top_cost_diag")
    return sorted(frame.to_dict("records"), key=lambda r: r["billed_rank"])


def test_ten_rows_ranked_by_billed_then_key(top: list[dict]) -> None:
    assert [r["billed_rank"] for r in top] == list(range(1, 11))
    assert [r["diagnosis_key"] for r in top] == [f"D{i:02d}" for i in range(1, 11)]


def test_amounts_and_share_of_all_billing(top: list[dict]) -> None:
    first = top[0]
    assert (first["claims"], first["patients"], first["billed_amount"], first["paid_amount"]) == (
        2,
        2,
        1200.0,
        600.0,
    )
    assert first["share_of_total_billed"] == pytest.approx(1200 / 8400)  # 1/7: the undiagnosed 500 counts
    assert top[9]["share_of_total_billed"] == pytest.approx(300 / 8400)
    assert sum(r["share_of_total_billed"] for r in top) == pytest.approx(7500 / 8400)


def test_diagnosis_labels(top: list[dict]) -> None:
    assert (top[0]["icd10cm_code"], top[0]["diagnosis_category"]) == ("I50.9", "CIR")
    assert top[1]["icd10cm_code"] is None  # no dim_diagnosis row: the key stays, labels are null
