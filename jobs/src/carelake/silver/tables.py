"""The silver tables: conformed entities, one grain each (declarations for carelake.registry).

Every table is a snapshot replaced as a whole by each bronze_to_silver commit. ``key`` is
the grain (unique, not null); latest-wins deduplication ranks the versions of each
``dedup_key`` (default: the key) by ``dedup_order``, the winner first: FHIR
``meta.lastUpdated``, then when the record landed, then its file, then the columns that make
the order total, so the winner never depends on how Spark split the input.
"""

from __future__ import annotations

from carelake.declarations import Classification, Table, schema

# meta.lastUpdated, then landing time, then source file: newest first.
NEWEST_FIRST = (
    "meta_last_updated desc nulls last",
    "landed_at desc nulls last",
    "source_file desc nulls last",
)
_CLINICAL_ORDER = (*NEWEST_FIRST, "source", "source_id", "source_line desc nulls last")
_LINEAGE = "source string, meta_last_updated timestamp, landed_at timestamp, source_file string"
_FACT_LINEAGE = f"{_LINEAGE}, source_line int"


def _table(name: str, description: str, columns: str, key: tuple[str, ...], **extra: object) -> Table:
    return Table(
        "silver", name, description, schema(columns), key=key, classification=Classification.PHI, **extra
    )  # type: ignore[arg-type]


