"""claims_to_bronze on generated partner claims with injected defects (counted independently).

One generated population (30 patients, 15% defects) is landed under raw/claims/; the job
runs for every file of the day, then for one newly landed file (object_key), then for every
file again (which must change nothing).
Expectations come from the generator's _report.json, the csv module and DuckDB reads.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from carelake.bronze.partner_claims import BRONZE_SCHEMA
from carelake.config import Lake
from carelake.entrypoints import claims_to_bronze
from carelake.generate import generate_population
from carelake.landing import land_tree

pytestmark = [pytest.mark.spark, pytest.mark.integration]
DT = "2024-05-01"
PATIENTS, SEED, DEFECT_RATE = 30, 3, 0.15  # every partner-claims defect kind occurs
PARTNER = "bcbs"  # the partner that gets a second file later the same day
MISNAMED = f"claims/partner={PARTNER}/dt={DT}/claims_aetna_20240430.csv"
EMPTY = f"claims/partner=humana/dt={DT}/claims_humana_20240501.csv"  # 0 bytes
NOT_CSV = f"claims/partner=humana/dt={DT}/claims_humana_20240501.csv.pgp"
ADDED = (MISNAMED, EMPTY, NOT_CSV)  # landed by the test beside the generated files
TABLE = "partner_claim_line"
BRONZE_COLUMNS = [f.name for f in BRONZE_SCHEMA.fields]  # DuckDB adds partner_id, dt after them

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


def read(folder: Path, columns: str = "*") -> list[tuple]:
    if not folder.exists():
        return []
    query = (
        f"select {columns} from read_parquet('{folder}/**/*.parquet', hive_partitioning = true, "
        "hive_types_autocast = false)"
    )
    return sorted(duckdb.sql(query).fetchall(), key=repr)


def snapshot(lake: Lake) -> dict:
    bronze = lake.zone("bronze") / TABLE
    return {
        "bronze": read(bronze),
        "quarantine": read(lake.zone("quarantine") / "quarantined_record"),
        "bronze_files": {str(p.relative_to(bronze)): p.stat().st_mtime_ns for p in bronze.rglob("*.parquet")},
        "runs": read(
            lake.zone("quarantine") / "job_run", "started_at, rows_read, rows_written, rows_quarantined"
        ),
    }


def run(lake: Lake, object_key: str) -> None:
    uris = lake.zone_uris()
    claims_to_bronze.main(
        ["--dt", DT, "--raw_uri", uris["raw_uri"], "--bronze_uri", uris["bronze_uri"],
         "--quarantine_uri", uris["quarantine_uri"], "--object_key", object_key]
    )  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("generated")
    generate_population(out, patients=PATIENTS, seed=SEED, defect_rate=DEFECT_RATE, workers=1)
    report = json.loads((out / "_report.json").read_text())
    return out, [d for d in report["defects"] if d.get("table") == "partner_claims"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, generated, spark) -> dict:
    """The lake after each run: full day, one new file (object_key), full day again."""
    out, defects = generated
    lake = Lake(tmp_path_factory.mktemp("lake"))
    raw = lake.zone("raw")
    for partner in sorted((out / "claims").iterdir()):
        land_tree(partner, lake, f"claims/{partner.name}", DT)
    some_file = sorted((raw / f"claims/partner={PARTNER}/dt={DT}").iterdir())[0]
    shutil.copy(some_file, raw / MISNAMED)  # another partner's name in bcbs's folder
    (raw / EMPTY).touch()
    (raw / NOT_CSV).write_bytes(b"\x85\x01\x0c\x03 encrypted, never read")

    run(lake, "all")
    full = snapshot(lake)

    # A second file for PARTNER lands later that day: a copy of one of its files with defects.
    source = next(d["path"] for d in defects if d["path"].startswith(f"claims/partner={PARTNER}/"))
    new_key = landed(source).replace(".csv", "_2.csv")
    shutil.copy(raw / landed(source), raw / new_key)
    run(lake, f"raw/{new_key}")  # the key as the SFTP arrival Lambda sends it
    single = snapshot(lake)
    run(lake, "all")  # a full rerun must reproduce exactly what the single-file run left
    again = snapshot(lake)
    return {
        "lake": lake,
        "full": full,
        "single": single,
        "again": again,
        "source": landed(source),
        "new": new_key,
    }


def test_every_injected_defect_is_quarantined_with_its_file_line_and_reason(generated, runs):
    _, defects = generated
    assert {d["kind"] for d in defects} == set(REASON_PATTERNS)
    quarantined = {(r[1], r[2]): r[5] for r in runs["full"]["quarantine"] if r[1] not in ADDED}
    expected = {(landed(d["path"]), d["line"]): d for d in defects}
    assert set(quarantined) == set(expected)  # and no generated row without a defect
    for key, defect in expected.items():
        pattern = REASON_PATTERNS[defect["kind"]].format(
            value=re.escape(defect["value"]), column=defect["column"]
        )
        assert re.fullmatch(pattern, quarantined[key]), (key, defect, quarantined[key])
    assert {r[0] for r in runs["full"]["quarantine"]} == {"partner_claims"}
    assert {r[4] for r in runs["full"]["quarantine"]} == {TABLE}
    assert {tuple(sorted(r[-2:])) for r in runs["full"]["quarantine"]} == {
        (DT, "claims_to_bronze")
    }  # job, dt


def test_a_misnamed_file_is_quarantined_line_by_line(runs):
    lake = runs["lake"]
    lines = (lake.zone("raw") / MISNAMED).read_text().splitlines()
    rows = sorted((r[2], r[5], r[6]) for r in runs["full"]["quarantine"] if r[1] == MISNAMED)
    reason = f"file name partner 'aetna' does not match the folder partner={PARTNER}"
    assert rows == [(n, reason, text) for n, text in enumerate(lines, start=1)]


def test_files_that_cannot_be_read_are_one_record_each(runs):
    rows = sorted((r[1], r[2], r[5], r[6]) for r in runs["full"]["quarantine"] if r[1] in (EMPTY, NOT_CSV))
    assert rows == [
        (EMPTY, None, "empty file: no header row", None),
        (NOT_CSV, None, "file name does not match claims_<partner_id>_<YYYYMMDD>[_<seq>].csv", None),
    ]


def test_run_record_balances_and_matches_an_independent_count(generated, runs):
    out, defects = generated
    lake = runs["lake"]
    generated_rows = sum(len(data_rows(p)) for p in (out / "claims").rglob("*.csv"))
    misnamed_lines = len((lake.zone("raw") / MISNAMED).read_text().splitlines())
    [(_, read_, written, quarantined)] = runs["full"]["runs"]
    assert read_ == written + quarantined
    assert read_ == generated_rows + misnamed_lines + 2  # + the empty and the non-CSV file
    assert quarantined == len(defects) + misnamed_lines + 2
    assert written == len(runs["full"]["bronze"]) == generated_rows - len(defects)


def test_a_clean_file_lands_fully_with_exact_amounts(generated, runs):
    out, defects = generated
    lake = runs["lake"]
    with_defects = {d["path"] for d in defects}
    clean = sorted(p for p in (out / "claims").rglob("*.csv") if str(p.relative_to(out)) not in with_defects)
    assert clean
    for path in clean:
        source = landed(str(path.relative_to(out)))
        rows = data_rows(path)
        [(count, billed, paid)] = duckdb.sql(
            f"select count(*), sum(billed_amount), sum(paid_amount) from read_parquet("
            f"'{lake.zone('bronze')}/{TABLE}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) "
            f"where source_file = '{source}'"
        ).fetchall()
        assert count == len(rows), source
        assert billed == sum(Decimal(r["billed_amount"]) for r in rows), source
        assert paid == sum(Decimal(r["paid_amount"]) for r in rows), source


def test_bronze_partitions_are_partner_and_dt(generated, runs):
    out, _ = generated
    partners = {p.name.removeprefix("partner=") for p in (out / "claims").iterdir()}
    folders = {Path(f).parent.as_posix() for f in runs["full"]["bronze_files"]}
    assert folders == {f"partner_id={p}/dt={DT}" for p in partners}


def test_a_single_file_run_rewrites_only_its_partner_partition(generated, runs):
    _, defects = generated
    full, single, lake = runs["full"], runs["single"], runs["lake"]
    own = f"partner_id={PARTNER}/"
    # Other partners' partitions: not rewritten (same files, same modification times).
    assert {f: t for f, t in single["bronze_files"].items() if not f.startswith(own)} == {
        f: t for f, t in full["bronze_files"].items() if not f.startswith(own)
    }
    assert not set(single["bronze_files"]) & {f for f in full["bronze_files"] if f.startswith(own)}
    # The partner's partition keeps every row of its other files and adds the new file's good rows.
    source_file = BRONZE_COLUMNS.index("source_file")
    assert [r for r in single["bronze"] if r[source_file] != runs["new"]] == full["bronze"]
    new_rows = data_rows(lake.zone("raw") / runs["new"])
    new_defects = [d for d in defects if landed(d["path"]) == runs["source"]]
    assert len([r for r in single["bronze"] if r[source_file] == runs["new"]]) == len(new_rows) - len(
        new_defects
    )
    # Quarantine: everything from before, plus the new file's bad rows at the same lines.
    assert [r for r in single["quarantine"] if r[1] != runs["new"]] == full["quarantine"]
    assert sorted(r[2] for r in single["quarantine"] if r[1] == runs["new"]) == sorted(
        d["line"] for d in new_defects
    )
    # The run read every file of the partner's folder (rebuilt whole), and accounted for it.
    folder = lake.zone("raw") / f"claims/partner={PARTNER}/dt={DT}"
    partner_rows = sum(len(data_rows(p)) for p in folder.iterdir() if p.name != Path(MISNAMED).name)
    partner_rows += len((lake.zone("raw") / MISNAMED).read_text().splitlines())
    [(_, read_, written, quarantined)] = [r for r in single["runs"] if r not in full["runs"]]
    assert read_ == written + quarantined == partner_rows


def test_a_full_rerun_is_identical_to_the_single_file_run(runs):
    single, again = runs["single"], runs["again"]
    assert again["bronze"] == single["bronze"]
    assert again["quarantine"] == single["quarantine"]
    assert len(again["runs"]) == 3
