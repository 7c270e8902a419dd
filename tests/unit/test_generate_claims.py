"""carelake generate adjudicates every claim like a payer: read back from the files with the
json and csv modules (never the generator's own code), on a generated population.

What a payer's remittances look like, and the ranges the generator aims at
(docs/measures/claim-denials.md): allowed on every decided claim and allowed >= paid;
paid / billed about 30-50 % of charges overall, Medicaid the lowest insured payer type,
commercial the highest; initial denials 8-12 % of decided insured claims, each with a CARC;
some denials appealed and some of those overturned; self-pay claims unpaid by any payer.
"""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carelake import reference as ref
from carelake.generate import generate_population

PATIENTS = 150
PAYER_TYPE = {
    "Medicare": "medicare",
    "Dual Eligible": "medicare",
    "Medicaid": "medicaid",
    "NO_INSURANCE": "self_pay",
}
DENIAL = "denialreason"
ALLOWED = "line_alowd_chrg_amt"


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("claims")
    generate_population(out, patients=PATIENTS, seed=5, workers=1)
    return out


def ndjson(landing: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (landing / f"fhir/ndjson/{kind}.ndjson").read_text().splitlines()]


def rows(landing: Path, table: str) -> list[dict[str, str]]:
    with (landing / "csv" / f"{table}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def money(value: Any) -> Decimal:
    return Decimal(str(value))


def denial_of(eob: dict[str, Any]) -> str | None:
    for item in eob["item"]:
        for adjudication in item.get("adjudication", []):
            if adjudication["category"]["coding"][0]["code"] == DENIAL:
                return adjudication["reason"]["text"]
    return None


def allowed_of(eob: dict[str, Any]) -> Decimal:
    return sum(
        (
            money(a["amount"]["value"])
            for item in eob["item"]
            for a in item.get("adjudication", [])
            if a["category"]["coding"][0]["code"].endswith(ALLOWED)
        ),
        Decimal(0),
    )


@pytest.fixture(scope="module")
def claims(landing: Path) -> dict[str, dict[str, Any]]:
    """claim id -> payer type, billed, and its decisions (EOBs by created time)."""
    decisions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for eob in ndjson(landing, "ExplanationOfBenefit"):
        decisions[eob["claim"]["reference"].removeprefix("urn:uuid:")].append(eob)
    out = {}
    for claim in ndjson(landing, "Claim"):
        payer = claim["insurance"][0]["coverage"]["display"]
        eobs = sorted(decisions.get(claim["id"], []), key=lambda e: (e["created"], e["id"]))
        out[claim["id"]] = {
            "type": PAYER_TYPE.get(payer, "private"),
            "billed": money(claim["total"]["value"]),
            "eobs": eobs,
        }
    return out


def test_every_decided_claim_has_allowed_at_least_paid_on_every_item(claims) -> None:
    decided = [c for c in claims.values() if c["eobs"]]
    assert len(decided) > 0.9 * len(claims)  # only claims of the last weeks wait for a decision
    for claim in decided:
        for eob in claim["eobs"]:
            for item in eob["item"]:
                if "net" not in item:
                    continue  # a diagnosis item
                amounts = {a["category"]["coding"][0]["code"].rsplit("/", 1)[-1]: money(a["amount"]["value"])
                           for a in item["adjudication"]}  # fmt: skip
                assert ALLOWED in amounts
                assert money(item["net"]["value"]) >= amounts[ALLOWED] >= amounts["line_prvdr_pmt_amt"] >= 0
            assert (denial_of(eob) is None) or money(eob["payment"]["amount"]["value"]) == 0


def test_initial_denials_carry_a_known_carc_and_run_8_to_12_percent(claims) -> None:
    insured = [c for c in claims.values() if c["eobs"] and c["type"] != "self_pay"]
    denied = [c for c in insured if denial_of(c["eobs"][0])]
    rate = len(denied) / len(insured)
    assert 0.08 <= rate <= 0.12, rate
    for claim in denied:
        assert ref.is_known_denial_reason(denial_of(claim["eobs"][0]))
    assert not [c for c in claims.values() if c["type"] == "self_pay" and any(map(denial_of, c["eobs"]))]


def test_some_denials_are_appealed_and_some_appeals_overturned(claims) -> None:
    denied = [c for c in claims.values() if c["eobs"] and denial_of(c["eobs"][0])]
    appealed = [c for c in denied if len(c["eobs"]) > 1]
    overturned = [c for c in appealed if denial_of(c["eobs"][-1]) is None]
    assert 0.25 <= len(appealed) / len(denied) <= 0.6
    assert 0.35 <= len(overturned) / len(appealed) <= 0.8
    for claim in appealed:
        first, appeal = claim["eobs"]
        assert appeal["related"][0]["reference"]["value"] == first["id"]  # the appeal revisits the first
        assert appeal["created"] > first["created"]
    # nothing but appeals gets a second decision
    assert all(len(c["eobs"]) <= 1 for c in claims.values() if not (c["eobs"] and denial_of(c["eobs"][0])))


def test_money_by_payer_type_is_in_published_ranges(claims) -> None:
    billed: Counter[str] = Counter()
    paid: Counter[str] = Counter()
    for claim in claims.values():
        billed[claim["type"]] += claim["billed"]
        if claim["eobs"]:
            paid[claim["type"]] += money(claim["eobs"][-1]["payment"]["amount"]["value"])
    ratio = {t: paid[t] / billed[t] for t in billed}
    assert Decimal("0.25") <= sum(paid.values()) / sum(billed.values()) <= Decimal("0.50"), ratio
    assert Decimal("0.20") <= ratio["medicaid"] < ratio["medicare"] < ratio["private"] <= Decimal("0.55"), (
        ratio
    )
    assert ratio["self_pay"] == 0  # no payer pays an uninsured claim


def test_the_csv_export_tells_the_same_decision(landing: Path, claims) -> None:
    charges: Counter[str] = Counter()
    adjustments: Counter[str] = Counter()
    insurer: Counter[str] = Counter()
    carcs: dict[str, set[str]] = defaultdict(set)
    self_pay_lines = self_pay_paid_lines = 0
    status = {r["Id"]: r["STATUS1"] for r in rows(landing, "claims")}
    uninsured = {r["Id"] for r in rows(landing, "claims") if r["PRIMARYPATIENTINSURANCEID"] == "0"}
    for tx in rows(landing, "claims_transactions"):
        claim_id = tx["CLAIMID"]
        if tx["TYPE"] == "CHARGE":
            charges[claim_id] += money(tx["AMOUNT"])
            self_pay_lines += claim_id in uninsured
        elif tx["TYPE"] == "ADJUSTMENT":
            adjustments[claim_id] += money(tx["ADJUSTMENTS"])
            if tx["LINENOTE"]:
                carcs[claim_id].add(tx["LINENOTE"])
        elif tx["TYPE"] == "PAYMENT" and tx["METHOD"] == "ECHECK":
            insurer[claim_id] += money(tx["PAYMENTS"])
        elif tx["TYPE"] == "PAYMENT":
            self_pay_paid_lines += claim_id in uninsured
    for claim_id, claim in claims.items():
        assert charges[claim_id] == claim["billed"]
        if not claim["eobs"]:
            assert status[claim_id] == "BILLED" and adjustments[claim_id] == insurer[claim_id] == 0
            continue
        standing = claim["eobs"][-1]
        assert status[claim_id] == "CLOSED"
        assert charges[claim_id] - adjustments[claim_id] == allowed_of(standing)
        assert insurer[claim_id] == money(standing["payment"]["amount"]["value"])
        assert carcs[claim_id] == ({denial_of(standing)} if denial_of(standing) else set())
    assert self_pay_lines and self_pay_paid_lines / self_pay_lines < 0.3  # self-pay: mostly unpaid


def test_partner_claims_report_decisions_and_appeals(landing: Path) -> None:
    reports: dict[tuple[str, str], list[tuple[str, str, Decimal, Decimal]]] = defaultdict(list)
    for path in sorted((landing / "claims").glob("partner=*/claims_*.csv")):
        with path.open(newline="") as handle:
            by_claim: dict[str, list[dict[str, str]]] = defaultdict(list)
            for row in csv.DictReader(handle):
                assert (
                    money(row["billed_amount"]) >= money(row["allowed_amount"]) >= money(row["paid_amount"])
                )
                by_claim[row["claim_id"]].append(row)
        for claim_id, lines in by_claim.items():
            statuses = {line["claim_status"] for line in lines}
            assert len(statuses) == 1  # a report decides the whole claim
            reports[(path.parent.name, claim_id)].append(
                (path.name, statuses.pop(), sum(money(x["allowed_amount"]) for x in lines),
                 sum(money(x["paid_amount"]) for x in lines))
            )  # fmt: skip
    first = [r[0] for r in reports.values() if r[0][1] != "pending"]
    denied = [claim for claim in reports.values() if claim[0][1] == "denied"]
    assert 0.05 <= sum(status == "denied" for _, status, _, _ in first) / len(first) <= 0.16
    appealed = [claim for claim in denied if len(claim) > 1]
    assert appealed and all(claim[1][0] > claim[0][0] for claim in appealed)  # reported again in a later file
    assert {claim[1][1] for claim in appealed} <= {"denied", "adjusted"}
    assert any(claim[1][1] == "adjusted" and claim[1][3] > 0 for claim in appealed)
    assert all(len(claim) == 1 for claim in reports.values() if claim[0][1] != "denied")
