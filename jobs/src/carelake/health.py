"""Every job run's report, for the pipeline-health check (lambdas/pipeline_health).

At the end of a run the job writes one small JSON document beside its run record:

    <quarantine_uri>/run_report/job=<job>/dt=<batch>/<run_id>.json

    {"job", "run_id", "batch", "started_at", "finished_at", "rows_read",
     "rows_written": {table: n}, "rows_quarantined": {table: n},
     "quarantined_by_reason": {reason_or_rule: n},
     "dq_issues": [{"zone", "table", "check", "count"}]}

The object landing in S3 triggers the health check, which raises a pipeline notice when a
data-quality check failed or a table's quarantine rate passed its threshold (docs/runbook.md,
"pipeline_health"). The report names tables, rules and counts, never a record's values: a
quarantine reason quotes the offending value (``column zip: '0211' is not ...``), so every
quoted part is masked before it is counted. Timestamps are UTC, ISO 8601 with ``Z``.

DQ issues come from the run's metrics, under keys ``dq_issue:<zone>.<table>:<check>``
(:func:`dq_issue_metric`): a job that checks its output adds one per failed check.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from carelake.config import join_uri

if TYPE_CHECKING:
    from carelake.accounting import RunCounts
    from carelake.runtime import JobRun

RUN_REPORT_TABLE = "run_report"
DQ_ISSUE_PREFIX = "dq_issue:"
MASK = "'…'"
# From the first to the last single quote of a reason: every quoted value (and whatever quotes a
# value itself holds, as in O'Brien) becomes one mask.
QUOTED = r"(?s)'.*'"


def dq_issue_metric(zone: str, table: str, check: str) -> str:
    """The metrics key of a failed data-quality check (its value is the count of bad rows)."""
    return f"{DQ_ISSUE_PREFIX}{zone}.{table}:{check}"


def dq_issues(metrics: dict[str, int]) -> list[dict[str, Any]]:
    """The report's dq_issues from a run's metrics, sorted; checks that found nothing are left out."""
    issues = []
    for key, count in sorted(metrics.items()):
        if not key.startswith(DQ_ISSUE_PREFIX) or count <= 0:
            continue
        location, _, check = key[len(DQ_ISSUE_PREFIX) :].rpartition(":")
        zone, _, table = location.partition(".")
        issues.append({"zone": zone, "table": table, "check": check, "count": int(count)})
    return issues


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_report(
    run: JobRun, batch: str, counts: RunCounts, finished_at: datetime, quarantined_by_reason: dict[str, int]
) -> dict[str, Any]:
    """The report document (the contract above), keys in contract order."""
    return {
        "job": run.name,
        "run_id": run.run_id,
        "batch": batch,
        "started_at": utc_text(run.started_at),
        "finished_at": utc_text(finished_at),
        "rows_read": counts.rows_read,
        "rows_written": dict(sorted(counts.written.items())),
        "rows_quarantined": dict(sorted(counts.quarantined.items())),
        "quarantined_by_reason": dict(sorted(quarantined_by_reason.items())),
        "dq_issues": dq_issues(counts.metrics),
    }


def run_report_uri(quarantine_uri: str, job: str, batch: str, run_id: str) -> str:
    return join_uri(quarantine_uri, RUN_REPORT_TABLE, f"job={job}", f"dt={batch}", f"{run_id}.json")


def quarantined_by_reason(spark: SparkSession, quarantine_uri: str, job: str, batch: str) -> dict[str, int]:
    """This run's quarantined records (its job and dt partition) counted by reason, every quoted
    value masked; {} when the run quarantined nothing (the partition is absent)."""
    from carelake.accounting import QUARANTINE_TABLE  # accounting calls this module
    from carelake.lake_io import list_files, partition_uri

    partition = partition_uri(join_uri(quarantine_uri, QUARANTINE_TABLE), job=job, dt=batch)
    if not list_files(spark, partition):
        return {}
    rows = (
        spark.read.parquet(partition)
        .groupBy(F.regexp_replace("reason", QUOTED, MASK).alias("reason"))
        .count()
        .collect()
    )
    return {row["reason"]: int(row["count"]) for row in rows}


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Write one small UTF-8 file through Hadoop's FileSystem (s3:// on Glue, a path locally),
    replacing it if it exists."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    stream = fs.create(path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


def write_run_report(
    spark: SparkSession, quarantine_uri: str, run: JobRun, batch: str, counts: RunCounts
) -> str:
    """Write the run's report (see the module docstring); returns its URI."""
    report = run_report(
        run, batch, counts, datetime.now(UTC), quarantined_by_reason(spark, quarantine_uri, run.name, batch)
    )
    uri = run_report_uri(quarantine_uri, run.name, batch, run.run_id)
    write_text(spark, uri, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    return uri
