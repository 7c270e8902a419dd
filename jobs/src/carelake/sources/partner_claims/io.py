"""claims_to_bronze's step: the batch's claims files -> bronze.partner_claim_line + quarantine.

A file is checked first: a file outside the layout (carelake.sources.partner_claims.contract
.path_problem) or unreadable is one file-level record; a file whose header row does not
match has every record quarantined with that reason. Records of good files are typed and checked against the contract
(carelake.sources.partner_claims.transforms), then against the plausibility rules.
Bronze is partitioned by partner_id and dt (the batch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from pyspark.sql import Observation, SparkSession
from pyspark.sql import functions as F

from carelake.pipeline.accounting import quarantine_rows
from carelake.pipeline.batch import Classified, Output, counted
from carelake.pipeline.raw_files import RawObject
from carelake.pipeline.rules import first_failure
from carelake.sources.delimited import data_records, read_csv_records
from carelake.sources.partner_claims.contract import (
    ALLOWED_EXCEEDS_BILLED,
    COLUMNS,
    HEADER_PROBLEM,
    SOURCE,
    TABLES,
    file_partner,
    path_problem,
)
from carelake.sources.partner_claims.transforms import (
    CodeLookup,
    bronze_claim_rows,
    checked_claim_lines,
    codes_present,
    known_codes,
    parsed_claim_lines,
)


def classify(
    spark: SparkSession, raw_uri: str, objects: Sequence[RawObject], batch: str, lookup: CodeLookup
) -> Classified:
    (table,) = TABLES
    checked_objects = [replace(o, problem=o.problem or path_problem(o.key)) for o in objects]
    header_mismatch = F.when(
        F.coalesce(F.col("header") != F.array(*map(F.lit, COLUMNS)), F.lit(True)), F.lit(HEADER_PROBLEM)
    )
    data = data_records(read_csv_records(spark, raw_uri, checked_objects), header_mismatch)
    cached, read = counted(data, f"{SOURCE}-{batch}")

    parsed = parsed_claim_lines(cached)
    present: dict[str, set[str]] = {}
    for row in codes_present(parsed).collect():
        present.setdefault(row["system"], set()).add(row["code"])
    checked = checked_claim_lines(parsed, known_codes(present, lookup))
    rule, rule_reason = first_failure(table.qualified_name)
    checked = checked.withColumn("rule", F.when(F.col("reason").isNull(), rule)).withColumn(
        "reason", F.coalesce("reason", rule_reason)
    )
    partners = sorted({p for p in (file_partner(o.key) for o in checked_objects if o.problem is None) if p})
    warned = Observation(f"{SOURCE}-warnings-{batch}")
    good = bronze_claim_rows(checked).observe(
        warned, F.count(F.when(F.array_contains("warnings", ALLOWED_EXCEEDS_BILLED), 1)).alias("count")
    )
    bad = quarantine_rows(
        checked.where(F.col("reason").isNotNull()), source=SOURCE, reason=F.col("reason"), target_table=table.name,
        record=F.col("raw_line"), rule=F.col("rule"),
    )  # fmt: skip
    return Classified(
        SOURCE,
        [Output((table,), good, {"dt": batch}, [{"partner_id": p} for p in partners])],
        bad,
        read,
        [cached],
        observed_metrics={f"warning_{ALLOWED_EXCEEDS_BILLED}": warned},
    )
