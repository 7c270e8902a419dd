"""One place, one name: a facility's city and state standardised by its ZIP Code.

Sources spell the same town several ways (the real Synthea fixture has PITTSFIELD and
PITTSFILED at ZIP 01201, S YARMOUTH, NORTH ATTLEBORO, villages such as CEDARVILLE and
EAST HARWICH). The reference table ``zip_places`` (docs/reference-data.md) gives each ZIP
its city or town; a row whose ZIP the table knows takes that city and state, any other row
keeps its own city in title case (``WORCESTER`` -> ``Worcester``), so geographic tables
group one place as one row.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

PLACE_SCHEMA = T.StructType(
    [
        T.StructField("_place_zip5", T.StringType(), False),
        T.StructField("_place_city", T.StringType(), False),
        T.StructField("_place_state", T.StringType(), False),
    ]
)


def zip_places(spark: SparkSession) -> DataFrame:
    """The reference table ``zip_places`` as a small frame (broadcast in joins)."""
    from carelake import reference

    rows = [(r["zip5"], r["city"], r["state"]) for r in reference.load("zip_places")]
    return spark.createDataFrame(rows, PLACE_SCHEMA)


def title_case_city(city: Column) -> Column:
    """A city as written, tidied: trimmed, single spaces, title case (``S  YARMOUTH`` -> ``S Yarmouth``)."""
    return F.initcap(F.regexp_replace(F.trim(city), r"\s+", " "))


def with_standard_place(df: DataFrame, places: DataFrame, zip_column: str = "zip5") -> DataFrame:
    """``df`` with ``city`` and ``state`` from ``places`` where its ZIP is known there, else its
    own city in title case and state in upper case. Columns and rows are unchanged otherwise."""
    columns = df.columns
    joined = df.join(F.broadcast(places), F.col(zip_column) == F.col("_place_zip5"), "left")
    own_city = F.initcap(F.regexp_replace(F.trim(F.col("city")), r"\s+", " "))
    return (
        joined.withColumn("city", F.coalesce("_place_city", own_city))
        .withColumn("state", F.coalesce("_place_state", F.upper(F.trim(F.col("state")))))
        .select(*columns)
    )
