"""carelake.silver.encounters: FHIR Encounter and Synthea encounters.csv conformed to fct_encounter.

Expected values are worked by hand: the encounter class from the v3 ActCode class plus the
SNOMED type (Synthea codes wellness and urgent care as AMB), admission/discharge dates as
written (FHIR keeps the facility's offset; Synthea's CSV writes UTC, docs/data-model.md),
and length of stay by the HCUP rule: discharge date minus admission date, same day = 0.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from carelake.silver import build, encounters
from tests.support.silver_frames import (
    L1,
    L2,
    NPI,
    SYNTHEA,
    as_rows,
    assert_frame,
    bronze,
    coding,
    csv,
    fhir,
    frame,
)

pytestmark = pytest.mark.spark

ENCOUNTER_SCHEMA = (
    "encounter_id string, ehr_patient_id string, encounter_class string, encounter_type_code string, "
    "encounter_type_display string, start_at timestamp, end_at timestamp, admit_date date, discharge_date date, "
    "length_of_stay_days int, discharge_disposition_code string, discharge_disposition_display string, "
    "provider_npi string, provider_id string, provider_display string, organization_id string, "
    "organization_display string, location_id string, location_display string, payer_id string, "
    "reason_code string, reason_display string, reason_codes array<string>, source string, "
    "meta_last_updated timestamp, landed_at timestamp, source_file string"
)
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NUBC = "http://www.nubc.org/patient-discharge"
FILE = "fhir/dt=2024-03-01/bundle-1.json"
UPDATED = datetime(2024, 3, 7, 16, 0)

INPATIENT = {
    "resourceType": "Encounter",
    "id": "enc-1",
    "status": "finished",
    "class": {"system": ACT, "code": "IMP"},
    "type": [coding("183452005", "Emergency hospital admission (procedure)")],
    "subject": {"reference": "urn:uuid:p-1", "display": "Ms. Ana Smith"},
    "participant": [
        {
            "individual": {
                "reference": f"Practitioner?identifier={NPI}|9999962229",
                "display": "Dr. Alphonso Nienow",
            }
        }
    ],
    "period": {"start": "2024-03-04T22:30:00-05:00", "end": "2024-03-07T10:00:00-05:00"},
    "reasonCode": [
        coding("38341003", "Hypertensive disorder"),
        coding("44054006", "Diabetes mellitus type 2"),
    ],
    "hospitalization": {"dischargeDisposition": coding("01", "Discharged to home or self care", NUBC)},
    "location": [
        {"location": {"reference": f"Location?identifier={SYNTHEA}|loc-1", "display": "General Hospital ED"}}
    ],
    "serviceProvider": {
        "reference": f"Organization?identifier={SYNTHEA}|org-1",
        "display": "General Hospital",
    },
}
CHECKUP = {
    "resourceType": "Encounter",
    "id": "enc-2",
    "class": {"system": ACT, "code": "AMB"},
    "type": [coding("185345009", "Encounter for symptom (procedure)")],
    "subject": {"reference": "Patient/p-2"},
    "participant": [{"individual": {"reference": "Practitioner/pr-7", "display": "Dr. Who"}}],
    "period": {"start": "2024-03-05T09:00:00-04:00", "end": "2024-03-05T09:30:00-04:00"},
    "location": [{"location": {"reference": "Location/loc-2", "display": "Clinic room"}}],
    "serviceProvider": {"reference": "urn:uuid:org-2", "display": "Family Clinic"},
}


def candidates(spark, fhir_rows: list[dict], csv_rows: list[dict] | None = None):
    return encounters.encounter_candidates(
        encounters.fhir_encounters(bronze(spark, "fhir_encounter", fhir_rows)),
        encounters.csv_encounters(bronze(spark, "csv_encounters", csv_rows or [])),
    )


def test_fhir_encounters_conform_references_dates_disposition_and_reasons(spark):
    actual = candidates(spark, [fhir(INPATIENT, updated=UPDATED), fhir(CHECKUP, updated=UPDATED)])
    expected_rows = [
        # IMP -> inpatient. Start 22:30 at UTC-5 on Mar 4 is 03:30 UTC Mar 5, but the admission
        # date is the date as written (Mar 4); discharge Mar 7; HCUP LOS = Mar 7 - Mar 4 = 3
        # (UTC dates would give 2). The NPI comes from the conditional Practitioner reference,
        # the organization and location ids from Synthea's conditional identifiers; reason_code
        # is the first reason, reason_codes all of them in order; NUBC 01 disposition kept.
        ("enc-1", "p-1", "inpatient", "183452005", "Emergency hospital admission (procedure)",
         datetime(2024, 3, 5, 3, 30), datetime(2024, 3, 7, 15, 0), date(2024, 3, 4), date(2024, 3, 7), 3,
         "01", "Discharged to home or self care", "9999962229", None, "Dr. Alphonso Nienow",
         "org-1", "General Hospital", "loc-1", "General Hospital ED", None,
         "38341003", "Hypertensive disorder", ["38341003", "44054006"], "ehr_fhir", UPDATED, L1, FILE),
        # AMB with a type that is neither wellness nor urgent care -> ambulatory; same-day visit
        # -> LOS 0. Literal references (Patient/p-2, Location/loc-2) and urn:uuid (org-2) give
        # ids; a literal Practitioner reference carries no NPI, so provider_npi is null. No
        # reasonCode: no first reason, and an empty reason list (as csv_encounters gives).
        ("enc-2", "p-2", "ambulatory", "185345009", "Encounter for symptom (procedure)",
         datetime(2024, 3, 5, 13, 0), datetime(2024, 3, 5, 13, 30), date(2024, 3, 5), date(2024, 3, 5), 0,
         None, None, None, None, "Dr. Who", "org-2", "Family Clinic", "loc-2", "Clinic room", None,
         None, None, [], "ehr_fhir", UPDATED, L1, FILE),
    ]  # fmt: skip
    expected = frame(spark, expected_rows, ENCOUNTER_SCHEMA)
    assert_frame(actual, expected, ["encounter_id"])


def test_length_of_stay_follows_hcup_on_the_dates_as_written(spark):
    periods = {
        # same calendar day -> 0 (HCUP counts a same-day stay as 0 days)
        "same-day": ("2024-03-05T08:00:00-05:00", "2024-03-05T20:00:00-05:00", 0),
        # admitted 23:30 Mar 4, discharged 00:30 Mar 5 (local): 1 day, although both are Mar 5 in UTC
        "midnight": ("2024-03-04T23:30:00-05:00", "2024-03-05T00:30:00-05:00", 1),
        # across the DST change (offset -05:00 -> -04:00): calendar days still count, 1
        "dst": ("2024-03-09T20:00:00-05:00", "2024-03-10T20:00:00-04:00", 1),
        # still in hospital: no discharge date, no length of stay
        "open": ("2024-03-04T10:00:00-05:00", None, None),
    }
    rows = [
        fhir({
            "resourceType": "Encounter", "id": name, "class": {"code": "IMP"}, "subject": {"reference": "Patient/p-1"},
            "period": {"start": start} if end is None else {"start": start, "end": end},
        })
        for name, (start, end, _) in periods.items()
    ]  # fmt: skip
    assert as_rows(candidates(spark, rows), "encounter_id", "length_of_stay_days") == sorted(
        (name, los) for name, (_, _, los) in periods.items()
    )


def test_encounter_class_from_act_code_and_type(spark):
    cases = frame(
        spark,
        [
            # Synthea's FHIR codes wellness, well-child and urgent-care visits as AMB; the SNOMED
            # type tells them apart as the CSV's ENCOUNTERCLASS does.
            ("AMB", "162673000", "wellness"),  # General examination of patient
            ("AMB", "410620009", "wellness"),  # Well child visit
            ("AMB", "308646001", "wellness"),  # Death certification
            ("AMB", "702927004", "urgentcare"),  # Urgent care clinic
            ("AMB", "185345009", "ambulatory"),
            ("AMB", None, "ambulatory"),
            ("IMP", "183452005", "inpatient"),
            ("EMER", "50849002", "emergency"),
            ("HH", None, "home"),
            ("VR", None, "virtual"),
            ("SS", None, "outpatient"),
            # An ActCode carelake has no word for is kept, lower-cased.
            ("OBSENC", None, "obsenc"),
            (None, None, None),
        ],
        "act string, type string, expected string",
    )
    rows = cases.select(
        "act", "type", "expected", encounters.encounter_class(F.col("act"), F.col("type")).alias("actual")
    ).collect()
    assert [(r.act, r.type, r.actual) for r in rows] == [(r.act, r.type, r.expected) for r in rows]


def test_csv_encounters_conform_with_utc_dates(spark):
    file = "synthea/dt=2024-03-02/encounters.csv"
    bronze_csv = [
        csv(
            landed=L2, file=file, line=2, id="enc-9", start=datetime(2024, 3, 5, 3, 30),
            stop=datetime(2024, 3, 7, 15, 0), patient="p-1", organization="org-1", provider="pr-1",
            payer="pay-1", encounterclass="inpatient", code="183452005",
            description="Emergency hospital admission (procedure)", reasoncode="38341003",
            reasondescription="Hypertensive disorder",
        ),
        csv(
            landed=L2, file=file, line=3, id="enc-10", start=datetime(2024, 3, 6, 14, 0),
            stop=datetime(2024, 3, 6, 14, 15), patient="p-1", organization="org-1", provider="pr-1",
            payer="pay-1", encounterclass="Wellness", code="162673000", description="General examination",
        ),
    ]  # fmt: skip
    expected_rows = [
        # Synthea's CSV times are UTC, so its dates are UTC dates: admit Mar 5, discharge Mar 7,
        # LOS 2. Provider, organization and payer are CSV ids; no NPI, disposition or location.
        ("enc-9", "p-1", "inpatient", "183452005", "Emergency hospital admission (procedure)",
         datetime(2024, 3, 5, 3, 30), datetime(2024, 3, 7, 15, 0), date(2024, 3, 5), date(2024, 3, 7), 2,
         None, None, None, "pr-1", None, "org-1", None, None, None, "pay-1",
         "38341003", "Hypertensive disorder", ["38341003"], "ehr_csv", None, L2, file),
        # ENCOUNTERCLASS lower-cased; no reason -> an empty reason list.
        ("enc-10", "p-1", "wellness", "162673000", "General examination",
         datetime(2024, 3, 6, 14, 0), datetime(2024, 3, 6, 14, 15), date(2024, 3, 6), date(2024, 3, 6), 0,
         None, None, None, "pr-1", None, "org-1", None, None, None, "pay-1",
         None, None, [], "ehr_csv", None, L2, file),
    ]  # fmt: skip
    expected = frame(spark, expected_rows, ENCOUNTER_SCHEMA)
    assert_frame(candidates(spark, [], bronze_csv), expected, ["encounter_id"])


def test_an_encounter_without_reasons_has_an_empty_reason_list_from_either_source(spark):
    # csv_encounters deliberately writes [] when REASONCODE is empty; the FHIR version of the
    # same encounter (no reasonCode) should conform to the same value.
    actual = candidates(spark, [fhir(CHECKUP)])
    assert as_rows(actual, "encounter_id", "reason_codes") == [("enc-2", [])]


def test_fhir_and_csv_versions_of_an_encounter_deduplicated_latest_wins(spark):
    fhir_rows = [
        # enc-1 in FHIR (meta.lastUpdated) and in the CSV that landed a day later: meta.lastUpdated
        # is the first term of the declared order (nulls last), so FHIR wins.
        fhir(INPATIENT, updated=UPDATED, landed=L1),
        # Two FHIR versions of enc-2: the newer meta.lastUpdated (class changed) wins.
        fhir({**CHECKUP, "class": {"code": "EMER"}}, updated=datetime(2024, 3, 6), landed=L1),
        fhir(CHECKUP, updated=datetime(2024, 3, 5), landed=L2, file="fhir/dt=2024-03-02/b.json"),
        # No id: cannot be placed in the grain.
        fhir({**CHECKUP, "id": None}, updated=UPDATED),
    ]
    csv_rows = [
        csv(
            landed=L2,
            id="enc-1",
            start=datetime(2024, 3, 5, 3, 30),
            patient="p-1",
            encounterclass="emergency",
        ),
    ]
    births = frame(
        spark,
        [("p-1", date(1980, 7, 14)), ("p-2", date(2001, 1, 31))],
        "ehr_patient_id string, birth_date date",
    )
    # as build_silver ranks fct_encounter: the admission date as written is the event date
    ranked = build.ranked_versions(
        build.with_patient_birth(candidates(spark, fhir_rows, csv_rows), births, F.col("admit_date")),
        "fct_encounter",
        implausible=True,
    )
    missing = "missing encounter_id: cannot place the record in its grain"
    assert as_rows(ranked, "encounter_id", "source", "encounter_class", build.RANK, "reason") == [
        (None, "ehr_fhir", "ambulatory", None, missing),
        ("enc-1", "ehr_csv", "emergency", 2, None),
        ("enc-1", "ehr_fhir", "inpatient", 1, None),
        ("enc-2", "ehr_fhir", "ambulatory", 2, None),
        ("enc-2", "ehr_fhir", "emergency", 1, None),
    ]
    winners = build.winners(ranked)
    assert "reason" not in winners.columns and build.RANK not in winners.columns
    assert as_rows(winners, "encounter_id", "encounter_class") == [
        ("enc-1", "inpatient"),
        ("enc-2", "emergency"),
    ]
