"""Outreach intake API: validation, Kinesis hand-off, failure answers, logging without PHI."""

from __future__ import annotations

import copy
import json
import logging
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from lambda_testkit import (
    REGION,
    FakeContext,
    api_event,
    b64,
    client,
    load_handler,
    outreach_enum,
    stream_records,
)

intake = load_handler("outreach_intake")

STREAM = "carelake-test-outreach"
CHANNELS = ["phone", "sms", "email", "in_person", "video"]
STATUSES = ["reached", "completed", "left_message", "no_answer", "declined", "scheduled"]
VALID = {
    "patient_id": "MRN-0001234",
    "coordinator_id": "cm-007",
    "event_at": "2024-03-02T14:05:00-05:00",
    "channel": "phone",
    "status": "reached",
    "note": "Discussed the discharge plan; follow-up booked for Tuesday.",
}
FIXED_NOW = datetime(2024, 3, 2, 19, 5, 1, 250000, tzinfo=UTC)
CONTRACT_ORDER = [
    "record_id",
    "patient_id",
    "coordinator_id",
    "event_at",
    "channel",
    "status",
    "note",
    "received_at",
]


@pytest.fixture
def kinesis(mocked_aws: None, monkeypatch: pytest.MonkeyPatch):
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    monkeypatch.setenv("STREAM_NAME", STREAM)
    return kinesis


def post(body: str | None, **kwargs) -> dict:
    return intake.handler(api_event(body, **kwargs), FakeContext())


def post_json(value: object) -> dict:
    return post(json.dumps(value))


def answer(response: dict) -> dict:
    return json.loads(response["body"])


def with_changes(**changes: object) -> dict:
    body = copy.deepcopy(VALID)
    for name, value in changes.items():
        if value is DROP:
            body.pop(name)
        else:
            body[name] = value
    return body


DROP = object()


# ---------------------------------------------------------------- accepted


def test_valid_event_is_put_on_kinesis_as_one_json_line(kinesis):
    response = intake.handle(
        api_event(json.dumps(VALID)),
        stream_name=STREAM,
        kinesis=kinesis,
        now=lambda: FIXED_NOW,
        new_record_id=lambda: "4b0c6a6e-0000-4000-8000-000000000001",
    )

    assert response["statusCode"] == 202
    assert answer(response) == {"record_id": "4b0c6a6e-0000-4000-8000-000000000001"}
    [record] = stream_records(kinesis, STREAM)
    assert record["PartitionKey"] == "MRN-0001234"
    data = record["Data"]
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    stored = json.loads(data)
    assert stored == {
        **VALID,
        "record_id": "4b0c6a6e-0000-4000-8000-000000000001",
        "received_at": "2024-03-02T19:05:01Z",
    }
    assert list(stored) == CONTRACT_ORDER


