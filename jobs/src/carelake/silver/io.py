"""Reading bronze for bronze_to_silver and writing silver through the run's writer, with its counts."""

from __future__ import annotations

from pyspark.sql import DataFrame, Observation, SparkSession
from pyspark.sql import functions as F

from carelake import registry
from carelake.lake.spark_io import read_version
from carelake.lake.state import LakeState
from carelake.pipeline.accounting import AccountingError, RunCounts, quarantine_rows
from carelake.pipeline.writer import RunWriter
from carelake.reference import UNMAPPED
from carelake.silver.build import RANK, SilverOutput

# The bronze tables bronze_to_silver reads.
BRONZE_INPUTS = (
    "fhir_patient", "fhir_encounter", "fhir_condition", "fhir_procedure", "fhir_observation",
    "fhir_medication_request", "fhir_medication", "fhir_immunization", "fhir_claim", "fhir_explanation_of_benefit",
    "fhir_practitioner", "fhir_organization", "fhir_location", "csv_patients", "csv_encounters", "csv_conditions",
    "csv_procedures", "csv_observations", "csv_medications", "csv_immunizations", "csv_claims",
    "csv_claims_transactions", "csv_payers", "csv_providers", "csv_organizations", "partner_claim_line",
    "outreach_event",
)  # fmt: skip
SILVER_SOURCE = "silver"  # quarantine.quarantined_record.source for records silver cannot place


def read_bronze(spark: SparkSession, state: LakeState) -> dict[str, DataFrame]:
    """Every current partition of each bronze input (empty, with its columns, when it has none)."""
    bronze = registry.zone_tables("bronze")
    return {name: read_version(spark, state.version(bronze[name])) for name in BRONZE_INPUTS}


def _quality(name: str, final: DataFrame) -> dict[str, F.Column]:
    """What the run reports beyond row counts, observed while the table is written."""
    metrics = {
        f"unmapped_codes:{name}.{column}": F.count(F.when(F.col(column) == UNMAPPED, 1))
        for column in final.columns
        if column.endswith("diagnosis_category")
    }
    if "is_inferred" in final.columns:
        metrics[f"inferred_rows:{name}"] = F.count(F.when(F.col("is_inferred"), 1))
    return metrics


def write_silver(output: SilverOutput, writer: RunWriter) -> RunCounts:
    """Write every silver table (complete replacement) and the quarantine; return the counts.

    Raises AccountingError when a table's written rows differ from its surviving versions
    (an enrichment join that dropped or multiplied rows).
    """
    counts = RunCounts()
    quarantines: list[DataFrame] = []
    for name, table in sorted(output.tables.items()):
        declared = registry.table(f"silver.{name}")
        observation = Observation(f"silver-{name}")
        quality = _quality(name, table.final)
        final = table.final.observe(
            observation, F.count(F.lit(1)).alias("_rows"), *(expr.alias(key) for key, expr in quality.items())
        )
        rows = final if table.added is None else final.unionByName(table.added)
        total = writer.write(declared, rows)
        observed = observation.get
        final_n = int(observed["_rows"])
        added_n = total - final_n
        counts.metrics.update({key: int(observed[key]) for key in quality})
        if table.ranked is None:
            counts.add(RunCounts(rows_read=total, written={name: total}))
            continue
        read, quarantined, duplicates, survivors = table.ranked.agg(
            F.count("*"),
            F.count("reason"),
            F.count(F.when(F.col(RANK) > 1, 1)),
            F.count(F.when(F.col(RANK) == 1, 1)),
        ).first()
        if final_n != survivors:
            raise AccountingError(f"{writer.job}: {name} has {survivors} surviving versions but {final_n} rows written")
        counts.add(
            RunCounts(
                rows_read=read + added_n,
                written={name: total},
                quarantined={name: quarantined} if quarantined else {},
                deduplicated={name: duplicates} if duplicates else {},
            )
        )
        quarantines.append(_quarantine_rows(table.ranked, name))
    unresolved = output.tables["unresolved_reference"].final
    for row in unresolved.groupBy("kind").count().collect():
        counts.metrics[f"unresolved_references:{row['kind']}"] = int(row["count"])
    for rule, n in output.identity_summary.items():
        counts.metrics[f"identity:{rule}"] = n
    quarantine = quarantines[0]
    for frame in quarantines[1:]:
        quarantine = quarantine.unionByName(frame)
    written = writer.write_quarantine(quarantine, sorted(output.tables))
    if written != {k: v for k, v in counts.quarantined.items() if v}:
        raise AccountingError(f"{writer.job}: quarantined {counts.quarantined} but wrote {written}")
    output.on_written()
    return counts


def _quarantine_rows(ranked: DataFrame, table: str) -> DataFrame:
    bad = ranked.where(F.col("reason").isNotNull())
    columns = [c for c in ranked.columns if c not in (RANK, "reason", "rule")]
    return quarantine_rows(
        bad,
        source=SILVER_SOURCE,
        reason=F.col("reason"),
        target_table=table,
        record=F.to_json(F.struct(*columns)),
        rule=F.col("rule"),
    )
