"""The local runtime: job arguments, the shared SparkSession and what a finished job leaves."""

from __future__ import annotations

import ast
import re

import pytest

from carelake.runner import release_cached_data
from carelake.runtime import LOCAL_SETTINGS, SPARK_SETTINGS, local_session, resolve_args
from tests.paths import REPO


def test_arguments_resolve_by_full_name_and_glue_extras_are_ignored():
    argv = ["--lake", "/tmp/lake", "--job-bookmark-option", "job-bookmark-enable", "--dt", "2026-06-30"]
    assert resolve_args(argv, ["lake", "dt"]) == {"lake": "/tmp/lake", "dt": "2026-06-30"}


def test_a_missing_argument_names_itself(capsys):
    with pytest.raises(SystemExit):
        resolve_args(["--lake", "/tmp/lake"], ["lake", "dt"])
    assert "--dt" in capsys.readouterr().err


@pytest.mark.spark
def test_a_job_reuses_the_running_session_with_its_tuning(spark):
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        reused = local_session("carelake-some-job")
        settings = {key: spark.conf.get(key) for key in SPARK_SETTINGS}
    finally:  # the session is shared by the whole run
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert reused is spark
    # The settings results depend on are enforced again ...
    assert settings == SPARK_SETTINGS
    # ... and the running session's own tuning (the tests' small-data settings) is kept.
    assert spark.conf.get("spark.sql.adaptive.enabled") == "false"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"


@pytest.mark.spark
def test_the_driver_jvm_runs_with_the_heap_settings_asked_for(spark):
    # Spark starts the JVM with -XX:+IgnoreUnrecognizedVMOptions, so a misspelled flag would be
    # dropped without a word: ask the running JVM what it uses.
    asked = dict(re.findall(r"-XX:(\w+)=(\S+)", LOCAL_SETTINGS["spark.driver.extraJavaOptions"]))
    jvm = spark.sparkContext._jvm
    diagnostics = jvm.java.lang.management.ManagementFactory.getPlatformMXBean(
        jvm.java.lang.Class.forName("com.sun.management.HotSpotDiagnosticMXBean")
    )
    in_effect = {name: diagnostics.getVMOption(name).getValue() for name in asked}
    assert asked.keys() >= {"GCTimeRatio", "MaxHeapFreeRatio", "MinHeapFreeRatio"}
    assert in_effect == asked


def test_every_frame_the_jobs_persist_is_kept_at_the_one_cache_level():
    # A frame persisted in the heap makes G1 grow it (runtime.CACHE_LEVEL says why); .cache() and
    # a bare .persist() mean MEMORY_AND_DISK.
    persisted, elsewhere = 0, []
    for path in sorted((REPO / "jobs" / "src" / "carelake").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr not in ("persist", "cache"):
                    continue
                level = [ast.unparse(a) for a in node.args]
                if level == ["CACHE_LEVEL"] and not node.keywords:
                    persisted += 1
                else:
                    elsewhere.append(
                        f"{path.relative_to(REPO)}:{node.lineno} {ast.unparse(node.func)}({', '.join(level)})"
                    )
    assert elsewhere == []
    assert persisted >= 8


@pytest.mark.spark
def test_a_finished_job_leaves_no_cached_frames(spark):
    cache = spark._jsparkSession.sharedState().cacheManager()
    spark.range(10).persist().count()
    assert not cache.isEmpty()
    release_cached_data()
    assert cache.isEmpty()


@pytest.mark.spark
@pytest.mark.parametrize("adaptive", ["false", "true"])
def test_counts_observed_over_an_empty_input_arrive(spark, adaptive):
    # A state with no new records: empty input, unioned with the (empty) current rows and
    # ranked by a window, as bronze_to_silver merges it. With empty-relation propagation the
    # optimizer removes the observing operator and Observation.get never returns (SPARK-54620).
    import threading

    from pyspark.sql import Observation, Window
    from pyspark.sql import functions as F

    previous = spark.conf.get("spark.sql.adaptive.enabled")
    spark.conf.set("spark.sql.adaptive.enabled", adaptive)
    try:
        empty = spark.createDataFrame([], "record_id string, version int")
        observation = Observation(f"empty-input-{adaptive}")
        arriving = empty.observe(observation, F.count(F.lit(1)).alias("arrived"))
        merged = empty.unionByName(arriving).withColumn(
            "newest", F.max("version").over(Window.partitionBy("record_id"))
        )
        assert merged.agg(F.count("record_id")).first()[0] == 0
        got: dict = {}
        waiter = threading.Thread(target=lambda: got.update(observation.get), daemon=True)
        waiter.start()
        waiter.join(timeout=60)
    finally:
        spark.conf.set("spark.sql.adaptive.enabled", previous)
    assert got == {"arrived": 0}, (
        "the observed count never arrived: the optimizer removed the observing operator"
    )
