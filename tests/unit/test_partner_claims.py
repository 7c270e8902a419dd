"""Partner claims raw -> bronze checks on hand-written rows (expected reasons written out here)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake import reference
from carelake.bronze import partner_claims as pc

LANDED = datetime(2024, 5, 1, 12, 0)
LINES_SCHEMA = "source_file string, source_line int, value string, landed_at timestamp"
FILE = "claims/partner=acme/dt=2024-05-01/claims_acme_20240430.csv"
OTHER_FILE = "claims/partner=acme/dt=2024-05-01/claims_other_20240430.csv"
UNLISTED_FILE = "claims/partner=acme/dt=2024-05-01/claims_acme_20240430_2.csv"
# The contract's header, typed out from docs/data-contracts.md.
HEADER = (
    "claim_id,claim_line,member_id,member_first_name,member_last_name,member_birth_date,member_gender,"
    "member_ssn,member_zip,payer_id,payer_name,rendering_npi,service_from,service_to,place_of_service,"
    "icd10_primary,icd10_secondary,procedure_code,modifier,units,billed_amount,allowed_amount,paid_amount,"
    "claim_status,denial_reason,received_date"
)
GOOD = {
    "claim_id": "C1", "claim_line": "1", "member_id": "M1", "member_first_name": "Ann", "member_last_name": "Lee",
    "member_birth_date": "1980-01-02", "member_gender": "F", "member_ssn": "123-45-6789", "member_zip": "02139",
    "payer_id": "P1", "payer_name": "Acme, Inc.", "rendering_npi": "1234567893", "service_from": "2024-03-01",
    "service_to": "2024-03-02", "place_of_service": "11", "icd10_primary": "E11.9", "icd10_secondary": "I10|E785",
    "procedure_code": "99213", "modifier": "25", "units": "1", "billed_amount": "100.00", "allowed_amount": "60.00",
    "paid_amount": "48.00", "claim_status": "paid", "denial_reason": "", "received_date": "2024-03-10",
}  # fmt: skip
KNOWN = pc.KnownCodes(
    icd10cm=frozenset({"E11.9", "I10", "E78.5"}),
    cpt_hcpcs=frozenset({"99213", "G0444"}),
    carc=frozenset({"CO-50"}),
)
DENIED = {"claim_status": "denied", "denial_reason": "CO-50", "allowed_amount": "0.00", "paid_amount": "0.00"}


def line(**changes: str) -> str:
    """One CSV line: the good row with some columns changed (quoted as csv writes it)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([{**GOOD, **changes}[c] for c in HEADER.split(",")])
    return buffer.getvalue()


def checked_rows(spark, rows, good_files=(FILE,), bad_files=None, known=KNOWN):
    lines = spark.createDataFrame([(f, n, v, LANDED) for f, n, v in rows], LINES_SCHEMA)
    return pc.checked_claim_lines(pc.parsed_claim_lines(lines, good_files, bad_files), known)


# --- plain Python: file checks, run scope, known codes, formats ---------------------------


def test_header_is_the_contracts():
    assert ",".join(pc.COLUMNS) == HEADER


def test_file_problems():
    folder = "claims/partner=aetna/dt=2024-05-01"
    assert pc.file_problem(f"{folder}/claims_aetna_20240501.csv", HEADER) is None
    assert pc.file_problem(f"{folder}/claims_aetna_20240501_2.csv", "\ufeff" + HEADER) is None
    assert (
        pc.file_problem(f"{folder}/claims_aetna_20240501.csv", HEADER.replace(",", '","').join('""')) is None
    )
    expected = {
        f"{folder}/claims_bcbs_20240501.csv": "file name partner 'bcbs' does not match the folder partner=aetna",
        f"{folder}/aetna_20240501.csv": "file name does not match claims_<partner_id>_<YYYYMMDD>[_<seq>].csv",
        f"{folder}/claims_aetna_20240501.csv.gpg": "file name does not match claims_<partner_id>_<YYYYMMDD>[_<seq>].csv",
        f"{folder}/claims_aetna_20240230.csv": "file name date 20240230 is not a valid date",
        "claims/partner=aetna/claims_aetna_20240501.csv": "not under claims/partner=<partner_id>/dt=YYYY-MM-DD/",
        "claims/partner=a b/dt=2024-05-01/claims_a b_20240501.csv":
            "folder partner=a b is not a partner id (letters, digits, _ and -)",
    }  # fmt: skip
    assert {path: pc.file_problem(path, HEADER) for path in expected} == expected
    assert pc.file_problem(f"{folder}/claims_aetna_20240501.csv", None) == "empty file: no header row"
    wrong = HEADER.replace("billed_amount", "charge")
    assert pc.file_problem(f"{folder}/claims_aetna_20240501.csv", wrong) == (
        "header does not match the partner claims columns (docs/data-contracts.md)"
    )


