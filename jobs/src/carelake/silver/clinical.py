"""Clinical facts: conditions, procedures, observations, medication requests, immunizations.

Grain (as the issue states it): patient + code + effective time. FHIR and the Synthea
CSV describe the same events, so both are conformed to that key (the tables' dedup_key in carelake.silver.tables) and
deduplicated latest-wins by carelake.silver.build; the CSV export has no resource ids,
which is why ids are not the key.
Observations with components (e.g. a blood-pressure panel) become one row per
component, as Synthea's CSV writes them.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.silver import fhir_schemas as S
from carelake.silver.common import fhir_timestamp, first_coding, local_date, reference_id

_LINEAGE = ("source", "meta_last_updated", "landed_at", "source_file", "source_line")


def _fhir(bronze: DataFrame, schema: str) -> DataFrame:
    return bronze.withColumn("r", F.from_json("resource_json", schema)).withColumn(
        "source", F.lit("ehr_fhir")
    )


def _csv(bronze: DataFrame) -> DataFrame:
    return bronze.withColumn("source", F.lit("ehr_csv")).withColumn(
        "meta_last_updated", F.lit(None).cast(T.TimestampType())
    )


def _ref(column: str) -> Column:
    return reference_id(F.col(column).getField("reference"))


# Each function returns candidate rows; carelake.silver.build deduplicates them on the registry's
# dedup_key of each table (carelake.silver.tables).


def conditions(fhir_condition: DataFrame, csv_conditions: DataFrame) -> DataFrame:
    fhir = _fhir(fhir_condition, S.CONDITION).select(
        F.col("resource_id").alias("source_id"),
        _ref("r.subject").alias("ehr_patient_id"),
        _ref("r.encounter").alias("encounter_id"),
        first_coding(F.col("r.code"), "code").alias("snomed_code"),
        first_coding(F.col("r.code"), "display").alias("snomed_display"),
        local_date(F.col("r.onsetDateTime")).alias("onset_date"),
        local_date(F.col("r.abatementDateTime")).alias("abatement_date"),
        first_coding(F.col("r.clinicalStatus"), "code").alias("clinical_status"),
        *_LINEAGE,
    )
    csv = _csv(csv_conditions).select(
        F.lit(None).cast("string").alias("source_id"),
        F.col("patient").alias("ehr_patient_id"),
        F.col("encounter").alias("encounter_id"),
        F.col("code").alias("snomed_code"),
        F.col("description").alias("snomed_display"),
        F.col("start").alias("onset_date"),
        F.col("stop").alias("abatement_date"),
        F.when(F.col("stop").isNull(), "active").otherwise("resolved").alias("clinical_status"),
        *_LINEAGE,
    )
    return fhir.unionByName(csv)


def procedures(fhir_procedure: DataFrame, csv_procedures: DataFrame) -> DataFrame:
    r = F.col("r")
    fhir = _fhir(fhir_procedure, S.PROCEDURE).select(
        F.col("resource_id").alias("source_id"),
        _ref("r.subject").alias("ehr_patient_id"),
        _ref("r.encounter").alias("encounter_id"),
        first_coding(r.getField("code"), "code").alias("snomed_code"),
        first_coding(r.getField("code"), "display").alias("snomed_display"),
        fhir_timestamp(
            F.coalesce(r.getField("performedPeriod").getField("start"), r.getField("performedDateTime"))
        ).alias("performed_at"),
        local_date(
            F.coalesce(r.getField("performedPeriod").getField("start"), r.getField("performedDateTime"))
        ).alias("performed_date"),
        fhir_timestamp(r.getField("performedPeriod").getField("end")).alias("performed_end_at"),
        first_coding(F.element_at(r.getField("reasonCode"), 1), "code").alias("reason_code"),
        F.lit(None).cast(T.DecimalType(14, 2)).alias("base_cost"),
        *_LINEAGE,
    )
    csv = _csv(csv_procedures).select(
        F.lit(None).cast("string").alias("source_id"),
        F.col("patient").alias("ehr_patient_id"),
        F.col("encounter").alias("encounter_id"),
        F.col("code").alias("snomed_code"),
        F.col("description").alias("snomed_display"),
        F.col("start").alias("performed_at"),
        F.to_date("start").alias("performed_date"),  # Synthea's CSV is UTC
        F.col("stop").alias("performed_end_at"),
        F.col("reasoncode").alias("reason_code"),
        F.col("base_cost").cast(T.DecimalType(14, 2)).alias("base_cost"),
        *_LINEAGE,
    )
    return fhir.unionByName(csv)


def _observation_value(holder: Column) -> list[Column]:
    return [
        holder.getField("valueQuantity").getField("value").alias("value_numeric"),
        F.coalesce(
            first_coding(holder.getField("valueCodeableConcept"), "display"),
            holder.getField("valueString"),
            holder.getField("valueBoolean").cast("string"),
        ).alias("value_text"),
        holder.getField("valueQuantity").getField("unit").alias("unit"),
    ]


def observations(fhir_observation: DataFrame, csv_observations: DataFrame) -> DataFrame:
    parsed = _fhir(fhir_observation, S.OBSERVATION).select(
        F.col("resource_id").alias("source_id"),
        _ref("r.subject").alias("ehr_patient_id"),
        _ref("r.encounter").alias("encounter_id"),
        first_coding(F.element_at("r.category", 1), "code").alias("category"),
        fhir_timestamp(F.coalesce("r.effectiveDateTime", "r.effectiveInstant")).alias("effective_at"),
        local_date(F.coalesce("r.effectiveDateTime", "r.effectiveInstant")).alias("effective_date"),
        "r",
        *_LINEAGE,
    )
    common = [
        "source_id",
        "ehr_patient_id",
        "encounter_id",
        "category",
        "effective_at",
        "effective_date",
        *_LINEAGE,
    ]
    single = parsed.where(F.coalesce(F.size("r.component"), F.lit(0)) <= 0).select(
        *common,
        first_coding(F.col("r.code"), "code").alias("loinc_code"),
        first_coding(F.col("r.code"), "display").alias("loinc_display"),
        *_observation_value(F.col("r")),
    )
    components = (
        parsed.where(F.size("r.component") > 0)
        .select(*common, F.explode("r.component").alias("c"))
        .select(
            *common,
            first_coding(F.col("c.code"), "code").alias("loinc_code"),
            first_coding(F.col("c.code"), "display").alias("loinc_display"),
            *_observation_value(F.col("c")),
        )
    )
    csv = _csv(csv_observations).select(
        F.lit(None).cast("string").alias("source_id"),
        F.col("patient").alias("ehr_patient_id"),
        F.col("encounter").alias("encounter_id"),
        "category",
        F.col("date").alias("effective_at"),
        F.to_date("date").alias("effective_date"),
        *_LINEAGE,
        F.col("code").alias("loinc_code"),
        F.col("description").alias("loinc_display"),
        F.when(F.col("type") == "numeric", F.col("value").cast("double")).alias("value_numeric"),
        F.when(F.col("type") != "numeric", F.col("value")).alias("value_text"),
        F.col("units").alias("unit"),
    )
    return single.unionByName(components).unionByName(csv)


def medication_requests(
    fhir_request: DataFrame, fhir_medication: DataFrame, csv_medications: DataFrame
) -> DataFrame:
    """RxNorm code from medicationCodeableConcept, or from the Medication a medicationReference points at."""
    medication_codes = fhir_medication.withColumn("r", F.from_json("resource_json", S.MEDICATION)).select(
        F.col("resource_id").alias("_medication_id"),
        first_coding(F.col("r.code"), "code").alias("_ref_code"),
        first_coding(F.col("r.code"), "display").alias("_ref_display"),
    )
    medication_codes = medication_codes.dropDuplicates(["_medication_id"])
    parsed = _fhir(fhir_request, S.MEDICATION_REQUEST).withColumn(
        "_medication_id", _ref("r.medicationReference")
    )
    fhir = parsed.join(medication_codes, "_medication_id", "left").select(
        F.col("resource_id").alias("source_id"),
        _ref("r.subject").alias("ehr_patient_id"),
        _ref("r.encounter").alias("encounter_id"),
        F.coalesce(first_coding(F.col("r.medicationCodeableConcept"), "code"), "_ref_code").alias(
            "rxnorm_code"
        ),
        F.coalesce(first_coding(F.col("r.medicationCodeableConcept"), "display"), "_ref_display").alias(
            "rxnorm_display"
        ),
        fhir_timestamp(F.col("r.authoredOn")).alias("authored_at"),
        local_date(F.col("r.authoredOn")).alias("authored_date"),
        F.col("r.status").alias("status"),
        F.lit(None).cast(T.DecimalType(14, 2)).alias("total_cost"),
        F.lit(None).cast("string").alias("payer_id"),
        *_LINEAGE,
    )
    csv = _csv(csv_medications).select(
        F.lit(None).cast("string").alias("source_id"),
        F.col("patient").alias("ehr_patient_id"),
        F.col("encounter").alias("encounter_id"),
        F.col("code").alias("rxnorm_code"),
        F.col("description").alias("rxnorm_display"),
        F.col("start").alias("authored_at"),
        F.to_date("start").alias("authored_date"),
        F.when(F.col("stop").isNull(), "active").otherwise("stopped").alias("status"),
        F.col("totalcost").cast(T.DecimalType(14, 2)).alias("total_cost"),
        F.col("payer").alias("payer_id"),
        *_LINEAGE,
    )
    return fhir.unionByName(csv)


def immunizations(fhir_immunization: DataFrame, csv_immunizations: DataFrame) -> DataFrame:
    fhir = _fhir(fhir_immunization, S.IMMUNIZATION).select(
        F.col("resource_id").alias("source_id"),
        _ref("r.patient").alias("ehr_patient_id"),
        _ref("r.encounter").alias("encounter_id"),
        first_coding(F.col("r.vaccineCode"), "code").alias("cvx_code"),
        first_coding(F.col("r.vaccineCode"), "display").alias("cvx_display"),
        fhir_timestamp(F.col("r.occurrenceDateTime")).alias("administered_at"),
        local_date(F.col("r.occurrenceDateTime")).alias("administered_date"),
        F.lit(None).cast(T.DecimalType(14, 2)).alias("base_cost"),
        *_LINEAGE,
    )
    csv = _csv(csv_immunizations).select(
        F.lit(None).cast("string").alias("source_id"),
        F.col("patient").alias("ehr_patient_id"),
        F.col("encounter").alias("encounter_id"),
        F.col("code").alias("cvx_code"),
        F.col("description").alias("cvx_display"),
        F.col("date").alias("administered_at"),
        F.to_date("date").alias("administered_date"),
        F.col("base_cost").cast(T.DecimalType(14, 2)).alias("base_cost"),
        *_LINEAGE,
    )
    return fhir.unionByName(csv)
