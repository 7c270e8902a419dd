"""SFTP arrival: check a partner claims file as it lands in raw/ and start its ingestion job.

Triggered by S3 ObjectCreated, either as an S3 event notification ({"Records": [...]}) or as an
EventBridge "Object Created" event. For each object under claims/:

- checks the key layout claims/partner=<id>/dt=YYYY-MM-DD/<file>, the file name
  claims_<id>_<YYYYMMDD>[_<seq>].csv (same <id> as the folder), the size (> 0 and
  <= MAX_FILE_BYTES) and the header row (exactly the partner-claims columns of
  docs/data-contracts.md, read with a ranged GET of the first bytes only);
- good file: glue start_job_run(CLAIMS_JOB_NAME): the run processes every claims file that has
  landed and is not in the lake's ledger yet (this one included), as batch "today";
- bad file: copies it to s3://QUARANTINE_BUCKET/sftp_rejected/partner=<id>/dt=<dt>/<file>
  (metadata and tag `reason`), writes <file>.reason.json beside it, deletes the original.

Folder markers (keys ending in '/') and keys outside claims/ are ignored. Reasons never quote
file content: a file without a header row would otherwise put a member's name in the log.
Any AWS failure leaves the file where it is and fails the invocation after all records are
handled, so the asynchronous retry (or a replay) processes it again.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote_plus

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import BotoCoreError, ClientError
from common import aws
from common.config import int_env, require_env
from common.log import error_code, get_logger, request_id

CLAIMS_COLUMNS = (
    "claim_id",
    "claim_line",
    "member_id",
    "member_first_name",
    "member_last_name",
    "member_birth_date",
    "member_gender",
    "member_ssn",
    "member_zip",
    "payer_id",
    "payer_name",
    "rendering_npi",
    "service_from",
    "service_to",
    "place_of_service",
    "icd10_primary",
    "icd10_secondary",
    "procedure_code",
    "modifier",
    "units",
    "billed_amount",
    "allowed_amount",
    "paid_amount",
    "claim_status",
    "denial_reason",
    "received_date",
)
CLAIMS_PREFIX = "claims/"
QUARANTINE_PREFIX = "sftp_rejected"
HEADER_READ_BYTES = 8192
# Quarantine copies are server-side; objects over 64 MiB are copied in 64 MiB parts, 10 at a time.
COPY_CONFIG = TransferConfig(
    multipart_threshold=64 * 1024**2, multipart_chunksize=64 * 1024**2, max_concurrency=10
)
S3_READ_TIMEOUT = 60
UNKNOWN_PARTNER = "unknown"

_KEY = re.compile(r"claims/partner=(?P<partner>[^/]+)/dt=(?P<dt>[^/]+)/(?P<file>[^/]+)")
_PARTNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", re.ASCII)
_ANY_CLAIMS_NAME = re.compile(r"claims_(?P<partner>.+)_(?P<date>\d{8})(?:_\d+)?\.csv", re.ASCII)

log = get_logger("sftp_arrival")


@dataclass(frozen=True)
class Settings:
    claims_job_name: str
    quarantine_bucket: str
    max_file_bytes: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            claims_job_name=require_env("CLAIMS_JOB_NAME", environ),
            quarantine_bucket=require_env("QUARANTINE_BUCKET", environ),
            max_file_bytes=int_env("MAX_FILE_BYTES", minimum=1, environ=environ),
        )


@dataclass(frozen=True)
class Rejection:
    reason: str  # a short code: metadata value, tag value, and the key of the runbook's table
    message: str  # one sentence for a person; never contains file content


@dataclass(frozen=True)
class ArrivedObject:
    bucket: str
    key: str  # URL-decoded
    event_time: str | None = None


@dataclass(frozen=True)
class ClaimsKey:
    partner_id: str
    dt: str
    file_name: str


# ---------------------------------------------------------------- events


class UnsupportedEventError(ValueError):
    """Neither an S3 event notification nor an EventBridge Object Created event."""


def arrived_objects(event: Mapping[str, Any]) -> list[ArrivedObject]:
    """The created objects an event reports, keys URL-decoded (both formats encode them)."""
    if event.get("Event") == "s3:TestEvent":  # sent once when the notification is configured
        return []
    if "Records" in event:
        objects = []
        for record in event["Records"]:
            if record.get("eventSource") != "aws:s3" or not str(record.get("eventName", "")).startswith(
                "ObjectCreated:"
            ):
                continue
            s3 = record["s3"]
            objects.append(
                ArrivedObject(
                    s3["bucket"]["name"], unquote_plus(s3["object"]["key"]), record.get("eventTime")
                )
            )
        return objects
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        detail = event["detail"]
        return [
            ArrivedObject(detail["bucket"]["name"], unquote_plus(detail["object"]["key"]), event.get("time"))
        ]
    raise UnsupportedEventError("expected an S3 event notification or an EventBridge 'Object Created' event")


# ---------------------------------------------------------------- checks (pure)


def _valid_date(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def parse_claims_key(key: str) -> ClaimsKey | Rejection:
    match = _KEY.fullmatch(key)
    if match is None:
        return Rejection("bad_key_layout", "the key is not claims/partner=<partner_id>/dt=YYYY-MM-DD/<file>")
    partner, dt = match.group("partner"), match.group("dt")
    if _PARTNER_ID.fullmatch(partner) is None:
        return Rejection(
            "bad_key_layout", "the partner folder must be partner=<letters, digits, '_' or '-', at most 64>"
        )
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", dt, re.ASCII) is None or not _valid_date(dt, "%Y-%m-%d"):
        return Rejection("bad_key_layout", "the dt folder must be dt=YYYY-MM-DD with a real date")
    return ClaimsKey(partner, dt, match.group("file"))


def check_file_name(file_name: str, partner_id: str) -> Rejection | None:
    expected = re.compile(rf"claims_{re.escape(partner_id)}_(?P<date>\d{{8}})(?:_\d+)?\.csv", re.ASCII)
    match = expected.fullmatch(file_name)
    if match is None:
        other = _ANY_CLAIMS_NAME.fullmatch(file_name)
        if other is not None:
            return Rejection(
                "partner_mismatch",
                f"the file name's partner id does not match the folder partner={partner_id}",
            )
        return Rejection("bad_file_name", f"the file name must be claims_{partner_id}_<YYYYMMDD>[_<seq>].csv")
    if not _valid_date(match.group("date"), "%Y%m%d"):
        return Rejection("bad_file_name", "the date in the file name is not a real YYYYMMDD date")
    return None


def check_size(size: int, max_bytes: int) -> Rejection | None:
    if size <= 0:
        return Rejection("empty_file", "the file is empty")
    if size > max_bytes:
        return Rejection("file_too_large", f"the file is {size} bytes, more than the limit of {max_bytes}")
    return None


def check_header(first_bytes: bytes, object_size: int) -> Rejection | None:
    """The first line of the file must be exactly CLAIMS_COLUMNS, in order.

    `first_bytes` is the start of the object (a ranged GET); `object_size` tells whether it is all
    of it. A UTF-8 byte order mark is allowed (claims_to_bronze removes it). Messages name
    expected columns only: an unexpected 'column' may be a member's data."""
    first_bytes = first_bytes.removeprefix(b"\xef\xbb\xbf")
    end = first_bytes.find(b"\n")
    if end < 0:
        if object_size > len(first_bytes):
            return Rejection("bad_header", f"no line break in the first {len(first_bytes)} bytes")
        end = len(first_bytes)
    line = first_bytes[:end].removesuffix(b"\r")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return Rejection("bad_header", "the header row is not UTF-8")
    columns = next(csv.reader([text]), [])
    if tuple(columns) == CLAIMS_COLUMNS:
        return None
    missing = [c for c in CLAIMS_COLUMNS if c not in columns]
    unexpected = sum(1 for c in columns if c not in CLAIMS_COLUMNS)
    if not missing and not unexpected:
        problem = "has the expected columns, but in a different order or repeated"
    else:
        parts = []
        if missing:
            parts.append(f"misses {len(missing)} expected column(s): {', '.join(missing)}")
        if unexpected:
            parts.append(f"has {unexpected} unexpected column(s)")
        problem = " and ".join(parts)
    return Rejection("bad_header", f"the header row {problem}")


