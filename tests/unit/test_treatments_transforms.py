"""treatments transforms on explicit schemas (chispa): parsing, classification, latest wins.

carelake.sources.treatments: parse.parsed_lines (export lines -> typed items), io.classify
(the batch's export objects -> checked items + quarantine) and io.merged (base table + good
items, latest metadata_modified_at wins per treatment_id, then landing time, file, line).
There is no watermark any more: the ledger decides what a run reads, and a late change wins
whenever it is the latest version.
"""

from __future__ import annotations

import gzip
import json
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.config import ZONES
from carelake.lake.state import LakeState
from carelake.manifest import load_manifest
from carelake.pipeline.accounting import QUARANTINE_SCHEMA
from carelake.pipeline.ledger import plan_batch
from carelake.pipeline.raw_files import LINE_SCHEMA
from carelake.sources.treatments import contract as treatments
from carelake.sources.treatments.contract import FCT_TREATMENT_SCHEMA
from carelake.sources.treatments.io import classify, deferred_objects, merged
from carelake.sources.treatments.parse import ITEM_LINE_SCHEMA, parsed_lines

pytestmark = pytest.mark.spark


def frame(spark, rows: list[tuple], schema: T.StructType | str):
    """``rows`` on an explicit schema, built through Arrow: no Python worker, so fast on a busy machine."""
    schema = T._parse_datatype_string(schema) if isinstance(schema, str) else schema
    return spark.createDataFrame(pd.DataFrame(rows, columns=schema.fieldNames(), dtype=object), schema)


L1, L2 = datetime(2024, 3, 6, 1), datetime(2024, 3, 6, 2)  # landing times (naive = UTC)


def item_line(treatment_id: str, modified_at: str, outcome: str = "success", cost: str = "10.00") -> str:
    return json.dumps({"Item": {
        "treatment_id": {"S": treatment_id}, "patient_id": {"S": "MRN-1"}, "disease": {"S": "Asthma"},
        "outcome_status": {"S": outcome}, "cost": {"N": cost}, "treatment_date": {"S": "2024-02-01"},
        "metadata_modified_at": {"S": modified_at},
    }})  # fmt: skip


def test_parsed_lines_types_and_reasons(spark):
    file = "treatments/dt=2024-03-06/AWSDynamoDB/e1/data/a.json.gz"
    lines = frame(
        spark,
        [
            (file, L1, 1, item_line("t-1", "2024-03-05T19:00:00-05:00", cost="1250.5"), None),
            (file, L1, 2, item_line("t-2", "2024-03-06T00:10:00Z"), None),
            (file, L1, 3, item_line("t-4", "2024-03-01T00:00:00Z", outcome="cured"), None),
            (file, L1, 4, None, "not UTF-8 text"),
        ],
        LINE_SCHEMA,
    )
    items = parsed_lines(lines)
    assert items.schema == ITEM_LINE_SCHEMA

    good = items.where("reason is null").select(
        "treatment_id", "patient_id", "provider_npi", "outcome_status", "cost", "treatment_date",
        "metadata_modified_at", "source_line",
    )  # fmt: skip
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
                2,
            ),
        ],
        "treatment_id string, patient_id string, provider_npi string, outcome_status string, cost decimal(12,2), "
        "treatment_date date, metadata_modified_at timestamp, source_line int",
    )
    assert_df_equality(good, expected, ignore_nullable=True, ignore_row_order=True)

    bad = items.where("reason is not null").select("source_line", "reason", "treatment_id", "record")
    expected_bad = frame(
        spark,
        [
            (
                3,
                "unknown outcome_status 'cured'",
                None,
                item_line("t-4", "2024-03-01T00:00:00Z", outcome="cured"),
            ),
            (4, "not UTF-8 text", None, None),
        ],
        "source_line int, reason string, treatment_id string, record string",
    )
    assert_df_equality(bad, expected_bad, ignore_nullable=True, ignore_row_order=True)


# --- classify: the batch's export objects, as the ledger plans them --------------------------

E1 = "01709683200000-aaaaaaaa"
E1_DIR = f"treatments/dt=2024-03-06/AWSDynamoDB/{E1}"
E2_DIR = "treatments/dt=2024-03-06/AWSDynamoDB/01709683200000-bbbbbbbb"
E3_DIR = "treatments/dt=2024-03-06/AWSDynamoDB/01709683200000-cccccccc"


