"""Treatment records from DynamoDB exports to silver.fct_treatment, by watermark.

Input: every DynamoDB export landed under ``raw/treatments/dt=<D>/`` for D <= the run's dt
(``…/AWSDynamoDB/<export-id>/manifest-summary.json``, ``manifest-files.json`` and
``data/*.json.gz``, one ``{"Item": {...}}`` per line; docs/data-contracts.md). Exports
are full or incremental snapshots, so the same item appears in many of them.

**State: the ETL tracker.** ``silver.etl_tracker`` gets one row per run and source
(``source = 'treatments'``): the window ``watermark_from`` < metadata_modified_at <=
``watermark_to`` the run applied, ``exports_through`` (the latest export time it read),
its counts and ``table_rows``. A run for dt D builds on the *base run*: the latest
tracker row with dt < D. It selects the items with metadata_modified_at > the base's
watermark (and <= the newest one in the exports of dt <= D), keeps the latest version
of each treatment_id (metadata_modified_at, then landing time, then source file and
line), and applies those to the base's table: latest wins per treatment_id.

**fct_treatment is versioned by dt.** Each run writes the complete table as a new
partition ``fct_treatment/dt=<D>/`` and then appends its tracker row, which is the
commit: the current table is the partition of the tracker's latest dt (in Athena:
``where dt = (select max(dt) from silver.etl_tracker where source = 'treatments')``). A
run only reads the version it builds on and only writes its own dt, so a failure
half-way loses nothing: the previous version is untouched and the tracker still points
at it (a half-written dt=D partition is only ever replaced by the next run for D).
Before building on a version, a run checks that it holds the tracker's ``table_rows``. Old versions double as time travel
(what did the table hold on day D); expire them with an S3 lifecycle rule. Dynamic
partition overwrite of month partitions was rejected: its commit deletes a partition
before moving the new one in, so a crash there loses rows that the watermark will
never select again.

**Reruns.** A run is a function of its dt (like every carelake job, idempotent per
partition): the window of run D starts at the watermark of the latest run *before* D.
So the explicit way to rerun a window is to run the job again with that run's dt:
same base, same exports, same rows, same dt=D version, same quarantine partition; runs
after D are untouched. A run for a new dt with no new export selects nothing and writes
an identical copy of the table.

**Accounting** (``RunCounts``: read = written + quarantined + deduplicated). Every line
of every export read gets exactly one status:

* read, in the run record -- the lines this run consumes: ``applied_insert`` and
  ``applied_update`` (the winning version of a treatment_id: written),
  ``superseded`` (an older version, or another copy of the winner, in the same window:
  deduplicated) and ``quarantined`` (a bad line in an export this run is the first to
  read: to quarantine with source file, line and reason);
* not read, in the metrics only: ``skipped_unchanged`` (at or below the watermark and
  not newer than the table: an earlier run applied it or something newer) and
  ``quarantined_earlier`` (a bad line of an export an earlier run read and quarantined).

So a run with no new data reads 0 rows. ``lines_scanned`` (read + the two skipped kinds)
is compared with the item counts of the exports' manifests (``items_in_read_exports``;
a difference is logged as a warning). A *late change* -- at or below the watermark yet
newer than the table (it reached an export after newer changes moved the watermark past
it) -- cannot be selected by the watermark; it is a bad line, reason "late change: …",
never dropped silently. A metadata_modified_at after its export's exportTime (+ 15
minutes of clock allowance) is a bad date: it would move the watermark past changes
still to come.

**Exports.** An export is "new" when its export time is after the base's
``exports_through``. An export whose export time (+ the allowance) is at or below the
watermark can only hold skipped lines, so it is not read at all (``exports_pruned``,
``items_in_pruned_exports``): a daily run reads the latest exports, not all history.
Exports without both manifests, or whose manifest-files.json lists a data file that is
not there yet, are incomplete and wait for a later run; exports with an unreadable
manifest are invalid. Both are counted (and logged) in every run until fixed. Items
that DynamoDB deletes are not propagated (exports do not carry deletions).

patient_id is the EHR medical record number; the master patient index adds the patient
key later.
"""

from __future__ import annotations

import json
import logging
import math
import re
from base64 import b64decode
from binascii import Error as Base64Error
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.accounting import RunCounts, replace_partition
from carelake.bronze.ingest import relative_source
from carelake.config import join_uri
from carelake.lake_io import (
    RawFile,
    list_files,
    partition_uri,
    qualified_uri,
    read_text_lines,
    read_whole_files,
)
from carelake.runtime import JobRun

if TYPE_CHECKING:
    from carelake.catalog import LakeTable

log = logging.getLogger(__name__)

SOURCE = "treatments"  # tracker source and quarantine source
RAW_PREFIX = "treatments"
FCT_TABLE = "fct_treatment"
TRACKER_TABLE = "etl_tracker"

OUTCOME_STATUSES = ("success", "failure", "in_progress")
# An item cannot change after its export was taken; this much clock difference between
# the application (metadata_modified_at) and DynamoDB (exportTime) is tolerated.
EXPORT_CLOCK_ALLOWANCE = timedelta(minutes=15)
ROWS_PER_FILE = 1_000_000
COST_TYPE = T.DecimalType(12, 2)
_COST_LIMIT = Decimal(10) ** 10  # decimal(12,2): ten digits before the point

# --- schemas ------------------------------------------------------------------------------

