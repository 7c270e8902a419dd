"""Reading a local test lake's tables the way every reader does: through the commits.

Never glob a table's folders: a folder may be an orphan of a killed run, an expired
version kept for rollback, or an older version. These helpers resolve each table to the
folders its writers' latest commits list (carelake.lake.state) and read those:

- ``LakeTables(root)``: every registry table as a DuckDB view ``zone.table`` over exactly
  those files (carelake.query.lake, the query engine's table layer), with exact values
  (decimals stay Decimal; timestamps are UTC): ``.rows(sql)``; ``as_of`` reads an earlier
  (retained) commit of a job instead of its latest.
- ``engine(root)``: the query engine itself, for Athena SQL (results as pandas).
- ``version(root, "zone.table")`` / ``read_table(spark, root, "zone.table")``: the table's
  current partitions and its rows in Spark (carelake.lake.spark_io.read_version).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
from pyspark.sql import DataFrame, SparkSession

from carelake import registry
from carelake.config import ZONES
from carelake.lake.commits import Commit, CommitLog
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState, TableVersion
from carelake.lake.storage import is_hidden, storage_for
from carelake.manifest import load_manifest
from carelake.query import LocalQueryEngine
from carelake.query.lake import LakeTable, current_tables, quote_identifier, table_sql


def state(root: Path | str) -> LakeState:
    """The lake's zones and the manifest's writers (commits read once per instance)."""
    root = Path(root).resolve()
    return LakeState({zone: str(root / zone) for zone in ZONES}, load_manifest().writers())


def version(root: Path | str, name: str) -> TableVersion:
    """``zone.table`` as its writers' latest commits say."""
    return state(root).version(registry.table(name))


def read_table(spark: SparkSession, root: Path | str, name: str) -> DataFrame:
    """``zone.table``'s current rows (data columns, then partition columns as strings)."""
    return read_version(spark, version(root, name))


def commits(root: Path | str, job: str) -> list[Commit]:
    """Every retained commit of ``job``, oldest first."""
    return CommitLog(str(Path(root).resolve() / "quarantine"), job).history()


def engine(root: Path | str, views: bool = False) -> LocalQueryEngine:
    """The query engine over the lake (sql/views too when ``views``)."""
    if views:
        return LocalQueryEngine(root)
    empty = Path(root) / ".no-views"
    empty.mkdir(exist_ok=True)
    return LocalQueryEngine(root, views_dir=empty)


def _tables_as_of(root: Path, as_of: Mapping[str, Commit | None]) -> list[LakeTable]:
    """Like carelake.query.lake.current_tables, with the commits ``as_of`` names for their jobs."""
    lake = state(root)
    found = []
    for table in registry.tables():
        files: list[str] = []
        for uri in lake.version(table, as_of).uris:
            files.extend(
                o.uri
                for o in storage_for(uri).list(uri)
                if o.key.endswith(".parquet") and not is_hidden(o.key)
            )
        found.append(LakeTable(table, tuple(sorted(files))))
    return found


class LakeTables:
    """Every registry table of the lake as DuckDB views ``zone.table``: as the latest commits
    say, or (``as_of``: job -> one of its commits) as an earlier commit of those jobs said."""

    def __init__(self, root: Path | str, as_of: Mapping[str, Commit | None] | None = None) -> None:
        root = Path(root).resolve()
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        for zone in ZONES:
            self.con.execute(f"CREATE SCHEMA {quote_identifier(zone)}")
        tables = (
            current_tables(root, registry.tables(), load_manifest().writers())
            if as_of is None
            else _tables_as_of(root, as_of)
        )
        for table in tables:
            target = f"{quote_identifier(table.zone)}.{quote_identifier(table.name)}"
            self.con.execute(f"CREATE VIEW {target} AS {table_sql(table)}")

    def rows(self, sql: str) -> list[tuple]:
        """The query's rows, sorted (by their repr) unless the query orders them itself."""
        rows = self.con.execute(sql).fetchall()
        return rows if " order by " in sql.lower() else sorted(rows, key=repr)

    def columns(self, table: str) -> list[str]:
        return [row[0] for row in self.con.execute(f"DESCRIBE {table}").fetchall()]

    def close(self) -> None:
        self.con.close()


def rows(root: Path | str, sql: str, as_of: Mapping[str, Commit | None] | None = None) -> list[tuple]:
    """One query over the lake's tables (see LakeTables)."""
    tables = LakeTables(root, as_of)
    try:
        return tables.rows(sql)
    finally:
        tables.close()
