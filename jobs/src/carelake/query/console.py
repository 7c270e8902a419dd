"""What ``carelake query`` prints: results on stdout (rich table, CSV or JSON), everything
else (errors, warnings, the DuckDB SQL) on stderr so piped output stays clean.

The table is for reading: floating-point values are rounded (``DISPLAY_DECIMALS``) and every
missing value (None, NaN, NA, NaT) reads ``NULL``. CSV and JSON keep full precision.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table
from rich.text import Text

from carelake.query.engine import LocalQueryEngine
from carelake.query.errors import QueryError

FORMATS = ("table", "csv", "json")
TABLE_ROW_LIMIT = 200
NULL = "NULL"
DISPLAY_DECIMALS = 4  # rates and means: 0.1474, 4.2941; CSV/JSON keep every digit


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


def display_cell(value: Any) -> str:
    """One value as the table shows it: floats rounded, one spelling for every kind of missing."""
    if isinstance(value, np.ndarray):  # DuckDB gives a list column's value as an array
        value = value.tolist()
    if value is None or (not isinstance(value, list | tuple | dict) and pd.isna(value)):
        return NULL
    if isinstance(value, float | np.floating):
        if math.isinf(value):
            return str(value)
        rounded = f"{value:.{DISPLAY_DECIMALS}f}".rstrip("0").rstrip(".")
        return "0" if rounded == "-0" else rounded
    return str(value)


def render_table(frame: pd.DataFrame, console: Console, limit: int = TABLE_ROW_LIMIT) -> None:
    table = Table(show_header=True, header_style="bold")
    for column in frame.columns:
        table.add_column(
            str(column), justify="right" if pd.api.types.is_numeric_dtype(frame[column]) else "left"
        )
    for row in frame.head(limit).itertuples(index=False):
        table.add_row(*(display_cell(v) for v in row))
    shown = min(len(frame), limit)
    note = "" if shown == len(frame) else f" (showing {shown}; use --format csv for all)"
    table.caption = f"{len(frame)} row{'s' if len(frame) != 1 else ''}{note}"
    console.print(table)


def _json_value(value: Any) -> Any:
    """A JSON value at full precision (pandas' to_json keeps only 10 significant digits)."""
    if isinstance(value, np.generic | np.ndarray):  # numpy scalars; a list column's value
        value = value.tolist()
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    if value is None or (not isinstance(value, tuple | dict) and pd.isna(value)):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp | datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isinf(value):
        return None
    return value


def render_text(frame: pd.DataFrame, fmt: str) -> str:
    if fmt == "csv":
        return frame.to_csv(index=False)
    records = [
        {str(column): _json_value(value) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
    return json.dumps(records, indent=2, default=str) + "\n"


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
