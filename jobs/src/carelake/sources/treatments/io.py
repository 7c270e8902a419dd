"""treatments_to_silver's steps: which exports a run may read, their items, and the merge.

An export is read once it is complete: both manifests there, and every data file that
``manifest-files.json`` lists. Until then its objects wait in raw (not in the ledger) and
every run reports them (``raw_objects_deferred``). A complete export's manifest gives its
export time; an export whose manifest cannot be read has all its objects quarantined with
that reason. Each data line is one item (carelake.sources.treatments.parse); an item whose
``metadata_modified_at`` is after its export's time (+ the clock allowance) is a bad date.
Good items are merged into the table as of the base commit: latest ``metadata_modified_at``
wins per treatment_id (then landing time, file, line). Counts: read = item lines; written =
items that won (inserted or updated); deduplicated = items that lost; quarantined = bad lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from carelake.declarations import sort_order
from carelake.lake.storage import join, storage_for
from carelake.pipeline.accounting import quarantine_rows
from carelake.pipeline.batch import counted
from carelake.pipeline.raw_files import RawObject, read_lines
from carelake.pipeline.rules import first_failure
from carelake.sources.treatments.contract import (
    EXPORT_CLOCK_ALLOWANCE,
    EXPORT_METADATA,
    FCT_TREATMENT_SCHEMA,
    RAW,
    SOURCE,
    TABLES,
)
from carelake.sources.treatments.parse import ITEM_LINE_SCHEMA, parse_utc_timestamp, parsed_lines

_PATH = re.compile(rf"{RAW.prefix}/{RAW.path_pattern}")
(TABLE,) = TABLES


@dataclass(frozen=True)
class Export:
    """One DynamoDB export folder (paths relative to the raw zone)."""

    export_dir: str
    export_id: str
    keys: tuple[str, ...]  # every object of the export in this listing
    export_time: datetime | None = None
    data_files: tuple[str, ...] = ()
    item_count: int = 0
    incomplete: str | None = None  # why it must wait
    invalid: str | None = None  # why it cannot be read


def export_of(key: str) -> tuple[str, str, str] | None:
    """(export folder, export id, path inside the export) of a raw key, or None."""
    match = _PATH.fullmatch(key)
    if match is None:
        return None
    return f"{RAW.prefix}/dt={match['dt']}/{match['export_dir']}", match["export_id"], match["rest"]


def describe_export(
    export_dir: str, export_id: str, keys: dict[str, str], manifest: dict[str, str]
) -> Export:
    """An export's time, data files and state from its keys (path inside -> key) and manifest texts."""
    all_keys = tuple(sorted(keys.values()))
    if "manifest-summary.json" not in keys or "manifest-files.json" not in keys:
        return Export(
            export_dir,
            export_id,
            all_keys,
            incomplete="manifest-summary.json or manifest-files.json not there yet",
        )
    try:
        summary = json.loads(manifest["manifest-summary.json"])
        if not isinstance(summary, dict):
            raise ValueError("not an object")
        if summary.get("outputFormat", "DYNAMODB_JSON") != "DYNAMODB_JSON":
            raise ValueError(f"outputFormat {summary['outputFormat']!r} is not DYNAMODB_JSON")
        stamp = summary.get("exportTime") or summary.get("exportToTime")
        if not isinstance(stamp, str):
            raise ValueError("no exportTime")
        export_time = parse_utc_timestamp(stamp)
    except Exception as error:
        return Export(export_dir, export_id, all_keys, invalid=f"manifest-summary.json: {error}")
    data_files, item_count = [], 0
    try:
        for line in manifest["manifest-files.json"].splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            key = entry["dataFileS3Key"]
            item_count += int(entry["itemCount"])
            _, sep, tail = key.partition("AWSDynamoDB/")
            if not sep or not tail.startswith(f"{export_id}/data/"):
                raise ValueError(f"data file {key!r} is not in export {export_id}")
            data_files.append(f"{export_dir}/{tail[len(export_id) + 1 :]}")
    except Exception as error:
        return Export(export_dir, export_id, all_keys, invalid=f"manifest-files.json: {error}")
    missing = [path for path in data_files if path not in set(keys.values())]
    if missing:
        return Export(export_dir, export_id, all_keys, export_time,
                      incomplete=f"{len(missing)} data files listed in manifest-files.json not there yet")  # fmt: skip
    return Export(export_dir, export_id, all_keys, export_time, tuple(data_files), item_count)


def exports(raw_uri: str, objects: Sequence[RawObject]) -> tuple[list[Export], list[RawObject]]:
    """The exports the objects belong to (manifests read here: small JSON), and the objects of none."""
    grouped: dict[tuple[str, str], dict[str, str]] = {}
    outside = []
    for obj in objects:
        place = export_of(obj.key)
        if place is None or obj.problem is not None:
            outside.append(obj)
            continue
        grouped.setdefault(place[:2], {})[place[2]] = obj.key
    described = []
    for (export_dir, export_id), keys in sorted(grouped.items()):
        texts = {}
        for name in ("manifest-summary.json", "manifest-files.json"):
            if name in keys:
                uri = join(raw_uri, keys[name])
                try:
                    texts[name] = storage_for(uri).read_bytes(uri).decode("utf-8")
                except Exception as error:
                    texts[name] = f"<unreadable: {error}>"
        described.append(describe_export(export_dir, export_id, keys, texts))
    return described, outside


