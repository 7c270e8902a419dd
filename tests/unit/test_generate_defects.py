"""carelake generate --defect-rate: every injected defect is listed and really is where it says.

Also the converse: scanning the files finds no broken record that the report does not list.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from carelake.generate import generate_population

EXPECTED_KINDS = {
    "malformed_json", "missing_id", "missing_resource_type", "bad_date", "duplicate_resource", "late_update",
    "entry_without_resource", "truncated_bundle", "csv_bad_date", "csv_wrong_field_count", "bad_icd10", "bad_cpt",
    "negative_amount", "non_numeric_amount", "missing_member_id", "outreach_malformed_json", "outreach_invalid_enum",
}  # fmt: skip


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("broken")
    report = generate_population(out, patients=60, seed=5, defect_rate=0.05, workers=2, chunk_size=16)
    on_disk = json.loads((out / "_report.json").read_text())["defects"]
    assert on_disk == report.defects
    return out, report.defects


@functools.cache
def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines()


@functools.cache
def text_of(path: Path) -> str:
    return path.read_text()


@functools.cache
def parsed(path: Path) -> Any:
    return json.loads(text_of(path))


def line_of(out: Path, defect: dict[str, Any]) -> str:
    return lines_of(out / defect["path"])[defect["line"] - 1]


def parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def dig(resource: dict[str, Any], dotted: str) -> Any:
    value: Any = resource
    for part in dotted.replace("[0]", ".0").split("."):
        value = value[int(part)] if part.isdigit() else value[part]
    return value


def test_every_kind_of_defect_is_injected(broken: tuple[Path, list[dict[str, Any]]]) -> None:
    _, defects = broken
    assert {d["kind"] for d in defects} == EXPECTED_KINDS
    for defect in defects:
        assert ("line" in defect) != ("entry" in defect) or defect["kind"] == "truncated_bundle"
        assert ("resource_type" in defect) != ("table" in defect)


def test_fhir_ndjson_defects_are_at_their_lines(broken: tuple[Path, list[dict[str, Any]]]) -> None:
    out, defects = broken
    for defect in (d for d in defects if d["path"].startswith("fhir/ndjson/")):
        text, kind = line_of(out, defect), defect["kind"]
        if kind == "malformed_json":
            assert not parses(text)
            continue
        resource = json.loads(text)
        if kind == "missing_id":
            assert "id" not in resource and resource["resourceType"] == defect["resource_type"]
        elif kind == "missing_resource_type":
            assert "resourceType" not in resource and resource["id"] == defect["id"]
        elif kind == "bad_date":
            assert dig(resource, defect["field"]) == defect["value"] and resource["id"] == defect["id"]
        else:
            original = json.loads(
                line_of(out, {"path": defect["original_path"], "line": defect["original_line"]})
            )
            assert resource["id"] == original["id"] == defect["id"]
            if kind == "duplicate_resource":
                assert resource == original and defect["path"].endswith(".1.ndjson")
            else:
                assert kind == "late_update" and defect["path"].endswith(".0.ndjson")
                assert (
                    resource["meta"]["lastUpdated"]
                    == defect["last_updated"]
                    > original["meta"]["lastUpdated"]
                )
                assert resource != original


def test_bundle_defects_are_at_their_entries(broken: tuple[Path, list[dict[str, Any]]]) -> None:
    out, defects = broken
    for defect in (d for d in defects if d["path"].startswith("fhir/bundles/")):
        text = text_of(out / defect["path"])
        if defect["kind"] == "truncated_bundle":
            assert not parses(text) and len(text) < defect["full_length"]
            continue
        entry = parsed(out / defect["path"])["entry"][defect["entry"]]
        assert entry["fullUrl"] == f"urn:uuid:{defect['id']}"
        if defect["kind"] == "entry_without_resource":
            assert "resource" not in entry
        elif defect["kind"] == "missing_id":
            assert "id" not in entry["resource"]
        elif defect["kind"] == "missing_resource_type":
            assert "resourceType" not in entry["resource"]
        else:
            assert dig(entry["resource"], defect["field"]) == defect["value"]


def test_csv_defects_are_at_their_lines(broken: tuple[Path, list[dict[str, Any]]]) -> None:
    out, defects = broken
    for defect in (d for d in defects if d["path"].startswith("csv/")):
        header = lines_of(out / defect["path"])[0].split(",")
        fields = line_of(out, defect).split(",")
        assert defect["id"] in fields
        if defect["kind"] == "csv_bad_date":
            assert fields[header.index(defect["column"])] == defect["value"]
        else:
            assert len(fields) == defect["fields"] != len(header)


def test_partner_and_outreach_defects_are_at_their_lines(broken: tuple[Path, list[dict[str, Any]]]) -> None:
    out, defects = broken
    for defect in (d for d in defects if d["path"].startswith("claims/")):
        rows = list(csv.DictReader(io.StringIO(text_of(out / defect["path"]))))
        row = rows[defect["line"] - 2]
        assert f"{row['claim_id']}:{row['claim_line']}" == defect["id"]
        assert row[defect["column"]] == defect["value"]
    for defect in (d for d in defects if d["path"].startswith("care_mgmt/")):
        text = line_of(out, defect)
        if defect["kind"] == "outreach_malformed_json":
            assert not parses(text)
        else:
            assert json.loads(text)[defect["column"]] == defect["value"]


def test_no_unlisted_broken_records(broken: tuple[Path, list[dict[str, Any]]]) -> None:
    out, defects = broken
    listed_lines = {(d["path"], d["line"]) for d in defects if "line" in d}
    listed_bundles = {d["path"] for d in defects if d["path"].startswith("fhir/bundles/")}
    for path in (out / "fhir" / "ndjson").glob("*.ndjson"):
        relative = f"fhir/ndjson/{path.name}"
        sibling = path.name.count(".") == 2  # <Type>.0.ndjson / <Type>.1.ndjson hold only defects
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            ok = parses(text) and {"id", "resourceType"} <= set(json.loads(text))
            if sibling or not ok:
                assert (relative, number) in listed_lines, (relative, number)
    for path in (out / "fhir" / "bundles").glob("*.json"):
        text = path.read_text()
        if not parses(text) or any(
            "resource" not in e or not {"id", "resourceType"} <= set(e["resource"])
            for e in json.loads(text)["entry"]
        ):
            assert f"fhir/bundles/{path.name}" in listed_bundles
    for path in (out / "csv").glob("*.csv"):
        lines = path.read_text().splitlines()
        width = len(lines[0].split(","))
        for number, text in enumerate(lines[1:], start=2):
            if len(text.split(",")) != width:
                assert (f"csv/{path.name}", number) in listed_lines


def test_defects_leave_clean_records_unchanged(
    broken: tuple[Path, list[dict[str, Any]]], tmp_path: Path
) -> None:
    """Defects draw from their own stream: the untouched CSV rows equal a clean run's rows."""
    out, defects = broken
    generate_population(tmp_path, patients=60, seed=5, workers=1)
    touched = Counter(d["path"] for d in defects if d["path"].startswith("csv/"))
    for path in (tmp_path / "csv").glob("*.csv"):
        relative = f"csv/{path.name}"
        clean = path.read_text().splitlines()
        dirty = (out / relative).read_text().splitlines()
        assert len(clean) == len(dirty)
        assert sum(a != b for a, b in zip(clean, dirty, strict=True)) == touched[relative]