def test_handler_sets_a_uuid4_record_id_and_the_current_utc_time(kinesis):
    before = datetime.now(UTC).replace(microsecond=0)
    response = post_json(VALID)
    after = datetime.now(UTC)

    assert response["statusCode"] == 202
    assert response["headers"]["Content-Type"] == "application/json"
    record_id = answer(response)["record_id"]
    assert uuid.UUID(record_id).version == 4
    [record] = stream_records(kinesis, STREAM)
    stored = json.loads(record["Data"])
    assert stored["record_id"] == record_id
    assert stored["received_at"].endswith("Z")
    received = datetime.strptime(stored["received_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before <= received <= after


def test_each_accepted_event_gets_its_own_record_id(kinesis):
    ids = {answer(post_json(VALID))["record_id"] for _ in range(3)}
    assert len(ids) == 3
    assert {json.loads(r["Data"])["record_id"] for r in stream_records(kinesis, STREAM)} == ids


def test_note_is_optional(kinesis):
    response = post_json(with_changes(note=DROP))
    assert response["statusCode"] == 202
    [record] = stream_records(kinesis, STREAM)
    assert "note" not in json.loads(record["Data"])


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_is_accepted(kinesis, channel):
    assert post_json(with_changes(channel=channel))["statusCode"] == 202


@pytest.mark.parametrize("status", STATUSES)
def test_every_status_is_accepted(kinesis, status):
    assert post_json(with_changes(status=status))["statusCode"] == 202


def test_enums_match_the_data_contract():
    assert outreach_enum("channel") == CHANNELS
    assert outreach_enum("status") == STATUSES
    assert intake.SCHEMA["properties"]["channel"]["enum"] == CHANNELS
    assert intake.SCHEMA["properties"]["status"]["enum"] == STATUSES


@pytest.mark.parametrize(
    "event_at",
    [
        "2024-03-02T14:05:00Z",
        "2024-03-02T14:05:00+00:00",
        "2024-03-02T14:05:00.123456789+05:30",
        "2024-02-29T23:59:59-12:00",
        "2024-03-02T14:05:00+14:00",
    ],
)
def test_event_at_with_any_zone_offset_is_accepted_and_kept_as_sent(kinesis, event_at):
    assert post_json(with_changes(event_at=event_at))["statusCode"] == 202
    [record] = stream_records(kinesis, STREAM)
    assert json.loads(record["Data"])["event_at"] == event_at


def test_base64_encoded_body_is_decoded(kinesis):
    response = post(b64(json.dumps(VALID).encode("utf-8")), is_base64=True)
    assert response["statusCode"] == 202
    [record] = stream_records(kinesis, STREAM)
    assert json.loads(record["Data"])["note"] == VALID["note"]


def test_non_ascii_note_is_stored_as_utf8(kinesis):
    note = "Patientin erreicht – Termin am Dienstag, 診察予約"
    assert post_json(with_changes(note=note))["statusCode"] == 202
    [record] = stream_records(kinesis, STREAM)
    assert note.encode("utf-8") in record["Data"]
    assert json.loads(record["Data"].decode("utf-8"))["note"] == note


def test_note_of_exactly_4096_utf8_bytes_is_accepted(kinesis):
    note = "é" * 2048  # 2 bytes each
    assert len(note.encode("utf-8")) == 4096
    assert post_json(with_changes(note=note))["statusCode"] == 202


def test_largest_note_fits_the_body_limit_even_fully_escaped(kinesis):
    # 4096 control characters: each is 1 byte in the note but 6 bytes (\u0001) in the JSON body.
    body = json.dumps(with_changes(note="\u0001" * 4096, patient_id="M" * 64, coordinator_id="C" * 64))
    assert len(body.encode("utf-8")) > 24 * 1024
    assert post(body)["statusCode"] == 202


# ---------------------------------------------------------------- field-level 400s


REQUIRED = ["patient_id", "coordinator_id", "event_at", "channel", "status"]
PATTERN = "must match the pattern ^[A-Za-z0-9][A-Za-z0-9._:-]*$"
DATE_TIME = (
    "must be an RFC 3339 date-time with upper-case T and Z or a zone offset up to +/-14:00,"
    " e.g. 2024-03-02T14:05:00-05:00"
)

FIELD_ERRORS = [
    *[pytest.param({name: DROP}, name, "is required", id=f"missing-{name}") for name in REQUIRED],
    *[
        pytest.param({name: bad}, name, "must be a string", id=f"type-{name}-{type(bad).__name__}")
        for name in [*REQUIRED, "note"]
        for bad in (12345, None, ["x"], {"x": 1}, True, 1.5)
    ],
    pytest.param({"patient_id": ""}, "patient_id", "must not be empty", id="patient_id-empty"),
    pytest.param(
        {"patient_id": "M" * 65}, "patient_id", "must be at most 64 characters", id="patient_id-long"
    ),
    pytest.param({"patient_id": "MRN 0001234"}, "patient_id", PATTERN, id="patient_id-space"),
    pytest.param({"patient_id": "-MRN-1"}, "patient_id", PATTERN, id="patient_id-leading-dash"),
    pytest.param({"patient_id": "MRN-1\n"}, "patient_id", PATTERN, id="patient_id-trailing-newline"),
    pytest.param({"patient_id": "MRN-１２３"}, "patient_id", PATTERN, id="patient_id-fullwidth-digits"),
    pytest.param({"coordinator_id": ""}, "coordinator_id", "must not be empty", id="coordinator_id-empty"),
    pytest.param(
        {"coordinator_id": "c" * 65}, "coordinator_id", "must be at most 64 characters", id="coord-long"
    ),
    pytest.param({"coordinator_id": "cm/007"}, "coordinator_id", PATTERN, id="coordinator_id-slash"),
    pytest.param({"event_at": "2024-03-02T14:05:00"}, "event_at", DATE_TIME, id="event_at-no-zone"),
    pytest.param({"event_at": "2024-03-02"}, "event_at", DATE_TIME, id="event_at-date-only"),
    pytest.param({"event_at": "2024-03-02 14:05:00Z"}, "event_at", DATE_TIME, id="event_at-space"),
    pytest.param({"event_at": "2024-02-30T10:00:00Z"}, "event_at", DATE_TIME, id="event_at-feb-30"),
    pytest.param({"event_at": "2023-02-29T10:00:00Z"}, "event_at", DATE_TIME, id="event_at-not-leap-year"),
    pytest.param({"event_at": "2024-03-02T24:00:00Z"}, "event_at", DATE_TIME, id="event_at-hour-24"),
    pytest.param({"event_at": "2024-03-02T14:05:60Z"}, "event_at", DATE_TIME, id="event_at-leap-second"),
    pytest.param({"event_at": "2024-03-02T14:05:00+24:00"}, "event_at", DATE_TIME, id="event_at-offset-24h"),
    pytest.param(
        {"event_at": "2024-03-02T14:05:00+0500"}, "event_at", DATE_TIME, id="event_at-offset-no-colon"
    ),
    pytest.param(
        {"event_at": "2024-03-02T14:05:00Z\n"}, "event_at", DATE_TIME, id="event_at-trailing-newline"
    ),
    pytest.param({"event_at": "0000-03-02T14:05:00Z"}, "event_at", DATE_TIME, id="event_at-year-0"),
    # Valid RFC 3339, outside the contract's profile (bronze could not store them either).
    pytest.param({"event_at": "2024-03-02t14:05:00z"}, "event_at", DATE_TIME, id="event_at-lower-case"),
    pytest.param({"event_at": "2024-03-02T14:05:00+15:00"}, "event_at", DATE_TIME, id="event_at-offset-15h"),
    pytest.param({"event_at": "yesterday"}, "event_at", DATE_TIME, id="event_at-words"),
    pytest.param(
        {"event_at": "2024-03-02T14:05:00." + "1" * 20 + "Z"},
        "event_at",
        "must be at most 35 characters",
        id="event_at-too-long",
    ),
    pytest.param(
        {"channel": "fax"},
        "channel",
        "must be one of: phone, sms, email, in_person, video",
        id="channel-unknown",
    ),
    pytest.param(
        {"channel": "Phone"},
        "channel",
        "must be one of: phone, sms, email, in_person, video",
        id="channel-case",
    ),
    pytest.param(
        {"status": "reached "},
        "status",
        "must be one of: reached, completed, left_message, no_answer, declined, scheduled",
        id="status-trailing-space",
    ),
    pytest.param({"note": "x" * 4097}, "note", "must be at most 4096 characters", id="note-4097-chars"),
    pytest.param({"note": "é" * 2049}, "note", "must be at most 4096 bytes as UTF-8", id="note-4098-bytes"),
    pytest.param({"patient_name": "Jane Doe"}, "patient_name", "is not an accepted field", id="extra-field"),
    pytest.param(
        {"record_id": "abc"}, "record_id", "is set by the intake API; do not send it", id="record_id"
    ),
    pytest.param(
        {"received_at": "2024-03-02T19:05:01Z"},
        "received_at",
        "is set by the intake API; do not send it",
        id="received_at",
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), FIELD_ERRORS)
def test_invalid_field_is_answered_400_with_the_field_and_nothing_is_stored(kinesis, changes, field, message):
    response = post_json(with_changes(**changes))

    assert response["statusCode"] == 400
    assert answer(response) == {"errors": [{"field": field, "message": message}]}
    assert stream_records(kinesis, STREAM) == []


def test_all_field_errors_are_reported_at_once(kinesis):
    body = with_changes(patient_id=DROP, channel="fax", note=7, nickname="JD")
    assert answer(post_json(body)) == {
        "errors": [
            {"field": "patient_id", "message": "is required"},
            {"field": "channel", "message": "must be one of: phone, sms, email, in_person, video"},
            {"field": "note", "message": "must be a string"},
            {"field": "nickname", "message": "is not an accepted field"},
        ]
    }


def test_lone_surrogate_in_a_field_is_rejected(kinesis):
    text = json.dumps(VALID).replace(json.dumps(VALID["note"]), '"abc \\ud800 def"')
    response = post(text)
    assert response["statusCode"] == 400
    assert answer(response) == {
        "errors": [{"field": "note", "message": "must be valid Unicode text (no unpaired surrogates)"}]
    }


def test_duplicate_field_is_rejected(kinesis):
    text = json.dumps(VALID)[:-1] + ', "patient_id": "MRN-9999999"}'
    response = post(text)
    assert response["statusCode"] == 400
    assert answer(response) == {"errors": [{"field": "patient_id", "message": "appears more than once"}]}
    assert stream_records(kinesis, STREAM) == []


# ---------------------------------------------------------------- body-level 400s


BODY_ERRORS = [
    pytest.param(api_event(None), "a JSON body is required", id="no-body"),
    pytest.param(
        {**api_event(None), "body": {"patient_id": "MRN-1"}}, "the body must be JSON text", id="dict-body"
    ),
    pytest.param(api_event(""), "the body is not valid JSON", id="empty"),
    pytest.param(api_event("   "), "the body is not valid JSON", id="whitespace"),
    pytest.param(
        api_event("patient_id=MRN-1&status=reached"), "the body is not valid JSON", id="form-encoded"
    ),
    pytest.param(api_event('{"patient_id": "MRN-1",}'), "the body is not valid JSON", id="trailing-comma"),
    pytest.param(api_event("\ufeff" + json.dumps(VALID)), "the body is not valid JSON", id="bom"),
    pytest.param(api_event('{"patient_id": NaN}'), "the body is not valid JSON", id="nan"),
    pytest.param(api_event('{"x": Infinity}'), "the body is not valid JSON", id="infinity"),
    pytest.param(api_event("1" * 5000), "the body is not valid JSON", id="int-too-long-to-parse"),
    pytest.param(api_event("[" * 16000 + "]" * 16000), "the body is not valid JSON", id="nested-too-deep"),
    pytest.param(api_event("[1, 2]"), "the body must be a JSON object", id="array"),
    pytest.param(api_event('"text"'), "the body must be a JSON object", id="string"),
    pytest.param(api_event("42"), "the body must be a JSON object", id="number"),
    pytest.param(api_event("null"), "the body must be a JSON object", id="null"),
    pytest.param(api_event("true"), "the body must be a JSON object", id="bool"),
    pytest.param(
        api_event("not base64!", is_base64=True),
        "the body is marked base64 but is not valid base64",
        id="bad-base64",
    ),
    pytest.param(
        api_event("é" * 8, is_base64=True),
        "the body is marked base64 but is not valid base64",
        id="non-ascii-base64",
    ),
    pytest.param(
        api_event(b64(b'{"note": "\xff\xfe"}'), is_base64=True),
        "the body must be UTF-8 encoded JSON",
        id="base64-not-utf8",
    ),
    pytest.param(
        api_event(b64(json.dumps(VALID).encode("utf-16")), is_base64=True),
        "the body must be UTF-8 encoded JSON",
        id="base64-utf16",
    ),
]


@pytest.mark.parametrize(("event", "message"), BODY_ERRORS)
def test_unusable_body_is_answered_400_with_a_body_level_error(kinesis, event, message):
    response = intake.handler(event, FakeContext())

    assert response["statusCode"] == 400
    assert answer(response) == {"errors": [{"field": None, "message": message}]}
    assert stream_records(kinesis, STREAM) == []


# ---------------------------------------------------------------- 413


LIMIT = 32 * 1024
TOO_LARGE = {"errors": [{"field": None, "message": f"the body must be at most {LIMIT} bytes"}]}


def padded(value: dict, size: int) -> str:
    """`value` as JSON padded with trailing spaces (valid JSON) to exactly `size` UTF-8 bytes."""
    text = json.dumps(value)
    return text + " " * (size - len(text.encode("utf-8")))


def test_the_documented_body_limit_is_32_kib():
    assert intake.MAX_BODY_BYTES == LIMIT


def test_body_at_the_limit_is_accepted(kinesis):
    assert post(padded(VALID, LIMIT))["statusCode"] == 202


def test_body_one_byte_over_the_limit_is_413_and_not_stored(kinesis):
    response = post(padded(VALID, LIMIT + 1))
    assert response["statusCode"] == 413
    assert answer(response) == TOO_LARGE
    assert stream_records(kinesis, STREAM) == []


def test_limit_counts_utf8_bytes_not_characters(kinesis):
    body = padded(VALID, 100)[:-1] + " " + "\u00a0" * ((LIMIT - 100) // 2 + 1)  # U+00A0 is 2 bytes
    assert len(body) < LIMIT < len(body.encode("utf-8"))
    assert post(body)["statusCode"] == 413


def test_base64_body_over_the_limit_after_decoding_is_413(kinesis):
    response = post(b64(padded(VALID, LIMIT + 1).encode("utf-8")), is_base64=True)
    assert response["statusCode"] == 413
    assert answer(response) == TOO_LARGE


def test_base64_body_at_the_limit_after_decoding_is_accepted(kinesis):
    assert post(b64(padded(VALID, LIMIT).encode("utf-8")), is_base64=True)["statusCode"] == 202


def test_huge_base64_body_is_413_without_decoding(kinesis):
    response = post("A" * (10 * LIMIT), is_base64=True)  # would decode fine, but is far too large
    assert response["statusCode"] == 413


def test_oversize_note_inside_an_oversize_body_is_413(kinesis):
    assert post_json(with_changes(note="x" * (LIMIT + 1)))["statusCode"] == 413


# ---------------------------------------------------------------- Kinesis failures -> 503


def assert_retry_later(response: dict) -> None:
    assert response["statusCode"] == 503
    assert response["headers"]["Retry-After"] == "5"
    assert "record_id" not in answer(response)


def test_missing_stream_answers_503_and_a_retry_once_it_exists_stores_exactly_once(mocked_aws, monkeypatch):
    monkeypatch.setenv("STREAM_NAME", STREAM)
    kinesis = client("kinesis")

    assert_retry_later(post_json(VALID))  # ResourceNotFoundException: stream not there

    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    retried = post_json(VALID)
    assert retried["statusCode"] == 202
    [record] = stream_records(kinesis, STREAM)
    assert json.loads(record["Data"])["record_id"] == answer(retried)["record_id"]


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "KMSThrottlingException", "InternalFailure", "AccessDenied"],
)
def test_kinesis_client_error_answers_503(aws_env, logs, code):
    kinesis = client("kinesis")
    with Stubber(kinesis) as stub:
        stub.add_client_error("put_record", service_error_code=code, http_status_code=400)
        response = intake.handle(api_event(json.dumps(VALID)), stream_name=STREAM, kinesis=kinesis)
        stub.assert_no_pending_responses()

    assert_retry_later(response)
    [event] = logs.events()
    assert event["event"] == "outreach_intake.kinesis_failed"
    assert event["aws_error"] == code
    assert event["status_code"] == 503


def test_unreachable_kinesis_endpoint_answers_503(aws_env, logs):
    # Nothing listens on port 9 of localhost: a real EndpointConnectionError, no retries.
    unreachable = boto3.client(
        "kinesis",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=1),
    )
    response = intake.handle(api_event(json.dumps(VALID)), stream_name=STREAM, kinesis=unreachable)

    assert_retry_later(response)
    assert logs.events()[-1]["aws_error"] == "EndpointConnectionError"


