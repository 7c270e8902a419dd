"""claims_to_bronze on generated partner claims with injected defects (counted independently).

One generated population (30 patients, 15% defects) is landed under raw/claims/ in dt=DT;
the job runs for batch DT (every file). Then a file lands late in the same dt=DT folder and
the job runs for batch DT2: it processes only that file (the ledger knows the others), into
the bronze partition of batch DT2. A rerun of batch DT2 must reproduce it exactly.
Expectations come from the generator's _report.json, the csv module and DuckDB reads of the
tables as their commits say (tests/support/lake.py).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from carelake.config import Lake
from carelake.entrypoints import claims_to_bronze
from carelake.generate import generate_population
from carelake.landing import land_tree
from carelake.manifest import load_manifest
from carelake.pipeline.raw_files import EMPTY_FILE
from carelake.runner import job_argv
from tests.support.lake import LakeTables, version

pytestmark = [pytest.mark.spark, pytest.mark.integration]
DT, DT2 = "2024-05-01", "2024-05-02"
PATIENTS, SEED, DEFECT_RATE = 30, 3, 0.15  # every partner-claims defect kind occurs
PARTNER = "bcbs"  # the partner whose second file lands late
MISNAMED = f"claims/partner={PARTNER}/dt={DT}/claims_aetna_20240430.csv"
EMPTY = f"claims/partner=humana/dt={DT}/claims_humana_20240501.csv"  # 0 bytes
NOT_CSV = f"claims/partner=humana/dt={DT}/claims_humana_20240501.csv.pgp"
ADDED = (MISNAMED, EMPTY, NOT_CSV)  # landed by the test beside the generated files
TABLE = "partner_claim_line"
JOB = "claims_to_bronze"

# Written by hand from the defect kinds in carelake.generate.defects: what the quarantine
# reason must say for each kind (value and column from the report).
REASON_PATTERNS = {
    "bad_icd10": "column icd10_primary: '{value}' is not (ICD-10-CM format|a known ICD-10-CM code)",
    "bad_cpt": "column procedure_code: '{value}' is not (CPT or HCPCS Level II format|a known CPT/HCPCS code)",
    "negative_amount": "column {column}: '{value}' is negative",
    "non_numeric_amount": "column {column}: '{value}' is not a decimal amount",
    "missing_member_id": "column member_id is required",
}


def landed(generated_path: str) -> str:
    """claims/partner=x/<file> (generator layout) -> claims/partner=x/dt=DT/<file> (raw)."""
    partner, name = generated_path.split("/")[1:]
    return f"claims/{partner}/dt={DT}/{name}"


def data_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


QUARANTINE = "source, source_file, source_line, target_table, reason, rule, record, dt"


def snapshot(lake: Lake) -> dict:
    """The job's tables as the commits say after a run."""
    tables = LakeTables(lake.root)
    try:
        return {
            "bronze": tables.rows(f"select * from bronze.{TABLE}"),
            "quarantine": tables.rows(
                f"select {QUARANTINE} from quarantine.quarantined_record where job = '{JOB}'"
            ),
            "partitions": {
                p.path: (p.dir, p.seq, p.rows) for _, p in version(lake.root, f"bronze.{TABLE}").partitions
            },
            "runs": tables.rows(
                "select dt, started_at, rows_read, rows_written, rows_quarantined, rows_deduplicated "
                f"from quarantine.job_run where job = '{JOB}'"
            ),
            "ledger": tables.rows(f"select object_key, dt from quarantine.raw_object where job = '{JOB}'"),
        }
    finally:
        tables.close()


