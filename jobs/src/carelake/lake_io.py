"""Reading raw files and writing lake tables, the same way on S3 (Glue) and locally.

File listing goes through Hadoop's FileSystem API, so s3:// on Glue and plain folders
on a laptop take one code path.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession, Window
from pyspark.sql import functions as F

from carelake.config import join_uri


@dataclass(frozen=True)
class RawFile:
    uri: str
    size: int


def _hadoop_path(spark: SparkSession, uri: str):  # type: ignore[no-untyped-def]
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def qualified_uri(spark: SparkSession, uri: str) -> str:
    """The URI as Hadoop spells it (``/x`` -> ``file:/x``), to compare with file paths Spark reports."""
    path, fs = _hadoop_path(spark, uri)
    return str(fs.makeQualified(path).toString())


def list_files(spark: SparkSession, uri: str) -> list[RawFile]:
    """Every file under ``uri`` (recursively), sorted by URI; [] when the folder is absent.

    Names starting with ``_`` or ``.`` are skipped, as Spark and Hadoop skip them
    (``_SUCCESS``, ``.crc``, temporary uploads).
    """
    path, fs = _hadoop_path(spark, uri)
    if not fs.exists(path):
        return []
    files: list[RawFile] = []
    iterator = fs.listFiles(path, True)
    while iterator.hasNext():
        status = iterator.next()
        name = status.getPath().getName()
        if name.startswith(("_", ".")):
            continue
        files.append(RawFile(status.getPath().toString(), int(status.getLen())))
    return sorted(files, key=lambda f: f.uri)


def delete_path(spark: SparkSession, uri: str) -> None:
    """Delete a folder (recursively) if it exists."""
    path, fs = _hadoop_path(spark, uri)
    if fs.exists(path):
        fs.delete(path, True)


def read_text_lines(spark: SparkSession, uris: list[str]) -> DataFrame:
    """Lines of text files with their file and 1-based line number.

    Columns: source_file, source_line, value, landed_at (the file's modification time,
    i.e. when it landed in raw). Blank lines are kept (they are records too). Line
    numbers are exact even when Spark splits a large file: within a file, rows are
    ordered by split offset, then by position inside the split.
    """
    if not uris:
        return spark.createDataFrame(
            [], "source_file string, source_line int, value string, landed_at timestamp"
        )
    lines = spark.read.text(uris).select(
        F.col("_metadata.file_path").alias("source_file"),
        F.col("_metadata.file_block_start").alias("_block_start"),
        F.col("_metadata.file_modification_time").alias("landed_at"),
        F.monotonically_increasing_id().alias("_position"),
        "value",
    )
    in_file_order = Window.partitionBy("source_file").orderBy("_block_start", "_position")
    return lines.select(
        "source_file",
        F.row_number().over(in_file_order).cast("int").alias("source_line"),
        "value",
        "landed_at",
    )


def read_whole_files(spark: SparkSession, uris: list[str]) -> DataFrame:
    """One row per file: source_file, value (the whole text), landed_at."""
    if not uris:
        return spark.createDataFrame([], "source_file string, value string, landed_at timestamp")
    return spark.read.text(uris, wholetext=True).select(
        F.col("_metadata.file_path").alias("source_file"),
        "value",
        F.col("_metadata.file_modification_time").alias("landed_at"),
    )


def write_partitions(df: DataFrame, table_uri: str, partition_by: list[str]) -> None:
    """Overwrite exactly the partitions present in ``df`` (dynamic partition overwrite)."""
    df.write.mode("overwrite").partitionBy(*partition_by).parquet(table_uri)


def partition_uri(table_uri: str, **partition: str) -> str:
    return join_uri(table_uri, *(f"{key}={value}" for key, value in partition.items()))


def file_name(column: str) -> Column:
    """The last path segment of a URI column."""
    return F.element_at(F.split(F.col(column), "/"), -1)
