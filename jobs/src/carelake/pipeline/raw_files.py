"""Raw objects in, text out: the one way a job reads the raw zone.

A job gets its objects from the ledger (carelake.pipeline.ledger: what landed and was not
processed yet) and reads them here. Whatever the bytes are, every object comes out: as
text (one row per file, or per line for NDJSON), or as one row with a ``problem`` that
becomes a file-level quarantine record:

- 0 bytes: "empty file (0 bytes)";
- a name ending the source does not read (``.txt``, ``.zip``...): "unsupported file type";
- ``.gz`` files are gunzipped in Python (Arrow-batched, one file per output batch): a truncated,
  corrupt or mislabelled archive is the file's problem, never a failed Spark task;
- text must be UTF-8: bytes that are not are the file's (or the line's, or for CSV the
  record's) problem; nothing is kept with U+FFFD. A UTF-8 byte order mark is removed; CRLF
  and CR line breaks are line breaks.

Uncompressed files are read by Spark itself (whole text, or line by line for NDJSON, so
large bulk files split across tasks). CSV files are read as ordered lines
(:func:`ordered_lines`): a record may span lines, so one partition holds all of a file's
lines in file order, and a record splitter streams through them without ever holding a
whole file.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.declarations import FileKind
from carelake.lake.storage import join

BOM = "\ufeff"
GZIP_SUFFIX = ".gz"
EMPTY_FILE = "empty file (0 bytes)"
NOT_UTF8 = "not UTF-8 text"
_BLOCK, _POSITION = "_block_start", "_position"  # a line's place in its file (ordered_lines)

TEXT_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), True),  # relative to the raw zone
        T.StructField("landed_at", T.TimestampType(), True),
        T.StructField("value", T.StringType(), True),
        T.StructField("problem", T.StringType(), True),  # why the file cannot be read (value is null)
    ]
)
LINE_SCHEMA = T.StructType(
    [
        T.StructField("source_file", T.StringType(), True),
        T.StructField("landed_at", T.TimestampType(), True),
        T.StructField("source_line", T.IntegerType(), True),  # 1-based; null for a file-level problem
        T.StructField("value", T.StringType(), True),
        T.StructField("problem", T.StringType(), True),
    ]
)


@dataclass(frozen=True)
class RawObject:
    """One object in the raw zone, as listed (and recorded in the ledger when processed)."""

    source: str  # the RawSource that owns it
    key: str  # relative to the raw zone, e.g. ehr/fhir/dt=2024-05-01/x.json
    size: int
    modified_at: datetime  # when it landed (S3 LastModified)
    checksum: str  # etag:<ETag> on S3, sha256:<hex> locally
    kind: FileKind | None  # how the source reads it; None: unsupported file type
    problem: str | None = None  # why it cannot be read at all (layout, type), known from its name

    @property
    def compressed(self) -> bool:
        return self.key.endswith(GZIP_SUFFIX)


def _problem_rows(
    spark: SparkSession, rows: list[tuple[str, datetime, str]], schema: T.StructType
) -> DataFrame:
    frame = spark.createDataFrame(rows, "source_file string, landed_at timestamp, problem string")
    return frame.select(
        *(
            F.col(f.name) if f.name in frame.columns else F.lit(None).cast(f.dataType).alias(f.name)
            for f in schema.fields
        )
    )


def qualified_uri(spark: SparkSession, uri: str) -> str:
    """The URI as Hadoop spells it (``/x`` -> ``file:/x``), to compare with the paths Spark reports."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return str(fs.makeQualified(path).toString())


def relative_source(spark: SparkSession, raw_uri: str, column: str = "source_file") -> Column:
    """Spark's file path (qualified, URL-encoded) relative to the raw zone."""
    prefix = qualified_uri(spark, raw_uri).rstrip("/") + "/"
    decoded = F.url_decode(F.col(column))
    return F.when(decoded.startswith(prefix), decoded.substr(len(prefix) + 1, 1 << 20)).otherwise(decoded)


def _valid_utf8(value: Column) -> Column:
    """True when the bytes Spark read are UTF-8: decoding to a Java string and encoding again
    gives the same bytes (an invalid sequence would come back as U+FFFD)."""
    return F.encode(value, "UTF-8") == value.cast("binary")


def _without_bom(value: Column) -> Column:
    return F.when(value.startswith(BOM), F.expr(f"substr({value._jc.toString()}, 2)")).otherwise(value)


# --- gzip, in Python ----------------------------------------------------------------------------

_GUNZIPPED = pa.schema(
    [
        ("path", pa.string()),
        ("landed_at", pa.timestamp("us", tz="UTC")),
        ("value", pa.string()),
        ("problem", pa.string()),
    ]
)


