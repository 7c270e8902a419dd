"""The local runtime: job arguments, the shared SparkSession and what a finished job leaves."""

from __future__ import annotations

import pytest

from carelake.runner import release_cached_data
from carelake.runtime import SPARK_SETTINGS, local_session, resolve_args


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
def test_a_finished_job_leaves_no_cached_frames(spark):
    cache = spark._jsparkSession.sharedState().cacheManager()
    spark.range(10).persist().count()
    assert not cache.isEmpty()
    release_cached_data()
    assert cache.isEmpty()
