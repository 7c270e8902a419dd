"""Building blocks shared by the silver transforms: latest-wins deduplication, FHIR reference
parsing, dates."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
SYNTHEA_SYSTEM = "https://github.com/synthetichealth/synthea"


def latest_wins(df: DataFrame, keys: Sequence[str], order: Sequence[Column]) -> DataFrame:
    """One row per key: the first by ``order`` (callers pass newest-first orderings).

    ``order`` must end in columns that make it total (source file and position), so the
    winner never depends on how Spark partitioned the input.
    """
    ranked = df.withColumn("_rank", F.row_number().over(Window.partitionBy(*keys).orderBy(*order)))
    return ranked.where(F.col("_rank") == 1).drop("_rank")


def newest_first(*extra: Column) -> list[Column]:
    """meta.lastUpdated, then landing time, then source file and position: newest first."""
    return [
        F.col("meta_last_updated").desc_nulls_last(),
        F.col("landed_at").desc_nulls_last(),
        F.col("source_file").desc_nulls_last(),
        *extra,
    ]


def reference_id(reference: Column) -> Column:
    """The id a literal reference points at: ``urn:uuid:<id>`` or ``<Type>/<id>`` -> id.

    Synthea's bundles use the resource id as the entry's fullUrl uuid, so within a bundle
    ``urn:uuid:<id>`` is the referenced resource's id; callers check that the target
    exists and report it as unresolved when it does not.
    """
    return (
        F.when(reference.startswith("urn:uuid:"), F.substring_index(reference, ":", -1))
        .when(reference.rlike(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$"), F.substring_index(reference, "/", -1))
        .otherwise(F.lit(None).cast("string"))
    )


def conditional_identifier(reference: Column, resource_type: str, system: str) -> Column:
    """The identifier value of ``<Type>?identifier=<system>|<value>``, else null."""
    prefix = f"{resource_type}?identifier={system}|"
    return F.when(reference.startswith(prefix), F.substring_index(reference, "|", -1))


def local_date(fhir_datetime: Column) -> Column:
    """The calendar date as written (a FHIR dateTime's own local date, or a Synthea CSV UTC date)."""
    return F.to_date(F.substring(fhir_datetime, 1, 10), "yyyy-MM-dd")


def fhir_timestamp(fhir_datetime: Column) -> Column:
    """A FHIR date/dateTime/instant string as a UTC timestamp (dates at midnight UTC)."""
    return F.coalesce(
        F.to_timestamp(fhir_datetime, "yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXX"),
        F.to_timestamp(fhir_datetime, "yyyy-MM-dd"),
        F.to_timestamp(fhir_datetime, "yyyy-MM"),
        F.to_timestamp(fhir_datetime, "yyyy"),
    )


def first_coding(concept: Column, field: str) -> Column:
    """``concept.coding[0].<field>`` of a CodeableConcept struct column."""
    return F.element_at(concept.getField("coding"), 1).getField(field)


def money(value: Column) -> Column:
    return value.cast(T.DecimalType(14, 2))
