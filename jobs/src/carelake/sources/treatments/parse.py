"""One DynamoDB export line -> a typed treatment item, in Python (Arrow-batched, never raising).

DynamoDB JSON is parsed with the standard library so numbers stay exact (``Decimal``) and
duplicate keys are an error; every problem is the item's quarantine reason. Lines come in
Arrow batches (``mapInArrow``), not one Python call per row.
"""

from __future__ import annotations

import json
import re
from base64 import b64decode
from binascii import Error as Base64Error
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from carelake.sources.treatments.contract import (
    ATTRIBUTE_TYPES,
    COST_LIMIT,
    OUTCOME_STATUSES,
    PARSED_ITEM_SCHEMA,
    REQUIRED_ATTRIBUTES,
    STRING_ATTRIBUTES,
)

# --- one export line (pure Python) ----------------------------------------------------------


class AttributeProblem(ValueError):
    """An attribute value that is not valid DynamoDB JSON."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _number(text: Any) -> Decimal:
    if not isinstance(text, str):
        raise AttributeProblem("N must be a string")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AttributeProblem(f"N {text!r} is not a number") from None
    if not value.is_finite():
        raise AttributeProblem(f"N {text!r} is not a number")
    return value


def _binary(text: Any) -> bytes:
    if not isinstance(text, str):
        raise AttributeProblem("B must be a base64 string")
    try:
        return b64decode(text, validate=True)
    except (Base64Error, ValueError):
        raise AttributeProblem("B is not base64") from None


def attribute_type(value: Any) -> str:
    """The type descriptor of a DynamoDB JSON attribute value (``{"S": "x"}`` -> ``S``)."""
    if not isinstance(value, dict) or len(value) != 1:
        raise AttributeProblem("expected an object with exactly one type descriptor")
    return next(iter(value))


def decode_attribute(value: Any) -> Any:
    """A DynamoDB JSON attribute value as Python: S str, N Decimal (exact), BOOL bool,
    NULL None, M dict, L list, B bytes, SS/NS/BS lists. Raises AttributeProblem."""
    kind = attribute_type(value)
    inner = value[kind]
    if kind == "S":
        if not isinstance(inner, str):
            raise AttributeProblem("S must be a string")
        return inner
    if kind == "N":
        return _number(inner)
    if kind == "BOOL":
        if not isinstance(inner, bool):
            raise AttributeProblem("BOOL must be true or false")
        return inner
    if kind == "NULL":
        if inner is not True:
            raise AttributeProblem("NULL must be true")
        return None
    if kind == "M":
        if not isinstance(inner, dict):
            raise AttributeProblem("M must be an object")
        return {key: decode_attribute(item) for key, item in inner.items()}
    if kind == "L":
        if not isinstance(inner, list):
            raise AttributeProblem("L must be an array")
        return [decode_attribute(item) for item in inner]
    if kind == "B":
        return _binary(inner)
    if kind in ("SS", "NS", "BS"):
        if not isinstance(inner, list):
            raise AttributeProblem(f"{kind} must be an array")
        if kind == "SS":
            if not all(isinstance(item, str) for item in inner):
                raise AttributeProblem("SS must hold strings")
            return list(inner)
        return [_number(item) if kind == "NS" else _binary(item) for item in inner]
    raise AttributeProblem(f"unknown type descriptor {kind!r}")


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


def parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def parse_utc_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp with a zone (``Z`` or ``±hh:mm``) as an aware UTC datetime."""
    if not _TIMESTAMP.match(value):
        raise ValueError(value)
    return datetime.fromisoformat(value).astimezone(UTC)


