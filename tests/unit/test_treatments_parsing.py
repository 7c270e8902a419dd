"""DynamoDB export lines and export folders, in plain Python (no Spark).

Lines: carelake.sources.treatments.parse; export folders: carelake.sources.treatments.io.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from carelake.sources.treatments import parse
from carelake.sources.treatments.io import Export, describe_export, export_of
from carelake.sources.treatments.parse import AttributeProblem, decode_attribute, parse_item, parse_line

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


def test_parse_line_never_raises(monkeypatch):
    assert parse_line(line()) == parse_item(line())

    def broken(text):
        raise KeyError("x")

    monkeypatch.setattr(parse, "parse_item", broken)
    parsed = parse_line(line())
    assert parsed["reason"] == "unparseable item: KeyError: 'x'"
    assert parsed["treatment_id"] is None and parsed["cost"] is None


# --- export folders --------------------------------------------------------------------------

EXPORT_ID = "01709251200000-aaaaaaaa"
EXPORT = f"treatments/dt=2024-03-01/AWSDynamoDB/{EXPORT_ID}"
SUMMARY = json.dumps({"exportTime": "2024-03-01T00:00:00Z", "outputFormat": "DYNAMODB_JSON", "itemCount": 5})
FILES = "\n".join(
    json.dumps({"itemCount": n, "dataFileS3Key": f"AWSDynamoDB/{EXPORT_ID}/data/{name}"})
    for n, name in ((3, "a.json.gz"), (2, "b.json.gz"))
)


def test_keys_are_placed_in_their_export_folder():
    # Every dt folder counts (a run takes whatever landed and is not in the ledger yet).
    assert export_of(f"{EXPORT}/manifest-summary.json") == (EXPORT, EXPORT_ID, "manifest-summary.json")
    assert export_of(f"{EXPORT}/data/a.json.gz") == (EXPORT, EXPORT_ID, "data/a.json.gz")
    assert export_of(f"{EXPORT}/notes.txt") == (EXPORT, EXPORT_ID, "notes.txt")
    batch = "treatments/dt=2024-03-02/batch-1/AWSDynamoDB/01709337600000-bbbbbbbb"
    assert export_of(f"{batch}/data/c.json.gz") == (batch, "01709337600000-bbbbbbbb", "data/c.json.gz")
    later = "treatments/dt=2024-03-09/AWSDynamoDB/01709942400000-cccccccc"
    assert export_of(f"{later}/data/d.json.gz") == (later, "01709942400000-cccccccc", "data/d.json.gz")
    assert export_of("treatments/dt=2024-03-01/stray.json.gz") is None
    assert export_of("treatments/dt=latest/AWSDynamoDB/x/data/e.json.gz") is None


def _keys(*rests: str) -> dict[str, str]:
    return {rest: f"{EXPORT}/{rest}" for rest in rests}


MANIFESTS = {"manifest-summary.json": SUMMARY, "manifest-files.json": FILES}


def test_describe_export_complete_incomplete_invalid():
    keys = _keys(
        "manifest-summary.json", "manifest-files.json", "data/a.json.gz", "data/b.json.gz", "data/z.json.gz"
    )
    complete = describe_export(EXPORT, EXPORT_ID, keys, MANIFESTS)
    # data/z.json.gz is not listed: not a data file of the export (classify quarantines it).
    assert complete == Export(
        EXPORT, EXPORT_ID, tuple(sorted(keys.values())), datetime(2024, 3, 1, tzinfo=UTC),
        (f"{EXPORT}/data/a.json.gz", f"{EXPORT}/data/b.json.gz"), 5,
    )  # fmt: skip

    no_summary = describe_export(EXPORT, EXPORT_ID, _keys("manifest-files.json", "data/a.json.gz"), MANIFESTS)
    assert no_summary.incomplete and not no_summary.data_files
    missing_data = describe_export(
        EXPORT, EXPORT_ID, _keys("manifest-summary.json", "manifest-files.json", "data/a.json.gz"), MANIFESTS
    )
    assert missing_data.incomplete == "1 data files listed in manifest-files.json not there yet"

    both = _keys("manifest-summary.json", "manifest-files.json", "data/a.json.gz", "data/b.json.gz")
    broken = describe_export(EXPORT, EXPORT_ID, both, {**MANIFESTS, "manifest-summary.json": "{"})
    assert broken.invalid.startswith("manifest-summary.json: ")
    ion = json.dumps({"exportTime": "2024-03-01T00:00:00Z", "outputFormat": "ION"})
    assert describe_export(EXPORT, EXPORT_ID, both, {**MANIFESTS, "manifest-summary.json": ion}).invalid == (
        "manifest-summary.json: outputFormat 'ION' is not DYNAMODB_JSON"
    )
    elsewhere = FILES.replace(f"AWSDynamoDB/{EXPORT_ID}/data/b", "AWSDynamoDB/other/data/b")
    assert describe_export(
        EXPORT, EXPORT_ID, both, {**MANIFESTS, "manifest-files.json": elsewhere}
    ).invalid == (
        f"manifest-files.json: data file 'AWSDynamoDB/other/data/b.json.gz' is not in export {EXPORT_ID}"
    )
