"""treatments_to_silver over four runs: first load, no new data, updates, rerun of a window.

The exports are written here as DynamoDB writes them (gzipped JSON lines + manifests);
every expected value below is worked out by hand from the lines, and the outputs are
read back with DuckDB, not Spark.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb
import pytest

from carelake.accounting import RunCounts
from carelake.config import Lake
from carelake.entrypoints import treatments_to_silver
from carelake.silver.treatments import SnapshotMismatch, current_dt, read_tracker_state, read_version

pytestmark = [pytest.mark.spark, pytest.mark.integration]

DT1, DT2, DT3 = "2024-03-01", "2024-03-02", "2024-03-03"
E1, E2, E3 = "01709251200000-aaaaaaaa", "01709424000000-bbbbbbbb", "01709424600000-cccccccc"


def item(tid: str, mrn: str, outcome: str, cost: str, day: str, modified: str, **extra: dict) -> str:
    attributes = {
        "treatment_id": {"S": tid}, "patient_id": {"S": mrn}, "provider_npi": {"S": "1234567893"},
        "provider_name": {"S": "Dr. Ada Lovelace"}, "specialty": {"S": "Cardiology"}, "city": {"S": "Boston"},
        "state": {"S": "MA"}, "disease": {"S": "Hypertension"}, "treatment_type": {"S": "Medication"},
        "outcome_status": {"S": outcome}, "cost": {"N": cost}, "treatment_date": {"S": day},
        "metadata_modified_at": {"S": modified}, **extra,
    }  # fmt: skip
    for name in [k for k, v in attributes.items() if v is None]:
        del attributes[name]
    return json.dumps({"Item": attributes}, separators=(",", ":"))


# Export 1 (full, 2024-03-01 00:00Z): three treatments and two bad lines.
E1_LINES = [
    item("t-001", "MRN-1", "success", "1250.00", "2024-02-01", "2024-02-10T10:00:00Z"),
    item("t-002", "MRN-2", "in_progress", "300.50", "2024-02-15", "2024-02-16T08:00:00Z"),
    item("t-003", "MRN-1", "in_progress", "99.99", "2024-02-20", "2024-02-21T09:30:00-05:00"),  # 14:30Z
    item("t-004", "MRN-2", "cured", "10.00", "2024-02-20", "2024-02-20T10:00:00Z"),
    '{"Item": {"treatment_id": {"S": "t-009"}',
]
# Export 2 (full, 2024-03-03 00:00Z): t-001 unchanged, t-002 and t-003 updated, t-005 new,
# t-006 bad, t-007 a late change (modified before the watermark 2024-02-21T14:30Z, never seen).
E2_LINES = [
    E1_LINES[0],
    item("t-002", "MRN-2", "success", "320.00", "2024-02-15", "2024-03-01T12:00:00Z"),
    item("t-003", "MRN-1", "failure", "99.99", "2024-02-20", "2024-03-02T09:00:00Z"),
    item("t-005", "MRN-3", "success", "0", "2024-03-02", "2024-03-02T10:00:00Z", provider_npi=None,
         provider_name=None, specialty={"NULL": True}, notes={"M": {"by": {"S": "cm-7"}, "n": {"L": [{"N": "1"}]}}}),
    item("t-006", "MRN-3", "success", "5.00", "2024-03-02", "2024-03-02T11:00:00Z", treatment_date=None),
    item("t-007", "MRN-4", "success", "5.00", "2024-01-20", "2024-02-01T00:00:00Z"),
]  # fmt: skip
# Export 3 (2024-03-03 00:10Z): a newer t-003 and another copy of E2's t-002.
E3_LINES = [
    item("t-003", "MRN-1", "failure", "150.00", "2024-02-20", "2024-03-02T18:00:00Z"),
    E2_LINES[1],
]


def land_export(
    lake: Lake, dt: str, export_id: str, export_time: str, lines: list[str], landed: datetime
) -> None:
    root = lake.zone("raw") / "treatments" / f"dt={dt}" / "AWSDynamoDB" / export_id
    (root / "data").mkdir(parents=True)
    data = root / "data" / "part-0001.json.gz"
    data.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))
    key = f"AWSDynamoDB/{export_id}/data/{data.name}"
    (root / "manifest-files.json").write_text(
        json.dumps({"itemCount": len(lines), "dataFileS3Key": key}) + "\n"
    )
    summary = {"exportTime": export_time, "itemCount": len(lines), "outputFormat": "DYNAMODB_JSON",
               "manifestFilesS3Key": f"AWSDynamoDB/{export_id}/manifest-files.json"}  # fmt: skip
    (root / "manifest-summary.json").write_text(json.dumps(summary))
    os.utime(data, (landed.timestamp(), landed.timestamp()))


def source(dt: str, export_id: str) -> str:
    return f"treatments/dt={dt}/AWSDynamoDB/{export_id}/data/part-0001.json.gz"


def rows(lake: Lake, zone: str, table: str, columns: str = "*", where: str = "true") -> list[tuple]:
    folder = lake.zone(zone) / table
    if not folder.exists():
        return []
    return sorted(
        duckdb.sql(
            f"select {columns} from read_parquet('{folder}/**/*.parquet', hive_partitioning = true, "
            f"hive_types_autocast = false) where {where}"
        ).fetchall(),
        key=repr,
    )


FCT_COLUMNS = "treatment_id, patient_id, outcome_status, cost, treatment_date, metadata_modified_at, source_file, source_line"


def version(lake: Lake, dt: str, columns: str = FCT_COLUMNS) -> list[tuple]:
    """fct_treatment as of run dt (its dt partition)."""
    return rows(lake, "silver", "fct_treatment", columns, f"dt = '{dt}'")


def content(lake: Lake, dt: str) -> list[tuple]:
    """Every column of version dt but dt itself."""
    return version(lake, dt, "* exclude (dt)")


def everything(lake: Lake) -> dict[str, list[tuple]]:
    return {
        "fct_treatment": rows(lake, "silver", "fct_treatment"),
        "quarantine": rows(lake, "quarantine", "quarantined_record"),
    }


def run(lake: Lake, dt: str) -> RunCounts:
    zones = lake.zone_uris()
    argv = [
        "--dt",
        dt,
        *(x for k in ("raw_uri", "silver_uri", "quarantine_uri") for x in (f"--{k}", zones[k])),
    ]
    return treatments_to_silver.main(argv)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, spark):
    """Run the job four times; keep what each run left behind."""
    lake = Lake(tmp_path_factory.mktemp("lake"))
    land_export(lake, DT1, E1, "2024-03-01T00:00:00Z", E1_LINES, datetime(2024, 3, 1, 1, tzinfo=UTC))
    out = {"first": run(lake, DT1)}
    out["second"] = run(lake, DT2)
    land_export(lake, DT3, E2, "2024-03-03T00:00:00Z", E2_LINES, datetime(2024, 3, 3, 1, tzinfo=UTC))
    land_export(lake, DT3, E3, "2024-03-03T00:10:00Z", E3_LINES, datetime(2024, 3, 3, 2, tzinfo=UTC))
    out["third"] = run(lake, DT3)
    out["before_rerun"] = everything(lake)
    out["rerun"] = run(lake, DT3)
    return lake, out


def t(tid, mrn, outcome, cost, day, modified, dt, export_id, line):
    return (tid, mrn, outcome, Decimal(cost), date.fromisoformat(day), datetime.fromisoformat(modified),
            source(dt, export_id), line)  # fmt: skip


T001 = t("t-001", "MRN-1", "success", "1250.00", "2024-02-01", "2024-02-10T10:00", DT1, E1, 1)
T002 = t("t-002", "MRN-2", "in_progress", "300.50", "2024-02-15", "2024-02-16T08:00", DT1, E1, 2)
T003 = t("t-003", "MRN-1", "in_progress", "99.99", "2024-02-20", "2024-02-21T14:30", DT1, E1, 3)


def test_first_run_applies_every_good_item(runs):
    lake, out = runs
    assert version(lake, DT1) == [T001, T002, T003]
    assert rows(lake, "quarantine", "quarantined_record", "source, source_file, source_line, target_table, reason",
                f"dt = '{DT1}'") == [
        ("treatments", source(DT1, E1), 4, "fct_treatment", "unknown outcome_status 'cured'"),
        ("treatments", source(DT1, E1), 5, "fct_treatment",
         "malformed JSON: Expecting ',' delimiter: line 1 column 41 (char 40)"),
    ]  # fmt: skip
    counts = out["first"]
    assert (counts.rows_read, counts.written, counts.quarantined, counts.deduplicated) == (
        5, {"fct_treatment": 3}, {"fct_treatment": 2}, {},
    )  # fmt: skip


def test_second_run_without_new_data_processes_nothing(runs):
    lake, out = runs
    assert content(lake, DT2) == content(lake, DT1)
    counts = out["second"]
    assert (counts.rows_read, counts.rows_written, counts.rows_quarantined, counts.rows_deduplicated) == (
        0,
        0,
        0,
        0,
    )
    assert {k: counts.metrics[k] for k in ("lines_scanned", "lines_skipped_unchanged", "lines_quarantined_earlier")} == {
        "lines_scanned": 5, "lines_skipped_unchanged": 3, "lines_quarantined_earlier": 2,
    }  # fmt: skip
    assert rows(lake, "quarantine", "quarantined_record", where=f"dt = '{DT2}'") == []


def test_third_run_applies_exactly_the_updates_and_new_items(runs):
    lake, out = runs
    assert version(lake, DT3) == [
        T001,
        t("t-002", "MRN-2", "success", "320.00", "2024-02-15", "2024-03-01T12:00", DT3, E3, 2),
        t("t-003", "MRN-1", "failure", "150.00", "2024-02-20", "2024-03-02T18:00", DT3, E3, 1),
        t("t-005", "MRN-3", "success", "0.00", "2024-03-02", "2024-03-02T10:00", DT3, E2, 4),
    ]
    [t005] = rows(lake, "silver", "fct_treatment", "provider_npi, provider_name, specialty, disease, export_id, "
                  "landed_at", f"dt = '{DT3}' and treatment_id = 't-005'")  # fmt: skip
    assert t005 == (None, None, None, "Hypertension", E2, datetime(2024, 3, 3, 1))
    assert content(lake, DT1) == content(lake, DT2)  # older versions untouched
    assert version(lake, DT1) == [T001, T002, T003]
    assert rows(
        lake, "quarantine", "quarantined_record", "source_file, source_line, reason", f"dt = '{DT3}'"
    ) == [
        (source(DT3, E2), 5, "missing required attribute treatment_date"),
        (source(DT3, E2), 6, "late change: metadata_modified_at at or below the watermark 2024-02-21T14:30:00Z but "
                             "never applied (exported after newer changes were)"),
    ]  # fmt: skip
    counts = out["third"]
    assert (counts.rows_read, counts.written, counts.quarantined, counts.deduplicated) == (
        7, {"fct_treatment": 3}, {"fct_treatment": 2}, {"fct_treatment": 2},
    )  # fmt: skip
    assert {k: v for k, v in counts.metrics.items() if k.startswith(("lines_", "exports_"))} == {
        "lines_scanned": 13, "lines_applied_insert": 1, "lines_applied_update": 2, "lines_superseded": 2,
        "lines_quarantined": 2, "lines_skipped_unchanged": 4, "lines_quarantined_earlier": 2,
        "exports_read": 3, "exports_new": 2, "exports_pruned": 0, "exports_incomplete": 0, "exports_invalid": 0,
    }  # fmt: skip
    assert counts.metrics["applied_with_unmodelled_attributes"] == 1
    assert counts.metrics["late_changes_quarantined"] == 1
    assert counts.metrics["items_in_read_exports"] == 13
    assert counts.metrics["table_rows"] == 4


def test_rerun_of_the_window_changes_nothing(runs):
    lake, out = runs
    assert everything(lake) == out["before_rerun"]
    assert out["rerun"] == out["third"]


def test_tracker_keeps_the_watermark(runs, spark):
    lake, _ = runs
    tracker = rows(lake, "silver", "etl_tracker", "dt, source, job, base_dt, watermark_from, watermark_to, "
                   "exports_through, rows_read, rows_applied, rows_quarantined, table_rows")  # fmt: skip
    w1, w3 = datetime(2024, 2, 21, 14, 30), datetime(2024, 3, 2, 18)
    run3 = (DT3, "treatments", "treatments_to_silver", DT2, w1, w3, datetime(2024, 3, 3, 0, 10), 7, 3, 2, 4)
    assert tracker == [
        (DT1, "treatments", "treatments_to_silver", None, None, w1, datetime(2024, 3, 1), 5, 3, 2, 3),
        (DT2, "treatments", "treatments_to_silver", DT1, w1, w1, datetime(2024, 3, 1), 0, 0, 0, 3),
        run3,
        run3,  # the rerun: the same window
    ]
    assert current_dt(spark, str(lake.zone("silver"))) == DT3


def test_every_run_record_balances(runs):
    lake, _ = runs
    records = rows(lake, "quarantine", "job_run", "dt, rows_read, rows_written, rows_quarantined, rows_deduplicated",
                   "job = 'treatments_to_silver'")  # fmt: skip
    assert records == [(DT1, 5, 3, 2, 0), (DT2, 0, 0, 0, 0), (DT3, 7, 3, 2, 2), (DT3, 7, 3, 2, 2)]
    assert all(
        read == written + quarantined + deduplicated
        for _, read, written, quarantined, deduplicated in records
    )


def test_a_damaged_version_is_never_built_upon(runs, tmp_path, spark):
    lake = Lake(tmp_path / "lake")
    shutil.copytree(runs[0].root, lake.root)
    before = everything(lake)
    for part in (lake.zone("silver") / "fct_treatment" / f"dt={DT3}").glob("*.parquet"):
        part.unlink()  # as if a rerun of DT3 had died half-way through writing it
    damaged = f"fct_treatment/dt={DT3} holds 0 rows but run .* committed 4: rerun dt={DT3}"
    with pytest.raises(SnapshotMismatch, match=damaged):
        run(lake, "2024-03-04")
    assert not (lake.zone("silver") / "fct_treatment" / "dt=2024-03-04").exists()
    assert len(rows(lake, "silver", "etl_tracker")) == 4
    assert everything(lake)["quarantine"] == before["quarantine"]
    silver = str(lake.zone("silver"))
    with pytest.raises(SnapshotMismatch, match=damaged):  # readers (silver_to_gold) are stopped too
        read_version(spark, silver, read_tracker_state(spark, silver, "2024-03-04"))
