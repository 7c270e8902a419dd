"""Keeping a job's part of the lake clean: orphans of killed runs, expired versions, rollback.

- Before a run writes a folder it adds it to its *pending* file
  (``_commits/<job>/pending-<version>.json``), a write-ahead list. A run that dies before its
  commit leaves that file; the next run of the job deletes every folder it lists (unless a
  commit references it), Spark's staging folders below the job's ``job=`` folders, and the
  pending file. No listing of the data is needed, however large the lake grows.
- After a commit, commits beyond the newest ``retained_commits()`` are expired: a folder
  that only expired commits reference is deleted, then the commit file. The retained
  commits are the rollback window.
- ``rollback`` publishes a new commit whose tables are those of an earlier, retained commit
  (all of the job's tables, or one).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable

from carelake.lake.commits import COMMITS_DIR, Commit, merged_tables, now_utc
from carelake.lake.state import LakeState, job_root
from carelake.lake.storage import join, storage_for

DEFAULT_RETAINED_COMMITS = 14
_PENDING = re.compile(r"^pending-(?P<version>[0-9]{7}-[0-9a-f]{1,8})\.json$")


def retained_commits() -> int:
    """How many commits per job stay readable for rollback (CARELAKE_RETAINED_COMMITS, default 14)."""
    return max(2, int(os.environ.get("CARELAKE_RETAINED_COMMITS", DEFAULT_RETAINED_COMMITS)))


def _log_uri(state: LakeState, job: str) -> str:
    return join(state.zone_uris["quarantine"], COMMITS_DIR, job)


def _pending_uri(state: LakeState, job: str, version: str) -> str:
    return join(_log_uri(state, job), f"pending-{version}.json")


def record_pending(state: LakeState, job: str, version: str, folders: Iterable[tuple[str, str]]) -> None:
    """Add (zone, folder) pairs to the run's write-ahead list before writing them."""
    uri = _pending_uri(state, job, version)
    storage = storage_for(uri)
    known: list[list[str]] = json.loads(storage.read_bytes(uri)) if storage.exists(uri) else []
    for zone, folder in folders:
        if [zone, folder] not in known:
            known.append([zone, folder])
    storage.write_bytes(uri, json.dumps(known).encode("utf-8"))


def _referenced(commits: Iterable[Commit], state: LakeState) -> set[tuple[str, str]]:
    found = set()
    for commit in commits:
        for name, parts in commit.tables.items():
            zone = name.split(".", 1)[0]
            found.update((zone, p.dir) for p in parts)
    return found


def _zones_of(state: LakeState, job: str) -> set[str]:
    return {name.split(".", 1)[0] for name, jobs in state.writers.items() if job in jobs}


def remove_orphans(state: LakeState, job: str, keep_version: str) -> list[str]:
    """Delete what earlier, uncommitted runs of ``job`` left behind; returns the folders deleted."""
    log_uri = _log_uri(state, job)
    storage = storage_for(log_uri)
    latest = state.latest(job)
    referenced = _referenced([latest] if latest else [], state)
    deleted: list[str] = []
    for obj in storage.list(log_uri):
        match = _PENDING.match(obj.key)
        if not match or match["version"] == keep_version:
            continue
        for zone, folder in json.loads(storage.read_bytes(obj.uri)):
            if (zone, folder) not in referenced:
                uri = join(state.zone_uris[zone], folder)
                storage_for(uri).delete_tree(uri)
                deleted.append(uri)
        storage.delete(obj.uri)
    for zone in _zones_of(state, job):
        root = job_root(state.zone_uris[zone], job)
        zone_storage = storage_for(root)
        # Spark's staging folders, from a run that died mid-write: in the job's folder (a write
        # of several tables) or in a table's folder (one table's partitions: RunWriter._write).
        tables = [join(root, name) for name in zone_storage.child_dirs(root) if name.startswith("table=")]
        for parent in (root, *tables):
            for name in zone_storage.child_dirs(parent):
                if name.startswith((".spark-staging", "_temporary")):
                    zone_storage.delete_tree(join(parent, name))
                    deleted.append(join(parent, name))
    return deleted


def after_commit(state: LakeState, job: str, version: str) -> list[str]:
    """Drop the run's pending file, expire commits beyond the retention; returns folders deleted."""
    pending = _pending_uri(state, job, version)
    storage_for(pending).delete(pending)
    log = state.log(job)
    numbers = log.sequence_numbers()
    keep = numbers[-retained_commits() :]
    expired = [n for n in numbers if n not in keep]
    if not expired:
        return []
    retained = _referenced((log.read(n) for n in keep), state)
    deleted: list[str] = []
    for seq in expired:
        for zone, folder in sorted(_referenced([log.read(seq)], state) - retained):
            uri = join(state.zone_uris[zone], folder)
            storage_for(uri).delete_tree(uri)
            deleted.append(uri)
        log.delete(seq)
    return deleted


def rollback(state: LakeState, job: str, to_seq: int, table: str | None = None) -> Commit:
    """Publish a new commit of ``job`` whose tables (or only ``table``) are those of commit ``to_seq``."""
    log = state.log(job)
    numbers = log.sequence_numbers()
    if to_seq not in numbers:
        raise ValueError(
            f"{job}: commit {to_seq} is not retained (retained: {numbers[0] if numbers else '-'}..."
            f"{numbers[-1] if numbers else '-'}); older versions have been expired"
        )
    latest, target = log.read(numbers[-1]), log.read(to_seq)
    if table is None:
        tables = target.tables
    else:
        if table not in latest.tables and table not in target.tables:
            raise ValueError(f"{job} does not write {table}")
        tables = merged_tables(latest.tables, {table: target.partitions(table)}, replaced=[table])
    commit = Commit(
        job=job,
        seq=latest.seq + 1,
        run_id=uuid.uuid4().hex,
        batch=target.batch if table is None else latest.batch,
        committed_at=now_utc(),
        tables=dict(tables),
        inputs=dict(target.inputs if table is None else latest.inputs),
        kind="rollback",
        note=f"rollback of {table or 'every table'} to commit {to_seq}",
        high_batch=latest.high_batch,
    )
    log.append(commit)
    state.forget(job)
    return commit  # downstream jobs merged the newer rows: rebuild them (docs/runbook.md)
