"""Partner claims raw -> bronze checks on hand-written rows (expected reasons written out here).

Transforms (carelake.sources.partner_claims.transforms) on CSV records split by
carelake.sources.delimited; the file checks (path, header, empty file), the quarantine rows
and the plausibility rules through carelake.sources.partner_claims.io.classify over files in
a temporary raw zone.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake import reference, registry
from carelake.declarations import FileKind
from carelake.pipeline.accounting import QUARANTINE_SCHEMA
from carelake.pipeline.raw_files import EMPTY_FILE, TEXT_SCHEMA, RawObject, text_lines
from carelake.sources.delimited import csv_records
from carelake.sources.partner_claims import contract as pc
from carelake.sources.partner_claims import io as claims_io
from carelake.sources.partner_claims import transforms as pt

LANDED = datetime(2024, 5, 1, 12, 0)
FILE = "claims/partner=acme/dt=2024-05-01/claims_acme_20240430.csv"
OTHER_FILE = "claims/partner=acme/dt=2024-05-01/claims_other_20240430.csv"
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
KNOWN = pt.KnownCodes(
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


def records(spark, files: dict[str, list[str]], file_problems: dict[str, str] | None = None):
    """The files' CSV records as claims_to_bronze hands them to the transforms: a good file's
    header row left out, every record of a file with a problem kept, with ``file_problem``."""
    problems = file_problems or {}
    texts = spark.createDataFrame(
        [(name, LANDED, "\n".join(lines) + "\n", None) for name, lines in files.items()], TEXT_SCHEMA
    )
    problem = F.lit(None).cast("string")
    for name, reason in problems.items():
        problem = F.when(F.col("source_file") == name, F.lit(reason)).otherwise(problem)
    out = csv_records(text_lines(texts)).withColumn("file_problem", problem)
    return out.where(F.col("file_problem").isNotNull() | (F.col("record_number") > 1))


def checked_rows(spark, lines, known=KNOWN):
    return pt.checked_claim_lines(pt.parsed_claim_lines(records(spark, {FILE: [HEADER, *lines]})), known)


# --- plain Python: file checks, known codes, formats ----------------------------------------


def test_header_is_the_contracts():
    assert ",".join(pc.COLUMNS) == HEADER


def test_path_problems():
    folder = "claims/partner=aetna/dt=2024-05-01"
    assert pc.path_problem(f"{folder}/claims_aetna_20240501.csv") is None
    assert pc.path_problem(f"{folder}/claims_aetna_20240501_2.csv") is None
    expected = {
        f"{folder}/claims_bcbs_20240501.csv": "file name partner 'bcbs' does not match the folder partner=aetna",
        f"{folder}/aetna_20240501.csv": "file name does not match claims_<partner_id>_<YYYYMMDD>[_<seq>].csv",
        f"{folder}/claims_aetna_20240501.csv.gpg": "file name does not match claims_<partner_id>_<YYYYMMDD>[_<seq>].csv",
        f"{folder}/claims_aetna_20240230.csv": "file name date 20240230 is not a valid date",
        "claims/partner=aetna/claims_aetna_20240501.csv": "not under claims/partner=<partner_id>/dt=YYYY-MM-DD/",
        "claims/partner=a b/dt=2024-05-01/claims_a b_20240501.csv":
            "folder partner=a b is not a partner id (letters, digits, _ and -)",
    }  # fmt: skip
    assert {path: pc.path_problem(path) for path in expected} == expected
    assert pc.file_partner(f"{folder}/claims_aetna_20240501.csv") == "aetna"
    assert pc.file_partner("claims/aetna/claims_aetna_20240501.csv") is None


def test_known_codes_come_from_the_reference():
    present = {
        "icd10cm": {"E11.9", "E11.99", "S72.009A"},
        "cpt_hcpcs": {"99213", "1111F", "G8427"},
        "carc": {"CO-50", "CO-999", "PR-204"},
    }
    assert pt.known_codes(present, pt.reference_lookup()) == pt.KnownCodes(
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
    mismatch = "file name partner 'other' does not match the folder partner=acme"
    files = {FILE: [HEADER, *(text for text, _ in CASES)], OTHER_FILE: [HEADER, line()]}
    parsed = pt.parsed_claim_lines(records(spark, files, {OTHER_FILE: mismatch})).cache()
    checked = pt.checked_claim_lines(parsed, KNOWN).cache()

    reasons = {(r["source_file"], r["source_line"]): r["reason"] for r in checked.collect()}
    expected = {(FILE, n): reason for n, (_, reason) in enumerate(CASES, start=2)}
    expected |= {(OTHER_FILE, 1): mismatch, (OTHER_FILE, 2): mismatch}
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
        pt.bronze_claim_rows(checked), expected_bronze, ignore_nullable=True, ignore_row_order=True
    )

    # The codes a batch carries, for the reference lookup: well-formed ones of rows that parsed.
    present = {(r["system"], r["code"]) for r in pt.codes_present(parsed).collect()}
    assert present == {
        ("icd10cm", "E11.9"), ("icd10cm", "I10"), ("icd10cm", "E78.5"), ("icd10cm", "E11.8"), ("icd10cm", "J44.9"),
        ("cpt_hcpcs", "99213"), ("cpt_hcpcs", "G0444"), ("cpt_hcpcs", "1111F"),
        ("carc", "CO-50"), ("carc", "CO-999"),
    }  # fmt: skip
    checked.unpersist()
    parsed.unpersist()


@pytest.mark.spark
def test_money_is_exact_decimal(spark):
    lines = [
        line(billed_amount="0.1", allowed_amount="0.10", paid_amount="0.10"),
        line(billed_amount="0.20", allowed_amount="0.2", paid_amount="0.20"),
        line(billed_amount="0012.5", allowed_amount="12.50", paid_amount="0"),
    ]
    bronze = pt.bronze_claim_rows(checked_rows(spark, lines))
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


class KnownLookup:
    """A CodeLookup that knows KNOWN's codes (instead of the reference tables)."""

    def is_known_icd10cm(self, code: str) -> bool:
        return code in KNOWN.icd10cm

    def is_known_cpt_hcpcs(self, code: str) -> bool:
        return code in KNOWN.cpt_hcpcs

    def is_known_carc(self, code: str) -> bool:
        return code in KNOWN.carc


