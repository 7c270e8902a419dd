"""silver_to_gold end to end on a tiny silver lake written by hand: every gold table written
with the contract's columns, the alert feed's JSON lines (exact keys, no MRN), a rerun of the
same dt writes the same feed content, dq_summary reads the run records, and the run record.

The silver lake is published as commits of its writer jobs (tests/support/lake.py), and the
gold tables are read through silver_to_gold's commit."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from carelake.config import Lake
from carelake.gold import deid
from carelake.gold.io import write_alert_feed
from carelake.gold.quality import silver_dq_keys
from carelake.gold.schemas import ALERT_FEED_KEYS, ALERT_FEED_PATH, GOLD_SCHEMAS
from carelake.manifest import load_manifest
from carelake.runner import job_argv
from tests.support.lake import LakeTables, publish_rows

pytestmark = [pytest.mark.spark, pytest.mark.integration]


DT = "2024-06-30"
D = date.fromisoformat


def at(day: str, hour: int) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour)


def encounter(eid, pk, cls, admit, discharge, start_hour, end_hour):
    return {"encounter_id": eid, "patient_key": pk, "encounter_class": cls, "start_at": at(admit, start_hour),
            "end_at": at(discharge, end_hour), "admit_date": D(admit), "discharge_date": D(discharge),
            "length_of_stay_days": (D(discharge) - D(admit)).days, "discharge_disposition_code": "01",
            "provider_key": "1000000001", "organization_id": "org-a", "payer_key": "medicare",
            "reason_code": "88805009", "reason_icd10cm_code": "I50.9"}  # fmt: skip


# fmt: off
SILVER = {
    "dim_patient": [
        {"patient_key": "pk-a", "ehr_patient_id": "e-a", "mrn": "MRN-A", "gender": "F", "birth_date": D("1950-02-03"),
         "race": "white", "ethnicity": "nonhispanic", "zip3": "036"},
        {"patient_key": "pk-b", "ehr_patient_id": "e-b", "mrn": "MRN-B", "gender": "M", "birth_date": D("1980-04-05"),
         "race": "black", "ethnicity": "nonhispanic", "zip3": "021"},
    ],
    "fct_encounter": [
        # pk-a: ED visit that admits, then 14 days in hospital (discharged 27 days before DT, inside the
        # 30-day outreach window): L 7 + A 3 = 10 -> high risk
        encounter("e-a-ed", "pk-a", "emergency", "2024-05-20", "2024-05-20", 1, 4),
        encounter("e-a", "pk-a", "inpatient", "2024-05-20", "2024-06-03", 9, 12),
        # pk-b: elective 2-day stay: L 2 -> low
        encounter("e-b", "pk-b", "inpatient", "2024-06-01", "2024-06-03", 9, 12),
    ],
    "fct_condition": [{"patient_key": "pk-b", "snomed_code": "44054006", "onset_date": D("2020-01-01"),
                       "icd10cm_code": "E11.9"}],
    "fct_procedure": [],
    "fct_claim": [
        {"claim_key": "c1", "source": "ehr_fhir", "patient_key": "pk-a", "encounter_id": "e-a", "payer_key": "medicare",
         "provider_npi": "1000000001", "service_from": at("2024-05-20", 9), "diagnosis_code": "88805009",
         "diagnosis_system": "snomed", "icd10cm_code": "I50.9", "billed_amount": Decimal("900.00"),
         "allowed_amount": Decimal("700.00"), "paid_amount": Decimal("650.00"), "claim_status": "paid"},
    ],
    "fct_outreach": [
        {"outreach_id": "o1", "patient_key": "pk-a", "coordinator_id": "cm-1", "event_at": at("2024-06-08", 14),
         "event_local_date": D("2024-06-08"), "status": "no_answer"},
    ],
    "dim_provider": [{"provider_key": "1000000001", "npi": "1000000001", "provider_name": "Dr Who",
                      "specialty": "CARDIOLOGY", "organization_id": "org-a", "is_inferred": False}],
    "dim_organization": [{"organization_id": "org-a", "organization_name": "General Hospital", "city": "Boston",
                          "state": "MA", "zip5": "02115", "is_inferred": False}],
    "dim_payer": [{"payer_key": "medicare", "payer_name": "Medicare", "payer_type": "medicare"}],
}
# fmt: on
TREATMENTS = [
    ("t1", "MRN-A", "success", "2024-03-01"),
    ("t2", "MRN-Z", "in_progress", "2024-03-02"),  # no such patient: kept, patient_key null
]


def write_silver(lake: Lake) -> None:
    """The silver tables as a commit of bronze_to_silver (with a run record of it), fct_treatment
    as a commit of treatments_to_silver."""
    job_run = {
        "run_id": "b2s-1", "commit_seq": 1, "started_at": at("2024-06-30", 5), "finished_at": at("2024-06-30", 6),
        "rows_read": 0, "rows_written": 0, "rows_quarantined": 0, "rows_deduplicated": 0,
        "rows_written_by_table": {"fct_encounter": 3, "dim_patient": 2},
        "rows_quarantined_by_table": {"fct_encounter": 1}, "rows_deduplicated_by_table": {"fct_encounter": 4},
        "metrics": {}, "dt": "2024-06-30",
    }  # fmt: skip
    publish_rows(
        lake.root, "bronze_to_silver",
        {**{f"silver.{table}": rows for table, rows in SILVER.items()}, "quarantine.job_run": [job_run]}, "2024-06-30",
    )  # fmt: skip
    treatments = [
        {"treatment_id": t, "patient_id": mrn, "provider_npi": "1234567893", "provider_name": "Dr A",
         "specialty": "Cardiology", "city": "Boston", "state": "MA", "disease": "Hypertension",
         "treatment_type": "Medication", "outcome_status": status, "cost": Decimal("125.00"),
         "treatment_date": D(day), "metadata_modified_at": at(day, 10), "export_id": "x",
         "source_file": "treatments/x.json.gz", "source_line": 1}
        for t, mrn, status, day in TREATMENTS
    ]  # fmt: skip
    publish_rows(lake.root, "treatments_to_silver", {"silver.fct_treatment": treatments}, "2024-06-29")


def feed_files(gold: Path, dt: str) -> list[Path]:
    return sorted(
        p for p in (gold / ALERT_FEED_PATH / f"dt={dt}").iterdir() if not p.name.startswith(("_", "."))
    )


def test_silver_to_gold_end_to_end(spark, tmp_path):
    from carelake.entrypoints import silver_to_gold

    lake = Lake(tmp_path)
    gold = lake.zone("gold")
    write_silver(lake)
    # The runner's arguments: zone URIs of the lake under tmp_path, dt, and the manifest's
    # defaults (risk_threshold 10, outreach_window_days 30, no care team assignment).
    argv = job_argv(load_manifest().jobs["silver_to_gold"], lake, DT)

    counts = silver_to_gold.main(argv)

    deid_tables = {t.name: t for t in deid.TABLES}
    assert set(counts.written) == set(GOLD_SCHEMAS) | set(deid_tables) | {"alert_feed_high_risk"}
    assert counts.written["high_risk_outreach_list"] == counts.written["alert_feed_high_risk"] == 1
    assert counts.written["fact_treatment"] == 2 and counts.metrics["fact_treatment_patient_unresolved"] == 1
    tables = LakeTables(lake.root)
    for table, schema in GOLD_SCHEMAS.items():
        assert tables.columns(f"gold.{table}") == schema.fieldNames(), table
        [(rows,)] = tables.rows(f"select count(*) from gold.{table}")
        assert rows == counts.written[table], table
    # the analysts' layer: one row per fact row, the declared columns, no dates and no ids
    for table, fact in (("deid_encounter_month", "fact_encounter"), ("deid_claim_month", "fact_claim")):
        assert tables.columns(f"gold.{table}") == list(deid_tables[table].columns), table
        assert counts.written[table] == counts.written[fact] > 0, table

    def month(day: date | None) -> str | None:
        return None if day is None else day.strftime("%Y-%m")

    expected = sorted(
        (month(a), month(d), (d - a).days if a and d and d >= a else None)
        for a, d in tables.rows("select admit_date, discharge_date from gold.fact_encounter")
    )
    deidentified = tables.rows(
        "select admit_month, discharge_month, length_of_stay_days from gold.deid_encounter_month"
    )
    assert sorted(deidentified) == expected

    files = feed_files(gold, DT)
    assert [p.name for p in files] == ["feed.jsonl"]
    first_content = files[0].read_text()
    lines = [json.loads(line) for line in first_content.splitlines()]
    assert [list(line) for line in lines] == [list(ALERT_FEED_KEYS)]
    assert lines[0] == {"feed_version": 2, "patient_key": "pk-a", "clinic_id": "org-a",
                        "clinic_name": "General Hospital", "lace_score": 10, "risk_band": "high",
                        "call_reason": "not_reached_since_discharge",
                        "last_successful_outreach_at": None}  # fmt: skip
    assert "MRN-" not in first_content

    columns = ", ".join(GOLD_SCHEMAS["dq_summary"].fieldNames())
    dq = {(r[0], r[1]): dict(zip(GOLD_SCHEMAS["dq_summary"].fieldNames(), r, strict=True))
          for r in tables.rows(f"select {columns} from gold.dq_summary")}  # fmt: skip
    assert {name for zone, name in dq if zone == "silver"} == set(silver_dq_keys())
    assert {name for zone, name in dq if zone == "gold"} == set(GOLD_SCHEMAS) | set(deid_tables)
    keyless = dq[("gold", "deid_claim_month")]
    assert (keyless["row_count"], keyless["key_null_rate"], keyless["duplicate_keys"]) == (
        counts.written["fact_claim"],
        None,
        None,
    )
    encounters = dq[("silver", "fct_encounter")]
    assert (encounters["row_count"], encounters["duplicates_removed"], encounters["quarantined_rows"],
            encounters["last_run_id"]) == (3, 4, 1, "b2s-1")  # fmt: skip
    assert dq[("silver", "fct_treatment")]["row_count"] == 2
    assert (
        dq[("gold", "patient_risk")]["row_count"] == 2 and dq[("gold", "patient_risk")]["duplicate_keys"] == 0
    )

    # rerun the same dt: the same feed content, one file, and a second run record
    silver_to_gold.main(argv)
    files = feed_files(gold, DT)
    assert len(files) == 1 and files[0].read_text() == first_content
    runs = LakeTables(lake.root).rows(
        "select dt, commit_seq from quarantine.job_run where job = 'silver_to_gold'"
    )
    assert runs == [(DT, 1), (DT, 2)]


def test_empty_feed_still_writes_its_partition(tmp_path):
    gold = tmp_path / "gold"
    write_alert_feed(str(gold), DT, [])
    files = feed_files(gold, DT)
    assert files and all(p.read_text() == "" for p in files)  # the Lambda sees today's empty feed