TABLES: tuple[Table, ...] = (
    _table(
        "dim_patient",
        "One row per resolved person (master patient index): EHR patients and persons only claims or outreach know.",
        "patient_key string, ehr_patient_id string, mrn string, gender string, birth_date date, death_date date, "
        "race string, ethnicity string, marital_status string, city string, state string, zip3 string, source string, "
        "link_rule string",
        ("patient_key",),
        dedup_key=("ehr_patient_id",),
        dedup_order=(*NEWEST_FIRST, "source"),
        direct_identifiers=("mrn",),
    ),
    _table(
        "dim_provider",
        "Providers by provider_key (NPI, else id:<provider id>), with inferred rows for references no source describes.",
        "provider_id string, npi string, provider_name string, specialty string, city string, state string, "
        "organization_id string, is_inferred boolean, provider_key string",
        ("provider_key",),
    ),
    _table(
        "dim_organization",
        "Organizations (clinics, hospitals) by id, with inferred rows for references no source describes.",
        "organization_id string, organization_name string, city string, state string, zip5 string, is_inferred boolean",
        ("organization_id",),
    ),
    _table(
        "dim_location",
        "Locations by id, with inferred rows for references no source describes.",
        "location_id string, location_name string, organization_id string, city string, state string, zip5 string, "
        "latitude double, longitude double, is_inferred boolean",
        ("location_id",),
    ),
    _table(
        "dim_payer",
        "Payers by payer_key with name, state and type (medicare, medicaid, private, self_pay).",
        "payer_key string, payer_id string, payer_name string, state string, payer_type string",
        ("payer_key",),
    ),
    _table(
        "fct_encounter",
        "One row per encounter (FHIR and CSV conformed), with patient, provider and payer keys and the reason mapped to ICD-10-CM.",
        "encounter_id string, ehr_patient_id string, encounter_class string, encounter_type_code string, "
        "encounter_type_display string, start_at timestamp, end_at timestamp, admit_date date, discharge_date date, "
        "length_of_stay_days int, discharge_disposition_code string, discharge_disposition_display string, "
        "provider_npi string, provider_id string, provider_display string, organization_id string, "
        "organization_display string, location_id string, location_display string, payer_id string, "
        f"reason_code string, reason_display string, reason_codes array<string>, {_LINEAGE}, patient_key string, "
        "payer_key string, provider_key string, reason_icd10cm_code string, reason_diagnosis_category string",
        ("encounter_id",),
        dedup_order=(*NEWEST_FIRST, "source"),
    ),
    _table(
        "fct_condition",
        "Conditions: patient + SNOMED code + onset date, mapped to ICD-10-CM and its CCSR body system.",
        "source_id string, ehr_patient_id string, encounter_id string, snomed_code string, snomed_display string, "
        f"onset_date date, abatement_date date, clinical_status string, {_FACT_LINEAGE}, patient_key string, "
        "icd10cm_code string, diagnosis_category string",
        ("patient_key", "snomed_code", "onset_date"),
        dedup_key=("ehr_patient_id", "snomed_code", "onset_date"),
        dedup_order=_CLINICAL_ORDER,
    ),
    _table(
        "fct_procedure",
        "Procedures: patient + SNOMED code + start, with the CPT code it bills as.",
        "source_id string, ehr_patient_id string, encounter_id string, snomed_code string, snomed_display string, "
        "performed_at timestamp, performed_date date, performed_end_at timestamp, reason_code string, "
        f"base_cost decimal(14,2), {_FACT_LINEAGE}, patient_key string, cpt_code string",
        ("patient_key", "snomed_code", "performed_at"),
        dedup_key=("ehr_patient_id", "snomed_code", "performed_at"),
        dedup_order=_CLINICAL_ORDER,
    ),
    _table(
        "fct_observation",
        "Observations (one row per component): patient + LOINC code + effective time.",
        "source_id string, ehr_patient_id string, encounter_id string, category string, effective_at timestamp, "
        f"effective_date date, {_FACT_LINEAGE}, loinc_code string, loinc_display string, value_numeric double, "
        "value_text string, unit string, patient_key string",
        ("patient_key", "loinc_code", "effective_at"),
        dedup_key=("ehr_patient_id", "loinc_code", "effective_at"),
        dedup_order=_CLINICAL_ORDER,
    ),
    _table(
        "fct_medication_request",
        "Medication requests: patient + RxNorm code + authored time.",
        "source_id string, ehr_patient_id string, encounter_id string, rxnorm_code string, rxnorm_display string, "
        f"authored_at timestamp, authored_date date, status string, total_cost decimal(14,2), payer_id string, "
        f"{_FACT_LINEAGE}, patient_key string",
        ("patient_key", "rxnorm_code", "authored_at"),
        dedup_key=("ehr_patient_id", "rxnorm_code", "authored_at"),
        dedup_order=_CLINICAL_ORDER,
    ),
    _table(
        "fct_immunization",
        "Immunizations: patient + CVX code + administration time.",
        "source_id string, ehr_patient_id string, encounter_id string, cvx_code string, cvx_display string, "
        f"administered_at timestamp, administered_date date, base_cost decimal(14,2), {_FACT_LINEAGE}, patient_key string",
        ("patient_key", "cvx_code", "administered_at"),
        dedup_key=("ehr_patient_id", "cvx_code", "administered_at"),
        dedup_order=_CLINICAL_ORDER,
    ),
    _table(
        "fct_claim",
        "One row per claim (EHR FHIR and CSV, partner claims) with amounts, status, the first decision's denial "
        "and appeal flags and conformed keys.",
        "claim_key string, claim_id string, source string, ehr_patient_id string, member_source_id string, "
        "encounter_id string, payer_key string, payer_name string, provider_npi string, provider_id string, "
        "referring_provider_npi string, facility_location_id string, service_from timestamp, service_to timestamp, "
        "diagnosis_code string, diagnosis_system string, billed_amount decimal(14,2), allowed_amount decimal(14,2), "
        "paid_amount decimal(14,2), claim_status string, denial_reason string, is_initially_denied boolean, "
        "is_appealed boolean, is_overturned boolean, line_count int, "
        "meta_last_updated timestamp, landed_at timestamp, source_file string, patient_key string, "
        "icd10cm_code string, diagnosis_category string",
        ("claim_key",),
        dedup_order=(*NEWEST_FIRST, "source"),
    ),
    _table(
        "fct_claim_line",
        "One row per claim line of the surviving claim version.",
        "claim_key string, line_number int, procedure_code string, procedure_system string, procedure_display string, "
        "units int, billed_amount decimal(14,2), allowed_amount decimal(14,2), paid_amount decimal(14,2), "
        "line_status string, denial_reason string",
        ("claim_key", "line_number"),
        dedup_order=("source",),
    ),
    _table(
        "fct_outreach",
        "One row per care-coordinator outreach event, with the patient key its MRN resolves to.",
        "outreach_id string, mrn string, coordinator_id string, event_at timestamp, event_local_date date, "
        "channel string, status string, is_successful boolean, note string, received_at timestamp, "
        "landed_at timestamp, source_file string, patient_key string",
        ("outreach_id",),
        dedup_order=("landed_at desc nulls last", "source_file desc", "source_line"),
        direct_identifiers=("mrn", "note"),
    ),
    _table(
        "mpi_crosswalk",
        "Master patient index: every source record's patient_key, with the rule and score.",
        "source string, source_id string, patient_key string, rule string, score double, linked boolean",
        ("source", "source_id"),
    ),
    _table(
        "mpi_review",
        "Ambiguous or unmatched identity records for a person to review.",
        "source string, source_id string, candidate_source_id string, candidate_patient_key string, score double, "
        "reason string",
        ("source", "source_id", "candidate_source_id"),
    ),
    _table(
        "excluded_record",
        "Records of silver's state that a silver table leaves out because a plausibility rule fails against "
        "another record (e.g. an event before the patient's birth); replaced by every run.",
        "target_table string, reason string, rule string, source_file string, record string",
        (),
    ),
    _table(
        "unresolved_reference",
        "References kept on facts whose target no table holds.",
        "source_table string, record_key string, kind string, reference string",
        ("source_table", "record_key", "kind", "reference"),
    ),
)
