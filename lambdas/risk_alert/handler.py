"""Risk alert evaluator (scheduled): one SNS alert per high-risk patient, at most one per window.

Reads the latest dt=YYYY-MM-DD partition of the high-risk alert feed (JSON lines,
docs/data-contracts.md), and for each patient with lace_score >= RISK_THRESHOLD:

1. claims the patient's alert slot with a conditional PutItem on SUPPRESSION_TABLE
   (succeeds only if no item exists or the previous one has expired: expires_at < now);
2. publishes one SNS message built from an allow-list of fields (no direct identifiers);
3. if publishing fails, deletes its own claim so the next run retries that patient.

DynamoDB's conditional write is atomic per item, so concurrent runs publish at most once per
patient per SUPPRESSION_HOURS. The run fails (raises) after processing every patient if any
claim, publish or release failed, so the failure is visible and an async retry picks it up.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from common import aws
from common.config import ConfigError, int_env, require_env
from common.log import error_code, get_logger, request_id

MESSAGE_KEYS = (
    "patient_key",
    "clinic_id",
    "clinic_name",
    "lace_score",
    "risk_band",
    "last_outreach_status",
    "last_outreach_at",
)
_OPTIONAL_TEXT = MESSAGE_KEYS[1:3] + MESSAGE_KEYS[4:]
FEED_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
SUBJECT = "carelake: high readmission risk"
DEFAULT_SUPPRESSION_HOURS = 24
_DT_DIR = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/\Z")

log = get_logger("risk_alert")


class FeedNotFoundError(RuntimeError):
    """The alert feed has no readable partition: the gold job has not written one."""


class AlertRunError(RuntimeError):
    """Some patients could not be alerted in this run (details in the log)."""


@dataclass(frozen=True)
class Settings:
    feed_bucket: str
    feed_prefix: str
    threshold: int
    topic_arn: str
    table: str
    suppression_hours: int = DEFAULT_SUPPRESSION_HOURS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        bucket, prefix = parse_s3_uri(require_env("ALERT_FEED_URI", environ))
        return cls(
            feed_bucket=bucket,
            feed_prefix=prefix,
            threshold=int_env("RISK_THRESHOLD", environ=environ),
            topic_arn=require_env("TOPIC_ARN", environ),
            table=require_env("SUPPRESSION_TABLE", environ),
            suppression_hours=int_env(
                "SUPPRESSION_HOURS", DEFAULT_SUPPRESSION_HOURS, minimum=1, environ=environ
            ),
        )


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """s3://bucket/some/prefix -> ("bucket", "some/prefix/"); the prefix always ends in '/' or is ''."""
    if not uri.startswith("s3://"):
        raise ConfigError(f"not an s3:// URI: {uri!r}")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ConfigError(f"no bucket in {uri!r}")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def parse_dt(value: str) -> str:
    """Validate a YYYY-MM-DD partition value (raises ValueError)."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"dt must be YYYY-MM-DD, got {value!r}")
    date.fromisoformat(value)
    return value


# ---------------------------------------------------------------- reading the feed


def latest_partition(partition_dirs: Iterable[str]) -> str | None:
    """The greatest dt among `.../dt=YYYY-MM-DD/` prefixes (others are ignored)."""
    dts = []
    for directory in partition_dirs:
        match = _DT_DIR.search(directory)
        if match:
            try:
                dts.append(parse_dt(match.group(1)))
            except ValueError:
                continue
    return max(dts, default=None)


def list_partition_dirs(s3: Any, bucket: str, prefix: str) -> list[str]:
    dirs: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        dirs.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
    return dirs


def is_feed_file(key: str) -> bool:
    """Data files only: not Spark's _SUCCESS / _committed markers, hidden files or folders."""
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", ".")) and name.endswith(FEED_SUFFIXES)


def list_partition_files(s3: Any, bucket: str, partition_prefix: str) -> tuple[list[str], list[str]]:
    """(feed files, other keys) under one partition, each sorted."""
    files, others = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=partition_prefix):
        for obj in page.get("Contents", []):
            (files if is_feed_file(obj["Key"]) else others).append(obj["Key"])
    return sorted(files), sorted(others)


def read_lines(s3: Any, bucket: str, key: str) -> Iterator[str]:
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    if key.endswith(".gz"):
        data = gzip.decompress(data)
    yield from data.decode("utf-8").splitlines()


@dataclass(frozen=True)
class FeedRecord:
    patient_key: str
    lace_score: int
    clinic_id: str | None = None
    clinic_name: str | None = None
    risk_band: str | None = None
    last_outreach_status: str | None = None
    last_outreach_at: str | None = None