def test_claims_scope_from_object_key():
    dt = "2024-05-01"
    key = f"claims/partner=aetna/dt={dt}/claims_aetna_20240501.csv"
    assert pc.claims_scope("all", dt) == pc.ClaimsScope(dt)
    assert pc.claims_scope("", dt) == pc.ClaimsScope(dt)
    one = pc.ClaimsScope(dt, "aetna", key)
    assert pc.claims_scope(f"raw/{key}", dt) == one  # as the SFTP arrival Lambda sends it
    assert pc.claims_scope(key, dt) == one
    assert pc.claims_scope(f"s3://raw-bucket/{key}", dt, "s3://raw-bucket/") == one
    assert one.raw_folder == f"claims/partner=aetna/dt={dt}"
    assert one.covers(key) and one.covers(f"claims/partner=aetna/dt={dt}/claims_aetna_20240502.csv")
    assert not one.covers(f"claims/partner=bcbs/dt={dt}/claims_bcbs_20240501.csv")
    assert not pc.ClaimsScope(dt).covers("claims/partner=aetna/dt=2024-05-02/claims_aetna_20240501.csv")
    with pytest.raises(ValueError, match="is in dt=2024-05-01, but the run is for dt=2024-05-02"):
        pc.claims_scope(key, "2024-05-02")
    with pytest.raises(ValueError, match="is not a claims file"):
        pc.claims_scope("raw/ehr/fhir/dt=2024-05-01/bundle.json", dt)


def test_known_codes_come_from_the_reference():
    present = {
        "icd10cm": {"E11.9", "E11.99", "S72.009A"},
        "cpt_hcpcs": {"99213", "1111F", "G8427"},
        "carc": {"CO-50", "CO-999", "PR-204"},
    }
    assert pc.known_codes(present, pc.reference_lookup()) == pc.KnownCodes(
        icd10cm=frozenset({"E11.9", "S72.009A"}),
        cpt_hcpcs=frozenset({"99213", "G8427"}),
        carc=frozenset({"CO-50", "PR-204"}),
    )


@pytest.mark.parametrize(
    "code",
    ["E11.9", "E119", "I10", "S72.009A", "C4A.0", "QA0.0101", "E1", "XYZ", "1234.5", "E11.99999", "E1.19"],
)
def test_icd10_format_agrees_with_the_reference(code):
    assert bool(re.match(pc.ICD10CM_FORMAT, code)) == reference.is_valid_icd10cm_format(code)


@pytest.mark.parametrize(
    "code",
    [
        "99213",
        "1111F",
        "0042T",
        "0001U",
        "G0444",
        "J2790",
        "V2020",
        "9921",
        "ABCDE",
        "99213X",
        "F1234",
        "W1234",
    ],
)
def test_cpt_hcpcs_format_agrees_with_the_reference(code):
    assert bool(re.match(pc.CPT_HCPCS_FORMAT, code)) == reference.is_valid_cpt_hcpcs_format(code)


# --- Spark: every reason, the bronze rows, money ------------------------------------------