def _gz(lines: list[str]) -> bytes:
    return gzip.compress("".join(f"{line}\n" for line in lines).encode("utf-8"))


def _manifests(export_id: str, export_time: str, files: dict[str, int]) -> dict[str, bytes]:
    summary = {"exportTime": export_time, "outputFormat": "DYNAMODB_JSON", "itemCount": sum(files.values())}
    entries = "".join(
        json.dumps({"itemCount": n, "dataFileS3Key": f"AWSDynamoDB/{export_id}/data/{name}"}) + "\n"
        for name, n in files.items()
    )
    return {"manifest-summary.json": json.dumps(summary).encode(), "manifest-files.json": entries.encode()}


@pytest.fixture(scope="module")
def classified(spark, tmp_path_factory):
    root = tmp_path_factory.mktemp("treatments-lake")
    raw = root / "raw"
    objects = {
        **{f"{E1_DIR}/{k}": v for k, v in _manifests(E1, "2024-03-06T00:00:00Z", {"a.json.gz": 3}).items()},
        f"{E1_DIR}/data/a.json.gz": _gz(
            [
                item_line("t-1", "2024-03-05T19:00:00-05:00", cost="1250.5"),
                item_line("t-2", "2024-03-06T00:10:00Z"),  # within the 15 minutes' clock allowance
                item_line("t-3", "2024-03-06T00:16:00Z"),  # changed after the export was taken
            ]
        ),
        f"{E1_DIR}/data/z.json.gz": _gz([item_line("t-9", "2024-03-01T00:00:00Z")]),  # not in the manifest
        f"{E2_DIR}/manifest-summary.json": b"{",
        f"{E2_DIR}/manifest-files.json": b"",
        f"{E3_DIR}/data/c.json.gz": _gz([item_line("t-5", "2024-03-01T00:00:00Z")]),  # no manifests yet
        "treatments/dt=2024-03-06/stray.json.gz": _gz([item_line("t-6", "2024-03-01T00:00:00Z")]),
    }
    for key, data in objects.items():
        (raw / key).parent.mkdir(parents=True, exist_ok=True)
        (raw / key).write_bytes(data)
    state = LakeState({zone: str(root / zone) for zone in ZONES}, load_manifest().writers())
    plan = plan_batch(
        spark, state, "treatments_to_silver", str(raw), [treatments.RAW], "2024-03-06",
        defer=lambda found: deferred_objects(str(raw), found),
    )  # fmt: skip
    items = classify(spark, str(raw), plan.objects)
    yield plan, items
    items.lines.unpersist()


def test_incomplete_exports_wait_for_a_later_run(classified):
    plan, _ = classified
    assert plan.deferred == {
        f"{E3_DIR}/data/c.json.gz": "export 01709683200000-cccccccc: manifest-summary.json or "
        "manifest-files.json not there yet"
    }
    assert f"{E3_DIR}/data/c.json.gz" not in {o.key for o in plan.objects}
    assert plan.metrics()["raw_objects_deferred"] == 1


def test_classify_checks_items_and_quarantines_what_it_cannot_read(spark, classified):
    _, items = classified
    good = items.lines.where("reason is null").select(
        "treatment_id", "export_id", "source_file", "source_line"
    )
    assert sorted(tuple(r) for r in good.collect()) == [
        ("t-1", E1, f"{E1_DIR}/data/a.json.gz", 1),
        ("t-2", E1, f"{E1_DIR}/data/a.json.gz", 2),
    ]
    quarantine = items.quarantine
    assert quarantine.schema.fieldNames() == QUARANTINE_SCHEMA.fieldNames()
    rows = sorted(
        (r["source_file"], r["source_line"] or 0, r["reason"], r["source"], r["target_table"])
        for r in quarantine.collect()
    )
    target = ("treatments", "fct_treatment")
    e2_invalid = "export 01709683200000-bbbbbbbb cannot be read: manifest-summary.json: "
    assert [row[:2] for row in rows] == [
        (f"{E1_DIR}/data/a.json.gz", 3),
        (f"{E1_DIR}/data/z.json.gz", 0),
        (f"{E2_DIR}/manifest-files.json", 0),
        (f"{E2_DIR}/manifest-summary.json", 0),
        ("treatments/dt=2024-03-06/stray.json.gz", 0),
    ]
    assert all(row[3:] == target for row in rows)
    reasons = [row[2] for row in rows]
    assert reasons[0] == "bad metadata_modified_at: later than its export's exportTime"
    assert reasons[1] == "data file not listed in the export's manifest-files.json"
    assert reasons[2].startswith(e2_invalid) and reasons[3] == reasons[2]
    assert reasons[4].startswith("not in the treatments layout")  # the ledger's layout check
    # read = item lines of readable exports + one row per object no item comes from
    assert items.read.get["count"] == 3 + 4
    assert items.metrics == {"exports_read": 1, "exports_invalid": 1, "items_in_read_exports": 3}


