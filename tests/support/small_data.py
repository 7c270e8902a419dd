"""The test suite's Spark session: the jobs' settings, tuned for frames of a few rows.

Test frames hold a few rows: interpreted expressions and few shuffle partitions beat code
generation and adaptive planning by minutes on a 2-core machine, with the same results.
(The jobs' own settings are carelake.runtime's; make bench measures those.)

Run as a module, it is the ``carelake`` command on such a session, for tests that run a
job in a process of its own (tests/integration/test_kill_and_rerun.py):
``python -m tests.support.small_data run --lake ... --job ...``.
"""

from __future__ import annotations

from pyspark.sql import SparkSession

SMALL_DATA_SETTINGS = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.shuffle.partitions": "2",
}


def small_data_session(app_name: str) -> SparkSession:
    """carelake.runtime.local_session with SMALL_DATA_SETTINGS on top; the jobs reuse it."""
    from carelake.runtime import local_session

    session = local_session(app_name)
    for key, value in SMALL_DATA_SETTINGS.items():
        session.conf.set(key, value)
    return session


if __name__ == "__main__":
    small_data_session("carelake-test-job")
    from carelake.cli import app

    app(prog_name="carelake")
