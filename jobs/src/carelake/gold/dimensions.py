"""Gold dimensions: patient (de-identified), provider, location, payer, diagnosis, treatment type."""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from carelake.gold.deidentify import age_band, safe_age, safe_birth_year, safe_zip3
from carelake.gold.reference import diagnosis_attributes
from carelake.gold.schemas import conform

ACTIVE_LOOKBACK_MONTHS = 24
UNMAPPED_PREFIX = "UNMAPPED:"


def dim_patient(patients: DataFrame, encounters: DataFrame, as_of: date) -> DataFrame:
    """One row per silver patient, de-identified (carelake.gold.deidentify).

    ``age``, ``age_band`` and ``birth_year`` are measured on as_of, or on the death date
    for a person who died before it. ``is_deceased``: a death date on or before as_of.
    ``is_active``: alive on as_of with an encounter admitted in the 24 months up to it
    (add_months(as_of, -24) <= admit_date <= as_of).
    """
    as_of_col = F.lit(as_of)
    deceased = F.col("death_date").isNotNull() & (F.col("death_date") <= as_of_col)
    measured_on = F.when(deceased, F.col("death_date")).otherwise(as_of_col)
    recent = (
        encounters.where(
            (F.col("admit_date") >= F.add_months(as_of_col, -ACTIVE_LOOKBACK_MONTHS))
            & (F.col("admit_date") <= as_of_col)
        )
        .select(F.col("patient_key").alias("_recent_key"))
        .distinct()
    )
    age = safe_age(F.col("birth_date"), measured_on)
    out = patients.join(recent, patients["patient_key"] == recent["_recent_key"], "left").select(
        "patient_key",
        "gender",
        safe_birth_year(F.col("birth_date"), measured_on).alias("birth_year"),
        age.alias("age"),
        age_band(age).alias("age_band"),
        "race",
        "ethnicity",
        safe_zip3(F.col("zip3")).alias("zip3"),
        deceased.alias("is_deceased"),
        F.when(deceased, F.year("death_date")).alias("death_year"),
        (~deceased & F.col("_recent_key").isNotNull()).alias("is_active"),
    )
    return conform(out, "dim_patient")


def provider_key(npi: Column, provider_id: Column) -> Column:
    """silver's provider key: the NPI, or ``id:<provider id>`` when no NPI is known."""
    return F.coalesce(npi, F.concat(F.lit("id:"), provider_id))


def dim_provider(providers: DataFrame, treatments: DataFrame) -> DataFrame:
    """silver dim_provider, plus an inferred row (``is_inferred``) for each treatment-record NPI
    no provider source describes, named from the treatment records (latest record wins)."""
    known = providers.select(
        "provider_key", "npi", "provider_name", "specialty", "organization_id", "city", "state", "is_inferred"
    )
    latest_first = F.struct(F.col("metadata_modified_at"), F.col("treatment_id"))
    from_treatments = (
        treatments.where(F.col("provider_npi").isNotNull())
        .groupBy(F.col("provider_npi").alias("provider_key"))
        .agg(F.max_by(F.struct("provider_name", "specialty", "city", "state"), latest_first).alias("t"))
        .join(known.select("provider_key"), "provider_key", "left_anti")
        .select(
            "provider_key",
            F.col("provider_key").alias("npi"),
            "t.provider_name",
            F.upper("t.specialty").alias("specialty"),
            F.lit(None).cast("string").alias("organization_id"),
            "t.city",
            "t.state",
            F.lit(True).alias("is_inferred"),
        )
    )
    return conform(known.unionByName(from_treatments), "dim_provider")


def dim_location(organizations: DataFrame) -> DataFrame:
    """Facilities: location_key = the organization_id fact_encounter carries. A facility's
    ZIP is not a patient identifier, but the Safe Harbor zip3 rule is applied all the same,
    so no de-identified table carries a restricted 3-digit ZIP."""
    return conform(
        organizations.select(
            F.col("organization_id").alias("location_key"),
            F.col("organization_name").alias("location_name"),
            "city",
            "state",
            safe_zip3(F.col("zip5")).alias("zip3"),
            F.coalesce("is_inferred", F.lit(False)).alias("is_inferred"),
        ),
        "dim_location",
    )


def dim_payer(payers: DataFrame) -> DataFrame:
    return conform(payers, "dim_payer")


def diagnosis_key(icd10cm_code: Column, source_code: Column) -> Column:
    """The ICD-10-CM code; ``UNMAPPED:<code>`` when the source code has none; null with no code."""
    return F.coalesce(
        icd10cm_code, F.when(source_code.isNotNull(), F.concat(F.lit(UNMAPPED_PREFIX), source_code))
    )


def dim_diagnosis(keys: DataFrame) -> DataFrame:
    """One row per diagnosis key the facts use (``keys``: column diagnosis_key), with
    display, CCSR body system (code and name) and Charlson group from the reference tables;
    ``UNMAPPED:<snomed>`` keys have no ICD-10-CM code and the category 'Unmapped'."""
    distinct = keys.where(F.col("diagnosis_key").isNotNull()).select("diagnosis_key").distinct()
    icd10 = F.when(~F.col("diagnosis_key").startswith(UNMAPPED_PREFIX), F.col("diagnosis_key"))
    with_code = distinct.withColumn("icd10cm_code", icd10).withColumn(
        "d", diagnosis_attributes(F.col("icd10cm_code"))
    )
    return conform(
        with_code.select(
            "diagnosis_key",
            "icd10cm_code",
            "d.icd10cm_display",
            "d.diagnosis_category",
            "d.diagnosis_category_name",
            "d.charlson_group",
        ),
        "dim_diagnosis",
    )


def treatment_type_key(treatment_type: Column) -> Column:
    """'Physical Therapy' -> 'physical_therapy' (null stays null)."""
    return F.regexp_replace(
        F.regexp_replace(F.lower(F.trim(treatment_type)), r"[^a-z0-9]+", "_"), r"^_+|_+$", ""
    )


def dim_treatment_type(treatments: DataFrame) -> DataFrame:
    """One row per treatment type key; the name is the most frequent spelling (ties: smallest)."""
    typed = treatments.where(F.col("treatment_type").isNotNull()).select(
        treatment_type_key(F.col("treatment_type")).alias("treatment_type_key"),
        F.trim("treatment_type").alias("name"),
    )
    spellings = typed.groupBy("treatment_type_key", "name").agg(F.count("*").alias("n"))
    most_used = Window.partitionBy("treatment_type_key").orderBy(F.col("n").desc(), F.col("name"))
    best = spellings.withColumn("_rank", F.row_number().over(most_used)).where(F.col("_rank") == 1)
    return conform(best.withColumnRenamed("name", "treatment_type"), "dim_treatment_type")
