"""Every view in sql/views: created on a lake with every contract table (empty), transpiled
without semantics warnings, and written in the house style (the design notes, SQL)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import SCHEMAS, VIEWS_DIR, write_lake

VIEW_FILES = sorted(VIEWS_DIR.glob("*.sql"))
EXPECTED = {
    "v_readmission_index_stays",
    "v_readmission_rates",
    "readmission_rates",
    "v_length_of_stay",
    "v_claims_by_payer",
    "v_top_cost_diag",
    "v_demographics",
    "v_outreach_discharges",
    "outreach_compliance",
    "v_population_summary",
    "v_dq_summary",
    "patient_risk_view",
    "v_high_risk_outreach",
    "v_care_team_worklist",
    "v_provider_ranking",
    "v_claim_denials",
    "v_cohort_outcomes",
    "v_procedure_patterns",
    "report_claims_by_payer",
    "report_claim_denials",
    "report_cohort_outcomes",
    "report_length_of_stay_trend",
    "report_outreach_compliance_trend",
    "report_procedure_patterns",
    "report_provider_ranking",
    "report_readmission_by_category",
    "report_readmission_trend",
    "report_top_cost_diag",
    "report_denial_trend",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalQueryEngine:
    lake = write_lake(tmp_path_factory.mktemp("contract_lake"), {})
    with LocalQueryEngine(lake, VIEWS_DIR) as engine:
        yield engine


def test_every_view_is_created_on_the_contract(engine: LocalQueryEngine) -> None:
    assert engine.failed_views == {}
    assert {s.name.split(".")[1] for s in engine.view_statuses if s.created} == EXPECTED


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.stem)
def test_view_transpiles_without_semantics_warnings(engine: LocalQueryEngine, path: Path) -> None:
    body = sqlglot.parse_one(path.read_text(encoding="utf-8"), read="athena").expression
    transpiled = engine.transpile(body.sql(dialect="athena"))
    assert transpiled.warnings == ()
    result = engine.query(path.stem)  # runs on DuckDB, ordered by the view's -- order_by: columns
    # an empty lake gives no rows, except the two variants of the overall rate (with null rates)
    assert len(result) == (2 if path.stem == "readmission_rates" else 0)


def _code(text: str) -> str:
    """The SQL without comments and string literals."""
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r"'(?:[^']|'')*'", "''", text)


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.stem)
def test_house_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = text.split("create or replace view", 1)[0]
    assert re.search(r"^-- grain: ", header, re.M) and re.search(r"^-- key: ", header, re.M)
    # how `carelake query <view>` and the dashboards list the rows (queried by name above)
    assert re.search(r"^-- order_by: \w+", header, re.M)
    assert re.search(rf"^create or replace view {path.stem} as$", text, re.M), (
        "one view per file, named as the file"
    )
    assert text.rstrip().endswith("select * from final")
    code = _code(text)
    assert code == code.lower(), "lowercase SQL"
    assert not re.search(r"\bfrom (fact_|dim_|fct_|v_)", code), (
        "tables and views are referenced by zone schema"
    )


ARROW_AS_SPARK = {
    "string": "string", "int32": "int", "int64": "bigint", "double": "double", "bool": "boolean",
    "date32[day]": "date", "timestamp[us]": "timestamp", "decimal128(14, 2)": "decimal(14,2)",
}  # fmt: skip


def test_test_lakes_follow_the_gold_job_schemas() -> None:
    """The hand-built and random lakes use the contract's columns and the types silver_to_gold
    writes (the registry: carelake.gold.schemas and carelake.gold.deid), so the views are tested
    on what Athena will read."""
    registry = pytest.importorskip("carelake.registry")
    for table, schema in SCHEMAS.items():
        if not table.startswith("gold."):
            continue
        written = [(f.name, f.dataType.simpleString()) for f in registry.table(table).schema.fields]
        assert [(f.name, ARROW_AS_SPARK[str(f.type)]) for f in schema] == written, table
