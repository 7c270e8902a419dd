"""Glue job bronze_to_silver: conformed, deduplicated silver tables with one identity per patient.

Reads only the bronze partitions committed since the batch it builds on, merges their
records into silver's state (the latest version of every record; carelake.silver.state),
builds every silver table from the state (carelake.silver.build: latest wins across
sources, references resolved, codes mapped, master patient index, plausibility against the
patient), quarantines records that cannot be placed in their grain, and commits state,
tables, quarantine and run record in one step. ``--rebuild true`` starts from an empty
state and reads all of bronze (the same tables, from scratch). ``--patient_key_secret`` names the
Secrets Manager secret patient keys are keyed with (``local`` on a laptop: carelake.pseudonym_key).
"""

from __future__ import annotations

from collections.abc import Sequence

from carelake import registry
from carelake.pipeline.accounting import QUARANTINE_SCHEMA, AccountingError, RunCounts
from carelake.pipeline.job import start
from carelake.pseudonym_key import load_pseudonym_key
from carelake.runtime import on_glue
from carelake.silver.build import build_silver
from carelake.silver.codes import CodeMaps
from carelake.silver.io import UPSTREAM, merge_states, new_bronze, write_silver
from carelake.silver.state import PARSED

JOB_NAME = "bronze_to_silver"


def main(argv: Sequence[str] | None = None) -> RunCounts:
    job = start(JOB_NAME, argv)
    spark = job.spark
    base = None if job.rebuild else job.base_commit()
    inputs = {name: commit.seq for name in UPSTREAM if (commit := job.state.latest(name)) is not None}

    writer = job.writer(inputs, kind="rebuild" if job.rebuild else "run")
    bronze = new_bronze(spark, job.state, base)
    merged = merge_states(spark, job.state, base, bronze, writer)
    counts = merged.counts
    if any(bronze.rows.values()):
        key = load_pseudonym_key(job.args["patient_key_secret"], on_glue=on_glue())
        write_silver(build_silver(merged.states, CodeMaps.load(spark), key=key), writer, counts)
        quarantine = spark.createDataFrame([], QUARANTINE_SCHEMA)
        for frame in merged.quarantine:
            quarantine = quarantine.unionByName(frame)
        quarantined = writer.write_quarantine(quarantine, sorted({s.silver_table for s in PARSED}))
        if quarantined != counts.quarantined:
            raise AccountingError(
                f"{JOB_NAME}: counted {counts.quarantined} quarantined but wrote {quarantined}"
            )
    else:  # nothing new in bronze: silver stays as the base built it, without a Spark job
        for table in registry.zone_tables("silver").values():
            if job.state.writers.get(table.qualified_name) == (JOB_NAME,):
                writer.carry(job.state.version(table, {JOB_NAME: base}))
    writer.commit(counts)
    merged.release()
    job.run.commit()
    return counts


if __name__ == "__main__":
    main()
