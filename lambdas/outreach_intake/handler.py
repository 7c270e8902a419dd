"""Outreach intake API (API Gateway REST proxy -> Kinesis).

POST body: one outreach event as in docs/data-contracts.md, validated against
outreach_event.schema.json (beside this file in the zip: lambdas/build_zip.py copies the one
contract from jobs/src/carelake/contracts/, which bronze applies too) with the `jsonschema`
library (Draft 2020-12, vendored into this handler's zip from lambdas/requirements.txt). Answers:

- 202 {"record_id": ...}: validated, record_id and received_at added, put to Kinesis
  (partition key = patient_id) as one newline-terminated JSON line.
- 400 {"errors": [{"field": ..., "message": ...}]}: every field-level problem at once (one message
  per field); "field" is null for problems with the body as a whole (not JSON, not an object, bad
  base64/UTF-8). Extra fields are rejected, record_id and received_at included (the Lambda sets
  them). Messages are written here from the schema keyword that failed, never from jsonschema's
  own text, which quotes the offending value.
- 413: the body exceeds MAX_BODY_BYTES (after base64 decoding).
- 503 with Retry-After: Kinesis failed; nothing was stored, the client retries.

Never logs the note, ids or any other body value; one JSON log line per request carries the
status code, record_id and the names of the schema fields that failed.
"""

from __future__ import annotations

import base64
import functools
import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from common import aws
from common.config import require_env
from common.log import error_code, get_logger, request_id
from jsonschema import Draft202012Validator, FormatChecker, ValidationError
from jsonschema.exceptions import SchemaError as InvalidSchemaError
from jsonschema.validators import extend
from referencing.jsonschema import DRAFT202012

# Any schema-valid event fits, however its JSON is escaped: the 4096-byte note is at most
# 6 x 4096 bytes as \u escapes, plus two 64-character ids and the other fields.
MAX_BODY_BYTES = 32 * 1024
RETRY_AFTER_SECONDS = 5
SCHEMA_PATH = Path(__file__).with_name("outreach_event.schema.json")
UNEXPECTED_FIELD = "(unexpected)"
SERVER_SET_FIELDS = ("record_id", "received_at")
MAX_UTF8_BYTES = "x-maxUtf8Bytes"  # carelake keyword: a string's size limit in UTF-8 bytes

log = get_logger("outreach_intake")


# ---------------------------------------------------------------- the validator (jsonschema)


class SchemaError(ValueError):
    """The schema file is invalid, or uses something the validator would silently ignore."""


def max_utf8_bytes(
    validator: Any, limit: int, instance: object, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """x-maxUtf8Bytes: JSON Schema's maxLength counts characters; this counts UTF-8 bytes."""
    # surrogatepass: a lone surrogate counts 3 bytes here; validate_event rejects it anyway.
    if validator.is_type(instance, "string") and len(instance.encode("utf-8", "surrogatepass")) > limit:
        yield ValidationError(f"must be at most {limit} bytes as UTF-8")


@functools.lru_cache(maxsize=32)
def ecma_regex(pattern: str) -> re.Pattern[str]:
    """`pattern` compiled with ECMA-262 semantics where Python's differ for anchored patterns:
    ECMA's '$' matches only at the very end, Python's also before a final newline (so
    "MRN-1\\n" would pass '^...$'); Python's '\\Z' is ECMA's '$'. ECMA's \\d and \\w are ASCII."""
    if pattern.endswith("$"):
        body = pattern[:-1]
        if (len(body) - len(body.rstrip("\\"))) % 2 == 0:  # the '$' itself is not escaped
            pattern = body + r"\Z"
    return re.compile(pattern, re.ASCII)


def ecma_pattern(
    validator: Any, pattern: str, instance: object, schema: Mapping[str, Any]
) -> Iterator[ValidationError]:
    """The `pattern` keyword with ECMA-262 '$' (jsonschema uses Python's re as it is)."""
    if validator.is_type(instance, "string") and ecma_regex(pattern).search(instance) is None:
        yield ValidationError("does not match the pattern")


def format_checker() -> FormatChecker:
    """The formats jsonschema can check here, with date-time made strict about newlines.
    date-time comes from rfc3339-validator: without it, jsonschema would skip the format."""
    checker = FormatChecker()
    if "date-time" not in checker.checkers:
        raise SchemaError("jsonschema cannot check date-time: rfc3339-validator is not installed")
    library_date_time, raises = checker.checkers["date-time"]

    @checker.checks("date-time", raises=raises)
    def date_time(instance: object) -> bool:
        # rfc3339-validator's regex ends in Python's '$', which lets "...Z\n" through.
        return not (isinstance(instance, str) and "\n" in instance) and library_date_time(instance)

    return checker


OutreachValidator = extend(Draft202012Validator, {"pattern": ecma_pattern, MAX_UTF8_BYTES: max_utf8_bytes})
FORMAT_CHECKER = format_checker()
# Keywords that only annotate (or that `if` applies): no validator function, nothing to ignore.
_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$anchor", "$dynamicAnchor", "$vocabulary", "$defs", "$comment", "title"}
    | {"description", "default", "examples", "deprecated", "readOnly", "writeOnly", "then", "else"}
)
_LIMIT = Draft202012Validator({"type": "integer", "minimum": 0})


