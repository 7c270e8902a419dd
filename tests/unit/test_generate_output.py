"""carelake generate: the shape of every output, and that FHIR and CSV tell the same story.

Each check recomputes what it verifies from the files with the json and csv modules, not
with the generator's own code.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from carelake.generate import generate_population
from carelake.generate.catalog import CONDITIONS, catalog_rows
from tests.paths import CSV_FIXTURE_DIR

SYNTHEA_CSV = CSV_FIXTURE_DIR
PATIENTS = 40
OFFSET_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?-0[45]:00$")
UTC_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CONDITIONAL = re.compile(
    r"^(Practitioner\?identifier=http://hl7\.org/fhir/sid/us-npi\|\d{10}"
    r"|Organization\?identifier=https://github\.com/synthetichealth/synthea\|[0-9a-f-]{36}"
    r"|Location\?identifier=https://github\.com/synthetichealth/synthea\|[0-9a-f-]{36})$"
)


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("landing")
    generate_population(out, patients=PATIENTS, seed=11, workers=1)
    return out


@pytest.fixture(scope="module")
def bundles(landing: Path) -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text())
        for path in sorted((landing / "fhir" / "bundles").glob("*.json"))
    }


@pytest.fixture(scope="module")
def patient_resources(bundles: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for name, bundle in bundles.items()
        if not name.startswith(("hospitalInformation", "practitionerInformation"))
        for entry in bundle["entry"]
    ]


def read_csv(landing: Path, table: str) -> list[dict[str, str]]:
    with (landing / "csv" / f"{table}.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def walk_references(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "reference" and isinstance(item, str):
                found.append(item)
            else:
                found.extend(walk_references(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(walk_references(item))
    return found


def cents(value: Any) -> int:
    return int((Decimal(str(value)) * 100).to_integral_value())


# --- FHIR ---------------------------------------------------------------------------


def test_fhir_output_validates_with_r4b_models(tmp_path: Path) -> None:
    pytest.importorskip("fhir.resources")
    from fhir.resources.R4B import get_fhir_model_class

    generate_population(tmp_path, patients=5, seed=3, workers=1)
    bundle_model = get_fhir_model_class("Bundle")
    files = sorted((tmp_path / "fhir" / "bundles").glob("*.json"))
    assert len(files) == 7  # five patients and the two directory bundles
    for path in files:
        bundle_model.model_validate(json.loads(path.read_text()))  # raises on any invalid resource


def test_patient_bundles_are_synthea_shaped_transactions(bundles: dict[str, dict[str, Any]]) -> None:
    patient_bundles = {k: v for k, v in bundles.items() if not k.startswith(("hospital", "practitioner"))}
    assert len(patient_bundles) == PATIENTS
    for name, bundle in patient_bundles.items():
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        full_urls = set()
        for entry in bundle["entry"]:
            resource = entry["resource"]
            assert entry["fullUrl"] == f"urn:uuid:{resource['id']}"
            assert entry["request"] == {"method": "POST", "url": resource["resourceType"]}
            full_urls.add(entry["fullUrl"])
            assert resource["resourceType"] not in ("Practitioner", "Organization", "Location")
        assert bundle["entry"][0]["resource"]["resourceType"] == "Patient"
        assert name == f"{bundle['entry'][0]['resource']['id']}.json"
        for reference in walk_references(bundle):
            if reference.startswith("urn:uuid:"):
                assert reference in full_urls, f"{name}: unresolved {reference}"
            elif reference.startswith("#"):
                assert reference in ("#referral", "#coverage")
            else:
                assert CONDITIONAL.match(reference), reference


def test_conditional_references_resolve_to_directory_bundles(bundles: dict[str, dict[str, Any]]) -> None:
    directory: dict[str, set[str]] = defaultdict(set)
    for name, bundle in bundles.items():
        if name.startswith(("hospitalInformation", "practitionerInformation")):
            assert bundle["type"] == "batch"
            for entry in bundle["entry"]:
                resource = entry["resource"]
                identifier = resource["identifier"][0]
                directory[resource["resourceType"]].add(f"{identifier['system']}|{identifier['value']}")
                assert (
                    entry["request"]["ifNoneExist"]
                    == f"identifier={identifier['system']}|{identifier['value']}"
                )
    assert set(directory) == {"Practitioner", "Organization", "Location"}
    for name, bundle in bundles.items():
        if name.startswith(("hospital", "practitioner")):
            continue
        for reference in walk_references(bundle):
            if "?identifier=" in reference:
                resource_type, condition = reference.split("?identifier=")
                assert condition in directory[resource_type], reference


def test_explanation_of_benefit_has_contained_coverage_and_referral(
    patient_resources: list[dict[str, Any]],
) -> None:
    eobs = [r for r in patient_resources if r["resourceType"] == "ExplanationOfBenefit"]
    assert eobs
    for eob in eobs:
        contained = {c["id"]: c for c in eob["contained"]}
        assert contained["referral"]["resourceType"] == "ServiceRequest"
        coverage = contained["coverage"]
        assert (
            coverage["resourceType"] == "Coverage"
            and coverage["type"]["text"] == coverage["payor"][0]["display"]
        )
        assert eob["insurance"][0]["coverage"] == {
            "reference": "#coverage",
            "display": coverage["payor"][0]["display"],
        }
        assert eob["referral"] == {"reference": "#referral"}


def test_timestamps_carry_eastern_offsets_and_meta_last_updated(
    patient_resources: list[dict[str, Any]],
) -> None:
    for resource in patient_resources:
        assert UTC_DATETIME.match(resource["meta"]["lastUpdated"]), resource["meta"]
        if resource["resourceType"] == "Encounter":
            assert OFFSET_DATETIME.match(resource["period"]["start"])
            assert OFFSET_DATETIME.match(resource["period"]["end"])
        if resource["resourceType"] == "Observation":
            assert OFFSET_DATETIME.match(resource["effectiveInstant"]) and OFFSET_DATETIME.match(
                resource["issued"]
            )


def test_patients_have_synthea_identifiers(patient_resources: list[dict[str, Any]]) -> None:
    patients = [r for r in patient_resources if r["resourceType"] == "Patient"]
    for patient in patients:
        types = {
            i.get("type", {}).get("coding", [{}])[0].get("code"): i["value"] for i in patient["identifier"]
        }
        assert types["MR"] == patient["id"]
        assert re.match(r"^999-\d{2}-\d{4}$", types["SS"])
        urls = {e["url"].rsplit("/", 1)[1] for e in patient["extension"]}
        assert {"us-core-race", "us-core-ethnicity"} <= urls


def test_inpatient_encounters_have_discharge_dispositions(patient_resources: list[dict[str, Any]]) -> None:
    classes = Counter(r["class"]["code"] for r in patient_resources if r["resourceType"] == "Encounter")
    assert set(classes) <= {"AMB", "EMER", "IMP"} and classes["AMB"] > classes["IMP"] > 0
    for resource in patient_resources:
        if resource["resourceType"] == "Encounter" and resource["class"]["code"] == "IMP":
            coding = resource["hospitalization"]["dischargeDisposition"]["coding"][0]
            assert coding["system"] == "http://www.nubc.org/patient-discharge"


def test_every_emitted_code_is_in_the_catalog(patient_resources: list[dict[str, Any]]) -> None:
    known = {(system, code) for _, system, code, _ in catalog_rows()}
    clinical = {
        "Condition": "code", "Procedure": "code", "Observation": "code", "MedicationRequest": "medicationCodeableConcept",
        "Immunization": "vaccineCode", "DiagnosticReport": "code",
    }  # fmt: skip
    seen = 0
    for resource in patient_resources:
        field = clinical.get(resource["resourceType"])
        concepts = [resource[field]] if field else []
        if resource["resourceType"] == "Encounter":
            concepts = resource["type"] + resource.get("reasonCode", [])
        for component in resource.get("component", []):
            concepts.append(component["code"])
        for concept in concepts:
            for coding in concept["coding"]:
                assert (coding["system"], coding["code"]) in known, coding
                seen += 1
    assert seen > 1000


def test_ndjson_holds_the_same_resources_as_the_bundles(
    landing: Path, patient_resources: list[dict[str, Any]]
) -> None:
    from_ndjson: dict[tuple[str, str], dict[str, Any]] = {}
    for path in (landing / "fhir" / "ndjson").glob("*.ndjson"):
        assert re.match(r"^[A-Za-z]+\.ndjson$", path.name)  # clean runs write no .0/.1 files
        for line in path.read_text().splitlines():
            resource = json.loads(line)
            assert resource["resourceType"] == path.name.split(".")[0]
            from_ndjson[(resource["resourceType"], resource["id"])] = resource
    from_bundles = {(r["resourceType"], r["id"]): r for r in patient_resources}
    directory_types = {"Practitioner", "Organization", "Location"}
    assert {k for k in from_ndjson if k[0] not in directory_types} == set(from_bundles)
    assert all(from_ndjson[key] == resource for key, resource in from_bundles.items())


# --- CSV ----------------------------------------------------------------------------

CSV_TABLES = (
    "patients", "encounters", "conditions", "procedures", "observations", "medications", "immunizations", "claims",
    "claims_transactions", "payers", "payer_transitions", "providers", "organizations",
)  # fmt: skip


@pytest.mark.parametrize("table", CSV_TABLES)
def test_csv_headers_equal_the_synthea_fixture(landing: Path, table: str) -> None:
    ours = (landing / "csv" / f"{table}.csv").read_text().split("\n", 1)[0]
    theirs = (SYNTHEA_CSV / f"{table}.csv").read_text().split("\n", 1)[0]
    assert ours == theirs


def test_csv_rows_have_the_header_field_count_and_formats(landing: Path) -> None:
    for table in CSV_TABLES:
        lines = (landing / "csv" / f"{table}.csv").read_text().splitlines()
        width = len(lines[0].split(","))
        assert len(lines) > 1, table
        assert all(len(line.split(",")) == width for line in lines[1:]), table
    for row in read_csv(landing, "encounters"):
        assert UTC_DATETIME.match(row["START"]) and UTC_DATETIME.match(row["STOP"])
        assert row["ENCOUNTERCLASS"] in {"ambulatory", "emergency", "inpatient", "wellness", "urgentcare"}
        assert re.match(r"^\d+\.\d{2}$", row["TOTAL_CLAIM_COST"])
    for row in read_csv(landing, "patients"):
        date.fromisoformat(row["BIRTHDATE"])
        assert re.match(r"^\d{5}$", row["ZIP"])


def test_fhir_and_csv_have_the_same_patients_encounters_and_claim_totals(
    landing: Path, patient_resources: list[dict[str, Any]]
) -> None:
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in patient_resources:
        by_type[resource["resourceType"]].append(resource)
    assert {p["id"] for p in by_type["Patient"]} == {r["Id"] for r in read_csv(landing, "patients")}
    encounters = {r["Id"]: r for r in read_csv(landing, "encounters")}
    assert {e["id"] for e in by_type["Encounter"]} == set(encounters)

    charges: Counter[str] = Counter()
    insurer_payments: Counter[str] = Counter()
    for tx in read_csv(landing, "claims_transactions"):
        if tx["TYPE"] == "CHARGE":
            charges[tx["CLAIMID"]] += cents(tx["AMOUNT"])
        elif tx["TYPE"] == "PAYMENT" and tx["METHOD"] == "ECHECK":
            insurer_payments[tx["CLAIMID"]] += cents(tx["PAYMENTS"])
    claims_csv = {r["Id"]: r for r in read_csv(landing, "claims")}
    fhir_claims = {c["id"]: c for c in by_type["Claim"]}
    assert set(claims_csv) == set(fhir_claims)
    for claim in by_type["Claim"]:
        assert charges[claim["id"]] == cents(claim["total"]["value"])
        assert sum(cents(item["net"]["value"]) for item in claim["item"] if "net" in item) == cents(
            claim["total"]["value"]
        )
        if claim["type"]["coding"][0]["code"] == "institutional":
            encounter_id = claim["item"][0]["encounter"][0]["reference"].removeprefix("urn:uuid:")
            assert cents(encounters[encounter_id]["TOTAL_CLAIM_COST"]) == cents(claim["total"]["value"])
            assert claims_csv[claim["id"]]["APPOINTMENTID"] == encounter_id
    latest_eob: dict[str, dict[str, Any]] = {}  # the decision that stands: the latest created
    for eob in sorted(by_type["ExplanationOfBenefit"], key=lambda e: (e["created"], e["id"])):
        latest_eob[eob["claim"]["reference"].removeprefix("urn:uuid:")] = eob
    for claim_id, eob in latest_eob.items():
        paid = cents(eob["payment"]["amount"]["value"])
        assert paid == insurer_payments[claim_id]
        if fhir_claims[claim_id]["type"]["coding"][0]["code"] == "institutional":
            encounter_id = fhir_claims[claim_id]["item"][0]["encounter"][0]["reference"].removeprefix(
                "urn:uuid:"
            )
            assert paid == cents(encounters[encounter_id]["PAYER_COVERAGE"])
    medications = {r["ENCOUNTER"] + r["CODE"] + r["START"]: r for r in read_csv(landing, "medications")}
    assert len(medications) == len(by_type["MedicationRequest"])


def test_fhir_and_csv_agree_on_encounter_times_and_payers(
    landing: Path, patient_resources: list[dict[str, Any]]
) -> None:
    from datetime import UTC, datetime

    encounters = {r["Id"]: r for r in read_csv(landing, "encounters")}
    payers = {r["NAME"]: r["Id"] for r in read_csv(landing, "payers")}
    claim_payer = {  # every claim names its payer; a pending one has no EOB yet
        f"urn:uuid:{claim['id']}": claim["insurance"][0]["coverage"]["display"]
        for claim in patient_resources
        if claim["resourceType"] == "Claim"
    }
    for eob in patient_resources:
        if eob["resourceType"] == "ExplanationOfBenefit":
            assert eob["insurer"]["display"] == claim_payer[eob["claim"]["reference"]]
    claim_of_encounter = {
        claim["item"][0]["encounter"][0]["reference"].removeprefix("urn:uuid:"): f"urn:uuid:{claim['id']}"
        for claim in patient_resources
        if claim["resourceType"] == "Claim" and claim["type"]["coding"][0]["code"] == "institutional"
    }
    for resource in patient_resources:
        if resource["resourceType"] != "Encounter":
            continue
        row = encounters[resource["id"]]
        start = datetime.fromisoformat(resource["period"]["start"]).astimezone(UTC)
        assert start.strftime("%Y-%m-%dT%H:%M:%SZ") == row["START"]
        assert payers[claim_payer[claim_of_encounter[resource["id"]]]] == row["PAYER"]


# --- other sources ------------------------------------------------------------------

PARTNER_COLUMNS = (
    "claim_id,claim_line,member_id,member_first_name,member_last_name,member_birth_date,member_gender,member_ssn,"
    "member_zip,payer_id,payer_name,rendering_npi,service_from,service_to,place_of_service,icd10_primary,"
    "icd10_secondary,procedure_code,modifier,units,billed_amount,allowed_amount,paid_amount,claim_status,"
    "denial_reason,received_date"
)


def test_partner_claims_follow_the_contract(landing: Path) -> None:
    files = sorted((landing / "claims").glob("partner=*/claims_*.csv"))
    assert files
    patient_ids = {r["Id"] for r in read_csv(landing, "patients")}
    npis = {
        r["identifier"][0]["value"]
        for r in map(json.loads, (landing / "fhir/ndjson/Practitioner.ndjson").read_text().splitlines())
    }
    for path in files:
        lines_seen: set[tuple[str, str, str]] = set()  # a claim is reported again only in a later file
        partner = path.parent.name.removeprefix("partner=")
        assert re.match(rf"^claims_{partner}_\d{{8}}\.csv$", path.name)
        assert path.read_text().split("\n", 1)[0] == PARTNER_COLUMNS
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                key = (partner, row["claim_id"], row["claim_line"])
                assert key not in lines_seen  # a claim line once per file
                lines_seen.add(key)
                assert row["member_id"] and row["member_id"] not in patient_ids
                assert row["member_gender"] in {"M", "F", "U"}
                assert re.match(r"^(\d{3}-\d{2}-\d{4})?$", row["member_ssn"])
                assert re.match(r"^\d{5}$", row["member_zip"]) and row["rendering_npi"] in npis
                assert re.match(r"^\d{2}$", row["place_of_service"])
                assert re.match(r"^[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?$", row["icd10_primary"])
                assert re.match(r"^(\d{5}|[A-Z]\d{4})$", row["procedure_code"])
                billed, allowed, paid = (
                    Decimal(row[k]) for k in ("billed_amount", "allowed_amount", "paid_amount")
                )
                assert billed >= allowed >= paid >= 0
                assert row["claim_status"] in {"paid", "denied", "pending", "adjusted"}
                assert bool(row["denial_reason"]) == (row["claim_status"] == "denied")
                assert date.fromisoformat(row["received_date"]) >= date.fromisoformat(row["service_to"])
                if row["claim_status"] in ("denied", "pending"):
                    assert Decimal(row["allowed_amount"]) == Decimal(row["paid_amount"]) == 0


def test_partner_diagnoses_are_the_patients_conditions(landing: Path) -> None:
    """ICD-10 on partner claims maps back (through the identity truth) to the EHR conditions."""
    icd10_of = {c.code.code: c.icd10.replace(".", "") for c in CONDITIONS.values()}
    visit_codes = {"Z0000", "Z00129", "Z5111", "I69398", "S72009D"}  # exams, chemotherapy, aftercare
    conditions: dict[str, set[str]] = defaultdict(set)
    for row in read_csv(landing, "conditions"):
        conditions[row["PATIENT"]].add(icd10_of[row["CODE"]])
    with (landing / "_truth" / "identity_crosswalk.csv").open(newline="") as handle:
        patient_of = {(r["source"], r["source_id"]): r["patient_id"] for r in csv.DictReader(handle)}
    checked = 0
    for path in (landing / "claims").glob("partner=*/*.csv"):
        source = "claims:" + path.parent.name.removeprefix("partner=")
        with path.open(newline="") as handle:
            for row in csv.DictReader(handle):
                known = conditions[patient_of[(source, row["member_id"])]]
                assert row["icd10_primary"].replace(".", "") in known | visit_codes
                secondary = {code.replace(".", "") for code in row["icd10_secondary"].split("|") if code}
                assert secondary <= known
                checked += 1
    assert checked > 20


def test_identity_truth_lists_every_partner_member(landing: Path) -> None:
    members = set()
    for path in (landing / "claims").glob("partner=*/*.csv"):
        with path.open(newline="") as handle:
            members |= {
                (path.parent.name.removeprefix("partner="), r["member_id"]) for r in csv.DictReader(handle)
            }
    with (landing / "_truth" / "identity_crosswalk.csv").open(newline="") as handle:
        truth = {
            (r["source"].removeprefix("claims:"), r["source_id"])
            for r in csv.DictReader(handle)
            if r["source"] != "ehr"
        }
    assert members <= truth


def test_outreach_events_follow_the_contract(landing: Path) -> None:
    patient_ids = {r["Id"] for r in read_csv(landing, "patients")}
    events = [
        json.loads(line)
        for path in sorted((landing / "care_mgmt").glob("outreach-*.jsonl"))
        for line in path.read_text().splitlines()
    ]
    assert events
    for event in events:
        assert list(event) == [
            "record_id",
            "patient_id",
            "coordinator_id",
            "event_at",
            "channel",
            "status",
            "note",
            "received_at",
        ]
        assert event["patient_id"] in patient_ids and re.match(r"^cm-\d{3}$", event["coordinator_id"])
        assert event["channel"] in {"phone", "sms", "email", "in_person", "video"}
        assert event["status"] in {
            "reached",
            "completed",
            "left_message",
            "no_answer",
            "declined",
            "scheduled",
        }
        assert OFFSET_DATETIME.match(event["event_at"]) and UTC_DATETIME.match(event["received_at"])


def test_treatment_exports_are_dynamodb_exports_with_updates_and_new_items(landing: Path) -> None:
    exports = sorted((landing / "treatments" / "AWSDynamoDB").iterdir())
    assert len(exports) == 2
    snapshots = []
    for export in exports:
        summary = json.loads((export / "manifest-summary.json").read_text())
        items = [
            json.loads(line)["Item"]
            for path in sorted((export / "data").glob("*.json.gz"))
            for line in gzip.decompress(path.read_bytes()).decode().splitlines()
        ]
        assert summary["itemCount"] == len(items) and summary["outputFormat"] == "DYNAMODB_JSON"
        for item in items:
            assert item["outcome_status"]["S"] in {"success", "failure", "in_progress"}
            assert re.match(r"^\d+\.\d{2}$", item["cost"]["N"]) and UTC_DATETIME.match(
                item["metadata_modified_at"]["S"]
            )
        snapshots.append({i["treatment_id"]["S"]: i for i in items})
    first, second = snapshots
    watermark = max(i["metadata_modified_at"]["S"] for i in first.values())
    changed = [k for k, item in second.items() if item["metadata_modified_at"]["S"] > watermark]
    assert changed and all(k not in first or first[k] != second[k] for k in changed)
    assert all(second[k] == item for k, item in first.items() if k not in changed)


def test_report_counts_match_the_files(landing: Path) -> None:
    report = json.loads((landing / "_report.json").read_text())
    assert report["defects"] == []
    counts = report["counts"]
    for table, rows in counts["csv"].items():
        assert rows == len((landing / "csv" / f"{table}.csv").read_text().splitlines()) - 1
    for name, lines in counts["fhir"]["ndjson_lines"].items():
        assert lines == len((landing / "fhir" / "ndjson" / name).read_text().splitlines())


def test_json_encoders_agree(patient_resources: list[dict[str, Any]]) -> None:
    """The fast path (orjson) and the standard library write the same bytes."""
    pytest.importorskip("orjson")
    from carelake.generate.jsonio import dumps_bytes, stdlib_dumps_bytes

    for resource in patient_resources:
        assert dumps_bytes(resource) == stdlib_dumps_bytes(resource)
