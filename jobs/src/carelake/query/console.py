"""What ``carelake query`` prints: results on stdout (rich table, CSV or JSON), everything
else (errors, warnings, the DuckDB SQL) on stderr so piped output stays clean."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from carelake.query.engine import LocalQueryEngine
from carelake.query.errors import QueryError

FORMATS = ("table", "csv", "json")
TABLE_ROW_LIMIT = 200


class UsageError(QueryError):
    """The command line itself is wrong (both or neither of SQL and --file)."""


def read_query_argument(sql: str | None, file: Path | None) -> str:
    """The query text from the argument or from --file (exactly one of them)."""
    if sql and file:
        raise UsageError("give either SQL / a view name or --file, not both")
    if file:
        if not file.is_file():
            raise UsageError(f"--file {file}: no such file")
        return file.read_text(encoding="utf-8")
    if not sql or not sql.strip():
        raise UsageError("give a view name, Athena SQL, or --file path.sql")
    return sql


def _cell(value: Any) -> str:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "NULL"
    return str(value)


def render_table(frame: pd.DataFrame, console: Console, limit: int = TABLE_ROW_LIMIT) -> None:
    table = Table(show_header=True, header_style="bold")
    for column in frame.columns:
        table.add_column(
            str(column), justify="right" if pd.api.types.is_numeric_dtype(frame[column]) else "left"
        )
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    shown = min(len(frame), limit)
    note = "" if shown == len(frame) else f" (showing {shown}; use --format csv for all)"
    table.caption = f"{len(frame)} row{'s' if len(frame) != 1 else ''}{note}"
    console.print(table)


def render_text(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    return frame.to_json(orient="records", date_format="iso", indent=2) + "\n"


def _say(console: Console, label: str, style: str, message: str) -> None:
    """One labelled line; the message is never read as rich markup (SQL has brackets)."""
    console.print(Text.assemble((f"{label}: ", style), message))


def run_query(
    sql: str | None,
    *,
    lake: Path,
    fmt: str,
    file: Path | None,
    show_sql: bool,
    views: Path | None,
    out: Console,
    err: Console,
) -> int:
    """Run one query for the CLI; returns the exit code."""
    if fmt not in FORMATS:
        _say(err, "error", "red", f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return 2
    try:
        text = read_query_argument(sql, file)
        with LocalQueryEngine(lake, views) as engine:
            _note_failed_views(engine, err)
            transpiled = engine.transpile(text, pretty=True)
            if show_sql:
                err.print(Text(transpiled.duckdb_sql))
            for warning in transpiled.warnings:
                _say(err, "warning", "yellow", warning)
            frame = engine.execute(transpiled)
    except UsageError as error:
        _say(err, "error", "red", str(error))
        return 2
    except QueryError as error:
        _say(err, "error", "red", str(error))
        return 1
    if fmt == "table":
        render_table(frame, out)
    else:
        out.file.write(render_text(frame, fmt))
    return 0


def _note_failed_views(engine: LocalQueryEngine, err: Console) -> None:
    failed = engine.failed_views
    if failed:
        names = ", ".join(sorted(failed))
        _say(
            err,
            "note",
            "yellow",
            f"{len(failed)} view(s) could not be created: {names} (query one to see why)",
        )
