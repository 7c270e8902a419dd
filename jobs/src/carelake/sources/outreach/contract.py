"""Care-management outreach feed: events Firehose lands as JSON lines, and their bronze table.

The intake Lambda validates events before they reach Kinesis, but raw is what Firehose
wrote: it is validated again (carelake.sources.outreach.parse) with the same rules, read from
the one contract (carelake.contracts: outreach_event.schema.json, docs/data-contracts.md), so a
record that slipped through, or was written by anything else, lands in quarantine.
"""

from __future__ import annotations

from pyspark.sql import types as T

from carelake.contracts import load_schema
from carelake.declarations import Classification, FileKind, RawSource, Table

SOURCE = "care_mgmt"  # quarantine.quarantined_record.source
RAW = RawSource(
    name=SOURCE,
    description="Care-manager outreach events from the intake API, as Firehose writes them (JSON lines, .gz allowed).",
    job="raw_to_bronze",
    prefix="care_mgmt",
    layout="dt=<YYYY-MM-DD>/<any file name>",
    path_pattern=r"dt=(?P<dt>\d{4}-\d{2}-\d{2})/.+",
    formats={"": FileKind.LINES},
    expected_every_hours=26,
)
TABLE = "outreach_event"
_CONTRACT = load_schema()
_FIELDS = _CONTRACT["properties"]


def java_pattern(pattern: str) -> str:
    """A contract pattern for Spark's rlike: its final ``$`` (ECMA-262: the very end of input)
    is Java's ``\\z`` (Java's ``$`` also matches before a final newline)."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        raise ValueError(f"contract pattern {pattern!r} is not anchored at both ends")
    return pattern[:-1] + r"\z"


CHANNELS = tuple(_FIELDS["channel"]["enum"])
STATUSES = tuple(_FIELDS["status"]["enum"])
SUCCESSFUL_STATUSES = ("reached", "completed")
MAX_NOTE_BYTES = int(_FIELDS["note"]["x-maxUtf8Bytes"])
ISO_DATETIME_WITH_ZONE = java_pattern(_FIELDS["event_at"]["pattern"])
# Identifier fields: (name, Java pattern, max length in characters), in contract order.
IDENTIFIER_RULES = tuple(
    (name, java_pattern(_FIELDS[name]["pattern"]), int(_FIELDS[name]["maxLength"]))
    for name in ("patient_id", "coordinator_id")
)
# record_id is added by the intake Lambda (a client may not send it), so bronze requires it too.
REQUIRED_FIELDS = ("record_id", *_CONTRACT["required"])

EVENT_SCHEMA = T.StructType(
    [
        T.StructField(name, T.StringType(), True)
        for name in (
            "record_id",
            "patient_id",
            "coordinator_id",
            "event_at",
            "channel",
            "status",
            "note",
            "received_at",
            "_corrupt_record",
        )
    ]
)

BRONZE_OUTREACH_SCHEMA = T.StructType(
    [
        T.StructField("record_id", T.StringType(), False),
        T.StructField("patient_id", T.StringType(), False),  # the EHR MRN
        T.StructField("coordinator_id", T.StringType(), False),
        T.StructField("event_at", T.TimestampType(), False),  # UTC
        T.StructField("event_local_date", T.DateType(), False),  # the calendar day where it happened
        T.StructField("channel", T.StringType(), False),
        T.StructField("status", T.StringType(), False),
        T.StructField("note", T.StringType(), True),  # PHI free text
        T.StructField("received_at", T.TimestampType(), True),
        T.StructField("source_file", T.StringType(), True),
        T.StructField("source_line", T.IntegerType(), True),
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)


TABLES: tuple[Table, ...] = (
    Table(
        "bronze", TABLE, "Care-manager outreach events as Firehose landed them, validated.",
        BRONZE_OUTREACH_SCHEMA, classification=Classification.PHI, direct_identifiers=("patient_id", "note"),
        partition_keys=("dt",),
    ),
)  # fmt: skip
