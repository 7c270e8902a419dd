"""fct_encounter: one row per encounter, from FHIR Encounter and Synthea encounters.csv.

FHIR codes wellness, ambulatory and urgent-care visits all as class AMB; only the
encounter type tells them apart, as Synthea's CSV ENCOUNTERCLASS does. Admission and
discharge dates are the calendar dates as recorded (FHIR keeps the facility's UTC
offset; Synthea's CSV writes UTC), so a late-evening admission is not moved to the next
day; length of stay follows HCUP: discharge date minus admission date, same day = 0.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.silver import fhir_schemas as S
from carelake.silver.common import (
    NPI_SYSTEM,
    SYNTHEA_SYSTEM,
    conditional_identifier,
    fhir_timestamp,
    first_coding,
    local_date,
    reference_id,
)

# Synthea's Encounter.type codes for the AMB visits that are not plain ambulatory ones
# (checked against the Synthea CSV export, which states the class).
WELLNESS_TYPE_CODES = ("162673000", "410620009", "308646001")
URGENT_CARE_TYPE_CODES = ("702927004",)
CLASS_BY_ACT_CODE = {
    "IMP": "inpatient",
    "EMER": "emergency",
    "HH": "home",
    "VR": "virtual",
    "SS": "outpatient",
}

ENCOUNTER_COLUMNS = (
    "encounter_id", "ehr_patient_id", "encounter_class", "encounter_type_code", "encounter_type_display",
    "start_at", "end_at", "admit_date", "discharge_date", "length_of_stay_days", "discharge_disposition_code",
    "discharge_disposition_display", "provider_npi", "provider_id", "provider_display", "organization_id",
    "organization_display", "location_id", "location_display", "payer_id", "reason_code", "reason_display",
    "reason_codes", "source", "meta_last_updated", "landed_at", "source_file",
)  # fmt: skip


def encounter_class(act_code: Column, type_code: Column) -> Column:
    """carelake's encounter class from FHIR class (v3 ActCode) and type (SNOMED) columns."""
    by_act = F.create_map(*(F.lit(x) for pair in CLASS_BY_ACT_CODE.items() for x in pair))
    return (
        F.when((act_code == "AMB") & type_code.isin(*WELLNESS_TYPE_CODES), "wellness")
        .when((act_code == "AMB") & type_code.isin(*URGENT_CARE_TYPE_CODES), "urgentcare")
        .when(act_code == "AMB", "ambulatory")
        .otherwise(F.coalesce(by_act[act_code], F.lower(act_code)))
    )


def fhir_encounters(bronze_encounter: DataFrame) -> DataFrame:
    r = F.col("r")
    encounter_type = F.element_at(r.getField("type"), 1)
    individual = F.element_at(r.getField("participant"), 1).getField("individual")
    location = F.element_at(r.getField("location"), 1).getField("location")
    reason = F.element_at(r.getField("reasonCode"), 1)
    disposition = r.getField("hospitalization").getField("dischargeDisposition")
    start, end = r.getField("period").getField("start"), r.getField("period").getField("end")
    return bronze_encounter.withColumn("r", F.from_json("resource_json", S.ENCOUNTER)).select(
        F.col("resource_id").alias("encounter_id"),
        reference_id(r.getField("subject").getField("reference")).alias("ehr_patient_id"),
        encounter_class(r.getField("class").getField("code"), first_coding(encounter_type, "code")).alias(
            "encounter_class"
        ),
        first_coding(encounter_type, "code").alias("encounter_type_code"),
        first_coding(encounter_type, "display").alias("encounter_type_display"),
        fhir_timestamp(start).alias("start_at"),
        fhir_timestamp(end).alias("end_at"),
        local_date(start).alias("admit_date"),
        local_date(end).alias("discharge_date"),
        first_coding(disposition, "code").alias("discharge_disposition_code"),
        first_coding(disposition, "display").alias("discharge_disposition_display"),
        conditional_identifier(individual.getField("reference"), "Practitioner", NPI_SYSTEM).alias(
            "provider_npi"
        ),
        F.lit(None).cast("string").alias("provider_id"),
        individual.getField("display").alias("provider_display"),
        F.coalesce(
            conditional_identifier(
                r.getField("serviceProvider").getField("reference"), "Organization", SYNTHEA_SYSTEM
            ),
            reference_id(r.getField("serviceProvider").getField("reference")),
        ).alias("organization_id"),
        r.getField("serviceProvider").getField("display").alias("organization_display"),
        F.coalesce(
            conditional_identifier(location.getField("reference"), "Location", SYNTHEA_SYSTEM),
            reference_id(location.getField("reference")),
        ).alias("location_id"),
        location.getField("display").alias("location_display"),
        F.lit(None).cast("string").alias("payer_id"),
        first_coding(reason, "code").alias("reason_code"),
        first_coding(reason, "display").alias("reason_display"),
        F.coalesce(
            F.transform(r.getField("reasonCode"), lambda c: first_coding(c, "code")),
            F.array().cast("array<string>"),
        ).alias("reason_codes"),
        F.lit("ehr_fhir").alias("source"),
        "meta_last_updated",
        "landed_at",
        "source_file",
    )


def csv_encounters(bronze_csv_encounters: DataFrame) -> DataFrame:
    return bronze_csv_encounters.select(
        F.col("id").alias("encounter_id"),
        F.col("patient").alias("ehr_patient_id"),
        F.lower("encounterclass").alias("encounter_class"),
        F.col("code").alias("encounter_type_code"),
        F.col("description").alias("encounter_type_display"),
        F.col("start").alias("start_at"),
        F.col("stop").alias("end_at"),
        F.to_date("start").alias("admit_date"),
        F.to_date("stop").alias("discharge_date"),
        F.lit(None).cast("string").alias("discharge_disposition_code"),
        F.lit(None).cast("string").alias("discharge_disposition_display"),
        F.lit(None).cast("string").alias("provider_npi"),
        F.col("provider").alias("provider_id"),
        F.lit(None).cast("string").alias("provider_display"),
        F.col("organization").alias("organization_id"),
        F.lit(None).cast("string").alias("organization_display"),
        F.lit(None).cast("string").alias("location_id"),
        F.lit(None).cast("string").alias("location_display"),
        F.col("payer").alias("payer_id"),
        F.col("reasoncode").alias("reason_code"),
        F.col("reasondescription").alias("reason_display"),
        F.when(F.col("reasoncode").isNotNull(), F.array("reasoncode"))
        .otherwise(F.array().cast(T.ArrayType(T.StringType())))
        .alias("reason_codes"),
        F.lit("ehr_csv").alias("source"),
        F.lit(None).cast(T.TimestampType()).alias("meta_last_updated"),
        "landed_at",
        "source_file",
    )


def encounter_candidates(fhir: DataFrame, csv: DataFrame) -> DataFrame:
    """Every version of every encounter, with HCUP length of stay (build dedups on encounter_id)."""
    both = fhir.unionByName(csv)
    return both.withColumn("length_of_stay_days", F.datediff("discharge_date", "admit_date")).select(
        *ENCOUNTER_COLUMNS
    )