# The Item attributes of the contract and their DynamoDB types; the rest are unmodelled.
STRING_ATTRIBUTES = (
    "treatment_id", "patient_id", "provider_npi", "provider_name", "specialty", "city", "state", "disease",
    "treatment_type", "outcome_status",
)  # fmt: skip
REQUIRED_ATTRIBUTES = ("treatment_id", "patient_id", "outcome_status", "cost", "treatment_date",
                       "metadata_modified_at")  # fmt: skip
ATTRIBUTE_TYPES: dict[str, str] = {
    **dict.fromkeys(STRING_ATTRIBUTES, "S"),
    "cost": "N",
    "treatment_date": "S",
    "metadata_modified_at": "S",
}

# What one export line parses to (reason is null for a good item).
PARSED_ITEM_SCHEMA = T.StructType(
    [
        T.StructField("reason", T.StringType(), True),
        *(T.StructField(name, T.StringType(), True) for name in STRING_ATTRIBUTES),
        T.StructField("cost", COST_TYPE, True),
        T.StructField("treatment_date", T.DateType(), True),
        T.StructField("metadata_modified_at", T.TimestampType(), True),
        T.StructField("unmodelled_attributes", T.ArrayType(T.StringType()), True),
    ]
)

# Lines of export data files, with the export they belong to (input of parsed_items).
EXPORT_LINE_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), False),  # relative to the raw zone
        T.StructField("source_line", T.IntegerType(), False),
        T.StructField("value", T.StringType(), True),
        T.StructField("landed_at", T.TimestampType(), True),
        T.StructField("export_id", T.StringType(), False),
        T.StructField("export_time", T.TimestampType(), True),
        T.StructField("export_is_new", T.BooleanType(), False),
    ]
)

# One parsed export line (output of parsed_items, input of classified).
_LINE_FIELDS = {f.name: f for f in EXPORT_LINE_SCHEMA.fields}
ITEM_SCHEMA = T.StructType(
    [
        *PARSED_ITEM_SCHEMA.fields,
        *(_LINE_FIELDS[name] for name in ("export_id", "export_time", "export_is_new")),
        *(_LINE_FIELDS[name] for name in ("source_file", "source_line", "landed_at")),
        T.StructField("record", T.StringType(), True),  # the line as landed
    ]
)

# silver.fct_treatment: one row per treatment_id (grain), partition dt = the version.
FCT_TREATMENT_SCHEMA = T.StructType(
    [
        T.StructField("treatment_id", T.StringType(), False),
        T.StructField("patient_id", T.StringType(), False),  # EHR MRN; the MPI adds patient_key
        T.StructField("provider_npi", T.StringType(), True),
        T.StructField("provider_name", T.StringType(), True),
        T.StructField("specialty", T.StringType(), True),
        T.StructField("city", T.StringType(), True),
        T.StructField("state", T.StringType(), True),
        T.StructField("disease", T.StringType(), True),
        T.StructField("treatment_type", T.StringType(), True),
        T.StructField("outcome_status", T.StringType(), False),  # success | failure | in_progress
        T.StructField("cost", COST_TYPE, False),
        T.StructField("treatment_date", T.DateType(), False),
        T.StructField("metadata_modified_at", T.TimestampType(), False),  # UTC
        T.StructField("export_id", T.StringType(), False),  # lineage of the applied version
        T.StructField("source_file", T.StringType(), False),  # relative to the raw zone
        T.StructField("source_line", T.IntegerType(), False),
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)
FCT_COLUMNS = tuple(f.name for f in FCT_TREATMENT_SCHEMA.fields)

# silver.etl_tracker: one row per run and source, partition dt = the run's dt.
TRACKER_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("run_id", T.StringType(), False),
        T.StructField("job", T.StringType(), False),
        T.StructField("base_dt", T.StringType(), True),  # the run this one built on (null: none)
        T.StructField("watermark_from", T.TimestampType(), True),  # exclusive; null: from the start
        T.StructField("watermark_to", T.TimestampType(), True),  # inclusive; the high-water mark now
        T.StructField("exports_through", T.TimestampType(), True),  # latest export time read
        T.StructField("rows_read", T.LongType(), False),
        T.StructField("rows_applied", T.LongType(), False),
        T.StructField("rows_quarantined", T.LongType(), False),
        T.StructField("table_rows", T.LongType(), False),  # rows in fct_treatment/dt=<dt>
        T.StructField("started_at", T.TimestampType(), False),
        T.StructField("finished_at", T.TimestampType(), False),
    ]
)

# Line statuses (see the module docstring), and what happens to each row of the base table.
APPLIED_INSERT = "applied_insert"
APPLIED_UPDATE = "applied_update"
SUPERSEDED = "superseded"
QUARANTINED = "quarantined"
SKIPPED_UNCHANGED = "skipped_unchanged"
QUARANTINED_EARLIER = "quarantined_earlier"
STATUSES = (APPLIED_INSERT, APPLIED_UPDATE, SUPERSEDED, QUARANTINED, SKIPPED_UNCHANGED, QUARANTINED_EARLIER)
BASE_KEPT = "base_kept"  # a base row no line changes: copied to the new version
BASE_REPLACED = "base_replaced"  # a base row an applied_update replaces
NEW_TABLE_STATUSES = (BASE_KEPT, APPLIED_INSERT, APPLIED_UPDATE)


