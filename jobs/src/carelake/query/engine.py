"""LocalQueryEngine: the lake's Parquet tables and sql/views on an in-memory DuckDB.

Every table folder becomes a DuckDB view ``<zone>.<table>``; every view file is transpiled
from Athena SQL and created in dependency order; a query (a view name or Athena SQL) is
transpiled the same way and returned as a pandas DataFrame. Athena database names
``carelake_<env>_<zone>`` are accepted anywhere a zone name is.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import duckdb
import pandas as pd
from sqlglot import exp

from carelake.config import ZONES
from carelake.declarations import Table
from carelake.query.errors import (
    LakeNotFoundError,
    QueryError,
    QueryExecutionError,
    UnknownObjectError,
    UnsupportedSqlError,
    ViewUnavailableError,
)
from carelake.query.lake import LakeTable, SkippedTable, current_tables, quote_identifier, table_sql
from carelake.query.transpiler import Transpiled, generate_duckdb, parse_athena, transpile_tree
from carelake.query.views import (
    ViewDefinition,
    ViewStatus,
    dependency_order,
    load_views,
    local_schema,
    normalize_table_names,
    referenced_tables,
)

DEFAULT_SCHEMA = "gold"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,2}")

Columns = dict[str, str]


def _repo_path(relative: str) -> Path:
    """``relative`` under the working directory if it exists, else under this repository."""
    here = Path(relative)
    return here if here.exists() else Path(__file__).resolve().parents[4] / relative


def default_views_dir() -> Path:
    """sql/views of the working directory, else of the repository this package lives in."""
    return _repo_path("sql/views")


@functools.lru_cache(maxsize=4096)
def _valid_type(duckdb_type: str) -> str:
    """A DuckDB type string sqlglot can parse, else UNKNOWN (annotation then leaves it untyped)."""
    try:
        return exp.DataType.build(duckdb_type, dialect="duckdb").sql(dialect="duckdb")
    except Exception:  # sqlglot raises several error types for unparseable types
        return "UNKNOWN"


class LocalQueryEngine:
    """Query the local lake with Athena SQL on DuckDB.

    ``LocalQueryEngine(lake_root).query("select ... ")`` or ``.query("v_claims_by_payer")``
    returns a DataFrame. ``view_statuses`` says which views exist and why others do not.
    Tables are the registry's (or ``tables``, written by ``writers``: zone.table -> jobs),
    each as its writers' latest commits say (carelake.query.lake); a table without a commit
    yet is empty with its declared columns, as Athena shows it.
    """

    def __init__(
        self,
        lake_root: Path | str = "lake",
        views_dir: Path | str | None = None,
        *,
        tables: Sequence[Table] | None = None,
        writers: Mapping[str, Sequence[str]] | None = None,
        default_schema: str = DEFAULT_SCHEMA,
    ) -> None:
        self.lake_root = Path(lake_root)
        if not self.lake_root.is_dir():
            raise LakeNotFoundError(self.lake_root)
        self.views_dir = Path(views_dir) if views_dir is not None else default_views_dir()
        if tables is None:
            from carelake import registry
            from carelake.manifest import load_manifest

            tables, writers = registry.tables(), load_manifest().writers()
        self.declared = tuple(tables)
        self.writers = dict(writers or {})
        self.default_schema = default_schema
        self._con = self._connect()
        self.refresh()

    @staticmethod
    def _connect() -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(":memory:")
        # Athena's session time zone is UTC: current_date, casts of timestamp with time zone.
        con.execute("SET TimeZone = 'UTC'")
        return con

    # --- set-up -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """(Re)register every table folder and (re)create every view; picks up new tables."""
        self._con.close()  # a fresh catalog: folders removed since the last refresh disappear
        self._con = self._connect()
        self._columns: dict[str, dict[str, Columns]] = {}
        self._failed_views: dict[str, str] = {}
        self._view_order: dict[str, str] = {}
        for schema in (*ZONES, self.default_schema):
            self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
        self.tables, self.skipped_tables = self._register_tables()
        self.view_statuses = self._create_views()

    def _register_tables(self) -> tuple[list[LakeTable], list[SkippedTable]]:
        registered: list[LakeTable] = []
        skipped: list[SkippedTable] = []
        for table in current_tables(self.lake_root, self.declared, self.writers):
            try:
                self._create_view(table.zone, table.name, table_sql(table))
            except duckdb.Error as error:
                skipped.append(SkippedTable(table.zone, table.name, f"unreadable Parquet: {error}"))
                continue
            registered.append(table)
        return registered, skipped

    @property
    def empty_tables(self) -> list[LakeTable]:
        """Declared tables without a committed version yet."""
        return [t for t in self.tables if not t.files]

    def _create_view(self, schema: str, name: str, select_sql: str) -> None:
        self._con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(schema)}")
        target = f"{quote_identifier(schema)}.{quote_identifier(name)}"
        self._con.execute(f"CREATE OR REPLACE VIEW {target} AS {select_sql}")
        rows = self._con.execute(f"DESCRIBE {target}").fetchall()  # name, type, ...
        columns = {row[0]: _valid_type(row[1]) for row in rows}
        self._columns.setdefault(schema.lower(), {})[name.lower()] = columns

    def _create_views(self) -> list[ViewStatus]:
        views, statuses = load_views(self.views_dir, self.default_schema)
        for failure in statuses:
            self._failed_views[failure.name] = failure.error or "invalid view file"
        ordered, cycles = dependency_order(views)
        for failure in cycles:
            self._failed_views[failure.name] = failure.error or "dependency cycle"
        statuses.extend(cycles)
        for view in ordered:
            if view.qualified_name not in self._failed_views:
                statuses.append(self._create_sql_view(view))
            if view.order_by:
                self._view_order[view.qualified_name] = view.order_by_sql
        return statuses

    def _missing_dependency(self, view: ViewDefinition) -> str | None:
        if self._exists(view.qualified_name):
            return f"the lake already has a table {view.qualified_name}"
        for dependency in sorted(view.dependencies):
            if dependency in self._failed_views:
                return f"depends on view {dependency}, which could not be created"
            if not self._exists(dependency):
                return f"reads {dependency}, {self._absence_reason(dependency)}"
        return None

    def _create_sql_view(self, view: ViewDefinition) -> ViewStatus:
        reason = self._missing_dependency(view)
        if reason is None:
            try:
                tree, _ = transpile_tree(view.body.copy(), self._columns, self.default_schema)
                self._create_view(view.schema, view.name, generate_duckdb(tree))
                return ViewStatus(view.qualified_name, view.path, created=True)
            except (duckdb.Error, QueryError) as error:
                reason = str(error).splitlines()[0]
            except Exception as error:  # a transpile failure of one view must not stop the others
                reason = f"{type(error).__name__}: {error}"
        self._failed_views[view.qualified_name] = reason
        return ViewStatus(view.qualified_name, view.path, created=False, error=reason)

    # --- names --------------------------------------------------------------------------------

    def _exists(self, qualified: str) -> bool:
        schema, _, name = qualified.partition(".")
        return name in self._columns.get(schema, {})

    def _absence_reason(self, qualified: str) -> str:
        for table in self.skipped_tables:
            if table.qualified_name == qualified:
                return f"which is not queryable ({table.reason})"
        return "which is neither a declared table nor a view in " + str(self.views_dir)

    def columns_of(self, qualified: str) -> dict[str, str]:
        """``schema.name`` -> {column: DuckDB type} of a table or view (raises UnknownObjectError)."""
        schema, _, name = qualified.lower().partition(".")
        if not self._exists(f"{schema}.{name}"):
            raise UnknownObjectError(qualified, self._suggest(qualified))
        return dict(self._columns[schema][name])

    def object_names(self) -> list[str]:
        """Every queryable table and view as ``schema.name``."""
        return sorted(f"{schema}.{name}" for schema, names in self._columns.items() for name in names)

    def _suggest(self, name: str) -> list[str]:
        known = self.object_names()
        bare = {n.split(".", 1)[1]: n for n in known}
        close = difflib.get_close_matches(name.lower(), known, n=3, cutoff=0.6)
        short = name.split(".")[-1].lower()
        close += [bare[b] for b in difflib.get_close_matches(short, list(bare), n=3, cutoff=0.75)]
        return list(dict.fromkeys(close))[:3]

    def _check_references(self, tree: exp.Expression) -> None:
        """Fail early, with a reason, on views that could not be created and unknown names."""
        for qualified in sorted(referenced_tables(tree)):
            if qualified in self._failed_views:
                raise ViewUnavailableError(qualified, self._failed_views[qualified])
            schema = qualified.split(".", 1)[0]
            if schema in (*ZONES, self.default_schema) and not self._exists(qualified):
                raise UnknownObjectError(qualified, self._suggest(qualified))

    def athena_sql(self, sql_or_name: str) -> str:
        """The Athena SQL for a query argument: a view/table name becomes ``select * from name``,
        ordered as the view's ``-- order_by:`` header declares."""
        text = sql_or_name.strip().rstrip(";").strip()
        if not _NAME.fullmatch(text):
            return sql_or_name
        parts = text.lower().split(".")
        qualified = f"{local_schema(parts[-2] if len(parts) > 1 else None, self.default_schema)}.{parts[-1]}"
        if qualified in self._failed_views:
            raise ViewUnavailableError(qualified, self._failed_views[qualified])
        if not self._exists(qualified):
            raise UnknownObjectError(text, self._suggest(text))
        schema, _, name = qualified.partition(".")
        order = self._view_order.get(qualified)
        return f"select * from {schema}.{name}" + (f" order by {order}" if order else "")

    # --- queries ------------------------------------------------------------------------------

    def transpile(self, sql_or_name: str, pretty: bool = False) -> Transpiled:
        """Athena SQL (or a view name) as DuckDB SQL against this lake's schema."""
        athena = self.athena_sql(sql_or_name)
        tree = parse_athena(athena)
        if not isinstance(tree, exp.Query):
            raise UnsupportedSqlError(
                f"only queries run on the local lake, not {tree.key.upper()} statements"
            )
        tree = normalize_table_names(tree, self.default_schema)
        self._check_references(tree)
        tree, warnings = transpile_tree(tree, self._columns, self.default_schema)
        return Transpiled(athena_sql=athena, duckdb_sql=generate_duckdb(tree, pretty), warnings=warnings)

    def execute(self, transpiled: Transpiled) -> pd.DataFrame:
        try:
            return self._con.execute(transpiled.duckdb_sql).df()
        except duckdb.Error as error:
            hints = "".join(f"\n  note: {w}" for w in transpiled.warnings)
            raise QueryExecutionError(f"DuckDB: {error}{hints}", transpiled.duckdb_sql) from error

    def query(self, sql_or_name: str) -> pd.DataFrame:
        """Run a view/table name or one Athena statement; the result as a DataFrame."""
        return self.execute(self.transpile(sql_or_name))

    @property
    def failed_views(self) -> dict[str, str]:
        """``schema.view`` -> why it could not be created."""
        return dict(self._failed_views)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> LocalQueryEngine:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
