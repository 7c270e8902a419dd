"""dq_summary: one row per silver and gold table.

* ``row_count``: rows in the table now.
* ``key_null_rate``: share of rows with any key column null (null for an empty table).
* ``duplicate_keys``: rows with a complete key minus distinct complete keys, i.e. how many
  rows would have to go for the key to be unique (0 when the grain holds).
  Both are null for a table that declares no key (the carelake.gold.deid tables).
* ``duplicates_removed``, ``quarantined_rows``, ``last_run_id``, ``last_run_at``: from the
  latest run record (quarantine/job_run, latest ``finished_at``) of a job that wrote the
  table (its name is a key of ``rows_written_by_table``): that run's
  ``rows_deduplicated_by_table`` and ``rows_quarantined_by_table`` entries (0 when absent).
  Silver tables take the runs of every job but silver_to_gold (whose gold tables share some
  names with silver's); null when no run record names the table. Gold tables are written
  by this run: 0 and 0, this run's id and start time.

Keys: each table's grain in the registry (carelake.registry).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake import registry
from carelake.gold.inputs import local_frame
from carelake.gold.schemas import conform
from carelake.silver.state import STATE_PREFIX

DQ_TABLE = "dq_summary"
STATS_SCHEMA = T.StructType(
    [T.StructField(n, t, True) for n, t in (("zone", T.StringType()), ("table_name", T.StringType()),
     ("row_count", T.LongType()), ("key_null_rate", T.DoubleType()), ("duplicate_keys", T.LongType()))]
)  # fmt: skip


def silver_dq_keys() -> dict[str, tuple[str, ...]]:
    """The grain of every silver table analysts and gold read (not silver's internal state, not
    the keyless list of excluded records), from the registry."""
    return {
        name: table.key
        for name, table in registry.zone_tables("silver").items()
        if table.key and not name.startswith(STATE_PREFIX)
    }


@dataclass(frozen=True)
class CheckedTable:
    zone: str
    name: str
    frame: DataFrame
    keys: tuple[str, ...]


def _any_null(keys: tuple[str, ...]) -> Column:
    condition = F.lit(False)
    for key in keys:
        condition = condition | F.col(key).isNull()
    return condition


def table_stats(spark: SparkSession, tables: list[CheckedTable]) -> DataFrame:
    """zone, table_name, row_count, key_null_rate, duplicate_keys: one row per table.

    Every table's key, encoded as JSON, goes into one union, counted per key and then per
    table: two shuffles for all the tables together, however many there are.
    """
    if not tables:
        return local_frame(spark, STATS_SCHEMA, [])
    keyed = None
    for table in tables:
        rows = table.frame.select(
            F.lit(table.zone).alias("zone"),
            F.lit(table.name).alias("table_name"),
            # a table without a declared key (carelake.gold.deid) has only its rows counted
            (
                F.to_json(F.struct(*(F.col(k) for k in table.keys)))
                if table.keys
                else F.lit(None).cast("string")
            ).alias("_key"),
            _any_null(table.keys).alias("_incomplete"),
        )
        keyed = rows if keyed is None else keyed.unionByName(rows)
    assert keyed is not None
    per_key = keyed.groupBy("zone", "table_name", "_key", "_incomplete").agg(F.count(F.lit(1)).alias("_n"))
    per_table = per_key.groupBy("zone", "table_name").agg(
        F.sum("_n").alias("_rows"),
        F.sum(F.when(F.col("_incomplete"), F.col("_n"))).alias("_null_rows"),
        F.sum(F.when(~F.col("_incomplete"), F.col("_n") - 1)).alias("_extra_rows"),
    )
    names = local_frame(
        spark,
        T.StructType([*STATS_SCHEMA.fields[:2], T.StructField("has_key", T.BooleanType(), False)]),
        [(t.zone, t.name, bool(t.keys)) for t in tables],
    )
    rows = F.coalesce(F.col("_rows"), F.lit(0)).cast("long")
    return names.join(per_table, ["zone", "table_name"], "left").select(
        "zone",
        "table_name",
        rows.alias("row_count"),
        F.when(F.col("has_key") & (rows > 0), F.coalesce(F.col("_null_rows"), F.lit(0)) / rows).alias(
            "key_null_rate"
        ),
        F.when(F.col("has_key"), F.coalesce(F.col("_extra_rows"), F.lit(0)))
        .cast("long")
        .alias("duplicate_keys"),
    )


SILVER_ROWS_METRIC = (
    "silver_rows:"  # bronze_to_silver's rows per silver table (its accounting is its state's)
)
DUPLICATES_METRIC = "duplicates_across_sources:"


def latest_runs(run_records: DataFrame, exclude_jobs: tuple[str, ...]) -> DataFrame:
    """table_name, duplicates_removed, quarantined_rows, last_run_id, last_run_at: per table a
    run wrote (a key of rows_written_by_table, or a ``silver_rows:<table>`` metric: bronze_to_silver
    accounts for its state tables and reports the silver tables it builds from them), the latest
    run (finished_at, then run_id) of the jobs not excluded. Duplicates removed: the run's
    rows_deduplicated_by_table entry, else its ``duplicates_across_sources:<table>`` metric."""
    built = F.transform(
        F.filter(F.map_keys("metrics"), lambda k: k.startswith(SILVER_ROWS_METRIC)),
        lambda k: F.substring(k, len(SILVER_ROWS_METRIC) + 1, 1000),
    )
    runs = run_records.where(~F.col("job").isin(*exclude_jobs)).select(
        "run_id", "finished_at", "rows_deduplicated_by_table", "rows_quarantined_by_table", "metrics",
        F.explode(F.array_distinct(F.concat(F.map_keys("rows_written_by_table"), built))).alias("table_name"),
    )  # fmt: skip
    latest = Window.partitionBy("table_name").orderBy(F.col("finished_at").desc(), F.col("run_id").desc())
    return (
        runs.withColumn("_n", F.row_number().over(latest))
        .where(F.col("_n") == 1)
        .select(
            "table_name",
            F.coalesce(
                F.col("rows_deduplicated_by_table")[F.col("table_name")],
                F.col("metrics")[F.concat(F.lit(DUPLICATES_METRIC), F.col("table_name"))],
                F.lit(0),
            ).alias("duplicates_removed"),
            F.coalesce(F.col("rows_quarantined_by_table")[F.col("table_name")], F.lit(0)).alias(
                "quarantined_rows"
            ),
            F.col("run_id").alias("last_run_id"),
            F.col("finished_at").alias("last_run_at"),
        )
    )


def dq_summary(
    spark: SparkSession,
    silver: list[CheckedTable],
    gold: list[CheckedTable],
    run_records: DataFrame,
    run_id: str,
    run_started_at: datetime,
    gold_job: str,
) -> DataFrame:
    """dq_summary rows for ``silver`` and ``gold`` tables, plus dq_summary's own row."""
    runs = latest_runs(run_records, (gold_job,))
    stats = table_stats(spark, [*silver, *gold])
    silver_rows = stats.where(F.col("zone") == "silver").join(runs, "table_name", "left")
    # dq_summary's own row: one row per table checked, plus itself; its key holds by construction.
    own = spark.range(1).select(
        F.lit("gold").alias("zone"),
        F.lit(DQ_TABLE).alias("table_name"),
        F.lit(len(silver) + len(gold) + 1).cast("long").alias("row_count"),
        F.lit(0.0).alias("key_null_rate"),
        F.lit(0).cast("long").alias("duplicate_keys"),
    )
    gold_rows = (
        stats.where(F.col("zone") == "gold")
        .unionByName(own)
        .select(
            "*",
            F.lit(0).cast("long").alias("duplicates_removed"),
            F.lit(0).cast("long").alias("quarantined_rows"),
            F.lit(run_id).alias("last_run_id"),
            F.lit(run_started_at).cast("timestamp").alias("last_run_at"),
        )
    )
    return conform(silver_rows.unionByName(gold_rows), DQ_TABLE)
