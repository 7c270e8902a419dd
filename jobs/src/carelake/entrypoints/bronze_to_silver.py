"""Glue job bronze_to_silver: conformed, deduplicated silver tables with one identity per patient.

Reads the current version of every bronze input, builds the silver tables
(carelake.silver.build: latest-wins dedup, references resolved, codes mapped, master
patient index, plausibility against the patient), replaces each silver table, quarantines
records without a key or failing a rule, and commits tables, quarantine and run record in
one step.
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake.pipeline.accounting import RunCounts
from carelake.pipeline.job import start
from carelake.silver.build import build_silver
from carelake.silver.codes import CodeMaps
from carelake.silver.io import read_bronze, write_silver

JOB_NAME = "bronze_to_silver"
UPSTREAM = ("raw_to_bronze", "claims_to_bronze")


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start(JOB_NAME, argv)
    spark = job.spark
    inputs = {name: commit.seq for name in UPSTREAM if (commit := job.state.latest(name)) is not None}

    silver = build_silver(read_bronze(spark, job.state), CodeMaps.load(spark))
    writer = job.writer(inputs)
    counts = write_silver(silver, writer)
    writer.commit(counts)
    job.run.commit()
    return counts


if __name__ == "__main__":
    main()