def load_validator(document: Mapping[str, Any]) -> Any:
    """A validator for the schema `document`. Fails closed: raises SchemaError if the document is
    not a valid Draft 2020-12 schema, or uses a keyword or format the validator does not check
    (jsonschema ignores unknown keywords and formats, so a typo would silently accept anything)."""
    try:
        OutreachValidator.check_schema(document)
    except InvalidSchemaError as exc:
        raise SchemaError(f"not a valid Draft 2020-12 schema: {exc.message}") from None
    pending: list[Any] = [document]
    while pending:
        schema = pending.pop()
        if isinstance(schema, bool):
            continue
        unknown = set(schema) - set(OutreachValidator.VALIDATORS) - _ANNOTATIONS
        if unknown:
            raise SchemaError(f"keywords the validator does not implement: {sorted(unknown)}")
        if "format" in schema and schema["format"] not in FORMAT_CHECKER.checkers:
            raise SchemaError(f"format {schema['format']!r} cannot be checked")
        if MAX_UTF8_BYTES in schema and not _LIMIT.is_valid(schema[MAX_UTF8_BYTES]):
            raise SchemaError(f"{MAX_UTF8_BYTES} must be a non-negative integer")
        pending.extend(DRAFT202012.subresources_of(schema))
    return OutreachValidator(document, format_checker=FORMAT_CHECKER)


SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
VALIDATOR = load_validator(SCHEMA)


# ---------------------------------------------------------------- validation


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message}