def quarantine_location(key: str, arrived_on: str) -> tuple[str, str]:
    """(partner_id, dt) for the quarantine path, each read from the key where it can be, else
    partner=unknown and dt = the arrival day (UTC)."""
    partner_match = re.match(r"claims/partner=([^/]+)/", key)
    partner = partner_match.group(1) if partner_match else UNKNOWN_PARTNER
    if _PARTNER_ID.fullmatch(partner) is None:
        partner = UNKNOWN_PARTNER
    dt_match = re.search(r"/dt=(\d{4}-\d{2}-\d{2})/", key, re.ASCII)
    dt = dt_match.group(1) if dt_match and _valid_date(dt_match.group(1), "%Y-%m-%d") else arrived_on
    return partner, dt


def quarantine_key(partner_id: str, dt: str, file_name: str) -> str:
    return f"{QUARANTINE_PREFIX}/partner={partner_id}/dt={dt}/{file_name}"


# ---------------------------------------------------------------- AWS actions


def _is_not_found(exc: ClientError) -> bool:
    return error_code(exc) in ("404", "NoSuchKey", "NotFound")


def inspect(
    s3: Any, obj: ArrivedObject, size: int, settings: Settings
) -> tuple[ClaimsKey | None, Rejection | None]:
    """Run the checks in order (key layout, file name, size, header); the first failure wins."""
    parsed = parse_claims_key(obj.key)
    if isinstance(parsed, Rejection):
        return None, parsed
    rejection = check_file_name(parsed.file_name, parsed.partner_id) or check_size(
        size, settings.max_file_bytes
    )
    if rejection:
        return parsed, rejection
    head = s3.get_object(Bucket=obj.bucket, Key=obj.key, Range=f"bytes=0-{HEADER_READ_BYTES - 1}")[
        "Body"
    ].read()
    return parsed, check_header(head, size)


