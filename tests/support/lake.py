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

And to write a test lake the way jobs do (new folders + one commit): ``publish_rows``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from carelake import registry
from carelake.config import ZONES
from carelake.declarations import Table
from carelake.lake.commits import Commit, CommitLog
from carelake.lake.publish import publish
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

    def dicts(self, sql: str) -> list[dict]:
        """The query's rows as dicts of Python values, through Arrow (as a Parquet reader sees them)."""
        return self.con.sql(sql).to_arrow_table().to_pylist()

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


# --- writing test lakes as commits -------------------------------------------------------------


def arrow_type(data_type: T.DataType) -> pa.DataType:
    """The Arrow type Spark reads back as ``data_type`` (timestamps in UTC)."""
    simple = {
        T.StringType: pa.string(), T.IntegerType: pa.int32(), T.LongType: pa.int64(), T.DoubleType: pa.float64(),
        T.BooleanType: pa.bool_(), T.DateType: pa.date32(), T.TimestampType: pa.timestamp("us", tz="UTC"),
    }  # fmt: skip
    for kind, arrow in simple.items():
        if isinstance(data_type, kind):
            return arrow
    if isinstance(data_type, T.DecimalType):
        return pa.decimal128(data_type.precision, data_type.scale)
    if isinstance(data_type, T.ArrayType):
        return pa.list_(arrow_type(data_type.elementType))
    if isinstance(data_type, T.MapType):
        return pa.map_(arrow_type(data_type.keyType), arrow_type(data_type.valueType))
    raise TypeError(f"no Arrow type for {data_type.simpleString()}")


def arrow_table(table: Table, rows: list[dict]) -> pa.Table:
    """``rows`` (dicts; a missing column is null) as an Arrow table of ``table``'s data and partition
    columns (``job`` excepted: publish fills it in)."""
    fields = [f for f in table.read_schema().fields if f.name != "job"]
    unknown = {key for row in rows for key in row} - {f.name for f in fields}
    if unknown:
        raise KeyError(f"{table.qualified_name} has no columns {sorted(unknown)}")
    columns = {}
    for f in fields:
        values = [row.get(f.name) for row in rows]
        if isinstance(f.dataType, T.MapType):
            values = [None if v is None else list(v.items()) for v in values]
        columns[f.name] = pa.array(values, type=arrow_type(f.dataType))
    return pa.table(columns, schema=pa.schema([(f.name, arrow_type(f.dataType)) for f in fields]))


def publish_rows(
    root: Path | str, job: str, tables: Mapping[str, list[dict]], batch: str = "1970-01-01"
) -> Commit:
    """Publish ``zone.table`` -> rows as the next commit of ``job`` (carelake.lake.publish)."""
    return publish(
        root,
        job,
        {registry.table(name): arrow_table(registry.table(name), rows) for name, rows in tables.items()},
        batch,
    )
