"""Every job run's report, for the pipeline-health check (lambdas/pipeline_health).

When a run commits, its writer (carelake.pipeline.writer) writes one small JSON document beside
its run record:

    <quarantine_uri>/run_report/job=<job>/dt=<batch>/<run_id>.json

    {"job", "run_id", "batch", "commit_seq", "started_at", "finished_at", "rows_read",
     "rows_written": {table: n}, "rows_quarantined": {table: n}, "rows_deduplicated": {table: n},
     "quarantined_by_reason": {reason: n},
     "dq_issues": [{"zone", "table", "check", "count"}], "metrics": {name: n}}

The object landing in S3 triggers the health check, which raises a pipeline notice when a
data-quality check failed or a table's quarantine rate passed its threshold (docs/runbook.md,
"pipeline_health"). The report names tables, rules and counts, never a record's values: a
quarantine reason quotes the offending value (``column zip: '0211' is not ...``), so every
quoted part is masked before it is counted. Timestamps are UTC, ISO 8601 with ``Z``.

DQ issues come from the run's metrics, under keys ``dq_issue:<zone>.<table>:<check>``
(:func:`dq_issue_metric`): a job that checks its output adds one per failed check.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from carelake.pipeline.accounting import RunCounts

RUN_REPORT_TABLE = "run_report"
DQ_ISSUE_PREFIX = "dq_issue:"
MASK = "'…'"
# From the first to the last single quote of a reason: every quoted value (and whatever quotes a
# value itself holds, as in O'Brien) becomes one mask.
QUOTED = r"(?s)'.*'"


def dq_issue_metric(zone: str, table: str, check: str) -> str:
    """The metrics key of a failed data-quality check (its value is the count of bad rows)."""
    return f"{DQ_ISSUE_PREFIX}{zone}.{table}:{check}"


def dq_issues(metrics: Mapping[str, int]) -> list[dict[str, Any]]:
    """The report's dq_issues from a run's metrics, sorted; checks that found nothing are left out."""
    issues = []
    for key, count in sorted(metrics.items()):
        if not key.startswith(DQ_ISSUE_PREFIX) or count <= 0:
            continue
        location, _, check = key[len(DQ_ISSUE_PREFIX) :].rpartition(":")
        zone, _, table = location.partition(".")
        issues.append({"zone": zone, "table": table, "check": check, "count": int(count)})
    return issues


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_report(
    job: str,
    run_id: str,
    batch: str,
    started_at: datetime,
    finished_at: datetime,
    counts: RunCounts,
    quarantined_by_reason: Mapping[str, int],
    commit_seq: int,
) -> dict[str, Any]:
    """The report document (the contract above), keys in contract order."""
    return {
        "job": job,
        "run_id": run_id,
        "batch": batch,
        "commit_seq": commit_seq,
        "started_at": utc_text(started_at),
        "finished_at": utc_text(finished_at),
        "rows_read": counts.rows_read,
        "rows_written": dict(sorted(counts.written.items())),
        "rows_quarantined": dict(sorted(counts.quarantined.items())),
        "rows_deduplicated": dict(sorted(counts.deduplicated.items())),
        "quarantined_by_reason": dict(sorted(quarantined_by_reason.items())),
        "dq_issues": dq_issues(counts.metrics),
        "metrics": dict(sorted(counts.metrics.items())),
    }


def run_report_path(job: str, batch: str, run_id: str) -> tuple[str, ...]:
    """Where a run's report lies below the quarantine zone."""
    return (RUN_REPORT_TABLE, f"job={job}", f"dt={batch}", f"{run_id}.json")
