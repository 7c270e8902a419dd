"""Refresh the derived columns of the curated maps and report coverage.

    python -m carelake.reference.maintain            # rewrite derived columns in place
    python -m carelake.reference.maintain --check    # exit 1 if a derived column is stale
    python -m carelake.reference.maintain --coverage [--fixtures DIR]

In ``snomed_condition_map.csv`` a person edits ``snomed_code``, ``snomed_display``,
``icd10cm_code``, ``origin`` and ``map_note``; ``mapping_status``, ``icd10cm_display``,
``ccsr_body_system`` and ``charlson_group`` are derived from the ICD-10-CM code through
the other reference tables, so they never drift. ``--coverage`` counts how many SNOMED
condition and procedure codes of the Synthea fixtures and of the generator catalog the
maps cover (the same numbers the unit tests assert).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from carelake import reference as ref

HERE = Path(__file__).resolve().parent
CONDITION_MAP = HERE / "snomed_condition_map.csv"
DEFAULT_FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "synthea"
SNOMED_URI = "http://snomed.info/sct"


def derived_condition_row(row: dict[str, str]) -> dict[str, str]:
    out = dict(row)
    icd10 = ref.normalize_icd10(row["icd10cm_code"]) if row["icd10cm_code"] else None
    out["icd10cm_code"] = icd10 or row["icd10cm_code"]
    out["mapping_status"] = "mapped" if row["icd10cm_code"] else "no_icd10cm_code"
    out["icd10cm_display"] = (ref.icd10cm_description(icd10) or "") if icd10 else ""
    out["ccsr_body_system"] = (ref.ccsr_body_system(icd10) or "") if icd10 else ""
    out["charlson_group"] = (ref.charlson_group(icd10) or "") if icd10 else ""
    return out


def _render(rows: list[dict[str, str]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def refresh(check: bool) -> int:
    text = CONDITION_MAP.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = list(reader.fieldnames or ())
    rows = [derived_condition_row(row) for row in reader]
    rendered = _render(sorted(rows, key=lambda row: int(row["snomed_code"])), columns)
    if rendered == text:
        print(f"{CONDITION_MAP.name}: derived columns up to date ({len(rows)} rows)")
        return 0
    if check:
        print(f"{CONDITION_MAP.name}: derived columns are stale; run python -m carelake.reference.maintain")
        return 1
    CONDITION_MAP.write_text(rendered, encoding="utf-8")
    print(f"{CONDITION_MAP.name}: rewrote derived columns ({len(rows)} rows)")
    return 0


# --- coverage --------------------------------------------------------------------------


def _codings(node: object) -> Iterator[dict[str, str]]:
    if isinstance(node, dict):
        yield from node.get("coding", [])


def fixture_codes(fixtures: Path) -> tuple[set[str], set[str]]:
    """SNOMED condition codes (Condition.code and every reasonCode; CSV conditions CODE and
    every REASONCODE) and procedure codes (Procedure.code; CSV procedures CODE and imaging
    PROCEDURE_CODE) of the Synthea fixtures."""
    conditions: set[str] = set()
    procedures: set[str] = set()
    for bundle_path in sorted((fixtures / "fhir").glob("*.json")):
        bundle = json.loads(bundle_path.read_text(encoding="utf-8"))
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            kind = resource.get("resourceType")
            for coding in _codings(resource.get("code")):
                if coding.get("system") == SNOMED_URI and kind == "Condition":
                    conditions.add(coding["code"])
                if coding.get("system") == SNOMED_URI and kind == "Procedure":
                    procedures.add(coding["code"])
            for reason in resource.get("reasonCode", []):
                conditions.update(c["code"] for c in _codings(reason) if c.get("system") == SNOMED_URI)
    for export in sorted(path for path in (fixtures / "csv").iterdir() if path.is_dir()):
        with (export / "conditions.csv").open(newline="", encoding="utf-8") as handle:
            conditions.update(row["CODE"] for row in csv.DictReader(handle))
        for table in ("encounters", "procedures", "careplans", "medications"):
            with (export / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
                conditions.update(row["REASONCODE"] for row in csv.DictReader(handle) if row["REASONCODE"])
        with (export / "procedures.csv").open(newline="", encoding="utf-8") as handle:
            procedures.update(row["CODE"] for row in csv.DictReader(handle))
        with (export / "imaging_studies.csv").open(newline="", encoding="utf-8") as handle:
            procedures.update(
                row["PROCEDURE_CODE"] for row in csv.DictReader(handle) if row["PROCEDURE_CODE"]
            )
    return conditions, procedures


def generator_codes() -> tuple[set[str], set[str]]:
    from carelake.generate.catalog import catalog_rows

    rows = catalog_rows()
    conditions = {code for kind, system, code, _ in rows if kind == "condition" and system == SNOMED_URI}
    procedures = {code for kind, system, code, _ in rows if kind == "procedure" and system == SNOMED_URI}
    return conditions, procedures


def coverage(fixtures: Path) -> int:
    condition_map = {row["snomed_code"]: row for row in ref.load("snomed_condition_map")}
    procedure_map = {row["snomed_code"] for row in ref.load("snomed_procedure_map")}
    fixture_conditions, fixture_procedures = fixture_codes(fixtures)
    catalog_conditions, catalog_procedures = generator_codes()
    missing = 0
    for label, codes, table in (
        ("fixture conditions", fixture_conditions, set(condition_map)),
        ("generator conditions", catalog_conditions, set(condition_map)),
        ("fixture procedures", fixture_procedures, procedure_map),
        ("generator procedures", catalog_procedures, procedure_map),
    ):
        covered = codes & table
        missing += len(codes - table)
        extra = ""
        if table is not procedure_map:
            mapped = sum(1 for code in covered if condition_map[code]["mapping_status"] == "mapped")
            extra = f" ({mapped} to an ICD-10-CM code, {len(covered) - mapped} explicitly unmapped)"
        print(f"{label}: {len(covered)}/{len(codes)} covered{extra}")
        for code in sorted(codes - table):
            print(f"  MISSING {code}")
    return 1 if missing else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether derived columns are stale")
    parser.add_argument("--coverage", action="store_true", help="print fixture and generator coverage")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES, help="Synthea fixtures folder")
    args = parser.parse_args(argv)
    if args.coverage:
        return coverage(args.fixtures)
    return refresh(args.check)


if __name__ == "__main__":
    sys.exit(main())
