"""The committed catalog (jobs/catalog.json, read by Terraform) and Athena DDL (sql/ddl) are
what the code produces today, and name exactly the tables the job manifest's jobs write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carelake.ddl import write_ddl
from carelake.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "jobs" / "catalog.json"
DDL = REPO / "sql" / "ddl"
REGENERATE = "run `.venv/bin/carelake catalog && .venv/bin/carelake ddl` and commit the result"


def committed_catalog() -> dict:
    return json.loads(CATALOG.read_text(encoding="utf-8"))


@pytest.mark.spark
def test_catalog_file_is_what_the_code_produces(spark):
    from carelake.catalog import catalog_json

    assert catalog_json(spark) == CATALOG.read_text(encoding="utf-8"), REGENERATE


def test_every_table_a_job_writes_is_in_the_catalog_and_nothing_else():
    catalog_tables = {(t["zone"], t["name"]) for t in committed_catalog()["tables"]}
    assert set(load_manifest().tables()) == catalog_tables


def test_ddl_files_are_generated_from_the_catalog(tmp_path):
    write_ddl(committed_catalog(), tmp_path)
    expected = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.sql")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in DDL.glob("*.sql")}
    assert sorted(committed) == sorted(expected), REGENERATE
    stale = [name for name in expected if committed[name] != expected[name]]
    assert stale == [], REGENERATE
