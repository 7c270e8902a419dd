"""boto3 clients shared across warm invocations, created once per process (thread-safe).

Timeouts are short and retries bounded so that a handler answers (or fails) well inside its own
timeout and API Gateway's 29 s limit instead of hanging on an unreachable endpoint: at worst
3 attempts x (2 s connect + 5 s read) + at most 3 s of backoff = 24 s.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

CLIENT_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "total_max_attempts": 3},  # the first call and two retries
)

_lock = threading.Lock()
_session: boto3.session.Session | None = None
_clients: dict[tuple[str, int | None, int | None], Any] = {}


def client_config(*, read_timeout: int | None = None, max_attempts: int | None = None) -> Config:
    """CLIENT_CONFIG with a longer read timeout and/or another number of attempts."""
    config = CLIENT_CONFIG
    if read_timeout is not None:
        config = config.merge(Config(read_timeout=read_timeout))
    if max_attempts is not None:
        config = config.merge(Config(retries={"mode": "standard", "total_max_attempts": max_attempts}))
    return config


def client(service: str, *, read_timeout: int | None = None, max_attempts: int | None = None) -> Any:
    """The process-wide client for `service` (clients are thread-safe once made). Sessions are
    not, so the one session this module owns is only touched under the lock; sharing it means
    the service models are loaded once per process. `read_timeout` (seconds) is for calls that
    legitimately take long, such as server-side copies of large S3 objects. `max_attempts=1` is
    for calls that must not be resent by the SDK: a publish that timed out may have been
    delivered, and resending it would deliver it twice."""
    global _session
    key = (service, read_timeout, max_attempts)
    with _lock:
        if key not in _clients:
            if _session is None:
                _session = boto3.session.Session()
            config = client_config(read_timeout=read_timeout, max_attempts=max_attempts)
            _clients[key] = _session.client(service, config=config)
        return _clients[key]


def reset_clients() -> None:
    """Forget cached clients, so the next call creates them anew (tests: inside each AWS mock)."""
    with _lock:
        _clients.clear()
