"""Outreach intake API (API Gateway REST proxy -> Kinesis).

POST body: one outreach event as in docs/data-contracts.md, validated against
outreach_request.schema.json (beside this file). Answers:

- 202 {"record_id": ...}: validated, record_id and received_at added, put to Kinesis
  (partition key = patient_id) as one newline-terminated JSON line.
- 400 {"errors": [{"field": ..., "message": ...}]}: every field-level problem at once; "field" is
  null for problems with the body as a whole (not JSON, not an object, bad base64/UTF-8).
  Extra fields are rejected, record_id and received_at included (the Lambda sets them).
- 413: the body exceeds MAX_BODY_BYTES (after base64 decoding).
- 503 with Retry-After: Kinesis failed; nothing was stored, the client retries.

Never logs the note, ids or any other body value; one JSON log line per request carries the
status code, record_id and the names of the schema fields that failed.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from common import aws
from common.config import require_env
from common.log import error_code, get_logger, request_id

# Any schema-valid event fits, however its JSON is escaped: the 4096-byte note is at most
# 6 x 4096 bytes as \u escapes, plus two 64-character ids and the other fields.
MAX_BODY_BYTES = 32 * 1024
RETRY_AFTER_SECONDS = 5
SCHEMA_PATH = Path(__file__).with_name("outreach_request.schema.json")
UNEXPECTED_FIELD = "(unexpected)"
SERVER_SET_FIELDS = ("record_id", "received_at")

log = get_logger("outreach_intake")


# ---------------------------------------------------------------- schema (a fail-closed subset)


class SchemaError(ValueError):
    """The schema file uses something this validator does not implement."""


_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description"})
_OBJECT_KEYWORDS = _ANNOTATIONS | {"type", "additionalProperties", "required", "properties"}
_STRING_KEYWORDS = _ANNOTATIONS | {
    "type",
    "enum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "x-maxUtf8Bytes",
}

_DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))",
    re.ASCII,
)


def is_rfc3339_date_time(value: str) -> bool:
    """RFC 3339 date-time with a zone ('Z' or +hh:mm): a real calendar date, no leap second."""
    match = _DATE_TIME.fullmatch(value)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    off_hour, off_minute = match.group(7), match.group(8)
    if off_hour is not None and (int(off_hour) > 23 or int(off_minute) > 59):
        return False
    try:
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def _anchored(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262: '$' matches only at the very end. Python's '$' also
    # matches before a final newline, so "MRN-1\n" would pass; '\Z' does not allow that.
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern, re.ASCII)


@dataclass(frozen=True)
class StringRule:
    enum: tuple[str, ...] | None = None
    min_length: int | None = None
    max_length: int | None = None
    max_utf8_bytes: int | None = None
    pattern: re.Pattern[str] | None = None
    pattern_text: str | None = None
    date_time: bool = False


@dataclass(frozen=True)
class ObjectSchema:
    properties: dict[str, StringRule]
    required: tuple[str, ...]


def load_schema(document: Mapping[str, Any]) -> ObjectSchema:
    """Compile the request schema. Raises SchemaError on any keyword or value outside the subset
    implemented here, so a schema edit can never be silently ignored."""
    unknown = set(document) - _OBJECT_KEYWORDS
    if unknown:
        raise SchemaError(f"unsupported keywords at the top level: {sorted(unknown)}")
    if document.get("type") != "object" or document.get("additionalProperties") is not False:
        raise SchemaError("the top level must be type object with additionalProperties false")
    properties: dict[str, StringRule] = {}
    for name, spec in document.get("properties", {}).items():
        unknown = set(spec) - _STRING_KEYWORDS
        if unknown:
            raise SchemaError(f"unsupported keywords for {name}: {sorted(unknown)}")
        if spec.get("type") != "string":
            raise SchemaError(f"{name}: only string properties are supported")
        fmt = spec.get("format")
        if fmt not in (None, "date-time"):
            raise SchemaError(f"{name}: unsupported format {fmt!r}")
        pattern = spec.get("pattern")
        properties[name] = StringRule(
            enum=tuple(spec["enum"]) if "enum" in spec else None,
            min_length=spec.get("minLength"),
            max_length=spec.get("maxLength"),
            max_utf8_bytes=spec.get("x-maxUtf8Bytes"),
            pattern=_anchored(pattern) if pattern is not None else None,
            pattern_text=pattern,
            date_time=fmt == "date-time",
        )
    required = tuple(document.get("required", ()))
    missing = [name for name in required if name not in properties]
    if missing:
        raise SchemaError(f"required names without a property: {missing}")
    return ObjectSchema(properties=properties, required=required)


SCHEMA = load_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message}


def string_error(rule: StringRule, value: object) -> str | None:
    """Why `value` breaks `rule` (the first failing check), or None if it is valid."""
    if not isinstance(value, str):
        return "must be a string"
    try:
        utf8_bytes = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return "must be valid Unicode text (no unpaired surrogates)"
    if rule.enum is not None and value not in rule.enum:
        return "must be one of: " + ", ".join(rule.enum)
    if rule.min_length is not None and len(value) < rule.min_length:
        return (
            "must not be empty" if rule.min_length == 1 else f"must be at least {rule.min_length} characters"
        )
    if rule.max_length is not None and len(value) > rule.max_length:
        return f"must be at most {rule.max_length} characters"
    if rule.max_utf8_bytes is not None and utf8_bytes > rule.max_utf8_bytes:
        return f"must be at most {rule.max_utf8_bytes} bytes as UTF-8"
    if rule.pattern is not None and rule.pattern.search(value) is None:
        return f"must match the pattern {rule.pattern_text}"
    if rule.date_time and not is_rfc3339_date_time(value):
        return "must be an ISO-8601 date-time with a zone offset, e.g. 2024-03-02T14:05:00-05:00"
    return None


def validate_event(body: Mapping[str, Any], schema: ObjectSchema = SCHEMA) -> list[FieldError]:
    """Every field-level error in `body`: missing required fields, invalid fields (schema order),
    then fields the schema does not accept (body order)."""
    errors: list[FieldError] = []
    for name, rule in schema.properties.items():
        if name not in body:
            if name in schema.required:
                errors.append(FieldError(name, "is required"))
            continue
        message = string_error(rule, body[name])
        if message is not None:
            errors.append(FieldError(name, message))
    for name in body:
        if name in SERVER_SET_FIELDS:
            errors.append(FieldError(name, "is set by the intake API; do not send it"))
        elif name not in schema.properties:
            errors.append(FieldError(name, "is not an accepted field"))
    return errors


class RequestError(Exception):
    """A request answered with 4xx before or during validation."""

    def __init__(self, status_code: int, errors: list[FieldError]) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.errors = errors


def body_text(event: Mapping[str, Any], max_bytes: int = MAX_BODY_BYTES) -> str:
    """The request body as text: base64-decoded if API Gateway says so, size-checked first."""
    body = event.get("body")
    if body is None:
        raise RequestError(400, [FieldError(None, "a JSON body is required")])
    if not isinstance(body, str):
        raise RequestError(400, [FieldError(None, "the body must be JSON text")])
    too_large = RequestError(413, [FieldError(None, f"the body must be at most {max_bytes} bytes")])
    if event.get("isBase64Encoded") is True:
        if len(body) > 4 * -(-max_bytes // 3):
            raise too_large
        try:
            raw = base64.b64decode(body, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII characters in the text
            raise RequestError(
                400, [FieldError(None, "the body is marked base64 but is not valid base64")]
            ) from None
        if len(raw) > max_bytes:
            raise too_large
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError(400, [FieldError(None, "the body must be UTF-8 encoded JSON")]) from None
    if len(body.encode("utf-8", "surrogatepass")) > max_bytes:
        raise too_large
    return body


class _DuplicateField(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateField(key)
        result[key] = value
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_body(text: str) -> dict[str, Any]:
    """The body as a JSON object; rejects invalid JSON, NaN/Infinity, duplicate names, non-objects."""
    try:
        value = json.loads(
            text, object_pairs_hook=_object_without_duplicates, parse_constant=_reject_constant
        )
    except _DuplicateField as dup:
        raise RequestError(400, [FieldError(dup.name, "appears more than once")]) from None
    except (ValueError, RecursionError):
        raise RequestError(400, [FieldError(None, "the body is not valid JSON")]) from None
    if not isinstance(value, dict):
        raise RequestError(400, [FieldError(None, "the body must be a JSON object")])
    return value


# ---------------------------------------------------------------- the record on Kinesis


def build_record(body: Mapping[str, Any], record_id: str, received_at: datetime) -> dict[str, Any]:
    """The outreach event as Firehose writes it (docs/data-contracts.md), fields in contract order."""
    record: dict[str, Any] = {"record_id": record_id}
    for name in ("patient_id", "coordinator_id", "event_at", "channel", "status", "note"):
        if name in body:
            record[name] = body[name]
    record["received_at"] = received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return record


def encode_record(record: Mapping[str, Any]) -> bytes:
    """One JSON line, newline-terminated, so Firehose's concatenated output is JSON lines."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def _response(
    status_code: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": "application/json", "Cache-Control": "no-store", **(headers or {})},
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }


