"""One source's records of one run, classified: the rows for each table and the quarantine.

Every ingest source produces a :class:`Classified`; :func:`write_classified` writes them all
through the run's writer (each output, then one quarantine partition for the run) and
returns the run's counts: records read (counted as they are parsed), rows written per
table and rows quarantined per target table (counted as they are written). The writer's
commit then checks read = written + quarantined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pyspark.sql import DataFrame, Observation
from pyspark.sql import functions as F

from carelake.declarations import Table
from carelake.pipeline.accounting import QUARANTINE_SCHEMA, RunCounts
from carelake.pipeline.writer import RunWriter
from carelake.runtime import CACHE_LEVEL


@dataclass
class Output:
    """Rows for one table, or for several tables of one schema (then ``frame`` has a ``table`` column)."""

    tables: tuple[Table, ...]
    frame: DataFrame
    constants: dict[str, str]
    expected: list[dict[str, str]] | None = None


@dataclass
class Classified:
    """What one source's records of a run became."""

    source: str
    outputs: list[Output]
    quarantine: DataFrame  # carelake.pipeline.accounting.QUARANTINE_SCHEMA columns
    records_read: Observation | None  # observes ``count`` over the source's records
    cached: list[DataFrame] = field(default_factory=list)
    observed_metrics: dict[str, Observation] = field(default_factory=dict)  # each observes ``count``

    @property
    def target_tables(self) -> list[str]:
        return [t.name for out in self.outputs for t in out.tables]


def counted(records: DataFrame, name: str) -> tuple[DataFrame, Observation]:
    """``records`` persisted, with an observation that counts them as they are first computed."""
    observation = Observation(f"read-{name}")
    return records.observe(observation, F.count(F.lit(1)).alias("count")).persist(CACHE_LEVEL), observation


def write_classified(
    writer: RunWriter, parts: Sequence[Classified], metrics: Mapping[str, int] | None = None
) -> RunCounts:
    """Write every output and the run's quarantine; return the run's counts."""
    counts = RunCounts(metrics=dict(metrics or {}))
    for part in parts:
        for output in part.outputs:
            if len(output.tables) == 1 and "table" not in output.frame.columns:
                rows = {
                    output.tables[0].name: writer.write(
                        output.tables[0], output.frame, output.constants, output.expected
                    )
                }
            else:
                rows = writer.write_tables(output.tables, output.frame, output.constants)
            for table, n in rows.items():
                counts.written[table] = counts.written.get(table, 0) + n
    # One quarantine partition per run, written even when empty: a rerun replaces what an
    # earlier run of the batch quarantined.
    union = writer.spark.createDataFrame([], QUARANTINE_SCHEMA)
    for part in parts:
        union = union.unionByName(part.quarantine)
    counts.quarantined = writer.write_quarantine(union, sorted({t for p in parts for t in p.target_tables}))
    for part in parts:
        if part.records_read is not None:
            counts.rows_read += int(part.records_read.get["count"])
        for name, observation in part.observed_metrics.items():
            counts.metrics[name] = counts.metrics.get(name, 0) + int(observation.get["count"])
        for frame in part.cached:
            frame.unpersist()
    return counts
