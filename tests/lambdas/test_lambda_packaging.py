"""Deployment zips: self-contained, and byte-identical for the same source.

outreach_intake vendors lambdas/requirements.txt (jsonschema), so building it runs pip against
its index (PyPI here): the zips fixture and the rebuild tests need the network."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lambda_testkit import LAMBDAS, REPO

HANDLERS = ["outreach_intake", "risk_alert", "sftp_arrival", "failure_notifier", "pipeline_health"]
COMMON = {"common/__init__.py", "common/aws.py", "common/config.py", "common/log.py"}
REQUIREMENTS = LAMBDAS / "requirements.txt"
DEV_LOCK = REPO / "jobs" / "requirements" / "dev.lock"
# What the python3.11 Lambda runtime provides besides the standard library: boto3 and its
# dependencies (six for python-dateutil).
RUNTIME_PACKAGES = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six"}
# Top-level names that requirements.txt puts at the root of the outreach_intake zip.
VENDORED_TOP_LEVEL = {
    "attr",
    "attrs",
    "jsonschema",
    "jsonschema_specifications",
    "referencing",
    "rpds",
    "rfc3339_validator.py",
    "six.py",
    "typing_extensions.py",
}
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


def pins(text: str) -> dict[str, str]:
    """{normalised name: version} of the `name==version` lines in a requirements file."""
    found = re.findall(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", text, flags=re.MULTILINE)
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in found}


def zip_names(data: bytes, tmp_path: Path) -> list[zipfile.ZipInfo]:
    path = tmp_path / "z.zip"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as archive:
        return archive.infolist()


@pytest.mark.parametrize("name", HANDLERS)
def test_zip_holds_the_handler_and_the_shared_package(zips, name, tmp_path):
    path = tmp_path / "h.zip"
    path.write_bytes(zips[name])
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
        expected = {"handler.py", *COMMON}
        if name == "outreach_intake":
            expected.add("outreach_event.schema.json")
        own = {n for n in names if n.split("/", 1)[0] not in VENDORED_TOP_LEVEL and ".dist-info/" not in n}
        assert own == expected
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        assert {i.compress_type for i in infos} == {zipfile.ZIP_STORED}
        assert archive.read("handler.py") == (LAMBDAS / name / "handler.py").read_bytes()
        for contract in build_zip.CONTRACT_FILES.get(name, ()):
            assert archive.read(contract) == (build_zip.CONTRACTS_DIR / contract).read_bytes()
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_only_outreach_intake_vendors_packages(zips, tmp_path):
    for name in HANDLERS:
        tops = {i.filename.split("/", 1)[0] for i in zip_names(zips[name], tmp_path)}
        vendored = {t for t in tops if t in VENDORED_TOP_LEVEL or t.endswith(".dist-info")}
        if name == "outreach_intake":
            assert vendored - VENDORED_TOP_LEVEL == {
                f"{n.replace('-', '_')}-{v}.dist-info" for n, v in pins(REQUIREMENTS.read_text()).items()
            }
            assert vendored >= VENDORED_TOP_LEVEL
        else:
            assert vendored == set(), name


def test_vendored_packages_are_the_wheels_for_the_lambda_runtime_without_pip_leftovers(zips, tmp_path):
    names = [i.filename for i in zip_names(zips["outreach_intake"], tmp_path)]
    # rpds-py is compiled: the CPython 3.11 x86_64 Linux build, whatever machine built the zip.
    assert [n for n in names if n.endswith(".so")] == ["rpds/rpds.cpython-311-x86_64-linux-gnu.so"]
    # pip's console scripts name this machine's python; RECORD and friends are pip's, not the wheel's.
    assert not [n for n in names if n.startswith("bin/")]
    leftovers = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    assert not [n for n in names if ".dist-info/" in n and n.rsplit("/", 1)[1] in leftovers]
    # Licences travel with the code.
    licensed = {
        n.split("-", 1)[0]
        for n in names
        if ".dist-info/" in n and n.rsplit("/", 1)[1].upper().startswith(("LICEN", "COPYING"))
    }
    assert len(licensed) == len(pins(REQUIREMENTS.read_text())), licensed


def test_requirements_pin_every_package_with_a_hash_at_the_dev_lock_version():
    text = REQUIREMENTS.read_text()
    pinned = pins(text)
    assert set(pinned) == {
        "attrs",
        "jsonschema",
        "jsonschema-specifications",
        "referencing",
        "rfc3339-validator",
        "rpds-py",
        "six",
        "typing-extensions",
    }
    # The tests run on the dev lock's versions: the zip must carry the same ones.
    locked = pins(DEV_LOCK.read_text())
    assert {name: locked.get(name) for name in pinned} == pinned
    assert len(re.findall(r"--hash=sha256:[0-9a-f]{64}", text)) == len(pinned)


def test_what_pip_adds_beside_the_wheels_files_is_left_out(tmp_path):
    files = [
        "bin/jsonschema",  # console script: its first line names the build machine's python
        "pkg/__init__.py",
        "pkg/__pycache__/__init__.cpython-311.pyc",
        "pkg/data.json",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/WHEEL",
        "pkg-1.0.dist-info/licenses/LICENSE",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.dist-info/INSTALLER",
        "pkg-1.0.dist-info/REQUESTED",
        "pkg-1.0.dist-info/direct_url.json",
        "mod.py",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    kept = {arcname for arcname, _ in build_zip._tree(tmp_path, keep=build_zip.is_vendored)}
    assert kept == {
        "mod.py",
        "pkg/__init__.py",
        "pkg/data.json",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/WHEEL",
        "pkg-1.0.dist-info/licenses/LICENSE",
    }


def test_a_vendored_package_cannot_shadow_the_shared_package(tmp_path, monkeypatch):
    def install(requirements: Path, target: Path) -> None:
        (target / "common").mkdir()
        (target / "common" / "__init__.py").write_text("# not ours\n")

    monkeypatch.setattr(build_zip, "install_requirements", install)
    vendor = tmp_path / "vendor"
    vendor.mkdir()
    with pytest.raises(SystemExit, match=re.escape("'common' comes from both common and requirements.txt")):
        build_zip.package_entries("outreach_intake", LAMBDAS, vendor)


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


# Imports the handler as the Lambda runtime would: the zip's root first on the path, and besides
# it only the standard library and the runtime's own packages. This interpreter's site-packages
# (the test venv, which has jsonschema and more) is hidden, so a package missing from the zip
# fails here as it would in AWS, and optional imports (jsonschema tries idna, jsonpointer...)
# behave as they would there.
IMPORT_ONE = """
import importlib.abc, importlib.machinery, json, sys
folder, runtime = sys.argv[1], set(sys.argv[2].split(","))

