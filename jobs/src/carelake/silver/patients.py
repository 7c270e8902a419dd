"""EHR patients from FHIR and Synthea CSV, conformed to one shape and deduplicated.

The result feeds two things: the identity records the master patient index matches on
(names, SSN, birth date, ZIP: they stay inside the job) and dim_patient, which keeps
only what its grain needs (no names, SSN, street address or phone).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.silver import fhir_schemas as S
from carelake.silver.common import latest_wins, local_date, newest_first
from carelake.silver.dimensions import zip5

# OMB race and ethnicity codes (us-core extensions) -> the words Synthea's CSV uses.
RACE_BY_OMB_CODE = {
    "2106-3": "white",
    "2054-5": "black",
    "2028-9": "asian",
    "1002-5": "native",
    "2076-8": "hawaiian",
    "2131-1": "other",
}
ETHNICITY_BY_OMB_CODE = {"2135-2": "hispanic", "2186-5": "nonhispanic"}
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"

PATIENT_COLUMNS = (
    "ehr_patient_id", "mrn", "ssn", "first_name", "last_name", "gender", "birth_date", "death_date", "race",
    "ethnicity", "marital_status", "address_line", "city", "state", "zip5", "source", "meta_last_updated",
    "landed_at", "source_file",
)  # fmt: skip


def _identifier_of_type(identifiers: Column, type_code: str) -> Column:
    matching = F.filter(
        identifiers,
        lambda i: F.element_at(i.getField("type").getField("coding"), 1).getField("code") == type_code,
    )
    return F.element_at(matching, 1).getField("value")


def _omb(extensions: Column, url: str, mapping: dict[str, str]) -> Column:
    extension = F.element_at(F.filter(extensions, lambda e: e.getField("url") == US_CORE + url), 1)
    category = F.element_at(
        F.filter(extension.getField("extension"), lambda e: e.getField("url") == "ombCategory"), 1
    ).getField("valueCoding")
    lookup = F.create_map(*(F.lit(x) for pair in mapping.items() for x in pair))
    return lookup[category.getField("code")]


def _gender(value: Column) -> Column:
    lowered = F.lower(value)
    return (
        F.when(lowered.isin("male", "m"), "M")
        .when(lowered.isin("female", "f"), "F")
        .when(value.isNotNull(), "U")
    )


def fhir_patients(bronze_patient: DataFrame) -> DataFrame:
    r = F.col("r")
    official = F.coalesce(
        F.element_at(F.filter(r.getField("name"), lambda n: n.getField("use") == "official"), 1),
        F.element_at(r.getField("name"), 1),
    )
    address = F.element_at(r.getField("address"), 1)
    return bronze_patient.withColumn("r", F.from_json("resource_json", S.PATIENT)).select(
        F.col("resource_id").alias("ehr_patient_id"),
        _identifier_of_type(r.getField("identifier"), "MR").alias("mrn"),
        _identifier_of_type(r.getField("identifier"), "SS").alias("ssn"),
        official.getField("given").getItem(0).alias("first_name"),
        official.getField("family").alias("last_name"),
        _gender(r.getField("gender")).alias("gender"),
        F.to_date(r.getField("birthDate")).alias("birth_date"),
        local_date(r.getField("deceasedDateTime")).alias("death_date"),
        _omb(r.getField("extension"), "us-core-race", RACE_BY_OMB_CODE).alias("race"),
        _omb(r.getField("extension"), "us-core-ethnicity", ETHNICITY_BY_OMB_CODE).alias("ethnicity"),
        F.element_at(r.getField("maritalStatus").getField("coding"), 1)
        .getField("code")
        .alias("marital_status"),
        F.concat_ws(" ", address.getField("line")).alias("address_line"),
        address.getField("city").alias("city"),
        address.getField("state").alias("state"),
        zip5(address.getField("postalCode")).alias("zip5"),
        F.lit("ehr_fhir").alias("source"),
        "meta_last_updated",
        "landed_at",
        "source_file",
    )


def csv_patients(bronze_csv_patients: DataFrame) -> DataFrame:
    return bronze_csv_patients.select(
        F.col("id").alias("ehr_patient_id"),
        F.col("id").alias("mrn"),  # Synthea's MR identifier is the patient id
        "ssn",
        F.col("first").alias("first_name"),
        F.col("last").alias("last_name"),
        _gender(F.col("gender")).alias("gender"),
        F.col("birthdate").alias("birth_date"),
        F.col("deathdate").alias("death_date"),
        F.lower("race").alias("race"),
        F.lower("ethnicity").alias("ethnicity"),
        F.col("marital").alias("marital_status"),
        F.col("address").alias("address_line"),
        "city",
        "state",
        zip5(F.col("zip")).alias("zip5"),
        F.lit("ehr_csv").alias("source"),
        F.lit(None).cast(T.TimestampType()).alias("meta_last_updated"),
        "landed_at",
        "source_file",
    )


def ehr_patients(fhir: DataFrame, csv: DataFrame) -> DataFrame:
    """One row per EHR patient id, latest version wins (FHIR and CSV share Synthea's ids)."""
    return latest_wins(patient_candidates(fhir, csv), ["ehr_patient_id"], newest_first(F.col("source")))


def patient_candidates(fhir: DataFrame, csv: DataFrame) -> DataFrame:
    return fhir.unionByName(csv)