def run(lake: Lake, dt: str) -> None:
    # The runner's arguments: the lake's zone URIs, dt and the manifest's defaults.
    claims_to_bronze.main(job_argv(load_manifest().jobs[JOB], lake, dt))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("generated")
    generate_population(out, patients=PATIENTS, seed=SEED, defect_rate=DEFECT_RATE, workers=1)
    report = json.loads((out / "_report.json").read_text())
    return out, [d for d in report["defects"] if d.get("table") == "partner_claims"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, generated, spark) -> dict:
    """The lake after each run: batch DT (every file), batch DT2 (a late file), DT2 again."""
    out, defects = generated
    lake = Lake(tmp_path_factory.mktemp("lake"))
    raw = lake.zone("raw")
    for partner in sorted((out / "claims").iterdir()):
        land_tree(partner, lake, f"claims/{partner.name}", DT)
    some_file = sorted((raw / f"claims/partner={PARTNER}/dt={DT}").iterdir())[0]
    shutil.copy(some_file, raw / MISNAMED)  # another partner's name in bcbs's folder
    (raw / EMPTY).touch()
    (raw / NOT_CSV).write_bytes(b"\x85\x01\x0c\x03 encrypted, never read")

    run(lake, DT)
    full = snapshot(lake)

    # A second file for PARTNER lands late in the dt=DT folder: a copy of one of its files with defects.
    source = next(d["path"] for d in defects if d["path"].startswith(f"claims/partner={PARTNER}/"))
    new_key = landed(source).replace(".csv", "_2.csv")
    shutil.copy(raw / landed(source), raw / new_key)
    run(lake, DT2)
    late = snapshot(lake)
    run(lake, DT2)  # a rerun of the latest batch must reproduce it
    again = snapshot(lake)
    return {
        "lake": lake,
        "full": full,
        "late": late,
        "again": again,
        "source": landed(source),
        "new": new_key,
    }


def test_every_injected_defect_is_quarantined_with_its_file_line_and_reason(generated, runs):
    _, defects = generated
    assert {d["kind"] for d in defects} == set(REASON_PATTERNS)
    quarantine = runs["full"]["quarantine"]
    quarantined = {(r[1], r[2]): r[4] for r in quarantine if r[1] not in ADDED}
    expected = {(landed(d["path"]), d["line"]): d for d in defects}
    assert set(quarantined) == set(expected)  # and no generated row without a defect
    for key, defect in expected.items():
        pattern = REASON_PATTERNS[defect["kind"]].format(
            value=re.escape(defect["value"]), column=defect["column"]
        )
        assert re.fullmatch(pattern, quarantined[key]), (key, defect, quarantined[key])
    assert {r[0] for r in quarantine} == {"partner_claims"}
    assert {r[3] for r in quarantine} == {TABLE}
    assert {r[5] for r in quarantine} == {None}  # contract checks, no plausibility rule
    assert {r[7] for r in quarantine} == {DT}  # the batch


def test_a_misnamed_file_is_one_file_level_record(runs):
    # docs/data-contracts.md: a file outside its source's layout is one file-level record
    # (formerly every line of it, with the file's reason); its bytes stay in raw.
    rows = [(r[2], r[4], r[6]) for r in runs["full"]["quarantine"] if r[1] == MISNAMED]
    reason = f"file name partner 'aetna' does not match the folder partner={PARTNER}"
    assert rows == [(None, reason, None)]


def test_files_that_cannot_be_read_are_one_record_each(runs):
    rows = sorted((r[1], r[2], r[4], r[6]) for r in runs["full"]["quarantine"] if r[1] in (EMPTY, NOT_CSV))
    assert rows == [
        (EMPTY, None, EMPTY_FILE, None),
        (NOT_CSV, None, "file name does not match claims_<partner_id>_<YYYYMMDD>[_<seq>].csv", None),
    ]


def test_run_record_balances_and_matches_an_independent_count(generated, runs):
    out, defects = generated
    generated_rows = sum(len(data_rows(p)) for p in (out / "claims").rglob("*.csv"))
    [(dt, _, read_, written, quarantined, deduplicated)] = runs["full"]["runs"]
    assert (dt, deduplicated) == (DT, 0)
    assert read_ == written + quarantined
    assert read_ == generated_rows + 3  # + the misnamed, the empty and the non-CSV file: one record each
    assert quarantined == len(defects) + 3
    assert written == len(runs["full"]["bronze"]) == generated_rows - len(defects)


