"""silver -> gold as one pure function: silver frames in, gold frames out.

The entry script (entrypoints/silver_to_gold.py) reads silver (carelake.gold.io), calls
:func:`build_gold`, and writes every table as a complete snapshot, the alert feed under its
dt, and dq_summary (computed on what was written). Table definitions: docs/data-model.md
(GOLD CONTRACT) and docs/measures/.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from carelake.gold import claims, cohorts, deid, dimensions, lace, places, procedures, treatments, worklist
from carelake.gold.dates import dim_date
from carelake.gold.encounters import EncounterFacts, encounter_diagnosis_key, encounter_facts
from carelake.gold.reference import (
    carc_groups,
    carc_reasons,
    cohort_value_sets,
    disposition_flags,
    encounter_class_flags,
    procedure_categories,
)
from carelake.gold.schemas import GOLD_SCHEMAS, conform

LACE_MAX_SCORE = 19


def check_threshold(value: str | int) -> int:
    """A LACE threshold: an integer 0-19 (the LACE index ranges 0-19)."""
    try:
        threshold = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"risk_threshold must be an integer 0-{LACE_MAX_SCORE}, got {value!r}") from None
    if not 0 <= threshold <= LACE_MAX_SCORE:
        raise ValueError(f"risk_threshold must be an integer 0-{LACE_MAX_SCORE}, got {value!r}")
    return threshold


@dataclass
class GoldOutput:
    """Every gold table but dq_summary (conformed to GOLD_SCHEMAS; the deid_* tables to
    carelake.gold.deid), the alert feed rows, and
    the frames several tables are built from (the writer persists them first)."""

    tables: dict[str, DataFrame]
    alert_feed: DataFrame
    shared: list[DataFrame] = field(default_factory=list)
    encounters: EncounterFacts | None = None


def build_gold(
    silver: dict[str, DataFrame],
    as_of: date,
    risk_threshold: int,
    outreach_window_days: int = lace.OUTREACH_WINDOW_DAYS,
    care_team_assignment: DataFrame | None = None,
) -> GoldOutput:
    """Every gold table from the silver frames of carelake.gold.inputs.SILVER_INPUTS.
    ``care_team_assignment``: carelake.gold.worklist.read_assignment's frame (None: nobody is
    assigned, every clinic's patients are on the worklist as 'unassigned')."""
    s = silver
    spark = s["fct_encounter"].sparkSession
    threshold = check_threshold(risk_threshold)

    # --- diagnoses: every key a fact uses ---------------------------------------------------------
    diagnosis_keys = (
        s["fct_encounter"]
        .select(encounter_diagnosis_key().alias("diagnosis_key"))
        .unionByName(s["fct_claim"].select(claims.claim_diagnosis_key().alias("diagnosis_key")))
    )
    dim_diagnosis = dimensions.dim_diagnosis(diagnosis_keys)

    # --- facts -------------------------------------------------------------------------------------
    facts = encounter_facts(
        s["fct_encounter"], s["fct_procedure"], s["dim_patient"], dim_diagnosis,
        encounter_class_flags(spark), disposition_flags(spark),
    )  # fmt: skip
    fact_encounter = facts.fact()
    fact_claim = claims.fact_claim(s["fct_claim"], dim_diagnosis)
    dim_treatment_type = dimensions.dim_treatment_type(s["fct_treatment"])
    provider_places = places.provider_places(s["dim_provider"], s["dim_organization"])
    placed_treatments = places.with_provider_place(s["fct_treatment"], "provider_npi", provider_places)
    fact_treatment = treatments.fact_treatment(placed_treatments, s["dim_patient"], dim_treatment_type)
    # The outreach events, de-identified for the outreach measures: gold reads neither silver's
    # mrn nor its note (carelake.gold.inputs), and conform keeps exactly the contract's columns.
    fact_outreach = conform(s["fct_outreach"], "fact_outreach")

    # --- LACE ----------------------------------------------------------------------------------------
    risk = lace.patient_risk(facts.enriched, s["fct_condition"], s["dim_patient"], as_of)
    outreach_list = lace.high_risk_outreach_list(
        risk,
        s["dim_patient"],
        s["dim_organization"],
        s["fct_outreach"],
        facts.enriched,
        as_of,
        threshold,
        outreach_window_days,
    )
    if care_team_assignment is None:
        care_team_assignment = spark.createDataFrame([], worklist.ASSIGNMENT_SCHEMA)
    assignment = worklist.care_team_assignment(care_team_assignment, s["dim_organization"])

    tables: dict[str, DataFrame] = {
        "dim_patient": dimensions.dim_patient(s["dim_patient"], s["fct_encounter"], as_of),
        "dim_provider": dimensions.dim_provider(
            places.with_provider_place(s["dim_provider"], "provider_key", provider_places), placed_treatments
        ),
        "dim_location": dimensions.dim_location(s["dim_organization"]),
        "dim_payer": dimensions.dim_payer(s["dim_payer"]),
        "dim_diagnosis": dim_diagnosis,
        "dim_treatment_type": dim_treatment_type,
        "fact_encounter": fact_encounter,
        "fact_claim": fact_claim,
        "dim_denial_reason": claims.dim_denial_reason(fact_claim, carc_groups(spark), carc_reasons(spark)),
        "fact_procedure": procedures.fact_procedure(
            s["fct_procedure"], fact_encounter, procedure_categories(spark)
        ),
        "patient_cohort": cohorts.patient_cohort(s["fct_condition"], cohort_value_sets(spark)),
        "fact_treatment": fact_treatment,
        "fact_outreach": fact_outreach,
        "provider_treatment_rank": treatments.provider_treatment_rank(fact_treatment),
        "provider_success_rank": treatments.provider_success_rank(fact_treatment),
        "treatment_success_monthly": treatments.treatment_success_monthly(fact_treatment),
        "treatment_geography": treatments.treatment_geography(fact_treatment),
        "treatment_cost_by_type": treatments.treatment_cost_by_type(fact_treatment),
        "treatments_by_city": treatments.treatments_by_city(fact_treatment),
        "provider_success_rate": treatments.provider_success_rate(fact_treatment),
        "patient_risk": conform(risk, "patient_risk"),
        "high_risk_outreach_list": conform(outreach_list, "high_risk_outreach_list"),
        "care_team_assignment": assignment,
        "care_team_worklist": worklist.care_team_worklist(outreach_list, assignment, as_of),
    }
    tables["dim_date"] = dim_date(
        spark,
        [
            (fact_encounter, [F.col("admit_date"), F.col("discharge_date")]),
            (fact_claim, [F.to_date(F.col("service_date_key").cast("string"), "yyyyMMdd")]),
            (fact_treatment, [F.col("treatment_date")]),
            (fact_outreach, [F.col("event_local_date")]),
            (tables["fact_procedure"], [F.col("performed_date")]),
        ],
        as_of,
    )
    tables |= deid.deid_tables(tables)
    missing = set(GOLD_SCHEMAS) - set(tables) - {"dq_summary"}
    assert not missing, f"gold tables not built: {sorted(missing)}"
    return GoldOutput(
        tables=tables,
        alert_feed=lace.alert_feed(outreach_list),
        shared=[dim_diagnosis, facts.enriched, fact_treatment, risk, outreach_list],
        encounters=facts,
    )
