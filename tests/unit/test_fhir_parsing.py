"""carelake.fhir.parsing: bundle splitting that keeps values exact, resource inspection."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from carelake.fhir.parsing import (
    dumps_exact,
    inspect_resource,
    loads_exact,
    parse_fhir_datetime,
    split_bundle,
)
from tests.paths import FHIR_FIXTURE


def test_decimals_keep_their_digits():
    text = '{"resourceType":"Observation","id":"o1","valueQuantity":{"value":1.10,"unit":"mg"},"n":12345678901234567890}'
    assert dumps_exact(loads_exact(text)) == text


def test_split_bundle_keeps_every_resource_equal_to_the_source():
    bundle = json.loads(FHIR_FIXTURE.read_text())
    problem, entries = split_bundle(FHIR_FIXTURE.read_text())
    assert problem is None
    assert len(entries) == len(bundle["entry"]) == 314
    for entry, source in zip(entries, bundle["entry"], strict=True):
        assert entry.problem is None
        assert json.loads(entry.resource_json) == source["resource"]
        assert entry.full_url == source["fullUrl"]
        assert (entry.request_method, entry.request_url) == (
            source["request"]["method"],
            source["request"]["url"],
        )


def test_split_bundle_reports_entry_problems_with_their_index():
    text = json.dumps(
        {"resourceType": "Bundle", "type": "collection",
         "entry": [{"fullUrl": "urn:uuid:a"}, {"resource": [1]}, 7, {"resource": {"resourceType": "Patient", "id": "p"}}]}
    )  # fmt: skip
    problem, entries = split_bundle(text)
    assert problem is None
    assert [(e.entry_index, e.problem) for e in entries] == [
        (0, "bundle entry without resource"),
        (1, "bundle entry resource is not a JSON object"),
        (2, "bundle entry is not a JSON object"),
        (3, None),
    ]


@pytest.mark.parametrize(
    ("text", "problem_start"),
    [
        ('{"resourceType": "Bundle", "entry": [', "unparseable JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"resourceType": "Bundle", "entry": {}}', "Bundle.entry is not an array"),
        ('{"a": NaN}', "unparseable JSON: NaN is not allowed"),
    ],
)
def test_split_bundle_file_problems(text, problem_start):
    problem, entries = split_bundle(text)
    assert entries == []
    assert problem.startswith(problem_start)


def test_a_single_resource_file_is_one_record():
    problem, entries = split_bundle('{"resourceType": "Patient", "id": "p1"}')
    assert problem is None
    assert [(e.entry_index, e.resource_json) for e in entries] == [
        (None, '{"resourceType":"Patient","id":"p1"}')
    ]


@pytest.mark.parametrize(
    ("resource", "problem"),
    [
        ("{not json", "unparseable JSON"),
        ('"just a string"', "not a JSON object (a FHIR resource)"),
        ('{"id": "x"}', "missing resourceType"),
        ('{"resourceType": "Patient"}', "missing id"),
        ('{"resourceType": "Pateint", "id": "x"}', "not a FHIR R4 resource: resourceType 'Pateint'"),
        ('{"resourceType": 5, "id": "x"}', "not a FHIR R4 resource: resourceType 5"),
        ('{"resourceType": "Patient", "id": "has space"}', "invalid id 'has space'"),
        ('{"resourceType": "Patient", "id": {"a": 1}}', "invalid id {'a': 1}"),
        ('{"resourceType": "Bundle", "id": "b"}', "nested Bundle: land bundles as their own files"),
        (
            '{"resourceType": "Encounter", "id": "e", "period": {"start": "2023-02-30T10:00:00Z"}}',
            "bad date in period.start: '2023-02-30T10:00:00Z'",
        ),
        (
            '{"resourceType": "Patient", "id": "p", "meta": {"lastUpdated": "yesterday"}}',
            "bad date in meta.lastUpdated: 'yesterday'",
        ),
    ],
)
def test_inspect_resource_problems(resource, problem):
    assert inspect_resource(resource)["problem"].startswith(problem)


def test_inspect_resource_columns_of_an_encounter():
    resource = {
        "resourceType": "Encounter", "id": "e1", "status": "finished", "meta": {"lastUpdated": "2024-01-02T03:04:05.123+01:00"},
        "class": {"code": "IMP"}, "type": [{"coding": [{"system": "http://snomed.info/sct", "code": "32485007", "display": "Hospital admission"}]}],
        "subject": {"reference": "urn:uuid:p1"}, "period": {"start": "2024-03-01T20:00:00-05:00", "end": "2024-03-04T08:00:00-05:00"},
    }  # fmt: skip
    columns = inspect_resource(json.dumps(resource))
    assert columns == {
        "problem": None,
        "resource_type": "Encounter",
        "resource_id": "e1",
        "meta_last_updated": datetime(2024, 1, 2, 2, 4, 5, 123000, tzinfo=UTC),
        "meta_version_id": None,
        "status": "finished",
        "patient_ref": "urn:uuid:p1",
        "encounter_ref": None,
        "code_system": "http://snomed.info/sct",
        "code": "32485007",
        "code_display": "Hospital admission",
        "effective_start": datetime(2024, 3, 2, 1, 0, tzinfo=UTC),
        "effective_end": datetime(2024, 3, 4, 13, 0, tzinfo=UTC),
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2020", datetime(2020, 1, 1, tzinfo=UTC)),
        ("2020-03", datetime(2020, 3, 1, tzinfo=UTC)),
        ("2020-03-14", datetime(2020, 3, 14, tzinfo=UTC)),
        ("2020-03-14T12:44:52-04:00", datetime(2020, 3, 14, 16, 44, 52, tzinfo=UTC)),
        ("2024-02-29T23:59:59Z", datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC)),
    ],
)
def test_parse_fhir_datetime(value, expected):
    assert parse_fhir_datetime(value) == expected


@pytest.mark.parametrize("value", ["2023-02-30", "2020-13", "2020-03-14T12:44:52", "14/03/2020", "", 2020])
def test_parse_fhir_datetime_rejects(value):
    with pytest.raises(ValueError):
        parse_fhir_datetime(value)