def test_a_clean_file_lands_fully_with_exact_amounts(generated, runs):
    out, defects = generated
    with_defects = {d["path"] for d in defects}
    clean = sorted(p for p in (out / "claims").rglob("*.csv") if str(p.relative_to(out)) not in with_defects)
    assert clean
    tables = LakeTables(runs["lake"].root)
    for path in clean:
        source = landed(str(path.relative_to(out)))
        rows = data_rows(path)
        [(count, billed, paid)] = tables.rows(
            f"select count(*), sum(billed_amount), sum(paid_amount) from bronze.{TABLE} where source_file = '{source}'"
        )
        assert count == len(rows), source
        assert billed == sum(Decimal(r["billed_amount"]) for r in rows), source
        assert paid == sum(Decimal(r["paid_amount"]) for r in rows), source
    tables.close()


def test_bronze_partitions_are_partner_and_batch(generated, runs):
    out, _ = generated
    partners = {p.name.removeprefix("partner=") for p in (out / "claims").iterdir()}
    assert set(runs["full"]["partitions"]) == {f"partner_id={p}/dt={DT}" for p in partners}
    assert {(r[-2], r[-1]) for r in runs["full"]["bronze"]} == {(p, DT) for p in partners}  # partner_id, dt


def test_a_late_file_is_processed_once_into_the_next_batch(generated, runs):
    _, defects = generated
    full, late, lake = runs["full"], runs["late"], runs["lake"]
    new_partition = f"partner_id={PARTNER}/dt={DT2}"
    # Batch DT's partitions are carried over untouched (same version folders); the late file
    # fills one new partition, filed under the batch that processed it (not its landing folder).
    assert {k: v for k, v in late["partitions"].items() if k != new_partition} == full["partitions"]
    assert set(late["partitions"]) - set(full["partitions"]) == {new_partition}
    # Bronze keeps every row of batch DT and adds the new file's good rows.
    assert [r for r in late["bronze"] if r not in full["bronze"]] == sorted(
        (r for r in late["bronze"] if r[-1] == DT2), key=repr
    )
    new_rows = data_rows(lake.zone("raw") / runs["new"])
    new_defects = [d for d in defects if landed(d["path"]) == runs["source"]]
    added = [r for r in late["bronze"] if r[-1] == DT2]
    assert len(added) == late["partitions"][new_partition][2] == len(new_rows) - len(new_defects)
    assert {r[-2] for r in added} == {PARTNER}
    # Quarantine: batch DT's as before; batch DT2's are the new file's bad rows at the same lines.
    assert [r for r in late["quarantine"] if r[7] == DT] == full["quarantine"]
    assert sorted(r[2] for r in late["quarantine"] if r[7] == DT2) == sorted(d["line"] for d in new_defects)
    assert {r[1] for r in late["quarantine"] if r[7] == DT2} == {runs["new"]}
    # The run read only the new file, and accounted for it; the ledger lists it under DT2.
    [(_, _, read_, written, quarantined, _)] = [r for r in late["runs"] if r[0] == DT2]
    assert read_ == written + quarantined == len(new_rows)
    assert [r for r in late["ledger"] if r[1] == DT2] == [(runs["new"], DT2)]
    assert [r for r in late["ledger"] if r[1] == DT] == full["ledger"]


def test_a_rerun_of_the_latest_batch_is_identical(runs):
    late, again = runs["late"], runs["again"]
    assert again["bronze"] == late["bronze"]
    assert again["quarantine"] == late["quarantine"]
    assert again["ledger"] == late["ledger"]
    new_partition = f"partner_id={PARTNER}/dt={DT2}"
    # The rerun wrote a new version of its own partition only.
    assert {k: v for k, v in again["partitions"].items() if k != new_partition} == {
        k: v for k, v in late["partitions"].items() if k != new_partition
    }
    assert again["partitions"][new_partition][0] != late["partitions"][new_partition][0]
    # Every run keeps its record: one for DT, two for DT2 with the same counts.
    assert sorted(r[0] for r in again["runs"]) == [DT, DT2, DT2]
    dt2 = [r[2:] for r in again["runs"] if r[0] == DT2]
    assert len(dt2) == 2 and dt2[0] == dt2[1]
