"""Arrival-driven input: which raw objects a run processes, and the ledger that remembers it.

An ingest job's run for batch ``D`` (its ``--dt``) processes every raw object of its sources
that has landed and is not in the ledger, whichever ``dt=`` folder it landed in, plus the
objects batch D already holds (a second run the same day rebuilds the day's partitions
from all of them). The ledger (``quarantine.raw_object``, partition job + dt = batch) lists
every object each batch processed, with its size and checksum (S3 ETag, or SHA-256 on a
local disk); the writer commits it with the run's outputs, so an object is in the ledger
exactly when its rows are in the lake.

- A file that lands in ``dt=D/`` after D's run is processed by the next run.
- A rerun of an older batch (``--dt`` before the latest committed batch) processes exactly
  the objects its ledger lists, no new ones; an object whose bytes changed since is an
  error (raw is immutable; to process new bytes, land them under a new key).
- An object replaced under the same key (different checksum) is processed as a new
  version, and reported (``replaced_checksum`` in the ledger, a metric in the run record).
- Names starting with ``_`` or ``.`` are in-flight uploads or markers, not landed objects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from carelake.declarations import RawSource
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState
from carelake.lake.storage import StoredObject, is_hidden, join, storage_for
from carelake.pipeline.accounting import LEDGER_SCHEMA, RAW_OBJECT
from carelake.pipeline.raw_files import RawObject


class RawObjectChanged(RuntimeError):
    """A rerun of a batch found an object whose bytes differ from what the batch processed."""


@dataclass(frozen=True)
class LedgerEntry:
    object_key: str
    source: str
    size: int
    checksum: str
    landed_at: datetime
    batch: str
    replaced_checksum: str | None = None


@dataclass
class BatchPlan:
    """The objects one run of an ingest job processes."""

    job: str
    batch: str
    objects: list[RawObject]  # every object of the batch (re-read ones included), sorted by key
    new: list[str] = field(default_factory=list)  # keys first processed by this run
    replaced: list[str] = field(default_factory=list)  # keys processed again with new bytes
    deferred: dict[str, str] = field(default_factory=dict)  # key -> why it waits for a later run
    rerun: bool = False
    elsewhere: frozenset[str] = frozenset()  # keys an earlier batch's ledger holds (re-read by a rebuild)

    def for_source(self, name: str) -> list[RawObject]:
        return [o for o in self.objects if o.source == name]

    def metrics(self) -> dict[str, int]:
        return {
            "raw_objects": len(self.objects),
            "raw_objects_new": len(self.new),
            "raw_objects_replaced": len(self.replaced),
            "raw_objects_deferred": len(self.deferred),
            "raw_objects_reread": len(self.elsewhere),
        }


def read_ledger(spark: SparkSession, state: LakeState, job: str) -> list[LedgerEntry]:
    """Every object the committed batches of ``job`` processed."""
    rows = (
        read_version(spark, state.version(RAW_OBJECT))
        .where(F.col("job") == job)
        .select(*LEDGER_SCHEMA.fieldNames(), F.col("dt").alias("batch"))
        .collect()
    )
    return [
        LedgerEntry(
            r["object_key"],
            r["source"],
            r["size"],
            r["checksum"],
            r["landed_at"].replace(tzinfo=UTC) if r["landed_at"].tzinfo is None else r["landed_at"],
            r["batch"],
            r["replaced_checksum"],
        )
        for r in rows
    ]


def _raw_object(source: RawSource, stored: StoredObject, checksum: str) -> RawObject:
    key = f"{source.prefix}/{stored.key}"
    problem = None
    if not re.fullmatch(source.path_pattern, stored.key):
        problem = f"not in the {source.name} layout: {source.prefix}/{source.layout}"
    return RawObject(
        source.name, key, stored.size, stored.modified_at, checksum, source.kind_of(stored.key), problem
    )


def _same_listing(entry: LedgerEntry, stored: StoredObject) -> bool:
    """True when the listing alone proves the ledger's object is unchanged (no checksum needed)."""
    if stored.etag is not None:
        return entry.checksum == f"etag:{stored.etag}"
    return entry.size == stored.size and abs((entry.landed_at - stored.modified_at).total_seconds()) < 1e-3


