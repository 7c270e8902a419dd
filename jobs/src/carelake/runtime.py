"""The Glue runtime adapter: the only module in carelake that imports ``awsglue``.

On AWS Glue 5.0 a job gets a ``GlueContext`` and a ``Job`` (for bookmarks); everywhere
else (laptop, CI, the local runner) no PyPI package provides a working GlueContext, so
we build a plain ``SparkSession`` in local mode. Entry scripts only ever see
:class:`JobRun`, so they run unchanged in both places.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pyspark import StorageLevel
from pyspark.sql import SparkSession

# Settings every carelake job relies on, on Glue and locally alike.
SPARK_SETTINGS: dict[str, str] = {
    # Timestamps are stored and compared in UTC.
    "spark.sql.session.timeZone": "UTC",
    # Rerunning a dt rewrites only the partitions the run writes.
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    # dt stays a string when read back, as Athena sees it.
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.legacy.timeParserPolicy": "CORRECTED",
    # Run counts are observed while tables are written (DataFrame.observe). When the optimizer
    # proves an input empty it replaces the plan above it with an empty relation, the observing
    # operator is gone and Observation.get waits forever (SPARK-54620: a state with no new
    # records hung bronze_to_silver). Without empty propagation an empty input runs as an
    # empty scan, and its metrics arrive.
    "spark.sql.optimizer.excludedRules": "org.apache.spark.sql.catalyst.optimizer.PropagateEmptyRelation",
    "spark.sql.adaptive.optimizer.excludedRules": "org.apache.spark.sql.execution.adaptive.AQEPropagateEmptyRelation",
    # Each FHIR record is parsed once (from_json) and ~50 of its fields read. The JSON expression
    # optimization prunes the parsed schema per field read, which turns one parse into one per
    # field once projections collapse: bronze inspection ran 2x slower with it (scripts/bench.py).
    "spark.sql.optimizer.enableJsonExpressionOptimization": "false",
}

# Where every frame a job persists is kept (``frame.persist(CACHE_LEVEL)``). A persisted frame
# is read back a few times within one job; serialized on local disk (and so in the OS page cache,
# which the kernel can reclaim) instead of in the heap, it does not make G1 grow the heap. The
# measured saving and its cost are in docs/runbook.md ("Daily run, backfill, full rebuild").
CACHE_LEVEL = StorageLevel.DISK_ONLY

# Extra settings for a laptop-sized local session.
LOCAL_SETTINGS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "4",
    # CSV files stream as lines (carelake.sources.delimited), so no input file has to fit in
    # memory. A 2 GB heap ran the 1,000-patient pipeline, but raw_to_bronze ran out of it at
    # 4,000 patients (make bench); the JVM adds about 0.6 GB of its own (metaspace, code, GC,
    # threads: -XX:NativeMemoryTracking). make bench records the peak.
    "spark.driver.memory": "4g",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # G1 grows the heap whenever collection takes more than about 8 % of the time
    # (GCTimeRatio=12), so the JVM committed nearly all of its 4 GB at 1,000 patients. Allowing
    # 20 % (GCTimeRatio=4), and shrinking back when more than 30 % is free after a marking cycle,
    # keeps the 4 GB ceiling the 4,000-patient run needs and the heap near what is live. The
    # side-by-side figures are in docs/runbook.md ("Daily run, backfill, full rebuild").
    "spark.driver.extraJavaOptions": "-Dlog4j2.level=ERROR -XX:GCTimeRatio=4 -XX:MaxHeapFreeRatio=30 "
    "-XX:MinHeapFreeRatio=10",
    # A broadcast hash relation holds at least one Tungsten page until the broadcast is
    # cleaned; the default page on a 4g driver is 32-64 MB, so a few dozen broadcasts of a
    # handful of rows each filled the heap (jcmd GC.class_histogram: 2 GB of long[] pages).
    "spark.buffer.pageSize": "2m",
    # Nobody reads the (disabled) UI's plan history; each kept execution holds its plan text.
    "spark.sql.ui.retainedExecutions": "20",
    "spark.sql.maxPlanStringLength": "100000",
    # Above this many input paths Spark lists them in a Spark job of its own (one task per
    # path), which pays off on S3 with executors; on a local disk the driver lists 1,000
    # bundle files in a fraction of the 3 s such a job took (raw_to_bronze, 1,003 bundles).
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "100000",
}


def on_glue() -> bool:
    """True when the AWS Glue libraries are importable (that is, inside a Glue job)."""
    return importlib.util.find_spec("awsglue") is not None


def resolve_args(argv: Sequence[str], names: Sequence[str]) -> dict[str, str]:
    """Resolve ``--name value`` arguments by full name, like Glue's getResolvedOptions.

    Unknown arguments (Glue adds its own, such as ``--job-bookmark-option``) are ignored;
    a missing required name is a clear error.
    """
    parser = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    for name in names:
        parser.add_argument(f"--{name}", required=True)
    parsed, _unknown = parser.parse_known_args(list(argv))
    return vars(parsed)


def local_session(app_name: str = "carelake") -> SparkSession:
    """A local SparkSession configured like the Glue jobs.

    A running session is reused with its own tuning (the test suite's small-data settings,
    say); only SPARK_SETTINGS, which the jobs' results depend on, are applied to it.
    """
    running = SparkSession.getActiveSession()
    if running is not None:
        for key, value in SPARK_SETTINGS.items():
            running.conf.set(key, value)
        return running
    # Python workers must be this interpreter (the project virtualenv), not whatever
    # python3 is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name).master(
        os.environ.get("CARELAKE_SPARK_MASTER", "local[2]")
    )
    for key, value in {**SPARK_SETTINGS, **LOCAL_SETTINGS}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


@dataclass
class JobRun:
    """One run of one job: its arguments, its SparkSession and its bookmark."""

    name: str
    args: dict[str, str]
    spark: SparkSession
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _glue_job: Any = None

    def commit(self) -> None:
        """Commit the Glue job bookmark (a no-op locally, where there is no bookmark)."""
        if self._glue_job is not None:
            self._glue_job.commit()


def start_job(name: str, arg_names: Sequence[str], argv: Sequence[str] | None = None) -> JobRun:
    """Start a job run on Glue (GlueContext + Job bookmark) or locally (SparkSession)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if on_glue():
        from awsglue.context import GlueContext  # type: ignore[import-not-found]
        from awsglue.job import Job  # type: ignore[import-not-found]
        from awsglue.utils import getResolvedOptions  # type: ignore[import-not-found]
        from pyspark.context import SparkContext

        args = getResolvedOptions(["job", *argv], ["JOB_NAME", *arg_names])
        glue_context = GlueContext(SparkContext.getOrCreate())
        spark = glue_context.spark_session
        for key, value in SPARK_SETTINGS.items():
            spark.conf.set(key, value)
        job = Job(glue_context)
        job.init(args["JOB_NAME"], args)
        return JobRun(name=name, args=args, spark=spark, _glue_job=job)
    return JobRun(name=name, args=resolve_args(argv, arg_names), spark=local_session(f"carelake-{name}"))
