"""Glue job treatments_to_silver: DynamoDB treatment exports merged into silver.fct_treatment.

Reads the complete exports that landed and are not in the ledger yet (an incomplete export
waits for a later run), parses each item line, and merges the good items into the table as
of the previous batch: latest metadata_modified_at wins per treatment_id. Bad lines and
unreadable exports go to quarantine; table, quarantine and ledger are committed in one step.
``--rebuild true`` merges every export the ledger holds (and new ones) into an empty table.
Design: carelake.sources.treatments.io.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import functions as F

from carelake.lake.spark_io import read_version
from carelake.pipeline.accounting import RAW_OBJECT, RunCounts
from carelake.pipeline.job import start
from carelake.pipeline.ledger import ledger_rows, plan_batch, read_ledger
from carelake.runtime import CACHE_LEVEL
from carelake.sources.treatments import contract as treatments
from carelake.sources.treatments.io import classify, deferred_objects, merged

JOB_NAME = "treatments_to_silver"


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start(JOB_NAME, argv)
    spark, raw_uri = job.spark, job.args["raw_uri"]
    (table,) = treatments.TABLES
    base = None if job.rebuild else job.base_commit()
    plan = plan_batch(
        spark, job.state, JOB_NAME, raw_uri, [treatments.RAW], job.batch,
        defer=lambda objects: deferred_objects(raw_uri, objects), rebuild=job.rebuild,
    )  # fmt: skip
    items = classify(spark, raw_uri, plan.objects)
    base_rows = read_version(spark, job.state.version(table, {JOB_NAME: base}))
    ranked = merged(base_rows, items.lines).persist(CACHE_LEVEL)

    writer = job.writer(kind="rebuild" if job.rebuild else "run")
    writer.write(table, ranked.where(F.col("_rank") == 1).select(*table.columns))
    quarantined = writer.write_quarantine(items.quarantine, [table.name])
    tally = ranked.agg(
        F.count(F.when(F.col("_is_item") & (F.col("_rank") == 1), 1)).alias("applied"),
        F.count(F.when(F.col("_is_item") & (F.col("_rank") > 1), 1)).alias("superseded"),
        F.count(F.when(F.col("_rank") == 1, 1)).alias("table_rows"),
    ).first()
    counts = RunCounts(
        rows_read=int(items.read.get["count"]),
        written={table.name: tally["applied"]},
        quarantined=quarantined,
        deduplicated={table.name: tally["superseded"]} if tally["superseded"] else {},
        metrics={**plan.metrics(), **items.metrics, "table_rows": tally["table_rows"]},
    )
    writer.write(
        RAW_OBJECT, ledger_rows(spark, plan, read_ledger(spark, job.state, JOB_NAME)), {"dt": job.batch}
    )
    writer.commit(counts)
    ranked.unpersist()
    items.lines.unpersist()
    job.run.commit()
    return counts


if __name__ == "__main__":
    main()
