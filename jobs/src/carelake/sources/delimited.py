"""CSV files (RFC 4180) as bronze records: the column contract, the record splitter, typing.

Shared by the Synthea CSV export and the partner claims files. A file's text is split
into records by Python's csv module (strict RFC 4180: quoted commas, quotes and
newlines, CRLF), Arrow-batched per file, because a record's line number and its exact text
must survive and Spark's CSV reader keeps neither (and silently pads or truncates rows
with the wrong field count). Every record comes out with its first line, its text and
its fields, or with the problem that stopped the parser: nothing is dropped or repaired.
Typing and checks are Spark column expressions.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "decimal": T.DecimalType(18, 2),
    "double": T.DoubleType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
}
# Record columns after the typed ones: the record's text as it was in the file, and where.
LINEAGE_FIELDS = (
    T.StructField("raw_line", T.StringType(), True),
    T.StructField("source_file", T.StringType(), True),
    T.StructField("source_line", T.IntegerType(), True),  # the record's first line in the file (1-based)
    T.StructField("landed_at", T.TimestampType(), True),
)


@dataclass(frozen=True)
class CsvColumn:
    header: str
    type: str = "string"
    required: bool = False

    @property
    def name(self) -> str:
        return self.header.lower()


@dataclass(frozen=True)
class CsvTable:
    file: str  # file name stem, e.g. "patients" for patients.csv
    columns: tuple[CsvColumn, ...]

    @property
    def table(self) -> str:
        return f"csv_{self.file}"

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns]


def columns(spec: str) -> tuple[CsvColumn, ...]:
    """Parse 'NAME:type!' tokens (type defaults to string, '!' marks required)."""
    columns = []
    for token in spec.split():
        required = token.endswith("!")
        token = token.rstrip("!")
        header, _, type_ = token.partition(":")
        columns.append(CsvColumn(header, type_ or "string", required))
    return tuple(columns)


# ---------------------------------------------------------------------------------------------
# Splitting a file's text into records (Python, Arrow-batched)
# ---------------------------------------------------------------------------------------------

# One record per row: where it starts, its text (without the final line break), its fields.
RECORD_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), True),
        T.StructField("landed_at", T.TimestampType(), True),
        T.StructField("record_number", T.IntegerType(), True),  # 1 = the header row
        T.StructField("source_line", T.IntegerType(), True),
        T.StructField("raw_line", T.StringType(), True),
        T.StructField("fields", T.ArrayType(T.StringType()), True),
        T.StructField("problem", T.StringType(), True),
    ]
)
_ARROW_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("landed_at", pa.timestamp("us", tz="UTC")),
        ("record_number", pa.int32()),
        ("source_line", pa.int32()),
        ("raw_line", pa.string()),
        ("fields", pa.list_(pa.string())),
        ("problem", pa.string()),
    ]
)
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)$")
FIELD_SIZE_LIMIT = 16 * 1024 * 1024  # bytes of one field; a larger one is a quarantined record


def split_records(text: str) -> Iterator[tuple[int, str, list[str] | None, str | None]]:
    """(first line, record text, fields, problem) for every record of a CSV text.

    Strict RFC 4180. A record the parser rejects (bad quoting, a NUL, an unterminated quote,
    which swallows the rest of the file) comes out as one record with the problem and
    every line it spanned; parsing goes on with the next line. Any exception is caught
    (by outcome, not by class): it becomes the record's problem.
    """
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for match in _LINE.finditer(text):
            if match.group(0):
                consumed.append(match.group(0))
                yield match.group(0)

    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(lines(), strict=True)
    line = 1
    while True:
        consumed.clear()
        problem: str | None = None
        fields: list[str] | None
        try:
            fields = next(reader)
        except StopIteration:
            if not consumed:
                return
            fields, problem = None, "unterminated record at the end of the file"
        except csv.Error as error:
            fields, problem = None, f"malformed CSV record: {error}"
        except Exception as error:
            fields, problem = None, f"malformed CSV record: {type(error).__name__}: {error}"
        if not consumed:  # the parser failed before reading a line: nothing left to read
            return
        raw = _LINE_BREAK.sub("", "".join(consumed))
        yield line, raw, fields, problem
        line += len(consumed)


def _split_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        out: dict[str, list] = {name: [] for name in _ARROW_SCHEMA.names}
        files = batch.column("source_file").to_pylist()
        landed = batch.column("landed_at").to_pylist()
        texts = batch.column("value").to_pylist()
        for source_file, landed_at, text in zip(files, landed, texts, strict=True):
            records = list(split_records(text or "")) or [(1, text or "", None, "no CSV records in the file")]
            for number, (line, raw, fields, problem) in enumerate(records, start=1):
                out["source_file"].append(source_file)
                out["landed_at"].append(landed_at)
                out["record_number"].append(number)
                out["source_line"].append(line)
                out["raw_line"].append(raw)
                out["fields"].append(fields)
                out["problem"].append(problem)
        yield pa.RecordBatch.from_pydict(out, schema=_ARROW_SCHEMA)


def csv_records(texts: DataFrame) -> DataFrame:
    """Whole CSV texts (source_file, landed_at, value) -> one row per record (RECORD_SCHEMA)."""
    return texts.select("source_file", "landed_at", "value").mapInArrow(_split_batches, RECORD_SCHEMA)


# ---------------------------------------------------------------------------------------------
# Typing and checking records (Spark column expressions)
# ---------------------------------------------------------------------------------------------

_INT = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"
_DOUBLE = (
    r"^([+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|NaN|-?Infinity)$"  # Java writes NaN, Infinity
)


def typed(raw: Column, column: CsvColumn) -> Column:
    """The column's typed value; null when the raw text is empty or not of the type."""
    present = raw.isNotNull() & (raw != "")
    kind = column.type
    if kind == "string":
        value = raw
    elif kind == "date":
        value = F.to_date(raw, "yyyy-MM-dd")
    elif kind == "timestamp":
        value = F.to_timestamp(raw, "yyyy-MM-dd'T'HH:mm:ss[.SSS]XXX")
    elif kind in ("int", "bigint"):
        value = F.when(raw.rlike(_INT), raw.cast(SPARK_TYPES[kind]))
    elif kind == "decimal":
        value = F.when(raw.rlike(_DECIMAL), raw.cast(SPARK_TYPES[kind]))
    elif kind == "double":
        value = F.when(raw.rlike(_DOUBLE), raw.cast("double"))
    else:  # pragma: no cover - specs are static
        raise ValueError(f"unknown CSV column type {kind}")
    return F.when(present, value).cast(SPARK_TYPES[kind])


