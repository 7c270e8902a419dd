"""Risk alert evaluator (scheduled): tells each clinic's care coordinators how many patients are
newly on their worklist, without PHI, at most once per patient per window.

Reads the latest dt=YYYY-MM-DD partition of the high-risk alert feed (JSON lines, version 2,
docs/data-contracts.md: the gold job's call-now list) and, per patient with
lace_score >= RISK_THRESHOLD:

1. skips the patient if the feed says they were reached (a successful outreach) in the last
   SUPPRESSION_HOURS;
2. claims the patient's alert slot with a conditional PutItem on SUPPRESSION_TABLE (succeeds
   only if no claim exists or the previous one has expired): no patient is counted in two
   notices within SUPPRESSION_HOURS, whatever runs overlap;
3. publishes one SNS notice per clinic: the number of patients claimed and where to look
   (WORKLIST_LOCATION). No patient key, name, score or date: e-mail is not a secure channel.

Exactly once under ambiguous failures: the SNS client never resends (one attempt), and a
publish that may have been delivered (a read timeout, a dropped connection, a 5xx answer) keeps
its claims: the patients are not notified again in the window, and they are on the worklist
anyway. A publish that certainly failed (a 4xx answer, no connection) releases its claims so
the next run retries. The run raises after processing every clinic if any notice failed or is
unconfirmed, so the function's error alarm reports it.

A feed older than ALERT_FEED_MAX_AGE_HOURS (from the start of its dt, UTC) is reported (an error
log line and FeedStaleError, which the function's error alarm turns into a pipeline notice) and
never alerted: its patients may since have been reached.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ReadTimeoutError,
    ResponseStreamingError,
)
from common import aws
from common.config import ConfigError, int_env, require_env
from common.log import error_code, get_logger, request_id

FEED_VERSION = 2
FEED_SUFFIXES = (".json", ".jsonl", ".json.gz", ".jsonl.gz")
SUBJECT = "carelake: patients to call on the care team worklist"
NOTICE_KIND = "care_team_worklist"
UNKNOWN_CLINIC = "unknown"
DEFAULT_SUPPRESSION_HOURS = 24
DEFAULT_FEED_MAX_AGE_HOURS = 30
# A daily schedule fires a few seconds (up to a minute) early or late: a claim ends this much
# before its window, so tomorrow's scheduled run counts a patient still on the list again,
# whatever the jitter, and no run counts anyone twice within the window less this allowance.
SCHEDULE_ALLOWANCE = timedelta(minutes=10)
_DT_DIR = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/\Z")
_UTC_SECONDS = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z")
_OPTIONAL_TEXT = ("clinic_id", "clinic_name", "risk_band", "call_reason")

log = get_logger("risk_alert")


class FeedNotFoundError(RuntimeError):
    """The alert feed has no readable partition: the gold job has not written one."""


class FeedStaleError(RuntimeError):
    """The newest feed partition is older than its maximum age: reported, nothing alerted."""


class AlertRunError(RuntimeError):
    """Some notices failed or are unconfirmed in this run (details in the log)."""


@dataclass(frozen=True)
class Settings:
    feed_bucket: str
    feed_prefix: str
    threshold: int
    topic_arn: str
    table: str
    worklist_location: str
    suppression_hours: int = DEFAULT_SUPPRESSION_HOURS
    feed_max_age_hours: int = DEFAULT_FEED_MAX_AGE_HOURS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        bucket, prefix = parse_s3_uri(require_env("ALERT_FEED_URI", environ))
        return cls(
            feed_bucket=bucket,
            feed_prefix=prefix,
            threshold=int_env("RISK_THRESHOLD", minimum=0, environ=environ),
            topic_arn=require_env("TOPIC_ARN", environ),
            table=require_env("SUPPRESSION_TABLE", environ),
            worklist_location=require_env("WORKLIST_LOCATION", environ),
            suppression_hours=int_env(
                "SUPPRESSION_HOURS", DEFAULT_SUPPRESSION_HOURS, minimum=1, environ=environ
            ),
            feed_max_age_hours=int_env(
                "ALERT_FEED_MAX_AGE_HOURS", DEFAULT_FEED_MAX_AGE_HOURS, minimum=1, environ=environ
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


def feed_age(feed_dt: str, now: datetime) -> timedelta:
    """How old a feed partition is: from the start of its day (UTC), the as-of date of its list."""
    return now.astimezone(UTC) - datetime.combine(date.fromisoformat(feed_dt), datetime.min.time(), UTC)


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
    call_reason: str | None = None
    last_successful_outreach_at: datetime | None = None


class FeedRecordError(ValueError):
    """A feed line that cannot be used; the message names the problem, never the values."""


def parse_feed_line(line: str) -> FeedRecord:
    try:
        row = json.loads(line)
    except (ValueError, RecursionError):
        raise FeedRecordError("not valid JSON") from None
    if not isinstance(row, dict):
        raise FeedRecordError("not a JSON object")
    version = row.get("feed_version")
    if isinstance(version, bool) or version != FEED_VERSION:
        raise FeedRecordError(f"feed_version is not {FEED_VERSION}")
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
    reached = row.get("last_successful_outreach_at")
    if reached is not None and (not isinstance(reached, str) or not _UTC_SECONDS.match(reached)):
        raise FeedRecordError("last_successful_outreach_at is not YYYY-MM-DDTHH:MM:SSZ")
    try:
        reached_at = None if reached is None else datetime.fromisoformat(reached)
    except ValueError:
        raise FeedRecordError("last_successful_outreach_at is not a valid date-time") from None
    return FeedRecord(
        patient_key=patient_key, lace_score=score, last_successful_outreach_at=reached_at, **optional
    )


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


def reached_within(record: FeedRecord, now: datetime, hours: int) -> bool:
    """The feed says the patient was reached less than `hours` ago (or, by a clock skew, later)."""
    reached = record.last_successful_outreach_at
    return reached is not None and reached > now - timedelta(hours=hours)


# ---------------------------------------------------------------- the notice


def clinic_of(record: FeedRecord) -> str:
    return record.clinic_id or UNKNOWN_CLINIC


def notice(clinic_id: str, clinic_name: str | None, patients: int, settings: Settings, feed_dt: str) -> str:
    """The SNS message: a count and where to look. Nothing about any patient."""
    return json.dumps(
        {
            "kind": NOTICE_KIND,
            "clinic_id": clinic_id,
            "clinic_name": clinic_name,
            "patients_to_call": patients,
            "worklist": settings.worklist_location,
            "feed_dt": feed_dt,
        },
        sort_keys=True,
    )


def publish_may_have_been_delivered(exc: BaseException) -> bool:
    """True when SNS may have accepted the message although the call failed: the request was sent
    and the answer was lost (read timeout, connection closed, unreadable answer) or SNS answered
    with a server error. False when it certainly was not accepted: a 4xx answer (validation,
    authorisation, throttling, a missing topic) or no connection at all."""
    if isinstance(exc, ReadTimeoutError | ConnectionClosedError | ResponseStreamingError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return not isinstance(status, int) or status >= 500
    return False


# ---------------------------------------------------------------- suppression (DynamoDB)


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def claim_slot(
    dynamodb: Any,
    table: str,
    record: FeedRecord,
    claim_id: str,
    now: datetime,
    hours: int,
    feed_dt: str,
) -> bool:
    """Atomically take the patient's alert slot until now + hours - SCHEDULE_ALLOWANCE. False if a
    live claim exists.

    The DynamoDB client retries; a retried PutItem whose first attempt was applied fails its
    condition on our own claim, which the returned old item shows: that is still a claim."""
    try:
        dynamodb.put_item(
            TableName=table,
            Item={
                "patient_key": {"S": record.patient_key},
                "expires_at": {"N": str(epoch_seconds(now + timedelta(hours=hours) - SCHEDULE_ALLOWANCE))},
                "claim_id": {"S": claim_id},
                "claimed_at": {"S": now.astimezone(UTC).isoformat()},
                "feed_dt": {"S": feed_dt},
                "clinic_id": {"S": clinic_of(record)},
                "notice_status": {"S": "pending"},
            },
            ConditionExpression="attribute_not_exists(patient_key) OR expires_at < :now",
            ExpressionAttributeValues={":now": {"N": str(epoch_seconds(now))}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as exc:
        if error_code(exc) == "ConditionalCheckFailedException":
            old = exc.response.get("Item") or {}
            return old.get("claim_id", {}).get("S") == claim_id
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


def record_notice(
    dynamodb: Any, table: str, patient_key: str, claim_id: str, status: str, message_id: str | None
) -> None:
    """Note on our claim what became of the notice ('sent' with its message id, or 'unconfirmed')."""
    values = {":status": {"S": status}, ":claim_id": {"S": claim_id}}
    update = "SET notice_status = :status"
    if message_id:
        update += ", message_id = :message_id"
        values[":message_id"] = {"S": message_id}
    dynamodb.update_item(
        TableName=table,
        Key={"patient_key": {"S": patient_key}},
        UpdateExpression=update,
        ConditionExpression="claim_id = :claim_id",
        ExpressionAttributeValues=values,
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
    recently_reached: int = 0
    recently_alerted: int = 0
    claim_failed: int = 0
    notices: int = 0
    patients_notified: int = 0
    notices_failed: int = 0
    patients_failed: int = 0
    notices_unconfirmed: int = 0
    patients_unconfirmed: int = 0
    release_failed: int = 0
    failed_clinics: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Claimed:
    record: FeedRecord
    claim_id: str


def claim_patients(
    patients: list[FeedRecord], settings: Settings, dynamodb: Any, now: datetime, feed_dt: str,
    summary: RunSummary,
) -> list[Claimed]:  # fmt: skip
    """The patients this run may count in a notice, each under its own claim."""
    claimed = []
    for record in patients:
        key = record.patient_key
        if reached_within(record, now, settings.suppression_hours):
            summary.recently_reached += 1
            log.info("risk_alert.suppressed", patient_key=key, reason="recently_reached")
            continue
        claim_id = str(uuid.uuid4())
        try:
            won = claim_slot(
                dynamodb, settings.table, record, claim_id, now, settings.suppression_hours, feed_dt
            )
        except (ClientError, BotoCoreError) as exc:
            summary.claim_failed += 1
            log.error("risk_alert.claim_failed", patient_key=key, aws_error=error_code(exc))
            continue
        if not won:
            summary.recently_alerted += 1
            log.info("risk_alert.suppressed", patient_key=key, reason="recently_alerted")
            continue
        claimed.append(Claimed(record, claim_id))
    return claimed


def notify_clinic(
    clinic_id: str, group: list[Claimed], settings: Settings, *, sns: Any, dynamodb: Any, feed_dt: str,
    summary: RunSummary,
) -> None:  # fmt: skip
    """One notice for the clinic's newly claimed patients; settle their claims by the outcome."""
    clinic_name = next((c.record.clinic_name for c in group if c.record.clinic_name), None)
    try:
        response = sns.publish(
            TopicArn=settings.topic_arn,
            Subject=SUBJECT,
            Message=notice(clinic_id, clinic_name, len(group), settings, feed_dt),
            MessageAttributes={"clinic_id": {"DataType": "String", "StringValue": clinic_id}},
        )
    except (ClientError, BotoCoreError) as exc:
        summary.failed_clinics.append(clinic_id)
        if publish_may_have_been_delivered(exc):
            summary.notices_unconfirmed += 1
            summary.patients_unconfirmed += len(group)
            log.error("risk_alert.publish_unconfirmed", clinic_id=clinic_id, patients=len(group),
                      aws_error=error_code(exc))  # fmt: skip
            _settle(group, settings, dynamodb, "unconfirmed", None)
            return
        summary.notices_failed += 1
        summary.patients_failed += len(group)
        log.error(
            "risk_alert.publish_failed", clinic_id=clinic_id, patients=len(group), aws_error=error_code(exc)
        )
        for claimed in group:
            try:
                release_slot(dynamodb, settings.table, claimed.record.patient_key, claimed.claim_id)
            except (ClientError, BotoCoreError) as release_exc:
                # The slot stays taken until expires_at: this patient is not counted again until then.
                summary.release_failed += 1
                log.error("risk_alert.release_failed", patient_key=claimed.record.patient_key,
                          aws_error=error_code(release_exc))  # fmt: skip
        return
    message_id = response.get("MessageId", "")
    summary.notices += 1
    summary.patients_notified += len(group)
    log.info("risk_alert.published", clinic_id=clinic_id, patients=len(group), message_id=message_id)
    _settle(group, settings, dynamodb, "sent", message_id)


