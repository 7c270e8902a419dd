"""The Glue artifact holds what the jobs import and nothing of the local tooling.

The jobs wheel is built as `make package` builds it (scripts/package_jobs.py), then each
entry point of the manifest is imported from that wheel in a fresh interpreter: it must
import, from the wheel, without touching the generator, dashboard, query engine or CLI.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from carelake.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("package_jobs", REPO / "scripts" / "package_jobs.py")
assert _spec and _spec.loader
package_jobs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(package_jobs)

ENTRY_POINTS = [job.entry_point for job in load_manifest().ordered()]
LOCAL_TOOLING = (
    "carelake/generate/",
    "carelake/dashboard/",
    "carelake/query/",
    "carelake/cli.py",
    "carelake/demo.py",
)
RELEASE = "1.2.3.dev4+gabcdef012345"

# Imports every entry point from sys.path[0] and reports where each carelake module came from.
PROBE = """
import importlib, json, sys
sys.path.insert(0, sys.argv[1])
for name in sys.argv[2:]:
    importlib.import_module(name)
print(json.dumps({n: getattr(m, "__file__", None) for n, m in sys.modules.items() if n.split(".")[0] == "carelake"}))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return package_jobs.jobs_wheel(tmp_path_factory.mktemp("wheel"), RELEASE)


def _imported_from(path: Path) -> dict[str, str | None]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path), *ENTRY_POINTS],
        capture_output=True,
        text=True,
        cwd=path.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_wheel_is_versioned_and_holds_no_local_tooling(wheel: Path) -> None:
    assert wheel.name == f"carelake-{RELEASE}-py3-none-any.whl"
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(LOCAL_TOOLING)]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert f"Version: {RELEASE}" in zipfile.ZipFile(wheel).read(metadata).decode()
    # Reference data the jobs read travels with them.
    assert "carelake/reference/lace_points.csv" in names
    assert "carelake/manifest.yaml" in names


def test_every_entry_point_imports_from_the_wheel_alone(wheel: Path) -> None:
    loaded = _imported_from(wheel)
    assert {e for e in ENTRY_POINTS if e not in loaded} == set()
    outside = {n: f for n, f in loaded.items() if f is not None and not f.startswith(str(wheel))}
    assert outside == {}
    assert not [
        n for n in loaded if n.startswith(("carelake.generate", "carelake.dashboard", "carelake.query"))
    ]


def test_the_closure_covers_what_the_entry_points_import_from_the_source() -> None:
    """What a real import of the entry points loads (from the source tree) is a subset of
    what the import-statement walk finds; the walk may find more (imports inside functions)."""
    loaded = set(_imported_from(REPO / "jobs" / "src"))
    closure = package_jobs.import_closure(ENTRY_POINTS)
    assert loaded - closure == set()
    assert set(ENTRY_POINTS) <= closure


def test_the_closure_follows_relative_from_and_dynamic_imports(tmp_path: Path) -> None:
    src = tmp_path / "src"
    files = {
        "pkg/__init__.py": "",
        "pkg/jobs/__init__.py": "",
        "pkg/jobs/entry.py": "from ..core import helpers\nfrom . import sibling\n"
        "def main():\n    import pkg.lazy\n",
        "pkg/jobs/sibling.py": "import importlib\nimportlib.import_module('pkg.dynamic')\n",
        "pkg/core/__init__.py": "",
        "pkg/core/helpers.py": "from pkg.core.base import thing\n",
        "pkg/core/base.py": "thing = 1\n",
        "pkg/lazy.py": "",
        "pkg/dynamic.py": "",
        "pkg/tooling/__init__.py": "import pkg.core\n",
        "pkg/tooling/cli.py": "import pkg.jobs.entry\n",
    }
    for rel, text in files.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text)
    closure = package_jobs.import_closure(["pkg.jobs.entry"], src=src, package="pkg")
    assert closure == {
        "pkg",
        "pkg.jobs",
        "pkg.jobs.entry",
        "pkg.jobs.sibling",
        "pkg.core",
        "pkg.core.helpers",
        "pkg.core.base",
        "pkg.lazy",
        "pkg.dynamic",
    }


def test_the_zip_of_wheels_is_reproducible(tmp_path: Path, wheel: Path) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    assert package_jobs.write_wheel_zip(first, [wheel]) == [wheel.name]
    package_jobs.write_wheel_zip(second, [wheel])
    assert first.read_bytes() == second.read_bytes()
    assert zipfile.ZipFile(first).namelist() == [wheel.name]
