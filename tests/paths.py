"""Paths the tests share: the repository and the real Synthea fixtures (read-only)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures" / "synthea"
FHIR_FIXTURE = SHARED_FIXTURES / "fhir" / "sample_complete_patient.json"
CSV_FIXTURE_DIR = SHARED_FIXTURES / "csv" / "OHDSI__dbt-synthea"
