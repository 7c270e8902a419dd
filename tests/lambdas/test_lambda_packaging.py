"""Deployment zips: self-contained, and byte-identical for the same source."""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lambda_testkit import LAMBDAS, REPO

HANDLERS = ["outreach_intake", "risk_alert", "sftp_arrival", "failure_notifier"]
COMMON = {"common/__init__.py", "common/aws.py", "common/config.py", "common/log.py"}
_spec = importlib.util.spec_from_file_location("carelake_build_zip", LAMBDAS / "build_zip.py")
build_zip = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build_zip)


def build(name: str, out: Path, lambdas_dir: Path = LAMBDAS) -> bytes:
    assert build_zip.main([name, "--out", str(out), "--lambdas-dir", str(lambdas_dir)]) == 0
    return out.read_bytes()


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("zips")
    return {name: build(name, out / f"{name}.zip") for name in HANDLERS}


@pytest.mark.parametrize("name", HANDLERS)
def test_zip_holds_the_handler_and_the_shared_package(zips, name, tmp_path):
    path = tmp_path / "h.zip"
    path.write_bytes(zips[name])
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        expected = {"handler.py", *COMMON}
        if name == "outreach_intake":
            expected.add("outreach_request.schema.json")
        assert set(names) == expected
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert archive.read("handler.py") == (LAMBDAS / name / "handler.py").read_bytes()


def test_same_source_gives_byte_identical_zips(zips, tmp_path):
    for name in HANDLERS:
        assert build(name, tmp_path / f"{name}.zip") == zips[name]


def test_file_times_modes_and_caches_do_not_change_the_zip(zips, tmp_path):
    copy = tmp_path / "lambdas"
    shutil.copytree(LAMBDAS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for path in copy.rglob("*"):
        if path.is_file():
            os.utime(path, (1_234_567_890, 1_234_567_890))
            path.chmod(0o600)
    (copy / "risk_alert" / "__pycache__").mkdir()
    (copy / "risk_alert" / "__pycache__" / "handler.cpython-311.pyc").write_bytes(b"cache")
    (copy / "risk_alert" / ".DS_Store").write_bytes(b"finder")

    for name in HANDLERS:
        assert build(name, tmp_path / f"{name}.zip", copy) == zips[name], name


def test_a_source_change_changes_the_zip(zips, tmp_path):
    copy = tmp_path / "lambdas"
    shutil.copytree(LAMBDAS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    with (copy / "common" / "log.py").open("a") as f:
        f.write("\n# changed\n")
    assert build("failure_notifier", tmp_path / "f.zip", copy) != zips["failure_notifier"]


IMPORT_EACH = """
import sys
for folder in sys.argv[1:]:
    for name in [m for m in sys.modules if m == "handler" or m.split(".")[0] == "common"]:
        del sys.modules[name]
    sys.path.insert(0, folder)
    import handler
    assert callable(handler.handler), folder
    sys.path.remove(folder)
"""


def test_each_zip_imports_on_its_own(zips, tmp_path):
    folders = []
    for name, data in zips.items():
        folder = tmp_path / name
        path = tmp_path / f"{name}.zip"
        path.write_bytes(data)
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
        folders.append(str(folder))
    # -I: no PYTHONPATH and no current directory, so only the zip's files and the runtime's boto3.
    result = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_EACH, *folders], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr


def test_make_package_lambdas_builds_the_same_zips(zips, tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    dist = tmp_path / "dist"
    subprocess.run(
        ["make", "-s", "package-lambdas", f"LAMBDA_DIST={dist}", f"PYTHON={sys.executable}"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    built = {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in dist.glob("*.zip")}
    assert built == {name: hashlib.sha256(data).hexdigest() for name, data in zips.items()}
