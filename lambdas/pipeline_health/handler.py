"""Pipeline health: a notice to the pipeline-failures topic when a job run's data-quality check
failed or a table's quarantine rate passed its threshold, and when a source has not landed data
within its expected interval. Names tables, rules, sources and counts; never a record's values.

Two kinds of invocation:

- S3 "Object Created" (EventBridge) for a run report, ``run_report/job=<job>/dt=<batch>/<run>.json``
  in the quarantine bucket (written by every job at its end: jobs/src/carelake/health.py). The
  report is checked against the rules; one notice per report with problems.
- Scheduled (EventBridge "Scheduled Event"), or ``{"check": "freshness"}``: for each source of
  SOURCES, the newest object under its raw prefix (its newest ``dt=`` partitions, LastModified
  from the listing: no object is read). One notice listing every late source.

Replay one report: ``{"report_key": "run_report/job=.../dt=.../<run>.json"}``.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError
from common import aws
from common.config import ConfigError, require_env
from common.log import error_code, get_logger, request_id

REPORT_PREFIX = "run_report/"
_REPORT_KEY = re.compile(r"run_report/job=([A-Za-z0-9_]+)/dt=(\d{4}-\d{2}-\d{2})/[A-Za-z0-9_.-]+\.json\Z")
_DT_DIR = re.compile(r"dt=(\d{4}-\d{2}-\d{2})/\Z")
MASK = "'…'"
_QUOTED = re.compile(r"'.*'", re.S)
MAX_REASONS = 10
SUBJECT_LIMIT = 99  # SNS: under 100 ASCII characters
RUNBOOK_ANCHOR = "pipeline_health"

log = get_logger("pipeline_health")


class ReportError(ValueError):
    """A run report that cannot be checked (not JSON, a missing or mistyped key)."""


@dataclass(frozen=True)
class Source:
    name: str
    prefix: str
    max_age_hours: float


@dataclass(frozen=True)
class Settings:
    topic_arn: str
    runbook_base_url: str
    report_bucket: str
    raw_bucket: str
    sources: tuple[Source, ...]
    quarantine_rate_threshold: float
    quarantine_rate_threshold_by_table: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        return cls(
            topic_arn=require_env("TOPIC_ARN", environ),
            runbook_base_url=require_env("RUNBOOK_BASE_URL", environ),
            report_bucket=require_env("REPORT_BUCKET", environ),
            raw_bucket=require_env("RAW_BUCKET", environ),
            sources=parse_sources(require_env("SOURCES", environ)),
            quarantine_rate_threshold=rate(
                require_env("QUARANTINE_RATE_THRESHOLD", environ), "QUARANTINE_RATE_THRESHOLD"
            ),
            quarantine_rate_threshold_by_table={
                table: rate(value, f"QUARANTINE_RATE_THRESHOLD_BY_TABLE[{table}]")
                for table, value in json_env("QUARANTINE_RATE_THRESHOLD_BY_TABLE", environ, {}).items()
            },
        )

    def threshold_for(self, table: str) -> float:
        return self.quarantine_rate_threshold_by_table.get(table, self.quarantine_rate_threshold)

    @property
    def runbook_url(self) -> str:
        return f"{self.runbook_base_url}#{RUNBOOK_ANCHOR}"


def rate(value: object, name: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number from 0 to 1, got {value!r}") from None
    if not 0 <= number <= 1 or math.isnan(number):
        raise ConfigError(f"{name} must be a number from 0 to 1, got {value!r}")
    return number


def json_env(name: str, environ: Mapping[str, str] | None, default: Any) -> Any:
    """A JSON object from the environment (``default`` when unset)."""
    raw = (os.environ if environ is None else environ).get(name, "").strip()
    if not raw:
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name} is not JSON") from None
    if not isinstance(value, dict):
        raise ConfigError(f"environment variable {name} must be a JSON object")
    return value


def parse_sources(text: str) -> tuple[Source, ...]:
    """SOURCES: {"<name>": {"prefix": "ehr/fhir/", "max_age_hours": 26}, ...}"""
    try:
        document = json.loads(text)
    except ValueError:
        raise ConfigError("environment variable SOURCES is not JSON") from None
    if not isinstance(document, dict) or not document:
        raise ConfigError("SOURCES must be a non-empty JSON object of sources")
    sources = []
    for name, spec in sorted(document.items()):
        prefix = spec.get("prefix") if isinstance(spec, dict) else None
        hours = spec.get("max_age_hours") if isinstance(spec, dict) else None
        if not isinstance(prefix, str) or not prefix.endswith("/") or prefix.startswith("/"):
            raise ConfigError(f"SOURCES[{name}].prefix must be a key prefix ending in '/'")
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise ConfigError(f"SOURCES[{name}].max_age_hours must be a positive number")
        sources.append(Source(name, prefix, float(hours)))
    return tuple(sources)


def masked(reason: str) -> str:
    """A quarantine reason with every quoted value masked (the jobs mask them already; a report
    written by anything else must not put a value in a notice either)."""
    return _QUOTED.sub(MASK, reason)


# ---------------------------------------------------------------- run reports


def _count_map(report: Mapping[str, Any], key: str) -> dict[str, int]:
    value = report.get(key)
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
        for k, v in value.items()
    ):
        raise ReportError(f"{key} is not an object of non-negative integer counts")
    return value


def check_report(report: Mapping[str, Any], settings: Settings) -> list[dict[str, Any]]:
    """The report's problems: every failed data-quality check, and every table whose quarantine
    rate (quarantined / (written + quarantined)) is over its threshold. Raises ReportError."""
    for key in ("job", "run_id", "batch"):
        if not isinstance(report.get(key), str):
            raise ReportError(f"{key} is missing or not a string")
    written = _count_map(report, "rows_written")
    quarantined = _count_map(report, "rows_quarantined")
    issues = report.get("dq_issues")
    if not isinstance(issues, list):
        raise ReportError("dq_issues is not a list")
    problems: list[dict[str, Any]] = []
    for issue in issues:
        if not (
            isinstance(issue, dict)
            and all(isinstance(issue.get(k), str) for k in ("zone", "table", "check"))
            and isinstance(issue.get("count"), int)
            and not isinstance(issue.get("count"), bool)
        ):
            raise ReportError("a dq_issues entry is not {zone, table, check, count}")
        if issue["count"] > 0:
            problems.append({"table": f"{issue['zone']}.{issue['table']}", "rule": issue["check"],
                             "count": issue["count"]})  # fmt: skip
    for table in sorted(quarantined):
        bad = quarantined[table]
        if bad == 0:
            continue
        total = bad + written.get(table, 0)
        share = bad / total
        threshold = settings.threshold_for(table)
        if share > threshold:
            problems.append({"table": table, "rule": "quarantine_rate", "quarantined": bad,
                             "written": written.get(table, 0), "rate": round(share, 6),
                             "threshold": threshold})  # fmt: skip
    return problems


def top_reasons(report: Mapping[str, Any]) -> dict[str, int]:
    """The most frequent quarantine reasons (values masked), for the notice."""
    reasons: dict[str, int] = {}
    raw = report.get("quarantined_by_reason")
    if isinstance(raw, dict):
        for reason, count in raw.items():
            if isinstance(reason, str) and isinstance(count, int) and not isinstance(count, bool):
                key = masked(reason)[:200]
                reasons[key] = reasons.get(key, 0) + count
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    return dict(ranked[:MAX_REASONS])


def subject(text: str) -> str:
    """An SNS subject: printable ASCII, one line, under 100 characters."""
    clean = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return clean[:SUBJECT_LIMIT]


def publish(sns: Any, settings: Settings, title: str, body: dict[str, Any], kind: str) -> str:
    response = sns.publish(
        TopicArn=settings.topic_arn,
        Subject=subject(title),
        Message=json.dumps({**body, "runbook_url": settings.runbook_url}, sort_keys=True),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": kind}},
    )
    return str(response.get("MessageId", ""))


def handle_report(bucket: str, key: str, settings: Settings, *, s3: Any, sns: Any) -> dict[str, Any]:
    """Check one run report and publish a notice when it has problems (or cannot be read)."""
    if bucket != settings.report_bucket or not _REPORT_KEY.match(key):
        log.info("pipeline_health.ignored", bucket=bucket, key=key)
        return {"check": "run_report", "ignored": True}
    location = f"s3://{bucket}/{key}"
    try:
        report = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        if not isinstance(report, dict):
            raise ReportError("not a JSON object")
        problems = check_report(report, settings)
    except (ValueError, UnicodeDecodeError) as bad:  # ReportError, JSON errors
        reason = str(bad) if isinstance(bad, ReportError) else "not valid JSON"
        log.error("pipeline_health.unreadable_report", key=key, reason=reason)
        message_id = publish(
            sns, settings, f"carelake pipeline health: unreadable run report {key.split('/')[1]}",
            {"kind": "pipeline_health", "check": "run_report", "report": location, "problem": reason},
            "run_report",
        )  # fmt: skip
        return {"check": "run_report", "unreadable": True, "message_id": message_id}
    job, batch = report["job"], report["batch"]
    if not problems:
        log.info("pipeline_health.report_ok", job=job, batch=batch, run_id=report["run_id"])
        return {"check": "run_report", "job": job, "problems": 0}
    body = {
        "kind": "pipeline_health",
        "check": "run_report",
        "job": job,
        "run_id": report["run_id"],
        "batch": batch,
        "problems": problems,
        "quarantined_by_reason": top_reasons(report),
        "report": location,
    }
    rules = ", ".join(sorted({f"{p['table']} {p['rule']}" for p in problems}))
    message_id = publish(
        sns, settings, f"carelake pipeline health: {job} {batch}: {rules}", body, "run_report"
    )
    log.warning("pipeline_health.problems", job=job, batch=batch, run_id=report["run_id"],
                problems=len(problems), message_id=message_id)  # fmt: skip
    return {"check": "run_report", "job": job, "problems": len(problems), "message_id": message_id}


# ---------------------------------------------------------------- freshness


def _child_dirs(s3: Any, bucket: str, prefix: str) -> list[str]:
    dirs: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        dirs.extend(p["Prefix"] for p in page.get("CommonPrefixes", []))
    return dirs


def _newest_object(s3: Any, bucket: str, prefix: str) -> datetime | None:
    newest = None
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith("/"):
                continue
            modified = obj["LastModified"]
            newest = modified if newest is None or modified > newest else newest
    return newest


def last_landed(s3: Any, bucket: str, prefix: str, depth: int = 0) -> datetime | None:
    """When anything last landed under ``prefix``: the newest LastModified in its two newest
    ``dt=`` partitions (a late file may land in yesterday's), looking through other partition
    levels (``partner=<id>/``) for them. None when nothing has ever landed."""
    children = _child_dirs(s3, bucket, prefix)
    dated = sorted((m.group(1), d) for d in children if (m := _DT_DIR.search(d)))
    if dated:
        times = [t for _, d in dated[-2:] if (t := _newest_object(s3, bucket, d)) is not None]
        return max(times, default=None)
    if not children or depth >= 3:
        return _newest_object(s3, bucket, prefix)
    times = [t for d in children if (t := last_landed(s3, bucket, d, depth + 1)) is not None]
    return max(times, default=None)


def check_freshness(settings: Settings, *, s3: Any, sns: Any, now: datetime) -> dict[str, Any]:
    late = []
    for source in settings.sources:
        landed = last_landed(s3, settings.raw_bucket, source.prefix)
        age = None if landed is None else now - landed
        if age is not None and age <= timedelta(hours=source.max_age_hours):
            continue
        late.append(
            {
                "source": source.name,
                "prefix": source.prefix,
                "last_landed_at": None
                if landed is None
                else landed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "age_hours": None if age is None else round(age.total_seconds() / 3600, 1),
                "max_age_hours": source.max_age_hours,
            }
        )
    if not late:
        log.info("pipeline_health.fresh", sources=len(settings.sources))
        return {"check": "freshness", "late_sources": []}
    names = ", ".join(s["source"] for s in late)
    message_id = publish(
        sns, settings, f"carelake pipeline health: no new data from {names}",
        {"kind": "pipeline_health", "check": "freshness", "late_sources": late, "raw_bucket": settings.raw_bucket},
        "freshness",
    )  # fmt: skip
    log.warning("pipeline_health.late_sources", sources=[s["source"] for s in late], message_id=message_id)
    return {"check": "freshness", "late_sources": [s["source"] for s in late], "message_id": message_id}


# ---------------------------------------------------------------- entry point


def s3_object(event: Mapping[str, Any]) -> tuple[str, str] | None:
    """(bucket, key) of an EventBridge "Object Created" event or of a replay; else None."""
    if event.get("report_key"):
        return "", str(event["report_key"])
    if event.get("source") == "aws.s3" and event.get("detail-type") == "Object Created":
        detail = event.get("detail") or {}
        return str(detail.get("bucket", {}).get("name", "")), unquote_plus(
            str(detail.get("object", {}).get("key", ""))
        )
    return None


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    settings = Settings.from_env()
    log.info("pipeline_health.start", request_id=request_id(context))
    s3, sns = aws.client("s3"), aws.client("sns")
    try:
        found = s3_object(event if isinstance(event, dict) else {})
        if found is not None:
            bucket, key = found
            return handle_report(bucket or settings.report_bucket, key, settings, s3=s3, sns=sns)
        return check_freshness(settings, s3=s3, sns=sns, now=datetime.now(UTC))
    except (ClientError, BotoCoreError) as exc:
        # Raised again: Lambda's asynchronous retries, then the DLQ and its alarm, keep the event.
        log.error("pipeline_health.failed", aws_error=error_code(exc))
        raise
