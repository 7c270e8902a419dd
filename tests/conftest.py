"""Shared test fixtures: one local SparkSession for the whole test run."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from carelake.runtime import local_session

    session = local_session("carelake-tests")
    yield session
    session.stop()
