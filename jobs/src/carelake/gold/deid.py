"""The analysts' de-identified layer of gold: the limited-data-set facts without their dates
and source ids (declarations for carelake.registry, and the transforms silver_to_gold runs).

fact_encounter, fact_claim and fact_procedure are a limited data set (164.514(e)): exact service dates,
yyyymmdd date keys and the source systems' encounter and claim ids. The ``deid_*`` tables are
built from them in the same run and keep what the analyst measures need:

* Dates become the month ('YYYY-MM'). Ages are already whole years capped at 90 (Safe Harbor:
  ages over 89 aggregated, carelake.gold.deidentify), and no table here holds a birth date.
* Day arithmetic a measure needs is done here, on the exact dates, so analysts never need
  them: ``length_of_stay_days`` (HCUP: discharge date - admission date, a same-day stay is 0;
  null when a date is missing or the discharge precedes the admission).
* Source ids are dropped: one row is one encounter (or claim), so counting rows counts events;
  no analyst measure joins on them. ``patient_key`` stays: it is an HMAC under a secret
  (carelake.pseudonym_key), a re-identification code 164.514(c) allows.
* The tables have no key: without an event id nothing in a row is unique, and none is needed.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from carelake.declarations import Classification, Table, schema
from carelake.gold.dates import year_month

_SCHEMAS = {
    "deid_encounter_month": schema(
        "patient_key string, encounter_class string, admit_month string, discharge_month string, "
        "length_of_stay_days int, age_at_admit int, is_acute_inpatient boolean, is_planned boolean, "
        "is_emergency_admission boolean, is_transfer_out boolean, died_in_stay boolean, "
        "discharge_disposition_code string, provider_key string, location_key string, payer_key string, "
        "diagnosis_key string, diagnosis_category string"
    ),
    "deid_claim_month": schema(
        "patient_key string, service_month string, payer_key string, provider_key string, diagnosis_key string, "
        "diagnosis_category string, billed_amount decimal(14,2), allowed_amount decimal(14,2), "
        "paid_amount decimal(14,2), claim_status string, is_denied boolean, denial_reason string, source string, "
        "is_initially_denied boolean, is_appealed boolean, is_overturned boolean"
    ),
    "deid_procedure_month": schema(
        "patient_key string, snomed_code string, procedure_display string, cpt_hcpcs_code string, "
        "procedure_category string, procedure_category_name string, performed_month string, cost decimal(14,2), "
        "encounter_class string, is_inpatient boolean, payer_key string, location_key string, "
        "diagnosis_category string"
    ),
}

_DESCRIPTIONS = {
    "deid_encounter_month": (
        "One row per encounter of fact_encounter, de-identified for analysts: admission and discharge month, "
        "HCUP length of stay in days, the encounter flags; no dates, no encounter id."
    ),
    "deid_claim_month": (
        "One row per claim of fact_claim, de-identified for analysts: service month, keys, amounts and "
        "status; no service date, no claim or encounter id."
    ),
    "deid_procedure_month": (
        "One row per procedure of fact_procedure, de-identified for analysts: month performed, codes, category, "
        "cost and setting; no time or date, no encounter id."
    ),
}

TABLES: tuple[Table, ...] = tuple(
    Table("gold", name, _DESCRIPTIONS[name], columns, classification=Classification.DEIDENTIFIED)
    for name, columns in _SCHEMAS.items()
)


def _conform(df: DataFrame, table: str) -> DataFrame:
    return df.select(*(F.col(f.name).cast(f.dataType).alias(f.name) for f in _SCHEMAS[table].fields))


def deid_encounter_month(fact_encounter: DataFrame) -> DataFrame:
    """fact_encounter without dates, date keys and encounter_id (see the module docstring)."""
    admit, discharge = F.col("admit_date"), F.col("discharge_date")
    return _conform(
        fact_encounter.drop("length_of_stay_days").select(
            "*",
            year_month(admit).alias("admit_month"),
            year_month(discharge).alias("discharge_month"),
            F.when(discharge >= admit, F.datediff(discharge, admit)).alias("length_of_stay_days"),
        ),
        "deid_encounter_month",
    )


def deid_claim_month(fact_claim: DataFrame) -> DataFrame:
    """fact_claim without the service date key, claim_key and encounter_id; service_month kept."""
    return _conform(fact_claim, "deid_claim_month")


def deid_procedure_month(fact_procedure: DataFrame) -> DataFrame:
    """fact_procedure without performed_at, performed_date(_key) and encounter_id; performed_month kept."""
    return _conform(fact_procedure, "deid_procedure_month")


def deid_tables(limited: dict[str, DataFrame]) -> dict[str, DataFrame]:
    """Every deid_* table from gold's limited-data-set tables of the same run."""
    return {
        "deid_encounter_month": deid_encounter_month(limited["fact_encounter"]),
        "deid_claim_month": deid_claim_month(limited["fact_claim"]),
        "deid_procedure_month": deid_procedure_month(limited["fact_procedure"]),
    }
