"""`carelake demo` at a small size (10 patients: make demo must work from 10 up): every job of the
manifest on a generated population and both real fixtures, then both dashboards. Silver grains,
references and payers from contained coverage, FHIR/CSV convergence, every Athena view on that lake
against its independent pandas reference, allowed >= paid in every view, and the pages and PDFs
the demo prints. Expected values come from reading the source files with the json and csv
modules, or from tests/sql/reference_measures.py, never from carelake code. Lake tables are read
through their commits (tests/support/lake.py)."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from carelake import registry
from carelake.cli import app
from carelake.config import Lake
from carelake.demo import FIXTURES_BATCH
from carelake.pseudonym_key import load_pseudonym_key
from carelake.query import LocalQueryEngine
from carelake.silver.codes import CodeMaps
from tests.paths import FHIR_FIXTURE, SYNTHEA_FIXTURES
from tests.sql import reference_measures as ref
from tests.sql.test_measure_random_lake import CASES, References
from tests.support.lake import LakeTables, state

pytestmark = [pytest.mark.spark, pytest.mark.integration]
NPI_REF = re.compile(r"^Practitioner\?identifier=http://hl7\.org/fhir/sid/us-npi\|(\d{10})$")
ORG_REF = re.compile(r"^Organization\?identifier=https://github\.com/synthetichealth/synthea\|(.+)$")


def silver_rows(lake: Lake, table: str, columns: str = "*") -> list[tuple]:
    return LakeTables(lake.root).rows(f"select {columns} from silver.{table}")


PATIENTS = 10


@pytest.fixture(scope="module")
def demo(tmp_path_factory, spark) -> dict:
    """What `make demo PATIENTS=10` does, through the CLI (the spark fixture has set up the session
    the jobs share)."""
    root = tmp_path_factory.mktemp("demo")
    args = [
        "demo", "--patients", str(PATIENTS), "--seed", "11", "--lake", str(root / "lake"),
        "--landing", str(root / "landing"), "--dashboard", str(root / "dashboard"),
        "--fixtures", str(SYNTHEA_FIXTURES),
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    return {"root": root, "exit_code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr,
            "exception": result.exception}  # fmt: skip


@pytest.fixture(scope="module")
def population(demo) -> Path:
    return demo["root"] / "landing"


@pytest.fixture(scope="module")
def lake(demo) -> Lake:
    """Generated FHIR bundles + CSV export + partner claims + outreach + treatments, and both
    real fixtures, through every job."""
    assert demo["exit_code"] == 0, (demo["exception"], demo["stderr"][-2000:])
    return Lake(demo["root"] / "lake")


def test_every_silver_table_has_its_grain(lake):
    tables = LakeTables(lake.root)
    lake_state = state(lake.root)
    writers = lake_state.writers
    for name, table in registry.zone_tables("silver").items():
        # every silver table is in its writer's latest commit (a version, maybe empty)
        (job,) = writers[table.qualified_name]
        assert table.qualified_name in lake_state.latest(job).tables, name
        keys = table.key
        if not keys:  # no grain declared (e.g. a log of records): nothing to be unique
            continue
        key_list = ", ".join(keys)
        [(total, distinct)] = tables.rows(f"select count(*), count(distinct ({key_list})) from silver.{name}")
        assert total == distinct, f"{name}: {total - distinct} duplicate keys"
        # mpi_review rows of unmatched MRNs name no candidate (its documented null part of the key)
        required = [k for k in keys if not (name == "mpi_review" and k == "candidate_source_id")]
        [(nulls,)] = tables.rows(
            f"select count(*) from silver.{name} where " + " or ".join(f"{k} is null" for k in required)
        )
        assert nulls == 0, f"{name}: {nulls} rows with a null key"


def test_fixture_encounters_carry_npi_and_organization(lake):
    bundle = json.loads(FHIR_FIXTURE.read_text())
    expected = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Encounter":
            npi = NPI_REF.match(resource["participant"][0]["individual"]["reference"]).group(1)
            org = ORG_REF.match(resource["serviceProvider"]["reference"]).group(1)
            expected[resource["id"]] = (npi, org)
    assert len(expected) == 37
    placeholders = ", ".join(f"'{k}'" for k in expected)
    rows = silver_rows(lake, "fct_encounter", "encounter_id, provider_npi, organization_id")
    found = {r[0]: (r[1], r[2]) for r in rows if r[0] in expected}
    assert found == expected, placeholders[:0]


def test_fixture_claims_get_their_payer_from_the_contained_coverage(lake):
    bundle = json.loads(FHIR_FIXTURE.read_text())
    claims = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Claim"]
    payer_of_claim = {}
    for entry in bundle["entry"]:
        eob = entry["resource"]
        if eob["resourceType"] != "ExplanationOfBenefit":
            continue
        coverage_ref = eob["insurance"][0]["coverage"]["reference"]
        coverage = next(c for c in eob["contained"] if f"#{c['id']}" == coverage_ref)
        payer_of_claim[eob["claim"]["reference"].removeprefix("urn:uuid:")] = coverage["payor"][0]["display"]
    assert len(claims) == 49 and len(payer_of_claim) == 37
    rows = {r[0]: r[1:] for r in silver_rows(lake, "fct_claim", "claim_key, payer_name, billed_amount")}
    for claim in claims:
        payer, billed = rows[claim["id"]]
        assert billed == Decimal(str(claim["total"]["value"])).quantize(Decimal("0.01"))
        if claim["id"] in payer_of_claim:  # from the EOB's contained #coverage
            assert payer == payer_of_claim[claim["id"]]
        else:  # no EOB: the Claim's own insurance display
            assert payer == claim["insurance"][0]["coverage"]["display"]


def test_fixture_csv_patients_encounters_and_claims_arrive_whole(lake):
    fixture_csv = SYNTHEA_FIXTURES / "csv" / "OHDSI__dbt-synthea"

    def ids(file: str) -> set[str]:
        with (fixture_csv / file).open(newline="") as handle:
            return {row["Id"] for row in csv.DictReader(handle)}

    assert ids("patients.csv") <= {r[0] for r in silver_rows(lake, "dim_patient", "ehr_patient_id")}
    assert ids("encounters.csv") <= {r[0] for r in silver_rows(lake, "fct_encounter", "encounter_id")}
    assert ids("claims.csv") <= {r[0] for r in silver_rows(lake, "fct_claim", "claim_key")}


def test_partner_claims_members_link_to_the_right_patients(lake, population):
    """Precision on the generator's own truth (noise: typos, swapped names, missing SSNs, twins)."""
    with (population / "_truth" / "identity_crosswalk.csv").open(newline="") as handle:
        truth = {
            f"{row['source'].removeprefix('claims:')}:{row['source_id']}": row["patient_id"]
            for row in csv.DictReader(handle)
            if row["source"].startswith("claims:")
        }
    crosswalk = silver_rows(lake, "mpi_crosswalk", "source, source_id, patient_key, linked")
    ehr_key = {source_id: key for source, source_id, key, _ in crosswalk if source == "ehr"}
    members = {
        source_id: (key, linked) for source, source_id, key, linked in crosswalk if source == "partner_claims"
    }
    assert set(members) == set(truth)
    linked = {member: key for member, (key, is_linked) in members.items() if is_linked}
    assert linked, "no claims member was linked"
    assert all(key == ehr_key[truth[member]] for member, key in linked.items())  # precision 1.0
    claim_keys = {r[0] for r in silver_rows(lake, "fct_claim", "patient_key") if r[0] is not None}
    assert claim_keys <= {r[0] for r in silver_rows(lake, "dim_patient", "patient_key")}