class FeedRecordError(ValueError):
    """A feed line that cannot be used; the message names the problem, never the values."""


def parse_feed_line(line: str) -> FeedRecord:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        raise FeedRecordError("not valid JSON") from None
    if not isinstance(row, dict):
        raise FeedRecordError("not a JSON object")
    patient_key = row.get("patient_key")
    if not isinstance(patient_key, str) or not patient_key.strip():
        raise FeedRecordError("patient_key missing or not a non-empty string")
    score = row.get("lace_score")
    if isinstance(score, bool) or not isinstance(score, int):
        raise FeedRecordError("lace_score missing or not an integer")
    optional: dict[str, str | None] = {}
    for name in _OPTIONAL_TEXT:
        value = row.get(name)
        if value is not None and not isinstance(value, str):
            raise FeedRecordError(f"{name} is not a string")
        optional[name] = value
    return FeedRecord(patient_key=patient_key, lace_score=score, **optional)


def alert_message(record: FeedRecord) -> dict[str, Any]:
    """The SNS message: exactly MESSAGE_KEYS, whatever else the feed line carried."""
    return {name: getattr(record, name) for name in MESSAGE_KEYS}


def message_attributes(record: FeedRecord) -> dict[str, dict[str, str]]:
    """For SNS subscription filter policies (e.g. one clinic's coordinators)."""
    attrs = {}
    for name in ("clinic_id", "risk_band"):
        value = getattr(record, name)
        if value:
            attrs[name] = {"DataType": "String", "StringValue": value}
    return attrs


def patients_to_alert(records: Iterable[FeedRecord], threshold: int) -> tuple[list[FeedRecord], int, int]:
    """(one record per patient at/over threshold, the highest score kept, sorted by key;
    count below threshold; count of extra lines for a patient already seen)."""
    best: dict[str, FeedRecord] = {}
    below = duplicates = 0
    for record in records:
        if record.lace_score < threshold:
            below += 1
            continue
        current = best.get(record.patient_key)
        if current is not None:
            duplicates += 1
            if record.lace_score <= current.lace_score:
                continue
        best[record.patient_key] = record
    return [best[k] for k in sorted(best)], below, duplicates


# ---------------------------------------------------------------- suppression (DynamoDB)


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def claim_slot(
    dynamodb: Any, table: str, patient_key: str, claim_id: str, now: datetime, hours: int, feed_dt: str
) -> bool:
    """Atomically take the patient's alert slot until now + hours. False if a live claim exists."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                "patient_key": {"S": patient_key},
                "expires_at": {"N": str(epoch_seconds(now + timedelta(hours=hours)))},
                "claim_id": {"S": claim_id},
                "claimed_at": {"S": now.astimezone(UTC).isoformat()},
                "feed_dt": {"S": feed_dt},
            },
            ConditionExpression="attribute_not_exists(patient_key) OR expires_at < :now",
            ExpressionAttributeValues={":now": {"N": str(epoch_seconds(now))}},
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            return False
        raise
    return True


def release_slot(dynamodb: Any, table: str, patient_key: str, claim_id: str) -> None:
    """Delete our own claim (never one another run took after ours expired)."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={"patient_key": {"S": patient_key}},
            ConditionExpression="claim_id = :claim_id",
            ExpressionAttributeValues={":claim_id": {"S": claim_id}},
        )
    except ClientError as exc:
        if error_code(exc) != "ConditionalCheckFailedException":
            raise


def record_sent(dynamodb: Any, table: str, patient_key: str, claim_id: str, message_id: str) -> None:
    dynamodb.update_item(
        TableName=table,
        Key={"patient_key": {"S": patient_key}},
        UpdateExpression="SET message_id = :message_id",
        ConditionExpression="claim_id = :claim_id",
        ExpressionAttributeValues={":message_id": {"S": message_id}, ":claim_id": {"S": claim_id}},
    )


# ---------------------------------------------------------------- the run


