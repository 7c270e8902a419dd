"""patient_cohort: the patients of the chronic-disease cohorts (COPD, heart failure,
diabetes) by their recorded conditions (docs/measures/cohort-outcomes.md)."""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from carelake.gold.schemas import conform


def patient_cohort(conditions: DataFrame, value_sets: DataFrame) -> DataFrame:
    """One row per patient and cohort: a patient is in a cohort when any of their conditions
    has an ICD-10-CM code that starts with one of the cohort's prefixes (reference table
    ``cohort_value_sets``; dots ignored). ``first_diagnosed_date`` is the earliest onset of
    such a condition (null when none has an onset date)."""
    coded = conditions.where(F.col("patient_key").isNotNull() & F.col("icd10cm_code").isNotNull()).select(
        "patient_key", "onset_date", F.regexp_replace(F.upper("icd10cm_code"), r"\.", "").alias("_code")
    )
    members = coded.join(F.broadcast(value_sets), F.col("_code").startswith(F.col("_prefix")), "inner")
    return conform(
        members.groupBy("patient_key", "cohort").agg(
            F.first("cohort_name").alias("cohort_name"), F.min("onset_date").alias("first_diagnosed_date")
        ),
        "patient_cohort",
    )
