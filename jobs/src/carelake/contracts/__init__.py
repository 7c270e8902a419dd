"""Data contracts that more than one part of carelake enforces, shipped as package data.

``outreach_event.schema.json`` (JSON Schema Draft 2020-12) is the one definition of an outreach
event's fields: the intake Lambda validates request bodies against it (lambdas/build_zip.py
copies the file into the Lambda's zip), API Gateway's request validation is built from it
(Terraform reads the file), and bronze checks what Firehose wrote against the same rules
(docs/data-contracts.md, "Outreach event"). Pure Python: Glue jobs read it with
:func:`load_schema`.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

PACKAGE = "carelake.contracts"
OUTREACH_EVENT_SCHEMA = "outreach_event.schema.json"


def schema_path(name: str = OUTREACH_EVENT_SCHEMA) -> Path:
    """Where a contract file is on disk (the package is installed from a directory or a wheel
    unpacked by Glue, so the file always has a path)."""
    path = Path(str(resources.files(PACKAGE).joinpath(name)))
    if not path.is_file():
        raise FileNotFoundError(f"no contract {name!r} in {PACKAGE}")
    return path


@cache
def load_schema(name: str = OUTREACH_EVENT_SCHEMA) -> dict[str, Any]:
    """A contract's JSON Schema document (cached: treat it as read-only)."""
    return json.loads(schema_path(name).read_text(encoding="utf-8"))
