"""carelake.reference: the catalog (reference.yaml) and the shape of every table.

Reads the CSV files with the csv module and reference.yaml with PyYAML directly, so a
broken loader cannot hide a broken file.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from carelake import reference as ref

REFERENCE_DIR = Path(ref.__file__).resolve().parent
CATALOG = yaml.safe_load((REFERENCE_DIR / "reference.yaml").read_text(encoding="utf-8"))
TABLES: dict[str, dict] = CATALOG["tables"]
MAX_FILE_BYTES = 3 * 1024 * 1024
BOOLEAN_COLUMNS = re.compile(r"^(is_|has_|used_by_)")


def files_of(entry: dict) -> list[str]:
    return entry["files"] if isinstance(entry["files"], list) else [entry["files"]]


def read_rows(name: str) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for file_name in files_of(TABLES[name]):
        with (REFERENCE_DIR / file_name).open(newline="", encoding="utf-8") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def test_every_csv_is_listed_once_in_the_yaml_and_every_listed_file_exists() -> None:
    listed = [file_name for entry in TABLES.values() for file_name in files_of(entry)]
    assert len(listed) == len(set(listed)), "a CSV is listed under two tables"
    on_disk = sorted(path.name for path in REFERENCE_DIR.glob("*.csv"))
    assert sorted(listed) == on_disk


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_entry_has_version_date_source_licence_key_and_columns(name: str) -> None:
    entry = TABLES[name]
    for field in ("version", "effective_date", "source", "licence", "description", "key", "columns"):
        assert entry.get(field), f"{name}: {field} missing or empty"
    date.fromisoformat(str(entry["effective_date"]))
    assert set(entry["key"]) <= set(entry["columns"]), f"{name}: key columns not among the columns"
    assert all(str(meaning).strip() for meaning in entry["columns"].values()), (
        f"{name}: a column has no meaning"
    )


@pytest.mark.parametrize("name", sorted(TABLES))
def test_csv_headers_match_the_yaml_columns_and_files_stay_small(name: str) -> None:
    entry = TABLES[name]
    for file_name in files_of(entry):
        path = REFERENCE_DIR / file_name
        assert path.stat().st_size < MAX_FILE_BYTES, f"{file_name} is over 3 MB"
        with path.open(newline="", encoding="utf-8") as handle:
            header = next(csv.reader(handle))
        assert header == list(entry["columns"]), file_name


@pytest.mark.parametrize("name", sorted(TABLES))
def test_no_duplicate_or_empty_keys(name: str) -> None:
    key = TABLES[name]["key"]
    rows = read_rows(name)
    assert rows, f"{name} is empty"
    values = [tuple(row[column] for column in key) for row in rows]
    assert all(all(part for part in value) for value in values), f"{name}: empty key"
    duplicates = sorted(value for value, count in Counter(values).items() if count > 1)
    assert not duplicates, f"{name}: duplicate keys {duplicates[:5]}"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_boolean_columns_hold_true_or_false(name: str) -> None:
    columns = [column for column in TABLES[name]["columns"] if BOOLEAN_COLUMNS.match(column)]
    for row in read_rows(name):
        for column in columns:
            assert row[column] in ("true", "false"), f"{name}.{column} = {row[column]!r}"


def test_loader_returns_the_same_rows_and_fresh_copies() -> None:
    assert ref.load("lace_points") == read_rows("lace_points")
    first = ref.load("charlson_groups")
    first[0]["weight_charlson_1987"] = "99"
    assert ref.load("charlson_groups")[0]["weight_charlson_1987"] != "99"
    assert ref.versions() == {name: str(entry["version"]) for name, entry in TABLES.items()}
    with pytest.raises(KeyError):
        ref.load("no_such_table")


def test_icd10cm_code_set_is_the_full_billable_release() -> None:
    rows = read_rows("icd10cm_codes")
    assert len(rows) == 74_719  # CMS FY2026 ICD-10-CM (April 1, 2026 update): 74,719 billable codes
    assert all(ref.normalize_icd10(row["code"]) == row["code"] for row in rows)
    assert all(row["description"] for row in rows)
    codes = {row["code"] for row in rows}
    # billable leaves are in, headers with children are not
    assert {"B20", "I10", "K37", "E11.9", "S72.009A", "T14.8XXA", "U07.1", "Z00.129"} <= codes
    assert not {"E11", "S72.009", "T14.8", "Z51.1", "U07"} & codes


def test_snomed_codes_are_shaped_like_sctids() -> None:
    for name in ("snomed_condition_map", "snomed_procedure_map"):
        for row in read_rows(name):
            assert ref.is_valid_snomed_format(row["snomed_code"]), row["snomed_code"]
            assert row["snomed_code"][-3:-1] in ("00", "10"), (
                f"{row['snomed_code']}: not a concept id partition"
            )
    for row in read_rows("planned_readmissions"):
        if row["code_system"] == "SNOMED":
            assert ref.is_valid_snomed_format(row["code"])


def test_versions_follow_the_policy() -> None:
    calver = re.compile(r"^\d{4}\.\d{2}\.\d+$")
    for name, entry in TABLES.items():
        if name == "icd10cm_codes":
            assert re.match(r"^FY\d{4}-\d{4}-\d{2}-\d{2}$", str(entry["version"]))
        else:
            assert calver.match(str(entry["version"])), (
                f"{name}: version {entry['version']!r} is not YYYY.MM.PATCH"
            )
