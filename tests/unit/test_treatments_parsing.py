"""DynamoDB export lines and export folders, in plain Python (no Spark)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from carelake.silver.treatments import (
    AttributeProblem,
    Export,
    decode_attribute,
    describe_export,
    group_export_files,
    parse_item,
    plan_exports,
)

GOOD_ITEM = {
    "treatment_id": {"S": "t-1"},
    "patient_id": {"S": "MRN-1"},
    "provider_npi": {"S": "1234567893"},
    "provider_name": {"S": "Dr. A"},
    "specialty": {"S": "Cardiology"},
    "city": {"S": "Boston"},
    "state": {"S": "MA"},
    "disease": {"S": "Hypertension"},
    "treatment_type": {"S": "Medication"},
    "outcome_status": {"S": "success"},
    "cost": {"N": "1250.00"},
    "treatment_date": {"S": "2024-03-01"},
    "metadata_modified_at": {"S": "2024-03-05T10:00:00Z"},
}


def line(item: dict | None = None, **changes: object) -> str:
    """An export line: GOOD_ITEM with attributes replaced (a value of None removes one)."""
    attributes = dict(GOOD_ITEM if item is None else item)
    for name, value in changes.items():
        if value is None:
            attributes.pop(name, None)
        else:
            attributes[name] = value
    return json.dumps({"Item": attributes})


def reason(text: str) -> str | None:
    return parse_item(text)["reason"]


# --- attribute types -------------------------------------------------------------------------


def test_decode_attribute_types():
    assert decode_attribute({"S": "x"}) == "x"
    assert decode_attribute({"N": "1250.10"}) == Decimal("1250.10")
    assert str(decode_attribute({"N": "1250.10"})) == "1250.10"  # exact, not a float
    assert decode_attribute({"BOOL": False}) is False
    assert decode_attribute({"NULL": True}) is None
    nested = {"M": {"a": {"L": [{"N": "1"}, {"S": "b"}, {"NULL": True}]}, "c": {"BOOL": True}}}
    assert decode_attribute(nested) == {"a": [Decimal("1"), "b", None], "c": True}
    assert decode_attribute({"SS": ["a", "b"]}) == ["a", "b"]
    assert decode_attribute({"NS": ["1", "2.5"]}) == [Decimal("1"), Decimal("2.5")]
    assert decode_attribute({"B": "aGk="}) == b"hi"


@pytest.mark.parametrize(
    "value, message",
    [
        ({"S": "a", "N": "1"}, "exactly one type descriptor"),
        ("plain", "exactly one type descriptor"),
        ({"X": "a"}, "unknown type descriptor 'X'"),
        ({"S": 1}, "S must be a string"),
        ({"N": 1}, "N must be a string"),
        ({"N": "abc"}, "is not a number"),
        ({"N": "NaN"}, "is not a number"),
        ({"BOOL": "true"}, "BOOL must be true or false"),
        ({"NULL": False}, "NULL must be true"),
        ({"M": []}, "M must be an object"),
        ({"L": {}}, "L must be an array"),
        ({"L": [{"S": 1}]}, "S must be a string"),
        ({"B": "***"}, "B is not base64"),
    ],
)
def test_decode_attribute_rejects_invalid_dynamodb_json(value, message):
    with pytest.raises(AttributeProblem, match=message):
        decode_attribute(value)


# --- one line ------------------------------------------------------------------------------


def test_good_line_is_typed():
    parsed = parse_item(line(metadata_modified_at={"S": "2024-03-05T05:00:00.5-05:00"}, city={"NULL": True},
                             notes={"M": {"by": {"S": "cm-7"}}}, flags={"L": [{"BOOL": True}]}))  # fmt: skip
    assert parsed == {
        "reason": None,
        "treatment_id": "t-1",
        "patient_id": "MRN-1",
        "provider_npi": "1234567893",
        "provider_name": "Dr. A",
        "specialty": "Cardiology",
        "city": None,
        "state": "MA",
        "disease": "Hypertension",
        "treatment_type": "Medication",
        "outcome_status": "success",
        "cost": Decimal("1250.00"),
        "treatment_date": date(2024, 3, 1),
        "metadata_modified_at": datetime(2024, 3, 5, 10, 0, 0, 500000, tzinfo=UTC),
        "unmodelled_attributes": ["flags", "notes"],
    }


def test_optional_attributes_may_be_missing_and_cost_is_normalised():
    parsed = parse_item(line(provider_npi=None, provider_name=None, specialty=None, cost={"N": "7.5"}))
    assert parsed["reason"] is None
    assert parsed["provider_npi"] is None and parsed["specialty"] is None
    assert parsed["cost"] == Decimal("7.50") and str(parsed["cost"]) == "7.50"
    assert parsed["unmodelled_attributes"] is None


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "empty line"),
        ("   ", "empty line"),
        ('{"Item": {"treatment_id": {"S": "t-1"}', "malformed JSON: Expecting ',' delimiter: line 1 column 39 (char 38)"),
        ("[1, 2]", "malformed JSON: not an object"),
        ('{"Item": {"a": {"S": "x"}, "a": {"S": "y"}}}', "malformed JSON: duplicate key 'a'"),
        ('{"Keys": {"treatment_id": {"S": "t-1"}}}', "missing Item"),
        ('{"Item": [1]}', "Item is not an object of attributes"),
        (line(cost={"N": 1250}), "invalid DynamoDB JSON in attribute cost: N must be a string"),
        (line(notes={"Q": "x"}), "invalid DynamoDB JSON in attribute notes: unknown type descriptor 'Q'"),
        (line(treatment_id=None), "missing required attribute treatment_id"),
        (line(patient_id={"NULL": True}), "missing required attribute patient_id"),
        (line(cost=None), "missing required attribute cost"),
        (line(metadata_modified_at=None), "missing required attribute metadata_modified_at"),
        (line(treatment_id={"S": "  "}), "empty required attribute treatment_id"),
        (line(treatment_id={"N": "17"}), "attribute treatment_id must be of type S, got N"),
        (line(cost={"S": "12.00"}), "attribute cost must be of type N, got S"),
        (line(disease={"L": [{"S": "x"}]}), "attribute disease must be of type S, got L"),
        (line(cost={"N": "12.345"}), "invalid cost '12.345': has more than 2 decimal places"),
        (line(cost={"N": "-5"}), "invalid cost '-5': is negative"),
        (line(cost={"N": "10000000000"}), "invalid cost '10000000000': does not fit decimal(12,2)"),
        (line(treatment_date={"S": "2024-02-30"}), "bad treatment_date '2024-02-30': expected a date YYYY-MM-DD"),
        (line(treatment_date={"S": "03/01/2024"}), "bad treatment_date '03/01/2024': expected a date YYYY-MM-DD"),
        (line(metadata_modified_at={"S": "2024-03-05T10:00:00"}),
         "bad metadata_modified_at '2024-03-05T10:00:00': expected an ISO 8601 timestamp with a time zone"),
        (line(metadata_modified_at={"S": "2024-03-05"}),
         "bad metadata_modified_at '2024-03-05': expected an ISO 8601 timestamp with a time zone"),
        (line(metadata_modified_at={"S": "2024-13-05T10:00:00Z"}),
         "bad metadata_modified_at '2024-13-05T10:00:00Z': expected an ISO 8601 timestamp with a time zone"),
        (line(outcome_status={"S": "cured"}), "unknown outcome_status 'cured'"),
        (line(outcome_status={"S": "Success"}), "unknown outcome_status 'Success'"),
    ],
)  # fmt: skip
def test_every_reason(text, expected):
    parsed = parse_item(text)
    assert parsed["reason"] == expected
    assert parsed["treatment_id"] is None and parsed["cost"] is None  # a bad line carries no values


# --- export folders --------------------------------------------------------------------------

EXPORT = "treatments/dt=2024-03-01/AWSDynamoDB/01709251200000-aaaaaaaa"
SUMMARY = json.dumps({"exportTime": "2024-03-01T00:00:00Z", "outputFormat": "DYNAMODB_JSON", "itemCount": 5})
FILES = "\n".join(
    json.dumps({"itemCount": n, "dataFileS3Key": f"AWSDynamoDB/01709251200000-aaaaaaaa/data/{name}"})
    for n, name in ((3, "a.json.gz"), (2, "b.json.gz"))
)


def test_export_files_are_grouped_by_export_folder():
    listing = group_export_files(
        [
            f"{EXPORT}/manifest-summary.json",
            f"{EXPORT}/manifest-files.json",
            f"{EXPORT}/manifest-summary.md5",
            f"{EXPORT}/data/a.json.gz",
            "treatments/dt=2024-03-02/batch-1/AWSDynamoDB/01709337600000-bbbbbbbb/data/c.json.gz",
            "treatments/dt=2024-03-09/AWSDynamoDB/01709942400000-cccccccc/data/d.json.gz",  # after the run's dt
            "treatments/dt=2024-03-01/stray.json.gz",
            "treatments/dt=latest/AWSDynamoDB/x/data/e.json.gz",
            f"{EXPORT}/notes.txt",
        ],
        "2024-03-02",
    )
    assert sorted(listing.exports) == [
        "treatments/dt=2024-03-01/AWSDynamoDB/01709251200000-aaaaaaaa",
        "treatments/dt=2024-03-02/batch-1/AWSDynamoDB/01709337600000-bbbbbbbb",
    ]
    assert sorted(listing.exports[EXPORT]) == ["data/a.json.gz", "manifest-files.json", "manifest-summary.json",
                                               "manifest-summary.md5"]  # fmt: skip
    assert listing.dt_of[EXPORT] == "2024-03-01"
    assert listing.ignored == (
        f"{EXPORT}/notes.txt",
        "treatments/dt=2024-03-01/stray.json.gz",
        "treatments/dt=latest/AWSDynamoDB/x/data/e.json.gz",
    )


def _files(*rests: str) -> dict[str, str]:
    return {rest: f"{EXPORT}/{rest}" for rest in rests}


def test_describe_export_complete_incomplete_invalid():
    manifests = {f"{EXPORT}/manifest-summary.json": SUMMARY, f"{EXPORT}/manifest-files.json": FILES}
    complete = describe_export(EXPORT, "2024-03-01", _files("manifest-summary.json", "manifest-files.json",
                               "data/a.json.gz", "data/b.json.gz", "data/z.json.gz"), manifests)  # fmt: skip
    assert complete == Export(
        EXPORT, "01709251200000-aaaaaaaa", "2024-03-01", datetime(2024, 3, 1, tzinfo=UTC),
        (f"{EXPORT}/data/a.json.gz", f"{EXPORT}/data/b.json.gz"), 5, unlisted=(f"{EXPORT}/data/z.json.gz",),
    )  # fmt: skip

    no_summary = describe_export(
        EXPORT, "2024-03-01", _files("manifest-files.json", "data/a.json.gz"), manifests
    )
    assert no_summary.incomplete and not no_summary.data_files
    missing_data = describe_export(EXPORT, "2024-03-01", _files("manifest-summary.json", "manifest-files.json",
                                   "data/a.json.gz"), manifests)  # fmt: skip
    assert missing_data.incomplete == "1 data files listed in manifest-files.json not there yet"

    both = _files("manifest-summary.json", "manifest-files.json", "data/a.json.gz", "data/b.json.gz")
    broken = describe_export(
        EXPORT, "2024-03-01", both, {**manifests, f"{EXPORT}/manifest-summary.json": "{"}
    )
    assert broken.invalid.startswith("manifest-summary.json: ")
    ion = json.dumps({"exportTime": "2024-03-01T00:00:00Z", "outputFormat": "ION"})
    assert describe_export(
        EXPORT, "2024-03-01", both, {**manifests, f"{EXPORT}/manifest-summary.json": ion}
    ).invalid == ("manifest-summary.json: outputFormat 'ION' is not DYNAMODB_JSON")


def _export(name: str, hour: int) -> Export:
    return Export(f"treatments/dt=2024-03-01/AWSDynamoDB/{name}", name, "2024-03-01",
                  datetime(2024, 3, 1, hour, tzinfo=UTC), (f"{name}/data/x.json.gz",), 10)  # fmt: skip


def test_plan_reads_new_exports_and_those_that_may_hold_items_above_the_watermark():
    old, recent, new = _export("e1", 1), _export("e2", 5), _export("e3", 9)
    waiting = Export(
        "treatments/dt=2024-03-01/AWSDynamoDB/e4", "e4", "2024-03-01", incomplete="not there yet"
    )
    broken = Export(
        "treatments/dt=2024-03-01/AWSDynamoDB/e5", "e5", "2024-03-01", invalid="manifest unreadable"
    )
    exports = [new, waiting, old, broken, recent]

    first = plan_exports(exports, watermark=None, exports_through=None)
    assert [e.export_id for e in first.read] == ["e1", "e2", "e3"]
    assert first.new_ids == {old.export_dir, recent.export_dir, new.export_dir}
    assert first.exports_through == datetime(2024, 3, 1, 9, tzinfo=UTC)
    assert (first.incomplete, first.invalid) == ((waiting,), (broken,))

    # Watermark 04:50: e1 (01:00 + 15 min) can only hold skipped items; e2 may hold some.
    later = plan_exports(
        exports, datetime(2024, 3, 1, 4, 50, tzinfo=UTC), datetime(2024, 3, 1, 5, tzinfo=UTC)
    )
    assert [e.export_id for e in later.read] == ["e2", "e3"]
    assert [e.export_id for e in later.pruned] == ["e1"]
    assert later.new_ids == {new.export_dir}
    assert later.exports_through == datetime(2024, 3, 1, 9, tzinfo=UTC)

    # Within the clock allowance of its export time, an export is still read.
    edge = plan_exports([old], old.export_time + timedelta(minutes=14), old.export_time)
    assert [e.export_id for e in edge.read] == ["e1"] and not edge.new_ids