def _states_of(spark, lake: Lake, keep: str) -> dict:
    """Silver's states built from the lake's bronze with only one EHR feed: FHIR tables
    (keep='fhir') or CSV tables ('csv'), each record's newest version."""
    # here: only this test depends on how silver reads bronze and merges its state
    from pyspark.sql import functions as F

    from carelake.silver import state as silver_state
    from carelake.silver.io import new_bronze

    bronze = new_bronze(spark, state(lake.root), None).frames
    for name, frame in bronze.items():
        if name.startswith(("fhir_", "csv_")) and not name.startswith(f"{keep}_"):
            bronze[name] = frame.limit(0)
        elif name.startswith(("fhir_", "csv_")):
            # only the generated population: the fixtures are different people in each feed
            bronze[name] = frame.where(~frame["source_file"].contains(f"/{FIXTURES_BATCH}/"))
    states = {}
    for spec in silver_state.STATES:
        columns = registry.table(f"silver.{spec.table_name}").columns
        reason = silver_state.missing_key(spec) if spec.parsed else F.lit(None).cast("string")
        records = silver_state.records(spec, bronze).withColumn("_reason", reason).select(*columns, "_reason")
        states[spec.name] = (
            silver_state.merged(spec, records.limit(0), records).where("_wins").select(*columns)
        )
    return states


