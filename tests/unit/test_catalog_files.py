"""The committed catalog (jobs/catalog.json, read by Terraform) is what the registry produces
today, and the registry declares exactly the tables the job manifest's jobs write. Athena DDL
is no longer generated into the repository (Terraform's Glue tables come from catalog.json)."""

from __future__ import annotations

import json
from pathlib import Path

from carelake import registry
from carelake.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "jobs" / "catalog.json"
REGENERATE = "run `.venv/bin/carelake catalog` and commit the result"


def test_catalog_file_is_what_the_registry_produces():
    assert registry.catalog_json() == CATALOG.read_text(encoding="utf-8"), REGENERATE


def test_every_table_a_job_writes_is_in_the_registry_and_nothing_else():
    declared = {(t.zone, t.name) for t in registry.tables()}
    assert set(load_manifest().tables()) == declared
    committed = {(t["zone"], t["name"]) for t in json.loads(CATALOG.read_text(encoding="utf-8"))["tables"]}
    assert committed == declared


def test_no_ddl_files_in_the_repository():
    assert not (REPO / "sql" / "ddl").exists()