CASES: list[tuple[str, str | None]] = [
    # (line, expected reason); None = lands in bronze
    (line(), None),
    (line(claim_id="C2", icd10_primary=" e119", icd10_secondary="i10| E78.5 |", modifier=""), None),
    (line(claim_id="C3", allowed_amount="120.00", paid_amount="96.00"), None),  # warning only
    (line(claim_id="C4", procedure_code="g0444", **DENIED), None),
    ("", "empty line"),
    (line().rsplit(",", 1)[0], "expected 26 fields, found 25"),
    (line(claim_line="x"), "column claim_line: 'x' is not of type int"),
    (line(service_from="2023-02-30"), "column service_from: '2023-02-30' is not of type date"),
    (line(member_id=""), "column member_id is required"),
    (line(billed_amount=""), "column billed_amount is required"),
    (line(claim_line="0"), "column claim_line: 0 is not at least 1"),
    (line(rendering_npi="123456789"), "column rendering_npi: '123456789' is not 10 digits"),
    (line(rendering_npi="1234567890"),
     "column rendering_npi: '1234567890' fails the NPI check digit (Luhn over 80840 + NPI)"),
    (line(rendering_npi="9999962229"),  # Synthea's NPI in the real FHIR fixture
     "column rendering_npi: '9999962229' fails the NPI check digit (Luhn over 80840 + NPI)"),
    (line(member_gender="X"), "column member_gender: 'X' is not one of M, F, U"),
    (line(member_ssn="123456789"), "column member_ssn is not NNN-NN-NNNN"),
    (line(member_zip="2139"), "column member_zip is not 5 digits"),
    (line(place_of_service="1"), "column place_of_service: '1' is not a 2-digit CMS place of service code"),
    (line(icd10_primary="XYZ"), "column icd10_primary: 'XYZ' is not ICD-10-CM format"),
    (line(icd10_primary="E11.99999"), "column icd10_primary: 'E11.99999' is not ICD-10-CM format"),
    (line(icd10_primary="E1.19"), "column icd10_primary: 'E1.19' is not ICD-10-CM format"),
    (line(icd10_primary="E118"), "column icd10_primary: 'E11.8' is not a known ICD-10-CM code"),
    (line(icd10_secondary="I10|E1"), "column icd10_secondary: 'E1' is not ICD-10-CM format"),
    (line(icd10_secondary="I10|J449"), "column icd10_secondary: 'J44.9' is not a known ICD-10-CM code"),
    (line(procedure_code="9921"), "column procedure_code: '9921' is not CPT or HCPCS Level II format"),
    (line(procedure_code="99213X"), "column procedure_code: '99213X' is not CPT or HCPCS Level II format"),
    (line(procedure_code="1111F"), "column procedure_code: '1111F' is not a known CPT/HCPCS code"),
    (line(modifier="2"), "column modifier: '2' is not a 2-character modifier"),
    (line(units="0"), "column units: 0 is not at least 1"),
    (line(billed_amount="-100.00"), "column billed_amount: '-100.00' is negative"),
    (line(allowed_amount="N/A"), "column allowed_amount: 'N/A' is not a decimal amount"),
    (line(paid_amount="$48.00"), "column paid_amount: '$48.00' is not a decimal amount"),
    (line(billed_amount="100.005"), "column billed_amount: '100.005' has more than 2 decimal places"),
    (line(billed_amount="12345678901.00"), "column billed_amount: '12345678901.00' does not fit decimal(12,2)"),
    (line(claim_status="PAID"), "column claim_status: 'PAID' is not one of paid, denied, pending, adjusted"),
    (line(**{**DENIED, "denial_reason": ""}), "column denial_reason is required when claim_status is denied"),
    (line(**{**DENIED, "denial_reason": "50"}),
     "column denial_reason: '50' is not a CARC code (group-reason, e.g. CO-50)"),
    (line(**{**DENIED, "denial_reason": "CO-999"}), "column denial_reason: 'CO-999' is not a known CARC code"),
    (line(denial_reason="CO-50"), "column denial_reason: 'CO-50' given but claim_status is 'paid' (must be empty)"),
    (line(paid_amount="70.00"), "paid_amount 70.00 exceeds allowed_amount 60.00"),
    (line(**{**DENIED, "allowed_amount": "60.00", "paid_amount": "10.00"}),
     "paid_amount 10.00 on a denied line (must be 0.00)"),
    (line(service_from="2024-03-03"), "service_from 2024-03-03 is after service_to 2024-03-02"),
    (line(received_date="2024-03-01"), "service_to 2024-03-02 is after received_date 2024-03-01"),
]  # fmt: skip


