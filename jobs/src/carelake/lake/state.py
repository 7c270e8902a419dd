"""Where each table's current data is: the latest commits of the jobs that write it.

Layout of a zone (every path segment a Hive ``key=value``, so Spark, DuckDB and Athena read
partition values from paths alike)::

    <zone>/job=<writer job>/table=<table>/[<partition key>=<value>/...]v=<version>/part-*.parquet

``v=<seq>-<run>`` is the commit that wrote the folder: folders are never rewritten, a new
version is a new folder. The writing job's name is the first segment, so a job only ever
writes and cleans below its own ``job=`` folder (Spark's staging folders included), and
jobs that run at the same time (raw_to_bronze and claims_to_bronze) never touch each
other's files. Which folders are current is said by the commits (carelake.lake.commits),
never by listing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from carelake.lake.commits import Commit, CommitLog, PartitionVersion
from carelake.lake.storage import join
from carelake.declarations import Table

STRUCTURAL_COLUMNS = ("job", "table", "v")  # path segments every data folder has


def version_name(seq: int, run_id: str) -> str:
    return f"{seq:07d}-{run_id[:8]}"


def job_root(zone_uri: str, job: str) -> str:
    """Where a job writes in a zone (Spark's output path: staging folders land here too)."""
    return join(zone_uri, f"job={job}")


def data_dir(job: str, table: str, values: Mapping[str, str], version: str) -> str:
    """A data folder relative to its zone."""
    parts = [f"job={job}", f"table={table}", *(f"{k}={v}" for k, v in values.items()), f"v={version}"]
    return "/".join(parts)


@dataclass(frozen=True)
class TableVersion:
    """A table as of the commits read: every current partition folder, with its writer job."""

    table: Table
    zone_uri: str
    partitions: tuple[tuple[str, PartitionVersion], ...]  # (job, partition)

    @property
    def uris(self) -> list[str]:
        return [join(self.zone_uri, p.dir) for _, p in self.partitions]

    @property
    def rows(self) -> int:
        return sum(p.rows for _, p in self.partitions)

    def changed_after(self, seqs: Mapping[str, int]) -> TableVersion:
        """Only the partitions written after commit ``seqs[job]`` of their writer (an incremental
        reader's input); a writer missing from ``seqs`` counts from its first commit."""
        kept = tuple((job, p) for job, p in self.partitions if p.seq > seqs.get(job, 0))
        return TableVersion(self.table, self.zone_uri, kept)


class LakeState:
    """The lake's zone URIs and commit logs; resolves tables to their current folders.

    Commits are read once per instance: a job builds one at its start, so everything it
    reads comes from the same commits even if another job commits meanwhile.
    """

    def __init__(self, zone_uris: Mapping[str, str], writers: Mapping[str, Sequence[str]]) -> None:
        self.zone_uris = dict(zone_uris)
        self.writers = {name: tuple(jobs) for name, jobs in writers.items()}
        self._latest: dict[str, Commit | None] = {}

    def log(self, job: str) -> CommitLog:
        return CommitLog(self.zone_uris["quarantine"], job)

    def latest(self, job: str) -> Commit | None:
        if job not in self._latest:
            self._latest[job] = self.log(job).latest()
        return self._latest[job]

    def forget(self, job: str) -> None:
        """Read ``job``'s log again next time (after it committed)."""
        self._latest.pop(job, None)

    def version(self, table: Table, as_of: Mapping[str, Commit | None] | None = None) -> TableVersion:
        """The table as the latest commits of its writers say (no partitions: empty), or as
        the commits in ``as_of`` say for the writers it names."""
        name = table.qualified_name
        jobs = self.writers.get(name)
        if not jobs:
            raise KeyError(f"no job writes {name} (check the manifest's outputs)")
        partitions: list[tuple[str, PartitionVersion]] = []
        for job in jobs:
            commit = as_of[job] if as_of is not None and job in as_of else self.latest(job)
            if commit is not None:
                partitions.extend((job, p) for p in commit.partitions(name))
        return TableVersion(table, self.zone_uris[table.zone], tuple(partitions))
