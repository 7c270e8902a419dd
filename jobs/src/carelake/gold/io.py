"""Reading silver for silver_to_gold and writing gold with its counts and dq_summary."""

from __future__ import annotations

from datetime import date, timedelta

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.accounting import JOB_RUN_SCHEMA, JOB_RUN_TABLE, RunCounts
from carelake.config import join_uri
from carelake.gold.build import GoldOutput
from carelake.gold.inputs import SILVER_INPUTS, conform_input
from carelake.gold.quality import CheckedTable, dq_summary, silver_dq_keys
from carelake.gold.schemas import ALERT_FEED_PATH, GOLD_KEYS, GOLD_SCHEMAS
from carelake.health import dq_issue_metric
from carelake.lake_io import delete_path, partition_uri
from carelake.runtime import JobRun
from carelake.silver import treatments
from carelake.silver.common import read_table

ALERT_FEED_COUNT_KEY = "alert_feed_high_risk"


def current_treatments(spark: SparkSession, silver_uri: str, dt: str) -> DataFrame:
    """fct_treatment as committed by the latest treatments_to_silver run with a dt on or before
    ``dt`` (its etl_tracker row; the version's row count is checked), so a rerun of an old dt
    reads the same version. Empty before the first run."""
    next_day = (date.fromisoformat(dt) + timedelta(days=1)).isoformat()
    state = treatments.read_tracker_state(spark, silver_uri, next_day)
    return treatments.read_version(spark, silver_uri, state)


def read_silver(spark: SparkSession, silver_uri: str, dt: str) -> dict[str, DataFrame]:
    """The silver columns gold reads (carelake.gold.inputs), every table; empty when absent."""
    frames = {
        name: conform_input(read_table(spark, silver_uri, name, schema), name)
        for name, schema in SILVER_INPUTS.items()
        if name != treatments.FCT_TABLE
    }
    frames[treatments.FCT_TABLE] = conform_input(
        current_treatments(spark, silver_uri, dt), treatments.FCT_TABLE
    )
    return frames


def _key_frame(spark: SparkSession, zone_uri: str, table: str, keys: tuple[str, ...]) -> DataFrame:
    empty = T.StructType([T.StructField(k, T.StringType(), True) for k in keys])
    return read_table(spark, zone_uri, table, empty).select(*keys)


def silver_checked(spark: SparkSession, silver_uri: str, silver: dict[str, DataFrame]) -> list[CheckedTable]:
    """Every silver table with its key (dq_summary); fct_treatment as the version gold read."""
    checked = []
    for name, keys in sorted(silver_dq_keys().items()):
        frame = silver[name] if name == treatments.FCT_TABLE else _key_frame(spark, silver_uri, name, keys)
        checked.append(CheckedTable("silver", name, frame.select(*keys), keys))
    return checked


def read_run_records(spark: SparkSession, quarantine_uri: str) -> DataFrame:
    schema = T.StructType(
        [*JOB_RUN_SCHEMA.fields, T.StructField("job", T.StringType()), T.StructField("dt", T.StringType())]
    )
    return read_table(spark, quarantine_uri, JOB_RUN_TABLE, schema)


def write_alert_feed(feed: DataFrame, gold_uri: str, dt: str, rows: int) -> None:
    """Replace gold/alert_feed/high_risk/dt=<dt>/ with the feed as JSON lines: one file, sorted by
    patient_key, every key written (nulls as null), so a rerun of dt writes the same content.

    Rows: dynamic partition overwrite of the dt partition. No rows: the partition still gets
    one empty file, so the risk-alert Lambda, which reads the latest dt, sees today's (empty)
    feed instead of falling back to yesterday's.
    """
    table_uri = join_uri(gold_uri, ALERT_FEED_PATH)
    one_file = feed.coalesce(1).sortWithinPartitions("patient_key")
    writer_options = {"ignoreNullFields": "false"}
    if rows == 0:
        delete_path(feed.sparkSession, partition_uri(table_uri, dt=dt))
        one_file.write.mode("overwrite").options(**writer_options).json(partition_uri(table_uri, dt=dt))
        return
    (
        one_file.withColumn("dt", F.lit(dt))
        .write.mode("overwrite")
        .partitionBy("dt")
        .options(**writer_options)
        .json(table_uri)
    )


def write_gold(output: GoldOutput, spark: SparkSession, silver: dict[str, DataFrame], args: dict[str, str],
               job: JobRun) -> RunCounts:  # fmt: skip
    """Write every gold table (complete snapshot), the alert feed, then dq_summary computed on
    the written tables; return the run's counts (every row written is a row read: gold
    tables are derived, nothing is deduplicated or quarantined here)."""
    gold_uri, dt = args["gold_uri"], args["dt"]
    for frame in output.shared:
        frame.persist(StorageLevel.MEMORY_AND_DISK)
    for name, table in output.tables.items():
        table.write.mode("overwrite").parquet(join_uri(gold_uri, name))

    written = {
        name: spark.read.schema(GOLD_SCHEMAS[name]).parquet(join_uri(gold_uri, name))
        for name in output.tables
    }
    gold_checked = [CheckedTable("gold", name, frame, GOLD_KEYS[name]) for name, frame in written.items()]
    dq_summary(
        spark,
        silver_checked(spark, args["silver_uri"], silver),
        gold_checked,
        read_run_records(spark, args["quarantine_uri"]),
        job.run_id,
        job.started_at,
        job.name,
    ).coalesce(1).write.mode("overwrite").parquet(join_uri(gold_uri, "dq_summary"))
    summary = spark.read.schema(GOLD_SCHEMAS["dq_summary"]).parquet(join_uri(gold_uri, "dq_summary"))
    checked = summary.select("zone", "table_name", "row_count", "key_null_rate", "duplicate_keys").collect()
    rows = {(r["zone"], r["table_name"]): r["row_count"] for r in checked}

    high_risk = rows[("gold", "high_risk_outreach_list")]
    write_alert_feed(output.alert_feed, gold_uri, dt, high_risk)

    counts = RunCounts()
    for (zone, name), n in rows.items():
        if zone == "gold":
            counts.add(RunCounts(rows_read=n, written={name: n}))
        else:
            counts.metrics[f"silver_rows:{name}"] = n
    counts.add(RunCounts(rows_read=high_risk, written={ALERT_FEED_COUNT_KEY: high_risk}))
    counts.metrics.update(_metrics(written))
    counts.metrics.update(dq_issue_metrics(checked))
    for frame in output.shared:
        frame.unpersist()
    return counts


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
