"""Paths the tests share: the repository and the real Synthea fixtures it carries (read-only)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SYNTHEA_FIXTURES = REPO / "tests" / "fixtures" / "synthea"
FHIR_FIXTURE = SYNTHEA_FIXTURES / "fhir" / "sample_complete_patient.json"
CSV_FIXTURE_DIR = SYNTHEA_FIXTURES / "csv" / "OHDSI__dbt-synthea"
