"""`terraform test` of every module (mocked AWS provider, plan only).

The runs share one session fixture that checks two directories at a time (each
`terraform` process loads the 700 MB AWS provider, so two cores are kept busy), and
each module's result is its own test.
"""

from __future__ import annotations

import re
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from tf_testkit import MODULE_DIRS, REPO, run

TEST_DIRS = [d for d in MODULE_DIRS if list((d / "tests").glob("*.tftest.hcl"))]


def _init_and_test(directory: Path, env: dict[str, str]) -> tuple[int, str]:
    init = run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], directory, env)
    if init.returncode != 0:
        return init.returncode, init.stdout + init.stderr
    test = run(["terraform", "test", "-no-color"], directory, env)
    return test.returncode, test.stdout + test.stderr


@pytest.fixture(scope="session")
def tftest_results(tf_env: dict[str, str]) -> dict[Path, tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {d: pool.submit(_init_and_test, d, tf_env) for d in TEST_DIRS}
        return {d: f.result() for d, f in futures.items()}


def test_every_module_has_its_files_and_tests() -> None:
    for module in MODULE_DIRS:
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"):
            assert (module / name).is_file(), f"{module.name} lacks {name}"
        runs = sum(
            len(re.findall(r'^run "', t.read_text(), re.M)) for t in (module / "tests").glob("*.tftest.hcl")
        )
        if module.name != "context":
            assert 'mock_provider "aws"' in "".join(
                t.read_text() for t in (module / "tests").glob("*.tftest.hcl")
            )
        assert runs >= 2, f"{module.name}: fewer than two terraform test runs"


@pytest.mark.parametrize("directory", TEST_DIRS, ids=[d.name for d in TEST_DIRS])
def test_terraform_test(directory: Path, tftest_results: dict[Path, tuple[int, str]]) -> None:
    returncode, output = tftest_results[directory]
    assert returncode == 0, f"terraform test in {directory.relative_to(REPO)} failed:\n{output}"
    summary = re.search(r"Success! (\d+) passed, 0 failed", output)
    assert summary and int(summary.group(1)) > 0, output


def test_terraform_fmt(tf_env: dict[str, str]) -> None:
    result = subprocess.run(
        ["terraform", "fmt", "-check", "-recursive", "-diff", "terraform"],
        cwd=REPO,
        env=tf_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"
