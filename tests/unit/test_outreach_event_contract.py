"""The outreach event contract (jobs/src/carelake/contracts/outreach_event.schema.json): the
event_at strings it accepts and rejects, checked with the intake Lambda's validator.

The intake API and bronze must accept exactly the same events. EVENT_AT_ACCEPTED and
EVENT_AT_REJECTED are the cases for both sides: bronze's checks, derived from the same schema,
are pointed at these lists too (docs/data-contracts.md, "Outreach event")."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from carelake.contracts import load_schema
from carelake.pipeline.raw_files import LINE_SCHEMA
from carelake.sources.outreach.parse import outreach_rows
from tests.lambdas.lambda_testkit import load_handler

EVENT_AT_ACCEPTED = [
    "2024-03-02T14:05:00Z",
    "2024-03-02T14:05:00-05:00",
    "2024-03-02T14:05:00+00:00",
    "2024-03-02T14:05:00-00:00",  # RFC 3339: UTC, local offset unknown
    "2024-03-02T14:05:00.5Z",
    "2024-03-02T14:05:00.123456789+05:30",  # nine fraction digits: nanoseconds
    "2024-02-29T23:59:59-12:00",  # leap day
    "2024-03-02T14:05:00+14:00",  # the largest offset in use (Kiribati)
    "2024-03-02T14:05:00-14:00",
    "1999-12-31T23:59:59+13:45",  # Chatham Islands, daylight time
]

EVENT_AT_REJECTED = [
    pytest.param("2024-03-02t14:05:00Z", id="lower-case-t"),
    pytest.param("2024-03-02T14:05:00z", id="lower-case-z"),
    pytest.param("2024-03-02t14:05:00z", id="lower-case-t-and-z"),
    pytest.param("2024-03-02T14:05:00", id="no-offset"),
    pytest.param("2024-03-02", id="date-only"),
    pytest.param("2024-03-02 14:05:00Z", id="space-separator"),
    pytest.param("2024-03-02T14:05Z", id="no-seconds"),
    pytest.param("20240302T140500Z", id="iso-basic-format"),
    pytest.param("+2024-03-02T14:05:00Z", id="signed-year"),
    pytest.param("0000-03-02T14:05:00Z", id="year-0"),
    pytest.param("2024-13-02T14:05:00Z", id="month-13"),
    pytest.param("2024-02-30T10:00:00Z", id="february-30"),
    pytest.param("2023-02-29T10:00:00Z", id="not-a-leap-year"),
    pytest.param("2024-03-02T24:00:00Z", id="hour-24"),
    pytest.param("2024-03-02T14:60:00Z", id="minute-60"),
    pytest.param("2024-03-02T14:05:60Z", id="leap-second"),
    pytest.param("2024-03-02T14:05:00+14:01", id="offset-past-14h"),
    pytest.param("2024-03-02T14:05:00+15:00", id="offset-15h"),
    pytest.param("2024-03-02T14:05:00+24:00", id="offset-24h"),
    pytest.param("2024-03-02T14:05:00+05:60", id="offset-minute-60"),
    pytest.param("2024-03-02T14:05:00+0500", id="offset-without-colon"),
    pytest.param("2024-03-02T14:05:00+05", id="offset-hours-only"),
    pytest.param("2024-03-02T14:05:00.Z", id="empty-fraction"),
    pytest.param("2024-03-02T14:05:00.1234567890Z", id="ten-fraction-digits"),
    pytest.param("2024-03-02T14:05:00,5Z", id="comma-fraction"),
    pytest.param("2024-03-02T14:05:00Z\n", id="trailing-newline"),
    pytest.param(" 2024-03-02T14:05:00Z", id="leading-space"),
    pytest.param("２０２４-03-02T14:05:00Z", id="full-width-digits"),
    pytest.param("", id="empty"),
    pytest.param("yesterday", id="words"),
    pytest.param(1709388300, id="epoch-number"),
    pytest.param(None, id="null"),
]

VALID = {
    "patient_id": "MRN-0001234",
    "coordinator_id": "cm-007",
    "event_at": "2024-03-02T14:05:00-05:00",
    "channel": "phone",
    "status": "reached",
}


# Loaded from a folder laid out like its zip: the contract file beside handler.py.
intake = load_handler("outreach_intake")


def event_at_errors(value: object) -> list[str]:
    return [e.message for e in intake.validate_event({**VALID, "event_at": value}) if e.field == "event_at"]


@pytest.mark.parametrize("event_at", EVENT_AT_ACCEPTED)
def test_the_contract_accepts(event_at: str) -> None:
    assert event_at_errors(event_at) == []


@pytest.mark.parametrize("event_at", EVENT_AT_REJECTED)
def test_the_contract_rejects(event_at: object) -> None:
    assert len(event_at_errors(event_at)) == 1


def test_the_lambda_validates_against_the_package_contract() -> None:
    assert load_schema() == intake.SCHEMA
    assert set(load_schema()["required"]) == {"patient_id", "coordinator_id", "event_at", "channel", "status"}


def test_event_at_pattern_is_a_java_regex_too() -> None:
    """bronze applies the pattern with Spark's rlike (Java regex): it must mean the same there,
    so it uses only what both dialects share (no \\d, which is Unicode-aware in Python), and its
    final '$' is ECMA's end of input, which Java spells '\\z' (Java's '$' also matches before a
    final newline: the trailing-newline case above)."""
    pattern = load_schema()["properties"]["event_at"]["pattern"]
    assert "\\d" not in pattern and "\\w" not in pattern and "(?" not in pattern
    assert pattern.startswith("^") and pattern.endswith("$")


def bronze_rows(spark, events: list[dict]) -> list:
    """What bronze makes of one Firehose line per event (carelake.sources.outreach.parse)."""
    lines = [("f.json", datetime(2024, 3, 3), i + 1, json.dumps(e), None) for i, e in enumerate(events)]
    rows = outreach_rows(spark.createDataFrame(lines, LINE_SCHEMA)).orderBy("source_line")
    return rows.select("record_id", "reason").collect()  # a rejected value may be no Python datetime


def bronze_reasons(spark, values: list[object]) -> list[str | None]:
    """Bronze's first broken rule for one line per event_at value (None: accepted)."""
    events = [{**VALID, "record_id": f"r-{i}", "event_at": v} for i, v in enumerate(values)]
    return [row["reason"] for row in bronze_rows(spark, events)]