def classify_files(spark, raw, texts: dict[str, str]):
    """Land ``texts`` (raw key -> text) under ``raw`` and classify them as one claims_to_bronze batch."""
    objects = []
    for key, text in texts.items():
        path = raw / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        landed = LANDED.replace(tzinfo=UTC)
        objects.append(
            RawObject(pc.SOURCE, key, path.stat().st_size, landed, "sha256:x", FileKind.WHOLE_TEXT)
        )
    return claims_io.classify(spark, str(raw), objects, "2024-05-01", KnownLookup())


@pytest.mark.spark
def test_files_are_checked_whole_and_every_record_is_classified(spark, tmp_path):
    folder = "claims/partner=aetna/dt=2024-05-01"
    good, bom, quoted = (f"{folder}/claims_aetna_20240501{s}.csv" for s in ("", "_2", "_3"))
    wrong_header = f"{folder}/claims_aetna_20240501_4.csv"
    empty = f"{folder}/claims_aetna_20240501_5.csv"
    old_member = line(claim_id="C7", member_birth_date="1890-01-01")
    texts = {
        good: f"{HEADER}\n{line()}\n{line(claim_id='C2', claim_line='0')}\n{old_member}\n",
        bom: f"\ufeff{HEADER}\r\n{line(claim_id='C5')}\r\n",
        quoted: HEADER.replace(",", '","').join('""') + f"\n{line(claim_id='C6')}\n",
        wrong_header: f"{HEADER.replace('billed_amount', 'charge')}\n{line(claim_id='C9')}\n",
        empty: "",
    }
    classified = classify_files(spark, tmp_path / "raw", texts)

    (output,) = classified.outputs
    assert output.constants == {"dt": "2024-05-01"}
    assert output.expected == [{"partner_id": "aetna"}]
    landed = sorted(
        (r["partner_id"], r["claim_id"], r["source_file"], r["source_line"]) for r in output.frame.collect()
    )
    assert landed == [
        ("aetna", "C1", good, 2),
        ("aetna", "C5", bom, 2),
        ("aetna", "C6", quoted, 2),
    ]

    quarantine = classified.quarantine
    assert quarantine.schema.fieldNames() == QUARANTINE_SCHEMA.fieldNames()
    rows = sorted(
        (r["source_file"], r["source_line"] or 0, r["reason"], r["rule"], r["source"], r["target_table"])
        for r in quarantine.collect()
    )
    target = ("partner_claims", "partner_claim_line")
    assert rows == sorted([
        (good, 3, "column claim_line: 0 is not at least 1", None, *target),
        (good, 4, "implausible (member_birth_date_range): member_birth_date is before 1900, after the service, "
                  "or makes the member older than 120", "member_birth_date_range", *target),
        (wrong_header, 1, pc.HEADER_PROBLEM, None, *target),
        (wrong_header, 2, pc.HEADER_PROBLEM, None, *target),
        (empty, 0, EMPTY_FILE, None, *target),
    ])  # fmt: skip
    # Every record read (data records of good files, every record of a bad file) is accounted for.
    assert classified.records_read.get["count"] == len(landed) + len(rows)
    for frame in classified.cached:
        frame.unpersist()


@pytest.mark.spark
@pytest.mark.spark
def test_a_file_outside_the_layout_is_one_file_level_record(spark, tmp_path):
    # docs/data-contracts.md: a file outside its source's layout is quarantined as one
    # file-level record (formerly: every line, with the file's reason). It is not read.
    wrong_partner = "claims/partner=aetna/dt=2024-05-01/claims_bcbs_20240501.csv"
    classified = classify_files(spark, tmp_path / "raw", {wrong_partner: f"{HEADER}\n{line()}\n"})
    mismatch = "file name partner 'bcbs' does not match the folder partner=aetna"
    rows = [
        (r["source_file"], r["source_line"], r["reason"], r["record"])
        for r in classified.quarantine.collect()
    ]
    assert classified.records_read.get["count"] == 1
    for frame in classified.cached:
        frame.unpersist()
    assert rows == [(wrong_partner, None, mismatch, None)]


def test_bronze_table_declaration():
    table = registry.table("bronze.partner_claim_line")
    assert (table,) == pc.TABLES
    assert table.partition_keys == ("partner_id", "dt")
    types = {f.name: f.dataType.simpleString() for f in table.schema.fields}
    assert types["billed_amount"] == types["allowed_amount"] == types["paid_amount"] == "decimal(12,2)"
    assert types["icd10_secondary"] == "array<string>"
    assert "partner_id" not in types and "dt" not in types
    assert {"member_ssn", "raw_line"} <= set(table.direct_identifiers)
