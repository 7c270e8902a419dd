"""Build one Lambda's deployment zip reproducibly: the same source gives a byte-identical zip.

    python lambdas/build_zip.py <name> --out dist/lambdas/<name>.zip

The zip holds lambdas/<name>/ at its root (handler.py, schema files) and lambdas/common/ as
common/. Entries are sorted, every timestamp is 1980-01-01 00:00:00, permissions are 0644 and
entries are stored uncompressed, so neither file mtimes, umask, directory order nor the
machine's zlib build can change the bytes (the handlers are a few tens of KB; compression would
save nothing that matters). Caches (__pycache__, *.pyc) and dot files are left out.
Handlers use only the standard library and the boto3 that the python3.11 runtime provides.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

LAMBDAS_DIR = Path(__file__).resolve().parent
SHARED_PACKAGE = "common"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # regular file, rw-r--r--


def is_packaged(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return (
        path.is_file()
        and not any(part.startswith(".") or part == "__pycache__" for part in parts)
        and path.suffix not in {".pyc", ".pyo"}
    )


def package_entries(name: str, lambdas_dir: Path = LAMBDAS_DIR) -> list[tuple[str, Path]]:
    """(archive name, source file) pairs for handler `name`, sorted by archive name."""
    handler_dir = lambdas_dir / name
    if not (handler_dir / "handler.py").is_file():
        raise SystemExit(f"no handler at {handler_dir / 'handler.py'}")
    entries = [
        (path.relative_to(handler_dir).as_posix(), path)
        for path in handler_dir.rglob("*")
        if is_packaged(path, handler_dir)
    ]
    shared_dir = lambdas_dir / SHARED_PACKAGE
    entries += [
        (f"{SHARED_PACKAGE}/{path.relative_to(shared_dir).as_posix()}", path)
        for path in shared_dir.rglob("*")
        if is_packaged(path, shared_dir)
    ]
    names = [arcname for arcname, _ in entries]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise SystemExit(f"{name}: files clash with the shared package: {clashes}")
    return sorted(entries)


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
    entries = package_entries(args.name, args.lambdas_dir)
    write_zip(entries, args.out)
    print(f"{args.out}: {len(entries)} files, {args.out.stat().st_size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
