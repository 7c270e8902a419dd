"""raw_to_bronze on the real Synthea fixtures: counts equal an independent count, reruns are identical.

Tables are read as their commits say (tests/support/lake.py), with DuckDB, not Spark.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from carelake import registry
from carelake.config import Lake
from carelake.landing import land_file
from carelake.runner import run_jobs
from tests.paths import CSV_FIXTURE_DIR, FHIR_FIXTURE
from tests.support.lake import LakeTables

pytestmark = [pytest.mark.spark, pytest.mark.integration]
DT = "2024-05-01"

# Written out by hand (not derived from carelake code): the bronze table of each type.
TABLE_OF_TYPE = {
    "Observation": "fhir_observation", "Claim": "fhir_claim", "DiagnosticReport": "fhir_diagnostic_report",
    "DocumentReference": "fhir_document_reference", "Encounter": "fhir_encounter",
    "ExplanationOfBenefit": "fhir_explanation_of_benefit", "Condition": "fhir_condition",
    "MedicationRequest": "fhir_medication_request", "CarePlan": "fhir_care_plan", "CareTeam": "fhir_care_team",
    "Medication": "fhir_medication", "MedicationAdministration": "fhir_medication_administration",
    "Procedure": "fhir_procedure", "Patient": "fhir_patient", "Provenance": "fhir_provenance",
    "SupplyDelivery": "fhir_supply_delivery",
}  # fmt: skip


def land_fixtures(lake: Lake) -> None:
    land_file(FHIR_FIXTURE, lake.zone("raw") / "ehr/fhir" / f"dt={DT}" / "fixture" / FHIR_FIXTURE.name)
    for path in sorted(CSV_FIXTURE_DIR.glob("*.csv")):
        land_file(path, lake.zone("raw") / "ehr/csv" / f"dt={DT}" / "fixture" / path.name)


def table_rows(lake: Lake, zone: str, table: str) -> list[str]:
    """All current rows of a lake table, as sorted reprs (NaN-safe)."""
    return [repr(row) for row in LakeTables(lake.root).rows(f"select * from {zone}.{table}")]


def bronze_tables(lake: Lake) -> dict[str, list[str]]:
    tables = LakeTables(lake.root)
    return {
        name: [repr(r) for r in tables.rows(f"select * from bronze.{name}")]
        for name in registry.zone_tables("bronze")
    }


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, spark):
    lake = Lake(tmp_path_factory.mktemp("lake"))
    land_fixtures(lake)
    [result] = run_jobs(lake, DT, only=["raw_to_bronze"])
    return lake, result


def test_fhir_counts_equal_the_bundles_own(ingested):
    lake, result = ingested
    bundle = json.loads(FHIR_FIXTURE.read_text())
    expected = Counter(TABLE_OF_TYPE[e["resource"]["resourceType"]] for e in bundle["entry"])
    assert sum(expected.values()) == 314
    for table, count in expected.items():
        assert len(table_rows(lake, "bronze", table)) == count, table
        assert result.counts.written[table] == count


def test_csv_counts_equal_the_csv_modules(ingested):
    lake, result = ingested
    for path in sorted(CSV_FIXTURE_DIR.glob("*.csv")):
        with path.open(newline="") as handle:
            expected = sum(1 for _ in csv.DictReader(handle))
        table = f"csv_{path.stem}"
        assert len(table_rows(lake, "bronze", table)) == expected, table
        assert result.counts.written[table] == expected


def test_nothing_quarantined_and_the_run_record_balances(ingested):
    lake, _ = ingested
    assert table_rows(lake, "quarantine", "quarantined_record") == []
    [run] = LakeTables(lake.root).rows(
        "select rows_read, rows_written, rows_quarantined, job, dt from quarantine.job_run"
    )
    csv_rows = sum(sum(1 for _ in csv.DictReader(p.open(newline=""))) for p in CSV_FIXTURE_DIR.glob("*.csv"))
    assert run == (314 + csv_rows, 314 + csv_rows, 0, "raw_to_bronze", DT)


def test_bronze_keeps_typed_columns_and_the_source(ingested):
    lake, _ = ingested
    [patient] = LakeTables(lake.root).rows(
        "select resource_id, effective_start, source_file, source_entry, resource_json, dt from bronze.fhir_patient"
    )
    source = next(e["resource"] for e in json.loads(FHIR_FIXTURE.read_text())["entry"])
    assert patient[0] == source["id"]
    assert patient[1].date().isoformat() == source["birthDate"] == "1950-10-24"
    assert patient[2] == f"ehr/fhir/dt={DT}/fixture/{FHIR_FIXTURE.name}"
    assert patient[3] == 0
    assert json.loads(patient[4]) == source  # re-serialised by Spark: the same JSON value
    assert patient[5] == DT


def test_rerun_gives_identical_rows(ingested):
    lake, _ = ingested
    before = bronze_tables(lake)
    assert sum(len(rows) for rows in before.values()) > 314
    run_jobs(lake, DT, only=["raw_to_bronze"])
    assert bronze_tables(lake) == before
    runs = LakeTables(lake.root).rows("select job, dt, rows_read, rows_written from quarantine.job_run")
    assert len(runs) == 2 and runs[0] == runs[1]  # the batch's history keeps both runs
