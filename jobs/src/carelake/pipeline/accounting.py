"""Every job accounts for every input row: read = written + quarantined + deduplicated.

(Only jobs that merge versions of the same record, like bronze_to_silver, deduplicate.)

The operational tables every job writes, in the quarantine zone, partitioned by job and
batch (dt): ``quarantined_record`` (each record a job could not accept, with its source
file, line or entry, the reason and the rule), ``job_run`` (one row per run with its
counts) and ``raw_object`` (the ledger: every raw object an ingest job processed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.declarations import Classification, Table, schema

QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),  # ehr_fhir, ehr_csv, partner_claims, ..., silver
        T.StructField("source_file", T.StringType(), True),  # relative to the raw zone
        T.StructField("source_line", T.IntegerType(), True),  # 1-based line in the file
        T.StructField("source_entry", T.IntegerType(), True),  # 0-based Bundle entry
        T.StructField("target_table", T.StringType(), True),  # where the record would have gone
        T.StructField("reason", T.StringType(), False),
        T.StructField(
            "rule", T.StringType(), True
        ),  # the plausibility rule that failed (null: a parse problem)
        T.StructField("record", T.StringType(), True),  # the raw text of the record
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)

JOB_RUN_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
        T.StructField("commit_seq", T.LongType(), False),
        T.StructField("started_at", T.TimestampType(), False),
        T.StructField("finished_at", T.TimestampType(), False),
        T.StructField("rows_read", T.LongType(), False),
        T.StructField("rows_written", T.LongType(), False),
        T.StructField("rows_quarantined", T.LongType(), False),
        T.StructField("rows_deduplicated", T.LongType(), False),
        T.StructField("rows_written_by_table", T.MapType(T.StringType(), T.LongType()), False),
        T.StructField("rows_quarantined_by_table", T.MapType(T.StringType(), T.LongType()), False),
        T.StructField("rows_deduplicated_by_table", T.MapType(T.StringType(), T.LongType()), False),
        T.StructField("metrics", T.MapType(T.StringType(), T.LongType()), False),
    ]
)


class AccountingError(RuntimeError):
    """Rows were lost or invented: read != written + quarantined + deduplicated."""


@dataclass
class RunCounts:
    rows_read: int = 0
    written: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    deduplicated: dict[str, int] = field(default_factory=dict)  # older versions of the same key
    metrics: dict[str, int] = field(default_factory=dict)

    @property
    def rows_written(self) -> int:
        return sum(self.written.values())

    @property
    def rows_quarantined(self) -> int:
        return sum(self.quarantined.values())

    @property
    def rows_deduplicated(self) -> int:
        return sum(self.deduplicated.values())

    def add(self, other: RunCounts) -> None:
        self.rows_read += other.rows_read
        for mine, theirs in ((self.written, other.written), (self.quarantined, other.quarantined),
                             (self.deduplicated, other.deduplicated), (self.metrics, other.metrics)):  # fmt: skip
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value

    def check(self, job: str) -> None:
        if self.rows_read != self.rows_written + self.rows_quarantined + self.rows_deduplicated:
            raise AccountingError(
                f"{job}: read {self.rows_read} rows but wrote {self.rows_written}, quarantined "
                f"{self.rows_quarantined} and removed {self.rows_deduplicated} older duplicates"
            )


LEDGER_SCHEMA = schema(
    "object_key string, source string, size bigint, checksum string, landed_at timestamp, replaced_checksum string",
)

_OPERATIONAL = ("job", "dt")
QUARANTINED_RECORD = Table(
    "quarantine", "quarantined_record",
    "Records a job could not accept, with source location, reason and the rule that failed.",
    QUARANTINE_SCHEMA, classification=Classification.PHI, direct_identifiers=("record",), partition_keys=_OPERATIONAL,
)  # fmt: skip
JOB_RUN = Table(
    "quarantine", "job_run", "One row per job run: rows read, written, quarantined and deduplicated, per table.",
    JOB_RUN_SCHEMA, classification=Classification.NON_PHI, partition_keys=_OPERATIONAL,
)  # fmt: skip
RAW_OBJECT = Table(
    "quarantine", "raw_object",
    "The ledger: every raw object an ingest job processed, in which batch (dt), with its size and checksum.",
    LEDGER_SCHEMA, key=("object_key", "checksum"), classification=Classification.NON_PHI, partition_keys=_OPERATIONAL,
)  # fmt: skip
TABLES = (QUARANTINED_RECORD, JOB_RUN, RAW_OBJECT)


def quarantine_rows(
    frame: DataFrame,
    *,
    source: str | Column,
    reason: Column,
    target_table: str | Column | None,
    record: Column,
    rule: Column | None = None,
    source_file: Column | None = None,
    source_line: Column | None = None,
    source_entry: Column | None = None,
    landed_at: Column | None = None,
) -> DataFrame:
    """The one quarantine builder: ``frame``'s rows as quarantined_record rows.

    Location columns default to the frame's own source_file / source_line / source_entry /
    landed_at when it has them.
    """

    def own(name: str, given: Column | None, data_type: T.DataType) -> Column:
        if given is not None:
            return given.cast(data_type)
        return (F.col(name) if name in frame.columns else F.lit(None)).cast(data_type)

    def value(given: str | Column | None) -> Column:
        return given if isinstance(given, Column) else F.lit(given)

    return frame.select(
        value(source).cast("string").alias("source"),
        own("source_file", source_file, T.StringType()).alias("source_file"),
        own("source_line", source_line, T.IntegerType()).alias("source_line"),
        own("source_entry", source_entry, T.IntegerType()).alias("source_entry"),
        value(target_table).cast("string").alias("target_table"),
        reason.cast("string").alias("reason"),
        (rule if rule is not None else F.lit(None)).cast("string").alias("rule"),
        record.cast("string").alias("record"),
        own("landed_at", landed_at, T.TimestampType()).alias("landed_at"),
    )


def counts_from(
    written: Mapping[str, int],
    quarantined: Mapping[str, int],
    read: int,
    deduplicated: Mapping[str, int] | None = None,
) -> RunCounts:
    return RunCounts(
        rows_read=read,
        written=dict(written),
        quarantined={k: v for k, v in quarantined.items() if v},
        deduplicated={k: v for k, v in (deduplicated or {}).items() if v},
    )
