"""The Athena views in sql/views/*.sql: one ``create or replace view <name> as ...`` per file,
ordered so that every view comes after the views it reads (found in the SQL, not file names).

A view's leading comment block declares how its rows are listed: ``-- order_by: billed_amount
desc, payer_key`` (an ORDER BY list of the view's own columns). Athena drops an ORDER BY inside a
view, so the order lives in the header and is applied when the view is queried by name.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlglot import exp

from carelake.config import ZONES
from carelake.query.errors import QueryError
from carelake.query.transpiler import parse_athena

# Athena database names carelake_<env>_<zone> (and the AwsDataCatalog prefix) name the
# same zone locally, whatever the environment.
_ATHENA_DATABASE = re.compile(rf"carelake_[a-z0-9-]+_({'|'.join(ZONES)})")
_ATHENA_CATALOG = "awsdatacatalog"
_ORDER_BY = re.compile(r"(?im)^\s*--\s*order_by:\s*(.+?)\s*$")
_ORDER_TERM = re.compile(r"(?i)^([a-z_][a-z0-9_]*)(?:\s+(asc|desc))?$")


@dataclass(frozen=True)
class ViewDefinition:
    """A parsed view file: where it is created, its Athena body and what it reads."""

    schema: str
    name: str
    path: Path
    body: exp.Query
    dependencies: frozenset[str]
    order_by: tuple[tuple[str, bool], ...] = ()  # (column, descending), from the header

    @property
    def order_by_sql(self) -> str:
        """The declared order as an ORDER BY list ('' when the header declares none)."""
        return ", ".join(f"{column} desc" if descending else column for column, descending in self.order_by)

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class ViewStatus:
    """Whether a view file became a DuckDB view, and the reason when it did not."""

    name: str
    path: Path
    created: bool
    error: str | None = None


def local_schema(database: str | None, default_schema: str) -> str:
    """The DuckDB schema for an Athena database name (None = the default database)."""
    if not database:
        return default_schema
    name = database.lower()
    match = _ATHENA_DATABASE.fullmatch(name)
    return match.group(1) if match else name


def normalize_table_names(tree: exp.Expression, default_schema: str) -> exp.Expression:
    """Give every table reference (not CTEs) its local schema: ``fact_claim`` and
    ``carelake_dev_gold.fact_claim`` both become ``gold.fact_claim``."""
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not table.name or (not table.args.get("db") and table.name.lower() in ctes):
            continue
        if isinstance(table.parent, exp.Create | exp.Schema):
            continue
        table.set("db", exp.to_identifier(local_schema(table.args.get("db") and table.db, default_schema)))
        if table.catalog.lower() == _ATHENA_CATALOG:
            table.set("catalog", None)
    return tree


def referenced_tables(tree: exp.Expression) -> frozenset[str]:
    """``schema.name`` of every table or view a normalized tree reads."""
    names = set()
    for table in tree.find_all(exp.Table):
        if table.args.get("db") and table.name and not isinstance(table.parent, exp.Create | exp.Schema):
            names.add(f"{table.db.lower()}.{table.name.lower()}")
    return frozenset(names)


def declared_order(text: str) -> tuple[tuple[str, bool], ...]:
    """``(column, descending)`` pairs of the leading comments' ``-- order_by:`` line."""
    header = text[: match.start()] if (match := re.search(r"(?im)^\s*create\s", text)) else text
    found = _ORDER_BY.findall(header)
    if not found:
        return ()
    if len(found) > 1:
        raise QueryError("more than one -- order_by: line")
    order = []
    for term in found[0].split(","):
        parsed = _ORDER_TERM.match(term.strip())
        if not parsed:
            raise QueryError(f"-- order_by: {term.strip()!r} is not `<column> [asc|desc]`")
        order.append((parsed.group(1).lower(), (parsed.group(2) or "asc").lower() == "desc"))
    return tuple(order)


def parse_view_file(path: Path, default_schema: str) -> ViewDefinition:
    """Parse one view file; raises QueryError when it is not a single CREATE VIEW."""
    text = path.read_text(encoding="utf-8")
    try:
        order = declared_order(text)
    except QueryError as error:
        raise QueryError(f"{path.name}: {error}") from error
    tree = parse_athena(text)
    if not (isinstance(tree, exp.Create) and tree.kind and tree.kind.upper() == "VIEW"):
        raise QueryError(f"{path.name}: expected one `create or replace view <name> as ...` statement")
    target = tree.this
    if not isinstance(target, exp.Table) or not isinstance(tree.expression, exp.Query):
        raise QueryError(f"{path.name}: a view needs a plain name and a query (no column list)")
    body = normalize_table_names(tree.expression, default_schema)
    return ViewDefinition(
        schema=local_schema(target.args.get("db") and target.db, default_schema),
        name=target.name.lower(),
        path=path,
        body=body,
        dependencies=referenced_tables(body),
        order_by=order,
    )


def load_views(views_dir: Path, default_schema: str) -> tuple[list[ViewDefinition], list[ViewStatus]]:
    """Every *.sql file in views_dir parsed; files that do not parse come back as failures."""
    views: dict[str, ViewDefinition] = {}
    failures: list[ViewStatus] = []
    for path in sorted(views_dir.glob("*.sql")) if views_dir.is_dir() else []:
        try:
            view = parse_view_file(path, default_schema)
        except QueryError as error:
            failures.append(ViewStatus(path.stem, path, created=False, error=str(error)))
            continue
        if view.qualified_name in views:
            other = views[view.qualified_name].path.name
            failures.append(ViewStatus(view.qualified_name, path, False, f"view also defined in {other}"))
            continue
        views[view.qualified_name] = view
    return list(views.values()), failures


def dependency_order(views: Iterable[ViewDefinition]) -> tuple[list[ViewDefinition], list[ViewStatus]]:
    """Views with each after the views it reads (ties by name); views on a cycle fail."""
    by_name = {v.qualified_name: v for v in views}
    graph = {name: {d for d in v.dependencies if d in by_name and d != name} for name, v in by_name.items()}
    failures: list[ViewStatus] = []
    while True:
        sorter = graphlib.TopologicalSorter(graph)
        try:
            sorter.prepare()
        except graphlib.CycleError as error:
            cycle: list[str] = error.args[1]
            path = " -> ".join(cycle)
            for name in dict.fromkeys(cycle):
                failures.append(ViewStatus(name, by_name[name].path, False, f"dependency cycle: {path}"))
                graph.pop(name, None)
            graph = {n: deps - set(cycle) for n, deps in graph.items()}
            continue
        order: list[ViewDefinition] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            order.extend(by_name[name] for name in ready)
            sorter.done(*ready)
        return order, failures
