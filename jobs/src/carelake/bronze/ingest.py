"""raw_to_bronze building blocks: find raw files, classify records, count, write.

Each ``classify_*`` function returns a :class:`Classified`: good rows per bronze table,
one quarantine frame, and a tally (one row per record: its table and whether it was
quarantined) that one aggregation turns into the run's counts. Spark actions are few on
purpose: on a laptop each costs a fraction of a second whatever the data size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from carelake.accounting import RunCounts, replace_partition, write_quarantine
from carelake.bronze import fhir, outreach
from carelake.bronze.csv_parsing import csv_rows
from carelake.bronze.synthea_csv import SYNTHEA_CSV_TABLES
from carelake.config import join_uri
from carelake.fhir.resource_types import BRONZE_RESOURCE_TYPES, OTHER_TABLE, bronze_table_for
from carelake.lake_io import list_files, qualified_uri, read_text_lines, read_whole_files

NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz")
BUNDLE_SUFFIXES = (".json",)
CSV_SUFFIXES = (".csv",)
UNKNOWN_TABLE = "unknown"  # tally key for records that belong to no table

FHIR_TABLES: tuple[str, ...] = (*(bronze_table_for(t) for t in BRONZE_RESOURCE_TYPES), OTHER_TABLE)
CSV_TABLES: tuple[str, ...] = tuple(t.table for t in SYNTHEA_CSV_TABLES.values())


@dataclass
class Classified:
    """One source's records, split into bronze tables and quarantine."""

    tables: dict[str, DataFrame]  # table name -> good rows (bronze columns, no dt)
    quarantine: DataFrame  # accounting.QUARANTINE_SCHEMA columns
    tally: DataFrame  # one row per record read: table (string), quarantined (boolean)

    def counts(self) -> RunCounts:
        counts = RunCounts(written=dict.fromkeys(self.tables, 0))
        for row in self.tally.groupBy("table", "quarantined").count().collect():
            counts.rows_read += row["count"]
            bucket = counts.quarantined if row["quarantined"] else counts.written
            bucket[row["table"]] = bucket.get(row["table"], 0) + row["count"]
        return counts


def relative_source(raw_uri: str, spark: SparkSession) -> Column:
    """source_file relative to the raw zone (stable across buckets, laptops and reruns)."""
    prefix = qualified_uri(spark, raw_uri).rstrip("/") + "/"
    decoded = F.url_decode(F.col("source_file"))
    return F.when(decoded.startswith(prefix), decoded.substr(len(prefix) + 1, 1 << 20)).otherwise(decoded)


def _file_records(spark: SparkSession, uris: list[str], problem: str) -> DataFrame:
    """One FHIR record per file that cannot be read as FHIR (e.g. an unsupported type)."""
    rows = [(uri, problem) for uri in uris]
    return spark.createDataFrame(rows, "source_file string, record_problem string").select(
        "source_file",
        F.lit(None).cast("int").alias("source_line"),
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(None).cast("string").alias("full_url"),
        F.lit(None).cast("string").alias("request_method"),
        F.lit(None).cast("string").alias("request_url"),
        F.lit(None).cast("string").alias("record"),
        "record_problem",
        F.lit(None).cast("timestamp").alias("landed_at"),
    )


def classify_fhir(spark: SparkSession, raw_uri: str, dt: str) -> Classified:
    """raw/ehr/fhir/dt=<dt>/: Bundles (.json) and bulk NDJSON (.ndjson, .ndjson.gz)."""
    files = [f.uri for f in list_files(spark, join_uri(raw_uri, "ehr/fhir", f"dt={dt}"))]
    ndjson = [u for u in files if u.endswith(NDJSON_SUFFIXES)]
    bundles = [u for u in files if u.endswith(BUNDLE_SUFFIXES)]
    unsupported = [u for u in files if u not in ndjson and u not in bundles]
    records = _union(
        [
            fhir.ndjson_records(read_text_lines(spark, ndjson)),
            fhir.bundle_records(read_whole_files(spark, bundles)),
            _file_records(spark, unsupported, "unsupported file type; expected .json, .ndjson or .ndjson.gz"),
        ]
    ).withColumn("source_file", relative_source(raw_uri, spark))
    inspected = fhir.inspected_records(records).persist(StorageLevel.MEMORY_AND_DISK)
    good = fhir.bronze_rows(inspected)
    return Classified(
        tables={t: good.where(F.col("table") == t).drop("table") for t in FHIR_TABLES},
        quarantine=fhir.quarantine_rows(inspected),
        tally=inspected.select(
            F.coalesce("table", F.lit(UNKNOWN_TABLE)).alias("table"),
            F.col("reason").isNotNull().alias("quarantined"),
        ),
    )


