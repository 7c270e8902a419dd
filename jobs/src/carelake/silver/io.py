"""bronze_to_silver's I/O: the bronze it has not merged, silver's state, the silver tables.

A run builds on a base commit of bronze_to_silver (the latest of an earlier batch, or none
for a rebuild): it reads only the bronze partitions committed after the base's inputs,
merges their records into the state as of the base (carelake.silver.state), then builds
every silver table from the state (carelake.silver.build) and commits state and tables.

Counts (the run record): rows read = the records this run's bronze rows became; written =
those that are now the newest version of their record; deduplicated = those an equal or
newer version replaced; quarantined = those that cannot be placed in their table's grain.
The silver tables' sizes, duplicates across sources, records excluded by a plausibility
rule and identity decisions go to the run's metrics; excluded records are listed in
``silver.excluded_record``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from carelake import registry
from carelake.lake.commits import Commit
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState
from carelake.pipeline.accounting import AccountingError, RunCounts, quarantine_rows
from carelake.pipeline.writer import RunWriter
from carelake.reference import UNMAPPED
from carelake.runtime import CACHE_LEVEL
from carelake.silver import state as silver_state
from carelake.silver.build import RANK, SilverOutput

SILVER_SOURCE = "silver"  # quarantine.quarantined_record.source for records silver cannot place
UPSTREAM = ("raw_to_bronze", "claims_to_bronze")
EXCLUDED = "excluded_record"


@dataclass
class NewBronze:
    """The bronze partitions a run has not merged: their rows (with ``ingest_seq``) and how many
    rows each input's commits say they hold (known without reading them)."""

    frames: dict[str, DataFrame]
    rows: dict[str, int]


def new_bronze(spark: SparkSession, state: LakeState, base: Commit | None) -> NewBronze:
    """Each bronze input's partitions committed after the base's inputs (all, without a base),
    with the bronze commit that wrote each row (``ingest_seq``)."""
    consumed = base.inputs if base is not None else {}
    bronze = registry.zone_tables("bronze")
    versions = {
        name: state.version(bronze[name]).changed_after(consumed) for name in silver_state.BRONZE_INPUTS
    }
    return NewBronze(
        frames={
            name: silver_state.with_ingest_seq(read_version(spark, version, with_version_folder=True)).drop(
                "dt"
            )
            for name, version in versions.items()
        },
        rows={name: version.rows for name, version in versions.items()},
    )


@dataclass
class MergedStates:
    states: dict[str, DataFrame]  # state name -> its rows now (written or carried)
    counts: RunCounts
    quarantine: list[DataFrame]  # records that cannot enter a state
    cached: list[DataFrame]

    def release(self) -> None:
        for frame in self.cached:
            frame.unpersist()


def merge_states(
    spark: SparkSession, lake: LakeState, base: Commit | None, bronze: NewBronze, writer: RunWriter
) -> MergedStates:
    """Merge the new bronze records into every state, writing the states that changed.

    A state none of whose inputs has new rows is carried without reading it. Otherwise one
    Spark job writes it: the current rows and the arriving records, ranked per record,
    observed on the way (arrived, newest, rejected) and filtered to each record's newest
    version.
    """
    job = writer.job
    counts = RunCounts()
    quarantines: list[DataFrame] = []
    cached: list[DataFrame] = []
    states: dict[str, DataFrame] = {}
    for spec in silver_state.STATES:
        table = registry.table(f"silver.{spec.table_name}")
        version = lake.version(table, {job: base})
        current = read_version(spark, version)
        if not any(bronze.rows[name] for name in spec.inputs):
            writer.carry(version)
            states[spec.name] = current
            continue
        arriving = silver_state.records(spec, bronze.frames)
        if spec.parsed:
            arriving = arriving.withColumn("_reason", silver_state.missing_key(spec)).persist(CACHE_LEVEL)
            cached.append(arriving)
            rejected = arriving.where(F.col("_reason").isNotNull())
            quarantines.append(
                quarantine_rows(
                    rejected,
                    source=SILVER_SOURCE,
                    reason=F.col("_reason"),
                    target_table=spec.silver_table,
                    record=F.to_json(F.struct(*(c for c in arriving.columns if c != "_reason"))),
                )
            )
        else:
            arriving = arriving.withColumn("_reason", F.lit(None).cast("string"))
        merged = silver_state.merged(
            spec,
            current.select(*table.columns).withColumn("_reason", F.lit(None).cast("string")),
            arriving.select(*table.columns, "_reason"),
        )
        observation = Observation(f"state-{spec.name}-{writer.version}")
        observed = merged.observe(
            observation,
            F.count(F.when(F.col("_arrived") & F.col("_reason").isNull(), 1)).alias("arrived"),
            F.count(F.when(F.col("_arrived") & F.col("_wins"), 1)).alias("won"),
            F.count(F.when(F.col("_reason").isNotNull(), 1)).alias("rejected"),
        )
        newest = observed.where("_wins").drop("_arrived", "_wins", "_reason")
        # A parsed record re-read from a reprocessed bronze batch is the same version again:
        # keep one copy of each row (a raw record differs by its ingest_seq, and the newer wins).
        writer.write(table, newest.distinct() if spec.parsed else newest)
        tally = observation.get
        states[spec.name] = read_version(spark, writer.written_version(table))
        arrived, won, rejected_n = int(tally["arrived"]), int(tally["won"]), int(tally["rejected"])
        counts.add(
            RunCounts(
                rows_read=arrived + rejected_n,
                written={spec.table_name: won},
                quarantined={spec.silver_table: rejected_n} if rejected_n else {},
                deduplicated={spec.table_name: arrived - won} if arrived > won else {},
            )
        )
    return MergedStates(states, counts, quarantines, cached)


