"""Glue job silver_to_gold: the star schema, provider/treatment tables, LACE risk and DQ summary.

Reads the current silver tables, builds every gold table of the contract
(carelake.gold.build; docs/data-model.md, docs/measures/), writes each as a complete
snapshot and dq_summary (computed on what was written), commits them in one step, then
writes the high-risk alert feed for the batch (gold/alert_feed/high_risk/dt=<dt>/feed.jsonl).
as_of = dt: ages, "active" and the LACE index are measured on it. risk_threshold: the LACE
score (0-19) from which a patient is on the outreach list and the alert feed;
outreach_window_days: how long after the index discharge they stay on it (defaults in
manifest.yaml, passed by the runner and by Terraform); care_team_assignment_uri: the JSON-lines
file of which coordinator covers which clinic (carelake.gold.worklist), or none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from carelake.gold.build import build_gold, check_threshold
from carelake.gold.io import read_silver, write_alert_feed, write_gold
from carelake.gold.worklist import read_assignment
from carelake.pipeline.accounting import RunCounts
from carelake.pipeline.job import start

JOB_NAME = "silver_to_gold"
UPSTREAM = ("bronze_to_silver", "treatments_to_silver")


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start(JOB_NAME, argv)
    args = job.args
    inputs = {name: commit.seq for name in UPSTREAM if (commit := job.state.latest(name)) is not None}

    gold = build_gold(
        read_silver(job.spark, job.state),
        date.fromisoformat(job.batch),
        check_threshold(args["risk_threshold"]),
        int(args["outreach_window_days"]),
        read_assignment(job.spark, args["care_team_assignment_uri"]),
    )
    writer = job.writer(inputs)
    counts, feed = write_gold(gold, writer, job.state)
    writer.commit(counts)
    write_alert_feed(args["gold_uri"], job.batch, feed)
    job.run.commit()
    return counts


if __name__ == "__main__":
    main()
