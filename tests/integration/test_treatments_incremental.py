"""treatments_to_silver over four runs: first load, no new data, updates, rerun of the latest batch.

The exports are written here as DynamoDB writes them (gzipped JSON lines + manifests);
every expected value below is worked out by hand from the lines, and the outputs are
read back with DuckDB through the commits (tests/support/lake.py), not Spark.

silver.fct_treatment is a snapshot table: each run commits a new version (base = the
table as of the previous batch, merged with the batch's items: latest metadata_modified_at
wins, then landing time, file, line). A run reads the exports the ledger has not seen.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from carelake.config import Lake
from carelake.entrypoints import treatments_to_silver
from carelake.lake import commits as lake_commits
from carelake.manifest import load_manifest
from carelake.pipeline.accounting import RunCounts
from carelake.runner import job_argv
from tests.support.lake import LakeTables, commits

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
# t-006 bad, t-007 a late change (modified long before the latest change already applied;
# a new treatment for the table, so it is inserted: there is no watermark any more).
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


FCT_COLUMNS = "treatment_id, patient_id, outcome_status, cost, treatment_date, metadata_modified_at, source_file, source_line"
JOB = "treatments_to_silver"


def table(
    lake: Lake, columns: str = FCT_COLUMNS, as_of_seq: int | None = None, where: str = "true"
) -> list[tuple]:
    """silver.fct_treatment now, or as commit ``as_of_seq`` of the job left it."""
    as_of = None
    if as_of_seq is not None:
        as_of = {JOB: next(c for c in commits(lake.root, JOB) if c.seq == as_of_seq)}
    return LakeTables(lake.root, as_of).rows(f"select {columns} from silver.fct_treatment where {where}")


def quarantined(
    lake: Lake, dt: str, columns: str = "source, source_file, source_line, target_table, reason, rule"
):
    return LakeTables(lake.root).rows(
        f"select {columns} from quarantine.quarantined_record where job = '{JOB}' and dt = '{dt}'"
    )


def everything(lake: Lake) -> dict[str, list[tuple]]:
    tables = LakeTables(lake.root)
    return {
        "fct_treatment": tables.rows("select * from silver.fct_treatment"),
        "quarantine": tables.rows("select * from quarantine.quarantined_record"),
        "ledger": tables.rows("select * exclude (landed_at) from quarantine.raw_object"),
    }


def run(lake: Lake, dt: str) -> RunCounts:
    # The runner's arguments: the lake's zone URIs, dt and the manifest's defaults.
    return treatments_to_silver.main(job_argv(load_manifest().jobs[JOB], lake, dt))


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
    return (
        tid,
        mrn,
        outcome,
        Decimal(cost),
        date.fromisoformat(day),
        datetime.fromisoformat(modified),
        source(dt, export_id),
        line,
    )  # fmt: skip (naive = UTC)


T001 = t("t-001", "MRN-1", "success", "1250.00", "2024-02-01", "2024-02-10T10:00", DT1, E1, 1)
T002 = t("t-002", "MRN-2", "in_progress", "300.50", "2024-02-15", "2024-02-16T08:00", DT1, E1, 2)
T003 = t("t-003", "MRN-1", "in_progress", "99.99", "2024-02-20", "2024-02-21T14:30", DT1, E1, 3)
# After batch DT3 (hand-worked from E2 and E3):
AFTER_DT3 = [
    # the same version again, landed later: it wins the tie and carries E2's lineage
    t("t-001", "MRN-1", "success", "1250.00", "2024-02-01", "2024-02-10T10:00", DT3, E2, 1),
    # E3 repeats E2's line 2 and landed an hour later
    t("t-002", "MRN-2", "success", "320.00", "2024-02-15", "2024-03-01T12:00", DT3, E3, 2),
    t("t-003", "MRN-1", "failure", "150.00", "2024-02-20", "2024-03-02T18:00", DT3, E3, 1),
    t("t-005", "MRN-3", "success", "0.00", "2024-03-02", "2024-03-02T10:00", DT3, E2, 4),
    t("t-007", "MRN-4", "success", "5.00", "2024-01-20", "2024-02-01T00:00", DT3, E2, 6),
]


def test_first_run_applies_every_good_item(runs):
    lake, out = runs
    assert table(lake, as_of_seq=1) == [T001, T002, T003]
    assert quarantined(lake, DT1) == [
        ("treatments", source(DT1, E1), 4, "fct_treatment", "unknown outcome_status 'cured'", None),
        ("treatments", source(DT1, E1), 5, "fct_treatment",
         "malformed JSON: Expecting ',' delimiter: line 1 column 41 (char 40)", None),
    ]  # fmt: skip
    counts = out["first"]
    assert (counts.rows_read, counts.written, counts.quarantined, counts.deduplicated) == (
        5, {"fct_treatment": 3}, {"fct_treatment": 2}, {},
    )  # fmt: skip
    assert {k: counts.metrics[k] for k in ("raw_objects_new", "exports_read", "items_in_read_exports", "table_rows")} == {
        "raw_objects_new": 3, "exports_read": 1, "items_in_read_exports": 5, "table_rows": 3,
    }  # fmt: skip


def test_second_run_without_new_data_processes_nothing(runs):
    lake, out = runs
    assert table(lake, "*", as_of_seq=2) == table(lake, "*", as_of_seq=1)
    counts = out["second"]
    assert (counts.rows_read, counts.rows_written, counts.rows_quarantined, counts.rows_deduplicated) == (
        0,
        0,
        0,
        0,
    )
    assert {k: counts.metrics[k] for k in ("raw_objects", "exports_read", "table_rows")} == {
        "raw_objects": 0, "exports_read": 0, "table_rows": 3,
    }  # fmt: skip
    assert quarantined(lake, DT2) == []


def test_third_run_applies_exactly_the_updates_and_new_items(runs):
    lake, out = runs
    assert table(lake, as_of_seq=3) == AFTER_DT3
    [t005] = table(
        lake,
        "provider_npi, provider_name, specialty, disease, export_id, landed_at",
        3,
        "treatment_id = 't-005'",
    )
    assert t005 == (None, None, None, "Hypertension", E2, datetime(2024, 3, 3, 1))
    assert table(lake, as_of_seq=1) == [T001, T002, T003]  # older versions kept (rollback window)
    assert quarantined(lake, DT3, "source_file, source_line, reason") == [
        (source(DT3, E2), 5, "missing required attribute treatment_date"),
    ]
    counts = out["third"]
    # 8 item lines: 7 good, of which 5 win (t-001, t-002 from E3, t-003 from E3, t-005, t-007)
    # and 2 lose (E2's t-002 and t-003); 1 quarantined (t-006).
    assert (counts.rows_read, counts.written, counts.quarantined, counts.deduplicated) == (
        8, {"fct_treatment": 5}, {"fct_treatment": 1}, {"fct_treatment": 2},
    )  # fmt: skip
    expected = {
        "raw_objects": 6, "raw_objects_new": 6, "raw_objects_replaced": 0, "raw_objects_deferred": 0,
        "exports_read": 2, "exports_invalid": 0, "items_in_read_exports": 8, "table_rows": 5,
    }  # fmt: skip
    assert {k: counts.metrics.get(k) for k in expected} == expected


def test_rerun_of_the_latest_batch_changes_nothing(runs):
    lake, out = runs
    assert everything(lake) == out["before_rerun"]
    assert table(lake) == AFTER_DT3
    rerun, third = out["rerun"], out["third"]
    assert (rerun.rows_read, rerun.written, rerun.quarantined, rerun.deduplicated) == (
        third.rows_read, third.written, third.quarantined, third.deduplicated,
    )  # fmt: skip
    # The same objects again (none new to the ledger), merged onto the same base (batch DT2's table).
    assert {**rerun.metrics, "raw_objects_new": 6} == third.metrics
    assert rerun.metrics["raw_objects_new"] == 0
    assert [(c.seq, c.batch) for c in commits(lake.root, JOB)] == [(1, DT1), (2, DT2), (3, DT3), (4, DT3)]


def test_every_run_record_balances(runs):
    lake, _ = runs
    records = LakeTables(lake.root).rows(
        "select dt, rows_read, rows_written, rows_quarantined, rows_deduplicated, commit_seq "
        f"from quarantine.job_run where job = '{JOB}'"
    )
    assert records == [(DT1, 5, 3, 2, 0, 1), (DT2, 0, 0, 0, 0, 2), (DT3, 8, 5, 1, 2, 3), (DT3, 8, 5, 1, 2, 4)]
    assert all(
        read == written + quarantined + deduplicated
        for _, read, written, quarantined, deduplicated, _ in records
    )


def test_a_run_that_dies_before_its_commit_changes_nothing(runs, tmp_path, spark, monkeypatch):
    lake = Lake(tmp_path / "lake")
    shutil.copytree(runs[0].root, lake.root)
    before = everything(lake)
    land_export(lake, "2024-03-04", "01709510400000-dddddddd", "2024-03-04T00:00:00Z",
                [item("t-001", "MRN-1", "failure", "1.00", "2024-02-01", "2024-03-03T10:00:00Z")],
                datetime(2024, 3, 4, 1, tzinfo=UTC))  # fmt: skip

    def crash(self, commit):
        raise RuntimeError("killed before the commit")

    with monkeypatch.context() as patch:
        patch.setattr(lake_commits.CommitLog, "append", crash)
        with pytest.raises(RuntimeError, match="killed before the commit"):
            run(lake, "2024-03-04")
    # Readers see exactly what the last commit says: no half-written version, no ledger entry.
    assert everything(lake) == before
    orphans = sorted(p.name for p in (lake.zone("silver") / f"job={JOB}" / "table=fct_treatment").iterdir())
    assert len(orphans) == 5  # four committed versions (retained) and the dead run's folder

    # The next run removes the dead run's folder and processes the export once.
    counts = run(lake, "2024-03-04")
    assert (counts.rows_read, counts.written) == (1, {"fct_treatment": 1})
    [changed] = table(lake, where="treatment_id = 't-001'")
    assert changed[2:4] == ("failure", Decimal("1.00"))
    folders = sorted(p.name for p in (lake.zone("silver") / f"job={JOB}" / "table=fct_treatment").iterdir())
    assert len(folders) == 5 and set(orphans) - set(folders) == {max(orphans)}
