"""The Glue catalog follows a job's commits (moto's Glue, in process): an unpartitioned table
moves to its new version folder, partitions are created, re-pointed and dropped, other
jobs' partitions of a shared table stay, and a second sync changes nothing."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from carelake import registry
from carelake.lake.commits import Commit, PartitionVersion
from carelake.lake.glue_catalog import sync
from carelake.lake.state import LakeState

ZONES = {zone: f"s3://carelake-dev-{zone}/" for zone in ("raw", "bronze", "silver", "gold", "quarantine")}
PREFIX = "carelake_dev"


@pytest.fixture
def glue():
    with mock_aws():
        client = boto3.client("glue", region_name="us-east-1")
        for zone in ZONES:
            client.create_database(DatabaseInput={"Name": f"{PREFIX}_{zone}"})
        for name in ("gold.dim_payer", "bronze.fhir_patient", "quarantine.job_run"):
            table = registry.table(name)
            client.create_table(
                DatabaseName=f"{PREFIX}_{table.zone}",
                TableInput={
                    "Name": table.name,
                    "StorageDescriptor": {
                        "Columns": [
                            {"Name": f.name, "Type": f.dataType.simpleString()} for f in table.schema.fields
                        ],
                        "Location": f"{ZONES[table.zone]}placeholder/",
                    },
                    "PartitionKeys": [{"Name": k, "Type": "string"} for k in table.partition_keys],
                },
            )
        yield client


def part(values: dict[str, str], folder: str, seq: int) -> PartitionVersion:
    return PartitionVersion(values, folder, 10, seq, "2026-06-30")


def commit(job: str, seq: int, tables: dict) -> Commit:
    return Commit(job, seq, "run", "2026-06-30", "2026-06-30T06:00:00Z", tables)


def partitions(glue, database: str, table: str) -> dict[tuple[str, ...], str]:
    found = glue.get_partitions(DatabaseName=database, TableName=table)["Partitions"]
    return {tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in found}


def test_a_snapshot_table_moves_to_its_current_version(glue) -> None:
    state = LakeState(ZONES, {"gold.dim_payer": ("silver_to_gold",)})
    first = commit(
        "silver_to_gold",
        1,
        {"gold.dim_payer": (part({}, "job=silver_to_gold/table=dim_payer/v=0000001-aaaa", 1),)},
    )
    assert sync(state, "silver_to_gold", first, PREFIX, glue)["tables_moved"] == 1
    location = glue.get_table(DatabaseName="carelake_dev_gold", Name="dim_payer")["Table"][
        "StorageDescriptor"
    ]["Location"]
    assert location == "s3://carelake-dev-gold/job=silver_to_gold/table=dim_payer/v=0000001-aaaa/"
    assert sync(state, "silver_to_gold", first, PREFIX, glue)["tables_moved"] == 0
    empty = commit("silver_to_gold", 2, {"gold.dim_payer": ()})
    sync(state, "silver_to_gold", empty, PREFIX, glue)
    location = glue.get_table(DatabaseName="carelake_dev_gold", Name="dim_payer")["Table"][
        "StorageDescriptor"
    ]["Location"]
    assert location.endswith("/job=silver_to_gold/table=dim_payer/v=0000000-empty/")


def test_partitions_are_created_repointed_and_dropped(glue) -> None:
    state = LakeState(ZONES, {"bronze.fhir_patient": ("raw_to_bronze",)})
    folder = "job=raw_to_bronze/table=fhir_patient/dt={}/v={}"
    one = commit("raw_to_bronze", 1, {"bronze.fhir_patient": (
        part({"dt": "2026-06-29"}, folder.format("2026-06-29", "0000001-aaaa"), 1),
        part({"dt": "2026-06-30"}, folder.format("2026-06-30", "0000001-aaaa"), 1),
    )})  # fmt: skip
    assert sync(state, "raw_to_bronze", one, PREFIX, glue)["partitions_created"] == 2
    two = commit("raw_to_bronze", 2, {"bronze.fhir_patient": (
        part({"dt": "2026-06-30"}, folder.format("2026-06-30", "0000002-bbbb"), 2),
        part({"dt": "2026-07-01"}, folder.format("2026-07-01", "0000002-bbbb"), 2),
    )})  # fmt: skip
    assert sync(state, "raw_to_bronze", two, PREFIX, glue) == {
        "tables_moved": 0, "partitions_created": 1, "partitions_updated": 1, "partitions_deleted": 1
    }  # fmt: skip
    assert partitions(glue, "carelake_dev_bronze", "fhir_patient") == {
        ("2026-06-30",): "s3://carelake-dev-bronze/" + folder.format("2026-06-30", "0000002-bbbb") + "/",
        ("2026-07-01",): "s3://carelake-dev-bronze/" + folder.format("2026-07-01", "0000002-bbbb") + "/",
    }


def test_a_job_touches_only_its_own_partitions_of_a_shared_table(glue) -> None:
    writers = {"quarantine.job_run": ("raw_to_bronze", "silver_to_gold")}
    state = LakeState(ZONES, writers)
    mine = commit(
        "raw_to_bronze",
        1,
        {
            "quarantine.job_run": (
                part(
                    {"job": "raw_to_bronze", "dt": "2026-06-30"},
                    "job=raw_to_bronze/table=job_run/dt=2026-06-30/v=0000001-aaaa",
                    1,
                ),
            )
        },
    )
    theirs = commit(
        "silver_to_gold",
        1,
        {
            "quarantine.job_run": (
                part(
                    {"job": "silver_to_gold", "dt": "2026-06-30"},
                    "job=silver_to_gold/table=job_run/dt=2026-06-30/v=0000001-cccc",
                    1,
                ),
            )
        },
    )
    sync(state, "silver_to_gold", theirs, PREFIX, glue)
    sync(state, "raw_to_bronze", mine, PREFIX, glue)
    sync(state, "raw_to_bronze", commit("raw_to_bronze", 2, {"quarantine.job_run": ()}), PREFIX, glue)
    assert list(partitions(glue, "carelake_dev_quarantine", "job_run")) == [("silver_to_gold", "2026-06-30")]
