"""Shared Lambda code: settings, log lines, AWS client cache."""

from __future__ import annotations

import json
import logging
import threading

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from common import (  # importable: conftest loaded lambda_testkit, which puts lambdas/ on sys.path
    aws,
    config,
    log,
)
from lambda_testkit import LogCapture


def test_require_env():
    assert config.require_env("X", {"X": " v "}) == "v"
    for environ in ({}, {"X": ""}, {"X": "   "}):
        with pytest.raises(config.ConfigError, match="X is not set"):
            config.require_env("X", environ)


def test_int_env():
    assert config.int_env("N", environ={"N": "12"}) == 12
    assert config.int_env("N", 24, environ={}) == 24
    assert config.int_env("N", 24, minimum=1, environ={"N": "1"}) == 1
    with pytest.raises(config.ConfigError, match="N is not set"):
        config.int_env("N", environ={})
    with pytest.raises(config.ConfigError, match="must be an integer"):
        config.int_env("N", environ={"N": "1.5"})
    with pytest.raises(config.ConfigError, match="must be >= 1"):
        config.int_env("N", 24, minimum=1, environ={"N": "0"})


def test_error_code_never_uses_the_message():
    exc = ClientError(
        {"Error": {"Code": "ValidationException", "Message": "Value 'MRN-1' is bad"}}, "PutRecord"
    )
    assert log.error_code(exc) == "ValidationException"
    assert log.error_code(EndpointConnectionError(endpoint_url="https://x")) == "EndpointConnectionError"
    assert log.error_code(ValueError("MRN-1")) == "ValueError"


def test_structured_logger_writes_only_the_given_fields():
    capture = LogCapture()
    logging.getLogger("carelake.lambdas").addHandler(capture)
    try:
        log.get_logger("unit").info("unit.event", count=3, key="a")
        log.get_logger("unit").debug("unit.hidden")  # below INFO
    finally:
        logging.getLogger("carelake.lambdas").removeHandler(capture)
    assert [json.loads(line) for line in capture.lines] == [
        {"level": "INFO", "logger": "unit", "event": "unit.event", "count": 3, "key": "a"}
    ]


def test_handlers_log_lines_do_not_reach_the_root_logger():
    assert logging.getLogger("carelake.lambdas").propagate is False
    for name in ("boto3", "botocore", "urllib3", "s3transfer"):
        assert logging.getLogger(name).level == logging.WARNING


def test_request_id():
    class Context:
        aws_request_id = "abc"

    assert log.request_id(Context()) == "abc"
    assert log.request_id(None) is None


def test_clients_are_cached_per_process_and_thread_safe(aws_env):
    aws.reset_clients()
    seen = []
    barrier = threading.Barrier(8)

    def get() -> None:
        barrier.wait()
        seen.append(aws.client("sqs"))

    threads = [threading.Thread(target=get) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(c) for c in seen}) == 1
    assert seen[0].meta.config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert (seen[0].meta.config.connect_timeout, seen[0].meta.config.read_timeout) == (2, 5)
    slow = aws.client("sqs", read_timeout=60)
    assert slow is not seen[0] and slow.meta.config.read_timeout == 60
    assert slow.meta.config.retries == seen[0].meta.config.retries
    aws.reset_clients()
    assert aws.client("sqs") is not seen[0]
    aws.reset_clients()
