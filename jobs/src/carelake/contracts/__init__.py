"""Data contracts that more than one part of carelake enforces, shipped as package data.

``outreach_event.schema.json`` (JSON Schema Draft 2020-12) is the one definition of an outreach
event's fields: the intake Lambda validates request bodies against it (lambdas/build_zip.py
copies the file into the Lambda's zip), API Gateway's request validation is built from it
(Terraform reads the file), and bronze checks what Firehose wrote against the same rules
(docs/data-contracts.md, "Outreach event"). Pure Python: Glue jobs read it with
:func:`load_schema` (from the wheel, even zipped).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

PACKAGE = "carelake.contracts"
OUTREACH_EVENT_SCHEMA = "outreach_event.schema.json"


@cache
def load_schema(name: str = OUTREACH_EVENT_SCHEMA) -> dict[str, Any]:
    """A contract's JSON Schema document (cached: treat it as read-only). Read through
    importlib.resources, so it loads from a zipped wheel on sys.path too."""
    contract = resources.files(PACKAGE).joinpath(name)
    if not contract.is_file():
        raise FileNotFoundError(f"no contract {name!r} in {PACKAGE}")
    return json.loads(contract.read_text(encoding="utf-8"))
