"""The commit log: what each job's tables hold now, changed in one atomic step per run.

Every table version is an immutable folder of Parquet files (``v-<seq>-<run>`` under the
table, or under one of its partitions). A job run writes its new folders, then one
*commit*: the JSON file ``_commits/<job>/<seq>.json`` in the quarantine zone, listing for
every table the job writes which folder holds each of its partitions now, plus the
run's batch and the upstream commits it consumed. The file is created exclusively with
the next sequence number, so the commit is one atomic create: before it, readers see the
previous commit's folders; after it, the new ones. Nothing is ever overwritten in place,
so no reader sees an empty, partial or mixed table, and a crash before the commit leaves
only orphan folders, which the next run removes (carelake.lake.maintenance).

A table is written by one job (its partitions are that job's), except the operational
tables in the quarantine zone (quarantined_record, job_run, raw_object), where each job
owns the partitions with ``job=<its name>``. A reader unions its owners' latest commits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from carelake.lake.storage import AlreadyExists, join, storage_for

COMMITS_DIR = "_commits"
COMMIT_FORMAT = 1
_COMMIT_NAME = re.compile(r"^(\d{10})\.json$")


class ConcurrentCommit(RuntimeError):
    """Another run of the same job committed the sequence number this run meant to take."""


@dataclass(frozen=True)
class PartitionVersion:
    """One partition of a table (``values`` empty for an unpartitioned table) and its folder."""

    values: dict[str, str]
    dir: str  # relative to the table's root folder
    rows: int
    seq: int  # the commit that wrote this folder
    batch: str

    @property
    def path(self) -> str:
        """``k1=v1/k2=v2`` (empty for an unpartitioned table)."""
        return "/".join(f"{k}={v}" for k, v in self.values.items())


@dataclass(frozen=True)
class Commit:
    job: str
    seq: int
    run_id: str
    batch: str
    committed_at: str
    tables: dict[str, tuple[PartitionVersion, ...]]  # "zone.table" -> partitions
    inputs: dict[str, int] = field(default_factory=dict)  # upstream job -> commit seq consumed
    kind: str = "run"  # run | rollback | rebuild | publish
    note: str = ""
    high_batch: str = ""  # the latest batch any commit of the job so far was for (a rerun may be older)

    def __post_init__(self) -> None:
        if not self.high_batch or self.high_batch < self.batch:
            object.__setattr__(self, "high_batch", self.batch)

    def to_json(self) -> str:
        document = {
            "format": COMMIT_FORMAT,
            "job": self.job,
            "seq": self.seq,
            "run_id": self.run_id,
            "batch": self.batch,
            "high_batch": self.high_batch,
            "committed_at": self.committed_at,
            "kind": self.kind,
            "note": self.note,
            "inputs": dict(sorted(self.inputs.items())),
            "tables": {
                name: [asdict(p) for p in sorted(parts, key=lambda p: p.path)]
                for name, parts in sorted(self.tables.items())
            },
        }
        return json.dumps(document, indent=1, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Commit:
        document = json.loads(text)
        if document.get("format") != COMMIT_FORMAT:
            raise ValueError(f"unknown commit format {document.get('format')!r}")
        return cls(
            job=document["job"],
            seq=int(document["seq"]),
            run_id=document["run_id"],
            batch=document["batch"],
            high_batch=document.get("high_batch", document["batch"]),
            committed_at=document["committed_at"],
            kind=document.get("kind", "run"),
            note=document.get("note", ""),
            inputs={k: int(v) for k, v in document.get("inputs", {}).items()},
            tables={
                name: tuple(PartitionVersion(**p) for p in parts) for name, parts in document["tables"].items()
            },
        )

    def partitions(self, table: str) -> tuple[PartitionVersion, ...]:
        return self.tables.get(table, ())


def now_utc() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class CommitLog:
    """The commits of one job, under ``<quarantine_uri>/_commits/<job>/``."""

    def __init__(self, quarantine_uri: str, job: str) -> None:
        self.job = job
        self.uri = join(quarantine_uri, COMMITS_DIR, job)
        self.storage = storage_for(self.uri)

    def _commit_uri(self, seq: int) -> str:
        return join(self.uri, f"{seq:010d}.json")

    def sequence_numbers(self) -> list[int]:
        numbers = []
        for obj in self.storage.list(self.uri):
            match = _COMMIT_NAME.match(obj.key)
            if match:
                numbers.append(int(match.group(1)))
        return sorted(numbers)

    def read(self, seq: int) -> Commit:
        return Commit.from_json(self.storage.read_bytes(self._commit_uri(seq)).decode("utf-8"))

    def latest(self) -> Commit | None:
        numbers = self.sequence_numbers()
        return self.read(numbers[-1]) if numbers else None

    def history(self) -> list[Commit]:
        return [self.read(seq) for seq in self.sequence_numbers()]

    def append(self, commit: Commit) -> None:
        """Publish ``commit`` (its seq must be the next number): the one atomic step of a run."""
        try:
            self.storage.write_bytes(self._commit_uri(commit.seq), commit.to_json().encode("utf-8"), exclusive=True)
        except AlreadyExists:
            raise ConcurrentCommit(
                f"{self.job}: commit {commit.seq} already exists; another run of {self.job} committed first. "
                "Run the job again: it will build on that commit."
            ) from None

    def delete(self, seq: int) -> None:
        self.storage.delete(self._commit_uri(seq))


def merged_tables(
    previous: Mapping[str, Iterable[PartitionVersion]] | None,
    written: Mapping[str, Iterable[PartitionVersion]],
    replaced: Iterable[str] = (),
) -> dict[str, tuple[PartitionVersion, ...]]:
    """The job's tables after a run: the previous commit's partitions, with each partition
    the run wrote replacing the one of the same values; tables in ``replaced`` keep only
    what the run wrote (a snapshot table, or a table rebuilt from scratch)."""
    replaced = set(replaced)
    out: dict[str, dict[str, PartitionVersion]] = {}
    for name, parts in (previous or {}).items():
        if name not in replaced:
            out[name] = {p.path: p for p in parts}
    for name, parts in written.items():
        table = out.setdefault(name, {})
        for part in parts:
            table[part.path] = part
    for name in replaced:
        out.setdefault(name, {})
    return {name: tuple(sorted(parts.values(), key=lambda p: p.path)) for name, parts in out.items()}


def describe(commit: Commit) -> dict[str, Any]:
    """A one-line-per-table summary (for the CLI and the runbook's examples)."""
    return {
        "job": commit.job,
        "seq": commit.seq,
        "batch": commit.batch,
        "kind": commit.kind,
        "committed_at": commit.committed_at,
        "tables": {name: sum(p.rows for p in parts) for name, parts in sorted(commit.tables.items())},
    }
