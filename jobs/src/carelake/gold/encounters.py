"""fact_encounter: one row per encounter, with the flags the readmission and LACE measures use.

Every code list, class and flag comes from the reference tables (carelake.gold.reference);
docs/measures/lace.md states the rules in words:

* ``is_planned``: an inpatient stay ``ref.planned_readmission_category`` calls planned,
  given the stay's procedures (silver fct_procedure on encounter_id: SNOMED and CPT codes)
  plus its encounter type code, and its reason code as the principal diagnosis
  (transplant, chemotherapy, rehabilitation; a potentially planned procedure only with a
  known, non-acute principal diagnosis).
* ``is_acute_inpatient``: a class the ``encounter_classes`` table flags acute inpatient
  (Synthea ``inpatient``, v3 ``IMP``/``ACUTE``; not ``snf``, ``hospice``, ``NONAC``), and not
  a planned *rehabilitation* admission, which is a non-acute stay (HEDIS PCR counts
  rehabilitation among non-acute inpatient stays).
* ``is_emergency_admission`` (LACE 'A', "admitted through the emergency department"): an
  inpatient stay of a patient whose emergency-department visit (a class flagged
  ``is_emergency``) ends on the admission day and began no later than the admission.
  That ED visit is the stay's own and is not counted in LACE 'E'.
* ``is_transfer_out``: an inpatient stay with a NUBC discharge status the reference flags
  ``is_transfer_to_acute`` (02, 05, 66, 82, 85, 94), or followed by an acute inpatient
  admission at another facility on the discharge day or the day after.
* ``died_in_stay``: a NUBC status the reference flags ``is_death`` (20, 40-42), or, for an
  inpatient stay, a death date from the admission date to the discharge date.
* ``age_at_admit``: whole years on the admission date, over 89 as 90 (Safe Harbor).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from carelake.gold.dates import date_key
from carelake.gold.deidentify import safe_age
from carelake.gold.dimensions import diagnosis_key
from carelake.gold.reference import CPT, ICD10CM, PLANNED_REHABILITATION, SNOMED, nubc_code, planned_category
from carelake.gold.schemas import conform

TRANSFER_WINDOW_DAYS = 1


@dataclass(frozen=True)
class EncounterFacts:
    """``enriched``: fact_encounter's columns plus what the measures need: start_at,
    organization_id, is_inpatient, is_emergency_visit, is_admitting_ed_visit (an ED visit
    that ends on the admission day of an inpatient stay it began before), planned_category."""

    enriched: DataFrame

    def fact(self) -> DataFrame:
        return conform(self.enriched, "fact_encounter")


def encounter_diagnosis_key() -> Column:
    return diagnosis_key(F.col("reason_icd10cm_code"), F.col("reason_code"))


def _coding(system: str, code: Column) -> Column:
    return F.when(code.isNotNull(), F.struct(F.lit(system).alias("system"), code.alias("code")))


def planned_stays(stays: DataFrame, procedures: DataFrame) -> DataFrame:
    """encounter_id, planned_category for inpatient ``stays`` (reference helper per stay)."""
    codings = procedures.where(F.col("encounter_id").isNotNull()).select(
        "encounter_id",
        F.explode(F.array(_coding(SNOMED, F.col("snomed_code")), _coding(CPT, F.col("cpt_code")))).alias("c"),
    )
    by_stay = (
        codings.where(F.col("c").isNotNull())
        .groupBy("encounter_id")
        .agg(F.collect_set("c").alias("procedures"))
    )
    principal = F.coalesce(
        _coding(SNOMED, F.col("reason_code")), _coding(ICD10CM, F.col("reason_icd10cm_code"))
    )
    type_coding = _coding(SNOMED, F.col("encounter_type_code"))
    all_procedures = F.concat(
        F.coalesce(F.col("procedures"), F.array().cast("array<struct<system:string,code:string>>")),
        F.when(type_coding.isNotNull(), F.array(type_coding)).otherwise(
            F.array().cast("array<struct<system:string,code:string>>")
        ),
    )
    return (
        stays.select("encounter_id", "encounter_type_code", "reason_code", "reason_icd10cm_code")
        .join(by_stay, "encounter_id", "left")
        .select("encounter_id", planned_category(all_procedures, principal).alias("planned_category"))
    )


def encounter_facts(
    encounters: DataFrame,
    procedures: DataFrame,
    patients: DataFrame,
    diagnoses: DataFrame,
    class_flags: DataFrame,
    disposition_flags: DataFrame,
) -> EncounterFacts:
    """fact_encounter rows (see the module docstring for every flag).

    ``diagnoses`` is gold dim_diagnosis (for the CCSR category of the reason code);
    ``class_flags`` and ``disposition_flags`` come from carelake.gold.reference. The
    emergency link and the next acute stay are found with windows over each patient's
    encounters (no self-join, so the plan stays small for the measures built on it).
    """
    classes = class_flags.select(
        F.col("encounter_class").alias("_class"), "is_inpatient", F.col("is_acute_inpatient").alias("_acute_class"),
        F.col("is_emergency").alias("is_emergency_visit"),
    )  # fmt: skip
    dispositions = disposition_flags.select(
        F.col("disposition_code").alias("_nubc"), "is_transfer_to_acute", F.col("is_death").alias("_death_status")
    )  # fmt: skip
    people = patients.select(F.col("patient_key").alias("_person"), "birth_date", "death_date")
    base = (
        encounters.join(F.broadcast(classes), F.lower(F.trim("encounter_class")) == F.col("_class"), "left")
        .join(F.broadcast(dispositions), nubc_code(F.col("discharge_disposition_code")) == F.col("_nubc"), "left")
        .join(people, encounters["patient_key"] == F.col("_person"), "left")
        .withColumn("is_inpatient", F.coalesce("is_inpatient", F.lit(False)))
        .withColumn("is_emergency_visit", F.coalesce("is_emergency_visit", F.lit(False)))
    )  # fmt: skip
    planned = planned_stays(base.where("is_inpatient"), procedures)
    acute = F.coalesce("_acute_class", F.lit(False)) & (
        F.col("planned_category").isNull() | (F.col("planned_category") != PLANNED_REHABILITATION)
    )
    known_patient = F.col("patient_key").isNotNull()
    # An ED visit and the inpatient stay it led to share a "link day": the ED visit's end
    # date and the stay's admission date. Ordered by start time, an ED row at or before a
    # stay row of the same day links them.
    link_day = F.when(F.col("is_emergency_visit"), F.coalesce("discharge_date", "admit_date")).when(
        F.col("is_inpatient"), F.col("admit_date")
    )
    same_day = Window.partitionBy("patient_key", "_link_day").orderBy(F.col("start_at").asc_nulls_first())
    ed_before = F.max(F.col("is_emergency_visit").cast("int")).over(
        same_day.rangeBetween(Window.unboundedPreceding, Window.currentRow)
    )
    stay_after = F.max(F.col("is_inpatient").cast("int")).over(
        same_day.rangeBetween(Window.currentRow, Window.unboundedFollowing)
    )
    later = Window.partitionBy("patient_key").orderBy(F.col("start_at").asc_nulls_last(), "encounter_id")
    next_acute = F.first(
        F.when(F.col("is_acute_inpatient"), F.struct("admit_date", "organization_id")), ignorenulls=True
    ).over(later.rowsBetween(1, Window.unboundedFollowing))
    transfer_by_dates = F.col("_next_acute.admit_date").between(
        F.col("discharge_date"), F.date_add("discharge_date", TRANSFER_WINDOW_DAYS)
    ) & (F.col("_next_acute.organization_id") != F.col("organization_id"))
    death_in_dates = (
        F.col("is_inpatient")
        & F.col("death_date").isNotNull()
        & (F.col("death_date") >= F.col("admit_date"))
        & (F.col("death_date") <= F.coalesce("discharge_date", "death_date"))
    )
    diagnosis_categories = diagnoses.select(
        F.col("diagnosis_key").alias("_dx"), F.col("diagnosis_category").alias("_dx_cat")
    )
    classified = (
        base.join(planned, "encounter_id", "left")
        .withColumn("is_acute_inpatient", acute)
        .withColumn("is_planned", F.col("is_inpatient") & F.col("planned_category").isNotNull())
        .withColumn("_link_day", link_day)
        .select(
            "*",
            F.when(known_patient & F.col("_link_day").isNotNull(), ed_before).alias("_ed_before"),
            F.when(known_patient & F.col("_link_day").isNotNull(), stay_after).alias("_stay_after"),
            F.when(known_patient, next_acute).alias("_next_acute"),
            encounter_diagnosis_key().alias("diagnosis_key"),
        )
        .join(diagnosis_categories, F.col("diagnosis_key") == F.col("_dx"), "left")
    )
    enriched = classified.select(
        "encounter_id",
        "patient_key",
        "encounter_class",
        "admit_date",
        "discharge_date",
        date_key(F.col("admit_date")).alias("admit_date_key"),
        date_key(F.col("discharge_date")).alias("discharge_date_key"),
        "length_of_stay_days",
        safe_age(F.col("birth_date"), F.col("admit_date")).alias("age_at_admit"),
        "is_acute_inpatient",
        "is_planned",
        (F.col("is_inpatient") & F.coalesce(F.col("_ed_before") == 1, F.lit(False))).alias(
            "is_emergency_admission"
        ),
        (
            F.col("is_inpatient")
            & (F.coalesce("is_transfer_to_acute", F.lit(False)) | F.coalesce(transfer_by_dates, F.lit(False)))
        ).alias("is_transfer_out"),
        (F.coalesce("_death_status", F.lit(False)) | death_in_dates).alias("died_in_stay"),
        "discharge_disposition_code",
        "provider_key",
        F.col("organization_id").alias("location_key"),
        "payer_key",
        "diagnosis_key",
        F.col("_dx_cat").alias("diagnosis_category"),
        # for the measures (not in fact_encounter)
        "start_at",
        "organization_id",
        "is_inpatient",
        "is_emergency_visit",
        (F.col("is_emergency_visit") & F.coalesce(F.col("_stay_after") == 1, F.lit(False))).alias(
            "is_admitting_ed_visit"
        ),
        "planned_category",
    )
    return EncounterFacts(enriched)
