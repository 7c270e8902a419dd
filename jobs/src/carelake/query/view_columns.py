"""Each Athena view's columns with their Athena types (``sql/view_columns.json``), for what has to
declare a view's columns outside SQL: the QuickSight data sets of terraform/modules/analytics.

The views are created on an empty lake whose tables are the registry's (carelake.registry, what
jobs/catalog.json exports), so the types are the ones the views give over the tables the jobs write. ``carelake view-columns``
writes the file; a test keeps it equal to what the views give.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from carelake.query.engine import DEFAULT_SCHEMA, LocalQueryEngine
from carelake.query.errors import QueryError

# DuckDB's name of a type (as sqlglot writes it) -> Athena's. HUGEINT: DuckDB sums BIGINT into
# it, Athena keeps bigint. TIMESTAMPTZ: the lake's UTC timestamps, Athena's timestamp.
_ATHENA_TYPES = {
    "VARCHAR": "varchar",
    "TEXT": "varchar",
    "INT": "integer",
    "TIMESTAMPTZ": "timestamp",
    "BIGINT": "bigint",
    "HUGEINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "tinyint",
    "DOUBLE": "double",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


def athena_type(duckdb_type: str) -> str:
    """The Athena type of a DuckDB column type (raises QueryError for one no view should give)."""
    text = duckdb_type.upper()
    if decimal := _DECIMAL.match(text):
        return f"decimal({decimal.group(1)},{decimal.group(2)})"
    if text in _ATHENA_TYPES:
        return _ATHENA_TYPES[text]
    raise QueryError(f"no Athena type for DuckDB type {duckdb_type!r}")


def view_columns(views_dir: Path) -> dict[str, list[dict[str, str]]]:
    """view name -> [{"name", "type"}] in column order, for every view file in views_dir."""
    with tempfile.TemporaryDirectory() as lake, LocalQueryEngine(lake, views_dir) as engine:
        if engine.failed_views:
            raise QueryError(f"views that could not be created: {engine.failed_views}")
        out = {}
        for status in sorted(engine.view_statuses, key=lambda s: s.name):
            schema, _, name = status.name.partition(".")
            if schema != DEFAULT_SCHEMA:
                continue
            columns = engine.columns_of(status.name)
            out[name] = [{"name": column, "type": athena_type(kind)} for column, kind in columns.items()]
    return out


def view_columns_json(views_dir: Path) -> str:
    """The JSON file's text: one view per block, one column per line."""
    blocks = [
        f"  {json.dumps(view)}: [\n" + ",\n".join(f"    {json.dumps(column)}" for column in columns) + "\n  ]"
        for view, columns in view_columns(views_dir).items()
    ]
    return "{\n" + ",\n".join(blocks) + "\n}\n"
