"""The gold schemas against the written contract (docs/data-model.md, docs/data-contracts.md)
and their registry declarations; no Spark needed."""

from __future__ import annotations

import json
import re
from pathlib import Path

from carelake import registry
from carelake.declarations import Classification
from carelake.gold import deid
from carelake.gold.schemas import ALERT_FEED_KEYS, DEIDENTIFIED_TABLES, GOLD_KEYS, GOLD_SCHEMAS, TABLES

DOCS = Path(__file__).resolve().parents[2] / "docs"
# backticked words in the contract rows that name something other than the table's own columns
NOT_COLUMNS = {
    "dim_patient": {"as_of"},
    "dim_location": {"organization_id"},
    "dim_diagnosis": {"UNMAPPED:<snomed>"},
    "high_risk_outreach_list": {"outreach_window_days"},
    "care_team_assignment": {"dim_organization"},
    "care_team_worklist": {"unassigned"},
    "deid_encounter_month": {"fact_encounter"},
    "deid_claim_month": {"fact_claim"},
    "deid_procedure_month": {"fact_procedure"},
    "patient_cohort": {"copd", "heart_failure", "diabetes"},
}
DEID = {t.name: t for t in deid.TABLES}


def contract_rows() -> dict[str, tuple[list[str], list[str]]]:
    """gold table -> (key columns, every backticked name in its row) from data-model.md."""
    text = (DOCS / "data-model.md").read_text(encoding="utf-8")
    gold = text[text.index("## gold") :]
    rows = {}
    for line in gold.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        table = cells[0].strip("`")
        rows[table] = (re.findall(r"`([^`]+)`", cells[1]), re.findall(r"`([^`]+)`", cells[1] + cells[2]))
    return rows


def test_every_contract_table_has_exactly_its_columns():
    rows = contract_rows()
    assert set(rows) - {"alert_feed/high_risk"} == set(GOLD_SCHEMAS) | set(DEID)
    for table, schema in GOLD_SCHEMAS.items():
        keys, named = rows[table]
        columns = set(schema.fieldNames())
        assert set(named) - NOT_COLUMNS.get(table, set()) == columns, table
        assert tuple(k for k in keys if k in columns) == GOLD_KEYS[table], table
    for table, declared in DEID.items():
        keys, named = rows[table]
        assert set(named) - NOT_COLUMNS[table] == set(declared.columns), table
        assert declared.key == (), table


def test_alert_feed_keys_are_the_data_contracts_example():
    text = (DOCS / "data-contracts.md").read_text(encoding="utf-8")
    section = text[text.index("## High-risk alert feed") :]
    example = section[
        section.index("```json") + len("```json") : section.index("```", section.index("```json") + 7)
    ]
    assert tuple(json.loads(example.replace("pk-…", "pk-1"))) == ALERT_FEED_KEYS
    assert "mrn" not in ALERT_FEED_KEYS


def test_gold_table_declarations():
    tables = {t.name: t for t in TABLES}
    assert set(tables) == set(GOLD_SCHEMAS)
    assert registry.zone_tables("gold") == tables | DEID
    for name, table in tables.items():
        assert (table.zone, table.partition_keys, table.schema, table.key) == (
            "gold",
            (),
            GOLD_SCHEMAS[name],
            GOLD_KEYS[name],
        )
        if name in ("high_risk_outreach_list", "care_team_worklist"):
            assert (table.classification, table.direct_identifiers) == (Classification.PHI, ("mrn",))
        elif name == "dq_summary":
            assert (table.classification, table.direct_identifiers) == (Classification.NON_PHI, ())
        elif name in DEIDENTIFIED_TABLES:
            assert (table.classification, table.direct_identifiers) == (Classification.DEIDENTIFIED, ())
        else:
            assert (table.classification, table.direct_identifiers) == (Classification.LIMITED_DATA_SET, ())
    assert {n for n, t in tables.items() if t.classification == Classification.LIMITED_DATA_SET} == {
        "dim_date", "fact_encounter", "fact_claim", "fact_procedure", "fact_treatment", "fact_outreach",
        "patient_risk", "patient_cohort",
    }  # fmt: skip
    assert all(t.classification == Classification.DEIDENTIFIED for t in DEID.values())
    catalog = {t["name"]: t for t in registry.catalog_document()["tables"] if t["zone"] == "gold"}
    assert set(catalog) == set(GOLD_SCHEMAS) | set(DEID)
    assert all(entry["partition_keys"] == [] for entry in catalog.values())
