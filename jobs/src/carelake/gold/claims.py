"""fact_claim: one row per claim (EHR FHIR, EHR CSV and partner claims) with conformed keys and
its denial measures; dim_denial_reason: each CARC a claim was denied with, in words."""

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
            "is_initially_denied",
            "is_appealed",
            "is_overturned",
        ),
        "fact_claim",
    )


UNKNOWN = "Unknown"
CARC_PATTERN = r"^(?:(CO|PR|OA|PI|CR)[-\s]?)?([A-Z]?[0-9]{1,3})$"  # as carelake.reference parses a CARC


def dim_denial_reason(claims: DataFrame, groups: DataFrame, reasons: DataFrame) -> DataFrame:
    """One row per denial reason the claims carry (``CO-50``): its CARC group and reason code,
    each in words (reference tables carc_group_codes and carc_reason_codes); a reason without a
    group prefix, or one the tables do not know, says 'Unknown'."""
    code = F.upper(F.trim("denial_reason"))
    distinct = (
        claims.where(F.col("denial_reason").isNotNull())
        .select("denial_reason")
        .distinct()
        .withColumn("carc_group", F.nullif(F.regexp_extract(code, CARC_PATTERN, 1), F.lit("")))
        .withColumn("carc_reason_code", F.nullif(F.regexp_extract(code, CARC_PATTERN, 2), F.lit("")))
    )
    group_words = groups.select(F.col("_code").alias("_group"), F.col("_words").alias("_group_name"))
    reason_words = reasons.select(F.col("_code").alias("_reason"), F.col("_words").alias("_reason_text"))
    named = distinct.join(F.broadcast(group_words), F.col("carc_group") == F.col("_group"), "left").join(
        F.broadcast(reason_words), F.col("carc_reason_code") == F.col("_reason"), "left"
    )
    return conform(
        named.select(
            "denial_reason",
            F.coalesce("carc_group", F.lit(UNKNOWN)).alias("carc_group"),
            F.coalesce("_group_name", F.lit(UNKNOWN)).alias("carc_group_name"),
            "carc_reason_code",
            F.coalesce("_reason_text", F.lit(UNKNOWN)).alias("carc_reason_description"),
        ),
        "dim_denial_reason",
    )
