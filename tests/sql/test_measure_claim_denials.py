"""Claim denials (docs/measures/claim-denials.md) on hand-built claims: the rates, amounts,
appeals and overturns worked out in the comments, and the 'All' rows that add them up."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake


def claim(
    key: str,
    payer: str | None,
    month: str | None,
    billed: str,
    paid: str,
    *,
    denied: bool | None = False,
    reason: str | None = None,
    appealed: bool = False,
    overturned: bool = False,
) -> dict[str, Any]:
    return {
        "claim_key": key,
        "patient_key": "p-" + key,
        "payer_key": payer,
        "service_month": month,
        "billed_amount": Decimal(billed),
        "paid_amount": Decimal(paid),
        "denial_reason": reason,
        "is_initially_denied": denied,
        "is_appealed": None if denied is None else appealed,
        "is_overturned": None if denied is None else overturned,
    }


CLAIMS = [
    # payer-a, 2024-01: four decided claims, three initially denied
    claim("c1", "payer-a", "2024-01", "100.00", "40.00"),
    claim("c2", "payer-a", "2024-01", "200.00", "0.00", denied=True, reason="CO-50"),
    claim(
        "c3",
        "payer-a",
        "2024-01",
        "300.00",
        "90.00",
        denied=True,
        reason="CO-16",
        appealed=True,
        overturned=True,
    ),
    claim("c4", "payer-a", "2024-01", "50.00", "0.00", denied=True, reason="PR-204", appealed=True),
    claim("c5", "payer-a", "2024-01", "999.00", "0.00", denied=None),  # pending: not decided
    claim("c6", "payer-a", "2024-02", "10.00", "8.00"),
    # payer-b: a denial whose CARC dim_denial_reason does not know
    claim("c7", "payer-b", "2024-01", "70.00", "0.00", denied=True, reason="XX-1"),
    # no payer, no month
    claim("c8", None, None, "5.00", "5.00"),
]
REASONS = [
    {"denial_reason": "CO-50", "carc_group": "CO", "carc_group_name": "Contractual obligation"},
    {"denial_reason": "CO-16", "carc_group": "CO", "carc_group_name": "Contractual obligation"},
    {"denial_reason": "PR-204", "carc_group": "PR", "carc_group_name": "Patient responsibility"},
]
PAYERS = [{"payer_key": "payer-a", "payer_name": "Acme", "payer_type": "private"}]
COLUMNS = ("decided_claims", "denied_claims", "denial_rate", "denied_amount", "appealed_claims",
           "overturned_claims", "overturn_rate", "recovered_amount")  # fmt: skip


@pytest.fixture(scope="module")
def denials(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, str], dict]:
    root: Path = tmp_path_factory.mktemp("denials")
    lake = write_lake(
        root / "lake",
        {"gold.fact_claim": CLAIMS, "gold.dim_denial_reason": REASONS, "gold.dim_payer": PAYERS},
    )
    with LocalQueryEngine(lake, views_subset(root / "views", "v_claim_denials")) as engine:
        frame = engine.query("v_claim_denials")
    return {(r["payer_key"], r["service_month"], r["carc_group"]): r for r in frame.to_dict("records")}


def values(row: dict) -> tuple:
    return tuple(None if row[c] != row[c] else row[c] for c in COLUMNS)  # NaN -> None


def test_a_payer_month_and_its_carc_groups(denials) -> None:
    # decided c1-c4; denied c2 (200), c3 (300), c4 (50) = 550.00; appealed c3, c4; c3 won and paid 90.00
    assert values(denials[("payer-a", "2024-01", "All")]) == (4, 3, 0.75, 550.0, 2, 1, 0.5, 90.0)
    # CO: c2 and c3
    assert values(denials[("payer-a", "2024-01", "CO")]) == (4, 2, 0.5, 500.0, 1, 1, 1.0, 90.0)
    # PR: c4 appealed and upheld
    assert values(denials[("payer-a", "2024-01", "PR")]) == (4, 1, 0.25, 50.0, 1, 0, 0.0, 0.0)
    assert denials[("payer-a", "2024-01", "CO")]["carc_group_name"] == "Contractual obligation"
    assert denials[("payer-a", "2024-01", "All")]["payer_name"] == "Acme"


def test_a_month_without_denials_has_only_its_all_row(denials) -> None:
    assert values(denials[("payer-a", "2024-02", "All")]) == (1, 0, 0.0, 0.0, 0, 0, None, 0.0)
    assert [k for k in denials if k[:2] == ("payer-a", "2024-02")] == [("payer-a", "2024-02", "All")]


def test_unknown_reasons_payers_and_months(denials) -> None:
    unknown = denials[("payer-b", "2024-01", "Unknown")]
    assert (unknown["carc_group_name"], unknown["payer_name"], unknown["denied_claims"]) == (
        "Unknown",
        "Unknown",
        1,
    )
    assert values(denials[("Unknown", "Unknown", "All")]) == (1, 0, 0.0, 0.0, 0, 0, None, 0.0)


def test_all_payers_and_all_months_add_up(denials) -> None:
    # every payer in 2024-01: c1-c4 and c7 decided, c2 c3 c4 c7 denied (620.00)
    assert values(denials[("All", "2024-01", "All")]) == (5, 4, 0.8, 620.0, 2, 1, 0.5, 90.0)
    # payer-a over its months: c1-c4 and c6
    assert values(denials[("payer-a", "All", "All")]) == (5, 3, 0.6, 550.0, 2, 1, 0.5, 90.0)
    # everything: seven decided claims (c5 is pending), four denied
    everything = denials[("All", "All", "All")]
    assert values(everything)[:2] == (7, 4) and everything["denial_rate"] == pytest.approx(4 / 7)
    assert everything["payer_name"] == "All payers"
    groups = [r for k, r in denials.items() if k[:2] == ("All", "All") and k[2] != "All"]
    assert sum(r["denied_claims"] for r in groups) == 4  # the groups partition the denials
