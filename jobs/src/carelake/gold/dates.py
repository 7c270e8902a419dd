"""Dates in gold: yyyymmdd date keys and dim_date."""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from carelake.gold.schemas import conform


def date_key(day: Column) -> Column:
    """A date as the int yyyymmdd (null stays null)."""
    return (F.year(day) * 10000 + F.month(day) * 100 + F.dayofmonth(day)).cast("int")


def year_month(day: Column) -> Column:
    """'YYYY-MM' (null stays null)."""
    return F.date_format(day, "yyyy-MM")


def _extreme(function, columns: list[Column]) -> Column:  # type: ignore[no-untyped-def]
    return columns[0] if len(columns) == 1 else function(*columns)


def dim_date(spark: SparkSession, facts: list[tuple[DataFrame, list[Column]]], as_of: date) -> DataFrame:
    """One row per calendar day from the earliest to the latest date the facts use (and as_of).

    ``facts``: (frame, its date columns), one aggregation per frame. The range is
    contiguous, so every date a fact uses (and every day between) has a row.
    """
    bounds = spark.range(1).select(F.lit(as_of).alias("lo"), F.lit(as_of).alias("hi"))
    for fact, columns in facts:
        n = range(len(columns))
        extremes = fact.agg(*(F.min(c).alias(f"lo{i}") for i, c in zip(n, columns, strict=True)),
                            *(F.max(c).alias(f"hi{i}") for i, c in zip(n, columns, strict=True)))  # fmt: skip
        bounds = bounds.unionByName(
            extremes.select(
                _extreme(F.least, [F.col(f"lo{i}") for i in n]).alias("lo"),
                _extreme(F.greatest, [F.col(f"hi{i}") for i in n]).alias("hi"),
            )
        )
    days = bounds.agg(F.min("lo").alias("lo"), F.max("hi").alias("hi")).select(
        F.explode(F.sequence("lo", "hi")).alias("date")
    )
    return conform(
        days.select(
            date_key(F.col("date")).alias("date_key"),
            "date",
            F.year("date").alias("year"),
            F.quarter("date").alias("quarter"),
            F.month("date").alias("month"),
            year_month(F.col("date")).alias("year_month"),
            F.date_format("date", "MMMM").alias("month_name"),
            F.dayofmonth("date").alias("day_of_month"),
            # dayofweek: 1 = Sunday .. 7 = Saturday  ->  ISO 1 = Monday .. 7 = Sunday
            (((F.dayofweek("date") + 5) % 7) + 1).alias("iso_day_of_week"),
            F.dayofweek("date").isin(1, 7).alias("is_weekend"),
        ),
        "dim_date",
    )
