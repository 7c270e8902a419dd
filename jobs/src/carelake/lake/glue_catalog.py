"""Make the Glue Data Catalog (what Athena reads) say what a job's latest commit says.

On AWS, Athena finds a table's files through the Glue catalog, not through carelake's
commits. After each commit the job brings the catalog in line with it, table by table:

- an unpartitioned table's location becomes the folder of its current version (one
  UpdateTable call: Athena switches from the old version to the new one at once);
- a partitioned table's partitions are created, re-pointed (BatchUpdatePartition) or
  dropped so that each points at the folder the commit lists for it; partitions of other
  writer jobs (``job=`` partitions of the operational tables) are left alone.

Terraform creates the tables (carelake's catalog module, from jobs/catalog.json) without
partition projection and ignores changes to their location. The sync is idempotent; every
run also syncs at its start, so a run that died between its commit and its sync is
repaired by the next one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from carelake import registry
from carelake.lake.commits import Commit
from carelake.lake.state import LakeState
from carelake.lake.storage import join

# Keys of GetTable's output that TableInput (UpdateTable) accepts.
_TABLE_INPUT_KEYS = (
    "Name", "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention", "StorageDescriptor",
    "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType", "Parameters", "TargetTable",
)  # fmt: skip


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _folder(uri: str) -> str:
    return uri.rstrip("/") + "/"


def sync(state: LakeState, job: str, commit: Commit, database_prefix: str, client: Any = None) -> dict[str, int]:
    """Bring the Glue tables ``job`` writes in line with ``commit``; returns what changed."""
    if client is None:
        import boto3

        client = boto3.client("glue")
    changed = {"tables_moved": 0, "partitions_created": 0, "partitions_updated": 0, "partitions_deleted": 0}
    for name in sorted(commit.tables):
        table = registry.table(name)
        database = f"{database_prefix}_{table.zone}"
        zone_uri = state.zone_uris[table.zone]
        parts = commit.tables[name]
        current = client.get_table(DatabaseName=database, Name=table.name)["Table"]
        if not table.partition_keys:
            location = _folder(join(zone_uri, parts[0].dir)) if parts else _folder(
                join(zone_uri, f"job={job}", f"table={table.name}", "v=0000000-empty")
            )
            if current["StorageDescriptor"].get("Location") != location:
                table_input = {k: copy.deepcopy(current[k]) for k in _TABLE_INPUT_KEYS if k in current}
                table_input["StorageDescriptor"]["Location"] = location
                client.update_table(DatabaseName=database, TableInput=table_input)
                changed["tables_moved"] += 1
            continue
        keys = list(table.partition_keys)
        wanted = {tuple(p.values[k] for k in keys): _folder(join(zone_uri, p.dir)) for p in parts}
        expression = f"job = '{job}'" if "job" in keys else None
        existing: dict[tuple[str, ...], dict] = {}
        paginator = client.get_paginator("get_partitions")
        pages = paginator.paginate(DatabaseName=database, TableName=table.name, **({"Expression": expression} if expression else {}))
        for page in pages:
            for partition in page["Partitions"]:
                existing[tuple(partition["Values"])] = partition
        descriptor = current["StorageDescriptor"]

        def partition_input(values: tuple[str, ...], location: str) -> dict:
            storage = copy.deepcopy(descriptor)
            storage["Location"] = location
            return {"Values": list(values), "StorageDescriptor": storage}

        create = [partition_input(v, loc) for v, loc in sorted(wanted.items()) if v not in existing]
        update = [
            {"PartitionValueList": list(v), "PartitionInput": partition_input(v, loc)}
            for v, loc in sorted(wanted.items())
            if v in existing and existing[v]["StorageDescriptor"].get("Location") != loc
        ]
        delete = [{"Values": list(v)} for v in sorted(existing) if v not in wanted]
        for chunk in _chunks(create, 100):
            _checked(client.batch_create_partition(DatabaseName=database, TableName=table.name, PartitionInputList=list(chunk)))
        for chunk in _chunks(update, 100):
            _checked(client.batch_update_partition(DatabaseName=database, TableName=table.name, Entries=list(chunk)))
        for chunk in _chunks(delete, 25):
            _checked(client.batch_delete_partition(DatabaseName=database, TableName=table.name, PartitionsToDelete=list(chunk)))
        changed["partitions_created"] += len(create)
        changed["partitions_updated"] += len(update)
        changed["partitions_deleted"] += len(delete)
    return changed


class CatalogSyncError(RuntimeError):
    """Glue refused some partition changes."""


def _checked(response: dict) -> None:
    errors = response.get("Errors") or []
    if errors:
        raise CatalogSyncError(f"Glue refused {len(errors)} partition changes; first: {errors[0]}")
