"""carelake.sources.fhir.parse (Spark's JSON functions): bundle splitting, resource inspection, dates.

The cases of the former Python splitter (carelake.fhir.parsing), on the JVM parser. Where
the new parser intentionally differs (docs: carelake pipeline core): a bundle entry's JSON
is re-serialised by Spark (the same JSON value, numbers as Jackson writes them: 1.10 -> 1.1),
and a Bundle with any entry that is not an object, or whose resource is not an object, is
one file-level problem instead of one problem per entry.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from pyspark.sql import functions as F

from carelake.pipeline.raw_files import LINE_SCHEMA, TEXT_SCHEMA
from carelake.sources.fhir.parse import bundle_records, fhir_timestamp, inspected_records, ndjson_records
from tests.paths import FHIR_FIXTURE

pytestmark = pytest.mark.spark

LANDED = datetime(2024, 5, 1, 12, 0)
BAD_STRUCTURE = "Bundle.entry is not an array of entry objects, each with a resource object"


def records_of_files(spark, texts: dict[str, str]) -> list:
    frame = spark.createDataFrame([(name, LANDED, text, None) for name, text in texts.items()], TEXT_SCHEMA)
    return bundle_records(frame).orderBy("source_file", "source_entry").collect()


def inspected(spark, resources: list[str]) -> list:
    """Each text as one NDJSON line, inspected; rows in line order."""
    lines = spark.createDataFrame(
        [("r.ndjson", LANDED, i + 1, r, None) for i, r in enumerate(resources)], LINE_SCHEMA
    )
    return inspected_records(ndjson_records(lines)).orderBy("source_line").collect()


def test_bundle_entries_are_the_same_json_value_re_serialised(spark):
    resource = '{"resourceType":"Observation","id":"o1","valueQuantity":{"value":1.10,"unit":"mg"},"n":12345678901234567890}'
    bundle = '{"resourceType":"Bundle","type":"collection","entry":[{"resource":' + resource + "}]}"
    (record,) = records_of_files(spark, {"b.json": bundle})
    assert record["record_problem"] is None
    # Keys keep their order; Jackson writes the decimal without its trailing zero.
    assert record["record"] == resource.replace("1.10", "1.1")
    assert json.loads(record["record"], parse_float=Decimal) == json.loads(resource, parse_float=Decimal)


def test_single_resource_file_keeps_its_exact_text(spark):
    text = '{"resourceType": "Observation", "id": "o1", "valueQuantity": {"value": 1.10}}'
    (record,) = records_of_files(spark, {"single.json": "\r\n\t" + text + " \n\n"})
    assert record["record_problem"] is None
    assert record["source_entry"] is None
    # The raw text, digits and inner spacing kept (only a bundle entry is re-serialised);
    # the whitespace around the one JSON value is not part of the resource.
    assert record["record"] == text


def test_split_bundle_keeps_every_resource_equal_to_the_source(spark):
    bundle = json.loads(FHIR_FIXTURE.read_text())
    records = records_of_files(spark, {"fixture.json": FHIR_FIXTURE.read_text()})
    assert len(records) == len(bundle["entry"]) == 314
    for index, (record, source) in enumerate(zip(records, bundle["entry"], strict=True)):
        assert record["record_problem"] is None
        assert record["source_entry"] == index
        assert json.loads(record["record"]) == source["resource"]
        assert record["full_url"] == source["fullUrl"]
        assert (record["request_method"], record["request_url"]) == (
            source["request"]["method"],
            source["request"]["url"],
        )


def test_an_entry_without_resource_is_a_problem_with_its_index(spark):
    text = json.dumps(
        {"resourceType": "Bundle", "type": "collection",
         "entry": [{"fullUrl": "urn:uuid:a"}, {"resource": {"resourceType": "Patient", "id": "p"}}]}
    )  # fmt: skip
    records = records_of_files(spark, {"b.json": text})
    assert [(r["source_entry"], r["full_url"], r["record_problem"]) for r in records] == [
        (0, "urn:uuid:a", "bundle entry without resource"),
        (1, None, None),
    ]


def test_a_bundle_with_an_entry_that_is_not_an_object_is_one_file_problem(spark):
    # Former behaviour: one problem per bad entry and the good entries kept. Now the whole
    # file is one quarantined record (its structure cannot be trusted), with its text.
    text = json.dumps(
        {"resourceType": "Bundle", "type": "collection",
         "entry": [{"fullUrl": "urn:uuid:a"}, {"resource": [1]}, 7, {"resource": {"resourceType": "Patient", "id": "p"}}]}
    )  # fmt: skip
    records = records_of_files(spark, {"b.json": text})
    assert [(r["source_entry"], r["record_problem"], r["record"]) for r in records] == [
        (None, BAD_STRUCTURE, text)
    ]


FILE_PROBLEMS = [
    ('{"resourceType": "Bundle", "entry": [', "unparseable JSON: not exactly one JSON value"),
    ("[1, 2]", "not a JSON object (a FHIR Bundle or resource)"),
    ('{"resourceType": "Bundle", "entry": {}}', BAD_STRUCTURE),
    ('{"a": NaN}', "unparseable JSON: not exactly one JSON value"),
    (
        '{"resourceType": "Patient", "id": "a"} {"resourceType": "Patient", "id": "b"}',
        "unparseable JSON: not exactly one JSON value",
    ),
    ('{"resourceType": "Bundle", "type": "collection"}', "Bundle without entries"),
    ('{"resourceType": "Bundle", "type": "collection", "entry": []}', "Bundle without entries"),
    # Each wrong shape of an entry alone (a resource must be an object, an entry too).
    ('{"resourceType": "Bundle", "entry": [{"resource": "Patient/1"}]}', BAD_STRUCTURE),
    ('{"resourceType": "Bundle", "entry": [{"resource": [1]}]}', BAD_STRUCTURE),
    ('{"resourceType": "Bundle", "entry": [{"resource": 5}]}', BAD_STRUCTURE),
    ('{"resourceType": "Bundle", "entry": [7]}', BAD_STRUCTURE),
    (
        '{"resourceType": "Bundle", "entry": [{"request": "POST", "resource": {"resourceType": "Patient"}}]}',
        BAD_STRUCTURE,
    ),
]


@pytest.fixture(scope="module")
def file_records(spark):
    """Every FILE_PROBLEMS text split in one Spark job: file name -> its records."""
    records = records_of_files(spark, {f"f{i}.json": text for i, (text, _) in enumerate(FILE_PROBLEMS)})
    out: dict[str, list] = {}
    for record in records:
        out.setdefault(record["source_file"], []).append(record)
    return out


@pytest.mark.parametrize(("index", "text", "problem"), [(i, t, p) for i, (t, p) in enumerate(FILE_PROBLEMS)])
def test_split_bundle_file_problems(file_records, index, text, problem):
    (record,) = file_records[f"f{index}.json"]
    assert (record["source_entry"], record["record_problem"], record["record"]) == (None, problem, text)


RESOURCE_PROBLEMS = [
    ("{not json", "unparseable JSON: not exactly one JSON value"),
    ('"just a string"', "not a JSON object (a FHIR resource)"),
    ('{"id": "x"}', "missing resourceType"),
    ('{"resourceType": "Patient"}', "missing id"),
    ('{"resourceType": "Pateint", "id": "x"}', "not a FHIR R4 resource: resourceType 'Pateint'"),
    ('{"resourceType": 5, "id": "x"}', "not a FHIR R4 resource: resourceType '5'"),
    ('{"resourceType": "Patient", "id": "has space"}', "invalid id 'has space'"),
    ('{"resourceType": "Patient", "id": {"a": 1}}', """invalid id '{"a":1}'"""),
    ('{"resourceType": "Bundle", "id": "b"}', "nested Bundle: land bundles as their own files"),
    (
        '{"resourceType": "Encounter", "id": "e", "period": {"start": "2023-02-30T10:00:00Z"}}',
        "bad date in period.start: '2023-02-30T10:00:00Z'",
    ),
    (
        '{"resourceType": "Patient", "id": "p", "meta": {"lastUpdated": "yesterday"}}',
        "bad date in meta.lastUpdated: 'yesterday'",
    ),
    (
        '{"resourceType": "Observation", "id": "o", "effectiveDateTime": "9999-12-31T23:59:59-01:00"}',
        "bad date in effectiveDateTime: '9999-12-31T23:59:59-01:00'",  # year 10000 once in UTC
    ),
    (
        '{"resourceType": "Observation", "id": "o", "subject": "Patient/1"}',
        "an element of the common columns has the wrong JSON type (e.g. a Reference or Period given as text)",
    ),
    ('{"resourceType": "Patient", "id": "p", "birthDate": true}', "bad date in birthDate: 'true'"),
    ('{"resourceType": "Patient", "id": 123}', "invalid id 123: a JSON number, not a string"),
    (
        '{"resourceType": "Patient", "id": "p", "birthDate": 2020}',
        "bad date in birthDate: 2020 is a JSON number",
    ),
    (
        '{"resourceType": "Observation", "id": "o", "status": {"a": 1}}',
        "wrong JSON type: status is an object or array, FHIR has a string",
    ),
    (
        '{"resourceType": "Observation", "id": "o", "subject": {"reference": 7}}',
        "wrong JSON type: subject.reference is a number, FHIR has a string",
    ),
    # Numbers in every form JSON allows: the first parse gives each a different text.
    ('{"resourceType": "Observation", "id": "o", "status": -0.5}', "wrong JSON type: status is a number"),
    ('{"resourceType": "Observation", "id": "o", "status": 1.5e3}', "wrong JSON type: status is a number"),
    ('{"resourceType": "Observation", "id": "o", "status": 1e400}', "wrong JSON type: status is a number"),
    (
        '{"resourceType": "Encounter", "id": "e", "period": {"start": "2020", "end": 2021}}',
        "bad date in period.end: 2021 is a JSON number",
    ),
]


@pytest.fixture(scope="module")
def reasons(spark):
    """Every RESOURCE_PROBLEMS resource inspected in one Spark job: text -> reason."""
    texts = [case.values[0] if hasattr(case, "values") else case[0] for case in RESOURCE_PROBLEMS]
    return {text: row["reason"] for text, row in zip(texts, inspected(spark, texts), strict=True)}


@pytest.mark.parametrize(("resource", "problem"), RESOURCE_PROBLEMS)
def test_inspect_resource_problems(reasons, resource, problem):
    assert reasons[resource] is not None and reasons[resource].startswith(problem)


def test_inspect_accepts_strings_that_read_like_numbers(spark):
    """A string whose text is a number, or a word Spark's number parser accepts (NaN,
    Infinity), is a string: only a JSON number is the wrong type."""
    texts = [
        '{"resourceType": "Patient", "id": "12345", "birthDate": "2020"}',
        '{"resourceType": "Observation", "id": "o", "status": "NaN"}',
        '{"resourceType": "Observation", "id": "o", "status": "Infinity", "subject": {"reference": "-1"}}',
    ]
    assert [row["reason"] for row in inspected(spark, texts)] == [None, None, None]


def test_inspect_resource_columns_of_an_encounter(spark):
    resource = {
        "resourceType": "Encounter", "id": "e1", "status": "finished", "meta": {"lastUpdated": "2024-01-02T03:04:05.123+01:00"},
        "class": {"code": "IMP"}, "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "32485007", "display": "Hospital admission"}]}],
        "subject": {"reference": "urn:uuid:p1"}, "period": {"start": "2024-03-01T20:00:00-05:00", "end": "2024-03-04T08:00:00-05:00"},
    }  # fmt: skip
    (row,) = inspected(spark, [json.dumps(resource)])
    columns = (
        "reason", "table", "resource_type", "resource_id", "meta_last_updated", "meta_version_id", "status",
        "patient_ref", "encounter_ref", "code_system", "code", "code_display", "effective_start", "effective_end",
    )  # fmt: skip
    assert {c: row[c] for c in columns} == {
        "reason": None,
        "table": "fhir_encounter",
        "resource_type": "Encounter",
        "resource_id": "e1",
        "meta_last_updated": datetime(2024, 1, 2, 2, 4, 5, 123000),  # UTC (the session's zone)
        "meta_version_id": None,
        "status": "finished",
        "patient_ref": "urn:uuid:p1",
        "encounter_ref": None,
        "code_system": "http://snomed.info/sct",
        "code": "32485007",
        "code_display": "Hospital admission",
        "effective_start": datetime(2024, 3, 2, 1, 0),
        "effective_end": datetime(2024, 3, 4, 13, 0),
    }


FHIR_DATES = [
    ("2020", datetime(2020, 1, 1)),
    ("2020-03", datetime(2020, 3, 1)),
    ("2020-03-14", datetime(2020, 3, 14)),
    ("2020-03-14T12:44:52-04:00", datetime(2020, 3, 14, 16, 44, 52)),
    ("2024-02-29T23:59:59Z", datetime(2024, 2, 29, 23, 59, 59)),
    ("2020-03-14T12:44:52.5Z", datetime(2020, 3, 14, 12, 44, 52, 500000)),
    # Not FHIR dates: null
    ("2023-02-30", None),
    ("2020-13", None),
    ("2020-03-14T12:44:52", None),  # a dateTime with a time needs a zone
    ("14/03/2020", None),
    ("", None),
    ("0000-01-01", None),
    ("9999-12-31T23:59:59-01:00", None),  # year 10000 in UTC
]


def test_fhir_timestamp(spark):
    frame = spark.createDataFrame([(i, v) for i, (v, _) in enumerate(FHIR_DATES)], "i int, v string")
    got = [r["t"] for r in frame.select("i", fhir_timestamp(F.col("v")).alias("t")).orderBy("i").collect()]
    assert got == [expected for _, expected in FHIR_DATES]
