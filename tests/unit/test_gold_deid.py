"""The analysts' de-identified tables (carelake.gold.deid) on explicit gold schemas, against rows
computed by hand: months of the dates, HCUP length of stay, no ids, every other column kept."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carelake import registry
from carelake.gold import deid
from carelake.gold.inputs import local_frame
from carelake.gold.schemas import GOLD_SCHEMAS

pytestmark = pytest.mark.spark


def columns(schema) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(f.name, f.dataType.simpleString()) for f in schema.fields]


ENCOUNTER = {
    "patient_key": "pk-1", "encounter_class": "inpatient", "age_at_admit": 90, "is_acute_inpatient": True,
    "is_planned": False, "is_emergency_admission": True, "is_transfer_out": False, "died_in_stay": False,
    "discharge_disposition_code": "01", "provider_key": "1234567890", "location_key": "org-1", "payer_key": "pay-1",
    "diagnosis_key": "I50.9", "diagnosis_category": "CIR",
}  # fmt: skip


def encounter(encounter_id: str, admit: date | None, discharge: date | None, silver_los: int | None) -> dict:
    return {
        **ENCOUNTER, "encounter_id": encounter_id, "admit_date": admit, "discharge_date": discharge,
        "admit_date_key": None, "discharge_date_key": None, "length_of_stay_days": silver_los,
    }  # fmt: skip


def test_deid_encounter_month(spark) -> None:
    rows = [
        # across a year end: 2023-12-30 -> 2024-01-02 is 3 days
        encounter("e1", date(2023, 12, 30), date(2024, 1, 2), 3),
        encounter("e2", date(2024, 2, 29), date(2024, 2, 29), 0),  # same day: 0
        encounter("e3", date(2024, 3, 5), None, None),  # still open: no LOS, no discharge month
        encounter("e4", date(2024, 3, 9), date(2024, 3, 7), -2),  # discharge before admission: no LOS
    ]
    out = deid.deid_encounter_month(local_frame(spark, GOLD_SCHEMAS["fact_encounter"], rows))
    assert columns(out.schema) == columns(registry.table("gold.deid_encounter_month").schema)
    got = {r["admit_month"] + ("" if r["discharge_month"] else "/open"): (r["discharge_month"], r["length_of_stay_days"])
           for r in out.collect()}  # fmt: skip
    assert got == {
        "2023-12": ("2024-01", 3),
        "2024-02": ("2024-02", 0),
        "2024-03/open": (None, None),
        "2024-03": ("2024-03", None),
    }
    kept = {k: v for k, v in out.first().asDict().items() if k in ENCOUNTER}
    assert kept == ENCOUNTER


def test_deid_claim_month(spark) -> None:
    claim = {
        "claim_key": "CLM-77", "patient_key": "pk-2", "encounter_id": "enc-9", "service_date_key": 20240315,
        "service_month": "2024-03", "payer_key": "pay-1", "provider_key": "id:prov-3", "diagnosis_key": "E11.9",
        "diagnosis_category": "END", "billed_amount": Decimal("120.50"), "allowed_amount": Decimal("100.00"),
        "paid_amount": Decimal("80.00"), "claim_status": "paid", "is_denied": False, "denial_reason": None,
        "source": "partner", "is_initially_denied": True, "is_appealed": True, "is_overturned": True,
    }  # fmt: skip
    out = deid.deid_claim_month(local_frame(spark, GOLD_SCHEMAS["fact_claim"], [claim]))
    assert columns(out.schema) == columns(registry.table("gold.deid_claim_month").schema)
    expected = {k: v for k, v in claim.items() if k not in ("claim_key", "encounter_id", "service_date_key")}
    assert [r.asDict() for r in out.collect()] == [expected]


def test_deid_procedure_month(spark) -> None:
    procedure = {
        "patient_key": "pk-3", "snomed_code": "80146002", "performed_at": None, "encounter_id": "enc-4",
        "procedure_display": "Appendectomy", "cpt_hcpcs_code": "44950", "procedure_category": "surgery",
        "procedure_category_name": "Surgery", "performed_date": date(2024, 2, 29), "performed_date_key": 20240229,
        "performed_month": "2024-02", "cost": Decimal("9120.00"), "encounter_class": "inpatient",
        "is_inpatient": True, "payer_key": "pay-2", "location_key": "org-7", "diagnosis_category": "DIG",
    }  # fmt: skip
    out = deid.deid_procedure_month(local_frame(spark, GOLD_SCHEMAS["fact_procedure"], [procedure]))
    assert columns(out.schema) == columns(registry.table("gold.deid_procedure_month").schema)
    dropped = ("performed_at", "encounter_id", "performed_date", "performed_date_key")
    assert [r.asDict() for r in out.collect()] == [{k: v for k, v in procedure.items() if k not in dropped}]
