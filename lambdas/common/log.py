"""Structured JSON logging that carries no PHI.

Every line is one JSON object on stdout: ``{"level", "logger", "event", ...fields}``. Callers pass
fields explicitly, so nothing reaches the log that a handler did not choose to put there: no
request bodies, no exception messages from AWS (validation errors can echo request values).

The AWS SDK loggers are held at WARNING: at DEBUG, botocore logs whole request bodies (which
would include an outreach note) whatever level the root logger is set to.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

_ROOT = "carelake.lambdas"  # not "carelake": that tree belongs to the jobs package
_SDK_LOGGERS = ("boto3", "botocore", "s3transfer", "urllib3")


class _StdoutHandler(logging.Handler):
    """Writes each message as one line to whatever sys.stdout is at the time (CloudWatch)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(record.getMessage() + "\n")
            sys.stdout.flush()
        except Exception:
            self.handleError(record)


def _configure() -> logging.Logger:
    root = logging.getLogger(_ROOT)
    if not any(isinstance(h, _StdoutHandler) for h in root.handlers):
        root.addHandler(_StdoutHandler())
    # Our own handler writes the JSON line; the Lambda runtime's root handler would print it again.
    root.propagate = False
    level = os.environ.get("LOG_LEVEL", "INFO").strip().upper()
    root.setLevel(level if level in logging.getLevelNamesMapping() else logging.INFO)
    for name in _SDK_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return root


class StructuredLogger:
    """Writes one JSON object per call; only the keyword fields given are logged."""

    def __init__(self, component: str) -> None:
        _configure()
        self.component = component
        self._logger = logging.getLogger(f"{_ROOT}.{component}")

    def _emit(self, level: int, event: str, fields: dict[str, Any]) -> None:
        if not self._logger.isEnabledFor(level):
            return
        payload = {"level": logging.getLevelName(level), "logger": self.component, "event": event}
        payload.update(fields)
        self._logger.log(level, json.dumps(payload, default=str, sort_keys=True))

    def debug(self, event: str, **fields: Any) -> None:
        self._emit(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        self._emit(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit(logging.ERROR, event, fields)


def get_logger(component: str) -> StructuredLogger:
    return StructuredLogger(component)


def request_id(context: object) -> str | None:
    """The Lambda request id, for correlating log lines (None outside Lambda)."""
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None


def error_code(exc: BaseException) -> str:
    """A log-safe description of an AWS error: its code or class name, never its message."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__