@pytest.mark.spark
def test_every_reason_and_the_bronze_rows(spark):
    rows = [(FILE, 1, HEADER), *((FILE, n, text) for n, (text, _) in enumerate(CASES, start=2))]
    rows += [
        (OTHER_FILE, 1, HEADER),
        (OTHER_FILE, 2, line()),
        (UNLISTED_FILE, 1, HEADER),
        (UNLISTED_FILE, 2, line()),
    ]
    mismatch = "file name partner 'other' does not match the folder partner=acme"
    lines = spark.createDataFrame([(f, n, v, LANDED) for f, n, v in rows], LINES_SCHEMA)
    parsed = pc.parsed_claim_lines(lines, [FILE], {OTHER_FILE: mismatch}).cache()
    checked = pc.checked_claim_lines(parsed, KNOWN).cache()

    reasons = {(r["source_file"], r["source_line"]): r["reason"] for r in checked.collect()}
    expected = {(FILE, n): reason for n, (_, reason) in enumerate(CASES, start=2)}
    expected |= {(OTHER_FILE, 1): mismatch, (OTHER_FILE, 2): mismatch}
    expected |= {(UNLISTED_FILE, 1): pc.UNCHECKED_FILE, (UNLISTED_FILE, 2): pc.UNCHECKED_FILE}
    assert reasons == expected  # the good file's header (line 1) is not a record

    def bronze(claim, line_no, *, icd2, proc, billed, allowed, paid, status="paid", denial=None, warnings=()):
        return ("acme", claim, 1, "M1", "Ann", "Lee", date(1980, 1, 2), "F", "123-45-6789", "02139", "P1",
                "Acme, Inc.", "1234567893", date(2024, 3, 1), date(2024, 3, 2), "11", "E11.9", icd2, proc,
                None if claim == "C2" else "25", 1, Decimal(billed), Decimal(allowed), Decimal(paid), status, denial,
                date(2024, 3, 10), list(warnings), CASES[line_no - 2][0], FILE, line_no, LANDED)  # fmt: skip

    good_rows = [
        bronze("C1", 2, icd2=["I10", "E78.5"], proc="99213", billed="100.00", allowed="60.00", paid="48.00"),
        bronze("C2", 3, icd2=["I10", "E78.5"], proc="99213", billed="100.00", allowed="60.00", paid="48.00"),
        bronze("C3", 4, icd2=["I10", "E78.5"], proc="99213", billed="100.00", allowed="120.00", paid="96.00",
               warnings=["allowed_exceeds_billed"]),
        bronze("C4", 5, icd2=["I10", "E78.5"], proc="G0444", billed="100.00", allowed="0.00", paid="0.00",
               status="denied", denial="CO-50"),
    ]  # fmt: skip
    schema = T.StructType([T.StructField("partner_id", T.StringType()), *pc.BRONZE_SCHEMA.fields])
    expected_bronze = spark.createDataFrame(good_rows, schema)
    assert_df_equality(
        pc.bronze_claim_rows(checked), expected_bronze, ignore_nullable=True, ignore_row_order=True
    )

    quarantine = pc.quarantine_claim_rows(checked)
    assert quarantine.columns == ["source", "source_file", "source_line", "source_entry", "target_table", "reason",
                                  "record", "landed_at"]  # fmt: skip
    # The codes a batch carries, for the reference lookup: well-formed ones of rows that parsed.
    present = {(r["system"], r["code"]) for r in pc.codes_present(parsed).collect()}
    assert present == {
        ("icd10cm", "E11.9"), ("icd10cm", "I10"), ("icd10cm", "E78.5"), ("icd10cm", "E11.8"), ("icd10cm", "J44.9"),
        ("cpt_hcpcs", "99213"), ("cpt_hcpcs", "G0444"), ("cpt_hcpcs", "1111F"),
        ("carc", "CO-50"), ("carc", "CO-999"),
    }  # fmt: skip


@pytest.mark.spark
def test_money_is_exact_decimal(spark):
    rows = [
        (FILE, 1, HEADER),
        (FILE, 2, line(billed_amount="0.1", allowed_amount="0.10", paid_amount="0.10")),
        (FILE, 3, line(billed_amount="0.20", allowed_amount="0.2", paid_amount="0.20")),
        (FILE, 4, line(billed_amount="0012.5", allowed_amount="12.50", paid_amount="0")),
    ]
    bronze = pc.bronze_claim_rows(checked_rows(spark, rows))
    assert dict(bronze.dtypes)["billed_amount"] == "decimal(12,2)"
    totals = bronze.agg(
        F.sum("billed_amount").alias("billed"),
        F.sum(F.when(F.col("source_line") < 4, F.col("billed_amount"))).alias("small"),
        F.sum(F.when(F.col("source_line") < 4, F.col("billed_amount").cast("double"))).alias("small_double"),
        F.sum("paid_amount").alias("paid"),
    ).first()
    assert totals["small"] == Decimal("0.30")  # exactly; as doubles the same sum is not 0.3
    assert totals["small_double"] != 0.3
    assert totals["billed"] == Decimal("12.80")
    assert totals["paid"] == Decimal("0.30")


def test_lake_table():
    [table] = pc.lake_tables()
    assert (table.zone, table.name, table.partition_keys) == (
        "bronze",
        "partner_claim_line",
        ("partner_id", "dt"),
    )
    types = {f.name: f.dataType.simpleString() for f in table.schema.fields}
    assert types["billed_amount"] == types["allowed_amount"] == types["paid_amount"] == "decimal(12,2)"
    assert types["icd10_secondary"] == "array<string>"
    assert "partner_id" not in types and "dt" not in types
    assert {"member_ssn", "raw_line"} <= set(table.direct_identifier_columns)