def classify_synthea_csv(spark: SparkSession, raw_uri: str, dt: str) -> Classified:
    """raw/ehr/csv/dt=<dt>/: the Synthea CSV export, one file per table (<table>.csv)."""
    files = [f.uri for f in list_files(spark, join_uri(raw_uri, "ehr/csv", f"dt={dt}"))]
    lines = (
        read_text_lines(spark, [u for u in files if u.endswith(CSV_SUFFIXES)])
        .withColumn("source_file", relative_source(raw_uri, spark))
        .withColumn("_stem", F.regexp_extract("source_file", r"([^/]+)\.csv$", 1))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    headers = {
        row["source_file"]: (row["_stem"], row["value"].lstrip("\ufeff"))
        for row in lines.where(F.col("source_line") == 1).select("source_file", "_stem", "value").collect()
    }
    bad_header_files = {
        file
        for file, (stem, header) in headers.items()
        if stem in SYNTHEA_CSV_TABLES and header != ",".join(SYNTHEA_CSV_TABLES[stem].header)
    }
    tables: dict[str, DataFrame] = {}
    quarantines: list[DataFrame] = []
    tallies: list[DataFrame] = []
    for spec in SYNTHEA_CSV_TABLES.values():
        rows = csv_rows(lines.where(F.col("_stem") == spec.file).drop("_stem"), spec, bad_header_files)
        tables[spec.table] = rows.where(F.col("reason").isNull()).drop("reason")
        quarantines.append(_quarantine_of(rows.where(F.col("reason").isNotNull()), "ehr_csv", spec.table))
        tallies.append(
            rows.select(F.lit(spec.table).alias("table"), F.col("reason").isNotNull().alias("quarantined"))
        )

    unknown = lines.where(~F.col("_stem").isin(list(SYNTHEA_CSV_TABLES))).select(
        F.lit("unknown Synthea CSV file; expected one of the v3 export's files").alias("reason"),
        F.col("value").alias("raw_line"),
        "source_file",
        "source_line",
        "landed_at",
    )
    unsupported = [u for u in files if not u.endswith(CSV_SUFFIXES)]
    unsupported_rows = (
        _file_records(spark, unsupported, "unsupported file type; expected .csv")
        .withColumn("source_file", relative_source(raw_uri, spark))
        .select(F.col("record_problem").alias("reason"), F.col("record").alias("raw_line"), "source_file",
                "source_line", "landed_at")
    )  # fmt: skip
    for extra in (unknown, unsupported_rows):
        quarantines.append(_quarantine_of(extra, "ehr_csv", None))
        tallies.append(extra.select(F.lit(UNKNOWN_TABLE).alias("table"), F.lit(True).alias("quarantined")))
    return Classified(tables=tables, quarantine=_union(quarantines), tally=_union(tallies))


def classify_outreach(spark: SparkSession, raw_uri: str, dt: str) -> Classified:
    """raw/care_mgmt/dt=<dt>/: outreach events as Firehose writes them (JSON lines, any name, .gz ok)."""
    files = [f.uri for f in list_files(spark, join_uri(raw_uri, "care_mgmt", f"dt={dt}"))]
    lines = read_text_lines(spark, files).withColumn("source_file", relative_source(raw_uri, spark))
    rows = outreach.outreach_rows(lines).persist(StorageLevel.MEMORY_AND_DISK)
    good = rows.where(F.col("reason").isNull()).select(
        *(f.name for f in outreach.BRONZE_OUTREACH_SCHEMA.fields)
    )
    return Classified(
        tables={outreach.TABLE: good},
        quarantine=_quarantine_of(rows.where(F.col("reason").isNotNull()), "care_mgmt", outreach.TABLE),
        tally=rows.select(
            F.lit(outreach.TABLE).alias("table"), F.col("reason").isNotNull().alias("quarantined")
        ),
    )


def _quarantine_of(bad: DataFrame, source: str, table: str | None) -> DataFrame:
    """Quarantine rows from line-oriented records (reason, raw_line, source_file, source_line, landed_at)."""
    return bad.select(
        F.lit(source).alias("source"),
        "source_file",
        "source_line",
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(table).cast("string").alias("target_table"),
        "reason",
        F.col("raw_line").alias("record"),
        "landed_at",
    )


def _union(frames: Iterable[DataFrame]) -> DataFrame:
    frames = list(frames)
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out


def write_classified(
    classified: list[Classified], bronze_uri: str, quarantine_uri: str, job: str, dt: str
) -> RunCounts:
    """Count, then write every table's dt partition (removed when empty) and the quarantine."""
    counts = RunCounts()
    for part in classified:
        part_counts = part.counts()
        counts.add(part_counts)
        for table, rows in part.tables.items():
            replace_partition(
                rows, join_uri(bronze_uri, table), {"dt": dt}, part_counts.written.get(table, 0)
            )
    write_quarantine(
        _union(p.quarantine for p in classified), quarantine_uri, job, dt, counts.rows_quarantined
    )
    return counts
