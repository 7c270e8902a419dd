"""fact_procedure: every procedure silver holds, with its CPT/HCPCS category, cost and the
encounter it belongs to (docs/measures/procedure-patterns.md)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from carelake.gold.dates import date_key, year_month
from carelake.gold.reference import UNMAPPED_PROCEDURE, UNMAPPED_PROCEDURE_NAME
from carelake.gold.schemas import conform


def fact_procedure(procedures: DataFrame, encounters: DataFrame, categories: DataFrame) -> DataFrame:
    """One row per silver procedure (key: patient_key, snomed_code, performed_at).

    ``procedure_category``: the category of its CPT/HCPCS code in the reference table
    ``cpt_hcpcs_codes`` ('unmapped' when the procedure has no code or the table does not
    know it); ``cost``: the procedure's base cost; encounter class, acute-inpatient flag,
    payer, facility and diagnosis category come from its encounter in fact_encounter."""
    stays = encounters.select(
        F.col("encounter_id").alias("_encounter_id"),
        "encounter_class",
        F.col("is_acute_inpatient").alias("is_inpatient"),
        "payer_key",
        "location_key",
        "diagnosis_category",
    )
    performed = F.to_date("performed_at")
    joined = procedures.join(
        F.broadcast(categories), F.col("cpt_code") == F.col("_category_code"), "left"
    ).join(stays, F.col("encounter_id") == F.col("_encounter_id"), "left")
    return conform(
        joined.select(
            "patient_key",
            "snomed_code",
            "performed_at",
            "encounter_id",
            F.col("snomed_display").alias("procedure_display"),
            F.col("cpt_code").alias("cpt_hcpcs_code"),
            F.coalesce("procedure_category", F.lit(UNMAPPED_PROCEDURE)).alias("procedure_category"),
            F.coalesce("procedure_category_name", F.lit(UNMAPPED_PROCEDURE_NAME)).alias(
                "procedure_category_name"
            ),
            performed.alias("performed_date"),
            date_key(performed).alias("performed_date_key"),
            year_month(performed).alias("performed_month"),
            F.col("base_cost").alias("cost"),
            "encounter_class",
            F.coalesce("is_inpatient", F.lit(False)).alias("is_inpatient"),
            "payer_key",
            "location_key",
            "diagnosis_category",
        ),
        "fact_procedure",
    )
