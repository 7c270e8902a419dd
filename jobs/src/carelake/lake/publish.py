"""Publish Arrow tables as one commit of a job, without Spark (test lakes, small tools).

The files land where a job's writer puts them and the commit is the same atomic create,
so readers (the query engine, the jobs) cannot tell the difference.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from carelake.config import ZONES
from carelake.lake.commits import Commit, CommitLog, PartitionVersion, merged_tables, now_utc
from carelake.lake.state import data_dir, version_name
from carelake.declarations import Table


def publish(
    lake_root: Path | str, job: str, tables: Mapping[Table, pa.Table], batch: str = "1970-01-01"
) -> Commit:
    """Commit ``tables`` (each an Arrow table with the data columns and any partition columns) as
    the next commit of ``job`` in the local lake at ``lake_root``. Partitioned tables are split
    by their partition columns; other tables of the job keep their current version."""
    root = Path(lake_root).resolve()
    log = CommitLog(str(root / "quarantine"), job)
    previous = log.latest()
    seq = previous.seq + 1 if previous else 1
    run_id = uuid.uuid4().hex
    version = version_name(seq, run_id)
    written: dict[str, list[PartitionVersion]] = {}
    replaced = []
    for table, data in tables.items():
        if table.zone not in ZONES:
            raise ValueError(f"unknown zone {table.zone}")
        keys = [k for k in table.partition_keys if k != "job"]
        if not table.partition_keys:
            replaced.append(table.qualified_name)
        groups = [({}, data)] if not keys else _split(data, keys)
        for values, rows in groups:
            if rows.num_rows == 0:
                continue
            folder = data_dir(job, table.name, values, version)
            path = root / table.zone / folder / "part-00000.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(rows.select([c for c in rows.column_names if c not in table.partition_keys]), path)
            recorded = {"job": job, **values} if "job" in table.partition_keys else values
            written.setdefault(table.qualified_name, []).append(
                PartitionVersion(recorded, folder, rows.num_rows, seq, batch)
            )
        written.setdefault(table.qualified_name, [])
    commit = Commit(
        job=job,
        seq=seq,
        run_id=run_id,
        batch=batch,
        committed_at=now_utc(),
        tables=merged_tables(previous.tables if previous else {}, written, replaced=replaced),
        kind="publish",
        high_batch=max(batch, previous.high_batch) if previous else batch,
    )
    log.append(commit)
    return commit


def _split(data: pa.Table, keys: list[str]) -> list[tuple[dict[str, str], pa.Table]]:
    missing = [k for k in keys if k not in data.column_names]
    if missing:
        raise ValueError(f"partition columns {missing} are missing")
    combos = data.select(keys).group_by(keys).aggregate([]).to_pylist()
    groups = []
    for combo in combos:
        mask = None
        for key in keys:
            condition = pc.equal(data[key], pa.scalar(combo[key], data.schema.field(key).type))
            mask = condition if mask is None else pc.and_(mask, condition)
        groups.append(({k: str(combo[k]) for k in keys}, data.filter(mask)))
    return groups
