"""A job run's context: its arguments, SparkSession, batch and view of the lake's commits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pyspark.sql import SparkSession

from carelake.config import ZONES, resolve_dt
from carelake.lake.commits import Commit
from carelake.lake.state import LakeState
from carelake.manifest import load_manifest
from carelake.pipeline.writer import RunWriter
from carelake.runtime import JobRun, start_job


class OlderBatch(RuntimeError):
    """A merging job was asked to rerun a batch that later batches built on."""


@dataclass
class JobContext:
    run: JobRun
    state: LakeState
    batch: str  # the run's dt: the batch date its outputs are filed under

    @property
    def spark(self) -> SparkSession:
        return self.run.spark

    @property
    def args(self) -> dict[str, str]:
        return self.run.args

    @property
    def rebuild(self) -> bool:
        """``--rebuild true``: build from scratch (an empty state, all of the input), not on the last batch."""
        value = self.args.get("rebuild", "false").strip().lower()
        if value not in ("true", "false"):
            raise ValueError(f"--rebuild must be true or false, got {value!r}")
        return value == "true"

    def base_commit(self) -> Commit | None:
        """What a job that merges into its tables builds this batch on: its latest commit of an
        earlier batch (None before the first). A rerun of the latest batch builds on the same
        base, so it gives the same tables; a batch older than the latest cannot be rerun
        (later merges already hold it): rebuild instead (docs/runbook.md)."""
        job = self.run.name
        latest = self.state.latest(job)
        if latest is None or latest.high_batch < self.batch:
            return latest
        if self.batch < latest.high_batch:
            raise OlderBatch(
                f"{job}: batch {self.batch} is older than the latest committed batch {latest.high_batch}; "
                "later batches were merged on top of it. Run `carelake run --rebuild` to recompute from scratch."
            )
        log = self.state.log(job)
        numbers = log.sequence_numbers()
        for seq in reversed(numbers):
            commit = log.read(seq)
            if commit.batch < self.batch:
                return commit
        if numbers and numbers[0] != 1:
            raise OlderBatch(
                f"{job}: the commit batch {self.batch} was built on has expired (retained commits "
                f"{numbers[0]}-{numbers[-1]}); run `carelake run --rebuild`."
            )
        return None

    def writer(self, inputs: Mapping[str, int] | None = None, kind: str = "run") -> RunWriter:
        return RunWriter(
            self.spark, self.state, self.run.name, self.run.run_id, self.batch, self.run.started_at, dict(inputs or {}),
            kind=kind, catalog_database_prefix=self.args.get("catalog_database_prefix", ""),
        )  # fmt: skip


def lake_state(args: Mapping[str, str]) -> LakeState:
    """The lake as the job's ``<zone>_uri`` arguments place it, writers from the manifest."""
    zone_uris = {zone: args[f"{zone}_uri"] for zone in ZONES if f"{zone}_uri" in args}
    return LakeState(zone_uris, load_manifest().writers())


def start(name: str, argv: Sequence[str] | None = None) -> JobContext:
    """Start job ``name`` with the arguments the manifest declares for it."""
    run = start_job(name, load_manifest().jobs[name].arguments, argv)
    return JobContext(run, lake_state(run.args), resolve_dt(run.args["dt"]))
