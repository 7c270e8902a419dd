"""The one writer: a job run's new table versions, its quarantine, its run record, one commit.

Every job writes through a :class:`RunWriter`:

1. ``write(table, frame)`` (or ``write_tables`` for several tables of one schema in one Spark
   job) writes a new version folder of each partition the frame holds, below the job's own
   ``job=`` folder, and counts the rows per partition while writing (Spark observations:
   no second pass). Columns are checked against the table's registry declaration: a
   missing or undeclared column is an error, not a silent select.
2. ``write_quarantine(frame)`` writes the run's quarantined records (one builder:
   carelake.pipeline.accounting.quarantine_rows) and returns their counts per target table.
3. ``commit(counts)`` checks the accounting (read = written + quarantined + deduplicated),
   writes the run record, then publishes the commit: the single atomic step after which
   readers see every table of the run, and before which they see none of it. The ledger
   of raw objects, when the job has one, is one of the tables the commit publishes.

Until the commit nothing the run wrote is visible; if the run dies, its folders are
orphans that the next run of the job deletes (carelake.lake.maintenance).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from carelake import health
from carelake.declarations import Table
from carelake.lake import glue_catalog, maintenance
from carelake.lake.commits import Commit, PartitionVersion, merged_tables, now_utc
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState, TableVersion, data_dir, job_root, version_name
from carelake.lake.storage import join, storage_for
from carelake.pipeline.accounting import JOB_RUN, QUARANTINED_RECORD, RunCounts


class SchemaMismatch(ValueError):
    """A frame's columns are not the ones its table declares."""


def conformed(frame: DataFrame, table: Table, partition_columns: Sequence[str]) -> DataFrame:
    """``frame`` with exactly the table's data columns (cast to their types), then ``partition_columns``
    (which include ``table`` when the frame holds rows of several tables)."""
    expected = [*table.columns, *partition_columns]
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing or extra:
        raise SchemaMismatch(
            f"{table.qualified_name}: columns missing {missing}, not declared {extra} "
            "(the registry declares the table; change the declaration or the transform)"
        )
    # A column already of its declared type is taken as it is: each cast of a Python DataType
    # costs pyspark a session lookup in the JVM (about 5 ms), and tables have dozens of columns.
    types = {f.name: f.dataType for f in frame.schema.fields}
    return frame.select(
        *(
            (F.col(f.name) if types[f.name] == f.dataType else F.col(f.name).cast(f.dataType)).alias(f.name)
            for f in table.schema.fields
        ),
        *partition_columns,
    )


def _matches(values: Mapping[str, str]) -> Column:
    condition = F.lit(True)
    for key, value in values.items():
        condition = condition & (F.col(key) == F.lit(value))
    return condition


