"""Shared test fixtures: one local SparkSession for the whole test run."""

from __future__ import annotations

import pytest

# Test frames hold a few rows: interpreted expressions and few shuffle partitions beat code
# generation and adaptive planning by minutes on a 2-core machine, with the same results.
# (The jobs' own settings are carelake.runtime's; make bench measures those.)
SMALL_DATA_SETTINGS = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
}


@pytest.fixture(scope="session")
def spark():
    from carelake.runtime import local_session

    session = local_session("carelake-tests")
    for key, value in SMALL_DATA_SETTINGS.items():
        session.conf.set(key, value)
    yield session
    session.stop()


# make test runs two pytest-xdist workers (--dist loadgroup). Spark tests are CPU-bound in one
# JVM, so they share one worker (a second JVM would only compete for the 2 cores); Terraform,
# the emulator and the Lambda tests run terraform and moto processes and take the other.
PLATFORM_TESTS = ("tests/terraform/", "tests/lambdas/", "tests/integration/test_tf_emulator.py",
                  "tests/integration/test_moto_patches.py")  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.path.as_posix()
        if any(part in path for part in PLATFORM_TESTS):
            item.add_marker(pytest.mark.xdist_group("platform"))
        elif "/tests/sql/" not in path:  # the SQL tests (DuckDB) may run on either worker
            item.add_marker(pytest.mark.xdist_group("spark"))
