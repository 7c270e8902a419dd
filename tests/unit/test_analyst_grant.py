"""Every table the analyst persona's default grant covers holds no exact date, no source id and
no direct identifier (issue 14: the analyst's default grant is the de-identified layer).

The grant is Lake Formation's (terraform/modules/lake_formation, local analyst_classifications):
gold tables whose data_classification is one of those values; the registry gives each table's
classification and columns. No Spark needed.

The rules, by column name and type:
* no ``date`` or ``timestamp`` column, and no ``*_date_key`` (yyyymmdd) column: Safe Harbor
  keeps only the year of a date about a person (months are reduced by carelake.gold.deid);
* no source id: a ``*_id`` column is a source system's id (an encounter, claim, treatment or
  outreach record) unless it names staff or a facility (:data:`STAFF_AND_FACILITY_IDS`), and
  ``claim_key`` is the source claim id; ``patient_key`` is allowed: an HMAC under a secret
  (carelake.pseudonym_key; tests/unit/test_pseudonym_key.py shows it cannot be recomputed);
* no declared direct identifier, and no column whose name says it is one.
"""

from __future__ import annotations

import re

from pyspark.sql import types as T

from carelake import registry
from carelake.declarations import Table
from tests.paths import REPO

LAKE_FORMATION = REPO / "terraform" / "modules" / "lake_formation" / "main.tf"
# Ids of care-team staff and of facilities: not a patient's, nor a patient's record's.
STAFF_AND_FACILITY_IDS = {"coordinator_id", "last_coordinator_id", "clinic_id", "organization_id"}
SOURCE_ID_KEYS = {"claim_key"}  # silver's claim_key is the source's claim id
DIRECT_IDENTIFIER_NAME = re.compile(
    r"mrn|ssn|patient_id|birth_date|address|street|phone|email|first_name|last_name"
)


def analyst_classifications() -> set[str]:
    found = re.search(r"(?m)^\s*analyst_classifications\s*=\s*\[([^\]]*)\]", LAKE_FORMATION.read_text())
    assert found, "lake_formation main.tf must declare local.analyst_classifications"
    return set(re.findall(r'"([^"]+)"', found[1]))


def analyst_tables() -> list[Table]:
    granted = analyst_classifications()
    return [t for t in registry.zone_tables("gold").values() if t.classification.value in granted]


def problems(table: Table) -> list[str]:
    found = []
    for field in table.schema.fields:
        name = field.name
        if isinstance(field.dataType, T.DateType | T.TimestampType):
            found.append(f"{name}: an exact {field.dataType.simpleString()}")
        if name.endswith("date_key"):
            found.append(f"{name}: a yyyymmdd date key")
        if (name.endswith("_id") and name not in STAFF_AND_FACILITY_IDS) or name in SOURCE_ID_KEYS:
            found.append(f"{name}: a source id")
        if name in table.direct_identifiers or DIRECT_IDENTIFIER_NAME.search(name):
            found.append(f"{name}: a direct identifier")
    return found


def test_the_analyst_grant_is_deidentified_and_non_phi_only() -> None:
    assert analyst_classifications() == {"deidentified", "non-phi"}


def test_analyst_tables_hold_no_exact_dates_no_source_ids_and_no_identifiers() -> None:
    tables = analyst_tables()
    names = {t.name for t in tables}
    assert {"deid_encounter_month", "deid_claim_month", "dim_patient"} <= names
    assert not names & {"fact_encounter", "fact_claim", "fact_treatment", "fact_outreach", "patient_risk"}
    found = {t.name: problems(t) for t in tables if problems(t)}
    dq = found.pop("dq_summary", [])
    assert not found, found
    # dq_summary is about the pipeline (non-phi): a run's id and when it wrote a table
    assert dq == ["last_run_id: a source id", "last_run_at: an exact timestamp"]
    assert "patient_key" not in registry.table("gold.dq_summary").columns


def test_the_rules_catch_what_the_limited_data_set_holds() -> None:
    """The rules are not vacuous: every limited-data-set table breaks at least one of them."""
    limited = [
        t for t in registry.zone_tables("gold").values() if t.classification.value == "limited-data-set"
    ]
    assert {t.name for t in limited} >= {"fact_encounter", "fact_claim", "fact_outreach", "dim_date"}
    assert all(problems(t) for t in limited)
    assert problems(registry.table("gold.fact_claim")) == [
        "claim_key: a source id",
        "encounter_id: a source id",
        "service_date_key: a yyyymmdd date key",
    ]
