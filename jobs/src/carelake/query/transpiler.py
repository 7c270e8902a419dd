"""Athena (engine v3 = Trino) SQL to DuckDB SQL that gives Trino's answers.

Pipeline: parse with sqlglot (read="athena"); name unnamed output columns as Trino does
(_col0, _col1, ...); qualify tables and columns against the lake's schema; annotate types
(sqlglot's optimizer); apply the rewrites in rewrites.py; generate DuckDB SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, ParseError, TokenError, UnsupportedError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema, Schema

from carelake.query.errors import AthenaSyntaxError, UnsupportedSqlError
from carelake.query.rewrites import RewriteContext, apply_rewrites

READ_DIALECT = "athena"
WRITE_DIALECT = "duckdb"

# {schema: {table: {column: DuckDB type}}}: what LocalQueryEngine describes from DuckDB.
SchemaMapping = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True)
class Transpiled:
    """One statement: the Athena text, the DuckDB text, and any semantics warnings."""

    athena_sql: str
    duckdb_sql: str
    warnings: tuple[str, ...]


def parse_athena(sql: str) -> exp.Expression:
    """Parse exactly one Athena statement; syntax errors carry line and column."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=READ_DIALECT) if s is not None]
    except ParseError as error:
        first = error.errors[0] if error.errors else {}
        raise AthenaSyntaxError(
            str(first.get("description") or error),
            int(first.get("line") or 1),
            int(first.get("col") or 1),
            sql,
        ) from error
    except TokenError as error:
        raise AthenaSyntaxError(str(error), 1, 1, sql) from error
    if len(statements) != 1:
        raise UnsupportedSqlError(f"expected one SQL statement, got {len(statements)}")
    return statements[0]


def _leftmost_select(tree: exp.Expression) -> exp.Select | None:
    while True:
        if isinstance(tree, exp.Create):
            tree = tree.expression
        elif isinstance(tree, exp.SetOperation):
            tree = tree.left
        elif isinstance(tree, exp.Subquery | exp.Paren):
            tree = tree.this
        else:
            break
    return tree if isinstance(tree, exp.Select) else None


def name_output_columns(tree: exp.Expression) -> None:
    """Trino names an output column that is not a column reference and has no alias _col<i>."""
    select = _leftmost_select(tree)
    if select is None:
        return
    for index, projection in enumerate(select.expressions):
        if not isinstance(projection, exp.Alias | exp.Column | exp.Star | exp.Dot):
            projection.replace(exp.alias_(projection.copy(), f"_col{index}", quoted=False))


def _schema(schema: SchemaMapping | Schema | None) -> Schema:
    if isinstance(schema, Schema):
        return schema
    mapping: dict[str, Any] = {
        db: {t: dict(cols) for t, cols in tables.items()} for db, tables in (schema or {}).items()
    }
    return MappingSchema(mapping, dialect=WRITE_DIALECT)


def _resolve(
    tree: exp.Expression, schema: Schema, default_schema: str | None, ctx: RewriteContext
) -> exp.Expression:
    """Qualify and type the tree; when qualification fails, type what can be typed.

    Strict qualification names an unknown column precisely; it is only a warning, because
    DuckDB has the final word (and gives the error when the column really is missing)."""
    for validate in (True, False):
        try:
            qualified = qualify(
                tree.copy() if validate else tree,
                schema=schema,
                db=default_schema,
                dialect=READ_DIALECT,
                validate_qualify_columns=validate,
            )
        except (OptimizeError, ValueError, KeyError) as error:
            ctx.warnings.append(f"{error}; columns left unresolved have no known type")
            continue
        return annotate_types(qualified, schema=schema, dialect=READ_DIALECT)
    return annotate_types(tree, schema=schema, dialect=READ_DIALECT)


def transpile_tree(
    tree: exp.Expression, schema: SchemaMapping | Schema | None = None, default_schema: str | None = None
) -> tuple[exp.Expression, tuple[str, ...]]:
    """Rewrite an Athena AST (modified in place when possible) to DuckDB semantics."""
    ctx = RewriteContext()
    name_output_columns(tree)
    if isinstance(tree, exp.Create) and isinstance(tree.expression, exp.Query):
        body = _resolve(tree.expression, _schema(schema), default_schema, ctx)
        tree.set("expression", apply_rewrites(body, ctx))
    else:
        tree = apply_rewrites(_resolve(tree, _schema(schema), default_schema, ctx), ctx)
    return tree, tuple(ctx.warnings)


def generate_duckdb(tree: exp.Expression, pretty: bool = False) -> str:
    try:
        return tree.sql(dialect=WRITE_DIALECT, pretty=pretty, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as error:
        raise UnsupportedSqlError(f"cannot express in DuckDB: {error}") from error


def transpile_statement(
    sql: str,
    schema: SchemaMapping | Schema | None = None,
    *,
    default_schema: str | None = None,
    pretty: bool = False,
) -> Transpiled:
    """Transpile one Athena statement; ``schema`` is {schema: {table: {column: type}}}."""
    tree, warnings = transpile_tree(parse_athena(sql), schema, default_schema)
    return Transpiled(athena_sql=sql, duckdb_sql=generate_duckdb(tree, pretty), warnings=warnings)


def transpile(
    sql: str,
    schema: SchemaMapping | Schema | None = None,
    *,
    default_schema: str | None = None,
    pretty: bool = False,
) -> str:
    """Athena SQL to DuckDB SQL with Trino's semantics (see docs/query-engine.md)."""
    return transpile_statement(sql, schema, default_schema=default_schema, pretty=pretty).duckdb_sql
