"""carelake.silver.patients: FHIR Patient and Synthea patients.csv conformed, then one version
per EHR patient id (build.ranked_versions on the dim_patient declaration).

Expected values are worked by hand from the resources below, the US Core race/ethnicity
extensions (OMB codes: 2054-5 Black, 2028-9 Asian, 2106-3 White, 2135-2 Hispanic,
2186-5 Not Hispanic) and HL7 v2 table 0203 identifier types (MR, SS).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from carelake.silver import build, patients
from tests.support.silver_frames import L1, L2, L3, SYNTHEA, as_rows, assert_frame, bronze, csv, fhir, frame

pytestmark = pytest.mark.spark

PATIENT_SCHEMA = (
    "ehr_patient_id string, mrn string, ssn string, first_name string, last_name string, gender string, "
    "birth_date date, death_date date, race string, ethnicity string, marital_status string, "
    "address_line string, city string, state string, zip5 string, source string, "
    "meta_last_updated timestamp, landed_at timestamp, source_file string"
)
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
FILE = "fhir/dt=2024-03-01/bundle-1.json"


def omb(kind: str, code: str) -> dict:
    return {
        "url": US_CORE + f"us-core-{kind}",
        "extension": [
            {
                "url": "ombCategory",
                "valueCoding": {"system": "urn:oid:2.16.840.1.113883.6.238", "code": code},
            },
            {"url": "text", "valueString": "as the patient states it"},
        ],
    }


def identifier(type_code: str, value: str) -> dict:
    return {"type": {"coding": [{"system": V2_0203, "code": type_code}]}, "system": "urn:x", "value": value}


ANA = {
    "resourceType": "Patient",
    "id": "p-1",
    "extension": [
        omb("race", "2054-5"),
        omb("ethnicity", "2135-2"),
        {"url": US_CORE + "us-core-birthsex", "valueCode": "F"},
    ],
    "identifier": [
        {"system": SYNTHEA, "value": "p-1"},
        identifier("MR", "MRN-001"),
        identifier("SS", "999-34-2070"),
        identifier("DL", "S99912345"),
    ],
    "name": [
        {"use": "usual", "family": "Smith", "given": ["Annie"]},
        {"use": "official", "family": "Smith", "given": ["Ana", "Maria"], "prefix": ["Ms."]},
    ],
    "gender": "female",
    "birthDate": "1980-07-14",
    "deceasedDateTime": "2023-11-30T22:15:00-05:00",
    "address": [
        {"line": ["12 Elm St", "Apt 4"], "city": "Springfield", "state": "MA", "postalCode": "01060-1234"}
    ],
    "maritalStatus": {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus", "code": "M"}]
    },
}
SAM = {
    "resourceType": "Patient",
    "id": "p-2",
    "extension": [omb("race", "2028-9"), omb("ethnicity", "2186-5")],
    "name": [{"use": "usual", "family": "Lee", "given": ["Sam"]}],
    "gender": "unknown",
    "birthDate": "2001-01-31",
    "address": [{"line": ["1 Main St"], "city": "Boston", "state": "MA", "postalCode": "2134"}],
}


def test_fhir_patients_conform_identifiers_names_codes_and_dates(spark):
    updated = datetime(2024, 2, 20, 9, 30)
    bronze_patient = bronze(spark, "fhir_patient", [fhir(ANA, updated=updated), fhir(SAM, updated=updated)])
    expected_rows = [
        # MR and SS identifiers by their v2-0203 type, not by position; the official name wins
        # over the usual one and its first given name is the first name; 'female' -> F;
        # the death is 22:15 at UTC-5 on Nov 30 (03:15 UTC Dec 1): the date as written is
        # Nov 30; ZIP+4 is cut to 5 digits; address lines are joined with a space.
        ("p-1", "MRN-001", "999-34-2070", "Ana", "Smith", "F", date(1980, 7, 14), date(2023, 11, 30),
         "black", "hispanic", "M", "12 Elm St Apt 4", "Springfield", "MA", "01060",
         "ehr_fhir", updated, L1, FILE),
        # No official name: the first name entry is used; 'unknown' gender -> U; no MR/SS
        # identifiers -> null; Synthea drops a ZIP's leading zero (2134 is 02134, Boston).
        ("p-2", None, None, "Sam", "Lee", "U", date(2001, 1, 31), None,
         "asian", "nonhispanic", None, "1 Main St", "Boston", "MA", "02134",
         "ehr_fhir", updated, L1, FILE),
    ]  # fmt: skip
    expected = frame(spark, expected_rows, PATIENT_SCHEMA)
    assert_frame(patients.fhir_patients(bronze_patient), expected, ["ehr_patient_id"])


def test_fhir_patient_gender_words_and_missing_gender(spark):
    def patient(pid: str, gender: str | None) -> dict:
        resource = {"resourceType": "Patient", "id": pid, "birthDate": "1990-01-01"}
        return resource if gender is None else {**resource, "gender": gender}

    bronze_patient = bronze(
        spark,
        "fhir_patient",
        [
            fhir(patient("a", "male")),
            fhir(patient("b", "FEMALE")),
            fhir(patient("c", "other")),
            fhir(patient("d", None)),
        ],
    )
    # FHIR AdministrativeGender male/female -> M/F (case-insensitive); 'other' is neither -> U;
    # an absent gender stays unknown to us (null), it is not asserted as U.
    assert as_rows(patients.fhir_patients(bronze_patient), "ehr_patient_id", "gender") == [
        ("a", "M"), ("b", "F"), ("c", "U"), ("d", None),
    ]  # fmt: skip


def test_csv_patients_conform_to_the_same_shape(spark):
    file = "synthea/dt=2024-03-02/patients.csv"
    bronze_csv = bronze(
        spark,
        "csv_patients",
        [
            csv(
                landed=L2,
                file=file,
                line=2,
                id="p-3",
                birthdate=date(1955, 4, 2),
                deathdate=date(2022, 8, 9),
                ssn="999-11-2222",
                first="Rosa",
                last="Diaz",
                marital="W",
                race="White",
                ethnicity="Hispanic",
                gender="F",
                address="34 Oak Rd",
                city="Worcester",
                state="MA",
                zip="1609",
            ),
        ],
    )
    expected_rows = [
        # Synthea's MR identifier is the patient id, so mrn = id; race/ethnicity lower-cased to
        # the words the FHIR OMB codes map to; ZIP 1609 -> 01609; no meta.lastUpdated in CSV.
        ("p-3", "p-3", "999-11-2222", "Rosa", "Diaz", "F", date(1955, 4, 2), date(2022, 8, 9),
         "white", "hispanic", "W", "34 Oak Rd", "Worcester", "MA", "01609",
         "ehr_csv", None, L2, file),
    ]  # fmt: skip
    expected = frame(spark, expected_rows, PATIENT_SCHEMA)
    assert_frame(patients.csv_patients(bronze_csv), expected, ["ehr_patient_id"])


def test_fhir_and_csv_versions_of_a_patient_deduplicated_latest_wins(spark):
    def fhir_version(
        pid: str, city: str, updated: datetime | None, landed: datetime, file: str = FILE
    ) -> dict:
        resource = {
            "resourceType": "Patient", "id": pid, "birthDate": "1970-01-01",
            "address": [{"city": city, "postalCode": "01060"}],
        }  # fmt: skip
        return fhir(resource, updated=updated, landed=landed, file=file)

    def csv_version(pid: str, city: str, landed: datetime, file: str) -> dict:
        return csv(landed=landed, file=file, id=pid, birthdate=date(1970, 1, 1), city=city, zip="01060")

    fhir_rows = [
        # p-1: FHIR (meta.lastUpdated set) against a CSV copy that landed later: meta.lastUpdated
        # is the first term of the declared order, nulls last, so the FHIR version wins.
        fhir_version("p-1", "fhir newest", datetime(2024, 2, 1), L1),
        # p-2: FHIR without meta.lastUpdated ties with CSV on it; the later landing (CSV) wins.
        fhir_version("p-2", "fhir early", None, L1),
        # p-3: two FHIR versions: the newer meta.lastUpdated wins though it landed first.
        fhir_version("p-3", "fhir meta Mar", datetime(2024, 3, 1), L1),
        fhir_version("p-3", "fhir meta Feb", datetime(2024, 2, 1), L3, "fhir/dt=2024-03-03/bundle-9.json"),
        # A resource without an id cannot be placed in the grain: it goes to `reason`.
        fhir_version(None, "no id", datetime(2024, 2, 1), L1),  # type: ignore[arg-type]
    ]
    csv_rows = [
        csv_version("p-1", "csv later", L2, "synthea/dt=2024-03-02/patients.csv"),
        csv_version("p-2", "csv later", L2, "synthea/dt=2024-03-02/patients.csv"),
        # p-4: two CSV copies landed at the same time: the greater source file wins.
        csv_version("p-4", "csv file a", L2, "synthea/dt=2024-03-02/a/patients.csv"),
        csv_version("p-4", "csv file b", L2, "synthea/dt=2024-03-02/b/patients.csv"),
    ]
    candidates = patients.patient_candidates(
        patients.fhir_patients(bronze(spark, "fhir_patient", fhir_rows)),
        patients.csv_patients(bronze(spark, "csv_patients", csv_rows)),
    )
    ranked = build.ranked_versions(candidates, "dim_patient")
    missing = "missing ehr_patient_id: cannot place the record in its grain"
    assert as_rows(ranked, "ehr_patient_id", "city", build.RANK, "reason") == [
        (None, "no id", None, missing),
        ("p-1", "csv later", 2, None),
        ("p-1", "fhir newest", 1, None),
        ("p-2", "csv later", 1, None),
        ("p-2", "fhir early", 2, None),
        ("p-3", "fhir meta Feb", 2, None),
        ("p-3", "fhir meta Mar", 1, None),
        ("p-4", "csv file a", 2, None),
        ("p-4", "csv file b", 1, None),
    ]
    assert as_rows(build.winners(ranked), "ehr_patient_id", "city", "source") == [
        ("p-1", "fhir newest", "ehr_fhir"),
        ("p-2", "csv later", "ehr_csv"),
        ("p-3", "fhir meta Mar", "ehr_fhir"),
        ("p-4", "csv file b", "ehr_csv"),
    ]
