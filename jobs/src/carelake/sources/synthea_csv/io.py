"""raw_to_bronze's Synthea CSV step: the batch's CSV files -> one bronze table per file + quarantine.

A file is split into records (carelake.sources.delimited), then checked as a whole: its
name must be one of the export's tables and its header row that table's header; every
record of a file that fails is quarantined with the file's reason (its columns cannot be
trusted). The header row of a good file is not a record. Each data record is typed
against its table's columns, then checked against the plausibility rules.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import Column, SparkSession
from pyspark.sql import functions as F

from carelake.pipeline.accounting import quarantine_rows
from carelake.pipeline.batch import Classified, Output, counted
from carelake.pipeline.raw_files import RawObject
from carelake.pipeline.rules import first_failure
from carelake.sources.delimited import data_records, read_csv_records, typed_records
from carelake.sources.synthea_csv.contract import SOURCE, SYNTHEA_CSV_TABLES, TABLES

UNKNOWN_FILE = "unknown Synthea CSV file; expected one of the v3 export's files"


def _file_problems(stem: Column) -> list[Column]:
    """Why every record of a readable file is rejected, from its stem and header row."""
    expected = F.create_map(
        *(
            x
            for spec in SYNTHEA_CSV_TABLES.values()
            for x in (F.lit(spec.file), F.array(*map(F.lit, spec.header)))
        )
    )
    return [
        F.when(~stem.isin(*SYNTHEA_CSV_TABLES), F.lit(UNKNOWN_FILE)),
        F.when(
            F.coalesce(F.col("header") != expected[stem], F.lit(True)),
            F.concat(F.lit("header does not match Synthea "), stem, F.lit(".csv")),
        ),
    ]


def classify(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject], batch: str) -> Classified:
    records = read_csv_records(spark, raw_uri, objects).withColumn(
        "stem", F.regexp_extract("source_file", r"([^/]+)\.csv$", 1)
    )
    data = data_records(records, *_file_problems(F.col("stem")))
    checked, read = counted(data, f"{SOURCE}-{batch}")

    outputs, quarantines = [], []
    by_name = {t.name: t for t in TABLES}
    for spec in SYNTHEA_CSV_TABLES.values():
        table = by_name[spec.table]
        rows = typed_records(checked.where(F.col("stem") == spec.file), spec, F.col("file_problem"))
        rule, rule_reason = first_failure(table.qualified_name)
        rows = rows.withColumn("rule", F.when(F.col("reason").isNull(), rule)).withColumn(
            "reason", F.coalesce("reason", rule_reason)
        )
        outputs.append(
            Output((table,), rows.where(F.col("reason").isNull()).drop("reason", "rule"), {"dt": batch})
        )
        quarantines.append(
            quarantine_rows(
                rows.where(F.col("reason").isNotNull()),
                source=SOURCE,
                reason=F.col("reason"),
                target_table=table.name,
                record=F.col("raw_line"),
                rule=F.col("rule"),
            )
        )
    unknown = checked.where(~F.col("stem").isin(*SYNTHEA_CSV_TABLES))
    quarantines.append(
        quarantine_rows(
            unknown, source=SOURCE, reason=F.col("file_problem"), target_table=None, record=F.col("raw_line")
        )
    )
    quarantine = quarantines[0]
    for frame in quarantines[1:]:
        quarantine = quarantine.unionByName(frame)
    return Classified(SOURCE, outputs, quarantine, read, [checked])
