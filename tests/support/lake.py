"""Reading a local test lake's tables the way every reader does: through the commits.

Never glob a table's folders: a folder may be an orphan of a killed run, an expired
version kept for rollback, or an older version. These helpers resolve each table to the
folders its writers' latest commits list (carelake.lake.state) and read those:

- ``LakeTables(root)``: every registry table as a DuckDB view ``zone.table`` over exactly
  those files (carelake.query.lake, the query engine's table layer), with exact values
  (decimals stay Decimal; timestamps are UTC): ``.rows(sql)``.
- ``engine(root)``: the query engine itself, for Athena SQL (results as pandas).
- ``version(root, "zone.table")`` / ``read_table(spark, root, "zone.table")``: the table's
  current partitions and its rows in Spark (carelake.lake.spark_io.read_version).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from pyspark.sql import DataFrame, SparkSession

from carelake import registry
from carelake.config import ZONES
from carelake.lake.commits import Commit, CommitLog
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState, TableVersion
from carelake.manifest import load_manifest
from carelake.query import LocalQueryEngine
from carelake.query.lake import current_tables, quote_identifier, table_sql


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


class LakeTables:
    """Every registry table of the lake as of now, as DuckDB views ``zone.table``."""

    def __init__(self, root: Path | str) -> None:
        self.con = duckdb.connect(":memory:")
        self.con.execute("SET TimeZone = 'UTC'")
        for zone in ZONES:
            self.con.execute(f"CREATE SCHEMA {quote_identifier(zone)}")
        for table in current_tables(Path(root).resolve(), registry.tables(), load_manifest().writers()):
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


def rows(root: Path | str, sql: str) -> list[tuple]:
    """One query over the lake's current tables (see LakeTables)."""
    tables = LakeTables(root)
    try:
        return tables.rows(sql)
    finally:
        tables.close()
