"""What a lake table (and a raw source) declaration says; the declarations are collected in carelake.registry.

This module imports nothing from carelake, so the modules that declare tables (a source's
contract, silver's and gold's table modules) can import it without cycles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from pyspark.sql import types as T


class Classification(StrEnum):
    """What the data is, under HIPAA (docs/hipaa-controls.md, data classification)."""

    PHI = "phi"  # direct identifiers (names, SSN, MRN, free text, full addresses)
    LIMITED_DATA_SET = "limited-data-set"  # 164.514(e): dates, ZIP3, source ids; no direct identifiers
    DEIDENTIFIED = "deidentified"  # Safe Harbor 164.514(b)(2)
    NON_PHI = "non-phi"  # about the pipeline, not about people (run records, the raw-object ledger)


class Layout(StrEnum):
    """How a table changes from run to run."""

    SNAPSHOT = "snapshot"  # each commit replaces the whole table (one folder)
    PARTITIONED = "partitioned"  # each commit replaces the partitions it wrote; the others stay


@dataclass(frozen=True)
class Table:
    """One lake table: where it lives, what a row is, who may read it, and its columns."""

    zone: str
    name: str
    description: str
    schema: T.StructType  # data columns, in order (partition columns are not part of it)
    key: tuple[str, ...] = ()  # the grain: unique and not null in every version ((): none declared)
    classification: Classification = Classification.PHI
    direct_identifiers: tuple[str, ...] = ()  # columns holding HIPAA direct identifiers
    partition_keys: tuple[str, ...] = ()  # string columns, outermost first (Athena sees them as varchar)
    dedup_key: tuple[str, ...] = ()  # latest wins per these columns (default: the key)
    dedup_order: tuple[str, ...] = ()  # latest wins: SQL ORDER BY terms, the winner first
    format: str = "parquet"

    @property
    def qualified_name(self) -> str:
        return f"{self.zone}.{self.name}"

    @property
    def layout(self) -> Layout:
        return Layout.PARTITIONED if self.partition_keys else Layout.SNAPSHOT

    @property
    def versions_key(self) -> tuple[str, ...]:
        """The columns whose versions latest-wins deduplication ranks."""
        return self.dedup_key or self.key

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.schema.fields)

    def read_schema(self) -> T.StructType:
        """Data columns then partition columns (strings): what a reader of the table sees."""
        return T.StructType(
            [*self.schema.fields, *(T.StructField(k, T.StringType(), True) for k in self.partition_keys)]
        )

    def __post_init__(self) -> None:
        names = self.columns
        problems = []
        if len(set(names)) != len(names):
            problems.append("duplicate column names")
        for group, columns in (
            ("key", self.key),
            ("dedup_key", self.dedup_key),
            ("direct_identifiers", self.direct_identifiers),
        ):
            missing = [c for c in columns if c not in names and c not in self.partition_keys]
            if missing:
                problems.append(f"{group} names unknown columns {missing}")
        clash = set(self.partition_keys) & set(names)
        if clash:
            problems.append(f"partition keys {sorted(clash)} are also data columns")
        if problems:
            raise ValueError(f"table {self.zone}.{self.name}: " + "; ".join(problems))


_SIMPLE_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "double": T.DoubleType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
}


def data_type(text: str) -> T.DataType:
    """A Spark type from its simpleString (``decimal(14,2)``, ``array<string>``, ``map<string,bigint>``).

    Spark's own DDL parser needs a running SparkContext; table declarations must not.
    """
    text = text.strip()
    if text in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[text]
    if text.startswith("decimal(") and text.endswith(")"):
        precision, scale = text[len("decimal(") : -1].split(",")
        return T.DecimalType(int(precision), int(scale))
    if text.startswith("array<") and text.endswith(">"):
        return T.ArrayType(data_type(text[len("array<") : -1]))
    if text.startswith("map<") and text.endswith(">"):
        inner = text[len("map<") : -1]
        depth = 0
        for index, char in enumerate(inner):
            depth += char == "<"
            depth -= char == ">"
            if char == "," and depth == 0:
                return T.MapType(data_type(inner[:index]), data_type(inner[index + 1 :]))
    raise ValueError(f"unsupported column type {text!r}")


def schema(spec: str, not_null: tuple[str, ...] = ()) -> T.StructType:
    """``"a string, b decimal(14,2)"`` -> StructType; commas inside <> and () do not split."""
    fields, depth, start = [], 0, 0
    for index, char in enumerate(spec + ","):
        depth += char in "<("
        depth -= char in ">)"
        if char == "," and depth == 0:
            column = spec[start:index].strip()
            start = index + 1
            if column:
                name, _, type_text = column.partition(" ")
                fields.append(T.StructField(name, data_type(type_text), name not in not_null))
    return T.StructType(fields)


class FileKind(StrEnum):
    """How a raw file is read: as one text (a FHIR Bundle, a CSV file) or as lines (NDJSON)."""

    WHOLE_TEXT = "whole_text"
    LINES = "lines"


@dataclass(frozen=True)
class RawSource:
    """Where one source lands in the raw zone and how its files are read.

    ``prefix`` is the folder under the raw zone; ``layout`` the path below it, as a
    pattern with named parts (``dt`` is the landing date folder). ``formats`` maps file
    name endings to how the file is read; ``.gz`` endings are gunzipped first. A file
    with any other ending is one quarantined record ("unsupported file type").
    """

    name: str
    description: str
    job: str
    prefix: str
    layout: str  # e.g. "partner=<partner_id>/dt=<YYYY-MM-DD>/<file>"
    path_pattern: str  # regex over the path below prefix; named groups become path values
    formats: dict[str, FileKind]
    expected_every_hours: int  # freshness: an alert when nothing landed for this long

    def kind_of(self, key: str) -> FileKind | None:
        """How to read ``key`` (relative to the source's prefix); None: not a supported file type."""
        for ending in sorted(self.formats, key=len, reverse=True):
            if key.endswith(ending):
                return self.formats[ending]
        return None


_ORDER_TERM = re.compile(
    r"^(?P<expr>.+?)(\s+(?P<dir>asc|desc))?(\s+nulls\s+(?P<nulls>first|last))?$", re.IGNORECASE
)


def sort_order(terms: tuple[str, ...]) -> list:
    """Spark sort columns from ORDER BY terms (``"landed_at desc nulls last"``)."""
    from pyspark.sql import functions as F

    columns = []
    for term in terms:
        match = _ORDER_TERM.match(term.strip())
        if match is None:
            raise ValueError(f"not an ORDER BY term: {term!r}")
        column = F.expr(match["expr"])
        descending = (match["dir"] or "asc").lower() == "desc"
        nulls = (match["nulls"] or ("last" if descending else "first")).lower()
        method = f"{'desc' if descending else 'asc'}_nulls_{nulls}"
        columns.append(getattr(column, method)())
    return columns
