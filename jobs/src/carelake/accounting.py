"""Every job accounts for every input row: read = written + quarantined + deduplicated.

(Only jobs that merge versions of the same record, like bronze_to_silver, deduplicate.)

Quarantined records go to one table, ``quarantine.quarantined_record`` (partitioned by
job and dt), with their source file, line or entry index and reason. Each job run adds
one row to ``quarantine.job_run`` with its counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.config import join_uri
from carelake.health import write_run_report
from carelake.lake_io import delete_path, partition_uri, write_partitions
from carelake.runtime import JobRun

QUARANTINE_TABLE = "quarantined_record"
JOB_RUN_TABLE = "job_run"

QUARANTINE_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),  # ehr_fhir, ehr_csv, partner_claims, ...
        T.StructField("source_file", T.StringType(), True),  # relative to the raw zone
        T.StructField("source_line", T.IntegerType(), True),  # 1-based line in the file
        T.StructField("source_entry", T.IntegerType(), True),  # 0-based Bundle entry
        T.StructField("target_table", T.StringType(), True),  # where the record would have gone
        T.StructField("reason", T.StringType(), False),
        T.StructField("record", T.StringType(), True),  # the raw text of the record
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)

JOB_RUN_SCHEMA = T.StructType(
    [
        T.StructField("run_id", T.StringType(), False),
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


def replace_partition(df: DataFrame, table_uri: str, partition: dict[str, str], rows: int) -> None:
    """Make ``table_uri``'s partition hold exactly ``df`` (rows = its row count, known already).

    An empty result removes the partition, so a rerun never leaves stale rows behind.
    """
    if rows == 0:
        delete_path(df.sparkSession, partition_uri(table_uri, **partition))
        return
    with_partition = df.select("*", *(F.lit(v).alias(k) for k, v in partition.items()))
    write_partitions(with_partition, table_uri, list(partition))


def write_quarantine(quarantine: DataFrame, quarantine_uri: str, job: str, dt: str, rows: int) -> None:
    ordered = quarantine.select(*(F.col(f.name).cast(f.dataType) for f in QUARANTINE_SCHEMA.fields))
    replace_partition(ordered, join_uri(quarantine_uri, QUARANTINE_TABLE), {"job": job, "dt": dt}, rows)


def _map_literal(values: dict[str, int]):  # type: ignore[no-untyped-def]
    pairs = [F.lit(x) for key, value in sorted(values.items()) for x in (key, value)]
    return F.create_map(*pairs).cast(T.MapType(T.StringType(), T.LongType()))


def write_run_record(
    spark: SparkSession, quarantine_uri: str, run: JobRun, dt: str, counts: RunCounts
) -> None:
    """Append this run's counts to quarantine.job_run (one row per run).

    The row is built from literals (not createDataFrame from Python objects), which
    avoids a Python round trip per run.
    """
    values = {
        "run_id": F.lit(run.run_id),
        "started_at": F.lit(run.started_at),
        "finished_at": F.lit(datetime.now(UTC)),
        "rows_read": F.lit(counts.rows_read),
        "rows_written": F.lit(counts.rows_written),
        "rows_quarantined": F.lit(counts.rows_quarantined),
        "rows_deduplicated": F.lit(counts.rows_deduplicated),
        "rows_written_by_table": _map_literal(counts.written),
        "rows_quarantined_by_table": _map_literal(counts.quarantined),
        "rows_deduplicated_by_table": _map_literal(counts.deduplicated),
        "metrics": _map_literal(counts.metrics),
    }
    record = spark.range(1).select(
        *(values[f.name].cast(f.dataType).alias(f.name) for f in JOB_RUN_SCHEMA.fields),
        F.lit(run.name).alias("job"),
        F.lit(dt).alias("dt"),
    )
    record.coalesce(1).write.mode("append").partitionBy("job", "dt").parquet(
        join_uri(quarantine_uri, JOB_RUN_TABLE)
    )
    write_run_report(spark, quarantine_uri, run, dt, counts)  # the pipeline-health check's input