def deferred_objects(raw_uri: str, objects: list[RawObject]) -> dict[str, str]:
    """For the ledger's plan: the objects of exports that are not complete yet, and why."""
    found, _ = exports(raw_uri, objects)
    return {key: f"export {e.export_id}: {e.incomplete}" for e in found if e.incomplete for key in e.keys}


@dataclass
class TreatmentItems:
    """A batch's item lines, checked, and the run's quarantine."""

    lines: DataFrame  # persisted; reason null for a good item
    quarantine: DataFrame
    read: object  # Observation of the line count
    metrics: dict[str, int]


def _not_of_the_export(key: str) -> str:
    if "/data/" in key:
        return "data file not listed in the export's manifest-files.json"
    return "neither a manifest nor a data file of the export (manifest-files.json lists the data files)"


def classify(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject]) -> TreatmentItems:
    found, outside = exports(raw_uri, objects)
    readable = [e for e in found if e.invalid is None and e.incomplete is None]
    by_key = {o.key: o for o in objects}
    export_of_file = {key: e for e in readable for key in e.data_files}
    data_objects = [by_key[key] for key in sorted(export_of_file)]

    # Objects no item comes from: one file-level quarantine row each, except the manifests
    # and checksums of readable exports (read above, nothing to keep).
    file_rows = [
        (
            o.key,
            o.modified_at,
            o.problem or "not a file of a DynamoDB export (<folders>/AWSDynamoDB/<export-id>/...)",
        )
        for o in outside
    ]
    for e in found:
        if e.invalid:
            file_rows += [
                (key, by_key[key].modified_at, f"export {e.export_id} cannot be read: {e.invalid}")
                for key in e.keys
            ]
        elif e.incomplete is None:
            file_rows += [
                (key, by_key[key].modified_at, _not_of_the_export(key))
                for key in e.keys
                if key not in export_of_file and key.rsplit("/", 1)[-1] not in EXPORT_METADATA
            ]
    files = spark.createDataFrame(file_rows, "source_file string, landed_at timestamp, reason string")
    lines = None
    if data_objects:

        def lookup(values: dict[str, object], kind: str) -> F.Column:
            pairs = [
                x for key, value in sorted(values.items()) for x in (F.lit(key), F.lit(value).cast(kind))
            ]
            return F.element_at(F.create_map(*pairs), F.col("source_file"))

        lines = (
            parsed_lines(read_lines(spark, raw_uri, data_objects))
            .withColumn("export_id", lookup({k: e.export_id for k, e in export_of_file.items()}, "string"))
            .withColumn(
                "export_time", lookup({k: e.export_time for k, e in export_of_file.items()}, "timestamp")
            )
        )

    if lines is None:
        lines = (
            spark.createDataFrame([], ITEM_LINE_SCHEMA)
            .withColumn("export_id", F.lit(None).cast("string"))
            .withColumn("export_time", F.lit(None).cast("timestamp"))
        )
    after_export = F.col("metadata_modified_at") > F.col("export_time") + F.expr(
        f"INTERVAL {int(EXPORT_CLOCK_ALLOWANCE.total_seconds())} SECONDS"
    )
    rule, rule_reason = first_failure(TABLE.qualified_name)
    checked = lines.withColumn(
        "reason",
        F.coalesce(
            "reason",
            F.when(after_export, F.lit("bad metadata_modified_at: later than its export's exportTime")),
        ),
    )
    checked = checked.withColumn("rule", F.when(F.col("reason").isNull(), rule)).withColumn(
        "reason", F.coalesce("reason", rule_reason)
    )
    items, read = counted(
        checked.unionByName(_file_items(files), allowMissingColumns=True), f"{SOURCE}-items"
    )
    quarantine = quarantine_rows(
        items.where(F.col("reason").isNotNull()), source=SOURCE, reason=F.col("reason"), target_table=TABLE.name,
        record=F.col("record"), rule=F.col("rule"),
    )  # fmt: skip
    metrics = {
        "exports_read": len(readable),
        "exports_invalid": sum(1 for e in found if e.invalid),
        "items_in_read_exports": sum(e.item_count for e in readable),
    }
    return TreatmentItems(items, quarantine, read, metrics)


def _file_items(files: DataFrame) -> DataFrame:
    return files.select(
        "source_file", F.lit(None).cast("int").alias("source_line"), "landed_at",
        F.lit(None).cast("string").alias("record"), "reason", F.lit(None).cast("string").alias("rule"),
    )  # fmt: skip


def merged(base: DataFrame, items: DataFrame) -> DataFrame:
    """Base rows and good items, ranked per treatment_id (``_rank`` 1 wins) with ``_is_item``."""
    good = items.where(F.col("reason").isNull()).select(
        *(F.col(f.name).cast(f.dataType).alias(f.name) for f in FCT_TREATMENT_SCHEMA.fields),
        F.lit(True).alias("_is_item"),
    )
    candidates = base.select(*FCT_TREATMENT_SCHEMA.fieldNames(), F.lit(False).alias("_is_item")).unionByName(
        good
    )
    order = sort_order(TABLE.dedup_order)
    return candidates.withColumn(
        "_rank", F.row_number().over(Window.partitionBy("treatment_id").orderBy(*order))
    )
