"""Property: whatever body arrives, the intake answers 202, 400 or 413, never raises, never logs
a body value, and stores exactly the events it accepted.

Acceptance is also checked against an oracle: the stock `jsonschema` Draft202012Validator run on
the same schema file, plus the few rules the schema states that stock jsonschema does not apply
(see `reference_accepts`). The handler gets those from its own extension of that validator
(x-maxUtf8Bytes, ECMA-262 '$' in patterns, no newline in date-times), written independently.
"""

from __future__ import annotations

import base64
import json
import logging
import uuid
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from lambda_testkit import FakeContext, LogCapture, api_event, client, load_handler, stream_records

intake = load_handler("outreach_intake")

STREAM = "carelake-test-outreach-property"
LIMIT = 32 * 1024
# Every generated string value starts with one of these, so a leak of any of them into a log
# line is visible, and no log vocabulary can ever be mistaken for one.
NOTE_MARK, ID_MARK, KEY_MARK, TEXT_MARK = "N0TE:", "MRN-", "xf_", "T3XT:"
MARKS = (NOTE_MARK, ID_MARK, KEY_MARK, TEXT_MARK)

SCHEMA_DOCUMENT = json.loads(intake.SCHEMA_PATH.read_text(encoding="utf-8"))
REFERENCE = Draft202012Validator(SCHEMA_DOCUMENT, format_checker=Draft202012Validator.FORMAT_CHECKER)


def reference_accepts(body: dict) -> bool:
    """The oracle. Python's jsonschema plus what it cannot or does not check:
    - x-maxUtf8Bytes (a carelake keyword): the note is at most 4096 bytes as UTF-8;
    - ECMA-262 '$' in patterns, and RFC 3339, allow no trailing newline (Python's '$' does)."""
    if not REFERENCE.is_valid(body):
        return False
    if len(body.get("note", "").encode("utf-8")) > 4096:
        return False
    return not any(body[name].endswith("\n") for name in ("patient_id", "coordinator_id", "event_at"))


# ---------------------------------------------------------------- strategies


def _date_time(moment: datetime, offset_minutes: int, fraction: str, t: str, z: str) -> str:
    text = moment.strftime(f"%Y-%m-%d{t}%H:%M:%S") + fraction
    if offset_minutes == 0 and z:
        return text + z
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


valid_event_at = st.builds(
    _date_time,
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
    st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    st.one_of(st.just(""), st.from_regex(r"\A\.[0-9]{1,9}\Z")),
    st.sampled_from(["T", "t"]),
    st.sampled_from(["Z", "z", ""]),
)
near_event_at = st.from_regex(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2})?(\.[0-9]{0,25})?"
    r"([Zz]|[+-][0-9]{2}:?[0-9]{2})?\n?\Z"
)
event_at = st.one_of(valid_event_at, valid_event_at, near_event_at, st.text(max_size=30))

valid_id = st.from_regex(r"\A[A-Za-z0-9._:-]{1,60}\Z").map(lambda s: ID_MARK + s)
near_id = st.text(max_size=70).map(lambda s: ID_MARK + s)  # spaces, unicode, > 64 chars, "\n"...
an_id = st.one_of(valid_id, valid_id, near_id, st.just(""))

note = st.one_of(
    st.text(max_size=200),
    st.text(min_size=2000, max_size=4100),
    st.integers(4000, 4200).map(lambda n: "é" * (n // 2)),  # around the 4096-byte limit
    st.integers(LIMIT - 100, 2 * LIMIT).map(lambda n: "x" * n),  # too long for the body
).map(lambda s: NOTE_MARK + s)

channel = st.one_of(st.sampled_from(["phone", "sms", "email", "in_person", "video"]), st.text(max_size=12))
status = st.one_of(
    st.sampled_from(["reached", "completed", "left_message", "no_answer", "declined", "scheduled"]),
    st.text(max_size=14),
)

marked_text = st.text(max_size=20).map(lambda s: TEXT_MARK + s)
json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False) | marked_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8).map(lambda s: KEY_MARK + s), children, max_size=4)
    ),
    max_leaves=12,
)

valid_event = st.fixed_dictionaries(
    {
        "patient_id": valid_id,
        "coordinator_id": valid_id,
        "event_at": valid_event_at,
        "channel": st.sampled_from(["phone", "sms", "email", "in_person", "video"]),
        "status": st.sampled_from(
            ["reached", "completed", "left_message", "no_answer", "declined", "scheduled"]
        ),
    },
    optional={
        "note": st.one_of(st.text(max_size=300), st.text(min_size=1000, max_size=4000)).map(
            lambda s: NOTE_MARK + s
        )
    },
)
event = st.fixed_dictionaries(
    {
        "patient_id": an_id,
        "coordinator_id": an_id,
        "event_at": event_at,
        "channel": channel,
        "status": status,
    },
    optional={"note": note},
)