# When one field breaks several keywords, the first of these is the one reported (the others
# are usually consequences: "" is too short and so also misses the pattern).
_PRECEDENCE = (
    "required",
    "additionalProperties",
    "type",
    "unicode",
    "const",
    "enum",
    "minLength",
    "maxLength",
    MAX_UTF8_BYTES,
    "pattern",
    "format",
)
_TYPE_NAMES = {
    "string": "a string",
    "object": "an object",
    "array": "an array",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_FORMAT_MESSAGES = {
    "date-time": "must be an RFC 3339 date-time with upper-case T and Z or a zone offset up to"
    " +/-14:00, e.g. 2024-03-02T14:05:00-05:00",
}
UNPAIRED_SURROGATES = "must be valid Unicode text (no unpaired surrogates)"


def keyword_message(error: ValidationError) -> str:
    """The answer for one failed keyword, from the schema alone: never the instance's value."""
    keyword, value = error.validator, error.validator_value
    if keyword == "type":
        types = [value] if isinstance(value, str) else list(value)
        return "must be " + " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    if keyword == "enum":
        return "must be one of: " + ", ".join(v if isinstance(v, str) else json.dumps(v) for v in value)
    if keyword == "const":
        return f"must be {json.dumps(value)}"
    if keyword == "minLength":
        return "must not be empty" if value == 1 else f"must be at least {value} characters"
    if keyword == "maxLength":
        return f"must be at most {value} characters"
    if keyword == "pattern":
        # A date-time's pattern narrows the format (the contract's profile of RFC 3339): one
        # message for both, so a client is told what a valid value looks like.
        if error.schema.get("format") in _FORMAT_MESSAGES:
            return _FORMAT_MESSAGES[error.schema["format"]]
        return f"must match the pattern {value}"
    if keyword == "format":
        return _FORMAT_MESSAGES.get(value, f"must be a valid {value}")
    if keyword == MAX_UTF8_BYTES:
        return str(error.message)  # written by max_utf8_bytes, from the limit only
    return f"does not satisfy the schema keyword {keyword}"


def field_errors(error: ValidationError) -> Iterator[tuple[str | None, str]]:
    """(field, message) pairs for one jsonschema error. `required` and `additionalProperties`
    fail on the object, so the names come from the object and the schema."""
    prefix = ".".join(str(part) for part in error.absolute_path)

    def name(child: str) -> str:
        return f"{prefix}.{child}" if prefix else child

    if error.validator == "required":
        for missing in error.validator_value:
            if missing not in error.instance:
                yield name(missing), "is required"
    elif error.validator == "additionalProperties" and error.validator_value is False:
        known = error.schema.get("properties", {})
        patterns = error.schema.get("patternProperties", {})
        for extra in error.instance:
            if extra in known or any(re.search(p, extra) for p in patterns):
                continue
            if not prefix and extra in SERVER_SET_FIELDS:
                yield extra, "is set by the intake API; do not send it"
            else:
                yield name(extra), "is not an accepted field"
    else:
        yield prefix or None, keyword_message(error)


def _rank(keyword: str) -> int:
    return _PRECEDENCE.index(keyword) if keyword in _PRECEDENCE else len(_PRECEDENCE)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def validate_event(body: Mapping[str, Any], validator: Any = VALIDATOR) -> list[FieldError]:
    """Every field-level error in `body` (jsonschema's iter_errors), one per field: fields of the
    schema in schema order, then fields the schema does not accept in body order."""
    best: dict[str | None, tuple[int, str]] = {}

    def add(field: str | None, keyword: str, message: str) -> None:
        if field not in best or _rank(keyword) < best[field][0]:
            best[field] = (_rank(keyword), message)

    for error in validator.iter_errors(body):
        for field, message in field_errors(error):
            add(field, str(error.validator), message)
    # json.loads accepts "\ud800" escapes; such a string cannot be stored as UTF-8. JSON Schema
    # has no keyword for it.
    for name, value in body.items():
        if isinstance(value, str) and not _is_unicode(value):
            add(name, "unicode", UNPAIRED_SURROGATES)

    schema_order = {name: i for i, name in enumerate(validator.schema.get("properties", {}))}
    body_order = {name: i for i, name in enumerate(body)}

    def position(field: str | None) -> tuple[int, int]:
        # A nested field ("visit.minutes") sorts with its top-level one; a client's own name may
        # hold a dot itself.
        top = field if field is None or field in body_order else field.split(".", 1)[0]
        if top in schema_order:
            return (0, schema_order[top])
        return (1, body_order.get(top, -1))

    return [FieldError(field, best[field][1]) for field in sorted(best, key=position)]


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


def loggable_fields(errors: list[FieldError], schema: Mapping[str, Any] = SCHEMA) -> list[str]:
    """Error field names safe to log: schema names only. A client-invented name could be PHI."""
    known = set(schema.get("properties", {})) | set(SERVER_SET_FIELDS)
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