def quarantine(s3: Any, obj: ArrivedObject, rejection: Rejection, settings: Settings, now: datetime) -> str:
    """Copy to quarantine with the reason, write <file>.reason.json, then delete the original."""
    partner, dt = quarantine_location(obj.key, now.astimezone(UTC).date().isoformat())
    file_name = obj.key.rsplit("/", 1)[-1]
    target = quarantine_key(partner, dt, file_name)
    s3.copy(
        {"Bucket": obj.bucket, "Key": obj.key},
        settings.quarantine_bucket,
        target,
        ExtraArgs={
            "Metadata": {"reason": rejection.reason, "source-key": quote(obj.key, safe="/=")},
            "MetadataDirective": "REPLACE",
            "Tagging": f"reason={rejection.reason}",
            "TaggingDirective": "REPLACE",
        },
        Config=COPY_CONFIG,
    )
    s3.put_object(
        Bucket=settings.quarantine_bucket,
        Key=f"{target}.reason.json",
        Body=json.dumps(
            {
                "reason": rejection.reason,
                "message": rejection.message,
                "source_bucket": obj.bucket,
                "source_key": obj.key,
                "quarantined_key": target,
                "event_time": obj.event_time,
                "quarantined_at": now.astimezone(UTC).isoformat(),
            },
            indent=2,
        ).encode("utf-8"),
        ContentType="application/json",
    )
    s3.delete_object(Bucket=obj.bucket, Key=obj.key)
    return target


def process_object(
    s3: Any, glue: Any, obj: ArrivedObject, settings: Settings, now: datetime
) -> dict[str, Any]:
    """One arrived object -> {"outcome": started | quarantined | ignored, ...}. AWS errors propagate."""
    result: dict[str, Any] = {"bucket": obj.bucket, "key": obj.key}
    if obj.key.endswith("/"):
        return {**result, "outcome": "ignored", "why": "folder marker"}
    if not obj.key.startswith(CLAIMS_PREFIX):
        return {**result, "outcome": "ignored", "why": f"outside {CLAIMS_PREFIX}"}
    try:
        size = s3.head_object(Bucket=obj.bucket, Key=obj.key)["ContentLength"]
    except ClientError as exc:
        if _is_not_found(exc):  # a redelivered event for a file already moved or deleted
            return {**result, "outcome": "ignored", "why": "object no longer exists"}
        raise
    parsed, rejection = inspect(s3, obj, size, settings)
    if rejection is not None:
        target = quarantine(s3, obj, rejection, settings, now)
        return {
            **result,
            "outcome": "quarantined",
            "reason": rejection.reason,
            "message": rejection.message,
            "quarantine_key": target,
        }
    assert parsed is not None
    run = glue.start_job_run(JobName=settings.claims_job_name)
    return {**result, "outcome": "started", "job_run_id": run["JobRunId"], "dt": parsed.dt}


class ArrivalError(RuntimeError):
    """At least one object could not be processed; it was left in place (see the log)."""


def handle(
    event: Mapping[str, Any],
    settings: Settings,
    *,
    s3: Any,
    glue: Any,
    now: datetime,
    request: str | None = None,
) -> dict[str, Any]:
    results, failures = [], []
    for obj in arrived_objects(event):
        try:
            result = process_object(s3, glue, obj, settings, now)
        except (ClientError, BotoCoreError) as exc:
            failures.append({"bucket": obj.bucket, "key": obj.key, "aws_error": error_code(exc)})
            log.error("sftp_arrival.failed", key=obj.key, aws_error=error_code(exc), request_id=request)
            continue
        results.append(result)
        log.info(f"sftp_arrival.{result['outcome']}", request_id=request, **result)
    summary = {
        "started": [r for r in results if r["outcome"] == "started"],
        "quarantined": [r for r in results if r["outcome"] == "quarantined"],
        "ignored": [r for r in results if r["outcome"] == "ignored"],
        "failed": failures,
    }
    if failures:
        raise ArrivalError(f"{len(failures)} object(s) left in place after AWS errors: {failures}")
    return summary


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    return handle(
        event,
        Settings.from_env(),
        s3=aws.client("s3", read_timeout=S3_READ_TIMEOUT),
        glue=aws.client("glue"),
        now=datetime.now(UTC),
        request=request_id(context),
    )