def _cost(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("is negative")
    if value >= COST_LIMIT:  # before quantize, which raises InvalidOperation for 1e26
        raise ValueError("does not fit decimal(12,2)")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("has more than 2 decimal places")
    return value.quantize(Decimal("0.01"))


def parse_item(line: str | None) -> dict[str, Any]:
    """One export line -> the PARSED_ITEM_SCHEMA fields; ``reason`` says why it is bad.

    Never raises: every problem is a quarantine reason (the first one found, in the
    order: JSON, Item, attribute encoding, required attributes, attribute types, values).
    """
    out: dict[str, Any] = dict.fromkeys(PARSED_ITEM_SCHEMA.fieldNames())
    if line is None or not line.strip():
        return {**out, "reason": "empty line"}
    try:
        document = json.loads(line, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        return {**out, "reason": f"malformed JSON: {exc}"}
    if not isinstance(document, dict):
        return {**out, "reason": "malformed JSON: not an object"}
    if "Item" not in document:
        return {**out, "reason": "missing Item"}
    item = document["Item"]
    if not isinstance(item, dict):
        return {**out, "reason": "Item is not an object of attributes"}

    kinds: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, attribute in item.items():
        try:
            kinds[name] = attribute_type(attribute)
            values[name] = decode_attribute(attribute)
        except AttributeProblem as exc:
            return {**out, "reason": f"invalid DynamoDB JSON in attribute {name}: {exc}"}

    for name in REQUIRED_ATTRIBUTES:
        if values.get(name) is None:
            return {**out, "reason": f"missing required attribute {name}"}
    for name, expected in ATTRIBUTE_TYPES.items():
        if name in kinds and kinds[name] not in (expected, "NULL"):
            return {**out, "reason": f"attribute {name} must be of type {expected}, got {kinds[name]}"}
    for name in REQUIRED_ATTRIBUTES:
        if isinstance(values[name], str) and not values[name].strip():
            return {**out, "reason": f"empty required attribute {name}"}

    try:
        cost = _cost(values["cost"])
    except ValueError as exc:
        return {**out, "reason": f"invalid cost {item['cost']['N']!r}: {exc}"}
    try:
        treatment_date = parse_date(values["treatment_date"])
    except ValueError:
        return {
            **out,
            "reason": f"bad treatment_date {values['treatment_date']!r}: expected a date YYYY-MM-DD",
        }
    try:
        modified_at = parse_utc_timestamp(values["metadata_modified_at"])
    except (ValueError, OverflowError):
        return {**out, "reason": f"bad metadata_modified_at {values['metadata_modified_at']!r}: "
                                 "expected an ISO 8601 timestamp with a time zone"}  # fmt: skip
    if values["outcome_status"] not in OUTCOME_STATUSES:
        return {**out, "reason": f"unknown outcome_status {values['outcome_status']!r}"}

    return {
        **out,
        **{name: values.get(name) for name in STRING_ATTRIBUTES},
        "cost": cost,
        "treatment_date": treatment_date,
        "metadata_modified_at": modified_at,
        "unmodelled_attributes": sorted(set(item) - set(ATTRIBUTE_TYPES)) or None,
    }


def parse_line(line: str | None) -> dict[str, Any]:
    """:func:`parse_item`, with any exception it did not foresee turned into the reason."""
    try:
        return parse_item(line)
    except Exception as error:
        out: dict[str, Any] = dict.fromkeys(PARSED_ITEM_SCHEMA.fieldNames())
        return {**out, "reason": f"unparseable item: {type(error).__name__}: {error}"}


ITEM_LINE_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), True),
        T.StructField("source_line", T.IntegerType(), True),
        T.StructField("landed_at", T.TimestampType(), True),
        T.StructField("record", T.StringType(), True),
        *PARSED_ITEM_SCHEMA.fields,
    ]
)
_ARROW = pa.schema(
    [
        ("source_file", pa.string()), ("source_line", pa.int32()), ("landed_at", pa.timestamp("us", tz="UTC")),
        ("record", pa.string()), ("reason", pa.string()),
        *((name, pa.string()) for name in STRING_ATTRIBUTES),
        ("cost", pa.decimal128(12, 2)), ("treatment_date", pa.date32()),
        ("metadata_modified_at", pa.timestamp("us", tz="UTC")), ("unmodelled_attributes", pa.list_(pa.string())),
    ]
)  # fmt: skip


def _parse_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        out: dict[str, list] = {name: [] for name in _ARROW.names}
        lines = batch.column("value").to_pylist()
        for name in ("source_file", "source_line", "landed_at"):
            out[name] = batch.column(name).to_pylist()
        for index, line in enumerate(lines):
            problem = batch.column("problem")[index].as_py()
            item = (
                parse_line(line)
                if problem is None
                else {**dict.fromkeys(PARSED_ITEM_SCHEMA.fieldNames()), "reason": problem}
            )
            out["record"].append(line)
            for name in PARSED_ITEM_SCHEMA.fieldNames():
                out[name].append(item[name])
        yield pa.RecordBatch.from_pydict(out, schema=_ARROW)


def parsed_lines(lines: DataFrame) -> DataFrame:
    """Export data lines (carelake.pipeline.raw_files.LINE_SCHEMA) -> ITEM_LINE_SCHEMA."""
    return lines.select("source_file", "source_line", "landed_at", "value", "problem").mapInArrow(
        _parse_batches, ITEM_LINE_SCHEMA
    )