@dataclass
class RunWriter:
    """One job run's writes and its commit (see the module docstring)."""

    spark: SparkSession
    state: LakeState
    job: str
    run_id: str
    batch: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    inputs: dict[str, int] = field(default_factory=dict)  # upstream job -> commit seq this run consumed
    kind: str = "run"
    catalog_database_prefix: str = ""  # Glue databases <prefix>_<zone> to keep in line (empty: none)

    def __post_init__(self) -> None:
        self.previous: Commit | None = self.state.latest(self.job)
        self.seq = self.previous.seq + 1 if self.previous else 1
        self.version = version_name(self.seq, self.run_id)
        self._written: dict[str, list[PartitionVersion]] = {}
        self._emptied: dict[str, list[str]] = {}  # table -> partition paths that now hold no rows
        self._snapshots: set[str] = set()
        maintenance.remove_orphans(self.state, self.job, keep_version=self.version)
        if self.previous is not None:  # repairs a catalog a run left behind between its commit and its sync
            self._sync_catalog(self.previous)

    # --- writing ---------------------------------------------------------------------------

    def _partitions(
        self, table: Table, constants: Mapping[str, str], expected: Sequence[Mapping[str, str]] | None
    ) -> list[dict[str, str]]:
        keys = [k for k in table.partition_keys if k != "job"]
        if "job" in table.partition_keys and constants.get("job", self.job) != self.job:
            raise ValueError(f"{table.qualified_name}: a job writes only its own job={self.job} partitions")
        derived = [k for k in keys if k not in constants]
        if derived and expected is None:
            raise ValueError(f"{table.qualified_name}: name the expected values of {derived}")
        combos = [dict(e) for e in expected] if derived and expected is not None else [{}]
        return [{k: (constants[k] if k in constants else combo[k]) for k in keys} for combo in combos]

    def write(
        self,
        table: Table,
        frame: DataFrame,
        constants: Mapping[str, str] | None = None,
        expected: Sequence[Mapping[str, str]] | None = None,
    ) -> int:
        """Write a new version of ``table``'s partitions held by ``frame``; returns the rows written.

        ``constants``: partition values the whole frame shares (e.g. ``{"dt": batch}``);
        other partition keys are columns of ``frame`` whose values ``expected`` lists (a
        partition listed but without rows is emptied by the commit).
        """
        return self._write([table], frame, constants or {}, expected)[table.name]

    def write_tables(
        self, tables: Sequence[Table], frame: DataFrame, constants: Mapping[str, str]
    ) -> dict[str, int]:
        """Several tables of one schema in one Spark job: ``frame`` has a ``table`` column."""
        return self._write(tables, frame, constants, None)

    def _write(
        self,
        tables: Sequence[Table],
        frame: DataFrame,
        constants: Mapping[str, str],
        expected: Sequence[Mapping[str, str]] | None,
    ) -> dict[str, int]:
        first = tables[0]
        if any(
            t.zone != first.zone or t.schema != first.schema or t.partition_keys != first.partition_keys
            for t in tables
        ):
            raise ValueError("write_tables: the tables must share zone, schema and partition keys")
        many = len(tables) > 1 or "table" in frame.columns
        partitions = self._partitions(first, constants, expected)
        keys = [k for k in first.partition_keys if k != "job"]
        derived = [k for k in keys if k not in constants]
        out = conformed(frame, first, [*derived, "table"] if many else derived)
        if not many:
            out = out.withColumn("table", F.lit(first.name))
        for key in keys:
            if key in constants:
                out = out.withColumn(key, F.lit(constants[key]))
        out = out.withColumn("v", F.lit(self.version))

        names = [t.name for t in tables]
        metrics = [F.count(F.lit(1)).alias("total")]
        for t_index, name in enumerate(names):
            for p_index, values in enumerate(partitions):
                metrics.append(
                    F.count(F.when((F.col("table") == name) & _matches(values), 1)).alias(
                        f"n_{t_index}_{p_index}"
                    )
                )
        observation = Observation(f"write-{first.zone}-{first.name}-{self.version}")
        zone_uri = self.state.zone_uris[first.zone]
        maintenance.record_pending(
            self.state,
            self.job,
            self.version,
            [
                (first.zone, data_dir(self.job, name, values, self.version))
                for name in names
                for values in partitions
            ],
        )
        observed_out = out.observe(observation, *metrics)
        # Spark drops every cached frame that reads below a write's output path once the write
        # ends (CacheManager.recacheByPath, a prefix match): a write to the job's root folder
        # threw away every cache built on the job's own earlier output (bronze_to_silver's
        # ranked versions, read from its state, were recomputed after each table it wrote).
        # So a write names the narrowest folder it can: the new version folder itself when
        # the frame is one partition of one table, which no reader has seen yet.
        if many:
            observed_out.write.mode("overwrite").partitionBy("table", *keys, "v").parquet(
                job_root(zone_uri, self.job)
            )
        elif derived:
            observed_out.drop("table").write.mode("overwrite").partitionBy(*keys, "v").parquet(
                join(job_root(zone_uri, self.job), f"table={first.name}")
            )
        else:
            (partition,) = partitions
            folder = join(zone_uri, data_dir(self.job, first.name, partition, self.version))
            observed_out.drop("table", *keys, "v").write.mode("overwrite").parquet(folder)
            if observation.get["total"] == 0:  # partitionBy writes no folder for no rows; neither do we
                storage_for(folder).delete_tree(folder)
        observed = observation.get
        counted = sum(observed[f"n_{t}_{p}"] for t in range(len(names)) for p in range(len(partitions)))
        if counted != observed["total"]:
            raise ValueError(
                f"{first.qualified_name}: {observed['total'] - counted} rows fell outside the expected "
                f"tables/partitions {names} x {partitions}"
            )
        rows: dict[str, int] = {}
        for t_index, table in enumerate(tables):
            rows[table.name] = 0
            for p_index, values in enumerate(partitions):
                n = int(observed[f"n_{t_index}_{p_index}"])
                rows[table.name] += n
                self._record(table, values, n)
        return rows

    def _record(self, table: Table, values: dict[str, str], rows: int) -> None:
        name = table.qualified_name
        if "job" in table.partition_keys:
            values = {"job": self.job, **values}
        path_values = {k: v for k, v in values.items() if k != "job"}
        if not table.partition_keys:
            self._snapshots.add(name)
        if rows == 0:
            self._emptied.setdefault(name, []).append("/".join(f"{k}={v}" for k, v in values.items()))
            self._written.setdefault(name, [])
            return
        self._written.setdefault(name, []).append(
            PartitionVersion(
                values, data_dir(self.job, table.name, path_values, self.version), rows, self.seq, self.batch
            )
        )

    def carry(self, version: TableVersion) -> None:
        """Make ``version`` (folders an earlier commit wrote) this run's version of its table,
        without writing anything: a table this run did not need to change."""
        table = version.table
        if table.partition_keys:
            raise ValueError(f"{table.qualified_name}: only an unpartitioned table is carried whole")
        self._snapshots.add(table.qualified_name)
        self._written[table.qualified_name] = [p for job, p in version.partitions if job == self.job]

    def written_version(self, table: Table) -> TableVersion:
        """What this run wrote of ``table`` (not committed yet): to read back before the commit."""
        parts = tuple((self.job, p) for p in self._written.get(table.qualified_name, ()))
        return TableVersion(table, self.state.zone_uris[table.zone], parts)

    def write_quarantine(self, frame: DataFrame, targets: Sequence[str]) -> dict[str, int]:
        """The run's quarantined records (partition job, dt=batch); counts per target table.

        ``targets``: the target_table values the records may carry (others count as "").
        """
        observation = Observation(f"quarantine-{self.version}")
        metrics = [F.count(F.lit(1)).alias("total")]
        metrics += [
            F.count(F.when(F.col("target_table") == t, 1)).alias(f"t{i}") for i, t in enumerate(targets)
        ]
        rows = self.write(QUARANTINED_RECORD, frame.observe(observation, *metrics), {"dt": self.batch})
        observed = observation.get
        counts = {t: int(observed[f"t{i}"]) for i, t in enumerate(targets)}
        other = rows - sum(counts.values())
        if other:
            counts[""] = other
        return {k: v for k, v in counts.items() if v}

    # --- committing ------------------------------------------------------------------------

    def _run_record(self, counts: RunCounts, finished_at: datetime) -> DataFrame:
        def map_literal(values: Mapping[str, int]) -> Column:
            pairs = [F.lit(x) for key, value in sorted(values.items()) for x in (key, value)]
            return F.create_map(*pairs).cast("map<string,bigint>")

        values = {
            "run_id": F.lit(self.run_id),
            "commit_seq": F.lit(self.seq),
            "started_at": F.lit(self.started_at),
            "finished_at": F.lit(finished_at),
            "rows_read": F.lit(counts.rows_read),
            "rows_written": F.lit(counts.rows_written),
            "rows_quarantined": F.lit(counts.rows_quarantined),
            "rows_deduplicated": F.lit(counts.rows_deduplicated),
            "rows_written_by_table": map_literal(counts.written),
            "rows_quarantined_by_table": map_literal(counts.quarantined),
            "rows_deduplicated_by_table": map_literal(counts.deduplicated),
            "metrics": map_literal(counts.metrics),
        }
        record = self.spark.range(1).select(
            *(values[f.name].cast(f.dataType).alias(f.name) for f in JOB_RUN.schema.fields)
        )
        # Earlier runs of the same batch keep their records: the partition's new version holds them all.
        earlier = read_version(self.spark, self.state.version(JOB_RUN)).where(
            (F.col("job") == self.job) & (F.col("dt") == self.batch)
        )
        return earlier.select(*JOB_RUN.columns).unionByName(record).coalesce(1)

    def commit(self, counts: RunCounts, note: str = "") -> Commit:
        """Check the counts, write the run record, publish the commit; returns it."""
        counts.check(self.job)
        finished_at = datetime.now(UTC)
        self.write(JOB_RUN, self._run_record(counts, finished_at), {"dt": self.batch})
        previous_tables = self.previous.tables if self.previous else {}
        carried = {
            name: tuple(p for p in parts if p.path not in set(self._emptied.get(name, ())))
            for name, parts in previous_tables.items()
        }
        commit = Commit(
            job=self.job,
            seq=self.seq,
            run_id=self.run_id,
            batch=self.batch,
            committed_at=now_utc(),
            tables=merged_tables(carried, self._written, replaced=self._snapshots),
            inputs=dict(self.inputs),
            kind=self.kind,
            note=note,
            high_batch=max(self.batch, self.previous.high_batch) if self.previous else self.batch,
        )
        self.state.log(self.job).append(commit)
        self.state.forget(self.job)
        self._sync_catalog(commit)
        self._report(counts, finished_at)
        maintenance.after_commit(self.state, self.job, self.version)
        return commit

    def _sync_catalog(self, commit: Commit) -> None:
        if self.catalog_database_prefix:
            glue_catalog.sync(self.state, self.job, commit, self.catalog_database_prefix)

    def _quarantined_by_reason(self) -> dict[str, int]:
        """This run's quarantined records counted by reason, every quoted value masked (carelake.health)."""
        if not self._written.get(QUARANTINED_RECORD.qualified_name):
            return {}
        rows = (
            read_version(self.spark, self.written_version(QUARANTINED_RECORD))
            .where((F.col("job") == self.job) & (F.col("dt") == self.batch))
            .groupBy(F.regexp_replace("reason", health.QUOTED, health.MASK).alias("reason"))
            .count()
            .collect()
        )
        return {row["reason"]: int(row["count"]) for row in rows}

    def _report(self, counts: RunCounts, finished_at: datetime) -> None:
        """The run report the pipeline-health check reads (carelake.health, docs/data-contracts.md)."""
        report = health.run_report(
            self.job, self.run_id, self.batch, self.started_at, finished_at, counts,
            self._quarantined_by_reason(), self.seq,
        )  # fmt: skip
        uri = join(
            self.state.zone_uris["quarantine"], *health.run_report_path(self.job, self.batch, self.run_id)
        )
        storage_for(uri).write_bytes(
            uri, (json.dumps(report, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
        )
