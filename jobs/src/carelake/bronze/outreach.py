"""Care-manager outreach events (JSON lines written by Firehose) -> bronze.outreach_event.

The intake Lambda validates events before they reach Kinesis, but raw is what Firehose
wrote: it is validated again here with the same rules (docs/data-contracts.md), so a
record that slipped through, or was written by anything else, lands in quarantine.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

TABLE = "outreach_event"
CHANNELS = ("phone", "sms", "email", "in_person", "video")
STATUSES = ("reached", "completed", "left_message", "no_answer", "declined", "scheduled")
SUCCESSFUL_STATUSES = ("reached", "completed")
MAX_NOTE_BYTES = 4096
_ISO_WITH_ZONE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"
_REQUIRED = ("record_id", "patient_id", "coordinator_id", "event_at", "channel", "status")

_EVENT_SCHEMA = T.StructType(
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


def _timestamp(column: str) -> Column:
    return F.when(F.col(column).rlike(_ISO_WITH_ZONE), F.to_timestamp(column))


def outreach_rows(lines: DataFrame) -> DataFrame:
    """JSON lines (source_file, source_line, value, landed_at) -> reason + bronze columns."""
    parsed = lines.withColumn(
        "e", F.from_json("value", _EVENT_SCHEMA, {"columnNameOfCorruptRecord": "_corrupt_record"})
    )
    checks = [
        F.when(F.trim("value") == "", F.lit("empty line")),
        F.when(
            F.col("e._corrupt_record").isNotNull() | F.col("e").isNull() | ~F.trim("value").startswith("{"),
            F.lit("unparseable JSON (one JSON object per line expected)"),
        ),
        *(
            F.when(F.col(f"e.{name}").isNull() | (F.trim(f"e.{name}") == ""), F.lit(f"missing {name}"))
            for name in _REQUIRED
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
