"""FHIR R4 raw -> bronze transforms (pure DataFrame -> DataFrame functions).

Raw records arrive either as lines of bulk NDJSON or as whole .json files (Bundles).
Both become one "record" frame, then one inspection decides: bronze row (typed common
columns + the resource JSON) or quarantine row (with the reason).
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.fhir import parsing
from carelake.fhir.resource_types import BRONZE_RESOURCE_TYPES, OTHER_TABLE, bronze_table_for

# A raw FHIR record, whichever file format it came from.
RECORD_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), False),
        T.StructField("source_line", T.IntegerType(), True),  # 1-based, NDJSON
        T.StructField("source_entry", T.IntegerType(), True),  # 0-based, Bundle entry
        T.StructField("full_url", T.StringType(), True),
        T.StructField("request_method", T.StringType(), True),
        T.StructField("request_url", T.StringType(), True),
        T.StructField("record", T.StringType(), True),  # the resource JSON (or the bad text)
        T.StructField("record_problem", T.StringType(), True),  # found before inspection
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)

INSPECTION_SCHEMA = T.StructType(
    [
        T.StructField("problem", T.StringType(), True),
        T.StructField("resource_type", T.StringType(), True),
        T.StructField("resource_id", T.StringType(), True),
        T.StructField("meta_last_updated", T.TimestampType(), True),
        T.StructField("meta_version_id", T.StringType(), True),
        T.StructField("status", T.StringType(), True),
        T.StructField("patient_ref", T.StringType(), True),
        T.StructField("encounter_ref", T.StringType(), True),
        T.StructField("code_system", T.StringType(), True),
        T.StructField("code", T.StringType(), True),
        T.StructField("code_display", T.StringType(), True),
        T.StructField("effective_start", T.TimestampType(), True),
        T.StructField("effective_end", T.TimestampType(), True),
    ]
)

# Columns of every bronze FHIR table, in order (dt is the partition column).
BRONZE_FHIR_COLUMNS: tuple[str, ...] = (
    *(f.name for f in INSPECTION_SCHEMA.fields if f.name != "problem"),
    "full_url",
    "request_method",
    "request_url",
    "resource_json",
    "source_file",
    "source_line",
    "source_entry",
    "landed_at",
)

_ENTRY_SCHEMA = T.StructType(
    [
        T.StructField("entry_index", T.IntegerType(), True),
        T.StructField("full_url", T.StringType(), True),
        T.StructField("request_method", T.StringType(), True),
        T.StructField("request_url", T.StringType(), True),
        T.StructField("resource_json", T.StringType(), True),
        T.StructField("problem", T.StringType(), True),
    ]
)
_SPLIT_SCHEMA = T.StructType(
    [
        T.StructField("file_problem", T.StringType(), True),
        T.StructField("entries", T.ArrayType(_ENTRY_SCHEMA), True),
    ]
)


@F.udf(returnType=_SPLIT_SCHEMA)
def _split_bundle_udf(text: str | None) -> tuple[str | None, list[tuple]]:
    problem, entries = parsing.split_bundle(text or "")
    return problem, [
        (e.entry_index, e.full_url, e.request_method, e.request_url, e.resource_json, e.problem)
        for e in entries
    ]


@F.udf(returnType=INSPECTION_SCHEMA)
def _inspect_udf(record: str | None) -> dict | None:
    if record is None:
        return None
    return parsing.inspect_resource(record)


def ndjson_records(lines: DataFrame) -> DataFrame:
    """NDJSON lines (source_file, source_line, value, landed_at) -> FHIR records."""
    return lines.select(
        "source_file",
        "source_line",
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(None).cast("string").alias("full_url"),
        F.lit(None).cast("string").alias("request_method"),
        F.lit(None).cast("string").alias("request_url"),
        F.col("value").alias("record"),
        F.when(F.trim("value") == "", F.lit("empty line")).alias("record_problem"),
        "landed_at",
    )


def bundle_records(files: DataFrame) -> DataFrame:
    """Whole .json files (source_file, value, landed_at) -> FHIR records.

    A Bundle gives one record per entry (source_entry = entry index); a file holding one
    resource gives one record; a file that cannot be split gives one record carrying the
    file's text and the problem.
    """
    split = files.select("source_file", "value", "landed_at", _split_bundle_udf("value").alias("split"))
    whole_file_problems = split.where(F.col("split.file_problem").isNotNull()).select(
        "source_file",
        F.lit(None).cast("int").alias("source_line"),
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(None).cast("string").alias("full_url"),
        F.lit(None).cast("string").alias("request_method"),
        F.lit(None).cast("string").alias("request_url"),
        F.col("value").alias("record"),
        F.col("split.file_problem").alias("record_problem"),
        "landed_at",
    )
    entries = (
        split.where(F.col("split.file_problem").isNull())
        .select("source_file", "landed_at", F.explode("split.entries").alias("e"))
        .select(
            "source_file",
            F.lit(None).cast("int").alias("source_line"),
            F.col("e.entry_index").alias("source_entry"),
            F.col("e.full_url").alias("full_url"),
            F.col("e.request_method").alias("request_method"),
            F.col("e.request_url").alias("request_url"),
            F.col("e.resource_json").alias("record"),
            F.col("e.problem").alias("record_problem"),
            "landed_at",
        )
    )
    return whole_file_problems.unionByName(entries)


def inspected_records(records: DataFrame) -> DataFrame:
    """Add ``reason`` (null for a good record), ``table`` and the typed common columns."""
    inspected = records.withColumn("i", F.when(F.col("record_problem").isNull(), _inspect_udf("record")))
    reason = F.coalesce(F.col("record_problem"), F.col("i.problem"))
    table_by_type = F.create_map(*(F.lit(x) for t in BRONZE_RESOURCE_TYPES for x in (t, bronze_table_for(t))))
    table = F.col("i.resource_type")
    table_expr = F.coalesce(table_by_type[table], F.lit(OTHER_TABLE))
    columns = [F.col(f"i.{f.name}").alias(f.name) for f in INSPECTION_SCHEMA.fields if f.name != "problem"]
    return inspected.select(
        reason.alias("reason"),
        F.when(table.isNotNull(), table_expr).alias("table"),
        *columns,
        "full_url",
        "request_method",
        "request_url",
        F.col("record").alias("resource_json"),
        "source_file",
        "source_line",
        "source_entry",
        "landed_at",
    )


def bronze_rows(inspected: DataFrame) -> DataFrame:
    """Good records, with the bronze FHIR columns plus ``table``."""
    return inspected.where(F.col("reason").isNull()).select("table", *BRONZE_FHIR_COLUMNS)


def quarantine_rows(inspected: DataFrame) -> DataFrame:
    """Bad records in the quarantine shape (see carelake.quarantine)."""
    return inspected.where(F.col("reason").isNotNull()).select(
        F.lit("ehr_fhir").alias("source"),
        "source_file",
        "source_line",
        "source_entry",
        F.col("table").alias("target_table"),
        "reason",
        F.col("resource_json").alias("record"),
        "landed_at",
    )
