"""raw_to_bronze's outreach step: the batch's Firehose files -> bronze.outreach_event + quarantine."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from carelake.pipeline.accounting import quarantine_rows
from carelake.pipeline.batch import Classified, Output, counted
from carelake.pipeline.raw_files import RawObject, read_lines
from carelake.pipeline.rules import first_failure
from carelake.sources.outreach.contract import BRONZE_OUTREACH_SCHEMA, SOURCE, TABLES
from carelake.sources.outreach.parse import outreach_rows


def classify(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject], batch: str) -> Classified:
    (table,) = TABLES
    rows = outreach_rows(read_lines(spark, raw_uri, objects))
    rule, rule_reason = first_failure(table.qualified_name)
    checked, read = counted(
        rows.withColumn("rule", F.when(F.col("reason").isNull(), rule)).withColumn(
            "reason", F.coalesce("reason", rule_reason)
        ),
        f"{SOURCE}-{batch}",
    )
    good = checked.where(F.col("reason").isNull()).select(*BRONZE_OUTREACH_SCHEMA.fieldNames())
    bad = quarantine_rows(
        checked.where(F.col("reason").isNotNull()), source=SOURCE, reason=F.col("reason"), target_table=table.name,
        record=F.col("raw_line"), rule=F.col("rule"),
    )  # fmt: skip
    return Classified(SOURCE, [Output(TABLES, good, {"dt": batch})], bad, read, [checked])
