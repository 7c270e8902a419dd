"""The table registry is the one declaration every other description of a table derives from."""

from __future__ import annotations

import json

from carelake import registry
from carelake.manifest import load_manifest
from tests.paths import REPO


def test_jobs_write_exactly_the_registry_tables() -> None:
    written = {name for name in load_manifest().writers()}
    declared = {t.qualified_name for t in registry.tables()}
    assert written == declared


def test_catalog_json_and_the_data_model_table_list_are_generated_from_the_registry() -> None:
    regenerate = "run `.venv/bin/carelake catalog` and commit the result"
    assert (REPO / "jobs" / "catalog.json").read_text(encoding="utf-8") == registry.catalog_json(), regenerate
    document = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert registry.with_table_list(document) == document, regenerate
    assert document.count(registry.TABLE_LIST_BEGIN) == 1


def test_no_second_copy_of_the_ddl() -> None:
    assert not (REPO / "sql" / "ddl").exists()


def test_every_declared_column_set_is_consistent() -> None:
    for table in registry.tables():
        assert set(table.key) <= set(table.columns) | set(table.partition_keys), table.qualified_name
        assert set(table.direct_identifiers) <= set(table.columns), table.qualified_name
        if table.classification.value in ("deidentified", "non-phi"):
            assert not table.direct_identifiers, (
                f"{table.qualified_name} is {table.classification.value} but holds identifiers"
            )


def test_raw_sources_are_exported_with_their_layouts() -> None:
    exported = {s["name"]: s for s in json.loads(registry.catalog_json())["raw_sources"]}
    assert set(exported) == {"ehr_fhir", "ehr_csv", "care_mgmt", "partner_claims", "treatments"}
    assert exported["partner_claims"]["prefix"] == "claims"
    assert all(s["expected_every_hours"] > 0 for s in exported.values())
