"""A corpus of malformed and unusual inputs across the five sources, each with its expected outcome.

Every case is one raw object (a treatments case: one DynamoDB export) landed in one lake;
the five jobs run once. Then, for every case, by its source file: the rows bronze (or
silver.fct_treatment) holds and the quarantined records with their reasons must be exactly
the expected ones; every job finishes; every run record balances (read = written +
quarantined + deduplicated). Outcomes are stated here by hand, from the contracts
(docs/data-contracts.md) and the rules (jobs/src/carelake/rules/*.yaml), not computed by
carelake.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from dataclasses import dataclass, field

import pytest

from carelake import registry
from carelake.config import Lake
from carelake.query import LocalQueryEngine
from carelake.runner import run_jobs
from tests.paths import CSV_FIXTURE_DIR, FHIR_FIXTURE

pytestmark = [pytest.mark.spark, pytest.mark.integration]

BATCH = "2026-06-30"
FHIR = "ehr/fhir/dt=2026-06-29/corpus"
CSV = "ehr/csv/dt=2026-06-29"
OUTREACH = "care_mgmt/dt=2026-06-29"
CLAIMS = "claims/partner=acme/dt=2026-06-29"
TREATMENTS = "treatments/dt=2026-06-29"


@dataclass
class Case:
    """One raw object and what must become of its records."""

    name: str
    key: str  # relative to the raw zone
    content: bytes
    accepted: int  # records that reach bronze (silver.fct_treatment for treatments)
    quarantined: dict[str, int] = field(default_factory=dict)  # reason fragment -> records
    extra: dict[str, bytes] = field(default_factory=dict)  # other objects of the case (export manifests)


def resource(resource_type: str = "Patient", rid: str = "r1", **fields: object) -> dict:
    return {"resourceType": resource_type, "id": rid, **fields}


def entry(value: object) -> tuple[str, object]:
    """A Bundle entry given as it is (not a resource to wrap)."""
    return ("entry", value)


def bundle(*resources: dict | tuple[str, object]) -> bytes:
    entries = [
        r[1] if isinstance(r, tuple) else {"fullUrl": f"urn:uuid:{r.get('id', 'none')}", "resource": r}
        for r in resources
    ]
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}).encode()


def ndjson(*lines: str, newline: str = "\n") -> bytes:
    return newline.join(lines).encode() + newline.encode()


def gz(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as stream:
        stream.write(data)
    return out.getvalue()


PATIENT = json.dumps(resource("Patient", "nd1", birthDate="1980-01-02"))
FIXTURE_BUNDLE = FHIR_FIXTURE.read_bytes()
FIXTURE_ENTRIES = len(json.loads(FIXTURE_BUNDLE)["entry"])


def fhir_cases() -> list[Case]:
    f = FHIR
    return [
        Case("real Synthea bundle", f"{f}/real.json", FIXTURE_BUNDLE, FIXTURE_ENTRIES),
        Case("UTF-8 BOM before a bundle", f"{f}/bom.json", b"\xef\xbb\xbf" + bundle(resource("Patient", "bom1")), 1),
        Case("CRLF pretty-printed bundle", f"{f}/crlf.json",
             json.dumps(json.loads(bundle(resource("Patient", "crlf1"))), indent=2).replace("\n", "\r\n").encode(), 1),
        Case("0-byte bundle file", f"{f}/empty.json", b"", 0, {"empty file (0 bytes)": 1}),
        Case("truncated JSON", f"{f}/truncated.json", bundle(resource())[:-7], 0, {"unparseable JSON": 1}),
        Case("Latin-1 bytes", f"{f}/latin1.json", '{"resourceType":"Patient","id":"x","name":[{"family":"Müller"}]}'.encode("latin-1"), 0, {"not UTF-8 text": 1}),
        Case("gzip bytes in a .json file", f"{f}/mislabelled.json", gz(bundle(resource())), 0, {"not UTF-8 text": 1}),
        Case("top-level JSON array", f"{f}/array.json", b"[1, 2]", 0, {"not a JSON object": 1}),
        Case("trailing garbage after the bundle", f"{f}/trailing.json", bundle(resource()) + b" extra", 0, {"not exactly one JSON value": 1}),
        Case("two JSON documents in one file", f"{f}/two.json", bundle(resource()) + bundle(resource()), 0, {"not exactly one JSON value": 1}),
        Case("Bundle.entry is an object", f"{f}/entry-object.json", b'{"resourceType":"Bundle","entry":{"a":1}}', 0, {"Bundle.entry is not an array": 1}),
        Case("an entry that is a string", f"{f}/entry-string.json", bundle(resource("Patient", "ok1"), entry("notanobject")), 0, {"Bundle.entry is not an array": 1}),
        Case("a resource given as a JSON string", f"{f}/resource-string.json", bundle(entry({"fullUrl": "x", "resource": '{"resourceType":"Patient","id":"s1"}'})), 0, {"Bundle.entry is not an array": 1}),
        Case("Bundle without entries", f"{f}/no-entries.json", b'{"resourceType":"Bundle","type":"collection","entry":[]}', 0, {"Bundle without entries": 1}),
        Case("entry without resource", f"{f}/no-resource.json", bundle(resource("Patient", "nr1"), entry({"fullUrl": "urn:uuid:x"})), 1, {"bundle entry without resource": 1}),
        Case("missing resourceType", f"{f}/no-type.json", bundle({"id": "nt1"}), 0, {"missing resourceType": 1}),
        Case("resourceType not in R4", f"{f}/pateint.json", bundle(resource("Pateint", "p9")), 0, {"not a FHIR R4 resource: resourceType 'Pateint'": 1}),
        Case("nested Bundle", f"{f}/nested.json", bundle({"resourceType": "Bundle", "id": "b2"}), 0, {"nested Bundle": 1}),
        Case("missing id", f"{f}/no-id.json", bundle({"resourceType": "Patient"}), 0, {"missing id": 1}),
        Case("id with a space", f"{f}/bad-id.json", bundle(resource("Patient", "has space")), 0, {"invalid id 'has space'": 1}),
        Case("id of 65 characters", f"{f}/long-id.json", bundle(resource("Patient", "a" * 65)), 0, {"invalid id": 1}),
        Case("date that is not a calendar date", f"{f}/feb30.json", bundle(resource("Patient", "f30", birthDate="2023-02-30")), 0, {"bad date in birthDate: '2023-02-30'": 1}),
        Case("dateTime without a zone", f"{f}/nozone.json", bundle(resource("Encounter", "nz1", period={"start": "2020-03-14T12:44:52"})), 0, {"bad date in period.start": 1}),
        Case("lastUpdated 9999-12-31T23:59:59-01:00 (year 10000 in UTC)", f"{f}/y10k.json",
             bundle(resource("Patient", "y10k", meta={"lastUpdated": "9999-12-31T23:59:59-01:00"})), 0, {"bad date in meta.lastUpdated": 1}),
        Case("lastUpdated in 2099", f"{f}/future-updated.json", bundle(resource("Patient", "fu1", meta={"lastUpdated": "2099-01-01T00:00:00Z"})), 0, {"last_updated_not_after_landing": 1}),
        Case("birth date 2999", f"{f}/born-2999.json", bundle(resource("Patient", "b2999", birthDate="2999-01-01")), 0, {"clinical_date_range": 1}),
        Case("birth date 1850", f"{f}/born-1850.json", bundle(resource("Patient", "b1850", birthDate="1850-01-01")), 0, {"clinical_date_range": 1}),
        Case("birth after death", f"{f}/death-first.json", bundle(resource("Patient", "bd1", birthDate="1990-01-01", deceasedDateTime="1980-01-01T00:00:00Z")), 0, {"birth_not_after_death": 1}),
        Case("alive at 125", f"{f}/old.json", bundle(resource("Patient", "old1", birthDate="1901-06-01")), 0, {"age_at_most_120": 1}),
        Case("encounter in 1899", f"{f}/enc-1899.json", bundle(resource("Encounter", "e1899", period={"start": "1899-12-31T00:00:00Z"})), 0, {"clinical_date_range": 1}),
        Case("subject given as text", f"{f}/subject-text.json", bundle(resource("Observation", "st1", subject="Patient/1")), 0, {"wrong JSON type": 1}),
        Case("period given as text", f"{f}/period-text.json", bundle(resource("Encounter", "pt1", period="2020")), 0, {"wrong JSON type": 1}),
        Case("valid type without a table of its own (Basic)", f"{f}/basic.json", bundle(resource("Basic", "ba1", code={"text": "x"})), 1),
        Case("partial dates (year, year-month)", f"{f}/partial.json",
             bundle(resource("Patient", "pd1", birthDate="1970"), resource("Condition", "pd2", onsetDateTime="2020-03")), 2),
        Case("a single resource, not a bundle", f"{f}/single.json", json.dumps(resource("Patient", "single1")).encode(), 1),
        Case("non-BMP characters in a name", f"{f}/emoji.json", bundle(resource("Patient", "em1", name=[{"family": "Ng 🙂"}])), 1),
        Case("NDJSON with a blank line", f"{f}/Patient.ndjson", ndjson(PATIENT, "", json.dumps(resource("Patient", "nd2"))), 2, {"empty line": 1}),
        Case("NDJSON with CRLF", f"{f}/crlf.ndjson", ndjson(PATIENT.replace("nd1", "ndc1"), json.dumps(resource("Patient", "ndc2")), newline="\r\n"), 2),
        Case("NDJSON with a broken line", f"{f}/broken.ndjson", ndjson(PATIENT.replace("nd1", "ndb1"), '{"resourceType": "Patient"'), 1, {"unparseable JSON": 1}),
        Case("NDJSON gzipped", f"{f}/Patient.ndjson.gz", gz(ndjson(PATIENT.replace("nd1", "gz1"), json.dumps(resource("Patient", "gz2")))), 2),
        Case("truncated gzip", f"{f}/truncated.ndjson.gz", gz(ndjson(PATIENT))[:-12], 0, {"not a readable gzip file": 1}),
        Case("plain text named .gz", f"{f}/plain.ndjson.gz", ndjson(PATIENT), 0, {"not a readable gzip file": 1}),
        Case("0-byte NDJSON", f"{f}/empty.ndjson", b"", 0, {"empty file (0 bytes)": 1}),
        Case("unsupported file type", f"{f}/export.xml", b"<Bundle/>", 0, {"unsupported file type": 1}),
        Case("file outside the dt= layout", "ehr/fhir/loose.json", bundle(resource("Patient", "loose1")), 0, {"not in the ehr_fhir layout": 1}),
    ]  # fmt: skip


def csv_text(name: str) -> str:
    return (CSV_FIXTURE_DIR / f"{name}.csv").read_text(encoding="utf-8")


PATIENTS = csv_text("patients").splitlines()
PATIENT_HEADER, PATIENT_ROW = PATIENTS[0], PATIENTS[1]


def patient_row(**changes: str) -> str:
    fields = next(csv.reader([PATIENT_ROW]))
    header = PATIENT_HEADER.split(",")
    for column, value in changes.items():
        fields[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)  # quotes fields holding commas, quotes, newlines
    return out.getvalue()[:-1]


def csv_cases() -> list[Case]:
    c = CSV
    real = sorted(CSV_FIXTURE_DIR.glob("*.csv"))
    rows = {p.stem: sum(1 for _ in csv.reader(p.open(newline="", encoding="utf-8"))) - 1 for p in real}
    cases = [
        Case(f"real Synthea CSV {p.name}", f"{c}/real/{p.name}", p.read_bytes(), rows[p.stem]) for p in real
    ]
    quoted_newline = patient_row(Id="qn-1", BIRTHPLACE="Boston\nMassachusetts  US")
    return [
        *cases,
        Case("BOM and CRLF", f"{c}/bom/patients.csv", b"\xef\xbb\xbf" + "\r\n".join([PATIENT_HEADER, patient_row(Id="bom-1")]).encode() + b"\r\n", 1),
        Case("RFC 4180 quoted newline and comma", f"{c}/quoted/patients.csv",
             "\n".join([PATIENT_HEADER, quoted_newline, patient_row(Id="qc-1", ADDRESS="1 Main St, Apt 2")]).encode() + b"\n", 2),
        Case("wrong header", f"{c}/header/patients.csv", "\n".join([PATIENT_HEADER.replace("BIRTHDATE", "DOB"), PATIENT_ROW]).encode(), 0,
             {"header does not match Synthea patients.csv": 2}),
        Case("unknown CSV file", f"{c}/unknown/foo.csv", b"a,b\n1,2\n", 0, {"unknown Synthea CSV file": 2}),
        Case("a field too many", f"{c}/fields/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="ff-1") + ",extra"]).encode(), 0, {"expected 25 fields, found 26": 1}),
        Case("required column empty", f"{c}/required/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="")]).encode(), 0, {"column Id is required": 1}),
        Case("value not of its type", f"{c}/type/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="ty-1", BIRTHDATE="1990-13-01")]).encode(), 0,
             {"column BIRTHDATE: '1990-13-01' is not of type date": 1}),
        Case("unterminated quote", f"{c}/unterminated/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="ut-1"), 'ut-2,"1990-01-01']).encode() + b"\n", 1,
             {"unexpected end of data": 1}),
        Case("stray quote", f"{c}/stray/patients.csv", "\n".join([PATIENT_HEADER, 'st-1,"1990"x,,,,,,,,,,,,,,,,,,,,,,,']).encode(), 0, {"malformed CSV record": 1}),
        Case("0-byte CSV", f"{c}/zero/patients.csv", b"", 0, {"empty file (0 bytes)": 1}),
        Case("header only", f"{c}/headeronly/patients.csv", (PATIENT_HEADER + "\n").encode(), 0),
        Case("birth date 2999", f"{c}/born2999/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="b2999", BIRTHDATE="2999-01-01")]).encode(), 0, {"csv_patient_dates": 1}),
        Case("death before birth", f"{c}/deathfirst/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="df-1", BIRTHDATE="2000-01-01", DEATHDATE="1999-01-01")]).encode(), 0,
             {"csv_patient_dates": 1}),
        Case("blank line between records", f"{c}/blank/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="bl-1"), "", patient_row(Id="bl-2")]).encode(), 2, {"empty line": 1}),
        Case("Latin-1 CSV", f"{c}/latin1/patients.csv", "\n".join([PATIENT_HEADER, patient_row(Id="l1", FIRST="Zoë")]).encode("latin-1"), 0, {"not UTF-8 text": 1}),
        Case("encounter in 1850", f"{c}/enc1850/encounters.csv",
             "\n".join([csv_text("encounters").splitlines()[0], csv_text("encounters").splitlines()[1].replace("2023-01-27T16:17:47Z,2023-01-27T16:32:47Z", "1850-01-27T16:17:47Z,1850-01-27T16:32:47Z")]).encode(), 0,
             {"csv_event_start_range": 1}),
    ]  # fmt: skip


def event(**changes: object) -> str:
    base = {"record_id": "r-1", "patient_id": "MRN-0000001", "coordinator_id": "cm-007", "event_at": "2026-06-01T10:00:00-04:00",
            "channel": "phone", "status": "reached", "note": "called", "received_at": "2026-06-01T14:00:05Z"}  # fmt: skip
    base.update(changes)
    return json.dumps({k: v for k, v in base.items() if v is not None})


def outreach_cases() -> list[Case]:
    o = OUTREACH
    return [
        Case("valid events", f"{o}/ok-1", ndjson(event(record_id="ok-1"), event(record_id="ok-2")), 2),
        Case("patient_id a number", f"{o}/num-1", ndjson(event(record_id="n-1", patient_id=12345)), 0, {"patient_id must be a JSON string": 1}),
        Case("patient_id an object", f"{o}/obj-1", ndjson(event(record_id="o-1", patient_id={"mrn": "x"})), 0, {"patient_id must be a JSON string": 1}),
        Case("missing patient_id", f"{o}/miss-1", ndjson(event(record_id="m-1", patient_id=None)), 0, {"missing patient_id": 1}),
        Case("event_at without a zone", f"{o}/zone-1", ndjson(event(record_id="z-1", event_at="2026-06-01T10:00:00")), 0, {"bad date in event_at": 1}),
        Case("unknown channel", f"{o}/chan-1", ndjson(event(record_id="c-1", channel="fax")), 0, {"unknown channel 'fax'": 1}),
        Case("note over 4 KB", f"{o}/note-1", ndjson(event(record_id="nt-1", note="x" * 4097)), 0, {"note longer than 4096 bytes": 1}),
        Case("event in 2099", f"{o}/future-1", ndjson(event(record_id="f-1", event_at="2099-01-01T00:00:00Z", received_at="2099-01-01T00:00:01Z")), 0,
             {"outreach_event_not_after_landing": 1}),
        Case("broken JSON line", f"{o}/broken-1", ndjson(event(record_id="b-1"), '{"record_id": "b-2",'), 1, {"unparseable JSON": 1}),
        Case("gzipped events", f"{o}/gz-1.gz", gz(ndjson(event(record_id="g-1"))), 1),
        Case("0-byte Firehose file", f"{o}/zero-1", b"", 0, {"empty file (0 bytes)": 1}),
        Case("blank line", f"{o}/blank-1", ndjson(event(record_id="bl-1"), "", event(record_id="bl-2")), 2, {"empty line": 1}),
    ]  # fmt: skip


CLAIMS_HEADER = (
    "claim_id,claim_line,member_id,member_first_name,member_last_name,member_birth_date,member_gender,member_ssn,"
    "member_zip,payer_id,payer_name,rendering_npi,service_from,service_to,place_of_service,icd10_primary,"
    "icd10_secondary,procedure_code,modifier,units,billed_amount,allowed_amount,paid_amount,claim_status,"
    "denial_reason,received_date"
)
CLAIM = ("C1,1,M1,Ann,Lee,1976-08-01,F,999-43-2714,01821,p1,Acme,9999900407,2026-05-30,2026-05-30,11,I10,,99214,25,1,"
         "77.49,56.18,44.94,paid,,2026-06-12")  # fmt: skip


def claim(**changes: str) -> str:
    header = CLAIMS_HEADER.split(",")
    fields = CLAIM.split(",")
    for column, value in changes.items():
        fields[header.index(column)] = value
    return ",".join(fields)


def claims_file(*rows: str, bom: bool = False, newline: str = "\n") -> bytes:
    return (
        (b"\xef\xbb\xbf" if bom else b"") + newline.join([CLAIMS_HEADER, *rows]).encode() + newline.encode()
    )


def claims_cases() -> list[Case]:
    k = CLAIMS
    return [
        Case("valid claims file", f"{k}/claims_acme_20260612.csv", claims_file(claim(), claim(claim_id="C2")), 2),
        Case("BOM and CRLF claims", f"{k}/claims_acme_20260613.csv", claims_file(claim(claim_id="C3"), bom=True, newline="\r\n"), 1),
        Case("quoted newline in payer_name", f"{k}/claims_acme_20260614.csv", claims_file(claim(claim_id="C4", payer_name='"Acme\nHealth"')), 1),
        # A file rejected by its path is not read: one file-level record (the bytes stay in raw).
        Case("file name not the contract's", f"{k}/acme-claims.csv", claims_file(claim(claim_id="C5")), 0, {"file name does not match": 1}),
        Case("partner in the name not the folder's", f"{k}/claims_other_20260612.csv", claims_file(claim(claim_id="C6")), 0, {"does not match the folder": 1}),
        Case("wrong header", f"{k}/claims_acme_20260615.csv", (CLAIMS_HEADER.replace("claim_id", "id") + "\n" + claim(claim_id="C7") + "\n").encode(), 0,
             {"header does not match the partner claims columns": 2}),
        Case("amount with 3 decimals", f"{k}/claims_acme_20260616.csv", claims_file(claim(claim_id="C8", billed_amount="77.499")), 0, {"has more than 2 decimal places": 1}),
        Case("negative amount", f"{k}/claims_acme_20260617.csv", claims_file(claim(claim_id="C9", paid_amount="-1.00")), 0, {"is negative": 1}),
        Case("paid above allowed", f"{k}/claims_acme_20260618.csv", claims_file(claim(claim_id="C10", paid_amount="60.00")), 0, {"exceeds allowed_amount": 1}),
        Case("denied without a reason code", f"{k}/claims_acme_20260619.csv", claims_file(claim(claim_id="C11", claim_status="denied", paid_amount="0.00")), 0,
             {"denial_reason is required when claim_status is denied": 1}),
        Case("service in the future", f"{k}/claims_acme_20260620.csv", claims_file(claim(claim_id="C12", service_from="2099-01-01", service_to="2099-01-01", received_date="2099-01-02")), 0,
             {"claim_service_dates": 1}),
        Case("member born 1850", f"{k}/claims_acme_20260621.csv", claims_file(claim(claim_id="C13", member_birth_date="1850-01-01")), 0, {"member_birth_date_range": 1}),
        Case("billed above the ceiling", f"{k}/claims_acme_20260622.csv", claims_file(claim(claim_id="C14", billed_amount="99999999.99")), 0, {"claim_money_ceiling": 1}),
        Case("0-byte claims file", f"{k}/claims_acme_20260623.csv", b"", 0, {"empty file (0 bytes)": 1}),
    ]  # fmt: skip


def item(**changes: object) -> str:
    base = {"treatment_id": {"S": "t-1"}, "patient_id": {"S": "MRN-0000001"}, "outcome_status": {"S": "success"},
            "cost": {"N": "12.40"}, "treatment_date": {"S": "2026-05-26"}, "metadata_modified_at": {"S": "2026-06-06T21:11:35Z"}}  # fmt: skip
    base.update(changes)
    return json.dumps({"Item": {k: v for k, v in base.items() if v is not None}})


def export(
    name: str, lines: list[str], accepted: int, quarantined: dict[str, int], data_bytes: bytes | None = None
) -> Case:
    """One DynamoDB export holding ``lines`` (its data file is the case's key)."""
    slug = "-".join(name.split()).replace(":", "").replace("'", "")
    export_id = f"01782863999000-{slug[:24]}"
    folder = f"{TREATMENTS}/{slug}/AWSDynamoDB/{export_id}"
    data_key = f"{folder}/data/part-0.json.gz"
    summary = {"exportTime": "2026-06-30T23:59:59Z", "itemCount": len(lines), "outputFormat": "DYNAMODB_JSON"}
    files = {"itemCount": len(lines), "dataFileS3Key": f"AWSDynamoDB/{export_id}/data/part-0.json.gz"}
    return Case(
        name,
        data_key,
        data_bytes if data_bytes is not None else gz(ndjson(*lines)),
        accepted,
        quarantined,
        {
            f"{folder}/manifest-summary.json": json.dumps(summary).encode(),
            f"{folder}/manifest-files.json": json.dumps(files).encode(),
        },
    )


def treatment_cases() -> list[Case]:
    return [
        export("valid export", [item(), item(treatment_id={"S": "t-2"})], 2, {}),
        export("cost 1e26", [item(treatment_id={"S": "t-3"}, cost={"N": "1e26"})], 0, {"invalid cost '1e26'": 1}),
        export("modified 9999-12-31T23:59:59-01:00", [item(treatment_id={"S": "t-4"}, metadata_modified_at={"S": "9999-12-31T23:59:59-01:00"})], 0, {"bad metadata_modified_at": 1}),
        export("modified after the export", [item(treatment_id={"S": "t-5"}, metadata_modified_at={"S": "2026-07-02T00:00:00Z"})], 0, {"later than its export's exportTime": 1}),
        export("duplicate keys", ['{"Item":{"treatment_id":{"S":"t-6"},"treatment_id":{"S":"t-7"}}}'], 0, {"duplicate key": 1}),
        export("negative cost", [item(treatment_id={"S": "t-8"}, cost={"N": "-5"})], 0, {"invalid cost '-5': is negative": 1}),
        export("treatment in 2999", [item(treatment_id={"S": "t-9"}, treatment_date={"S": "2999-01-01"})], 0, {"treatment_dates": 1}),
        export("missing required attribute", [item(treatment_id={"S": "t-10"}, outcome_status=None)], 0, {"missing required attribute outcome_status": 1}),
        export("truncated gzip data file", [], 0, {"not a readable gzip file": 1}, data_bytes=gz(ndjson(item(treatment_id={"S": "t-11"})))[:-9]),
        export("a line that is not JSON", [item(treatment_id={"S": "t-12"}), "{not json"], 1, {"malformed JSON": 1}),
    ]  # fmt: skip


def all_cases() -> list[Case]:
    return [*fhir_cases(), *csv_cases(), *outreach_cases(), *claims_cases(), *treatment_cases()]


def test_the_corpus_is_large_enough() -> None:
    cases = all_cases()
    assert len(cases) >= 80
    assert len({c.key for c in cases}) == len(cases)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict:
    lake = Lake(tmp_path_factory.mktemp("corpus") / "lake")
    raw = lake.zone("raw")
    for case in all_cases():
        for key, content in {case.key: case.content, **case.extra}.items():
            (raw / key).parent.mkdir(parents=True, exist_ok=True)
            (raw / key).write_bytes(content)
    results = run_jobs(lake, BATCH)
    with LocalQueryEngine(lake.root) as engine:
        bronze = [t for t in registry.zone_tables("bronze")]
        accepted_sql = " union all ".join(f"select source_file from bronze.{t}" for t in bronze)
        accepted = Counter(
            dict(
                engine.query(
                    f"select source_file, count(*) as n from ({accepted_sql} union all select source_file from silver.fct_treatment) group by 1"
                ).values.tolist()
            )
        )
        quarantine = engine.query(
            "select source_file, reason from quarantine.quarantined_record where job <> 'bronze_to_silver'"
        )
        runs = engine.query(
            "select job, rows_read, rows_written, rows_quarantined, rows_deduplicated from quarantine.job_run"
        )
        outreach = engine.query("select outreach_id, patient_key from silver.fct_outreach")
        review = engine.query("select source, source_id, reason from silver.mpi_review")
        persons = engine.query("select mrn from silver.dim_patient")
    return {"results": results, "accepted": accepted, "quarantine": quarantine, "runs": runs,
            "outreach": outreach, "review": review, "persons": persons}  # fmt: skip


def test_every_job_finishes_and_every_run_balances(outcomes: dict) -> None:
    assert [r.job for r in outcomes["results"]] == [
        "claims_to_bronze", "raw_to_bronze", "treatments_to_silver", "bronze_to_silver", "silver_to_gold"
    ]  # fmt: skip
    runs = outcomes["runs"]
    assert len(runs) == 5
    balance = runs["rows_written"] + runs["rows_quarantined"] + runs["rows_deduplicated"]
    assert (runs["rows_read"] == balance).all(), runs.to_string()


@pytest.mark.parametrize("case", all_cases(), ids=lambda c: c.name)
def test_each_case_has_its_expected_outcome(outcomes: dict, case: Case) -> None:
    assert outcomes["accepted"].get(case.key, 0) == case.accepted
    reasons = outcomes["quarantine"].loc[outcomes["quarantine"]["source_file"] == case.key, "reason"].tolist()
    assert len(reasons) == sum(case.quarantined.values()), reasons
    for fragment, count in case.quarantined.items():
        assert sum(fragment in reason for reason in reasons) == count, (fragment, reasons)


def test_an_outreach_mrn_without_a_patient_makes_no_patient(outcomes: dict) -> None:
    """MRN-0000001 belongs to nobody in this lake: the events keep no patient_key, the MRN is
    listed for review, and no person is created for it."""
    events = outcomes["outreach"]
    assert len(events) > 0 and events["patient_key"].isna().all()
    review = outcomes["review"]
    assert ((review["source"] == "outreach") & (review["source_id"] == "MRN-0000001")).sum() == 1
    assert "MRN-0000001" not in set(outcomes["persons"]["mrn"].dropna())
