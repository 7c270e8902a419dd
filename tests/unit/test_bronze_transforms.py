"""raw -> bronze transforms on explicit schemas (chispa)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality

from carelake.bronze.csv_parsing import bronze_csv_schema, csv_rows
from carelake.bronze.fhir import (
    bronze_rows,
    bundle_records,
    inspected_records,
    ndjson_records,
    quarantine_rows,
)
from carelake.bronze.synthea_csv import CsvTable, _cols

pytestmark = pytest.mark.spark

LANDED = datetime(2024, 5, 1, 12, 0)
LINES_SCHEMA = "source_file string, source_line int, value string, landed_at timestamp"
FILES_SCHEMA = "source_file string, value string, landed_at timestamp"


def test_ndjson_lines_become_bronze_rows_or_quarantine(spark):
    patient = '{"resourceType":"Patient","id":"p1","birthDate":"1950-10-24","meta":{"lastUpdated":"2024-01-01T00:00:00Z"}}'
    lines = spark.createDataFrame(
        [
            ("ehr/fhir/dt=2024-05-01/Patient.ndjson", 1, patient, LANDED),
            ("ehr/fhir/dt=2024-05-01/Patient.ndjson", 2, "", LANDED),
            ("ehr/fhir/dt=2024-05-01/Patient.ndjson", 3, '{"resourceType":"Patient"', LANDED),
            ("ehr/fhir/dt=2024-05-01/Patient.ndjson", 4, '{"resourceType":"Patient"}', LANDED),
        ],
        LINES_SCHEMA,
    )
    inspected = inspected_records(ndjson_records(lines))

    good = bronze_rows(inspected).select("table", "resource_type", "resource_id", "meta_last_updated",
                                         "effective_start", "source_line", "resource_json")  # fmt: skip
    expected_good = spark.createDataFrame(
        [("fhir_patient", "Patient", "p1", datetime(2024, 1, 1), datetime(1950, 10, 24), 1, patient)],
        "table string, resource_type string, resource_id string, meta_last_updated timestamp, "
        "effective_start timestamp, source_line int, resource_json string",
    )
    assert_df_equality(good, expected_good, ignore_nullable=True)

    bad = quarantine_rows(inspected).select("source_line", "reason", "target_table")
    expected_bad = spark.createDataFrame(
        [(2, "empty line", None), (4, "missing id", "fhir_patient")],
        "source_line int, reason string, target_table string",
    )
    unparseable = bad.where("source_line = 3").first()
    assert unparseable["reason"].startswith("unparseable JSON")
    assert_df_equality(
        bad.where("source_line != 3"), expected_bad, ignore_row_order=True, ignore_nullable=True
    )


def test_bundle_files_become_one_record_per_entry(spark):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"},
             "request": {"method": "POST", "url": "Patient"}},
            {"fullUrl": "urn:uuid:o1", "request": {"method": "POST", "url": "Observation"}},
            {"fullUrl": "urn:uuid:b1", "resource": {"resourceType": "Basic", "id": "b1", "code": {"text": "x"}}},
        ],
    }  # fmt: skip
    files = spark.createDataFrame(
        [
            ("a.json", json.dumps(bundle), LANDED),
            ("broken.json", '{"resourceType": "Bundle", "entry": [', LANDED),
        ],
        FILES_SCHEMA,
    )
    inspected = inspected_records(bundle_records(files))
    good = bronze_rows(inspected).select(
        "table", "resource_id", "full_url", "request_method", "source_file", "source_entry"
    )
    expected = spark.createDataFrame(
        [
            ("fhir_patient", "p1", "urn:uuid:p1", "POST", "a.json", 0),
            ("fhir_other", "b1", "urn:uuid:b1", None, "a.json", 2),
        ],
        "table string, resource_id string, full_url string, request_method string, source_file string, source_entry int",
    )
    assert_df_equality(good, expected, ignore_row_order=True, ignore_nullable=True)

    bad = {(r["source_file"], r["source_entry"]): r["reason"] for r in quarantine_rows(inspected).collect()}
    assert bad[("a.json", 1)] == "bundle entry without resource"
    assert bad[("broken.json", None)].startswith("unparseable JSON")
    assert len(bad) == 2


SMALL_TABLE = CsvTable(
    "people", _cols("Id! BORN:date! SEEN:timestamp COST:decimal VISITS:int SCORE:double NAME")
)
HEADER = "Id,BORN,SEEN,COST,VISITS,SCORE,NAME"


def test_csv_rows_types_and_reasons(spark):
    rows = [
        (1, HEADER),
        (2, 'a,1950-10-24,2020-03-14T12:44:52Z,12.50,3,NaN,"Smith, John"'),
        (3, "b,1950-10-24,,,,,"),
        (4, "c,1950-10-24,2020-03-14T12:44:52Z,12.50,3"),
        (5, "d,2023-02-30,,,,,"),
        (6, "e,1950-10-24,,12.5.0,,,"),
        (7, "f,1950-10-24,,,2.5,,"),
        (8, ",1950-10-24,,,,,"),
        (9, ""),
        (10, "g,1950-10-24,,,,,x,extra"),
    ]
    lines = spark.createDataFrame([("people.csv", n, v, LANDED) for n, v in rows], LINES_SCHEMA)
    out = csv_rows(lines, SMALL_TABLE)

    good = out.where("reason is null").drop("reason")
    expected_good = spark.createDataFrame(
        [
            ("a", date(1950, 10, 24), datetime(2020, 3, 14, 12, 44, 52), Decimal("12.50"), 3, float("nan"), "Smith, John",
             rows[1][1], "people.csv", 2, LANDED),
            ("b", date(1950, 10, 24), None, None, None, None, None, rows[2][1], "people.csv", 3, LANDED),
        ],
        bronze_csv_schema(SMALL_TABLE),
    )  # fmt: skip
    assert_df_equality(
        good, expected_good, ignore_nullable=True, allow_nan_equality=True, ignore_row_order=True
    )

    reasons = {r["source_line"]: r["reason"] for r in out.where("reason is not null").collect()}
    assert reasons == {
        4: "expected 7 fields, found 5",
        5: "column BORN: '2023-02-30' is not of type date",
        6: "column COST: '12.5.0' is not of type decimal",
        7: "column VISITS: '2.5' is not of type int",
        8: "column Id is required",
        9: "empty line",
        10: "expected 7 fields, found 8",
    }


def test_csv_file_with_a_wrong_header_is_quarantined_whole(spark):
    lines = spark.createDataFrame(
        [("other/people.csv", 1, "Id,NAME", LANDED), ("other/people.csv", 2, "a,b", LANDED)], LINES_SCHEMA
    )
    out = csv_rows(lines, SMALL_TABLE, bad_header_files={"other/people.csv"})
    assert sorted((r["source_line"], r["reason"]) for r in out.collect()) == [
        (1, "header does not match Synthea people.csv"),
        (2, "header does not match Synthea people.csv"),
    ]


def test_timestamps_are_utc(spark):
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    resource = '{"resourceType":"Encounter","id":"e1","period":{"start":"2024-03-01T20:00:00-05:00"}}'
    lines = spark.createDataFrame([("E.ndjson", 1, resource, LANDED)], LINES_SCHEMA)
    row = bronze_rows(inspected_records(ndjson_records(lines))).first()
    assert row["effective_start"] == datetime(2024, 3, 2, 1, 0)  # 20:00 at -05:00 is 01:00 UTC next day
    assert row["effective_start"].replace(tzinfo=UTC).isoformat() == "2024-03-02T01:00:00+00:00"