def _settle(
    group: list[Claimed], settings: Settings, dynamodb: Any, status: str, message_id: str | None
) -> None:
    for claimed in group:
        try:
            record_notice(
                dynamodb, settings.table, claimed.record.patient_key, claimed.claim_id, status, message_id
            )
        except (ClientError, BotoCoreError) as exc:  # the claim stands either way
            log.warning("risk_alert.record_notice_failed", patient_key=claimed.record.patient_key,
                        aws_error=error_code(exc))  # fmt: skip


def evaluate(
    settings: Settings, *, s3: Any, sns: Any, dynamodb: Any, now: datetime, dt: str | None = None
) -> dict[str, Any]:
    """One run over partition `dt` (default: the latest). Raises FeedNotFoundError or
    FeedStaleError before alerting anyone, AlertRunError after every clinic was tried."""
    feed_dt = dt or latest_partition(list_partition_dirs(s3, settings.feed_bucket, settings.feed_prefix))
    if feed_dt is None:
        raise FeedNotFoundError(
            f"no dt=YYYY-MM-DD partition under s3://{settings.feed_bucket}/{settings.feed_prefix}"
        )
    age = feed_age(feed_dt, now)
    if age > timedelta(hours=settings.feed_max_age_hours):
        age_hours = int(age.total_seconds() // 3600)
        log.error("risk_alert.feed_stale", feed_dt=feed_dt, age_hours=age_hours,
                  max_age_hours=settings.feed_max_age_hours)  # fmt: skip
        raise FeedStaleError(
            f"the newest alert feed, dt={feed_dt}, is {age_hours} h old (more than "
            f"{settings.feed_max_age_hours} h): nothing alerted; check the silver_to_gold run"
        )
    files, others = list_partition_files(s3, settings.feed_bucket, f"{settings.feed_prefix}dt={feed_dt}/")
    if not files:
        raise FeedNotFoundError(f"partition dt={feed_dt} has no feed files")
    summary = RunSummary(feed_dt=feed_dt, files=len(files), other_keys=len(others))

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
    by_clinic: dict[str, list[Claimed]] = defaultdict(list)
    for claimed in claim_patients(patients, settings, dynamodb, now, feed_dt, summary):
        by_clinic[clinic_of(claimed.record)].append(claimed)
    for clinic_id in sorted(by_clinic):
        notify_clinic(clinic_id, by_clinic[clinic_id], settings, sns=sns, dynamodb=dynamodb, feed_dt=feed_dt,
                      summary=summary)  # fmt: skip

    log.info("risk_alert.summary", **summary.as_dict())
    if summary.claim_failed or summary.notices_failed or summary.notices_unconfirmed:
        raise AlertRunError(
            f"{summary.claim_failed} claims failed, {summary.notices_failed} notices failed (their "
            f"{summary.patients_failed} patients are retried by the next run, {summary.release_failed} "
            f"still claimed), {summary.notices_unconfirmed} notices unconfirmed (their "
            f"{summary.patients_unconfirmed} patients stay claimed: never notified twice); see risk_alert.* log lines"
        )
    return summary.as_dict()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Scheduled invocation. For a replay, invoke with {"dt": "YYYY-MM-DD"} to read that partition
    (still within ALERT_FEED_MAX_AGE_HOURS)."""
    settings = Settings.from_env()
    dt = parse_dt(event["dt"]) if isinstance(event, dict) and event.get("dt") else None
    log.info("risk_alert.start", request_id=request_id(context), requested_dt=dt)
    return evaluate(
        settings,
        s3=aws.client("s3"),
        sns=aws.client("sns", max_attempts=1),
        dynamodb=aws.client("dynamodb"),
        now=datetime.now(UTC),
        dt=dt,
    )
