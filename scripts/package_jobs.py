"""make package: the Glue artifacts in dist/ (what CI uploads under the artifact version).

dist/carelake-python-modules.zip           a "zip of wheels" (Glue 5.0): the carelake wheel and
                                           the cp311 manylinux wheels of jobs/requirements/glue.txt;
                                           Glue installs it with --no-index (no internet in the VPC)
dist/glue/<job>.py                         one entry script per job in the manifest
dist/sql/views/*.sql, dist/sql/ddl/*.sql   what the SQL deployment runs
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import import_module
from pathlib import Path

from carelake.manifest import load_manifest

REPO = Path(__file__).resolve().parents[1]
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


def python_modules_zip(target: Path) -> list[str]:
    """Build the zip of wheels reproducibly (sorted entries, fixed timestamps); returns its members."""
    with tempfile.TemporaryDirectory() as tmp:
        wheels = Path(tmp)
        pip = [sys.executable, "-m", "pip"]
        # SOURCE_DATE_EPOCH pins the timestamps inside the wheel: same source, same bytes.
        env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}
        subprocess.run(
            [*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", str(wheels), str(REPO)],
            check=True,
            env=env,
        )
        subprocess.run(
            [*pip, "download", "--quiet", "--no-deps", "--only-binary=:all:", *GLUE_PLATFORM,
             "--dest", str(wheels), "-r", str(REPO / "jobs/requirements/glue.txt")],
            check=True,
        )  # fmt: skip
        names = sorted(p.name for p in wheels.glob("*.whl"))
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
            for name in names:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                archive.writestr(info, (wheels / name).read_bytes())
    return names


def main() -> None:
    dist = REPO / "dist"
    for stale in (dist / "glue", dist / "sql"):
        shutil.rmtree(stale, ignore_errors=True)
    dist.mkdir(exist_ok=True)
    members = python_modules_zip(dist / MODULES_ZIP)
    print(f"{MODULES_ZIP}: {', '.join(members)}")
    (dist / "glue").mkdir()
    for job in load_manifest().ordered():
        script = Path(import_module(job.entry_point).__file__)
        shutil.copy2(script, dist / "glue" / f"{job.name}.py")
    for folder in ("views", "ddl"):
        shutil.copytree(REPO / "sql" / folder, dist / "sql" / folder)
    print(f"wrote {dist}: {', '.join(sorted(p.name for p in dist.iterdir()))}")


if __name__ == "__main__":
    main()
