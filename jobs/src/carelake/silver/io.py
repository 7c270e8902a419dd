"""Reading bronze for bronze_to_silver and writing silver with its counts."""

from __future__ import annotations

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.accounting import AccountingError, RunCounts, write_quarantine
from carelake.catalog import LakeTable
from carelake.config import join_uri
from carelake.silver.build import RANK, SilverOutput
from carelake.silver.common import read_table

# The bronze tables bronze_to_silver reads.
BRONZE_INPUTS = (
    "fhir_patient", "fhir_encounter", "fhir_condition", "fhir_procedure", "fhir_observation",
    "fhir_medication_request", "fhir_medication", "fhir_immunization", "fhir_claim", "fhir_explanation_of_benefit",
    "fhir_practitioner", "fhir_organization", "fhir_location", "csv_patients", "csv_encounters", "csv_conditions",
    "csv_procedures", "csv_observations", "csv_medications", "csv_immunizations", "csv_claims",
    "csv_claims_transactions", "csv_payers", "csv_providers", "csv_organizations", "partner_claim_line",
    "outreach_event",
)  # fmt: skip


def read_bronze(spark: SparkSession, bronze_uri: str, catalog: dict[str, LakeTable]) -> dict[str, DataFrame]:
    """Every partition of each bronze input (an empty frame of its schema and partition
    columns when it has none: a lake may have no partner claims yet)."""
    return {
        name: read_table(spark, bronze_uri, name, with_partition_columns(catalog[name]))
        for name in BRONZE_INPUTS
    }


def with_partition_columns(table: LakeTable) -> T.StructType:
    """The table's columns as Spark reads them from its folder: data columns, then partition keys."""
    return T.StructType(
        [*table.schema.fields, *(T.StructField(k, T.StringType()) for k in table.partition_keys)]
    )


def write_silver(output: SilverOutput, silver_uri: str, quarantine_uri: str, job: str, dt: str) -> RunCounts:
    """Write every silver table (complete replacement) and the quarantine; return the counts.

    Raises AccountingError when a table's written rows differ from its surviving versions.
    """
    counts = RunCounts()
    quarantines: list[DataFrame] = []
    for name, table in sorted(output.tables.items()):
        final = table.final.persist(StorageLevel.MEMORY_AND_DISK)
        final_n = final.count()
        added_n = 0 if table.added is None else table.added.count()
        if table.ranked is None:
            counts.add(RunCounts(rows_read=final_n + added_n, written={name: final_n + added_n}))
        else:
            ranked = table.ranked.persist(StorageLevel.MEMORY_AND_DISK)
            read, quarantined, duplicates, survivors = ranked.agg(
                F.count("*"),
                F.count("reason"),
                F.count(F.when(F.col(RANK) > 1, 1)),
                F.count(F.when(F.col(RANK) == 1, 1)),
            ).first()
            if final_n != survivors:
                raise AccountingError(
                    f"{job}: {name} has {survivors} surviving versions but {final_n} rows to write"
                )
            counts.add(
                RunCounts(
                    rows_read=read + added_n,
                    written={name: final_n + added_n},
                    quarantined={name: quarantined} if quarantined else {},
                    deduplicated={name: duplicates} if duplicates else {},
                )
            )
            quarantines.append(_quarantine_rows(ranked, name))
        counts.metrics.update(_quality_metrics(name, final))
        table.rows().write.mode("overwrite").parquet(join_uri(silver_uri, name))
    for rule, n in output.identity_summary.items():
        counts.metrics[f"identity:{rule}"] = n
    quarantine = quarantines[0]
    for frame in quarantines[1:]:
        quarantine = quarantine.unionByName(frame)
    write_quarantine(quarantine, quarantine_uri, job, dt, counts.rows_quarantined)
    output.on_written()
    return counts


def _quality_metrics(name: str, final: DataFrame) -> dict[str, int]:
    """What the run reports beyond row counts: unmapped codes, inferred dimension rows, unresolved references."""
    from carelake.reference import UNMAPPED

    aggregates = {
        f"unmapped_codes:{name}.{column}": F.count(F.when(F.col(column) == UNMAPPED, 1))
        for column in final.columns
        if column.endswith("diagnosis_category")
    }
    if "is_inferred" in final.columns:
        aggregates[f"inferred_rows:{name}"] = F.count(F.when(F.col("is_inferred"), 1))
    metrics: dict[str, int] = {}
    if aggregates:
        row = final.agg(*(expr.alias(key) for key, expr in aggregates.items())).first()
        metrics.update({key: int(row[key]) for key in aggregates})
    if name == "unresolved_reference":
        for row in final.groupBy("kind").count().collect():
            metrics[f"unresolved_references:{row['kind']}"] = int(row["count"])
    return metrics


def _quarantine_rows(ranked: DataFrame, table: str) -> DataFrame:
    bad = ranked.where(F.col("reason").isNotNull())
    columns = [c for c in ranked.columns if c not in (RANK, "reason")]
    return bad.select(
        F.lit("silver").alias("source"),
        (F.col("source_file") if "source_file" in columns else F.lit(None).cast("string")).alias(
            "source_file"
        ),
        (F.col("source_line") if "source_line" in columns else F.lit(None).cast("int")).alias("source_line"),
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(table).alias("target_table"),
        "reason",
        F.to_json(F.struct(*columns)).alias("record"),
        (F.col("landed_at") if "landed_at" in columns else F.lit(None).cast("timestamp")).alias("landed_at"),
    )