def test_fhir_and_csv_exports_converge_on_the_same_silver(spark, lake, population):
    from carelake.silver.build import build_silver

    codes = CodeMaps.load(spark)
    results = {}
    for feed in ("fhir", "csv"):
        silver = build_silver(_states_of(spark, lake, feed), codes, key=load_pseudonym_key("local"))
        patients = {r["ehr_patient_id"] for r in silver.tables["dim_patient"].final.collect()}
        encounters = {
            (r["encounter_id"], r["encounter_class"], r["start_at"], r["ehr_patient_id"])
            for r in silver.tables["fct_encounter"].final.collect()
        }
        claims = {
            r["claim_key"]: r["billed_amount"]
            for r in silver.tables["fct_claim"].final.collect()
            if r["source"].startswith("ehr_")
        }
        silver.on_written()
        results[feed] = (patients, encounters, claims)
    # independent expectations from the generated CSV files
    with (population / "csv" / "patients.csv").open(newline="") as handle:
        csv_patients = {row["Id"] for row in csv.DictReader(handle)}
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with (population / "csv" / "claims_transactions.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["TYPE"] == "CHARGE":
                totals[row["CLAIMID"]] += Decimal(row["AMOUNT"])
    fhir, csv_feed = results["fhir"], results["csv"]
    assert fhir[0] == csv_feed[0] == csv_patients
    assert fhir[1] == csv_feed[1]
    assert Counter(e[1] for e in fhir[1])["inpatient"] > 0
    assert fhir[2] == csv_feed[2] == dict(totals)


@pytest.fixture(scope="module")
def gold_references(lake) -> References:
    """The lake's gold tables as the pandas references read them (rows of Python values)."""
    lake_tables = LakeTables(lake.root)
    return References(
        {name: ref.frame(lake_tables.dicts(f"select * from {name}"), name) for name in ref.SCHEMAS}
    )


@pytest.mark.parametrize("view", sorted(CASES))
def test_view_on_the_pipeline_lake_equals_the_pandas_reference(lake, gold_references, view):
    keys, reference = CASES[view]
    with LocalQueryEngine(lake.root, ref.VIEWS_DIR) as engine:
        assert engine.failed_views == {}
        ref.assert_same(engine.query(view), reference(gold_references), keys)


def test_the_pipeline_lake_gives_every_headline_measure_data(lake):
    with LocalQueryEngine(lake.root, ref.VIEWS_DIR) as engine:
        for view in ("v_readmission_index_stays", "v_claims_by_payer", "v_top_cost_diag", "v_length_of_stay",
                     "v_demographics", "v_dq_summary", "v_provider_ranking", "patient_risk_view"):  # fmt: skip
            assert len(engine.query(view)) > 0, view


# --- what the demo prints and writes ----------------------------------------------------------


def test_the_demo_prints_both_pages_and_both_pdfs(lake, demo):
    printed = re.findall(r"^dashboard: (\S+)$", demo["stdout"], re.MULTILINE)
    folder = (demo["root"] / "dashboard").resolve()
    assert printed == [
        str(folder / n) for n in ("analyst.html", "care-team.html", "analyst.pdf", "care-team.pdf")
    ]
    assert all(Path(p).is_file() and Path(p).stat().st_size > 0 for p in printed)
    assert "KPIs, analyst page" in demo["stdout"] and "KPIs, care-team page" in demo["stdout"]


def _figures(html: str) -> list[dict]:
    blocks = re.findall(
        r'<script type="application/json" class="chart-data" data-chart="[^"]+">(.*?)</script>', html
    )
    return [json.loads(block) for block in blocks]


@pytest.mark.parametrize("page", ["analyst", "care-team"])
def test_every_chart_of_a_small_demo_shows_data_or_says_why(lake, demo, page):
    figures = _figures((demo["root"] / "dashboard" / f"{page}.html").read_text(encoding="utf-8"))
    assert figures
    for figure in figures:
        assert figure["status"] in ("ok", "empty"), figure  # never 'error': every view is there
        if figure["status"] == "ok":
            assert figure["rows"] == len(figure["data"]) > 0
        else:
            assert figure["note"], figure["chart"]  # nothing to show, and why
    reader = PdfReader(demo["root"] / "dashboard" / f"{page}.pdf")
    assert len(reader.pages) >= 1 + len(figures)
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert all(figure["title"] in text for figure in figures)


def test_every_view_shows_allowed_at_least_paid(lake):
    with LocalQueryEngine(lake.root, ref.VIEWS_DIR) as engine:
        checked = []
        for path in sorted(ref.VIEWS_DIR.glob("*.sql")):
            frame = engine.query(path.stem)
            if {"allowed_amount", "paid_amount"} <= set(frame.columns):
                both = frame.dropna(subset=["allowed_amount", "paid_amount"])
                assert (both["allowed_amount"] >= both["paid_amount"]).all(), path.stem
                checked.append(path.stem)
        claims = engine.query("select * from gold.fact_claim where claim_status <> 'pending'")
    assert checked == ["report_claims_by_payer", "v_claims_by_payer"]
    assert (claims["allowed_amount"] >= claims["paid_amount"]).all()
    assert claims["allowed_amount"].notna().all()  # every decided claim has its allowed amount
