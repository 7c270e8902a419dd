"""Silver dimensions: provider, organization, location, payer.

Sources are the FHIR directory resources (Practitioner, Organization, Location), the
Synthea CSV export (providers, organizations, payers) and, for payers, the names FHIR
claims carry. A reference to a provider, organization or location that no source
describes still gets a dimension row, built from the reference's display and flagged
``is_inferred`` (the usual late-arriving-dimension pattern), so every fact keeps its key
and the run reports how many were inferred.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from carelake.silver import fhir_schemas as S
from carelake.silver.common import (
    NPI_SYSTEM,
    SYNTHEA_SYSTEM,
    conditional_identifier,
    latest_wins,
    newest_first,
    reference_id,
)


def zip5(raw: Column) -> Column:
    """A 5-digit ZIP: ZIP+4 cut to 5; 3-4 digits left-padded (Synthea drops leading zeros: 1060 -> 01060)."""
    digits = F.regexp_replace(F.split(raw, "-").getItem(0), r"[^0-9]", "")
    return F.when(F.length(digits).between(3, 5), F.lpad(digits, 5, "0"))


def _identifier(identifiers: Column, system: str) -> Column:
    return F.element_at(F.filter(identifiers, lambda i: i.getField("system") == system), 1).getField("value")


def _parsed(bronze: DataFrame, schema: str) -> DataFrame:
    return bronze.withColumn("r", F.from_json("resource_json", schema))


def practitioners(bronze_practitioner: DataFrame, csv_providers: DataFrame) -> DataFrame:
    """One row per provider id: NPI (FHIR), name, specialty, organization (CSV), city, state."""
    fhir = latest_wins(_parsed(bronze_practitioner, S.PRACTITIONER), ["resource_id"], newest_first()).select(
        F.col("resource_id").alias("provider_id"),
        _identifier(F.col("r.identifier"), NPI_SYSTEM).alias("npi"),
        F.concat_ws(
            " ",
            F.element_at("r.name", 1).getField("prefix").getItem(0),
            F.element_at("r.name", 1).getField("given").getItem(0),
            F.element_at("r.name", 1).getField("family"),
        ).alias("provider_name"),
        F.upper(F.element_at("r.qualification", 1).getField("code").getField("text")).alias("specialty"),
        F.element_at("r.address", 1).getField("city").alias("city"),
        F.element_at("r.address", 1).getField("state").alias("state"),
    )
    csv = latest_wins(
        csv_providers,
        ["id"],
        [F.col("landed_at").desc_nulls_last(), F.col("source_file").desc(), F.col("source_line")],
    ).select(
        F.col("id").alias("provider_id"),
        F.col("name").alias("provider_name"),
        F.upper("speciality").alias("specialty"),
        F.col("organization").alias("organization_id"),
        "city",
        "state",
    )
    joined = fhir.alias("f").join(csv.alias("c"), "provider_id", "full")
    return joined.select(
        "provider_id",
        F.col("f.npi").alias("npi"),
        *(F.coalesce(f"f.{c}", f"c.{c}").alias(c) for c in ("provider_name", "specialty", "city", "state")),
        F.col("c.organization_id").alias("organization_id"),
    )


def organizations(bronze_organization: DataFrame, csv_organizations: DataFrame) -> DataFrame:
    fhir = latest_wins(_parsed(bronze_organization, S.ORGANIZATION), ["resource_id"], newest_first()).select(
        F.coalesce(_identifier(F.col("r.identifier"), SYNTHEA_SYSTEM), "resource_id").alias(
            "organization_id"
        ),
        F.col("r.name").alias("organization_name"),
        F.element_at("r.address", 1).getField("city").alias("city"),
        F.element_at("r.address", 1).getField("state").alias("state"),
        zip5(F.element_at("r.address", 1).getField("postalCode")).alias("zip5"),
    )
    csv = latest_wins(
        csv_organizations,
        ["id"],
        [F.col("landed_at").desc_nulls_last(), F.col("source_file").desc(), F.col("source_line")],
    ).select(
        F.col("id").alias("organization_id"),
        F.col("name").alias("organization_name"),
        "city",
        "state",
        zip5(F.col("zip")).alias("zip5"),
    )
    joined = fhir.alias("f").join(csv.alias("c"), "organization_id", "full")
    return joined.select(
        "organization_id",
        *(F.coalesce(f"f.{c}", f"c.{c}").alias(c) for c in ("organization_name", "city", "state", "zip5")),
    )


def locations(bronze_location: DataFrame) -> DataFrame:
    return latest_wins(_parsed(bronze_location, S.LOCATION), ["resource_id"], newest_first()).select(
        F.coalesce(_identifier(F.col("r.identifier"), SYNTHEA_SYSTEM), "resource_id").alias("location_id"),
        F.col("r.name").alias("location_name"),
        F.coalesce(
            reference_id(F.col("r.managingOrganization.reference")),
            conditional_identifier(F.col("r.managingOrganization.reference"), "Organization", SYNTHEA_SYSTEM),
        ).alias("organization_id"),
        F.col("r.address.city").alias("city"),
        F.col("r.address.state").alias("state"),
        zip5(F.col("r.address.postalCode")).alias("zip5"),
        F.col("r.position.latitude").alias("latitude"),
        F.col("r.position.longitude").alias("longitude"),
    )


def payer_key(name: Column) -> Column:
    """A payer's key from its name, the one thing every source carries: 'Blue Cross Blue Shield' -> 'blue_cross_blue_shield'."""
    return F.regexp_replace(F.regexp_replace(F.lower(name), r"[^a-z0-9]+", "_"), r"^_+|_+$", "")


