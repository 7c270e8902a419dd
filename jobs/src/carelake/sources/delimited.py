"""CSV files (RFC 4180) as bronze records: the column contract, the record splitter, typing.

Shared by the Synthea CSV export and the partner claims files. A file's lines, in file
order (carelake.pipeline.raw_files.ordered_lines), are split into records by Python's csv
module (strict RFC 4180: quoted commas, quotes and newlines, CRLF), Arrow-batched and
streamed: no whole file is ever one value, so a file's size is bounded by disk, not by
memory. Python's csv module, because a record's line number and its exact text must
survive and Spark's CSV reader keeps neither (and silently pads or truncates rows with
the wrong field count). Every record comes out with its first line, its text and its
fields, or with the problem that stopped the parser: nothing is dropped or repaired.
Typing and checks are Spark column expressions.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.pipeline.raw_files import BOM, NOT_UTF8, RawObject, ordered_lines

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
        # The file's first record (its header row): every record carries it, so the file checks
        # need no pass over the whole file to find it.
        T.StructField("header", T.ArrayType(T.StringType()), True),
        T.StructField("header_problem", T.StringType(), True),
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
        ("header", pa.list_(pa.string())),
        ("header_problem", pa.string()),
    ]
)
_LINE_COLUMNS = ("source_file", "landed_at", "value", "utf8")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)$")
FIELD_SIZE_LIMIT = 16 * 1024 * 1024  # bytes of one field; a larger one is a quarantined record
RECORDS_PER_BATCH = 10_000  # Arrow batch of records handed back to Spark: bounds the worker's memory


def physical_lines(lines: Iterable[tuple[str, bool]]) -> Iterator[tuple[str, bool]]:
    """A file's LF-split lines (ordered_lines: without the LF) -> its lines with their breaks
    (LF, CRLF or a lone CR), each with whether it was UTF-8. The file's BOM is removed."""
    first = True
    for value, utf8 in lines:
        text = value + "\n"  # the last line may have had none: a final break adds no record
        if first:
            text, first = text.removeprefix(BOM), False
        for match in _LINE.finditer(text):
            yield match.group(0), utf8


def split_records(
    lines: Iterable[tuple[str, bool]],
) -> Iterator[tuple[int, str | None, list[str] | None, str | None]]:
    """(first line, record text, fields, problem) for every record of a CSV file, given its
    lines with their breaks (:func:`physical_lines`).

    Strict RFC 4180. A record the parser rejects (bad quoting, a NUL, an unterminated quote,
    which swallows the rest of the file) comes out as one record with the problem and
    every line it spanned; parsing goes on with the next line. Any exception is caught
    (by outcome, not by class): it becomes the record's problem. A record with a line that
    was not UTF-8 is that problem, without text or fields (nothing is kept with U+FFFD).
    """
    consumed: list[str] = []
    not_utf8 = False

    def texts() -> Iterator[str]:
        nonlocal not_utf8
        for text, utf8 in lines:
            consumed.append(text)
            not_utf8 = not_utf8 or not utf8
            yield text

    csv.field_size_limit(FIELD_SIZE_LIMIT)
    reader = csv.reader(texts(), strict=True)
    line = 1
    while True:
        consumed.clear()
        not_utf8 = False
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
        if not_utf8:
            yield line, None, None, NOT_UTF8
        else:
            yield line, _LINE_BREAK.sub("", "".join(consumed)), fields, problem
        line += len(consumed)


class _Records:
    """Output rows (RECORD_SCHEMA) collected into Arrow batches of RECORDS_PER_BATCH."""

    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in _ARROW_SCHEMA.names}

    def add(self, *values: object) -> None:
        for column, value in zip(self.columns.values(), values, strict=True):
            column.append(value)

    def full(self) -> bool:
        return len(self.columns["source_file"]) >= RECORDS_PER_BATCH

    def take(self) -> pa.RecordBatch:
        batch = pa.RecordBatch.from_pydict(self.columns, schema=_ARROW_SCHEMA)
        self.columns = {name: [] for name in _ARROW_SCHEMA.names}
        return batch


def _records_of_lines(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """A partition of ordered lines -> its records, file by file, streaming."""

    def rows() -> Iterator[tuple]:
        for batch in batches:
            yield from zip(*(batch.column(name).to_pylist() for name in _LINE_COLUMNS), strict=True)

    out = _Records()
    for (source_file, landed_at), file_rows in itertools.groupby(rows(), key=lambda row: row[:2]):
        lines = physical_lines((value, utf8) for _, _, value, utf8 in file_rows)
        header: tuple[list[str] | None, str | None] | None = None
        for number, (line, raw, fields, problem) in enumerate(split_records(lines), start=1):
            header = header or (fields, problem)
            out.add(source_file, landed_at, number, line, raw, fields, problem, *header)
            if out.full():
                yield out.take()
        if header is None:
            problem = "no CSV records in the file"
            out.add(source_file, landed_at, 1, 1, "", None, problem, None, problem)
    yield out.take()


def csv_records(lines: DataFrame) -> DataFrame:
    """Ordered lines (carelake.pipeline.raw_files.ordered_lines) -> one row per record (RECORD_SCHEMA)."""
    return lines.select(*_LINE_COLUMNS).mapInArrow(_records_of_lines, RECORD_SCHEMA)


def read_csv_records(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject]) -> DataFrame:
    """Every record of the CSV objects (RECORD_SCHEMA and ``problem_of_file``): a file that
    cannot be read is one record (number 1) with its problem in ``problem_of_file``."""
    lines, unreadable = ordered_lines(spark, raw_uri, objects)
    records = csv_records(lines).withColumn("problem_of_file", F.lit(None).cast("string"))
    # fmt: off
    file_records = unreadable.select(
        "source_file", "landed_at",
        F.lit(1).alias("record_number"), F.lit(None).cast("int").alias("source_line"),
        F.col("value").alias("raw_line"), F.lit(None).cast("array<string>").alias("fields"),
        F.lit(None).cast("string").alias("problem"),
        F.lit(None).cast("array<string>").alias("header"), F.lit(None).cast("string").alias("header_problem"),
        F.col("problem").alias("problem_of_file"),
    )
    # fmt: on
    return records.unionByName(file_records)


def data_records(records: DataFrame, *problems: Column) -> DataFrame:
    """Records of CSV files (read_csv_records) -> their data records with ``file_problem``:
    why every record of the file is rejected, null for a good file. The first problem that
    applies wins: the file could not be read, its header row could not be split, then
    ``problems`` in order (the source's checks of ``header`` and the file's name). The header
    row of a good file is not a record; every record of a bad file is."""
    file_problem = F.coalesce(
        F.col("problem_of_file"),
        F.when(
            F.col("header_problem").isNotNull(), F.concat(F.lit("no readable header row: "), "header_problem")
        ),
        *problems,
    )
    checked = records.withColumn("file_problem", file_problem)
    return checked.where(~((F.col("record_number") == 1) & F.col("file_problem").isNull())).drop(
        "header", "header_problem"
    )


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
