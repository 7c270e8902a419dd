"""make demo: generate data, land it with the real Synthea fixtures, run every job, print the
counts and KPIs, write the two dashboards (HTML and PDF). Everything a newcomer needs to see the platform work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from carelake.config import Lake, resolve_dt
from carelake.landing import land_file, land_generated

FIXTURES_BATCH = "synthea-fixtures"
GENERATED_BATCH = "generated"
# Beside the zones (not in one): configuration, as Terraform writes it for an environment.
CARE_TEAM_ASSIGNMENT = "config/care_team_assignment.jsonl"
COORDINATORS_PER_HOSPITAL = 2


@dataclass(frozen=True)
class Fixtures:
    """Real Synthea output (tests/fixtures/synthea in the repository: a FHIR bundle and a CSV export)."""

    root: Path

    @property
    def fhir_files(self) -> list[Path]:
        return sorted((self.root / "fhir").glob("*.json"))

    @property
    def csv_files(self) -> list[Path]:
        return sorted((self.root / "csv").rglob("*.csv"))


def land_fixtures(fixtures: Fixtures, lake: Lake, dt: str) -> int:
    """Land the real FHIR bundle(s) and CSV export as an EHR feed would; returns files copied."""
    copied = 0
    for path in fixtures.fhir_files:
        copied += land_file(path, lake.zone("raw") / "ehr/fhir" / f"dt={dt}" / FIXTURES_BATCH / path.name)
    for path in fixtures.csv_files:
        copied += land_file(path, lake.zone("raw") / "ehr/csv" / f"dt={dt}" / FIXTURES_BATCH / path.name)
    return copied


def prepare_lake(landing: Path, lake: Lake, dt: str, fixtures: Fixtures | None) -> dict[str, int]:
    """Land generated data (FHIR bundles and the CSV export of the same population, partner
    claims, outreach, treatments) and the real fixtures into raw; returns files per source."""
    dt = resolve_dt(dt)
    copied = dict(land_generated(landing, lake, dt, GENERATED_BATCH, ("bundles",)))
    if fixtures is not None:
        copied["synthea fixtures"] = land_fixtures(fixtures, lake, dt)
    return copied


def write_care_team_assignment(lake: Lake, coordinators: int | None = None) -> Path:
    """The demo's care-team assignment (docs/measures/care-team-worklist.md): each hospital of the
    generator's directory covered by two of its coordinators, round robin. The real fixtures'
    facilities are covered by nobody, so their patients show as 'unassigned'. Returns the file,
    the value of silver_to_gold's care_team_assignment_uri."""
    from carelake.generate.directory import build_directory
    from carelake.generate.settings import DEFAULT_COORDINATORS, coordinator_id

    count = coordinators or DEFAULT_COORDINATORS
    hospitals = [org for org in build_directory().organizations if org.kind == "hospital"]
    lines = []
    for index, hospital in enumerate(hospitals):
        for offset in range(COORDINATORS_PER_HOSPITAL):
            number = (index * COORDINATORS_PER_HOSPITAL + offset) % count + 1
            lines.append(json.dumps({"coordinator_id": coordinator_id(number), "clinic_id": hospital.id}))
    path = lake.root / CARE_TEAM_ASSIGNMENT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def fixture_bundle_counts(lake: Lake, dt: str, fixtures: Fixtures) -> list[tuple[str, int, int]]:
    """(resource type, entries in the real bundle(s), rows in bronze from them): the two must match.
    Bronze is read through its commits (the query engine), as every reader of the lake does."""
    import json
    from collections import Counter

    from carelake import registry
    from carelake.query import LocalQueryEngine

    expected: Counter[str] = Counter()
    for path in fixtures.fhir_files:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        expected.update(entry["resource"]["resourceType"] for entry in bundle.get("entry", []))
    prefix = f"ehr/fhir/dt={dt}/{FIXTURES_BATCH}/"
    fhir_tables = sorted(name for name in registry.zone_tables("bronze") if name.startswith("fhir_"))
    counts = " union all ".join(
        f"select resource_type from bronze.{name} where starts_with(source_file, '{prefix}')"
        for name in fhir_tables
    )
    with LocalQueryEngine(lake.root) as engine:
        frame = engine.query(f"select resource_type, count(*) as n from ({counts}) as fhir group by 1")
    rows = zip(frame["resource_type"], frame["n"].astype(int), strict=True)
    landed = dict(rows)
    return [(kind, expected[kind], landed.get(kind, 0)) for kind in sorted(set(expected) | set(landed))]
