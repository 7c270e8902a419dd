"""Find the Parquet tables of a local lake: ``<root>/<zone>/<table>/[key=value/...]*.parquet``.

No table list is kept anywhere: whatever folder holds Parquet files is a table, as a Glue
crawler or partition projection would see it. Like Hive and Athena, files and folders whose
name starts with ``_`` or ``.`` (Spark's ``_temporary``, ``_SUCCESS``, ``.crc``) are ignored.
Partition folders (``dt=2024-03-01``) become VARCHAR columns, as Athena declares them.

The table catalog (jobs/catalog.json, exported by ``carelake catalog``) adds what Athena's
DDL knows: a declared table with no files yet is an empty table of its declared schema.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from carelake.config import ZONES
from carelake.query.errors import QueryError


@dataclass(frozen=True)
class LakeTable:
    """One table folder with the Parquet files that make it up."""

    zone: str
    name: str
    path: Path
    files: tuple[Path, ...]
    partition_columns: tuple[str, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.zone}.{self.name}"


@dataclass(frozen=True)
class SkippedTable:
    """A table folder that cannot be queried, and why."""

    zone: str
    name: str
    path: Path
    reason: str

    @property
    def qualified_name(self) -> str:
        return f"{self.zone}.{self.name}"


def _visible(path: Path, base: Path) -> bool:
    return not any(part.startswith(("_", ".")) for part in path.relative_to(base).parts)


def parquet_files(table_dir: Path) -> list[Path]:
    """The table's data files, Hive-style hidden files and folders left out."""
    return sorted(p for p in table_dir.rglob("*.parquet") if p.is_file() and _visible(p, table_dir))


def partition_columns(table_dir: Path, files: list[Path]) -> tuple[str, ...]:
    """Partition keys from ``key=value`` folders, in path order."""
    keys: list[str] = []
    for file in files:
        for part in file.parent.relative_to(table_dir).parts:
            key, sep, _ = part.partition("=")
            if sep and key not in keys:
                keys.append(key)
    return tuple(keys)


def discover_tables(root: Path, zones: tuple[str, ...] = ZONES) -> tuple[list[LakeTable], list[SkippedTable]]:
    """Every table folder under the zones of a lake root, sorted by zone then name."""
    tables: list[LakeTable] = []
    skipped: list[SkippedTable] = []
    for zone in zones:
        zone_dir = root / zone
        if not zone_dir.is_dir():
            continue
        for table_dir in sorted(
            p for p in zone_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
        ):
            files = parquet_files(table_dir)
            if not files:
                skipped.append(
                    SkippedTable(zone, table_dir.name, table_dir, f"no Parquet files under {table_dir}")
                )
                continue
            tables.append(
                LakeTable(zone, table_dir.name, table_dir, tuple(files), partition_columns(table_dir, files))
            )
    return tables, skipped


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_parquet_sql(table: LakeTable) -> str:
    """DuckDB SELECT over the table's files; partition columns stay VARCHAR."""
    files = ", ".join(_sql_string(str(f)) for f in table.files)
    return (
        f"SELECT * FROM read_parquet([{files}], hive_partitioning = true, "
        "hive_types_autocast = false, union_by_name = true)"
    )


@dataclass(frozen=True)
class CatalogTable:
    """A table the catalog declares: columns (DuckDB types), then partition keys (VARCHAR)."""

    zone: str
    name: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[str, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.zone}.{self.name}"


@functools.lru_cache(maxsize=4096)
def _duckdb_type(spark_type: str) -> str:
    """A catalog (Spark simpleString) type as a DuckDB type."""
    return exp.DataType.build(spark_type, dialect="spark").sql(dialect="duckdb")


def load_catalog(path: Path) -> dict[str, CatalogTable]:
    """The catalog's tables by ``zone.name``; raises QueryError when the file is malformed."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        tables = [
            CatalogTable(
                zone=entry["zone"],
                name=entry["name"],
                columns=tuple((c["name"], _duckdb_type(c["type"])) for c in entry["columns"]),
                partition_keys=tuple(k["name"] for k in entry.get("partition_keys", [])),
            )
            for entry in document["tables"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise QueryError(f"table catalog {path} is not readable: {error}") from error
    return {t.qualified_name: t for t in tables}


def empty_table_sql(table: CatalogTable) -> str:
    """A DuckDB SELECT with the declared columns and no rows."""
    columns = [*table.columns, *((key, "VARCHAR") for key in table.partition_keys)]
    projections = ", ".join(f"CAST(NULL AS {dtype}) AS {quote_identifier(name)}" for name, dtype in columns)
    return f"SELECT {projections} WHERE false"
