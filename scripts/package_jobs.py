"""make package: the Glue artifacts in dist/ (what CI uploads under the artifact version).

dist/VERSION                               the version, from git (setuptools-scm): X.Y.Z on the tag
                                           vX.Y.Z, X.Y.(Z+1).devN+g<commit> after it
dist/carelake-python-modules.zip           a "zip of wheels" (Glue 5.0): the carelake jobs wheel at
                                           that version and the cp311 manylinux wheels of
                                           jobs/requirements/glue.lock (hash-checked); Glue
                                           installs it with --no-index (no internet in the VPC)
dist/glue/<job>.py                         one entry script per job in the manifest
dist/sql/views/*.sql                       what the SQL deployment runs

The jobs wheel holds only what Glue runs: the modules the manifest's entry points import,
directly or through each other (found by reading their import statements, so imports inside
functions count too), the packages around them, and those packages' data files (reference
tables, the manifest). The local tooling (generator, dashboard, query engine, CLI) stays out
unless a job starts importing it.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from importlib import import_module
from pathlib import Path

from carelake.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "jobs" / "src"
PACKAGE = "carelake"
MODULES_ZIP = "carelake-python-modules.zip"
# Glue 5.0 runs Python 3.11 on Amazon Linux 2023 (glibc 2.34, x86_64).
GLUE_PLATFORM = [
    *(
        "--platform",
        "manylinux_2_34_x86_64",
        "--platform",
        "manylinux_2_28_x86_64",
        "--platform",
        "manylinux2014_x86_64",
    ),
    *("--implementation", "cp", "--python-version", "3.11"),
]
# Same source, same bytes: SOURCE_DATE_EPOCH pins the timestamps inside wheels.
REPRODUCIBLE = {"SOURCE_DATE_EPOCH": "315532800"}


def version() -> str:
    """The version of this checkout, as setuptools-scm gives it (pyproject.toml's settings)."""
    from setuptools_scm import get_version

    return get_version(root=str(REPO))


# ---------------------------------------------------------------------------------
# What the jobs import.
# ---------------------------------------------------------------------------------
def module_file(name: str, src: Path = SRC) -> Path | None:
    """The source file of a module or package of the tree under `src`, or None."""
    base = src.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(path: Path, module: str) -> Iterable[str]:
    """Every module name an import statement in `path` may load (`from a import b` may load a.b)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1])
                source = f"{base}.{node.module}" if node.module else base
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def import_closure(roots: Iterable[str], src: Path = SRC, package: str = PACKAGE) -> set[str]:
    """The modules of `package` that `roots` import, transitively, with every package that
    contains one of them (Python runs a package's __init__ before its modules)."""
    found: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in found or not (name == package or name.startswith(f"{package}.")):
            continue
        path = module_file(name, src)
        if path is None:
            continue  # `from carelake.x import some_function`: the name is not a module
        found.add(name)
        parts = name.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        pending.extend(_imported_names(path, name))
    return found


def package_data_patterns() -> list[str]:
    """The package-data globs of pyproject.toml: the data files a package ships beside its code."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["setuptools"]["package-data"][PACKAGE]


def _enclosing_package(data: Path) -> Path:
    """The nearest folder above a data file that is a package (a data folder such as rules/
    has no __init__.py: its files belong to the package around it)."""
    folder = data.parent
    while not (folder / "__init__.py").is_file():
        folder = folder.parent
    return folder


def glue_files(modules: set[str], src: Path = SRC) -> list[Path]:
    """Paths (relative to `src`) of the modules and of the data files of the included packages."""
    files = {module_file(m, src).relative_to(src) for m in modules}  # type: ignore[union-attr]
    package_dirs = {
        src.joinpath(*m.split("."))
        for m in modules
        if (src.joinpath(*m.split(".")) / "__init__.py").is_file()
    }
    root = src / PACKAGE
    for pattern in package_data_patterns():
        for data in root.glob(pattern):
            if data.is_file() and data.suffix != ".py" and _enclosing_package(data) in package_dirs:
                files.add(data.relative_to(src))
    return sorted(files)


# ---------------------------------------------------------------------------------
# The jobs wheel and the zip of wheels.
# ---------------------------------------------------------------------------------
def jobs_wheel(target_dir: Path, release: str) -> Path:
    """Build the carelake wheel Glue installs: only the jobs' import closure, at `release`."""
    entry_points = [job.entry_point for job in load_manifest().ordered()]
    modules = import_closure(entry_points)
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        for rel in glue_files(modules):
            (stage / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SRC / rel, stage / "src" / rel)
        dependencies = ", ".join(f'"{d}"' for d in pyproject["project"]["dependencies"])
        patterns = ", ".join(f'"{p}"' for p in package_data_patterns())
        (stage / "pyproject.toml").write_text(
            "\n".join(
                [
                    "# Written by scripts/package_jobs.py: the carelake jobs for AWS Glue.",
                    "[build-system]",
                    'requires = ["setuptools>=80"]',
                    'build-backend = "setuptools.build_meta"',
                    "[project]",
                    f'name = "{PACKAGE}"',
                    f'version = "{release}"',
                    'description = "carelake jobs for AWS Glue 5.0: the modules the job manifest\'s entry points import"',
                    f'requires-python = "{pyproject["project"]["requires-python"]}"',
                    f"dependencies = [{dependencies}]",
                    "[tool.setuptools.packages.find]",
                    'where = ["src"]',
                    "[tool.setuptools.package-data]",
                    f"{PACKAGE} = [{patterns}]",
                ]
            )
            + "\n"
        )
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             "--wheel-dir", str(target_dir), str(stage)],
            check=True, env={**os.environ, **REPRODUCIBLE},
        )  # fmt: skip
    (wheel,) = target_dir.glob(f"{PACKAGE}-*.whl")
    return wheel


def write_wheel_zip(target: Path, wheels: Iterable[Path]) -> list[str]:
    """The zip of wheels, reproducibly (sorted entries, fixed timestamps); returns its members."""
    by_name = {w.name: w for w in wheels}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
        for name in sorted(by_name):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, by_name[name].read_bytes())
    return sorted(by_name)


def python_modules_zip(target: Path, release: str) -> list[str]:
    """The jobs wheel and the Glue dependencies' wheels (hash-checked against glue.lock)."""
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp)
        jobs_wheel(wheels, release)
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             *GLUE_PLATFORM, "--require-hashes", "--dest", str(wheels),
             "-r", str(REPO / "jobs/requirements/glue.lock")],
            check=True,
        )  # fmt: skip
        return write_wheel_zip(target, wheels.glob("*.whl"))


def main() -> None:
    dist = REPO / "dist"
    for stale in (dist / "glue", dist / "sql"):
        shutil.rmtree(stale, ignore_errors=True)
    dist.mkdir(exist_ok=True)
    release = version()
    members = python_modules_zip(dist / MODULES_ZIP, release)
    print(f"{MODULES_ZIP}: {', '.join(members)}")
    (dist / "glue").mkdir()
    for job in load_manifest().ordered():
        script = Path(import_module(job.entry_point).__file__)
        shutil.copy2(script, dist / "glue" / f"{job.name}.py")
    shutil.copytree(REPO / "sql" / "views", dist / "sql" / "views")
    (dist / "VERSION").write_text(release + "\n")
    print(f"wrote {dist} at version {release}: {', '.join(sorted(p.name for p in dist.iterdir()))}")


if __name__ == "__main__":
    main()