class LambdaRuntimeOnly(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if "." in name or name in sys.stdlib_module_names or name in runtime:
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, [folder])
        if spec is None:
            raise ModuleNotFoundError(f"No module named {name!r} in the zip", name=name)
        return spec

sys.meta_path.insert(0, LambdaRuntimeOnly())
sys.path.insert(0, folder)
import handler
assert callable(handler.handler), folder
checker = getattr(handler, "FORMAT_CHECKER", None)
print(json.dumps({
    "from_zip": sorted({n.split(".")[0] for n, m in sys.modules.items()
                        if (getattr(m, "__file__", None) or "").startswith(folder)}),
    "formats": sorted(checker.checkers) if checker else None,
    "feb_30": checker.conforms("2024-02-30T10:00:00Z", "date-time") if checker else None,
}))
"""


@pytest.mark.parametrize("name", HANDLERS)
def test_each_zip_imports_on_its_own(zips, name, tmp_path):
    folder = tmp_path / name
    path = tmp_path / f"{name}.zip"
    path.write_bytes(zips[name])
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    result = subprocess.run(
        [sys.executable, "-I", "-B", "-c", IMPORT_ONE, str(folder), ",".join(sorted(RUNTIME_PACKAGES))],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    if name == "outreach_intake":
        assert {"jsonschema", "referencing", "rpds", "rfc3339_validator", "six"} <= set(loaded["from_zip"])
        # date-time is checked in the runtime too (rfc3339-validator is in the zip).
        assert "date-time" in loaded["formats"] and loaded["feb_30"] is False
    else:
        assert loaded["from_zip"] == ["common", "handler"]


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
