"""Athena SQL on the local lake: a Trino-to-DuckDB transpiler and a DuckDB query engine.

Public API:
    transpile(sql, schema=None) -> str            Athena SQL to DuckDB SQL (Trino semantics)
    transpile_statement(sql, schema=None)         the same, with semantics warnings
    LocalQueryEngine(lake_root).query(sql) -> DataFrame   a view name or Athena SQL
"""

from carelake.query.engine import LocalQueryEngine
from carelake.query.errors import (
    AthenaSyntaxError,
    LakeNotFoundError,
    QueryError,
    QueryExecutionError,
    UnknownObjectError,
    UnsupportedSqlError,
    ViewUnavailableError,
)
from carelake.query.transpiler import Transpiled, transpile, transpile_statement

__all__ = [
    "AthenaSyntaxError",
    "LakeNotFoundError",
    "LocalQueryEngine",
    "QueryError",
    "QueryExecutionError",
    "Transpiled",
    "UnknownObjectError",
    "UnsupportedSqlError",
    "ViewUnavailableError",
    "transpile",
    "transpile_statement",
]
