"""Claims by payer (docs/measures/claims-by-payer.md) on a hand-built set of claims."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake


def claim(
    key: str, patient: str, payer: str | None, billed: str, allowed: str, paid: str, status: str
) -> dict[str, Any]:
    return {
        "claim_key": key,
        "patient_key": patient,
        "payer_key": payer,
        "service_month": "2024-01",
        "diagnosis_key": "I10",
        "diagnosis_category": "CIR",
        "billed_amount": Decimal(billed),
        "allowed_amount": Decimal(allowed),
        "paid_amount": Decimal(paid),
        "claim_status": status,
        "is_denied": status == "denied",
        "denial_reason": "CO-50" if status == "denied" else None,
        "source": "ehr_fhir",
        # the payer's first decision; none yet on a pending claim
        "is_initially_denied": None if status == "pending" else status == "denied",
    }


CLAIMS = [
    # payer-1: 3 claims of 2 patients, billed 180.00, allowed 110.00, paid 72.00, 1 denied
    claim("c1", "p1", "payer-1", "100.00", "80.00", "72.00", "paid"),
    claim("c2", "p1", "payer-1", "50.00", "0.00", "0.00", "denied"),
    claim("c3", "p2", "payer-1", "30.00", "30.00", "0.00", "pending"),
    # payer-2: billed 200.00, paid 150.00
    claim("c4", "p3", "payer-2", "200.00", "150.00", "150.00", "paid"),
    # no payer: 'Unknown'
    claim("c5", "p4", None, "10.00", "10.00", "10.00", "paid"),
    # payer-3 has claims but no dim_payer row: its key stays, its name is 'Unknown'
    claim("c6", "p5", "payer-3", "40.00", "25.00", "20.00", "adjusted"),
    claim("c7", "p5", "payer-3", "0.01", "0.00", "0.00", "denied"),
]
PAYERS = [
    {"payer_key": "payer-1", "payer_name": "Acme Health", "payer_type": "private"},
    {"payer_key": "payer-2", "payer_name": "Medicare", "payer_type": "medicare"},
]


@pytest.fixture(scope="module")
def payers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root: Path = tmp_path_factory.mktemp("claims")
    lake = write_lake(root / "lake", {"gold.fact_claim": CLAIMS, "gold.dim_payer": PAYERS})
    with LocalQueryEngine(lake, views_subset(root / "views", "v_claims_by_payer")) as engine:
        frame = engine.query("v_claims_by_payer")
    return {r["payer_key"]: r for r in frame.to_dict("records")}


def test_counts_and_money(payers: dict) -> None:
    acme = payers["payer-1"]
    assert (acme["payer_name"], acme["payer_type"]) == ("Acme Health", "private")
    assert (acme["claims"], acme["patients"], acme["denied_claims"]) == (3, 2, 1)
    assert (acme["billed_amount"], acme["allowed_amount"], acme["paid_amount"]) == (180.0, 110.0, 72.0)


def test_ratios_are_not_rounded_to_the_money_scale(payers: dict) -> None:
    # 72 / 180 = 0.4; 1 of 3 denied (the pending claim counts in the denominator)
    assert payers["payer-1"]["paid_to_billed_ratio"] == pytest.approx(0.4)
    assert payers["payer-1"]["denial_rate"] == pytest.approx(1 / 3)
    assert payers["payer-2"]["paid_to_billed_ratio"] == pytest.approx(0.75)
    assert payers["payer-2"]["denial_rate"] == 0.0
    # 20.00 / 40.01 = 0.49987..: a decimal division in Trino would keep scale 2 (0.50)
    assert payers["payer-3"]["paid_to_billed_ratio"] == pytest.approx(20 / 40.01)
    assert payers["payer-3"]["denial_rate"] == 0.5


def test_unknown_payers(payers: dict) -> None:
    assert set(payers) == {"payer-1", "payer-2", "payer-3", "Unknown"}
    assert payers["Unknown"]["payer_name"] == "Unknown" and payers["Unknown"]["claims"] == 1
    assert payers["payer-3"]["payer_name"] == "Unknown"
    assert sum(r["claims"] for r in payers.values()) == len(CLAIMS)


def test_initial_denial_rate_counts_decided_claims_only(payers: dict[str, dict]) -> None:
    # payer-1: c1 paid and c2 denied are decided, c3 is pending: 1 of 2 initially denied
    assert (payers["payer-1"]["decided_claims"], payers["payer-1"]["initially_denied_claims"]) == (2, 1)
    assert payers["payer-1"]["initial_denial_rate"] == pytest.approx(0.5)
    # payer-3: c6 adjusted, c7 denied
    assert payers["payer-3"]["initial_denial_rate"] == pytest.approx(0.5)
    assert payers["payer-2"]["initial_denial_rate"] == 0.0
