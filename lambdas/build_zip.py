"""Build one Lambda's deployment zip reproducibly: the same source gives a byte-identical zip.

    python lambdas/build_zip.py <name> --out dist/lambdas/<name>.zip

The zip holds lambdas/<name>/ at its root (handler.py) and lambdas/common/ as common/. A handler
that enforces a data contract (CONTRACT_FILES) also gets the contract's file from
jobs/src/carelake/contracts/ at its root, beside handler.py: the contract is declared once, in
the carelake package that the Glue jobs read it from. Entries are sorted, every timestamp is 1980-01-01 00:00:00, permissions are 0644 and
entries are stored uncompressed, so neither file mtimes, umask, directory order nor the
machine's zlib build can change the bytes. Caches (__pycache__, *.pyc) and dot files are left out.

Handlers use the standard library and the boto3 that the python3.11 runtime provides. The ones in
VENDORED_HANDLERS (outreach_intake: jsonschema) also get the packages of lambdas/requirements.txt
at the zip's root, installed with pip for the Lambda platform (cp311, manylinux2014_x86_64,
wheels only, no dependency resolution: the file pins the whole closure, with hashes), whatever
the build machine is. pip needs its index (PyPI, or the mirror pip is configured for). What pip
writes beside the wheels' files varies by machine or pip version and is left out: console
scripts (bin/, their first line names this machine's python) and the *.dist-info files RECORD
(hashes of those scripts), INSTALLER, REQUESTED and direct_url.json. Licences and METADATA stay.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

LAMBDAS_DIR = Path(__file__).resolve().parent
CONTRACTS_DIR = LAMBDAS_DIR.parent / "jobs" / "src" / "carelake" / "contracts"
# handler -> contract files (in CONTRACTS_DIR) it loads from beside handler.py
CONTRACT_FILES = {"outreach_intake": ("outreach_event.schema.json",)}
SHARED_PACKAGE = "common"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--
REQUIREMENTS = "requirements.txt"  # in lambdas/
VENDORED_HANDLERS = frozenset({"outreach_intake"})
# The Lambda runtime (python3.11, x86_64), not this machine.
PIP_PLATFORM_ARGS = (
    "--platform",
    "manylinux2014_x86_64",
    "--implementation",
    "cp",
    "--python-version",
    "3.11",
    "--only-binary=:all:",
    "--no-deps",
)
# Written by pip at install time, not taken from the wheel (RECORD also lists bin/ scripts).
PIP_INSTALL_FILES = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})


def is_packaged(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return (
        path.is_file()
        and not any(part.startswith(".") or part == "__pycache__" for part in parts)
        and path.suffix not in {".pyc", ".pyo"}
    )


def install_requirements(requirements: Path, target: Path) -> None:
    """pip-install `requirements` for the Lambda runtime into the empty folder `target`."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--no-compile",
        "--require-hashes",
        "--target",
        str(target),
        *PIP_PLATFORM_ARGS,
        "-r",
        str(requirements),
    ]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise SystemExit(f"pip could not install {requirements}:\n{result.stdout}")


def is_vendored(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    if parts[0] == "bin":
        return False
    if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] in PIP_INSTALL_FILES:
        return False
    return is_packaged(path, root)


def _tree(
    root: Path, prefix: str = "", keep: Callable[[Path, Path], bool] = is_packaged
) -> list[tuple[str, Path]]:
    return [
        (prefix + path.relative_to(root).as_posix(), path) for path in root.rglob("*") if keep(path, root)
    ]


def handler_entries(
    name: str, lambdas_dir: Path = LAMBDAS_DIR, contracts_dir: Path = CONTRACTS_DIR
) -> list[tuple[str, Path]]:
    """(archive name, source file) pairs of the handler's own files: lambdas/<name>/ and its
    contract files, all at the zip's root. The Lambda tests load handlers from these too."""
    handler_dir = lambdas_dir / name
    if not (handler_dir / "handler.py").is_file():
        raise SystemExit(f"no handler at {handler_dir / 'handler.py'}")
    entries = _tree(handler_dir)
    for contract in CONTRACT_FILES.get(name, ()):
        if (handler_dir / contract).exists():
            raise SystemExit(f"{name}: {contract} is a contract; keep it only in {contracts_dir}")
        if not (contracts_dir / contract).is_file():
            raise SystemExit(f"{name}: contract {contract} not found in {contracts_dir}")
        entries.append((contract, contracts_dir / contract))
    return sorted(entries)


def package_entries(
    name: str,
    lambdas_dir: Path = LAMBDAS_DIR,
    vendor_dir: Path | None = None,
    contracts_dir: Path = CONTRACTS_DIR,
) -> list[tuple[str, Path]]:
    """(archive name, source file) pairs for handler `name`, sorted by archive name. Handlers in
    VENDORED_HANDLERS need `vendor_dir`, an empty folder to install their requirements into (it
    must outlive the returned entries)."""
    groups = {
        name: handler_entries(name, lambdas_dir, contracts_dir),
        SHARED_PACKAGE: _tree(lambdas_dir / SHARED_PACKAGE, f"{SHARED_PACKAGE}/"),
    }
    if name in VENDORED_HANDLERS:
        if vendor_dir is None:
            raise ValueError(f"{name} vendors {REQUIREMENTS}: pass a vendor_dir")
        install_requirements(lambdas_dir / REQUIREMENTS, vendor_dir)
        groups[REQUIREMENTS] = _tree(vendor_dir, keep=is_vendored)
    # Each top-level name (file or package) comes from one place only: a vendored package named
    # like a handler file, or a handler file in common/, would otherwise be merged or replaced.
    owners: dict[str, str] = {}
    for group, entries in groups.items():
        for top in {arcname.split("/", 1)[0] for arcname, _ in entries}:
            if owners.setdefault(top, group) != group:
                raise SystemExit(f"{name}: {top!r} comes from both {owners[top]} and {group}")
    return sorted(entry for entries in groups.values() for entry in entries)


def write_zip(entries: list[tuple[str, Path]], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_STORED) as archive:
            for arcname, path in entries:
                info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_STORED
                info.create_system = 3  # unix, so external_attr holds the mode on every OS
                info.external_attr = FILE_MODE << 16
                archive.writestr(info, path.read_bytes())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, out)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="handler directory under lambdas/, e.g. outreach_intake")
    parser.add_argument("--out", type=Path, required=True, help="zip file to write")
    parser.add_argument("--lambdas-dir", type=Path, default=LAMBDAS_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="carelake-lambda-") as vendor_dir:
        entries = package_entries(args.name, args.lambdas_dir, Path(vendor_dir))
        write_zip(entries, args.out)
    print(f"{args.out}: {len(entries)} files, {args.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