@pytest.mark.spark
def test_bronze_accepts_and_rejects_the_same_event_at(spark) -> None:
    rejected = [p.values[0] for p in EVENT_AT_REJECTED]
    reasons = bronze_reasons(spark, [*EVENT_AT_ACCEPTED, *rejected])
    assert reasons[: len(EVENT_AT_ACCEPTED)] == [None] * len(EVENT_AT_ACCEPTED)
    wrong = [v for v, r in zip(rejected, reasons[len(EVENT_AT_ACCEPTED) :], strict=True) if r is None]
    assert wrong == []


@pytest.mark.spark
def test_bronze_applies_the_identifier_patterns(spark) -> None:
    events = [
        {**VALID, "record_id": "ok"},
        {**VALID, "record_id": "space", "patient_id": "MRN 1"},
        {**VALID, "record_id": "long", "coordinator_id": "c" * 65},
        {**VALID, "record_id": "newline", "patient_id": "MRN-1\n"},
    ]
    rows = bronze_rows(spark, events)
    assert [(r["record_id"], (r["reason"] or "").split(" ")[0]) for r in rows] == [
        ("ok", ""), ("space", "patient_id"), ("long", "coordinator_id"), ("newline", "patient_id"),
    ]  # fmt: skip
    for name in ("patient_id", "coordinator_id"):  # the intake Lambda agrees on each
        assert intake.validate_event({**VALID, name: "MRN 1"}) != []
