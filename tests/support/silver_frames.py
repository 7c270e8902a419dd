"""Bronze-shaped frames for the silver transform unit tests (tests/unit/test_silver_*.py).

Every input frame is built on the bronze table's own schema from the registry
(``registry.table("bronze.<name>").read_schema()``), from hand-written rows: a FHIR row is
the resource JSON plus lineage, a CSV row is the typed Synthea columns plus lineage.
Columns a row leaves out are null. Frames go through Arrow (no Python worker, no files),
so a test costs a few Spark jobs on the shared session.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake import registry

# Landing times (naive = UTC, the session time zone): L1 earlier than L2 earlier than L3.
L1 = datetime(2024, 3, 1, 6, 0)
L2 = datetime(2024, 3, 2, 6, 0)
L3 = datetime(2024, 3, 3, 6, 0)

NPI = "http://hl7.org/fhir/sid/us-npi"
SYNTHEA = "https://github.com/synthetichealth/synthea"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def frame(spark: SparkSession, rows: Iterable[tuple], schema: T.StructType | str) -> DataFrame:
    """``rows`` on an explicit schema, built through Arrow."""
    schema = T._parse_datatype_string(schema) if isinstance(schema, str) else schema
    data = pd.DataFrame(list(rows), columns=schema.fieldNames(), dtype=object)
    return spark.createDataFrame(data, schema)


def bronze_schema(table: str) -> T.StructType:
    return registry.table(f"bronze.{table}").read_schema()


def bronze(spark: SparkSession, table: str, rows: Iterable[Mapping[str, Any]]) -> DataFrame:
    """Rows of ``bronze.<table>`` on its registry schema; a column a row leaves out is null.

    A row must fill the columns the schema declares not null (the source contract's required
    fields): Spark trusts the declaration and fails deep in the optimizer otherwise.
    """
    schema = bronze_schema(table)
    names = set(schema.fieldNames())
    required = [f.name for f in schema.fields if not f.nullable]
    values = []
    for row in rows:
        unknown = set(row) - names
        if unknown:
            raise KeyError(f"bronze.{table} has no columns {sorted(unknown)}")
        absent = [name for name in required if row.get(name) is None]
        if absent:
            raise ValueError(f"bronze.{table} requires {absent}")
        values.append(tuple(row.get(name) for name in schema.fieldNames()))
    return frame(spark, values, schema)


def fhir(
    resource: Mapping[str, Any],
    *,
    updated: datetime | None = None,
    landed: datetime = L1,
    file: str = "fhir/dt=2024-03-01/bundle-1.json",
    entry: int = 1,
) -> dict[str, Any]:
    """A bronze FHIR row: the resource JSON with its meta.lastUpdated (UTC) and lineage."""
    return {
        "resource_type": resource.get("resourceType"),
        "resource_id": resource.get("id"),
        "meta_last_updated": updated,
        "resource_json": json.dumps(resource),
        "source_file": file,
        "source_entry": entry,
        "landed_at": landed,
        "dt": landed.strftime("%Y-%m-%d"),
    }


def csv(
    *, landed: datetime = L1, file: str = "synthea/dt=2024-03-01/x.csv", line: int = 2, **columns: Any
) -> dict[str, Any]:
    """A bronze Synthea CSV (or partner / outreach) row: typed columns plus lineage."""
    return {
        **columns,
        "source_file": file,
        "source_line": line,
        "landed_at": landed,
        "dt": landed.strftime("%Y-%m-%d"),
    }


def coding(code: str, display: str | None = None, system: str = SNOMED) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": system, "code": code, "display": display}]}
    return concept


def empty(spark: SparkSession, table: str) -> DataFrame:
    return bronze(spark, table, [])


def as_rows(df: DataFrame, *columns: str) -> list[tuple]:
    """``columns`` of ``df`` as tuples, sorted (nulls first); timestamps as UTC text
    ('2024-03-05 03:30:00'), so expected values read the same in any local time zone."""
    types = dict(df.select(*columns).dtypes)
    selected = df.select(
        *(F.col(c).cast("string").alias(c) if types[c] == "timestamp" else F.col(c) for c in columns)
    )
    collected = [tuple(r) for r in selected.collect()]
    return sorted(collected, key=lambda r: tuple((v is not None, str(v)) for v in r))


def assert_frame(actual: DataFrame, expected: DataFrame, key: Iterable[str]) -> None:
    """chispa equality of ``actual`` and ``expected`` (schema without nullability, then rows),
    both sorted on ``key`` in one partition: one Spark job each, no range-partition sampling."""
    order = list(key)
    assert_df_equality(
        actual,
        expected,
        ignore_nullable=True,
        transforms=[lambda df: df.coalesce(1).sortWithinPartitions(*order)],
    )