@dataclass
class RunSummary:
    feed_dt: str
    files: int = 0
    other_keys: int = 0
    records: int = 0
    invalid_records: int = 0
    below_threshold: int = 0
    duplicate_records: int = 0
    sent: int = 0
    suppressed: int = 0
    failed: int = 0
    release_failed: int = 0
    failed_patient_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def alert_patient(
    record: FeedRecord, settings: Settings, *, sns: Any, dynamodb: Any, now: datetime, feed_dt: str
) -> str:
    """Claim, publish, release the claim if publishing failed.

    Returns "sent", "suppressed", "failed" or "release_failed"."""
    claim_id = str(uuid.uuid4())
    key = record.patient_key
    try:
        if not claim_slot(dynamodb, settings.table, key, claim_id, now, settings.suppression_hours, feed_dt):
            log.info("risk_alert.suppressed", patient_key=key)
            return "suppressed"
    except (ClientError, BotoCoreError) as exc:
        log.error("risk_alert.claim_failed", patient_key=key, aws_error=error_code(exc))
        return "failed"
    try:
        response = sns.publish(
            TopicArn=settings.topic_arn,
            Subject=SUBJECT,
            Message=json.dumps(alert_message(record), sort_keys=True),
            MessageAttributes=message_attributes(record),
        )
    except (ClientError, BotoCoreError) as exc:
        log.error("risk_alert.publish_failed", patient_key=key, aws_error=error_code(exc))
        try:
            release_slot(dynamodb, settings.table, key, claim_id)
        except (ClientError, BotoCoreError) as release_exc:
            # The slot stays taken until expires_at: this patient gets no alert until then.
            log.error("risk_alert.release_failed", patient_key=key, aws_error=error_code(release_exc))
            return "release_failed"
        return "failed"
    message_id = response.get("MessageId", "")
    log.info("risk_alert.sent", patient_key=key, message_id=message_id, lace_score=record.lace_score)
    try:
        record_sent(dynamodb, settings.table, key, claim_id, message_id)
    except (ClientError, BotoCoreError) as exc:  # the alert went out and the claim stands
        log.warning("risk_alert.record_sent_failed", patient_key=key, aws_error=error_code(exc))
    return "sent"


def evaluate(
    settings: Settings, *, s3: Any, sns: Any, dynamodb: Any, now: datetime, dt: str | None = None
) -> dict[str, Any]:
    """One run over partition `dt` (default: the latest). Raises AlertRunError if any patient failed."""
    feed_dt = dt or latest_partition(list_partition_dirs(s3, settings.feed_bucket, settings.feed_prefix))
    if feed_dt is None:
        raise FeedNotFoundError(
            f"no dt=YYYY-MM-DD partition under s3://{settings.feed_bucket}/{settings.feed_prefix}"
        )
    files, others = list_partition_files(s3, settings.feed_bucket, f"{settings.feed_prefix}dt={feed_dt}/")
    if not files:
        raise FeedNotFoundError(f"partition dt={feed_dt} has no feed files")
    summary = RunSummary(feed_dt=feed_dt, files=len(files), other_keys=len(others))
    age_days = (now.astimezone(UTC).date() - date.fromisoformat(feed_dt)).days
    if age_days > 1:
        log.warning("risk_alert.feed_stale", feed_dt=feed_dt, age_days=age_days)

    records: list[FeedRecord] = []
    for key in files:
        for line_no, line in enumerate(read_lines(s3, settings.feed_bucket, key), start=1):
            if not line.strip():
                continue
            summary.records += 1
            try:
                records.append(parse_feed_line(line))
            except FeedRecordError as bad:
                summary.invalid_records += 1
                log.error("risk_alert.invalid_record", file=key, line=line_no, reason=str(bad))

    patients, summary.below_threshold, summary.duplicate_records = patients_to_alert(
        records, settings.threshold
    )
    for record in patients:
        outcome = alert_patient(record, settings, sns=sns, dynamodb=dynamodb, now=now, feed_dt=feed_dt)
        if outcome == "sent":
            summary.sent += 1
        elif outcome == "suppressed":
            summary.suppressed += 1
        else:
            summary.failed += 1
            if outcome == "release_failed":
                summary.release_failed += 1
            summary.failed_patient_keys.append(record.patient_key)

    log.info("risk_alert.summary", **summary.as_dict())
    if summary.failed:
        raise AlertRunError(
            f"{summary.failed} of {len(patients)} patients not alerted "
            f"({summary.release_failed} still claimed until their window ends); see risk_alert.* log lines"
        )
    return summary.as_dict()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Scheduled invocation. For a replay, invoke with {"dt": "YYYY-MM-DD"} to read that partition."""
    settings = Settings.from_env()
    dt = parse_dt(event["dt"]) if isinstance(event, dict) and event.get("dt") else None
    log.info("risk_alert.start", request_id=request_id(context), requested_dt=dt)
    return evaluate(
        settings,
        s3=aws.client("s3"),
        sns=aws.client("sns"),
        dynamodb=aws.client("dynamodb"),
        now=datetime.now(UTC),
        dt=dt,
    )