def payer_type(name: Column) -> Column:
    """medicare, medicaid, self_pay or private, from the payer's name as Synthea writes it."""
    lowered = F.lower(name)
    return (
        F.when(lowered.contains("medicare") | lowered.contains("dual eligible"), "medicare")
        .when(lowered.contains("medicaid"), "medicaid")
        .when(lowered.isin("no_insurance", "no insurance", "self pay", "self-pay"), "self_pay")
        .otherwise("private")
    )


def payers(csv_payers: DataFrame, fhir_payer_names: DataFrame) -> DataFrame:
    """One row per payer key; ``fhir_payer_names`` has one column, payer_name."""
    csv = latest_wins(
        csv_payers,
        ["id"],
        [F.col("landed_at").desc_nulls_last(), F.col("source_file").desc(), F.col("source_line")],
    ).select(
        F.col("id").alias("payer_id"),
        F.col("name").alias("payer_name"),
        F.col("state_headquartered").alias("state"),
    )
    names = fhir_payer_names.where(F.col("payer_name").isNotNull()).select(
        F.lit(None).cast("string").alias("payer_id"), "payer_name", F.lit(None).cast("string").alias("state")
    )
    keyed = csv.unionByName(names).withColumn("payer_key", payer_key(F.col("payer_name")))
    return keyed.groupBy("payer_key").agg(
        F.min("payer_id").alias("payer_id"),  # CSV id when known (Synthea payer names are unique)
        F.min("payer_name").alias("payer_name"),
        F.min("state").alias("state"),
        payer_type(F.min("payer_name")).alias("payer_type"),
    )


def with_inferred(dimension: DataFrame, key: str, referenced: DataFrame, name_column: str) -> DataFrame:
    """Add an ``is_inferred`` row for every key the facts reference but no source describes.

    ``referenced`` has the key column and ``display``; its name comes from the display.
    """
    known = dimension.select(key)
    missing = (
        referenced.where(F.col(key).isNotNull())
        .join(known, key, "left_anti")
        .groupBy(key)
        .agg(F.min("display").alias(name_column))
    )
    filled = missing
    for field in dimension.schema.fields:
        if field.name not in (key, name_column):
            filled = filled.withColumn(field.name, F.lit(None).cast(field.dataType))
    return dimension.withColumn("is_inferred", F.lit(False)).unionByName(
        filled.withColumn("is_inferred", F.lit(True))
    )
