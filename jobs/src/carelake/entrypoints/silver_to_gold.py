"""Glue job silver_to_gold: the star schema, provider/treatment tables, LACE risk and DQ summary.

Reads the silver tables (fct_treatment: the version current on dt), builds every gold table
of the contract (carelake.gold.build; docs/data-model.md, docs/measures/), replaces each
as a complete snapshot, writes the high-risk alert feed as JSON lines under
gold/alert_feed/high_risk/dt=<dt>/ (that partition replaced), dq_summary, and a run record.
as_of = dt: ages, "active" and the LACE index are measured on it. risk_threshold: the LACE
score (0-19) from which a patient is on the outreach list and the alert feed;
outreach_window_days: how long after the index discharge they stay on it (defaults in
manifest.yaml, passed by the runner and by Terraform); care_team_assignment_uri: the JSON-lines
file of which coordinator covers which clinic (carelake.gold.worklist), or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from carelake.accounting import RunCounts, write_run_record
from carelake.config import resolve_dt
from carelake.gold.build import build_gold, check_threshold
from carelake.gold.io import read_silver, write_gold
from carelake.gold.worklist import read_assignment
from carelake.runtime import start_job

JOB_NAME = "silver_to_gold"
ARGUMENTS = ("dt", "silver_uri", "gold_uri", "quarantine_uri", "risk_threshold", "outreach_window_days",
             "care_team_assignment_uri")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start_job(JOB_NAME, ARGUMENTS, argv)
    args, spark = job.args, job.spark
    dt = args["dt"] = resolve_dt(args["dt"])

    silver = read_silver(spark, args["silver_uri"], dt)
    gold = build_gold(
        silver,
        date.fromisoformat(dt),
        check_threshold(args["risk_threshold"]),
        int(args["outreach_window_days"]),
        read_assignment(spark, args["care_team_assignment_uri"]),
    )
    counts = write_gold(gold, spark, silver, args, job)
    counts.check(JOB_NAME)

    write_run_record(spark, args["quarantine_uri"], job, dt, counts)
    job.commit()
    return counts


if __name__ == "__main__":
    main()
