"""Fixtures shared by the Lambda tests: fake credentials, a moto mock per test, log capture."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from lambda_testkit import REGION, LogCapture
from moto import mock_aws


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and region that can never reach a real account."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)


@pytest.fixture
def mocked_aws(aws_env: None) -> Iterator[None]:
    """moto for every AWS service, fresh state per test. The handlers' cached clients are kept
    from test to test (as in a warm Lambda): moto intercepts them all the same."""
    with mock_aws():
        yield


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """Every line the handlers log (the `carelake.lambdas` logger tree)."""
    capture = LogCapture()
    logger = logging.getLogger("carelake.lambdas")
    logger.addHandler(capture)
    yield capture
    logger.removeHandler(capture)
