"""Where providers and treatments are: the city of the provider's practice.

Treatment records (DynamoDB) carry a city name but no ZIP, and the real fixture's records
spell one town two ways. silver.dim_organization holds each facility's city standardised by
its ZIP (carelake.silver.places), so a provider whose organization is known takes that
city and state, and so do the provider's treatments; anything else keeps its own city in
title case.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from carelake.silver.places import title_case_city


def provider_places(providers: DataFrame, organizations: DataFrame) -> DataFrame:
    """provider_key -> the city and state of its organization (providers with one that has a city)."""
    places = organizations.where(F.col("city").isNotNull()).select(
        "organization_id", F.col("city").alias("_place_city"), F.col("state").alias("_place_state")
    )
    return providers.join(places, "organization_id").select(
        F.col("provider_key").alias("_place_provider"), "_place_city", "_place_state"
    )


def with_provider_place(df: DataFrame, provider_column: str, places: DataFrame) -> DataFrame:
    """``df`` with ``city`` and ``state`` of its provider's organization where known, else its
    own city in title case and state in upper case. Columns and rows are unchanged otherwise."""
    columns = df.columns
    joined = df.join(F.broadcast(places), F.col(provider_column) == F.col("_place_provider"), "left")
    return (
        joined.withColumn("city", F.coalesce("_place_city", title_case_city(F.col("city"))))
        .withColumn("state", F.coalesce("_place_state", F.upper(F.trim(F.col("state")))))
        .select(*columns)
    )