def plan_batch(
    spark: SparkSession,
    state: LakeState,
    job: str,
    raw_uri: str,
    sources: Sequence[RawSource],
    batch: str,
    defer: Callable[[list[RawObject]], dict[str, str]] | None = None,
    rebuild: bool = False,
) -> BatchPlan:
    """The objects run ``batch`` of ``job`` processes (see the module docstring).

    ``defer``: given the candidate objects, the keys that must wait for a later run and why
    (e.g. a DynamoDB export whose data files have not all landed). ``rebuild``: also every
    object earlier batches processed (for a job that builds its tables from scratch); they
    stay in their batches' ledger.
    """
    latest = state.latest(job)
    ledger = read_ledger(spark, state, job) if latest else []
    by_key: dict[str, list[LedgerEntry]] = {}
    for entry in ledger:
        by_key.setdefault(entry.object_key, []).append(entry)
    in_batch = {e.object_key: e for e in ledger if e.batch == batch}
    rerun = latest is not None and batch < latest.high_batch

    chosen: list[RawObject] = []
    new: list[str] = []
    replaced: list[str] = []
    elsewhere: set[str] = set()
    for source in sources:
        prefix_uri = join(raw_uri, source.prefix)
        storage = storage_for(prefix_uri)
        for stored in storage.list(prefix_uri):
            if is_hidden(stored.key):
                continue
            key = f"{source.prefix}/{stored.key}"
            entries = by_key.get(key, [])
            current = in_batch.get(key)
            if rerun:
                if current is None:
                    continue
                checksum = current.checksum if _same_listing(current, stored) else storage.checksum(stored)
                if checksum != current.checksum:
                    raise RawObjectChanged(
                        f"{key}: its bytes changed since batch {batch} processed it ({current.checksum} -> "
                        f"{checksum}); raw is immutable: land new bytes under a new key"
                    )
                chosen.append(_raw_object(source, stored, checksum))
                continue
            unchanged = next((e for e in entries if _same_listing(e, stored)), None)
            checksum = unchanged.checksum if unchanged else storage.checksum(stored)
            seen = [e for e in entries if e.checksum == checksum]
            if seen and not (current is not None and current.checksum == checksum):
                if rebuild:
                    chosen.append(_raw_object(source, stored, checksum))
                    elsewhere.add(key)
                continue  # an earlier batch processed these bytes
            chosen.append(_raw_object(source, stored, checksum))
            if not seen:
                (replaced if entries else new).append(key)
    if rerun:
        missing = sorted(set(in_batch) - {o.key for o in chosen})
        if missing:
            raise RawObjectChanged(f"batch {batch} processed objects that are gone from raw: {missing[:5]}")
    deferred = defer(chosen) if defer and not rerun else {}
    objects = sorted((o for o in chosen if o.key not in deferred), key=lambda o: o.key)
    return BatchPlan(
        job, batch, objects, [k for k in new if k not in deferred], [k for k in replaced if k not in deferred],
        deferred, rerun, frozenset(elsewhere),
    )  # fmt: skip


def ledger_rows(spark: SparkSession, plan: BatchPlan, previous: Iterable[LedgerEntry]) -> DataFrame:
    """The batch's ledger partition: one row per object, with the checksum it replaced (if any)."""
    same_batch = {e.object_key: e for e in previous if e.batch == plan.batch}
    earlier = {e.object_key: e.checksum for e in previous if e.batch != plan.batch}
    rows = []
    for o in plan.objects:
        if o.key in plan.elsewhere:
            continue
        if o.key in plan.replaced:
            replaced_checksum = earlier.get(o.key) or (
                same_batch[o.key].checksum if o.key in same_batch else None
            )
        else:
            replaced_checksum = same_batch[o.key].replaced_checksum if o.key in same_batch else None
        rows.append((o.key, o.source, o.size, o.checksum, o.modified_at, replaced_checksum))
    return spark.createDataFrame(rows, LEDGER_SCHEMA)
