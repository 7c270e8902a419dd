"""The commit log, version folders and their upkeep, without Spark: publish Arrow tables as
commits (the same files and commits a job writes), then read, expire, clean and roll back."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pyarrow as pa
import pytest
from moto import mock_aws

from carelake.declarations import Table, schema
from carelake.lake import maintenance
from carelake.lake.commits import Commit, CommitLog, ConcurrentCommit, PartitionVersion, merged_tables
from carelake.lake.publish import publish
from carelake.lake.state import LakeState
from carelake.lake.storage import AlreadyExists, S3Storage, storage_for
from carelake.query import LocalQueryEngine

SNAPSHOT = Table("gold", "t_snapshot", "a snapshot table", schema("n int"))
DAILY = Table("bronze", "t_daily", "a partitioned table", schema("n int"), partition_keys=("dt",))
WRITERS = {SNAPSHOT.qualified_name: ("job_a",), DAILY.qualified_name: ("job_a",)}


def state(lake: Path) -> LakeState:
    return LakeState({z: str(lake / z) for z in ("raw", "bronze", "silver", "gold", "quarantine")}, WRITERS)


def rows(lake: Path, table: Table) -> list[tuple]:
    views = lake.parent / "views"
    views.mkdir(exist_ok=True)
    with LocalQueryEngine(lake, views, tables=[SNAPSHOT, DAILY], writers=WRITERS) as engine:
        return sorted(
            tuple(r) for r in engine.query(f"select * from {table.qualified_name}").itertuples(index=False)
        )


def daily(*pairs: tuple[int, str]) -> pa.Table:
    return pa.table({"n": pa.array([n for n, _ in pairs], pa.int32()), "dt": [dt for _, dt in pairs]})


def test_commits_replace_snapshots_and_add_partitions(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    publish(
        lake,
        "job_a",
        {SNAPSHOT: pa.table({"n": pa.array([1, 2], pa.int32())}), DAILY: daily((1, "d1"))},
        batch="d1",
    )
    publish(
        lake,
        "job_a",
        {SNAPSHOT: pa.table({"n": pa.array([3], pa.int32())}), DAILY: daily((2, "d2"), (3, "d2"))},
        batch="d2",
    )
    assert rows(lake, SNAPSHOT) == [(3,)]
    assert rows(lake, DAILY) == [(1, "d1"), (2, "d2"), (3, "d2")]
    latest = state(lake).latest("job_a")
    assert (latest.seq, latest.batch, latest.high_batch) == (2, "d2", "d2")
    assert [p.seq for p in latest.partitions(DAILY.qualified_name)] == [1, 2]
    since_first = state(lake).version(DAILY).changed_after({"job_a": 1})
    assert [p.values for _, p in since_first.partitions] == [{"dt": "d2"}]


def test_a_commit_number_is_taken_once(tmp_path: Path) -> None:
    log = CommitLog(str(tmp_path), "job_a")
    first = Commit("job_a", 1, "r1", "d1", "2026-01-01T00:00:00Z", {})
    log.append(first)
    with pytest.raises(ConcurrentCommit, match="another run of job_a committed first"):
        log.append(Commit("job_a", 1, "r2", "d1", "2026-01-01T00:00:01Z", {}))
    assert log.read(1).run_id == "r1"


def test_merged_tables() -> None:
    old = {
        "t": (PartitionVersion({"dt": "1"}, "a", 1, 1, "1"), PartitionVersion({"dt": "2"}, "b", 1, 1, "1"))
    }
    new = {"t": [PartitionVersion({"dt": "2"}, "c", 2, 2, "2")], "s": [PartitionVersion({}, "x", 5, 2, "2")]}
    merged = merged_tables(old, new, replaced=["s"])
    assert [p.dir for p in merged["t"]] == ["a", "c"] and [p.dir for p in merged["s"]] == ["x"]


def test_orphans_of_a_killed_run_are_removed_by_the_next(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    publish(lake, "job_a", {SNAPSHOT: pa.table({"n": pa.array([1], pa.int32())})})
    lake_state = state(lake)
    # What a run killed mid-write leaves: its pending list, a half-written folder, Spark staging.
    orphan = "job=job_a/table=t_snapshot/v=0000002-deadbeef"
    maintenance.record_pending(lake_state, "job_a", "0000002-deadbeef", [("gold", orphan)])
    (lake / "gold" / orphan).mkdir(parents=True)
    (lake / "gold" / orphan / "part-0.parquet").write_bytes(b"half")
    (lake / "gold" / "job=job_a" / ".spark-staging-123").mkdir(parents=True)
    (lake / "gold" / "job=job_a" / "table=t_snapshot" / ".spark-staging-456").mkdir(parents=True)
    assert rows(lake, SNAPSHOT) == [(1,)]  # readers never see them
    deleted = maintenance.remove_orphans(lake_state, "job_a", keep_version="0000003-cafecafe")
    assert sorted(Path(d).name for d in deleted) == [
        ".spark-staging-123",
        ".spark-staging-456",
        "v=0000002-deadbeef",
    ]
    assert not (lake / "gold" / orphan).exists()
    assert not list((lake / "quarantine" / "_commits" / "job_a").glob("pending-*"))
    assert rows(lake, SNAPSHOT) == [(1,)]


def test_expiry_keeps_the_rollback_window_and_rollback_makes_an_old_version_current(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CARELAKE_RETAINED_COMMITS", "3")
    lake = tmp_path / "lake"
    lake.mkdir()
    for n in range(1, 6):
        publish(lake, "job_a", {SNAPSHOT: pa.table({"n": pa.array([n], pa.int32())})}, batch=f"d{n}")
        maintenance.after_commit(state(lake), "job_a", "unused")
    log = state(lake).log("job_a")
    assert log.sequence_numbers() == [3, 4, 5]
    folders = sorted(p.name for p in (lake / "gold" / "job=job_a" / "table=t_snapshot").iterdir())
    assert [f.split("-")[0] for f in folders] == ["v=0000003", "v=0000004", "v=0000005"]
    with pytest.raises(ValueError, match="commit 2 is not retained"):
        maintenance.rollback(state(lake), "job_a", 2)
    back = maintenance.rollback(state(lake), "job_a", 4)
    assert (back.seq, back.kind, back.batch, back.high_batch) == (6, "rollback", "d4", "d5")
    assert rows(lake, SNAPSHOT) == [(4,)]


def test_local_exclusive_write(tmp_path: Path) -> None:
    uri = str(tmp_path / "a" / "commit.json")
    storage = storage_for(uri)
    storage.write_bytes(uri, b"one", exclusive=True)
    with pytest.raises(AlreadyExists):
        storage.write_bytes(uri, b"two", exclusive=True)
    assert storage.read_bytes(uri) == b"one"
    assert [o.key for o in storage.list(str(tmp_path))] == ["a/commit.json"]


def test_s3_storage_lists_writes_exclusively_and_deletes() -> None:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="lake")
        storage = S3Storage(client)
        storage.write_bytes(
            "s3://lake/q/_commits/j/0000000001.json", json.dumps({"a": 1}).encode(), exclusive=True
        )
        with pytest.raises(AlreadyExists):
            storage.write_bytes("s3://lake/q/_commits/j/0000000001.json", b"{}", exclusive=True)
        storage.write_bytes("s3://lake/bronze/job=j/table=t/dt=1/v=1/part-0.parquet", b"x")
        listed = storage.list("s3://lake/bronze")
        assert [o.key for o in listed] == ["job=j/table=t/dt=1/v=1/part-0.parquet"]
        assert storage.checksum(listed[0]).startswith("etag:")
        assert storage.child_dirs("s3://lake/bronze/job=j") == ["table=t"]
        storage.delete_tree("s3://lake/bronze/job=j")
        assert storage.list("s3://lake/bronze") == []
        assert json.loads(storage.read_bytes("s3://lake/q/_commits/j/0000000001.json")) == {"a": 1}
