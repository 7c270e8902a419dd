"""Glue job bronze_to_silver: conformed, deduplicated silver tables with one identity per patient.

Reads every bronze partition, builds the silver tables (carelake.silver.build: latest-wins
dedup, references resolved, codes mapped, master patient index), replaces each silver
table, quarantines records without a key, and writes a run record with the counts.
``--patient_key_secret`` names the Secrets Manager secret patient keys are keyed with
(``local`` on a laptop: carelake.pseudonym_key).
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.accounting import RunCounts, write_run_record
from carelake.catalog import tables_by_name
from carelake.config import resolve_dt
from carelake.pseudonym_key import load_pseudonym_key
from carelake.runtime import on_glue, start_job
from carelake.silver.build import build_silver
from carelake.silver.codes import CodeMaps
from carelake.silver.io import read_bronze, write_silver

JOB_NAME = "bronze_to_silver"
ARGUMENTS = ("dt", "bronze_uri", "silver_uri", "quarantine_uri", "patient_key_secret")


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start_job(JOB_NAME, ARGUMENTS, argv)
    args, spark = job.args, job.spark
    dt = resolve_dt(args["dt"])

    bronze = read_bronze(spark, args["bronze_uri"], tables_by_name("bronze"))
    key = load_pseudonym_key(args["patient_key_secret"], on_glue=on_glue())
    silver = build_silver(bronze, CodeMaps.load(spark), key=key)
    counts = write_silver(silver, args["silver_uri"], args["quarantine_uri"], JOB_NAME, dt)
    counts.check(JOB_NAME)

    write_run_record(spark, args["quarantine_uri"], job, dt, counts)
    job.commit()
    return counts


if __name__ == "__main__":
    main()
