"""The gold tables: exact columns and types and grains (declarations for carelake.registry).

docs/data-model.md (GOLD CONTRACT) is the definition; every transform in carelake.gold
ends in :func:`conform`, so a table holds exactly these columns in this order.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.declarations import Classification, Table

S, INT, L, D, B, DATE, TS = (
    T.StringType(), T.IntegerType(), T.LongType(), T.DoubleType(), T.BooleanType(), T.DateType(), T.TimestampType()
)  # fmt: skip
MONEY = T.DecimalType(14, 2)
COST = T.DecimalType(12, 2)
TOTAL_COST = T.DecimalType(22, 2)
AVERAGE_COST = T.DecimalType(16, 2)


def _schema(*fields: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(name, data_type, True) for name, data_type in fields])


GOLD_SCHEMAS: dict[str, T.StructType] = {
    "dim_date": _schema(
        ("date_key", INT), ("date", DATE), ("year", INT), ("quarter", INT), ("month", INT), ("year_month", S),
        ("month_name", S), ("day_of_month", INT), ("iso_day_of_week", INT), ("is_weekend", B),
    ),
    "dim_patient": _schema(
        ("patient_key", S), ("gender", S), ("birth_year", INT), ("age", INT), ("age_band", S), ("race", S),
        ("ethnicity", S), ("zip3", S), ("is_deceased", B), ("death_year", INT), ("is_active", B),
    ),
    "dim_provider": _schema(
        ("provider_key", S), ("npi", S), ("provider_name", S), ("specialty", S), ("organization_id", S),
        ("city", S), ("state", S), ("is_inferred", B),
    ),
    "dim_location": _schema(
        ("location_key", S), ("location_name", S), ("city", S), ("state", S), ("zip3", S), ("is_inferred", B),
    ),
    "dim_payer": _schema(("payer_key", S), ("payer_name", S), ("payer_type", S)),
    "dim_diagnosis": _schema(
        ("diagnosis_key", S), ("icd10cm_code", S), ("icd10cm_display", S), ("diagnosis_category", S),
        ("diagnosis_category_name", S), ("charlson_group", S),
    ),
    "dim_treatment_type": _schema(("treatment_type_key", S), ("treatment_type", S)),
    "fact_encounter": _schema(
        ("encounter_id", S), ("patient_key", S), ("encounter_class", S), ("admit_date", DATE),
        ("discharge_date", DATE), ("admit_date_key", INT), ("discharge_date_key", INT), ("length_of_stay_days", INT),
        ("age_at_admit", INT), ("is_acute_inpatient", B), ("is_planned", B), ("is_emergency_admission", B),
        ("is_transfer_out", B), ("died_in_stay", B), ("discharge_disposition_code", S), ("provider_key", S),
        ("location_key", S), ("payer_key", S), ("diagnosis_key", S), ("diagnosis_category", S),
    ),
    "fact_claim": _schema(
        ("claim_key", S), ("patient_key", S), ("encounter_id", S), ("service_date_key", INT), ("service_month", S),
        ("payer_key", S), ("provider_key", S), ("diagnosis_key", S), ("diagnosis_category", S),
        ("billed_amount", MONEY), ("allowed_amount", MONEY), ("paid_amount", MONEY), ("claim_status", S),
        ("is_denied", B), ("denial_reason", S), ("source", S), ("is_initially_denied", B), ("is_appealed", B),
        ("is_overturned", B),
    ),
    "dim_denial_reason": _schema(
        ("denial_reason", S), ("carc_group", S), ("carc_group_name", S), ("carc_reason_code", S),
        ("carc_reason_description", S),
    ),
    "fact_procedure": _schema(
        ("patient_key", S), ("snomed_code", S), ("performed_at", TS), ("encounter_id", S), ("procedure_display", S),
        ("cpt_hcpcs_code", S), ("procedure_category", S), ("procedure_category_name", S), ("performed_date", DATE),
        ("performed_date_key", INT), ("performed_month", S), ("cost", MONEY), ("encounter_class", S),
        ("is_inpatient", B), ("payer_key", S), ("location_key", S), ("diagnosis_category", S),
    ),
    "patient_cohort": _schema(
        ("patient_key", S), ("cohort", S), ("cohort_name", S), ("first_diagnosed_date", DATE),
    ),
    "fact_treatment": _schema(
        ("treatment_id", S), ("patient_key", S), ("provider_key", S), ("provider_name", S), ("specialty", S),
        ("city", S), ("state", S), ("disease", S), ("treatment_type_key", S), ("treatment_type", S),
        ("outcome_status", S), ("is_success", B), ("cost", COST), ("treatment_date", DATE),
        ("treatment_date_key", INT),
    ),
    "fact_outreach": _schema(
        ("outreach_id", S), ("patient_key", S), ("coordinator_id", S), ("event_at", TS), ("event_local_date", DATE),
        ("channel", S), ("status", S), ("is_successful", B),
    ),
    "provider_treatment_rank": _schema(
        ("provider_key", S), ("provider_name", S), ("specialty", S), ("total_treatments", L),
        ("rank_by_treatments", INT),
    ),
    "provider_success_rank": _schema(
        ("provider_key", S), ("successes", L), ("completed", L), ("success_rate", D), ("rank_by_success_rate", INT),
    ),
    "treatment_success_monthly": _schema(
        ("year_month", S), ("treatments", L), ("successes", L), ("completed", L), ("success_rate", D),
    ),
    "treatment_geography": _schema(("state", S), ("city", S), ("treatments", L), ("share_of_treatments", D)),
    "treatment_cost_by_type": _schema(
        ("treatment_type", S), ("treatments", L), ("average_cost", AVERAGE_COST), ("total_cost", TOTAL_COST),
    ),
    "treatments_by_city": _schema(("city", S), ("state", S), ("total_treatments", L)),
    "provider_success_rate": _schema(
        ("provider_key", S), ("provider_name", S), ("successes", L), ("completed", L), ("success_rate", D),
    ),
    "patient_risk": _schema(
        ("patient_key", S), ("index_encounter_id", S), ("discharge_date", DATE), ("length_of_stay_days", INT),
        ("l_points", INT), ("a_points", INT), ("charlson_index", INT), ("c_points", INT), ("ed_visits_6m", INT),
        ("e_points", INT), ("lace_score", INT), ("risk_band", S), ("as_of", DATE),
    ),
    "high_risk_outreach_list": _schema(
        ("patient_key", S), ("mrn", S), ("clinic_id", S), ("clinic_name", S), ("lace_score", INT), ("risk_band", S),
        ("discharge_date", DATE), ("last_outreach_status", S), ("last_outreach_at", TS),
        ("last_coordinator_id", S),
    ),
    "care_team_assignment": _schema(("coordinator_id", S), ("clinic_id", S), ("clinic_name", S), ("user_name", S)),
    "care_team_worklist": _schema(
        ("as_of", DATE), ("coordinator_id", S), ("clinic_id", S), ("clinic_name", S), ("patient_key", S), ("mrn", S),
        ("call_reason", S), ("lace_score", INT), ("risk_band", S), ("lace_reasons", S), ("discharge_date", DATE),
        ("days_since_discharge", INT), ("last_outreach_at", TS), ("last_outreach_status", S),
        ("last_coordinator_id", S), ("last_successful_outreach_at", TS), ("risk_signal_at", TS),
    ),
    "dq_summary": _schema(
        ("zone", S), ("table_name", S), ("row_count", L), ("key_null_rate", D), ("duplicate_keys", L),
        ("duplicates_removed", L), ("quarantined_rows", L), ("last_run_id", S), ("last_run_at", TS),
    ),
}  # fmt: skip

# gold table -> its grain (unique and not null; dq_summary checks it every run)
GOLD_KEYS: dict[str, tuple[str, ...]] = {
    "dim_date": ("date_key",),
    "dim_patient": ("patient_key",),
    "dim_provider": ("provider_key",),
    "dim_location": ("location_key",),
    "dim_payer": ("payer_key",),
    "dim_diagnosis": ("diagnosis_key",),
    "dim_treatment_type": ("treatment_type_key",),
    "fact_encounter": ("encounter_id",),
    "fact_claim": ("claim_key",),
    "dim_denial_reason": ("denial_reason",),
    "fact_procedure": ("patient_key", "snomed_code", "performed_at"),
    "patient_cohort": ("patient_key", "cohort"),
    "fact_treatment": ("treatment_id",),
    "fact_outreach": ("outreach_id",),
    "provider_treatment_rank": ("provider_key",),
    "provider_success_rank": ("provider_key",),
    "treatment_success_monthly": ("year_month",),
    "treatment_geography": ("state", "city"),
    "treatment_cost_by_type": ("treatment_type",),
    "treatments_by_city": ("city", "state"),
    "provider_success_rate": ("provider_key",),
    "patient_risk": ("patient_key",),
    "high_risk_outreach_list": ("patient_key",),
    "care_team_assignment": ("coordinator_id", "clinic_id"),
    "care_team_worklist": ("coordinator_id", "clinic_id", "patient_key"),
    "dq_summary": ("zone", "table_name"),
}

# The alert feed handed to the risk-alert Lambda (docs/data-contracts.md): JSON lines under
# gold/alert_feed/high_risk/dt=<dt>/, exactly these keys, every key present (null when unknown).
# feed_version is on every line; the Lambda refuses lines of another version.
ALERT_FEED_PATH = "alert_feed/high_risk"
ALERT_FEED_VERSION = 2
ALERT_FEED_KEYS = (
    "feed_version", "patient_key", "clinic_id", "clinic_name", "lace_score", "risk_band", "call_reason",
    "last_successful_outreach_at",
)  # fmt: skip

# Columns a de-identified consumer must never see: the care coordinators' tables carry the MRN.
PHI_TABLES = {"high_risk_outreach_list": ("mrn",), "care_team_worklist": ("mrn",)}
# Safe Harbor tables (no dates but years, no source ids, no direct identifiers; analysts' default
# grant). dq_summary is about the pipeline. Every other gold table is a limited data set: exact
# dates or date keys, or source encounter, claim, treatment and outreach ids (analysts read the
# carelake.gold.deid tables built from them). A new table is a limited data set until listed here.
DEIDENTIFIED_TABLES = frozenset({
    "dim_patient", "dim_provider", "dim_location", "dim_payer", "dim_diagnosis", "dim_treatment_type",
    "provider_treatment_rank", "provider_success_rank", "treatment_success_monthly", "treatment_geography",
    "treatment_cost_by_type", "treatments_by_city", "provider_success_rate", "care_team_assignment",
    "dim_denial_reason",
})  # fmt: skip
NON_PHI_TABLES = frozenset({"dq_summary"})


def classification(name: str) -> Classification:
    if name in PHI_TABLES:
        return Classification.PHI
    if name in DEIDENTIFIED_TABLES:
        return Classification.DEIDENTIFIED
    if name in NON_PHI_TABLES:
        return Classification.NON_PHI
    return Classification.LIMITED_DATA_SET


_DESCRIPTIONS = {
    "dim_date": "Calendar dates covering every date a gold fact uses (date_key yyyymmdd).",
    "dim_patient": "One row per resolved person, de-identified per HIPAA Safe Harbor (birth year, age capped at 90, zip3).",
    "dim_provider": "Providers (NPI or id:<provider id>), including inferred rows for references no source describes.",
    "dim_location": "Facilities (location_key = organization_id) with city, state and zip3.",
    "dim_payer": "Payers by payer_key with name and type (medicare, medicaid, private, self_pay).",
    "dim_diagnosis": "ICD-10-CM codes (or UNMAPPED:<snomed>) with CCSR body system and Charlson group.",
    "dim_treatment_type": "Treatment types of the treatment records.",
    "fact_encounter": "One row per encounter with HCUP length of stay and readmission/LACE flags.",
    "fact_claim": "One row per claim (EHR and partner) with amounts, status, denial and appeal flags and conformed keys.",
    "dim_denial_reason": "Each CARC a claim was denied with, its group and reason in words.",
    "fact_procedure": "One row per procedure with its CPT/HCPCS category, cost and encounter context.",
    "patient_cohort": "Patients of the COPD, heart failure and diabetes cohorts by their recorded conditions.",
    "fact_treatment": "One row per treatment record, with patient_key from the MRN when it resolves.",
    "fact_outreach": "One row per care-coordinator outreach event (silver fct_outreach without its MRN and note).",
    "provider_treatment_rank": "Providers ranked by total treatments (dense rank, ties share a rank).",
    "provider_success_rank": "Providers with at least 5 completed treatments ranked by success rate.",
    "treatment_success_monthly": "Treatments, successes and success rate by treatment month.",
    "treatment_geography": "Treatments and share of all treatments by state and city.",
    "treatment_cost_by_type": "Treatment count, average and total cost by treatment type.",
    "treatments_by_city": "Total treatments per city and state.",
    "provider_success_rate": "Success rate (success / (success + failure)) per provider.",
    "patient_risk": "LACE readmission risk index on each living patient's latest acute inpatient discharge.",
    "high_risk_outreach_list": "Patients at or over the LACE threshold not reached since their discharge or a new ED visit, with MRN, clinic and last outreach (care coordinators only).",
    "care_team_assignment": "Which care coordinator covers which clinic (configuration per environment); QuickSight row-level security reads it too.",
    "care_team_worklist": "Each coordinator's patients to call today per clinic: why (LACE in words), days since discharge, last outreach (care coordinators only).",
    "dq_summary": "Row counts, key null rates, duplicate keys, duplicates removed and quarantined rows per silver and gold table.",
}


def conform(df: DataFrame, table: str) -> DataFrame:
    """Exactly the contract's columns of ``table``, in order, cast to their types."""
    return df.select(*(F.col(f.name).cast(f.dataType).alias(f.name) for f in GOLD_SCHEMAS[table].fields))


# Every gold table is a complete snapshot, replaced as a whole by each silver_to_gold commit.
# The alert feed (JSON lines, ALERT_FEED_PATH) is a file handed to the risk-alert Lambda,
# not a table, so it is not declared here.
TABLES: tuple[Table, ...] = tuple(
    Table(
        "gold",
        name,
        _DESCRIPTIONS[name],
        schema,
        key=GOLD_KEYS[name],
        classification=classification(name),
        direct_identifiers=PHI_TABLES.get(name, ()),
    )
    for name, schema in GOLD_SCHEMAS.items()
)
