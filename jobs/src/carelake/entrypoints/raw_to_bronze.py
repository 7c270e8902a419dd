"""Glue job raw_to_bronze: EHR FHIR R4, Synthea CSV and outreach events from raw to bronze.

Reads raw/ehr/fhir/dt=<dt>/ (Bundles, bulk NDJSON), raw/ehr/csv/dt=<dt>/ (Synthea CSV)
and raw/care_mgmt/dt=<dt>/ (outreach JSON lines), writes one bronze table per FHIR
resource type, per CSV file and for outreach events (dt partition replaced), bad records
to quarantine with reasons, and a run record with the counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.accounting import RunCounts, write_run_record
from carelake.bronze.ingest import classify_fhir, classify_outreach, classify_synthea_csv, write_classified
from carelake.config import resolve_dt
from carelake.runtime import start_job

JOB_NAME = "raw_to_bronze"
ARGUMENTS = ("dt", "raw_uri", "bronze_uri", "quarantine_uri")


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start_job(JOB_NAME, ARGUMENTS, argv)
    args, spark = job.args, job.spark
    dt = resolve_dt(args["dt"])

    classified = [
        classify_fhir(spark, args["raw_uri"], dt),
        classify_synthea_csv(spark, args["raw_uri"], dt),
        classify_outreach(spark, args["raw_uri"], dt),
    ]
    counts = write_classified(classified, args["bronze_uri"], args["quarantine_uri"], JOB_NAME, dt)
    counts.check(JOB_NAME)

    write_run_record(spark, args["quarantine_uri"], job, dt, counts)
    job.commit()
    return counts


if __name__ == "__main__":
    main()