@st.composite
def mutated_event(draw: st.DrawFn) -> dict:
    body = dict(draw(event))
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["drop", "retype", "extra", "server_field"]))
        names = sorted(body)
        if action == "drop" and names:
            body.pop(draw(st.sampled_from(names)))
        elif action == "retype" and names:
            body[draw(st.sampled_from(names))] = draw(json_value)
        elif action == "extra":
            body[KEY_MARK + draw(st.text(max_size=10))] = draw(json_value)
        else:
            body[draw(st.sampled_from(["record_id", "received_at"]))] = TEXT_MARK + "server"
    return body


object_body = st.one_of(valid_event, valid_event, event, mutated_event())
any_body = st.one_of(
    object_body.map(lambda b: ("object", b)),
    object_body.map(lambda b: ("object", b)),
    json_value.map(lambda v: ("json", v)),
    st.text(max_size=300).map(lambda t: ("text", TEXT_MARK + t)),
    st.binary(max_size=300).map(lambda b: ("bytes", b)),
)


def request_for(kind: str, value: object, as_base64: bool, ascii_json: bool) -> tuple[dict, bytes]:
    """(API Gateway event, the body bytes the handler should see after decoding)."""
    if kind == "bytes":
        raw = value
        return api_event(base64.b64encode(raw).decode("ascii"), is_base64=True), raw
    text = value if kind == "text" else json.dumps(value, ensure_ascii=ascii_json)
    raw = text.encode("utf-8")
    if as_base64:
        return api_event(base64.b64encode(raw).decode("ascii"), is_base64=True), raw
    return api_event(text), raw


# ---------------------------------------------------------------- the property


@pytest.fixture
def stream(mocked_aws: None, monkeypatch: pytest.MonkeyPatch):
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    monkeypatch.setenv("STREAM_NAME", STREAM)
    return kinesis


def test_reference_checks_date_time_formats():
    # Without rfc3339-validator installed, jsonschema would skip "format" and the oracle would
    # be weaker than it claims.
    assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers
    assert not REFERENCE.is_valid({**dict.fromkeys(["patient_id", "coordinator_id"], "a"), "event_at": "x"})


def test_any_body_gets_202_400_or_413_and_nothing_leaks(stream, logs):
    everything = LogCapture()  # all loggers, any level, except the AWS mock's own
    everything.addFilter(lambda record: not record.name.startswith(("moto", "werkzeug")))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(everything)
    root.setLevel(logging.DEBUG)
    accepted: list[str] = []
    seen = {202: 0, 400: 0, 413: 0}

    @settings(
        max_examples=1000,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(body=any_body, as_base64=st.booleans(), ascii_json=st.booleans())
    def check(body: tuple[str, object], as_base64: bool, ascii_json: bool) -> None:
        logs.clear()
        everything.clear()
        kind, value = body
        event, raw = request_for(kind, value, as_base64, ascii_json)

        response = intake.handler(event, FakeContext())

        status = response["statusCode"]
        assert status in (202, 400, 413)
        seen[status] += 1
        answer = json.loads(response["body"])
        if len(raw) > LIMIT:
            assert status == 413
        elif kind == "object":
            assert status == (202 if reference_accepts(value) else 400), answer
        if status == 202:
            assert uuid.UUID(answer["record_id"]).version == 4
            accepted.append(answer["record_id"])
        else:
            assert answer["errors"], answer
            for error in answer["errors"]:
                assert set(error) == {"field", "message"}
                assert error["field"] is None or isinstance(error["field"], str)
                assert isinstance(error["message"], str) and error["message"]
        for line in logs.lines + everything.lines:
            assert not any(mark in line for mark in MARKS), line
        assert len(logs.lines) == 1
        assert json.loads(logs.lines[0])["status_code"] == status

    try:
        check()
    finally:
        root.removeHandler(everything)
        root.setLevel(old_level)

    # Exactly the accepted events are on the stream: nothing lost, nothing extra.
    records = stream_records(stream, STREAM)
    assert sorted(json.loads(r["Data"])["record_id"] for r in records) == sorted(accepted)
    # The generator reaches every answer (else the property says little).
    assert all(seen.values()), seen


def test_oracle_agrees_on_hand_picked_cases():
    valid = {
        "patient_id": "MRN-1",
        "coordinator_id": "cm-007",
        "event_at": "2024-03-02T14:05:00-05:00",
        "channel": "phone",
        "status": "reached",
    }
    assert reference_accepts(valid)
    assert not reference_accepts({**valid, "note": "é" * 2049})
    assert not reference_accepts({**valid, "patient_id": "MRN-1\n"})
    assert not reference_accepts(
        {**valid, "event_at": (datetime(2024, 1, 1) + timedelta(hours=1)).isoformat()}
    )