# --- merged: latest wins over the base table and the new items -------------------------------

# Good items carry the table's columns; a bad one only its reason and location (nullable here).
ITEMS_SCHEMA = T.StructType(
    [
        T.StructField("reason", T.StringType()),
        *(T.StructField(f.name, f.dataType) for f in FCT_TREATMENT_SCHEMA.fields),
    ]
)


def _item(line: int, treatment_id: str | None, modified_at: datetime | None, *, file: str = "a", landed=L1,
          reason: str | None = None, outcome: str = "success") -> tuple:  # fmt: skip
    """An item row (bad rows carry no values, as parsed_lines makes them)."""
    values = (treatment_id, "MRN-1", None, None, None, None, None, "Asthma", None, outcome, Decimal("10.00"),
              date(2024, 2, 1), modified_at, f"export-{file}")  # fmt: skip
    if reason is not None:
        values = (None,) * len(values)
    return (reason, *values, f"data/{file}.json.gz", line, landed)


def _base_row(treatment_id: str, modified_at: datetime) -> tuple:
    return (treatment_id, "MRN-1", None, None, None, None, None, "Asthma", None, "in_progress", Decimal("9.00"),
            date(2024, 2, 1), modified_at, "export-0", "data/0.json.gz", 1, L1)  # fmt: skip


@pytest.fixture(scope="module")
def ranked(spark):
    base = frame(spark,
        [_base_row("t-1", datetime(2024, 3, 1)), _base_row("t-2", datetime(2024, 3, 1)),
         _base_row("t-3", datetime(2024, 2, 20)), _base_row("t-7", datetime(2024, 3, 10))],
        FCT_TREATMENT_SCHEMA,
    )  # fmt: skip
    items = frame(
        spark,
        [
            _item(
                1, "t-1", datetime(2024, 3, 1)
            ),  # the base's version again: a later file, so it wins the tie
            _item(2, "t-1", datetime(2024, 2, 1)),  # older than the base's
            _item(3, "t-2", datetime(2024, 3, 5), landed=L1),  # same version as line 4, landed earlier
            _item(4, "t-2", datetime(2024, 3, 5), file="b", landed=L2, outcome="failure"),
            _item(5, "t-2", datetime(2024, 3, 3)),  # an older version
            _item(6, "t-4", datetime(2024, 3, 4)),  # new treatment
            _item(7, "t-5", datetime(2024, 2, 15)),  # new treatment, exported late
            _item(8, "t-3", datetime(2024, 3, 1, 12)),  # late change, newer than the base: wins
            _item(9, None, None, reason="missing Item"),
            _item(11, "t-6", datetime(2024, 3, 6)),  # same version and landing time as line 12:
            _item(12, "t-6", datetime(2024, 3, 6), file="c"),  # the later source file wins
            _item(13, "t-4", datetime(2024, 3, 2)),  # older than line 6
            _item(14, "t-7", datetime(2024, 3, 9)),  # older than the base's version: the base stays
        ],
        ITEMS_SCHEMA,
    )
    out = merged(base, items).persist()
    yield out
    out.unpersist()


