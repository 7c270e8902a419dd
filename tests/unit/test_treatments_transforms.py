"""treatments transforms on explicit schemas (chispa): parsing, watermark, latest wins, merge."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.accounting import QUARANTINE_SCHEMA
from carelake.silver.treatments import (
    EXPORT_LINE_SCHEMA,
    FCT_TREATMENT_SCHEMA,
    ITEM_SCHEMA,
    classified,
    empty_frame,
    new_table,
    parsed_items,
    quarantine_rows,
)

pytestmark = pytest.mark.spark


def frame(spark, rows: list[tuple], schema: T.StructType | str):
    """``rows`` on an explicit schema, built through Arrow: no Python worker, so fast on a busy machine."""
    schema = T._parse_datatype_string(schema) if isinstance(schema, str) else schema
    return spark.createDataFrame(pd.DataFrame(rows, columns=schema.fieldNames(), dtype=object), schema)


EXPORTED = datetime(2024, 3, 6)  # naive = UTC (the session and these tests run in UTC)
L1, L2 = datetime(2024, 3, 6, 1), datetime(2024, 3, 6, 2)  # landing times


def item_line(treatment_id: str, modified_at: str, outcome: str = "success", cost: str = "10.00") -> str:
    return json.dumps({"Item": {
        "treatment_id": {"S": treatment_id}, "patient_id": {"S": "MRN-1"}, "disease": {"S": "Asthma"},
        "outcome_status": {"S": outcome}, "cost": {"N": cost}, "treatment_date": {"S": "2024-02-01"},
        "metadata_modified_at": {"S": modified_at},
    }})  # fmt: skip


def test_parsed_items_types_and_the_export_time_check(spark):
    file = "treatments/dt=2024-03-06/AWSDynamoDB/e1/data/a.json.gz"
    lines = frame(
        spark,
        [
            (file, 1, item_line("t-1", "2024-03-05T19:00:00-05:00", cost="1250.5"), L1, "e1", EXPORTED, True),
            (
                file,
                2,
                item_line("t-2", "2024-03-06T00:10:00Z"),
                L1,
                "e1",
                EXPORTED,
                True,
            ),  # within 15 minutes
            (file, 3, item_line("t-3", "2024-03-06T00:16:00Z"), L1, "e1", EXPORTED, True),  # after the export
            (file, 4, item_line("t-4", "2024-03-01T00:00:00Z", outcome="cured"), L1, "e1", EXPORTED, False),
        ],
        EXPORT_LINE_SCHEMA,
    )
    items = parsed_items(lines)
    assert items.schema == ITEM_SCHEMA or [f.name for f in items.schema] == ITEM_SCHEMA.fieldNames()

    good = items.where("reason is null").select("treatment_id", "patient_id", "provider_npi", "outcome_status", "cost",
                                                "treatment_date", "metadata_modified_at", "export_id", "source_line")  # fmt: skip
    expected = frame(
        spark,
        [
            (
                "t-1",
                "MRN-1",
                None,
                "success",
                Decimal("1250.50"),
                date(2024, 2, 1),
                datetime(2024, 3, 6, 0, 0),
                "e1",
                1,
            ),
            (
                "t-2",
                "MRN-1",
                None,
                "success",
                Decimal("10.00"),
                date(2024, 2, 1),
                datetime(2024, 3, 6, 0, 10),
                "e1",
                2,
            ),
        ],
        "treatment_id string, patient_id string, provider_npi string, outcome_status string, cost decimal(12,2), "
        "treatment_date date, metadata_modified_at timestamp, export_id string, source_line int",
    )
    assert_df_equality(good, expected, ignore_nullable=True, ignore_row_order=True)

    bad = items.where("reason is not null").select(
        "source_line", "reason", "treatment_id", "export_is_new", "record"
    )
    expected_bad = frame(spark,
        [
            (3, "bad metadata_modified_at: later than its export's exportTime 2024-03-06T00:00:00Z", "t-3", True,
             item_line("t-3", "2024-03-06T00:16:00Z")),
            (4, "unknown outcome_status 'cured'", None, False, item_line("t-4", "2024-03-01T00:00:00Z", outcome="cured")),
        ],
        "source_line int, reason string, treatment_id string, export_is_new boolean, record string",
    )  # fmt: skip
    assert_df_equality(bad, expected_bad, ignore_nullable=True, ignore_row_order=True)


def _item(line: int, treatment_id: str | None, modified_at: datetime | None, *, file: str = "a", landed=L1,
          reason: str | None = None, new: bool = True, outcome: str = "success") -> tuple:  # fmt: skip
    """An ITEM_SCHEMA row (bad rows carry no values, as parsed_items makes them)."""
    values = (treatment_id, "MRN-1", None, None, None, None, None, "Asthma", None, outcome, Decimal("10.00"),
              date(2024, 2, 1), modified_at, None)  # fmt: skip
    if reason is not None:
        values = (None,) * len(values)
    return (
        reason,
        *values,
        f"export-{file}",
        EXPORTED,
        new,
        f"data/{file}.json.gz",
        line,
        landed,
        f"line {line}",
    )


def _base_row(treatment_id: str, modified_at: datetime) -> tuple:
    return (treatment_id, "MRN-1", None, None, None, None, None, "Asthma", None, "in_progress", Decimal("9.00"),
            date(2024, 2, 1), modified_at, "export-0", "data/0.json.gz", 1, L1)  # fmt: skip


WATERMARK = datetime(2024, 3, 2, tzinfo=UTC)


@pytest.fixture(scope="module")
def statused(spark):
    base = frame(spark,
        [_base_row("t-1", datetime(2024, 3, 1)), _base_row("t-2", datetime(2024, 3, 1)),
         _base_row("t-3", datetime(2024, 2, 20))],
        FCT_TREATMENT_SCHEMA,
    )  # fmt: skip
    items = frame(
        spark,
        [
            _item(1, "t-1", datetime(2024, 3, 1)),  # the base's version
            _item(2, "t-1", datetime(2024, 2, 1)),  # older than the base's
            _item(3, "t-2", datetime(2024, 3, 5), landed=L1),  # same version as line 4, landed earlier
            _item(4, "t-2", datetime(2024, 3, 5), file="b", landed=L2, outcome="failure"),
            _item(5, "t-2", datetime(2024, 3, 3)),  # an older version in the window
            _item(6, "t-4", datetime(2024, 3, 4)),  # new treatment
            _item(7, "t-5", datetime(2024, 2, 15), new=False),  # late change in an old export
            _item(
                8, "t-3", datetime(2024, 3, 1, 12)
            ),  # late change: below the watermark, newer than the base
            _item(9, None, None, reason="missing Item"),
            _item(10, None, None, reason="missing Item", new=False),
            _item(11, "t-6", datetime(2024, 3, 6)),  # same version and landing time as line 12:
            _item(12, "t-6", datetime(2024, 3, 6), file="c"),  # the later source file wins
            _item(13, "t-4", datetime(2024, 3, 2)),  # at the watermark, older than line 6: skipped
        ],
        ITEM_SCHEMA,
    )
    return base, items, classified(items, base, WATERMARK).persist()


def test_watermark_selection_and_latest_wins(spark, statused):
    _, _, rows = statused
    expected = frame(spark,
        [
            ("a", 1, "skipped_unchanged"), ("a", 2, "skipped_unchanged"), ("a", 3, "superseded"),
            ("b", 4, "applied_update"), ("a", 5, "superseded"), ("a", 6, "applied_insert"), ("a", 7, "quarantined_earlier"),
            ("a", 8, "quarantined"), ("a", 9, "quarantined"), ("a", 10, "quarantined_earlier"),
            ("a", 11, "superseded"), ("c", 12, "applied_insert"), ("a", 13, "skipped_unchanged"),
            ("0", 1, "base_kept"), ("0", 1, "base_replaced"), ("0", 1, "base_kept"),  # t-1, t-2, t-3
        ],
        "source_file string, source_line int, status string",
    )  # fmt: skip
    actual = rows.select(F.regexp_extract("source_file", r"data/(.)\.json\.gz", 1).alias("source_file"), "source_line",
                         "status")  # fmt: skip
    assert_df_equality(actual, expected, ignore_nullable=True, ignore_row_order=True)


def test_new_table_replaces_and_adds_the_winners(spark, statused):
    _, _, rows = statused
    merged = new_table(rows).select("treatment_id", "outcome_status", "metadata_modified_at", "source_file",
                                    "source_line")  # fmt: skip
    expected = frame(
        spark,
        [
            ("t-1", "in_progress", datetime(2024, 3, 1), "data/0.json.gz", 1),
            ("t-2", "failure", datetime(2024, 3, 5), "data/b.json.gz", 4),
            ("t-3", "in_progress", datetime(2024, 2, 20), "data/0.json.gz", 1),
            ("t-4", "success", datetime(2024, 3, 4), "data/a.json.gz", 6),
            ("t-6", "success", datetime(2024, 3, 6), "data/c.json.gz", 12),
        ],
        "treatment_id string, outcome_status string, metadata_modified_at timestamp, source_file string, source_line int",
    )
    assert_df_equality(merged, expected, ignore_nullable=True, ignore_row_order=True)
    assert [f.name for f in new_table(rows).schema] == FCT_TREATMENT_SCHEMA.fieldNames()

    quarantined = quarantine_rows(rows).select("source", "source_file", "source_line", "source_entry", "target_table",
                                               "reason", "record", "landed_at")  # fmt: skip
    expected_bad = frame(
        spark,
        [
            ("treatments", "data/a.json.gz", 8, None, "fct_treatment", "late change: metadata_modified_at at or "
             "below the watermark 2024-03-02T00:00:00Z but never applied (exported after newer changes were)",
             "line 8", L1),
            ("treatments", "data/a.json.gz", 9, None, "fct_treatment", "missing Item", "line 9", L1),
        ],
        QUARANTINE_SCHEMA,
    )  # fmt: skip
    assert_df_equality(quarantined, expected_bad, ignore_nullable=True, ignore_row_order=True)


def test_first_run_has_no_watermark(spark, statused):
    _, items, _ = statused
    first = classified(items, empty_frame(spark, FCT_TREATMENT_SCHEMA), None)
    statuses = {r["source_line"]: r["status"] for r in first.select("source_line", "status").collect()}
    assert statuses == {
        1: "applied_insert", 2: "superseded", 3: "superseded", 4: "applied_insert", 5: "superseded",
        6: "applied_insert", 7: "applied_insert", 8: "applied_insert", 9: "quarantined", 10: "quarantined_earlier",
        11: "superseded", 12: "applied_insert", 13: "superseded",
    }  # fmt: skip