def test_missing_stream_name_setting_fails_loudly(mocked_aws, monkeypatch):
    monkeypatch.delenv("STREAM_NAME", raising=False)
    with pytest.raises(Exception, match="STREAM_NAME"):
        post_json(VALID)


# ---------------------------------------------------------------- logging


SECRET_NOTE = "Patient Jane Q. Public, DOB 1950-01-02, SSN 123-45-6789, lives at 1 Elm St"


def test_accepted_request_logs_record_id_and_status_only(kinesis, logs):
    response = post_json(with_changes(note=SECRET_NOTE))

    [event] = logs.events()
    assert event == {
        "level": "INFO",
        "logger": "outreach_intake",
        "event": "outreach_intake.accepted",
        "status_code": 202,
        "record_id": answer(response)["record_id"],
        "request_id": "req-0001",
    }
    for value in (SECRET_NOTE, VALID["patient_id"], VALID["coordinator_id"], VALID["event_at"]):
        assert value not in logs.text


def test_rejected_request_logs_field_names_but_no_values(kinesis, logs):
    body = with_changes(note=SECRET_NOTE, channel="fax", **{"Jane Q. Public": "SSN 123-45-6789"})
    post_json(body)

    [event] = logs.events()
    assert event["event"] == "outreach_intake.rejected"
    assert event["status_code"] == 400
    assert event["error_fields"] == ["channel", "(unexpected)"]
    for value in (SECRET_NOTE, "Jane Q. Public", "123-45-6789", "fax", VALID["patient_id"]):
        assert value not in logs.text


