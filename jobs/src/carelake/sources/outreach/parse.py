"""Outreach event lines -> the bronze columns and the first broken rule (Spark column expressions)."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from carelake.sources.outreach.contract import (
    CHANNELS,
    EVENT_SCHEMA,
    IDENTIFIER_RULES,
    ISO_DATETIME_WITH_ZONE,
    MAX_NOTE_BYTES,
    REQUIRED_FIELDS,
    STATUSES,
)


def _timestamp(column: str) -> Column:
    """The contract's date-time as a UTC timestamp; null when it is not one, or when its UTC
    instant falls outside years 1-9999 (the contract's year 0000, or 0001-01-01T00:00:00+01:00)."""
    instant = F.to_timestamp(column)
    return F.when(F.col(column).rlike(ISO_DATETIME_WITH_ZONE) & F.year(instant).between(1, 9999), instant)


_STRING_FIELDS = tuple(f.name for f in EVENT_SCHEMA.fields if f.name != "_corrupt_record")


def _not_a_json_string(value: Column) -> Column:
    """The first event field whose JSON value is a number, boolean, object or array, else null.

    Spark's string-typed JSON fields accept any value (an object comes back as its JSON
    text), so the type is probed: a field that parses as a double, a boolean, a map or an
    array was not a JSON string. A numeric patient_id would otherwise become a patient.
    """
    probes = []
    for kind in ("double", "boolean", "map<string,string>", "array<string>"):
        probe = F.from_json(value, ", ".join(f"{name} {kind}" for name in _STRING_FIELDS))
        probes.extend(F.when(probe[name].isNotNull(), F.lit(name)) for name in _STRING_FIELDS)
    return F.coalesce(*probes)


def outreach_rows(lines: DataFrame) -> DataFrame:
    """JSON lines (source_file, source_line, value, landed_at, problem) -> reason + bronze columns."""
    parsed = lines.withColumn(
        "e", F.from_json("value", EVENT_SCHEMA, {"columnNameOfCorruptRecord": "_corrupt_record"})
    ).withColumn("wrong_type", _not_a_json_string(F.col("value")))
    checks = [
        F.col("problem"),
        F.when(F.trim("value") == "", F.lit("empty line")),
        F.when(
            F.col("e._corrupt_record").isNotNull() | F.col("e").isNull() | ~F.trim("value").startswith("{"),
            F.lit("unparseable JSON (one JSON object per line expected)"),
        ),
        F.when(
            F.col("wrong_type").isNotNull(), F.format_string("%s must be a JSON string", F.col("wrong_type"))
        ),
        *(
            F.when(F.col(f"e.{name}").isNull() | (F.trim(f"e.{name}") == ""), F.lit(f"missing {name}"))
            for name in REQUIRED_FIELDS
        ),
        *(
            F.when(
                ~F.col(f"e.{name}").rlike(pattern) | (F.length(f"e.{name}") > max_length),
                F.lit(
                    f"{name} is not 1 to {max_length} letters, digits, '.', '_', ':' or '-' starting with a letter or digit"
                ),
            )
            for name, pattern, max_length in IDENTIFIER_RULES
        ),
        F.when(
            _timestamp("e.event_at").isNull(),
            F.format_string("bad date in event_at: '%s' (ISO-8601 with zone expected)", F.col("e.event_at")),
        ),
        F.when(
            F.col("e.received_at").isNotNull() & _timestamp("e.received_at").isNull(),
            F.format_string("bad date in received_at: '%s'", F.col("e.received_at")),
        ),
        F.when(
            ~F.col("e.channel").isin(*CHANNELS), F.format_string("unknown channel '%s'", F.col("e.channel"))
        ),
        F.when(~F.col("e.status").isin(*STATUSES), F.format_string("unknown status '%s'", F.col("e.status"))),
        F.when(F.octet_length("e.note") > MAX_NOTE_BYTES, F.lit(f"note longer than {MAX_NOTE_BYTES} bytes")),
    ]
    return parsed.select(
        F.coalesce(*checks).alias("reason"),
        F.col("e.record_id").alias("record_id"),
        F.col("e.patient_id").alias("patient_id"),
        F.col("e.coordinator_id").alias("coordinator_id"),
        _timestamp("e.event_at").alias("event_at"),
        F.to_date(F.substring("e.event_at", 1, 10)).alias("event_local_date"),
        F.col("e.channel").alias("channel"),
        F.col("e.status").alias("status"),
        F.col("e.note").alias("note"),
        _timestamp("e.received_at").alias("received_at"),
        "source_file",
        "source_line",
        "landed_at",
        F.col("value").alias("raw_line"),
    )
