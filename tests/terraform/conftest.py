"""Fixtures for the Terraform tests."""

from __future__ import annotations

import shutil

import pytest
from tf_testkit import terraform_env


@pytest.fixture(scope="session")
def tf_env() -> dict[str, str]:
    """Environment for terraform processes; fails (not skips) when terraform is missing."""
    if shutil.which("terraform") is None:
        pytest.fail(
            "terraform is not on PATH (Terraform 1.11 is part of the local set-up, see docs/runbook.md)"
        )
    return terraform_env()
