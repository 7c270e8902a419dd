"""raw -> bronze transforms on explicit schemas (chispa).

FHIR: carelake.sources.fhir.parse (records from NDJSON lines and whole files, then one
inspection: ``reason`` null for a bronze row). CSV: carelake.sources.delimited (records
split from a file's text, then typed and checked), and the Synthea file checks of
carelake.sources.synthea_csv.io.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F

from carelake.declarations import FileKind
from carelake.pipeline.raw_files import LINE_SCHEMA, TEXT_SCHEMA, RawObject, text_lines
from carelake.sources.delimited import CsvTable, columns, csv_records, typed_records
from carelake.sources.fhir.parse import bundle_records, inspected_records, ndjson_records
from carelake.sources.synthea_csv import io as synthea_csv_io
from carelake.sources.synthea_csv.contract import SOURCE as CSV_SOURCE
from carelake.sources.synthea_csv.contract import bronze_schema

pytestmark = pytest.mark.spark

LANDED = datetime(2024, 5, 1, 12, 0)
UNPARSEABLE = "unparseable JSON: not exactly one JSON value"


def lines_frame(spark, rows):
    """(source_file, source_line, value) -> carelake.pipeline.raw_files.LINE_SCHEMA rows."""
    return spark.createDataFrame([(f, LANDED, n, v, None) for f, n, v in rows], LINE_SCHEMA)


def texts_frame(spark, rows):
    """(source_file, text) -> carelake.pipeline.raw_files.TEXT_SCHEMA rows."""
    return spark.createDataFrame([(f, LANDED, v, None) for f, v in rows], TEXT_SCHEMA)


def test_ndjson_lines_become_bronze_rows_or_quarantine(spark):
    patient = '{"resourceType":"Patient","id":"p1","birthDate":"1950-10-24","meta":{"lastUpdated":"2024-01-01T00:00:00Z"}}'
    path = "ehr/fhir/dt=2024-05-01/Patient.ndjson"
    lines = lines_frame(
        spark,
        [
            (path, 1, patient),
            (path, 2, ""),
            (path, 3, '{"resourceType":"Patient"'),
            (path, 4, '{"resourceType":"Patient"}'),
        ],
    )
    inspected = inspected_records(ndjson_records(lines))

    good = inspected.where("reason is null").select(
        "table",
        "resource_type",
        "resource_id",
        "meta_last_updated",
        "effective_start",
        "source_line",
        "resource_json",
    )
    expected_good = spark.createDataFrame(
        [("fhir_patient", "Patient", "p1", datetime(2024, 1, 1), datetime(1950, 10, 24), 1, patient)],
        "table string, resource_type string, resource_id string, meta_last_updated timestamp, "
        "effective_start timestamp, source_line int, resource_json string",
    )
    assert_df_equality(good, expected_good, ignore_nullable=True)

    bad = inspected.where("reason is not null").select(
        "source_line", "reason", F.col("table").alias("target_table")
    )
    expected_bad = spark.createDataFrame(
        [(2, "empty line", None), (3, UNPARSEABLE, None), (4, "missing id", "fhir_patient")],
        "source_line int, reason string, target_table string",
    )
    assert_df_equality(bad, expected_bad, ignore_row_order=True, ignore_nullable=True)


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
    files = texts_frame(
        spark, [("a.json", json.dumps(bundle)), ("broken.json", '{"resourceType": "Bundle", "entry": [')]
    )
    inspected = inspected_records(bundle_records(files))
    good = inspected.where("reason is null").select(
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

    bad = {
        (r["source_file"], r["source_entry"]): r["reason"]
        for r in inspected.where("reason is not null").collect()
    }
    assert bad == {("a.json", 1): "bundle entry without resource", ("broken.json", None): UNPARSEABLE}


SMALL_TABLE = CsvTable(
    "people", columns("Id! BORN:date! SEEN:timestamp COST:decimal VISITS:int SCORE:double NAME")
)
HEADER = "Id,BORN,SEEN,COST,VISITS,SCORE,NAME"


def test_csv_records_types_and_reasons(spark):
    rows = [
        HEADER,
        'a,1950-10-24,2020-03-14T12:44:52Z,12.50,3,NaN,"Smith, John"',
        "b,1950-10-24,,,,,",
        "c,1950-10-24,2020-03-14T12:44:52Z,12.50,3",
        "d,2023-02-30,,,,,",
        "e,1950-10-24,,12.5.0,,,",
        "f,1950-10-24,,,2.5,,",
        ",1950-10-24,,,,,",
        "",
        "g,1950-10-24,,,,,x,extra",
    ]
    records = csv_records(text_lines(texts_frame(spark, [("people.csv", "\n".join(rows) + "\n")])))
    # The header row is the caller's (the file checks'); typed_records gets the data records.
    out = typed_records(records.where("record_number > 1"), SMALL_TABLE)

    good = out.where("reason is null").drop("reason")
    expected_good = spark.createDataFrame(
        [
            ("a", date(1950, 10, 24), datetime(2020, 3, 14, 12, 44, 52), Decimal("12.50"), 3, float("nan"), "Smith, John",
             rows[1], "people.csv", 2, LANDED),
            ("b", date(1950, 10, 24), None, None, None, None, None, rows[2], "people.csv", 3, LANDED),
        ],
        bronze_schema(SMALL_TABLE),
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


def test_csv_file_with_a_wrong_header_or_name_is_quarantined_whole(spark, tmp_path):
    raw = tmp_path / "raw"
    files = {
        "ehr/csv/dt=2024-05-01/other/patients.csv": "Id,NAME\na,b\n",
        "ehr/csv/dt=2024-05-01/people.csv": "Id,NAME\nc,d\n",
    }
    objects = []
    for key, text in files.items():
        path = raw / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        objects.append(
            RawObject(
                CSV_SOURCE,
                key,
                path.stat().st_size,
                LANDED.replace(tzinfo=UTC),
                "sha256:x",
                FileKind.WHOLE_TEXT,
            )
        )
    classified = synthea_csv_io.classify(spark, str(raw), objects, "2024-05-01")

    quarantined = sorted(
        (r["source_file"].rsplit("/", 1)[-1], r["source_line"], r["target_table"], r["reason"], r["record"])
        for r in classified.quarantine.collect()
    )
    assert quarantined == [
        ("patients.csv", 1, "csv_patients", "header does not match Synthea patients.csv", "Id,NAME"),
        ("patients.csv", 2, "csv_patients", "header does not match Synthea patients.csv", "a,b"),
        ("people.csv", 1, None, synthea_csv_io.UNKNOWN_FILE, "Id,NAME"),
        ("people.csv", 2, None, synthea_csv_io.UNKNOWN_FILE, "c,d"),
    ]
    assert all(output.frame.count() == 0 for output in classified.outputs)
    for frame in classified.cached:
        frame.unpersist()


def test_timestamps_are_utc(spark):
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    resource = '{"resourceType":"Encounter","id":"e1","period":{"start":"2024-03-01T20:00:00-05:00"}}'
    row = inspected_records(ndjson_records(lines_frame(spark, [("E.ndjson", 1, resource)]))).first()
    assert row["reason"] is None
    assert row["effective_start"] == datetime(2024, 3, 2, 1, 0)  # 20:00 at -05:00 is 01:00 UTC next day
    assert row["effective_start"].replace(tzinfo=UTC).isoformat() == "2024-03-02T01:00:00+00:00"