def lake_tables() -> list[LakeTable]:
    """fct_treatment and the ETL tracker, for carelake.catalog."""
    from carelake.catalog import NON_PHI, PHI, LakeTable  # here: catalog imports this module

    return [
        LakeTable("silver", FCT_TABLE,
                  "One row per treatment (DynamoDB treatment records, latest version by metadata_modified_at); "
                  "partition dt = the complete table as of that run; current = etl_tracker's latest dt.",
                  FCT_TREATMENT_SCHEMA, ("dt",), PHI, direct_identifier_columns=("patient_id",)),
        LakeTable("silver", TRACKER_TABLE,
                  "ETL tracker: one row per incremental run and source, with its watermark window and counts.",
                  TRACKER_SCHEMA, ("dt",), NON_PHI),
    ]  # fmt: skip


# --- one export line (pure Python) ----------------------------------------------------------


class AttributeProblem(ValueError):
    """An attribute value that is not valid DynamoDB JSON."""


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _number(text: Any) -> Decimal:
    if not isinstance(text, str):
        raise AttributeProblem("N must be a string")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise AttributeProblem(f"N {text!r} is not a number") from None
    if not value.is_finite():
        raise AttributeProblem(f"N {text!r} is not a number")
    return value


def _binary(text: Any) -> bytes:
    if not isinstance(text, str):
        raise AttributeProblem("B must be a base64 string")
    try:
        return b64decode(text, validate=True)
    except (Base64Error, ValueError):
        raise AttributeProblem("B is not base64") from None


def attribute_type(value: Any) -> str:
    """The type descriptor of a DynamoDB JSON attribute value (``{"S": "x"}`` -> ``S``)."""
    if not isinstance(value, dict) or len(value) != 1:
        raise AttributeProblem("expected an object with exactly one type descriptor")
    return next(iter(value))


def decode_attribute(value: Any) -> Any:
    """A DynamoDB JSON attribute value as Python: S str, N Decimal (exact), BOOL bool,
    NULL None, M dict, L list, B bytes, SS/NS/BS lists. Raises AttributeProblem."""
    kind = attribute_type(value)
    inner = value[kind]
    if kind == "S":
        if not isinstance(inner, str):
            raise AttributeProblem("S must be a string")
        return inner
    if kind == "N":
        return _number(inner)
    if kind == "BOOL":
        if not isinstance(inner, bool):
            raise AttributeProblem("BOOL must be true or false")
        return inner
    if kind == "NULL":
        if inner is not True:
            raise AttributeProblem("NULL must be true")
        return None
    if kind == "M":
        if not isinstance(inner, dict):
            raise AttributeProblem("M must be an object")
        return {key: decode_attribute(item) for key, item in inner.items()}
    if kind == "L":
        if not isinstance(inner, list):
            raise AttributeProblem("L must be an array")
        return [decode_attribute(item) for item in inner]
    if kind == "B":
        return _binary(inner)
    if kind in ("SS", "NS", "BS"):
        if not isinstance(inner, list):
            raise AttributeProblem(f"{kind} must be an array")
        if kind == "SS":
            if not all(isinstance(item, str) for item in inner):
                raise AttributeProblem("SS must hold strings")
            return list(inner)
        return [_number(item) if kind == "NS" else _binary(item) for item in inner]
    raise AttributeProblem(f"unknown type descriptor {kind!r}")


_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_TIMESTAMP = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)


def parse_date(value: str) -> date:
    if not _DATE.match(value):
        raise ValueError(value)
    return date.fromisoformat(value)


def parse_utc_timestamp(value: str) -> datetime:
    """An ISO 8601 timestamp with a zone (``Z`` or ``±hh:mm``) as an aware UTC datetime."""
    if not _TIMESTAMP.match(value):
        raise ValueError(value)
    return datetime.fromisoformat(value).astimezone(UTC)


