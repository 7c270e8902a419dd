"""fact_treatment and the seven provider/treatment tables (docs/measures/provider-treatments.md).

Definitions shared by every table:

* a treatment is one fact_treatment row (one treatment_id, its latest version);
* ``successes`` = outcome ``success``; ``completed`` = ``success`` + ``failure``;
  ``success_rate`` = successes / completed (treatments still ``in_progress`` have no outcome
  yet, docs/data-contracts.md); null when nothing is completed;
* providers are keyed by NPI (``provider_key``, as in dim_provider); treatments without an
  NPI count in the month, place and type tables but in no provider table;
* a provider's name and specialty are those of its latest treatment record (treatment
  date, then treatment_id);
* ranks are ``dense_rank`` (ties share a rank, the next rank follows on: 1, 1, 2); list
  them ordered by rank, then provider_key.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from carelake.gold.dates import date_key, year_month
from carelake.gold.dimensions import treatment_type_key
from carelake.gold.schemas import conform

SUCCESS, FAILURE = "success", "failure"
MIN_COMPLETED_FOR_RANK = 5


def patient_keys_by_mrn(patients: DataFrame) -> DataFrame:
    """mrn -> patient_key, one row per MRN (an EHR person first, then the smallest key)."""
    ranked = patients.where(F.col("mrn").isNotNull()).withColumn(
        "_n",
        F.row_number().over(
            Window.partitionBy("mrn").orderBy(F.col("ehr_patient_id").isNull(), F.col("patient_key"))
        ),
    )
    return ranked.where(F.col("_n") == 1).select(F.col("mrn").alias("_mrn"), F.col("patient_key"))


def fact_treatment(treatments: DataFrame, patients: DataFrame, treatment_types: DataFrame) -> DataFrame:
    """One row per treatment; patient_key from the MRN (null when it matches no patient),
    provider_key = the NPI, treatment_type as dim_treatment_type spells it."""
    keys = patient_keys_by_mrn(patients)
    types = treatment_types.select(
        F.col("treatment_type_key").alias("_type_key"), F.col("treatment_type").alias("_type")
    )
    joined = (
        treatments.join(keys, treatments["patient_id"] == keys["_mrn"], "left")
        .withColumn("treatment_type_key", treatment_type_key(F.col("treatment_type")))
        .join(F.broadcast(types), F.col("treatment_type_key") == F.col("_type_key"), "left")
    )
    return conform(
        joined.select(
            "treatment_id",
            "patient_key",
            F.col("provider_npi").alias("provider_key"),
            "provider_name",
            "specialty",
            "city",
            "state",
            "disease",
            "treatment_type_key",
            F.coalesce("_type", "treatment_type").alias("treatment_type"),
            "outcome_status",
            (F.col("outcome_status") == SUCCESS).alias("is_success"),
            "cost",
            "treatment_date",
            date_key(F.col("treatment_date")).alias("treatment_date_key"),
        ),
        "fact_treatment",
    )


def _outcomes() -> list[Column]:
    successes = F.count(F.when(F.col("outcome_status") == SUCCESS, 1))
    completed = F.count(F.when(F.col("outcome_status").isin(SUCCESS, FAILURE), 1))
    return [successes.alias("successes"), completed.alias("completed")]


def _rate() -> Column:
    return F.when(F.col("completed") > 0, F.col("successes") / F.col("completed")).alias("success_rate")


def _by_provider(fact: DataFrame) -> DataFrame:
    """provider_key, provider_name, specialty (latest record), treatments, successes, completed."""
    latest = F.struct(F.col("treatment_date"), F.col("treatment_id"))
    return (
        fact.where(F.col("provider_key").isNotNull())
        .groupBy("provider_key")
        .agg(
            F.max_by("provider_name", latest).alias("provider_name"),
            F.max_by("specialty", latest).alias("specialty"),
            F.count("*").alias("treatments"),
            *_outcomes(),
        )
    )


def provider_treatment_rank(fact: DataFrame) -> DataFrame:
    """Providers ranked by total treatments (most first; dense_rank)."""
    ranked = _by_provider(fact).select(
        "provider_key",
        "provider_name",
        "specialty",
        F.col("treatments").alias("total_treatments"),
        F.dense_rank().over(Window.orderBy(F.col("treatments").desc())).alias("rank_by_treatments"),
    )
    return conform(ranked, "provider_treatment_rank")


def provider_success_rank(fact: DataFrame) -> DataFrame:
    """Providers with at least MIN_COMPLETED_FOR_RANK completed treatments, ranked by
    success rate (highest first; dense_rank)."""
    eligible = (
        _by_provider(fact)
        .where(F.col("completed") >= MIN_COMPLETED_FOR_RANK)
        .withColumn("success_rate", _rate())
    )
    ranked = eligible.withColumn(
        "rank_by_success_rate", F.dense_rank().over(Window.orderBy(F.col("success_rate").desc()))
    )
    return conform(ranked, "provider_success_rank")


def provider_success_rate(fact: DataFrame) -> DataFrame:
    """Every provider's success rate (null until one of its treatments is completed)."""
    return conform(_by_provider(fact).withColumn("success_rate", _rate()), "provider_success_rate")


def treatment_success_monthly(fact: DataFrame) -> DataFrame:
    """Treatments, successes, completed and success rate by month of the treatment date."""
    monthly = fact.groupBy(year_month(F.col("treatment_date")).alias("year_month")).agg(
        F.count("*").alias("treatments"), *_outcomes()
    )
    return conform(monthly.withColumn("success_rate", _rate()), "treatment_success_monthly")


def treatment_geography(fact: DataFrame) -> DataFrame:
    """Treatments per state and city (as recorded) and their share of all treatments."""
    places = fact.groupBy("state", "city").agg(F.count("*").alias("treatments"))
    total = F.sum("treatments").over(Window.partitionBy())
    return conform(
        places.withColumn("share_of_treatments", F.col("treatments") / total), "treatment_geography"
    )


def treatment_cost_by_type(fact: DataFrame) -> DataFrame:
    """Treatments, average cost (rounded half up to cents) and total cost per treatment type."""
    by_type = fact.groupBy("treatment_type").agg(
        F.count("*").alias("treatments"),
        F.round(F.avg("cost"), 2).alias("average_cost"),
        F.sum("cost").alias("total_cost"),
    )
    return conform(by_type, "treatment_cost_by_type")


def treatments_by_city(fact: DataFrame) -> DataFrame:
    """Total treatments per city and state."""
    return conform(
        fact.groupBy("city", "state").agg(F.count("*").alias("total_treatments")), "treatments_by_city"
    )
