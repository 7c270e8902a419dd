"""Reading table versions with Spark."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T

from carelake.lake.state import STRUCTURAL_COLUMNS, TableVersion


def read_version(spark: SparkSession, version: TableVersion, with_version_folder: bool = False) -> DataFrame:
    """The table's rows (data columns, then partition columns as strings); empty with its schema
    when it has no partitions yet. ``with_version_folder`` adds ``v``, the name of the version
    folder each row is in (``<commit seq>-<run>``)."""
    schema = version.table.read_schema()
    if with_version_folder:
        schema = T.StructType([*schema.fields, T.StructField("v", T.StringType(), True)])
    if not version.partitions:
        return spark.createDataFrame([], schema)
    structural = [T.StructField(c, T.StringType(), True) for c in STRUCTURAL_COLUMNS if c not in schema.fieldNames()]
    frame = (
        spark.read.schema(T.StructType([*schema.fields, *structural]))
        .option("basePath", version.zone_uri)
        .parquet(*version.uris)
    )
    return frame.select(*schema.fieldNames())
