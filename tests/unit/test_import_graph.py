"""The carelake package has no import cycles: a module never needs, even indirectly, a module
that needs it. Every import statement counts (inside functions too, but not imports that
only type checkers follow), at module granularity. Importing ``carelake.x.y`` also runs the
package ``carelake.x``'s ``__init__``, so that is an edge too, except from a module inside
``carelake.x`` itself (its package is always initialised first; re-exporting submodules
from ``__init__`` is not a cycle)."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

from tests.paths import REPO

PACKAGE = REPO / "jobs" / "src" / "carelake"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_only(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """carelake modules ``path`` imports (a package's __init__ included for each submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _type_checking_only(node)
        for n in ast.walk(node)
    }
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = [f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known]
            attributes = [alias.name for alias in node.names if f"{base}.{alias.name}" not in known]
            targets = [*submodules, *([base] if attributes else [])]
        for target in targets:
            parts = target.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                own_package = this == candidate or this.startswith(candidate + ".")
                explicit = end == len(parts)
                if candidate in known and candidate != this and (explicit or not own_package):
                    found.add(candidate)
    return found


def import_graph() -> dict[str, set[str]]:
    files = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(f) for f in files}
    return {module_name(f): imported_modules(f, known) for f in files}


def test_the_graph_sees_the_package() -> None:
    graph = import_graph()
    assert len(graph) > 100
    assert "carelake.declarations" in graph["carelake.registry"]
    assert "carelake.pipeline.writer" in graph["carelake.pipeline.batch"]


def test_there_is_no_import_cycle() -> None:
    try:
        graphlib.TopologicalSorter(import_graph()).prepare()
    except graphlib.CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_a_cycle_would_be_found(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError:
        return
    raise AssertionError("graphlib did not report the cycle")
