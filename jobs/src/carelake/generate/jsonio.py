"""Compact JSON serialization, fast when orjson is installed.

Serializing FHIR resources is most of the generator's work. orjson (pinned in
jobs/requirements/dev.lock) is about ten times faster than the standard library; when it
is missing the standard library writes the same bytes for everything the generator emits
(ASCII/UTF-8 text, integers, and floats with at most a few decimals), which
tests/unit/test_generate_output.py checks.
"""

from __future__ import annotations

import json
from typing import Any

try:  # pragma: no branch - one of the two is always taken
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised only without orjson
    _orjson = None


def _stdlib_dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def dumps_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON, keys in insertion order."""
    if _orjson is not None:
        return _orjson.dumps(value)
    return _stdlib_dumps(value)


def dumps(value: Any) -> str:
    return dumps_bytes(value).decode("utf-8")


stdlib_dumps_bytes = _stdlib_dumps