def test_body_level_rejection_logs_no_body(kinesis, logs):
    post("this is not json but mentions " + SECRET_NOTE)
    [event] = logs.events()
    assert event["error_fields"] == ["(body)"]
    assert SECRET_NOTE not in logs.text


def test_sdk_debug_logging_cannot_leak_the_note(kinesis, logs):
    # botocore logs whole request bodies at DEBUG; the handlers hold the SDK loggers at WARNING,
    # so even a root logger turned up to DEBUG never sees the note.
    everything = type(logs)()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(everything)
    root.setLevel(logging.DEBUG)
    try:
        assert post_json(with_changes(note=SECRET_NOTE))["statusCode"] == 202
    finally:
        root.removeHandler(everything)
        root.setLevel(old_level)
    sdk_lines = [line for line in everything.lines if "botocore" in line or "Kinesis" in line]
    assert all(SECRET_NOTE not in line for line in everything.lines), sdk_lines[:3]
    assert logging.getLogger("botocore").getEffectiveLevel() == logging.WARNING


def test_log_lines_are_json_on_stdout(kinesis, capfd):
    post_json(VALID)
    lines = [line for line in capfd.readouterr().out.splitlines() if "outreach_intake." in line]
    assert [json.loads(line)["event"] for line in lines] == ["outreach_intake.accepted"]


