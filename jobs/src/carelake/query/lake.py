"""The local lake's tables, as their commits say: the same versions the jobs read.

A table is what the latest commits of the jobs that write it list (carelake.lake): the
query engine never walks folders, so it never sees a half-written version, an orphan of a
killed run, or an expired version kept for rollback. Every declared table exists: one with
no commit yet is an empty table of its declared columns, as Athena shows a table Terraform
created before the first run. Partition values (``dt``, ``partner_id``, ``job``) come from
the ``key=value`` folders, as VARCHAR, as Athena declares them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from carelake.config import ZONES
from carelake.declarations import Table
from carelake.lake.state import LakeState
from carelake.lake.storage import storage_for


@dataclass(frozen=True)
class LakeTable:
    """One declared table and the Parquet files of its current version (none: empty)."""

    table: Table
    files: tuple[str, ...]

    @property
    def zone(self) -> str:
        return self.table.zone

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def qualified_name(self) -> str:
        return self.table.qualified_name


@dataclass(frozen=True)
class SkippedTable:
    """A table that cannot be queried, and why."""

    zone: str
    name: str
    reason: str

    @property
    def qualified_name(self) -> str:
        return f"{self.zone}.{self.name}"


def lake_state(root: Path, writers: Mapping[str, Sequence[str]]) -> LakeState:
    return LakeState({zone: str((root / zone).resolve()) for zone in ZONES}, writers)


def current_tables(
    root: Path, tables: Sequence[Table], writers: Mapping[str, Sequence[str]]
) -> list[LakeTable]:
    """Each declared table with the data files its writers' latest commits list."""
    state = lake_state(root, writers)
    found = []
    for table in tables:
        files: list[str] = []
        for uri in state.version(table).uris:
            files.extend(
                o.uri
                for o in storage_for(uri).list(uri)
                if o.key.endswith(".parquet") and not o.key.startswith(("_", "."))
            )
        found.append(LakeTable(table, tuple(sorted(files))))
    return found


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.lru_cache(maxsize=4096)
def duckdb_type(spark_type: str) -> str:
    """A Spark simpleString type as a DuckDB type."""
    return exp.DataType.build(spark_type, dialect="spark").sql(dialect="duckdb")


def table_sql(table: LakeTable) -> str:
    """A DuckDB SELECT of the table's declared columns (data, then partition keys as VARCHAR);
    an empty table gets the declared types."""
    declared = [(f.name, duckdb_type(f.dataType.simpleString())) for f in table.table.schema.fields]
    partitions = [(key, "VARCHAR") for key in table.table.partition_keys]
    if not table.files:
        nulls = ", ".join(
            f"CAST(NULL AS {kind}) AS {quote_identifier(name)}" for name, kind in [*declared, *partitions]
        )
        return f"SELECT {nulls} WHERE false"
    files = ", ".join(_sql_string(f) for f in table.files)
    # Column types are the files' own (as Athena reads the Parquet the jobs wrote); partition
    # values are VARCHAR. Only the declared columns: not the job/table/v folder segments.
    columns = ", ".join(quote_identifier(name) for name, _ in [*declared, *partitions])
    return (
        f"SELECT {columns} FROM read_parquet([{files}], hive_partitioning = true, "
        "hive_types_autocast = false, union_by_name = true)"
    )
