"""dq_summary: key null rates and duplicate keys computed on tables, the rest from run records."""

from __future__ import annotations

from datetime import datetime

import pytest
from pyspark.sql import types as T

from carelake.gold.inputs import local_frame
from carelake.gold.quality import CheckedTable, dq_summary
from carelake.gold.schemas import GOLD_SCHEMAS
from carelake.pipeline.accounting import JOB_RUN_SCHEMA

pytestmark = pytest.mark.spark


RUN_SCHEMA = T.StructType(
    [*JOB_RUN_SCHEMA.fields, T.StructField("job", T.StringType()), T.StructField("dt", T.StringType())]
)


def keys(*names):
    return T.StructType(
        [T.StructField(n, T.DateType() if n.endswith("_date") else T.StringType()) for n in names]
    )


def run(run_id, job, finished, written, quarantined=None, deduplicated=None, metrics=None):
    return (run_id, 1, finished, finished, 0, 0, 0, 0, written, quarantined or {}, deduplicated or {},
            metrics or {}, job, finished.date().isoformat())  # fmt: skip


def test_dq_summary(spark):
    encounters = local_frame(spark, keys("encounter_id"), [("e1",), ("e2",), ("e2",), (None,)])
    conditions = local_frame(
        spark, keys("patient_key", "snomed_code", "onset_date"), [("p1", "c1", None)] * 2
    )
    silver_patients = local_frame(spark, keys("patient_key"), [("pk1",), ("pk2",)])
    gold_patients = local_frame(spark, keys("patient_key"), [("pk1",), ("pk2",), ("pk3",)])
    runs = local_frame(spark, RUN_SCHEMA, [
        run("r1", "bronze_to_silver", datetime(2024, 6, 1, 7), {"fct_encounter": 5, "dim_patient": 2}, deduplicated={"fct_encounter": 9}),
        run("r2", "bronze_to_silver", datetime(2024, 6, 2, 7), {"fct_encounter": 3, "dim_patient": 2, "fct_condition": 0},
            quarantined={"fct_encounter": 1}, deduplicated={"fct_encounter": 2}),
        # silver_to_gold writes a gold dim_patient: it must not count as silver dim_patient's run
        run("r3", "silver_to_gold", datetime(2024, 6, 2, 8), {"dim_patient": 3}, metrics={"silver_rows:fct_observation": 9}),
        # the incremental bronze_to_silver: its accounting is its state's; the silver tables it
        # builds are metrics, their duplicates across sources too
        run("r4", "bronze_to_silver", datetime(2024, 6, 1, 9), {"state_observation": 7}, quarantined={"fct_observation": 5},
            metrics={"silver_rows:fct_observation": 3, "duplicates_across_sources:fct_observation": 2, "identity:mrn_exact": 4}),
    ])  # fmt: skip
    summary = dq_summary(
        spark,
        [CheckedTable("silver", "fct_encounter", encounters, ("encounter_id",)),
         CheckedTable("silver", "fct_condition", conditions, ("patient_key", "snomed_code", "onset_date")),
         CheckedTable("silver", "dim_patient", silver_patients, ("patient_key",)),
         CheckedTable("silver", "fct_outreach", local_frame(spark, keys("outreach_id"), []), ("outreach_id",)),
         CheckedTable("silver", "fct_observation", local_frame(spark, keys("observation_id"), [("o1",)] * 3), ())],
        [CheckedTable("gold", "dim_patient", gold_patients, ("patient_key",))],
        runs, "run-now", datetime(2024, 6, 3, 6), "silver_to_gold",
    )  # fmt: skip
    assert summary.columns == GOLD_SCHEMAS["dq_summary"].fieldNames()
    rows = {(r["zone"], r["table_name"]): tuple(r)[2:] for r in summary.collect()}
    assert rows == {
        # 4 rows, 1 null key (0.25); keyed 3 rows, 2 distinct -> 1 duplicate; latest run r2
        ("silver", "fct_encounter"): (4, 0.25, 1, 2, 1, "r2", datetime(2024, 6, 2, 7)),
        # onset_date null in both rows: every key incomplete -> rate 1.0, no complete key to duplicate
        ("silver", "fct_condition"): (2, 1.0, 0, 0, 0, "r2", datetime(2024, 6, 2, 7)),
        ("silver", "dim_patient"): (2, 0.0, 0, 0, 0, "r2", datetime(2024, 6, 2, 7)),
        # empty, and no run record names it
        ("silver", "fct_outreach"): (0, None, 0, None, None, None, None),
        # no key declared; quarantined and duplicates from r4 (r3 is silver_to_gold's)
        ("silver", "fct_observation"): (3, None, None, 2, 5, "r4", datetime(2024, 6, 1, 9)),
        ("gold", "dim_patient"): (3, 0.0, 0, 0, 0, "run-now", datetime(2024, 6, 3, 6)),
        # itself: 5 silver + 1 gold + 1 = 7 rows
        ("gold", "dq_summary"): (7, 0.0, 0, 0, 0, "run-now", datetime(2024, 6, 3, 6)),
    }