def loggable_fields(errors: list[FieldError], schema: ObjectSchema = SCHEMA) -> list[str]:
    """Error field names safe to log: schema names only. A client-invented name could be PHI."""
    known = set(schema.properties) | set(SERVER_SET_FIELDS)
    return [
        "(body)" if e.field is None else e.field if e.field in known else UNEXPECTED_FIELD for e in errors
    ]


def handle(
    event: Mapping[str, Any],
    *,
    stream_name: str,
    kinesis: Any,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    new_record_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    request: str | None = None,
) -> dict[str, Any]:
    try:
        body = parse_body(body_text(event))
        errors = validate_event(body)
        if errors:
            raise RequestError(400, errors)
    except RequestError as rejected:
        log.info(
            "outreach_intake.rejected",
            status_code=rejected.status_code,
            error_fields=loggable_fields(rejected.errors),
            request_id=request,
        )
        return _response(rejected.status_code, {"errors": [e.as_dict() for e in rejected.errors]})

    record = build_record(body, new_record_id(), now())
    try:
        kinesis.put_record(
            StreamName=stream_name, Data=encode_record(record), PartitionKey=record["patient_id"]
        )
    except (ClientError, BotoCoreError) as exc:
        log.error(
            "outreach_intake.kinesis_failed",
            status_code=503,
            record_id=record["record_id"],
            aws_error=error_code(exc),
            request_id=request,
        )
        return _response(
            503,
            {"message": "the outreach event could not be stored; retry later"},
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    log.info("outreach_intake.accepted", status_code=202, record_id=record["record_id"], request_id=request)
    return _response(202, {"record_id": record["record_id"]})


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(
        event,
        stream_name=require_env("STREAM_NAME"),
        kinesis=aws.client("kinesis"),
        request=request_id(context),
    )
