"""Glue job treatments_to_silver: DynamoDB treatment exports to silver.fct_treatment.

Reads the exports under raw/treatments/dt<=<dt>/, applies the items changed since the
watermark of the latest run before <dt> (latest wins per treatment_id), writes the
complete table as fct_treatment/dt=<dt>, bad lines to quarantine, then commits by
appending the run's window to silver.etl_tracker, and writes a run record. Rerunning a
dt reruns its window and changes nothing. Design: carelake.silver.treatments.
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.accounting import RunCounts, write_quarantine, write_run_record
from carelake.config import resolve_dt
from carelake.runtime import start_job
from carelake.silver import treatments

JOB_NAME = "treatments_to_silver"
ARGUMENTS = ("dt", "raw_uri", "silver_uri", "quarantine_uri")


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start_job(JOB_NAME, ARGUMENTS, argv)
    args, spark = job.args, job.spark
    dt = resolve_dt(args["dt"])

    batch = treatments.load_batch(spark, args["raw_uri"], args["silver_uri"], dt)
    counts = batch.counts()
    counts.check(JOB_NAME)

    treatments.write_version(batch, args["silver_uri"], dt)
    write_quarantine(batch.quarantine(), args["quarantine_uri"], JOB_NAME, dt, counts.rows_quarantined)
    treatments.append_tracker_row(spark, args["silver_uri"], job, dt, batch)  # the commit
    write_run_record(spark, args["quarantine_uri"], job, dt, counts)
    batch.release()
    job.commit()
    return counts


if __name__ == "__main__":
    main()