def header_of(records: DataFrame) -> DataFrame:
    """Each file's header row: source_file, header (the fields, BOM-free)."""
    return records.where(F.col("record_number") == 1).select("source_file", F.col("fields").alias("header"))


def typed_records(records: DataFrame, table: CsvTable, file_problem: Column | None = None) -> DataFrame:
    """Data records of one table's files -> ``reason`` (null when good) + typed columns + lineage.

    ``records`` holds data records only (the caller leaves a good file's header row out).
    ``file_problem``: a column expression naming why the record's whole file is rejected
    (e.g. its header), null for a good file.
    """
    data = records
    n = len(table.columns)
    raw = {c.name: F.get(F.col("fields"), i) for i, c in enumerate(table.columns)}
    values = {c.name: typed(raw[c.name], c) for c in table.columns}
    checks: list[Column] = [
        file_problem if file_problem is not None else F.lit(None).cast("string"),
        F.col("problem"),
        F.when(F.size("fields") == 0, F.lit("empty line")),
        F.when(F.size("fields") != n, F.format_string(f"expected {n} fields, found %d", F.size("fields"))),
    ]
    for c in table.columns:
        if c.type != "string":
            is_bad = raw[c.name].isNotNull() & (raw[c.name] != "") & values[c.name].isNull()
            checks.append(
                F.when(
                    is_bad, F.format_string(f"column {c.header}: '%s' is not of type {c.type}", raw[c.name])
                )
            )
    for c in table.columns:
        if c.required:
            checks.append(F.when(values[c.name].isNull(), F.lit(f"column {c.header} is required")))
    return data.select(
        F.coalesce(*checks).alias("reason"),
        *(values[c.name].alias(c.name) for c in table.columns),
        "raw_line",
        "source_file",
        "source_line",
        "landed_at",
    )