# ---------------------------------------------------------------- the schema and its validator


def schema_document() -> dict:
    return json.loads(intake.SCHEMA_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: s["properties"]["note"].update(maxLenght=10), "does not implement: \\['maxLenght'\\]"),
        (lambda s: s.update(additionalproperties=True), "does not implement: \\['additionalproperties'\\]"),
        (lambda s: s["properties"]["event_at"].update(format="x-mrn"), "format 'x-mrn' cannot be checked"),
        (lambda s: s["properties"]["note"].update({"x-maxUtf8Bytes": -1}), "non-negative integer"),
        (lambda s: s["properties"]["note"].update({"x-maxUtf8Bytes": "4096"}), "non-negative integer"),
        (lambda s: s["properties"]["channel"].update(type="strng"), "not a valid Draft 2020-12 schema"),
        (lambda s: s.update(required="patient_id"), "not a valid Draft 2020-12 schema"),
    ],
)
def test_schema_loader_fails_closed_on_what_jsonschema_would_ignore(edit, message):
    # jsonschema itself skips unknown keywords and formats: a typo would accept anything.
    document = schema_document()
    edit(document)
    with pytest.raises(intake.SchemaError, match=message):
        intake.load_validator(document)


def test_any_standard_keyword_in_the_schema_is_enforced():
    document = schema_document()
    document["properties"]["visit"] = {
        "type": "object",
        "properties": {"minutes": {"type": "integer", "minimum": 1}},
        "required": ["minutes"],
    }
    validator = intake.load_validator(document)
    valid = {k: v for k, v in VALID.items() if k != "note"}
    assert intake.validate_event({**valid, "visit": {"minutes": 5}}, validator) == []
    errors = intake.validate_event({**valid, "visit": {"minutes": 0, "Jane": 1}}, validator)
    assert [e.as_dict() for e in errors] == [
        {"field": "visit.minutes", "message": "does not satisfy the schema keyword minimum"}
    ]
    errors = intake.validate_event({**valid, "visit": {}}, validator)
    assert [e.as_dict() for e in errors] == [{"field": "visit.minutes", "message": "is required"}]


