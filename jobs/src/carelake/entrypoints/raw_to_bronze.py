"""Glue job raw_to_bronze: EHR FHIR R4, Synthea CSV and outreach events from raw to bronze.

Processes every raw object of its sources that landed and is not in the ledger yet
(carelake.pipeline.ledger), whichever dt folder it landed in; writes one bronze table per
FHIR resource type, per CSV file and for outreach events (partition dt = the batch), bad
records and files to quarantine with reasons, the ledger, and commits them in one step.
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.pipeline.accounting import RAW_OBJECT, RunCounts
from carelake.pipeline.batch import write_classified
from carelake.pipeline.job import start
from carelake.pipeline.ledger import ledger_rows, plan_batch, read_ledger
from carelake.sources.fhir import contract as fhir
from carelake.sources.fhir import io as fhir_io
from carelake.sources.outreach import contract as outreach
from carelake.sources.outreach import io as outreach_io
from carelake.sources.synthea_csv import contract as synthea_csv
from carelake.sources.synthea_csv import io as synthea_csv_io

JOB_NAME = "raw_to_bronze"
SOURCES = ((fhir.RAW, fhir_io), (synthea_csv.RAW, synthea_csv_io), (outreach.RAW, outreach_io))


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start(JOB_NAME, argv)
    spark, raw_uri = job.spark, job.args["raw_uri"]
    plan = plan_batch(spark, job.state, JOB_NAME, raw_uri, [raw for raw, _ in SOURCES], job.batch)
    previous_ledger = read_ledger(spark, job.state, JOB_NAME)

    writer = job.writer()
    parts = [
        io.classify(spark, raw_uri, plan.for_source(raw.name), job.batch)
        for raw, io in SOURCES
        if plan.for_source(raw.name)
    ]
    counts = write_classified(writer, parts, plan.metrics())
    writer.write(RAW_OBJECT, ledger_rows(spark, plan, previous_ledger), {"dt": job.batch})
    writer.commit(counts)
    job.run.commit()
    return counts


if __name__ == "__main__":
    main()
