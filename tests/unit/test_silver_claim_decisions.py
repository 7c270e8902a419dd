"""silver claims: the payer's decisions read from FHIR ExplanationOfBenefits, Synthea CSV
transactions and partner claim reports. Every expected value is worked out in the comments.

FHIR: a claim's first EOB (earliest ``created``) is the initial decision, its latest the one
that stands; a decision denies when an item carries a CARIN ``denialreason`` adjudication.
CSV: allowed = charges - adjustments; an ADJUSTMENT whose line note is a CARC denies;
``BILLED`` claims are pending. Partner: the first decided report of a claim is the initial
decision; a denied claim reported again later is an appeal's decision.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

import pytest
from pyspark.sql import types as T

from carelake.silver.claims import csv_claims, fhir_claims, partner_claims

pytestmark = pytest.mark.spark

BB = "https://bluebutton.cms.gov/resources/variables/"
LANDED = datetime(2024, 6, 1, 12, 0)


def _amount(code: str, value: float) -> dict:
    return {"category": {"coding": [{"code": BB + code}]}, "amount": {"value": value}}


def _denial(carc: str, value: float) -> dict:
    return {
        "category": {"coding": [{"code": "denialreason"}]},
        "reason": {"coding": [{"code": carc.split("-")[1]}], "text": carc},
        "amount": {"value": value},
    }


def claim(claim_id: str, billed: float) -> dict:
    """A Claim with one priced item and one diagnosis item (which has no amounts)."""
    return {
        "resourceType": "Claim",
        "id": claim_id,
        "patient": {"reference": "urn:uuid:p1"},
        "billablePeriod": {"start": "2024-01-10T09:00:00-05:00", "end": "2024-01-10T10:00:00-05:00"},
        "insurance": [{"coverage": {"display": "Medicare"}}],
        "item": [
            {
                "sequence": 1,
                "productOrService": {"coding": [{"code": "185345009"}]},
                "net": {"value": billed},
            },
            {"sequence": 2, "productOrService": {"coding": [{"code": "44054006"}]}},
        ],
        "total": {"value": billed},
    }


def eob(eob_id: str, claim_id: str, created: str, allowed: float, paid: float, denial: str = "") -> dict:
    adjudication = [_amount("line_alowd_chrg_amt", allowed), _amount("line_prvdr_pmt_amt", paid)]
    if denial:
        adjudication.append(_denial(denial, 100.0))
    return {
        "resourceType": "ExplanationOfBenefit",
        "id": eob_id,
        "created": created,
        "claim": {"reference": f"urn:uuid:{claim_id}"},
        "insurer": {"display": "Medicare"},
        "item": [{"sequence": 1, "adjudication": adjudication}, {"sequence": 2, "diagnosisSequence": [1]}],
        "payment": {"amount": {"value": paid}},
    }


RESOURCE_SCHEMA = T.StructType(
    [
        T.StructField("resource_id", T.StringType()),
        T.StructField("resource_json", T.StringType()),
        T.StructField("meta_last_updated", T.TimestampType()),
        T.StructField("landed_at", T.TimestampType()),
        T.StructField("source_file", T.StringType()),
    ]
)


def resources(spark, items: list[dict]):
    rows = [(r["id"], json.dumps(r), None, LANDED, "ehr/fhir/dt=2024-06-01/b.json") for r in items]
    return spark.createDataFrame(rows, RESOURCE_SCHEMA)


@pytest.fixture(scope="module")
def fhir(spark):
    claims = [claim(c, 100.0) for c in ("c-paid", "c-pending", "c-denied", "c-overturned", "c-upheld")]
    eobs = [
        eob("e-paid", "c-paid", "2024-02-01T00:00:00Z", 40.0, 30.0),
        eob("e-denied", "c-denied", "2024-02-01T00:00:00Z", 0.0, 0.0, "CO-50"),
        # ids sort opposite to time: the order must come from `created`
        eob("z-first", "c-overturned", "2024-02-01T00:00:00Z", 0.0, 0.0, "CO-16"),
        eob("a-appeal", "c-overturned", "2024-03-15T00:00:00Z", 50.0, 45.0),
        eob("z-first-2", "c-upheld", "2024-02-01T00:00:00Z", 0.0, 0.0, "CO-197"),
        eob("a-appeal-2", "c-upheld", "2024-04-01T00:00:00Z", 0.0, 0.0, "CO-197"),
    ]
    conditions = spark.createDataFrame([], "resource_id string, snomed_code string")
    out, lines, _ = fhir_claims(resources(spark, claims), resources(spark, eobs), conditions)
    return {r["claim_key"]: r.asDict() for r in out.collect()}, [r.asDict() for r in lines.collect()]


def test_a_decided_claim_has_its_allowed_amount_even_with_a_diagnosis_item(fhir) -> None:
    row = fhir[0]["c-paid"]
    # item 1 allows 40.00 and pays 30.00; item 2 (a diagnosis) has no adjudication and counts 0
    assert (row["allowed_amount"], row["paid_amount"], row["claim_status"]) == (
        Decimal("40.00"),
        Decimal("30.00"),
        "paid",
    )
    assert (row["is_initially_denied"], row["is_appealed"], row["is_overturned"], row["denial_reason"]) == (
        False,
        False,
        False,
        None,
    )


def test_a_claim_without_a_decision_is_pending_with_no_flags(fhir) -> None:
    row = fhir[0]["c-pending"]
    assert row["claim_status"] == "pending" and row["allowed_amount"] is None and row["paid_amount"] is None
    assert (row["is_initially_denied"], row["is_appealed"], row["is_overturned"]) == (None, None, None)


def test_a_denial_allows_and_pays_nothing_and_keeps_its_carc(fhir) -> None:
    row = fhir[0]["c-denied"]
    assert (row["claim_status"], row["denial_reason"], row["allowed_amount"], row["paid_amount"]) == (
        "denied",
        "CO-50",
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (row["is_initially_denied"], row["is_appealed"], row["is_overturned"]) == (True, False, False)


def test_an_overturned_appeal_stands_paid_with_the_initial_carc(fhir) -> None:
    row = fhir[0]["c-overturned"]
    # the latest decision (2024-03-15) pays 45.00 of 50.00 allowed; the first denied it CO-16
    assert (row["claim_status"], row["allowed_amount"], row["paid_amount"], row["denial_reason"]) == (
        "paid",
        Decimal("50.00"),
        Decimal("45.00"),
        "CO-16",
    )
    assert (row["is_initially_denied"], row["is_appealed"], row["is_overturned"]) == (True, True, True)
    # its lines come from the decision that stands only (one priced line, one diagnosis line)
    lines = sorted((r["line_number"], r["paid_amount"]) for r in fhir[1] if r["claim_key"] == "c-overturned")
    assert lines == [(1, Decimal("45.00")), (2, Decimal("0.00"))]


def test_an_upheld_appeal_stays_denied(fhir) -> None:
    row = fhir[0]["c-upheld"]
    assert (row["claim_status"], row["denial_reason"], row["paid_amount"]) == (
        "denied",
        "CO-197",
        Decimal("0.00"),
    )
    assert (row["is_initially_denied"], row["is_appealed"], row["is_overturned"]) == (True, True, False)


# --- Synthea CSV ---------------------------------------------------------------------------------

CSV_CLAIM_SCHEMA = (
    "id string, patientid string, providerid string, primarypatientinsuranceid string, appointmentid string, "
    "servicedate timestamp, diagnosis1 string, status1 string, landed_at timestamp, source_file string, "
    "source_line int"
)
CSV_TX_SCHEMA = (
    "id string, claimid string, chargeid int, type string, amount decimal(18,2), method string, "
    "payments decimal(18,2), adjustments decimal(18,2), procedurecode string, notes string, units int, "
    "linenote string, landed_at timestamp, source_file string, source_line int"
)


def test_csv_adjustments_give_allowed_denials_and_pending(spark) -> None:
    when = datetime(2024, 1, 10, 14, 0)
    claims_rows = [
        (c, "p1", "prov", "payer-1", "e1", when, "44054006", status, LANDED, "claims.csv", i)
        for i, (c, status) in enumerate(
            [("k-paid", "CLOSED"), ("k-denied", "CLOSED"), ("k-pending", "BILLED"), ("k-note", "CLOSED")]
        )
    ]
    d = Decimal

    def tx(i, claim_id, kind, amount=None, method=None, payments=None, adjustments=None, note=None):
        return (f"t{i}", claim_id, i, kind, amount, method, payments, adjustments, "185345009", "visit", 1, note,
                LANDED, "claims_transactions.csv", i)  # fmt: skip

    transactions = [
        # 100.00 charged, 60.00 contractual adjustment (no note), 30.00 paid by the insurer
        tx(1, "k-paid", "CHARGE", amount=d("100.00")),
        tx(2, "k-paid", "ADJUSTMENT", adjustments=d("60.00")),
        tx(3, "k-paid", "PAYMENT", method="ECHECK", payments=d("30.00")),
        tx(
            4, "k-paid", "PAYMENT", method="CASH", payments=d("10.00")
        ),  # the patient's: not paid by the payer
        # 80.00 charged, all adjusted away with CARC CO-50 in the line note: denied
        tx(5, "k-denied", "CHARGE", amount=d("80.00")),
        tx(6, "k-denied", "ADJUSTMENT", adjustments=d("80.00"), note="co-50 "),
        tx(7, "k-pending", "CHARGE", amount=d("50.00")),
        # a line note that is not a CARC does not deny
        tx(8, "k-note", "CHARGE", amount=d("20.00")),
        tx(9, "k-note", "ADJUSTMENT", adjustments=d("5.00"), note="rebilled"),
        tx(10, "k-note", "PAYMENT", method="ECHECK", payments=d("15.00")),
    ]
    names = spark.createDataFrame([("payer-1", "Medicare")], "payer_id string, payer_name string")
    out, _ = csv_claims(
        spark.createDataFrame(claims_rows, CSV_CLAIM_SCHEMA),
        spark.createDataFrame(transactions, CSV_TX_SCHEMA),
        names,
    )
    rows = {r["claim_key"]: r for r in out.collect()}
    got = {
        k: (r["claim_status"], r["billed_amount"], r["allowed_amount"], r["paid_amount"], r["denial_reason"],
            r["is_initially_denied"], r["is_appealed"])
        for k, r in rows.items()
    }  # fmt: skip
    assert got == {
        "k-paid": ("paid", d("100.00"), d("40.00"), d("30.00"), None, False, False),
        "k-denied": ("denied", d("80.00"), d("0.00"), d("0.00"), "CO-50", True, False),
        "k-pending": ("pending", d("50.00"), d("50.00"), d("0.00"), None, None, None),
        "k-note": ("paid", d("20.00"), d("15.00"), d("15.00"), None, False, False),
    }


# --- partner claims ------------------------------------------------------------------------------

PARTNER_SCHEMA = (
    "partner_id string, claim_id string, claim_line int, member_id string, payer_name string, "
    "rendering_npi string, service_from date, service_to date, icd10_primary string, procedure_code string, "
    "units int, billed_amount decimal(12,2), allowed_amount decimal(12,2), paid_amount decimal(12,2), "
    "claim_status string, denial_reason string, landed_at timestamp, source_file string, source_line int"
)


def test_partner_reports_give_the_initial_decision_and_appeals(spark) -> None:
    d = Decimal
    rows = []

    def report(
        month: str, claim_id: str, status: str, reason: str = "", allowed: str = "0", paid: str = "0"
    ) -> None:
        for line in (1, 2):
            rows.append(("bcbs", claim_id, line, "XBC1", "Blue Cross Blue Shield", "1234567893", date(2024, 1, 5),
                         date(2024, 1, 5), "E11.9", "99213", 1, d("50.00"), d(allowed), d(paid), status,
                         reason or None, LANDED, f"claims/partner=bcbs/claims_bcbs_2024{month}31.csv", line))  # fmt: skip

    report("01", "overturned", "denied", "CO-50")
    report("03", "overturned", "adjusted", allowed="20.00", paid="16.00")
    report("01", "upheld", "denied", "CO-197")
    report("03", "upheld", "denied", "CO-197")
    report("01", "denied-once", "denied", "CO-18")
    report("01", "pending-then-paid", "pending")
    report("02", "pending-then-paid", "paid", allowed="25.00", paid="20.00")
    report("01", "still-pending", "pending")
    out, _ = partner_claims(spark.createDataFrame(rows, PARTNER_SCHEMA))
    got = {
        r["claim_id"]: (r["claim_status"], r["denial_reason"], r["allowed_amount"], r["paid_amount"],
                        r["is_initially_denied"], r["is_appealed"], r["is_overturned"])
        for r in out.collect()
    }  # fmt: skip
    assert got == {
        # latest report (March) stands: two lines of 20.00 allowed, 16.00 paid; the CARC is January's
        "overturned": ("adjusted", "CO-50", d("40.00"), d("32.00"), True, True, True),
        "upheld": ("denied", "CO-197", d("0.00"), d("0.00"), True, True, False),
        "denied-once": ("denied", "CO-18", d("0.00"), d("0.00"), True, False, False),
        # a pending report is no decision: February's payment is the first and only one
        "pending-then-paid": ("paid", None, d("50.00"), d("40.00"), False, False, False),
        "still-pending": ("pending", None, d("0.00"), d("0.00"), None, None, None),
    }
