"""fact_claim: one row per claim (EHR FHIR, EHR CSV and partner claims) with conformed keys."""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from carelake.gold.dates import date_key, year_month
from carelake.gold.dimensions import diagnosis_key, provider_key
from carelake.gold.schemas import conform

DENIED = "denied"


def claim_diagnosis_key() -> Column:
    return diagnosis_key(F.col("icd10cm_code"), F.col("diagnosis_code"))


def fact_claim(claims: DataFrame, diagnoses: DataFrame) -> DataFrame:
    """Service date = the date of service_from (UTC); ``is_denied`` = claim_status 'denied';
    the diagnosis key and CCSR category as dim_diagnosis has them."""
    categories = diagnoses.select(
        F.col("diagnosis_key").alias("_dx"), F.col("diagnosis_category").alias("_dx_cat")
    )
    service_date = F.to_date("service_from")
    keyed = claims.withColumn("diagnosis_key", claim_diagnosis_key()).join(
        categories, F.col("diagnosis_key") == F.col("_dx"), "left"
    )
    return conform(
        keyed.select(
            "claim_key",
            "patient_key",
            "encounter_id",
            date_key(service_date).alias("service_date_key"),
            year_month(service_date).alias("service_month"),
            "payer_key",
            provider_key(F.col("provider_npi"), F.col("provider_id")).alias("provider_key"),
            "diagnosis_key",
            F.col("_dx_cat").alias("diagnosis_category"),
            "billed_amount",
            "allowed_amount",
            "paid_amount",
            "claim_status",
            (F.col("claim_status") == DENIED).alias("is_denied"),
            "denial_reason",
            "source",
        ),
        "fact_claim",
    )
