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


@pytest.fixture(autouse=True, scope="module")
def _release_cached_data():
    """Each test module starts with an empty cache: the session is shared by the whole run."""
    yield
    from carelake.runner import release_cached_data

    release_cached_data()
