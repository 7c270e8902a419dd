"""Glue job claims_to_bronze: partner claims CSV (SFTP) from raw/claims/ to bronze.

Reads raw/claims/partner=<id>/dt=<dt>/ and writes bronze.partner_claim_line (partitions
partner_id, dt), bad rows to quarantine with reasons, and a run record with the counts.
``--object_key`` "all" (or empty) covers every partner's files of dt; a file's key (as the
SFTP arrival Lambda sends it, e.g. raw/claims/partner=aetna/dt=2024-05-01/claims_aetna_20240501.csv)
rebuilds only that partner's dt partition, from all of that partner's files of dt.
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.accounting import RunCounts, write_run_record
from carelake.bronze.partner_claims import (
    claims_scope,
    classify_partner_claims,
    reference_lookup,
    write_partner_claims,
)
from carelake.config import resolve_dt
from carelake.runtime import start_job

JOB_NAME = "claims_to_bronze"
ARGUMENTS = ("dt", "raw_uri", "bronze_uri", "quarantine_uri", "object_key")


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start_job(JOB_NAME, ARGUMENTS, argv)
    args, spark = job.args, job.spark
    dt = resolve_dt(args["dt"])
    scope = claims_scope(args["object_key"], dt, args["raw_uri"])

    classified = classify_partner_claims(spark, args["raw_uri"], scope, reference_lookup())
    counts = classified.counts
    counts.check(JOB_NAME)
    write_partner_claims(classified, spark, args["bronze_uri"], args["quarantine_uri"], JOB_NAME)

    write_run_record(spark, args["quarantine_uri"], job, dt, counts)
    job.commit()
    return counts


if __name__ == "__main__":
    main()
