"""Errors raised by the local query engine; each carries a message fit to show a person."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class QueryError(Exception):
    """Base class: anything that stops a query from producing a result."""


class AthenaSyntaxError(QueryError):
    """The SQL is not valid Athena (Trino) SQL; carries the 1-based line and column."""

    def __init__(self, description: str, line: int, column: int, sql: str) -> None:
        self.description = description
        self.line = line
        self.column = column
        self.sql = sql
        super().__init__(self._render())

    def _render(self) -> str:
        lines = self.sql.splitlines() or [""]
        text = lines[self.line - 1] if 0 < self.line <= len(lines) else ""
        caret = " " * max(self.column - 1, 0) + "^"
        where = f"line {self.line}, column {self.column}"
        return f"SQL syntax error at {where}: {self.description}\n  {text}\n  {caret}"


class UnsupportedSqlError(QueryError):
    """Valid Athena SQL that the transpiler cannot express on DuckDB with Trino's semantics."""


class LakeNotFoundError(QueryError):
    """The lake root folder does not exist."""

    def __init__(self, root: Path) -> None:
        self.root = root
        super().__init__(
            f"lake not found: {root} does not exist "
            "(run `make demo`, or pass --lake with the lake's root folder)"
        )


class UnknownObjectError(QueryError):
    """A view or table name that the lake and sql/views do not define."""

    def __init__(self, name: str, suggestions: Sequence[str] = ()) -> None:
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown view or table {name!r}{hint}")


class ViewUnavailableError(QueryError):
    """The query needs a view that could not be created; says why."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason
        super().__init__(f"view {name} could not be created: {reason}")


class QueryExecutionError(QueryError):
    """DuckDB rejected or failed the transpiled query."""

    def __init__(self, message: str, duckdb_sql: str) -> None:
        self.duckdb_sql = duckdb_sql
        super().__init__(message)