def gunzip_text(data: bytes) -> tuple[str | None, str | None]:
    """(text, None) for a gzip file of UTF-8 text, else (None, problem). Never raises."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        return None, f"not a readable gzip file: {error}"
    except Exception as error:
        return None, f"not a readable gzip file: {type(error).__name__}: {error}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, f"{NOT_UTF8} after gunzip: invalid byte at offset {error.start}"
    return (text[1:] if text.startswith(BOM) else text), None


def _gunzip_batches(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    # One output batch per file: only one decompressed text is held at a time. An input batch
    # holds the compressed bytes of the files of one task (Spark packs files up to
    # spark.sql.files.maxPartitionBytes per task; a larger file is a task of its own).
    for batch in batches:
        for path, landed_at, content in zip(
            batch.column("path").to_pylist(),
            batch.column("modificationTime").to_pylist(),
            batch.column("content").to_pylist(),
            strict=True,
        ):
            text, problem = gunzip_text(content or b"")
            yield pa.RecordBatch.from_pydict(
                {"path": [path], "landed_at": [landed_at], "value": [text], "problem": [problem]},
                schema=_GUNZIPPED,
            )


def _gunzipped(spark: SparkSession, raw_uri: str, uris: list[str]) -> DataFrame:
    """source_file, landed_at, value, problem for .gz files (one file per Arrow batch out)."""
    files = spark.read.format("binaryFile").load(uris).select("path", "modificationTime", "content")
    out = files.mapInArrow(_gunzip_batches, "path string, landed_at timestamp, value string, problem string")
    return out.select(
        relative_source(spark, raw_uri, "path").alias("source_file"), "landed_at", "value", "problem"
    )


# --- the readers ---------------------------------------------------------------------------------


def _split(
    objects: Sequence[RawObject],
) -> tuple[list[tuple[str, datetime, str]], list[RawObject], list[RawObject]]:
    """(file-level problems known from the listing, .gz objects, other readable objects)."""
    problems, gz, plain = [], [], []
    for obj in objects:
        if obj.problem is not None:
            problems.append((obj.key, obj.modified_at, obj.problem))
        elif obj.kind is None:
            problems.append((obj.key, obj.modified_at, "unsupported file type"))
        elif obj.size == 0:
            problems.append((obj.key, obj.modified_at, EMPTY_FILE))
        elif obj.compressed:
            gz.append(obj)
        else:
            plain.append(obj)
    return problems, gz, plain


def read_texts(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject]) -> DataFrame:
    """One row per object (TEXT_SCHEMA): its whole text, or its problem."""
    problems, gz, plain = _split(objects)
    frames = [_problem_rows(spark, problems, TEXT_SCHEMA)]
    if gz:
        frames.append(_gunzipped(spark, raw_uri, [join(raw_uri, o.key) for o in gz]))
    if plain:
        texts = spark.read.text([join(raw_uri, o.key) for o in plain], wholetext=True).select(
            relative_source(spark, raw_uri, "_metadata.file_path").alias("source_file"),
            F.col("_metadata.file_modification_time").alias("landed_at"),
            "value",
        )
        frames.append(
            texts.select(
                "source_file",
                "landed_at",
                F.when(_valid_utf8(F.col("value")), _without_bom(F.col("value"))).alias("value"),
                F.when(~_valid_utf8(F.col("value")), F.lit(NOT_UTF8)).alias("problem"),
            )
        )
    return _union(frames)


def _split_texts(texts: DataFrame, line_break: str) -> DataFrame:
    """Whole texts -> (source_file, landed_at, index, value), one row per line, 0-based index
    (a final line break ends the last line; it adds none)."""
    parts = F.split(F.col("value"), line_break)
    lines_of = F.when(F.element_at(parts, -1) == "", F.slice(parts, 1, F.size(parts) - 1)).otherwise(parts)
    return texts.select("source_file", "landed_at", F.posexplode(lines_of).alias("index", "value"))


def text_lines(texts: DataFrame) -> DataFrame:
    """Readable whole texts (TEXT_SCHEMA) -> their lines, split at LF, with each line's place in
    its file: the rows :func:`ordered_lines` sorts."""
    return _split_texts(texts, "\n").select(
        "source_file",
        "landed_at",
        F.lit(0).cast("long").alias(_BLOCK),
        F.col("index").cast("long").alias(_POSITION),
        "value",
        F.lit(True).alias("utf8"),
    )


def _in_file_order(lines: DataFrame) -> DataFrame:
    return (
        lines.repartition("source_file")
        .sortWithinPartitions("source_file", _BLOCK, _POSITION)
        .drop(_BLOCK, _POSITION)
    )


def ordered_lines(
    spark: SparkSession, raw_uri: str, objects: Sequence[RawObject]
) -> tuple[DataFrame, DataFrame]:
    """(lines, problems): every line of the readable objects, and one TEXT_SCHEMA row per
    object that cannot be read.

    ``lines`` (source_file, landed_at, value, utf8) come in file order, each file's lines in
    one partition, for a reader that consumes them in sequence (a CSV record may span lines).
    Lines end at LF only: a CR stays on its line, so CRLF and a lone CR are the reader's to
    see, and a line break inside a quoted field survives byte for byte. ``utf8`` is false for
    a line whose bytes are not UTF-8; its ``value`` then has U+FFFD where they were (the
    reader still needs the text to find where records end, and must not keep it).
    """
    problems, gz, plain = _split(objects)
    frames = [_problem_rows(spark, problems, TEXT_SCHEMA)]
    line_frames = []
    if gz:
        texts = _gunzipped(spark, raw_uri, [join(raw_uri, o.key) for o in gz])
        frames.append(texts.where(F.col("problem").isNotNull()))
        line_frames.append(text_lines(texts.where(F.col("problem").isNull())))
    if plain:
        raw = spark.read.text([join(raw_uri, o.key) for o in plain], lineSep="\n").select(
            relative_source(spark, raw_uri, "_metadata.file_path").alias("source_file"),
            F.col("_metadata.file_modification_time").alias("landed_at"),
            F.col("_metadata.file_block_start").alias(_BLOCK),
            F.monotonically_increasing_id().alias(_POSITION),
            "value",
        )
        valid = _valid_utf8(F.col("value"))
        as_text = F.when(valid, F.col("value")).otherwise(F.encode("value", "UTF-8").cast("string"))
        line_frames.append(
            raw.select(
                "source_file", "landed_at", _BLOCK, _POSITION, as_text.alias("value"), valid.alias("utf8")
            )
        )
    if not line_frames:
        empty = spark.createDataFrame(
            [], "source_file string, landed_at timestamp, value string, utf8 boolean"
        )
        return empty, _union(frames)
    return _in_file_order(_union(line_frames)), _union(frames)


def _lines_of_texts(texts: DataFrame) -> DataFrame:
    """Whole texts -> LINE_SCHEMA rows (CRLF, CR and LF are line breaks)."""
    lines = _split_texts(texts.where(F.col("problem").isNull()), "\r\n|\r|\n")
    return _union(
        [
            lines.select(
                "source_file",
                "landed_at",
                (F.col("index") + 1).cast("int").alias("source_line"),
                "value",
                F.lit(None).cast("string").alias("problem"),
            ),
            texts.where(F.col("problem").isNotNull()).select(
                "source_file", "landed_at", F.lit(None).cast("int").alias("source_line"), "value", "problem"
            ),
        ]
    )


def read_lines(spark: SparkSession, raw_uri: str, objects: Sequence[RawObject]) -> DataFrame:
    """One row per line (LINE_SCHEMA), or one row per file that cannot be read.

    Blank lines are rows too (the parser decides what they are). A line that is not UTF-8
    is a row with that problem and no value.
    """
    problems, gz, plain = _split(objects)
    frames = [_problem_rows(spark, problems, LINE_SCHEMA)]
    if gz:
        frames.append(_lines_of_texts(_gunzipped(spark, raw_uri, [join(raw_uri, o.key) for o in gz])))
    if plain:
        lines = spark.read.text([join(raw_uri, o.key) for o in plain]).select(
            relative_source(spark, raw_uri, "_metadata.file_path").alias("source_file"),
            F.col("_metadata.file_block_start").alias("_block_start"),
            F.col("_metadata.file_modification_time").alias("landed_at"),
            F.monotonically_increasing_id().alias("_position"),
            "value",
        )
        # Within a file, rows come in split order then position: exact line numbers even
        # when Spark splits a large file.
        in_file_order = Window.partitionBy("source_file").orderBy("_block_start", "_position")
        number = F.row_number().over(in_file_order).cast("int")
        valid = _valid_utf8(F.col("value"))
        value = F.when(number == 1, _without_bom(F.col("value"))).otherwise(F.col("value"))
        frames.append(
            lines.select(
                "source_file",
                "landed_at",
                number.alias("source_line"),
                F.when(valid, value).alias("value"),
                F.when(~valid, F.lit(NOT_UTF8)).alias("problem"),
            )
        )
    return _union(frames)


def _union(frames: list[DataFrame]) -> DataFrame:
    out = frames[0]
    for frame in frames[1:]:
        out = out.unionByName(frame)
    return out
