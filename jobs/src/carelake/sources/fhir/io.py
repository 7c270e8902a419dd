"""raw_to_bronze's FHIR step: the batch's FHIR objects -> bronze rows per resource type + quarantine."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from carelake.declarations import FileKind
from carelake.pipeline.accounting import quarantine_rows
from carelake.pipeline.batch import Classified, Output, counted
from carelake.pipeline.raw_files import RawObject, read_lines, read_texts
from carelake.pipeline.rules import first_failure_by_table
from carelake.sources.fhir.contract import BRONZE_SCHEMA, SOURCE, TABLES
from carelake.sources.fhir.parse import bundle_records, inspected_records, ndjson_records


def classify(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject], batch: str) -> Classified:
    """Bundles and single resources (whole files), bulk NDJSON (lines), anything else a file problem."""
    lines = [o for o in objects if o.kind == FileKind.LINES and o.problem is None]
    whole = [o for o in objects if o not in lines]
    records = bundle_records(read_texts(spark, raw_uri, whole))
    if lines:
        records = records.unionByName(ndjson_records(read_lines(spark, raw_uri, lines)))
    inspected = inspected_records(records)
    names = [f"bronze.{t.name}" for t in TABLES]
    rule, rule_reason = first_failure_by_table(names, F.concat(F.lit("bronze."), F.col("table")))
    checked, read = counted(
        inspected.withColumn("rule", F.when(F.col("reason").isNull(), rule)).withColumn(
            "reason", F.coalesce("reason", F.when(F.col("reason").isNull(), rule_reason))
        ),
        f"{SOURCE}-{batch}",
    )
    good = checked.where(F.col("reason").isNull()).select("table", *BRONZE_SCHEMA.fieldNames())
    bad = quarantine_rows(
        checked.where(F.col("reason").isNotNull()),
        source=SOURCE,
        reason=F.col("reason"),
        target_table=F.col("table"),
        record=F.col("resource_json"),
        rule=F.col("rule"),
    )
    return Classified(SOURCE, [Output(TABLES, good, {"dt": batch})], bad, read, [checked])
