"""Glue job claims_to_bronze: partner claims CSV (SFTP) from raw/claims to bronze.

Processes every claims file that landed and is not in the ledger yet, whichever partner and
dt folder it landed in (the SFTP arrival Lambda starts a run when a good file lands; the
workflow's run picks up anything else). Writes bronze.partner_claim_line (partitions
partner_id and dt = the batch), bad rows and files to quarantine with reasons, the ledger,
and commits them in one step.
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.pipeline.accounting import RAW_OBJECT, RunCounts
from carelake.pipeline.batch import write_classified
from carelake.pipeline.job import start
from carelake.pipeline.ledger import ledger_rows, plan_batch, read_ledger
from carelake.sources.partner_claims import contract as partner_claims
from carelake.sources.partner_claims.io import classify
from carelake.sources.partner_claims.transforms import reference_lookup

JOB_NAME = "claims_to_bronze"


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start(JOB_NAME, argv)
    spark, raw_uri = job.spark, job.args["raw_uri"]
    plan = plan_batch(spark, job.state, JOB_NAME, raw_uri, [partner_claims.RAW], job.batch)
    writer = job.writer()
    parts = [classify(spark, raw_uri, plan.objects, job.batch, reference_lookup())] if plan.objects else []
    counts = write_classified(writer, parts, plan.metrics())
    writer.write(
        RAW_OBJECT, ledger_rows(spark, plan, read_ledger(spark, job.state, JOB_NAME)), {"dt": job.batch}
    )
    writer.commit(counts)
    job.run.commit()
    return counts


if __name__ == "__main__":
    main()