def test_schema_file_is_what_the_handler_enforces():
    assert intake.VALIDATOR.schema == schema_document() == intake.SCHEMA
    assert isinstance(intake.VALIDATOR, intake.OutreachValidator)
    assert intake.VALIDATOR.format_checker is intake.FORMAT_CHECKER
    assert "x-maxUtf8Bytes" in intake.OutreachValidator.VALIDATORS
    assert intake.SCHEMA["properties"]["note"]["x-maxUtf8Bytes"] == 4096


def test_schema_file_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema_document())
    assert schema_document()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_validator_messages_never_quote_the_value():
    # jsonschema's own messages do ("'Jane Doe' is not one of [...]"); ours come from the schema.
    secret = "Jane Doe 123-45-6789"
    body = {name: secret for name in [*REQUIRED, "note", "x"]}
    body["note"] = secret * 300
    errors = intake.validate_event(body)
    assert [e.field for e in errors] == [*REQUIRED, "note", "x"]
    assert all("Jane" not in e.message and "123-45" not in e.message for e in errors)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("^[A-Z]+$", "MRN", True),
        ("^[A-Z]+$", "MRN\n", False),  # Python's '$' would match before the newline
        ("^[0-9]+$", "１２３", False),  # ECMA-262 \d and classes are ASCII
        ("^\\d+$", "１２３", False),
        ("^a\\$", "a$", True),  # an escaped '$' is a literal dollar sign
        ("^a\\\\$", "a\\", True),  # an escaped backslash, then the end anchor
        ("^a\\\\$", "a\\\n", False),
        ("MRN", "x MRN x", True),  # unanchored patterns still search
    ],
)
def test_patterns_follow_ecma_262(pattern, value, matches):
    assert (intake.ecma_regex(pattern).search(value) is not None) is matches


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("2024-03-02T14:05:00-05:00", True),
        ("2024-03-02T14:05:00Z", True),
        ("2024-03-02t14:05:00z", True),
        ("2024-03-02T14:05:00.5+14:00", True),
        ("2000-02-29T00:00:00Z", True),
        ("1900-02-29T00:00:00Z", False),
        ("2024-13-01T00:00:00Z", False),
        ("2024-03-02T14:05Z", False),
        ("2024-03-02T14:05:00+05", False),
        ("2024-03-02T14:05:00-23:60", False),
        ("2024-03-02T14:05:00Z\n", False),  # rfc3339-validator alone accepts this
        ("２０２４-03-02T14:05:00Z", False),
        ("", False),
    ],
)
def test_date_time_format(value, valid):
    assert intake.FORMAT_CHECKER.conforms(value, "date-time") is valid
