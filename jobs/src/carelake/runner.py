"""The local runner: the manifest's jobs, in workflow order, over a local lake.

Each job's entry point is the same ``main(argv)`` Glue runs; the runner builds its
arguments from the manifest (``<zone>_uri`` from the lake, ``dt`` from the run, other
arguments from the manifest's defaults or the caller).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from carelake.config import Lake, resolve_dt
from carelake.manifest import Job, Manifest, load_manifest
from carelake.pipeline.accounting import RunCounts


@dataclass(frozen=True)
class JobResult:
    job: str
    counts: RunCounts
    seconds: float


def job_argv(job: Job, lake: Lake, dt: str, overrides: Mapping[str, str] | None = None) -> list[str]:
    """The ``--name value`` arguments for one job on this lake."""
    values: dict[str, str] = {**lake.zone_uris(), "dt": dt, **job.default_arguments, **(overrides or {})}
    missing = [name for name in job.arguments if name not in values]
    if missing:
        raise ValueError(f"job {job.name}: no value for arguments {missing}")
    argv: list[str] = []
    for name in job.arguments:
        argv += [f"--{name}", values[name]]
    return argv


def run_jobs(
    lake: Lake,
    dt: str = "today",
    only: Sequence[str] | None = None,
    overrides: Mapping[str, str] | None = None,
    manifest: Manifest | None = None,
    on_done: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Run the manifest's jobs (or ``only`` those) in workflow order; stop at the first failure."""
    manifest = manifest or load_manifest()
    dt = resolve_dt(dt)
    unknown = set(only or ()) - set(manifest.jobs)
    if unknown:
        raise ValueError(f"unknown jobs {sorted(unknown)}; the manifest has {sorted(manifest.jobs)}")
    results: list[JobResult] = []
    for job in manifest.ordered():
        if only and job.name not in only:
            continue
        entry = importlib.import_module(job.entry_point)
        started = time.perf_counter()
        counts = entry.main(job_argv(job, lake, dt, overrides))
        release_cached_data()
        result = JobResult(job.name, counts, time.perf_counter() - started)
        results.append(result)
        if on_done:
            on_done(result)
    return results


def release_cached_data() -> None:
    """Drop what the finished job persisted. On Glue each job is its own process; locally the
    jobs share one SparkSession, whose heap otherwise fills with earlier jobs' cached frames."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.catalog.clearCache()