def _quality(name: str, final: DataFrame) -> dict[str, F.Column]:
    """What the run reports beyond row counts, observed while the table is written."""
    metrics = {
        f"unmapped_codes:{name}.{column}": F.count(F.when(F.col(column) == UNMAPPED, 1))
        for column in final.columns
        if column.endswith("diagnosis_category")
    }
    if "is_inferred" in final.columns:
        metrics[f"inferred_rows:{name}"] = F.count(F.when(F.col("is_inferred"), 1))
    return metrics


def write_silver(output: SilverOutput, writer: RunWriter, counts: RunCounts) -> None:
    """Write every silver table (complete replacement) and the excluded records; add their sizes,
    duplicates across sources, exclusions and quality figures to ``counts``' metrics.

    Raises AccountingError when a table's written rows differ from its surviving versions
    (an enrichment join that dropped or multiplied rows).
    """
    excluded: list[DataFrame] = []
    for name, table in sorted(output.tables.items()):
        declared = registry.table(f"silver.{name}")
        observation = Observation(f"silver-{name}-{writer.version}")
        quality = _quality(name, table.final)
        final = table.final.observe(
            observation, F.count(F.lit(1)).alias("_rows"), *(expr.alias(key) for key, expr in quality.items())
        )
        rows = final if table.added is None else final.unionByName(table.added)
        total = writer.write(declared, rows)
        observed = observation.get
        counts.metrics[f"silver_rows:{name}"] = total
        counts.metrics.update({key: int(observed[key]) for key in quality})
        if table.ranked is None:
            continue
        excluded_n, duplicates, survivors = table.ranked.agg(
            F.count("reason"), F.count(F.when(F.col(RANK) > 1, 1)), F.count(F.when(F.col(RANK) == 1, 1))
        ).first()
        if int(observed["_rows"]) != survivors:
            raise AccountingError(
                f"{writer.job}: {name} has {survivors} surviving versions but {observed['_rows']} rows written"
            )
        counts.metrics[f"duplicates_across_sources:{name}"] = duplicates
        counts.metrics[f"excluded:{name}"] = excluded_n
        excluded.append(_excluded_rows(table.ranked, name))
    # Counted from what was written (a small table), not by recomputing its anti-joins.
    unresolved = read_version(
        writer.spark, writer.written_version(registry.table("silver.unresolved_reference"))
    )
    for row in unresolved.groupBy("kind").count().collect():
        counts.metrics[f"unresolved_references:{row['kind']}"] = int(row["count"])
    for rule, n in output.identity_summary.items():
        counts.metrics[f"identity:{rule}"] = n
    union = excluded[0]
    for frame in excluded[1:]:
        union = union.unionByName(frame)
    writer.write(registry.table(f"silver.{EXCLUDED}"), union)
    output.on_written()


def _excluded_rows(ranked: DataFrame, table: str) -> DataFrame:
    bad = ranked.where(F.col("reason").isNotNull())
    columns = [c for c in ranked.columns if c not in (RANK, "reason", "rule")]
    return bad.select(
        F.lit(table).alias("target_table"),
        F.col("reason"),
        F.col("rule"),
        (F.col("source_file") if "source_file" in columns else F.lit(None))
        .cast("string")
        .alias("source_file"),
        F.to_json(F.struct(*columns)).alias("record"),
    )
