"""Reading silver for silver_to_gold, writing gold with its counts and dq_summary, the alert feed."""

from __future__ import annotations

import json
from collections.abc import Mapping

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from carelake import registry
from carelake.gold.build import GoldOutput
from carelake.gold.inputs import SILVER_INPUTS, conform_input
from carelake.gold.quality import CheckedTable, dq_summary, silver_dq_keys
from carelake.gold.schemas import ALERT_FEED_PATH
from carelake.health import dq_issue_metric
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState
from carelake.lake.storage import join, storage_for
from carelake.pipeline.accounting import JOB_RUN, RunCounts
from carelake.pipeline.writer import RunWriter
from carelake.runtime import CACHE_LEVEL

ALERT_FEED_COUNT_KEY = "alert_feed_high_risk"
ALERT_FEED_FILE = "feed.jsonl"


def read_silver(spark: SparkSession, state: LakeState) -> dict[str, DataFrame]:
    """The silver columns gold reads (carelake.gold.inputs), current versions; empty when absent."""
    return {
        name: conform_input(read_version(spark, state.version(registry.table(f"silver.{name}"))), name)
        for name in SILVER_INPUTS
    }


def silver_checked(spark: SparkSession, state: LakeState) -> list[CheckedTable]:
    """Every silver table with its key (dq_summary)."""
    checked = []
    for name, keys in sorted(silver_dq_keys().items()):
        frame = read_version(spark, state.version(registry.table(f"silver.{name}"))).select(*keys)
        checked.append(CheckedTable("silver", name, frame, keys))
    return checked


def write_gold(output: GoldOutput, writer: RunWriter, state: LakeState) -> tuple[RunCounts, list[dict]]:
    """Write every gold table (complete snapshot), then dq_summary computed on the written tables;
    returns the run's counts (every row written is a row read: gold tables are derived, nothing is
    deduplicated or quarantined here) and the alert feed's rows."""
    spark = writer.spark
    for frame in output.shared:
        frame.persist(CACHE_LEVEL)
    counts = RunCounts()
    for name, table in output.tables.items():
        n = writer.write(registry.table(f"gold.{name}"), table)
        counts.add(RunCounts(rows_read=n, written={name: n}))

    gold = registry.zone_tables("gold")
    gold_checked = [
        CheckedTable("gold", name, read_version(spark, writer.written_version(gold[name])), gold[name].key)
        for name in output.tables
    ]
    summary = dq_summary(
        spark,
        silver_checked(spark, state),
        gold_checked,
        read_version(spark, state.version(JOB_RUN)),
        writer.run_id,
        writer.started_at,
        writer.job,
    ).coalesce(1)
    n = writer.write(gold["dq_summary"], summary)
    counts.add(RunCounts(rows_read=n, written={"dq_summary": n}))
    checked = (
        read_version(spark, writer.written_version(gold["dq_summary"]))
        .select("zone", "table_name", "row_count", "key_null_rate", "duplicate_keys")
        .collect()
    )
    for row in checked:
        if row["zone"] == "silver":
            counts.metrics[f"silver_rows:{row['table_name']}"] = row["row_count"]
    counts.metrics.update(dq_issue_metrics(checked))

    feed = [row.asDict() for row in output.alert_feed.collect()]
    counts.add(RunCounts(rows_read=len(feed), written={ALERT_FEED_COUNT_KEY: len(feed)}))
    counts.metrics.update(
        _metrics({name: read_version(spark, writer.written_version(gold[name])) for name in output.tables})
    )
    for frame in output.shared:
        frame.unpersist()
    return counts, feed


def write_alert_feed(gold_uri: str, batch: str, rows: list[Mapping]) -> str:
    """gold/alert_feed/high_risk/dt=<batch>/feed.jsonl: one object, written in one step (a reader sees
    the old feed or the new one), every key present (null when unknown), sorted by patient_key.
    An empty feed is still written, so the risk-alert Lambda, which reads the latest dt, sees
    today's (empty) feed instead of yesterday's."""
    uri = join(gold_uri, ALERT_FEED_PATH, f"dt={batch}", ALERT_FEED_FILE)
    text = "".join(json.dumps(dict(row), sort_keys=False, default=str) + "\n" for row in rows)
    storage_for(uri).write_bytes(uri, text.encode("utf-8"))
    return uri


def dq_issue_metrics(checked: list) -> dict[str, int]:  # type: ignore[type-arg]
    """dq_summary's failed key checks as run metrics (carelake.health: the run report's dq_issues):
    rows with a key column null, and rows in excess of a unique key."""
    issues = {}
    for r in checked:
        null_rows = round((r["key_null_rate"] or 0) * (r["row_count"] or 0))
        if null_rows:
            issues[dq_issue_metric(r["zone"], r["table_name"], "key_not_null")] = null_rows
        if r["duplicate_keys"]:
            issues[dq_issue_metric(r["zone"], r["table_name"], "key_unique")] = int(r["duplicate_keys"])
    return issues


def _metrics(written: dict[str, DataFrame]) -> dict[str, int]:
    """A few numbers worth watching run to run (read back from the written tables)."""
    row = (
        written["fact_treatment"].agg(F.count(F.when(F.col("patient_key").isNull(), 1)).alias("a"))
        .crossJoin(written["dim_provider"].agg(F.count(F.when(F.col("is_inferred"), 1)).alias("b")))
        .crossJoin(written["patient_risk"].agg(F.count("*").alias("c")))
        .crossJoin(written["dim_diagnosis"].agg(F.count(F.when(F.col("icd10cm_code").isNull(), 1)).alias("d")))
        .first()
    )  # fmt: skip
    return {
        "fact_treatment_patient_unresolved": int(row["a"]),
        "dim_provider_inferred": int(row["b"]),
        "patients_scored": int(row["c"]),
        "dim_diagnosis_unmapped": int(row["d"]),
    }