def test_latest_wins(spark, ranked):
    actual = ranked.select(
        F.regexp_extract("source_file", r"data/(.)\.json\.gz", 1).alias("file"), "source_line", "treatment_id",
        "_is_item", "_rank",
    )  # fmt: skip
    expected = frame(
        spark,
        [
            ("a", 1, "t-1", True, 1), ("0", 1, "t-1", False, 2), ("a", 2, "t-1", True, 3),
            ("b", 4, "t-2", True, 1), ("a", 3, "t-2", True, 2), ("a", 5, "t-2", True, 3), ("0", 1, "t-2", False, 4),
            ("a", 8, "t-3", True, 1), ("0", 1, "t-3", False, 2),
            ("a", 6, "t-4", True, 1), ("a", 13, "t-4", True, 2),
            ("a", 7, "t-5", True, 1),
            ("c", 12, "t-6", True, 1), ("a", 11, "t-6", True, 2),
            ("0", 1, "t-7", False, 1), ("a", 14, "t-7", True, 2),
        ],
        "file string, source_line int, treatment_id string, _is_item boolean, _rank int",
    )  # fmt: skip
    assert_df_equality(actual, expected, ignore_nullable=True, ignore_row_order=True)


def test_the_new_table_and_its_counts(spark, ranked):
    table = ranked.where("_rank = 1").select(*FCT_TREATMENT_SCHEMA.fieldNames())
    assert table.schema.fieldNames() == FCT_TREATMENT_SCHEMA.fieldNames()
    expected = frame(
        spark,
        [
            ("t-1", "success", datetime(2024, 3, 1), "data/a.json.gz", 1),
            ("t-2", "failure", datetime(2024, 3, 5), "data/b.json.gz", 4),
            ("t-3", "success", datetime(2024, 3, 1, 12), "data/a.json.gz", 8),
            ("t-4", "success", datetime(2024, 3, 4), "data/a.json.gz", 6),
            ("t-5", "success", datetime(2024, 2, 15), "data/a.json.gz", 7),
            ("t-6", "success", datetime(2024, 3, 6), "data/c.json.gz", 12),
            ("t-7", "in_progress", datetime(2024, 3, 10), "data/0.json.gz", 1),
        ],
        "treatment_id string, outcome_status string, metadata_modified_at timestamp, source_file string, source_line int",
    )
    actual = table.select(
        "treatment_id", "outcome_status", "metadata_modified_at", "source_file", "source_line"
    )
    assert_df_equality(actual, expected, ignore_nullable=True, ignore_row_order=True)
    # What treatments_to_silver counts: 12 good items = 6 applied (written) + 6 superseded (deduplicated).
    tally = ranked.agg(
        F.count(F.when(F.col("_is_item") & (F.col("_rank") == 1), 1)).alias("applied"),
        F.count(F.when(F.col("_is_item") & (F.col("_rank") > 1), 1)).alias("superseded"),
    ).first()
    assert (tally["applied"], tally["superseded"]) == (6, 6)


def test_first_run_has_no_base(spark, ranked):
    items = ranked.where("_is_item").withColumn("reason", F.lit(None).cast("string"))
    first = merged(spark.createDataFrame([], FCT_TREATMENT_SCHEMA), items.drop("_is_item", "_rank"))
    winners = {r["treatment_id"]: r["source_line"] for r in first.where("_rank = 1").collect()}
    assert winners == {"t-1": 1, "t-2": 4, "t-3": 8, "t-4": 6, "t-5": 7, "t-6": 12, "t-7": 14}


def test_every_object_of_an_export_is_read_or_quarantined(spark, tmp_path):
    raw = tmp_path / "raw"
    objects = {
        **{f"{E1_DIR}/{k}": v for k, v in _manifests(E1, "2024-03-06T00:00:00Z", {"a.json.gz": 1}).items()},
        f"{E1_DIR}/data/a.json.gz": _gz([item_line("t-1", "2024-03-05T00:00:00Z")]),
        f"{E1_DIR}/notes.txt": b"exported by hand",
    }
    for key, data in objects.items():
        (raw / key).parent.mkdir(parents=True, exist_ok=True)
        (raw / key).write_bytes(data)
    state = LakeState({zone: str(tmp_path / zone) for zone in ZONES}, load_manifest().writers())
    plan = plan_batch(spark, state, "treatments_to_silver", str(raw), [treatments.RAW], "2024-03-06")
    assert f"{E1_DIR}/notes.txt" in {o.key for o in plan.objects}  # it enters the ledger with the batch
    items = classify(spark, str(raw), plan.objects)
    quarantined = {r["source_file"] for r in items.quarantine.collect()}
    items.lines.unpersist()
    assert f"{E1_DIR}/notes.txt" in quarantined