def _cost(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("is negative")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("has more than 2 decimal places")
    if value >= _COST_LIMIT:
        raise ValueError("does not fit decimal(12,2)")
    return value.quantize(Decimal("0.01"))


def parse_item(line: str | None) -> dict[str, Any]:
    """One export line -> the PARSED_ITEM_SCHEMA fields; ``reason`` says why it is bad.

    Never raises: every problem is a quarantine reason (the first one found, in the
    order: JSON, Item, attribute encoding, required attributes, attribute types, values).
    """
    out: dict[str, Any] = dict.fromkeys(PARSED_ITEM_SCHEMA.fieldNames())
    if line is None or not line.strip():
        return {**out, "reason": "empty line"}
    try:
        document = json.loads(line, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        return {**out, "reason": f"malformed JSON: {exc}"}
    if not isinstance(document, dict):
        return {**out, "reason": "malformed JSON: not an object"}
    if "Item" not in document:
        return {**out, "reason": "missing Item"}
    item = document["Item"]
    if not isinstance(item, dict):
        return {**out, "reason": "Item is not an object of attributes"}

    kinds: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, attribute in item.items():
        try:
            kinds[name] = attribute_type(attribute)
            values[name] = decode_attribute(attribute)
        except AttributeProblem as exc:
            return {**out, "reason": f"invalid DynamoDB JSON in attribute {name}: {exc}"}

    for name in REQUIRED_ATTRIBUTES:
        if values.get(name) is None:
            return {**out, "reason": f"missing required attribute {name}"}
    for name, expected in ATTRIBUTE_TYPES.items():
        if name in kinds and kinds[name] not in (expected, "NULL"):
            return {**out, "reason": f"attribute {name} must be of type {expected}, got {kinds[name]}"}
    for name in REQUIRED_ATTRIBUTES:
        if isinstance(values[name], str) and not values[name].strip():
            return {**out, "reason": f"empty required attribute {name}"}

    try:
        cost = _cost(values["cost"])
    except ValueError as exc:
        return {**out, "reason": f"invalid cost {item['cost']['N']!r}: {exc}"}
    try:
        treatment_date = parse_date(values["treatment_date"])
    except ValueError:
        return {
            **out,
            "reason": f"bad treatment_date {values['treatment_date']!r}: expected a date YYYY-MM-DD",
        }
    try:
        modified_at = parse_utc_timestamp(values["metadata_modified_at"])
    except ValueError:
        return {**out, "reason": f"bad metadata_modified_at {values['metadata_modified_at']!r}: "
                                 "expected an ISO 8601 timestamp with a time zone"}  # fmt: skip
    if values["outcome_status"] not in OUTCOME_STATUSES:
        return {**out, "reason": f"unknown outcome_status {values['outcome_status']!r}"}

    return {
        **out,
        **{name: values.get(name) for name in STRING_ATTRIBUTES},
        "cost": cost,
        "treatment_date": treatment_date,
        "metadata_modified_at": modified_at,
        "unmodelled_attributes": sorted(set(item) - set(ATTRIBUTE_TYPES)) or None,
    }


@F.udf(returnType=PARSED_ITEM_SCHEMA)
def _parse_item_udf(line: str | None) -> dict[str, Any]:
    return parse_item(line)


# --- DataFrame transforms (pure) --------------------------------------------------------


def parsed_items(lines: DataFrame) -> DataFrame:
    """Export lines (EXPORT_LINE_SCHEMA) -> one row per line: ``reason`` (null when good),
    the typed attributes, the line's place and its export.

    Besides the item's own problems, a metadata_modified_at later than the export's
    exportTime (+ EXPORT_CLOCK_ALLOWANCE) is a bad date: no item changes after its export
    was taken, and such a value would push the watermark past changes still to come.
    """
    parsed = lines.withColumn("p", _parse_item_udf("value"))
    modified_at = F.col("p.metadata_modified_at")
    after_export = modified_at > F.col("export_time") + F.expr(
        f"INTERVAL {int(EXPORT_CLOCK_ALLOWANCE.total_seconds())} SECONDS"
    )
    reason = F.coalesce(
        F.col("p.reason"),
        F.when(after_export, F.concat(F.lit("bad metadata_modified_at: later than its export's exportTime "),
                                      F.date_format("export_time", "yyyy-MM-dd'T'HH:mm:ss'Z'"))),
    )  # fmt: skip
    fields = [F.col(f"p.{name}").alias(name) for name in PARSED_ITEM_SCHEMA.fieldNames() if name != "reason"]
    return parsed.select(
        reason.alias("reason"),
        *fields,
        "export_id",
        "export_time",
        "export_is_new",
        "source_file",
        "source_line",
        "landed_at",
        F.col("value").alias("record"),
    )


def _newest_first() -> list:
    return [
        F.col("metadata_modified_at").desc(),
        F.col("landed_at").desc_nulls_last(),
        F.col("source_file").desc(),
        F.col("source_line").desc(),
    ]


def classified(items: DataFrame, base: DataFrame, watermark: datetime | None) -> DataFrame:
    """Every parsed line (ITEM_SCHEMA) and every base row (FCT_TREATMENT_SCHEMA) with a ``status``.

    Lines get one of STATUSES. Good lines with metadata_modified_at > ``watermark`` form
    the window; in it the newest version of each treatment_id wins (metadata_modified_at,
    then landing time, then source file and line) and inserts or updates a base row; the
    others are superseded. Good lines at or below the watermark are skipped when the new
    table holds that version or a newer one; otherwise they are late changes, which the
    watermark can no longer select: bad lines, reason "late change: …". Bad lines are
    quarantined when their export is new to this run, else an earlier run quarantined
    them. Base rows are kept, or replaced by an update. The new table is the rows with a
    NEW_TABLE_STATUSES status. One shuffle (by treatment_id) decides all of it.
    """
    good = F.col("reason").isNull()
    in_window = good if watermark is None else good & (F.col("metadata_modified_at") > F.lit(_utc(watermark)))
    lines = items.select(
        *ITEM_SCHEMA.fieldNames(), F.lit(False).alias("_is_base"), in_window.alias("_in_window")
    )
    base_rows = base.select(
        *(
            F.col(f.name) if f.name in FCT_COLUMNS else F.lit(None).cast(f.dataType).alias(f.name)
            for f in ITEM_SCHEMA.fields
        ),
        F.lit(True).alias("_is_base"),
        F.lit(False).alias("_in_window"),
    )
    by_id = Window.partitionBy("treatment_id")
    # Lines before base rows, window lines first: rank 1 is the newest window line, if any.
    newest_first = by_id.orderBy(F.col("_is_base").asc(), F.col("_in_window").desc(), *_newest_first())
    ranked = lines.unionByName(base_rows).select(
        "*",
        F.max(F.when(F.col("_is_base"), F.col("metadata_modified_at")))
        .over(by_id)
        .alias("_base_modified_at"),
        F.max(F.col("_in_window")).over(by_id).alias("_id_in_window"),
        F.row_number().over(newest_first).alias("_rank"),
    )
    in_base = F.col("_base_modified_at").isNotNull()
    # At or below the watermark, yet newer than what the new table will hold for its id.
    late = (good & ~F.col("_in_window") & ~F.col("_id_in_window") & ~F.col("_is_base")
            & (~in_base | (F.col("metadata_modified_at") > F.col("_base_modified_at"))))  # fmt: skip
    bad = ~good | late
    status = (
        F.when(F.col("_is_base") & F.col("_id_in_window"), F.lit(BASE_REPLACED))
        .when(F.col("_is_base"), F.lit(BASE_KEPT))
        .when(bad & F.col("export_is_new"), F.lit(QUARANTINED))
        .when(bad, F.lit(QUARANTINED_EARLIER))
        .when(~F.col("_in_window"), F.lit(SKIPPED_UNCHANGED))
        .when(F.col("_rank") > 1, F.lit(SUPERSEDED))
        .when(in_base, F.lit(APPLIED_UPDATE))
        .otherwise(F.lit(APPLIED_INSERT))
    )
    late_reason = None
    if watermark is not None:
        late_reason = (f"late change: metadata_modified_at at or below the watermark {_utc(watermark):%Y-%m-%dT%H:%M:%SZ}"
                       " but never applied (exported after newer changes were)")  # fmt: skip
    reason = F.coalesce(F.col("reason"), F.when(late, F.lit(late_reason).cast("string")))
    columns = [
        reason.alias("reason") if name == "reason" else F.col(name) for name in ITEM_SCHEMA.fieldNames()
    ]
    return ranked.select(*columns, status.alias("status"))


def new_table(classified_rows: DataFrame) -> DataFrame:
    """The new fct_treatment: base rows kept, plus the applied versions (FCT_TREATMENT_SCHEMA)."""
    return classified_rows.where(F.col("status").isin(*NEW_TABLE_STATUSES)).select(*FCT_COLUMNS)


def quarantine_rows(items: DataFrame) -> DataFrame:
    """Lines quarantined by this run, in the quarantine shape (accounting.QUARANTINE_SCHEMA)."""
    return items.where(F.col("status") == QUARANTINED).select(
        F.lit(SOURCE).alias("source"),
        "source_file",
        "source_line",
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(FCT_TABLE).alias("target_table"),
        "reason",
        "record",
        "landed_at",
    )


# --- exports (pure Python over the raw listing) -------------------------------------------

_EXPORT_PATH = re.compile(
    r"^(?P<export_dir>"
    + RAW_PREFIX
    + r"/dt=(?P<dt>[^/]+)/(?:.+/)?AWSDynamoDB/(?P<export_id>[^/]+))/(?P<rest>.+)$"
)
_EXPORT_METADATA = (
    "manifest-summary.json",
    "manifest-files.json",
    "manifest-summary.md5",
    "manifest-files.md5",
)


@dataclass(frozen=True)
class Export:
    """One DynamoDB export folder as landed in raw (paths relative to the raw zone)."""

    export_dir: str
    export_id: str
    dt: str
    export_time: datetime | None = None  # exportTime (full) or exportToTime (incremental), UTC
    data_files: tuple[str, ...] = ()  # as listed in manifest-files.json
    item_count: int = 0  # the manifest's total
    incomplete: str | None = None  # why it must wait (manifests or data files still missing)
    invalid: str | None = None  # why it cannot be read (manifest unreadable)
    unlisted: tuple[str, ...] = ()  # files in data/ that manifest-files.json does not list: not read


@dataclass(frozen=True)
class ExportListing:
    """The raw listing grouped into export folders (before the manifests are read)."""

    exports: dict[str, dict[str, str]]  # export_dir -> {rest: relative path}
    dt_of: dict[str, str]
    ignored: tuple[str, ...]  # files outside any export folder, or in a dt that is not a date


def group_export_files(relative_paths: Iterable[str], dt: str) -> ExportListing:
    """Group raw/treatments files by export folder; exports landed after ``dt`` are left out."""
    exports: dict[str, dict[str, str]] = {}
    dt_of: dict[str, str] = {}
    ignored: list[str] = []
    for path in sorted(relative_paths):
        match = _EXPORT_PATH.match(path)
        landed_dt = match["dt"] if match else None
        try:
            valid_dt = landed_dt is not None and date.fromisoformat(landed_dt).isoformat() == landed_dt
        except ValueError:
            valid_dt = False
        if match is None or not valid_dt:
            ignored.append(path)
            continue
        if landed_dt > dt:
            continue
        rest = match["rest"]
        if rest not in _EXPORT_METADATA and not rest.startswith("data/"):
            ignored.append(path)
            continue
        exports.setdefault(match["export_dir"], {})[rest] = path
        dt_of[match["export_dir"]] = landed_dt
    return ExportListing(exports, dt_of, tuple(ignored))


def describe_export(export_dir: str, dt: str, files: dict[str, str], manifests: dict[str, str]) -> Export:
    """An export's time, data files and state from its files and manifest texts (by path)."""
    export_id = export_dir.rsplit("/", 1)[-1]
    summary_path, files_path = files.get("manifest-summary.json"), files.get("manifest-files.json")
    if summary_path is None or files_path is None:
        return Export(
            export_dir, export_id, dt, incomplete="manifest-summary.json or manifest-files.json not there yet"
        )
    try:
        summary = json.loads(manifests[summary_path])
        if not isinstance(summary, dict):
            raise ValueError("not an object")
        if summary.get("outputFormat", "DYNAMODB_JSON") != "DYNAMODB_JSON":
            raise ValueError(f"outputFormat {summary['outputFormat']!r} is not DYNAMODB_JSON")
        stamp = summary.get("exportTime") or summary.get("exportToTime")
        if not isinstance(stamp, str):
            raise ValueError("no exportTime")
        export_time = parse_utc_timestamp(stamp)
    except (ValueError, KeyError) as exc:
        return Export(export_dir, export_id, dt, invalid=f"manifest-summary.json: {exc}")
    data_files: list[str] = []
    item_count = 0
    try:
        for line in manifests[files_path].splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            key = entry["dataFileS3Key"]
            item_count += int(entry["itemCount"])
            _, sep, tail = key.partition("AWSDynamoDB/")
            if not sep or not tail.startswith(f"{export_id}/data/"):
                raise ValueError(f"data file {key!r} is not in export {export_id}")
            data_files.append(f"{export_dir}/{tail[len(export_id) + 1 :]}")
    except (ValueError, KeyError, TypeError) as exc:
        return Export(export_dir, export_id, dt, invalid=f"manifest-files.json: {exc}")
    landed = {path for rest, path in files.items() if rest.startswith("data/")}
    missing = [path for path in data_files if path not in landed]
    if missing:
        return Export(export_dir, export_id, dt, export_time,
                      incomplete=f"{len(missing)} data files listed in manifest-files.json not there yet")  # fmt: skip
    unlisted = tuple(sorted(landed - set(data_files)))
    return Export(export_dir, export_id, dt, export_time, tuple(data_files), item_count, unlisted=unlisted)


@dataclass(frozen=True)
class ExportPlan:
    """Which exports a run reads, which of them are new, and what it leaves out."""

    read: tuple[Export, ...]
    new_ids: frozenset[str]
    pruned: tuple[Export, ...]
    incomplete: tuple[Export, ...]
    invalid: tuple[Export, ...]
    exports_through: datetime | None


def plan_exports(
    exports: Iterable[Export], watermark: datetime | None, exports_through: datetime | None
) -> ExportPlan:
    """Read an export when it is new (export time after ``exports_through``: its bad lines
    are this run's to quarantine) or when it may hold items above ``watermark``."""
    read, pruned, incomplete, invalid, new_ids = [], [], [], [], set()
    for export in sorted(exports, key=lambda e: e.export_dir):
        if export.invalid:
            invalid.append(export)
        elif export.incomplete:
            incomplete.append(export)
        else:
            assert export.export_time is not None
            is_new = exports_through is None or export.export_time > _utc(exports_through)
            may_hold_new_items = watermark is None or export.export_time + EXPORT_CLOCK_ALLOWANCE > _utc(
                watermark
            )
            if is_new:
                new_ids.add(export.export_dir)
            (read if is_new or may_hold_new_items else pruned).append(export)
    times = [e.export_time for e in read if e.export_time is not None]
    through = max([*times, *([_utc(exports_through)] if exports_through else [])], default=None)
    return ExportPlan(
        tuple(read), frozenset(new_ids), tuple(pruned), tuple(incomplete), tuple(invalid), through
    )


# --- tracker state --------------------------------------------------------------------------


def _utc(value: datetime) -> datetime:
    """Spark hands timestamps back naive in the driver's local time: make them aware UTC."""
    return value.astimezone(UTC)


@dataclass(frozen=True)
class TrackerState:
    """The base run a new run builds on (all None/0 before the first run)."""

    dt: str | None = None
    run_id: str | None = None
    watermark: datetime | None = None
    exports_through: datetime | None = None
    table_rows: int = 0


class SnapshotMismatch(RuntimeError):
    """A committed fct_treatment version does not hold what its tracker row says."""


def _exists(spark: SparkSession, uri: str) -> bool:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(qualified_uri(spark, uri))
    return bool(path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).exists(path))


def read_tracker_state(spark: SparkSession, silver_uri: str, before_dt: str) -> TrackerState:
    """The latest tracker row of this source with dt < ``before_dt`` (latest finished wins)."""
    uri = join_uri(silver_uri, TRACKER_TABLE)
    if not _exists(spark, uri):
        return TrackerState()
    schema = T.StructType([*TRACKER_SCHEMA.fields, T.StructField("dt", T.StringType(), True)])
    rows = (
        spark.read.schema(schema).parquet(uri)
        .where((F.col("source") == SOURCE) & (F.col("dt") < before_dt))
        .orderBy(F.col("dt").desc(), F.col("finished_at").desc(), F.col("run_id").desc())
        .limit(1).collect()
    )  # fmt: skip
    if not rows:
        return TrackerState()
    row = rows[0]
    return TrackerState(
        dt=row["dt"],
        run_id=row["run_id"],
        watermark=_utc(row["watermark_to"]) if row["watermark_to"] else None,
        exports_through=_utc(row["exports_through"]) if row["exports_through"] else None,
        table_rows=row["table_rows"],
    )


def current_dt(spark: SparkSession, silver_uri: str) -> str | None:
    """The dt of the current fct_treatment version (the tracker's latest run), if any."""
    return read_tracker_state(spark, silver_uri, "9999-12-31").dt


def empty_frame(spark: SparkSession, schema: T.StructType) -> DataFrame:
    """A frame of ``schema`` with no rows, made in the JVM (no Python worker) and known empty."""
    return spark.range(0).select(*(F.lit(None).cast(f.dataType).alias(f.name) for f in schema.fields))


def read_version(spark: SparkSession, silver_uri: str, state: TrackerState, verify: bool = True) -> DataFrame:
    """The fct_treatment version ``state`` committed (empty before the first run).

    ``verify`` counts its rows against the tracker's ``table_rows`` (SnapshotMismatch when
    they differ), so a damaged version is never read as if it were whole; load_batch checks
    the same count in its own tally instead.
    """
    empty = empty_frame(spark, FCT_TREATMENT_SCHEMA)
    if state.dt is None:
        return empty
    uri = partition_uri(join_uri(silver_uri, FCT_TABLE), dt=state.dt)
    table = spark.read.schema(FCT_TREATMENT_SCHEMA).parquet(uri) if _exists(spark, uri) else empty
    if verify:
        _check_version(state, table.count())
    return table


def _check_version(state: TrackerState, found: int) -> None:
    if found != state.table_rows:
        raise SnapshotMismatch(
            f"{FCT_TABLE}/dt={state.dt} holds {found} rows but run {state.run_id} committed "
            f"{state.table_rows}: rerun dt={state.dt} to rebuild it, then the dts after it"
        )


# --- one run ----------------------------------------------------------------------------------


def _relative(uri: str, raw_prefix: str) -> str:
    return uri[len(raw_prefix) :] if uri.startswith(raw_prefix) else uri


def find_exports(
    spark: SparkSession, raw_uri: str, dt: str, state: TrackerState
) -> tuple[ExportPlan, dict[str, str], int]:
    """Plan this run's exports; returns the plan, data file URIs by relative path, and
    the number of files under raw/treatments that belong to no export."""
    raw_prefix = qualified_uri(spark, raw_uri).rstrip("/") + "/"
    files: list[RawFile] = list_files(spark, join_uri(raw_uri, RAW_PREFIX))
    uri_of = {_relative(f.uri, raw_prefix): f.uri for f in files}
    listing = group_export_files(uri_of, dt)
    manifest_paths = [
        files_[name] for files_ in listing.exports.values()
        if "manifest-summary.json" in files_ and "manifest-files.json" in files_
        for name in ("manifest-summary.json", "manifest-files.json")
    ]  # fmt: skip
    manifests: dict[str, str] = {}
    if manifest_paths:
        texts = read_whole_files(spark, [uri_of[p] for p in manifest_paths]).withColumn(
            "source_file", relative_source(raw_uri, spark)
        )
        manifests = {
            row["source_file"]: row["value"] for row in texts.select("source_file", "value").collect()
        }
    exports = [describe_export(d, listing.dt_of[d], f, manifests) for d, f in listing.exports.items()]
    plan = plan_exports(exports, state.watermark, state.exports_through)
    for export in plan.incomplete:
        log.warning(
            "treatments: export %s is incomplete (%s); a later run reads it",
            export.export_dir,
            export.incomplete,
        )
    for export in plan.invalid:
        log.warning("treatments: export %s cannot be read: %s", export.export_dir, export.invalid)
    ignored = [*listing.ignored, *(path for e in exports for path in e.unlisted)]
    for path in ignored:
        log.warning("treatments: %s is not a data file of a DynamoDB export; ignored", path)
    return plan, {p: uri_of[p] for e in plan.read for p in e.data_files}, len(ignored)


def export_lines(spark: SparkSession, raw_uri: str, plan: ExportPlan, data_uris: dict[str, str]) -> DataFrame:
    """Every line of the planned exports' data files (EXPORT_LINE_SCHEMA)."""
    files = [(path, export) for export in plan.read for path in export.data_files]
    # Each file's export, as a literal map: no Python-side DataFrame, no join.
    export_of = F.create_map(
        *(
            item
            for path, e in files
            for item in (
                F.lit(path),
                F.struct(
                    F.lit(e.export_id).alias("export_id"),
                    F.lit(e.export_time).cast("timestamp").alias("export_time"),
                    F.lit(e.export_dir in plan.new_ids).alias("export_is_new"),
                ),
            )
        )
    )
    lines = read_text_lines(spark, [data_uris[path] for path, _ in files])
    if not files:
        return lines.select(*(F.lit(None).cast(f.dataType).alias(f.name) for f in EXPORT_LINE_SCHEMA.fields))
    return lines.withColumn("source_file", relative_source(raw_uri, spark)).select(
        "source_file",
        "source_line",
        "value",
        "landed_at",
        *(
            export_of[F.col("source_file")][name].alias(name)
            for name in ("export_id", "export_time", "export_is_new")
        ),
    )


@dataclass
class TreatmentBatch:
    """One run's input: the base run, the export plan, every line and base row classified."""

    state: TrackerState
    plan: ExportPlan
    rows: DataFrame  # classified(): lines and base rows with their status, persisted
    tally: dict[str, int] = field(default_factory=dict)  # rows per status
    applied_with_unmodelled: int = 0
    late_changes: int = 0  # quarantined by this run: at or below the watermark, never applied
    watermark_to: datetime | None = None
    files_ignored: int = 0

    def _n(self, *statuses: str) -> int:
        return sum(self.tally.get(status, 0) for status in statuses)

    @property
    def applied(self) -> int:
        return self._n(APPLIED_INSERT, APPLIED_UPDATE)

    @property
    def table_rows(self) -> int:
        return self._n(*NEW_TABLE_STATUSES)

    def counts(self) -> RunCounts:
        """The run record's counts (see the module docstring), with the line identity checked."""
        read = self._n(APPLIED_INSERT, APPLIED_UPDATE, SUPERSEDED, QUARANTINED)
        quarantined, superseded = self._n(QUARANTINED), self._n(SUPERSEDED)
        return RunCounts(
            rows_read=read,
            written={FCT_TABLE: self.applied},
            quarantined={FCT_TABLE: quarantined} if quarantined else {},
            deduplicated={FCT_TABLE: superseded} if superseded else {},
            metrics={
                "lines_scanned": self._n(*STATUSES),  # = read + skipped_* + quarantined_earlier
                "items_in_read_exports": sum(e.item_count for e in self.plan.read),  # their manifests' count
                **{f"lines_{status}": self._n(status) for status in STATUSES},
                "applied_with_unmodelled_attributes": self.applied_with_unmodelled,
                "late_changes_quarantined": self.late_changes,
                "exports_read": len(self.plan.read),
                "exports_new": len(self.plan.new_ids),
                "exports_pruned": len(self.plan.pruned),
                "items_in_pruned_exports": sum(e.item_count for e in self.plan.pruned),
                "exports_incomplete": len(self.plan.incomplete),
                "exports_invalid": len(self.plan.invalid),
                "files_ignored": self.files_ignored,
                "table_rows": self.table_rows,
            },
        )

    def new_table(self) -> DataFrame:
        return new_table(self.rows)

    def quarantine(self) -> DataFrame:
        return quarantine_rows(self.rows)

    def release(self) -> None:
        self.rows.unpersist()


def load_batch(spark: SparkSession, raw_uri: str, silver_uri: str, dt: str) -> TreatmentBatch:
    """Read the tracker, the base version and the exports; classify and count every row.

    Raises SnapshotMismatch when the base version does not hold the rows its run committed.
    """
    state = read_tracker_state(spark, silver_uri, dt)
    plan, data_uris, ignored = find_exports(spark, raw_uri, dt, state)
    items = parsed_items(export_lines(spark, raw_uri, plan, data_uris))
    rows = classified(items, read_version(spark, silver_uri, state, verify=False), state.watermark)
    batch = TreatmentBatch(state, plan, rows.persist(StorageLevel.MEMORY_AND_DISK), files_ignored=ignored)
    applied = F.col("status").isin(APPLIED_INSERT, APPLIED_UPDATE)
    tally = batch.rows.groupBy("status").agg(
        F.count("*").alias("n"),
        F.count(F.when(applied & F.col("unmodelled_attributes").isNotNull(), 1)).alias("unmodelled"),
        F.max(F.when(applied, F.col("metadata_modified_at"))).alias("newest"),
        F.count(
            F.when((F.col("status") == QUARANTINED) & F.col("reason").startswith("late change"), 1)
        ).alias("late"),
    )
    newest: list[datetime] = [] if state.watermark is None else [state.watermark]
    for row in tally.collect():
        batch.tally[row["status"]] = row["n"]
        batch.applied_with_unmodelled += row["unmodelled"]
        batch.late_changes += row["late"]
        newest += [_utc(row["newest"])] if row["newest"] is not None else []
    batch.watermark_to = max(newest, default=None)
    try:
        _check_version(state, batch._n(BASE_KEPT, BASE_REPLACED))
    except SnapshotMismatch:
        batch.release()
        raise
    scanned, listed = batch._n(*STATUSES), sum(e.item_count for e in plan.read)
    if scanned != listed:
        log.warning(
            "treatments: %d lines in the exports read, but their manifests list %d items", scanned, listed
        )
    if batch.late_changes:
        log.warning("treatments: %d late changes (at or below the watermark %s, never applied) quarantined",
                    batch.late_changes, state.watermark)  # fmt: skip
    return batch


def write_version(batch: TreatmentBatch, silver_uri: str, dt: str) -> None:
    """Write the complete table as fct_treatment/dt=<dt> (only that partition is replaced)."""
    rows = batch.table_rows
    files = max(1, math.ceil(rows / ROWS_PER_FILE))
    table = batch.new_table()
    # One file for a small table (no extra shuffle); else ranges of treatment_id per file.
    spread = table.coalesce(1) if files == 1 else table.repartitionByRange(files, "treatment_id")
    replace_partition(
        spread.sortWithinPartitions("treatment_id"), join_uri(silver_uri, FCT_TABLE), {"dt": dt}, rows
    )


def append_tracker_row(
    spark: SparkSession, silver_uri: str, run: JobRun, dt: str, batch: TreatmentBatch
) -> None:
    """The commit: this run's window, counts and table size, appended to silver.etl_tracker."""
    counts = batch.counts()
    values = (
        SOURCE,
        run.run_id,
        run.name,
        batch.state.dt,
        batch.state.watermark,
        batch.watermark_to,
        batch.plan.exports_through,
        counts.rows_read,
        batch.applied,
        counts.rows_quarantined,
        batch.table_rows,
        run.started_at,
        datetime.now(UTC),
        dt,
    )
    # One row built from literals (no Python-side DataFrame, so no Python worker).
    columns = [*TRACKER_SCHEMA.fields, T.StructField("dt", T.StringType(), False)]
    record = spark.range(1).select(
        *(F.lit(value).cast(f.dataType).alias(f.name) for f, value in zip(columns, values, strict=True))
    )
    record.coalesce(1).write.mode("append").partitionBy("dt").parquet(join_uri(silver_uri, TRACKER_TABLE))
