"""SIGKILL of any job at several moments, a reader in between, then a rerun.

A small lake gets batch 1 through the whole pipeline; batch 2 lands (new FHIR, CSV,
outreach, claims and a new treatments export). A reference copy runs batch 2 uninterrupted.
Then for each job, a copy of the lake as it was before that job's batch-2 run starts the job
in its own process and kills it (SIGKILL: no cleanup code runs) at each moment in turn, each
start finding what the previous kill left:

- ``writing``: the run has announced its first version folder (its pending file exists);
- ``spark-staging``: Spark is in the middle of writing files (a ``.spark-staging-*`` folder
  in the job's or a table's folder, or a ``_temporary`` folder in a version folder: where
  carelake.pipeline.writer's three kinds of write stage their files);
- ``committed``: the run's commit file exists (killed before its cleanup and reports).

Between the kill and the rerun a reader opens the lake: every table the job writes must be
readable and hold exactly what it held before (or, after ``committed``, what the
uninterrupted run wrote): never empty, never partial. One rerun must then give tables
equal, row for row, to the uninterrupted run's, and leave no orphan folder behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from carelake.config import Lake
from carelake.generate import generate_population
from carelake.landing import land_generated
from carelake.manifest import load_manifest
from carelake.query import LocalQueryEngine
from carelake.runner import run_jobs
from tests.paths import FHIR_FIXTURE, REPO

pytestmark = [pytest.mark.spark, pytest.mark.integration]

BATCH_1, BATCH_2 = "2026-06-29", "2026-06-30"
MOMENTS = ("writing", "spark-staging", "committed")
VOLATILE = {"job_run"}  # run ids and times differ by nature
TIMEOUT_SECONDS = 240


def outputs(job: str) -> list[str]:
    spec = load_manifest().jobs[job]
    return [
        f"{zone}.{table}"
        for zone, tables in spec.outputs.items()
        for table in tables
        if table not in VOLATILE
    ]


def snapshot(lake: Path, job: str) -> dict[str, pd.DataFrame]:
    """Every row of each table ``job`` writes (of a table several jobs write, its own rows), sorted
    on all columns; the run id and time dq_summary reports differ run to run by nature."""
    views = lake.parent / "no-views"
    views.mkdir(exist_ok=True)
    with LocalQueryEngine(lake, views) as engine:
        frames = {}
        for table in outputs(job):
            own = f" where job = '{job}'" if table.startswith("quarantine.") else ""
            frame = engine.query(f"select * from {table}{own}").drop(
                columns=["last_run_id", "last_run_at"], errors="ignore"
            )
            frame = frame.astype(str)
            frames[table] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
        return frames


def assert_same_tables(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(actual[table], frame, obj=table)


@pytest.fixture(scope="module")
def lakes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One lake per job as it is just before that job's batch-2 run (batch 1 done, batch 2 landed,
    the upstream jobs' batch-2 runs done), and 'reference': batch 2 run uninterrupted."""
    root = tmp_path_factory.mktemp("kill")
    landing = root / "landing"
    generate_population(landing, patients=6, seed=11)
    lake = Lake(root / "before")
    land_generated(landing, lake, BATCH_1, "generated", ("bundles",))
    run_jobs(lake, BATCH_1)
    # Batch 2: more data landing in several sources (and in an already processed dt folder).
    second = root / "landing2"
    generate_population(second, patients=4, seed=12)
    land_generated(second, lake, BATCH_2, "second", ("bundles",))
    fixture = lake.zone("raw") / "ehr/fhir" / f"dt={BATCH_1}" / "late" / FHIR_FIXTURE.name
    fixture.parent.mkdir(parents=True)
    shutil.copy(FHIR_FIXTURE, fixture)

    # Batch 2 uninterrupted, one job at a time, keeping a copy of the lake before each job.
    lakes = {}
    for job in load_manifest().ordered():
        copy = root / f"before-{job.name}"
        shutil.copytree(lake.root, copy)
        lakes[job.name] = copy
        run_jobs(lake, BATCH_2, only=[job.name])
    lakes["reference"] = lake.root
    return lakes


def _found(root: Path, pattern: str) -> bool:
    return any(root.glob(pattern))


def commits(lake: Path, job: str) -> int:
    return len(list((lake / "quarantine" / "_commits" / job).glob("0*.json")))


def condition(lake: Path, job: str, moment: str) -> Callable[[], bool]:
    commit_log = lake / "quarantine" / "_commits" / job
    committed = commits(lake, job)
    return {
        "writing": lambda: _found(commit_log, "pending-*.json"),
        "spark-staging": lambda: any(
            _found(lake, pattern)
            for pattern in (
                f"*/job={job}/.spark-staging-*",
                f"*/job={job}/table=*/.spark-staging-*",
                f"*/job={job}/table=*/**/v=*/_temporary",
            )
        ),
        "committed": lambda: commits(lake, job) > committed,
    }[moment]


def kill_when(lake: Path, job: str, moment: str) -> bool:
    """Run ``job`` for batch 2 in its own process; SIGKILL it when ``moment`` is reached.
    Returns False when the run finished before the moment was seen."""
    reached = condition(lake, job, moment)
    command = [
        sys.executable,
        "-m",
        "tests.support.small_data",  # the carelake command on the suite's small-data session
        "run",
        "--lake",
        str(lake),
        "--dt",
        BATCH_2,
        "--job",
        job,
    ]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while time.monotonic() < deadline:
            if reached():
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                return True
            if process.poll() is not None:
                return False
            time.sleep(0.02)
        raise AssertionError(f"{job} neither reached {moment} nor finished in {TIMEOUT_SECONDS} s")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.mark.parametrize("job", [j.name for j in load_manifest().ordered()])
def test_kills_at_every_moment_then_rerun_equals_the_uninterrupted_run(
    lakes: dict[str, Path], job: str, tmp_path: Path
) -> None:
    """The job is killed at each moment in turn on the same lake (each start finds what the
    previous kill left), a reader looks after each kill, then one rerun must give the tables of
    the uninterrupted run: one lake copy and one in-process run per job, not per moment."""
    lake = tmp_path / "lake"
    shutil.copytree(lakes[job], lake)
    before = snapshot(lake, job)
    expected = snapshot(lakes["reference"], job)

    for moment in MOMENTS:
        killed = kill_when(lake, job, moment)
        if killed:
            between = snapshot(lake, job)  # the reader: every table readable, none partial
            assert_same_tables(between, expected if moment == "committed" else before)
        if not killed or moment == "committed":
            break  # the run finished or committed: later moments would start from its output

    run_jobs(Lake(lake), BATCH_2, only=[job])
    assert_same_tables(snapshot(lake, job), expected)
    assert not list(lake.glob(f"*/job={job}/.spark-staging-*"))
    assert not list(lake.glob(f"*/job={job}/table=*/.spark-staging-*"))
    assert not list((lake / "quarantine" / "_commits" / job).glob("pending-*.json"))
    # No version folder is left that no retained commit lists (the killed runs' are gone).
    assert orphan_folders(lake) == []


def orphan_folders(lake: Path) -> list[str]:
    import json

    listed = set()
    for commit_file in (lake / "quarantine" / "_commits").glob("*/0*.json"):
        for name, parts in json.loads(commit_file.read_text())["tables"].items():
            zone = name.split(".")[0]
            listed.update(f"{zone}/{p['dir']}" for p in parts)
    on_disk = {str(p.relative_to(lake)) for p in lake.glob("*/job=*/table=*/**/v=*") if p.is_dir()}
    return sorted(on_disk - listed)
