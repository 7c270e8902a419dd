"""Shared test fixtures: one local SparkSession for the whole test run."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from tests.support.small_data import small_data_session

    session = small_data_session("carelake-tests")
    yield session
    session.stop()


@pytest.fixture(autouse=True, scope="module")
def _release_cached_data():
    """Each test module starts with an empty cache: the session is shared by the whole run."""
    yield
    from carelake.runner import release_cached_data

    release_cached_data()
