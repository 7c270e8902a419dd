"""Synthea CSV raw -> bronze transforms (pure DataFrame -> DataFrame functions).

Input is text lines with their file and line number (see lake_io.read_text_lines), so a
bad row is quarantined with the exact line. Each line is split with Spark's CSV parser
into strings, the field count is checked, then every column is converted to its type
with a per-column check, so the reason names the column and the value.
"""

from __future__ import annotations

from collections.abc import Collection

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.bronze.synthea_csv import CsvColumn, CsvTable

# Spark's CSV parser reads an empty field and a missing one alike (null), so the field
# count comes from the text: commas outside RFC 4180 quoted sections, plus one.
_QUOTED = r'"([^"]|"")*"'
_INT = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DOUBLE = (
    r"^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|-?Infinity)$"  # Java writes NaN, Infinity
)

SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "decimal": T.DecimalType(18, 2),
    "double": T.DoubleType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
}


def _typed(raw: Column, column: CsvColumn) -> Column:
    """The column's typed value; null when the raw text is empty or not of the type."""
    present = raw.isNotNull() & (raw != "")
    kind = column.type
    if kind == "string":
        value = raw
    elif kind == "date":
        value = F.to_date(raw, "yyyy-MM-dd")
    elif kind == "timestamp":
        value = F.to_timestamp(raw, "yyyy-MM-dd'T'HH:mm:ss[.SSS]XXX")
    elif kind in ("int", "bigint"):
        value = F.when(raw.rlike(_INT), raw.cast(SPARK_TYPES[kind]))
    elif kind == "decimal":
        value = F.when(raw.rlike(_DECIMAL), raw.cast(SPARK_TYPES[kind]))
    elif kind == "double":
        value = F.when(raw.rlike(_DOUBLE), raw.cast("double"))
    else:  # pragma: no cover - specs are static
        raise ValueError(f"unknown CSV column type {kind}")
    return F.when(present, value).cast(SPARK_TYPES[kind])


def csv_rows(lines: DataFrame, table: CsvTable, bad_header_files: Collection[str] = ()) -> DataFrame:
    """Lines of one Synthea CSV table's files -> records with ``reason`` (null when good).

    Every line of a file in ``bad_header_files`` (its header is not the expected one)
    is quarantined (its columns cannot be
    trusted). A good header line is not a record. Output columns: reason, the typed
    columns (lower-case header names), raw_line, source_file, source_line, landed_at.
    """
    bad_file = F.col("source_file").isin(sorted(bad_header_files)) if bad_header_files else F.lit(False)
    records = lines.where(bad_file | (F.col("source_line") > 1))

    n = len(table.columns)
    split_schema = ", ".join(f"_f{i} string" for i in range(n))
    records = records.withColumn("_split", F.from_csv("value", split_schema, {"mode": "PERMISSIVE"}))
    raw = {c.name: F.col(f"_split._f{i}") for i, c in enumerate(table.columns)}
    typed = {c.name: _typed(raw[c.name], c) for c in table.columns}
    unquoted = F.regexp_replace("value", _QUOTED, "")
    fields_found = F.length(unquoted) - F.length(F.regexp_replace(unquoted, ",", "")) + 1

    checks: list[Column] = [
        F.when(bad_file, F.lit(f"header does not match Synthea {table.file}.csv")),
        F.when(F.trim("value") == "", F.lit("empty line")),
        F.when(fields_found != n, F.format_string(f"expected {n} fields, found %d", fields_found)),
    ]
    for c in table.columns:
        if c.type != "string":
            is_bad = raw[c.name].isNotNull() & (raw[c.name] != "") & typed[c.name].isNull()
            checks.append(
                F.when(
                    is_bad, F.format_string(f"column {c.header}: '%s' is not of type {c.type}", raw[c.name])
                )
            )
    for c in table.columns:
        if c.required:
            checks.append(F.when(typed[c.name].isNull(), F.lit(f"column {c.header} is required")))
    return records.select(
        F.coalesce(*checks).alias("reason"),
        *(typed[c.name].alias(c.name) for c in table.columns),
        F.col("value").alias("raw_line"),
        "source_file",
        "source_line",
        "landed_at",
    )


def bronze_csv_schema(table: CsvTable) -> T.StructType:
    """The bronze table's schema (without the dt partition column)."""
    return T.StructType(
        [T.StructField(c.name, SPARK_TYPES[c.type], not c.required) for c in table.columns]
        + [
            T.StructField("raw_line", T.StringType(), True),
            T.StructField("source_file", T.StringType(), True),
            T.StructField("source_line", T.IntegerType(), True),
            T.StructField("landed_at", T.TimestampType(), True),
        ]
    )
