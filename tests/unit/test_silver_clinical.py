"""carelake.silver.clinical: conditions, procedures, observations, medication requests and
immunizations from FHIR and the Synthea CSV, conformed to one shape per fact table, then
deduplicated on the registry's dedup key (patient + code + effective time) latest-wins.

Expected values are hand-worked from the resources below: FHIR dateTimes become UTC
timestamps (a CSV row of the same event, written in UTC, then has the same key), dates
(onset, abatement) stay as written, each fact with a time also carries its calendar date as
written (performed_date, effective_date, authored_date, administered_date: a FHIR dateTime's
own local date, a CSV row's UTC date), which silver's birth rule compares; every row keeps its
source line (a CSV row's line; null for FHIR, whose bundles have entries, not lines), an observation with components is one row per component
(as Synthea's observations.csv writes a blood-pressure panel), and a MedicationRequest
that names its drug through medicationReference takes the Medication's RxNorm code.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from carelake.silver import build, clinical
from tests.support.silver_frames import (
    L1,
    L2,
    LOINC,
    as_rows,
    assert_frame,
    bronze,
    coding,
    csv,
    empty,
    fhir,
    frame,
)

pytestmark = pytest.mark.spark

LINEAGE = (
    "source string, meta_last_updated timestamp, landed_at timestamp, source_file string, source_line int"
)
FILE = "fhir/dt=2024-03-01/bundle-1.json"
CSV_FILE = "synthea/dt=2024-03-02/facts.csv"
UPDATED = datetime(2024, 3, 5, 18, 0)
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


def missing(column: str) -> str:
    return f"missing {column}: cannot place the record in its grain"


# --- conditions -------------------------------------------------------------------------------


def test_conditions_from_fhir_and_csv(spark):
    condition = {
        "resourceType": "Condition",
        "id": "cond-1",
        "clinicalStatus": coding(
            "resolved", system="http://terminology.hl7.org/CodeSystem/condition-clinical"
        ),
        "code": coding("44054006", "Diabetes mellitus type 2 (disorder)"),
        "subject": {"reference": "urn:uuid:p-1"},
        "encounter": {"reference": "urn:uuid:enc-1"},
        "onsetDateTime": "2019-06-01T23:40:00-04:00",
        "abatementDateTime": "2020-01-15T08:00:00-05:00",
        "recordedDate": "2019-06-02T00:10:00-04:00",
    }
    csv_rows = [
        csv(landed=L2, file=CSV_FILE, line=2, start=date(2018, 1, 1), patient="p-2", encounter="enc-2",
            code="38341003", description="Hypertension"),
        csv(landed=L2, file=CSV_FILE, line=3, start=date(2010, 5, 5), stop=date(2010, 5, 20), patient="p-2",
            encounter="enc-3", code="195662009", description="Acute viral pharyngitis (disorder)"),
    ]  # fmt: skip
    actual = clinical.conditions(
        bronze(spark, "fhir_condition", [fhir(condition, updated=UPDATED)]),
        bronze(spark, "csv_conditions", csv_rows),
    )
    expected_rows = [
        # Onset 23:40 at UTC-4 on Jun 1 (03:40 UTC Jun 2): the onset date is the date as
        # written, Jun 1; urn:uuid references give the patient and encounter ids.
        ("cond-1", "p-1", "enc-1", "44054006", "Diabetes mellitus type 2 (disorder)", date(2019, 6, 1),
         date(2020, 1, 15), "resolved", "ehr_fhir", UPDATED, L1, FILE, None),
        # The CSV has no clinical status: no STOP -> active, a STOP -> resolved. No resource id;
        # the file's line instead.
        (None, "p-2", "enc-2", "38341003", "Hypertension", date(2018, 1, 1), None, "active",
         "ehr_csv", None, L2, CSV_FILE, 2),
        (None, "p-2", "enc-3", "195662009", "Acute viral pharyngitis (disorder)", date(2010, 5, 5),
         date(2010, 5, 20), "resolved", "ehr_csv", None, L2, CSV_FILE, 3),
    ]  # fmt: skip
    expected = frame(
        spark,
        expected_rows,
        "source_id string, ehr_patient_id string, encounter_id string, snomed_code string, "
        f"snomed_display string, onset_date date, abatement_date date, clinical_status string, {LINEAGE}",
    )
    assert_frame(actual, expected, ["snomed_code"])


def test_condition_versions_deduplicated_on_patient_code_and_onset(spark):
    def fhir_condition(cid: str | None, code: str | None, onset: str, updated: datetime | None) -> dict:
        resource = {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p-1"},
                    "onsetDateTime": onset}  # fmt: skip
        if code is not None:
            resource["code"] = coding(code)
        return fhir(resource, updated=updated)

    fhir_rows = [
        # The FHIR Condition and the CSV row are the same event (p-1, 44054006, Jun 1 2019):
        # FHIR carries meta.lastUpdated, ranked first (nulls last), so FHIR wins though the
        # CSV landed later.
        fhir_condition("cond-1", "44054006", "2019-06-01T10:00:00-04:00", UPDATED),
        # No code: not placeable in the grain (patient + code + onset).
        fhir_condition("cond-2", None, "2019-06-01T10:00:00-04:00", UPDATED),
    ]
    csv_rows = [
        csv(landed=L2, file=CSV_FILE, start=date(2019, 6, 1), patient="p-1", encounter="enc-1", code="44054006",
            description="csv"),
        # The same CSV row landed twice: the later landing wins...
        csv(landed=L1, file="synthea/dt=2024-03-01/conditions.csv", start=date(2018, 1, 1), patient="p-1",
            encounter="enc-0", code="38341003", description="landed first"),
        csv(landed=L2, file="synthea/dt=2024-03-01/conditions.csv", start=date(2018, 1, 1), patient="p-1",
            encounter="enc-0", code="38341003", description="landed second"),
        # ...and at the same landing time, the greater file name wins.
        csv(landed=L2, file="synthea/dt=2024-03-02/a.csv", start=date(2017, 1, 1), patient="p-1",
            encounter="enc-0", code="15777000", description="file a"),
        csv(landed=L2, file="synthea/dt=2024-03-02/b.csv", start=date(2017, 1, 1), patient="p-1",
            encounter="enc-0", code="15777000", description="file b"),
    ]  # fmt: skip
    rows = clinical.conditions(
        bronze(spark, "fhir_condition", fhir_rows), bronze(spark, "csv_conditions", csv_rows)
    )
    ranked = build.ranked_versions(rows, "fct_condition")
    assert as_rows(ranked, "snomed_code", "source", "snomed_display", build.RANK, "reason") == [
        (None, "ehr_fhir", None, None, missing("snomed_code")),
        ("15777000", "ehr_csv", "file a", 2, None),
        ("15777000", "ehr_csv", "file b", 1, None),
        ("38341003", "ehr_csv", "landed first", 2, None),
        ("38341003", "ehr_csv", "landed second", 1, None),
        ("44054006", "ehr_csv", "csv", 2, None),
        ("44054006", "ehr_fhir", None, 1, None),
    ]


def test_two_rows_of_one_csv_file_with_the_same_key_do_not_tie_in_the_declared_order(spark):
    # Lines 5 and 7 of one conditions.csv: same patient, code and onset, different STOP. The
    # registry's order must tell them apart, or the winner depends on how Spark split the input
    # (observed: run alone, the row read first wins; inside the whole suite, not always).
    line5 = csv(landed=L2, file=CSV_FILE, line=5, start=date(2018, 1, 1), patient="p-1", encounter="enc-0",
                code="38341003", description="line 5")  # fmt: skip
    line7 = csv(landed=L2, file=CSV_FILE, line=7, start=date(2018, 1, 1), stop=date(2019, 1, 1), patient="p-1",
                encounter="enc-0", code="38341003", description="line 7")  # fmt: skip
    rows = clinical.conditions(
        empty(spark, "fhir_condition"), bronze(spark, "csv_conditions", [line5, line7])
    )
    declared = build.SILVER_TABLES["fct_condition"]
    ranking_columns = [*declared.versions_key, *(term.split()[0] for term in declared.dedup_order)]
    assert rows.select(*ranking_columns).distinct().count() == 2
    # The order ends with source_line desc: the later line of the file (7) is the newer version.
    ranked = build.ranked_versions(rows, "fct_condition")
    assert as_rows(ranked, "snomed_display", "source_line", "abatement_date", build.RANK) == [
        ("line 5", 5, None, 2),
        ("line 7", 7, date(2019, 1, 1), 1),
    ]


# --- procedures -------------------------------------------------------------------------------


def test_procedures_from_fhir_and_csv_share_the_utc_key(spark):
    period = {
        "resourceType": "Procedure", "id": "proc-1", "status": "completed",
        "code": coding("395142003", "Allergy screening test (procedure)"),
        "subject": {"reference": "Patient/p-1"}, "encounter": {"reference": "urn:uuid:enc-1"},
        "performedPeriod": {"start": "2024-03-05T09:10:00-05:00", "end": "2024-03-05T09:40:00-05:00"},
        "reasonCode": [coding("44054006"), coding("38341003")],
    }  # fmt: skip
    instant = {
        "resourceType": "Procedure", "id": "proc-2", "code": coding("430193006", "Medication reconciliation"),
        "subject": {"reference": "Patient/p-1"}, "performedDateTime": "2024-03-06T10:00:00Z",
    }  # fmt: skip
    csv_rows = [
        # The CSV copy of proc-1: START 14:10Z is 09:10 at UTC-5, so the key matches FHIR's.
        csv(landed=L2, file=CSV_FILE, start=datetime(2024, 3, 5, 14, 10), stop=datetime(2024, 3, 5, 14, 40),
            patient="p-1", encounter="enc-1", code="395142003", description="Allergy screening test (procedure)",
            base_cost=Decimal("516.65"), reasoncode="44054006"),
    ]  # fmt: skip
    rows = clinical.procedures(
        bronze(spark, "fhir_procedure", [fhir(period, updated=UPDATED), fhir(instant, updated=UPDATED)]),
        bronze(spark, "csv_procedures", csv_rows),
    )
    expected_rows = [
        # performedPeriod start/end to UTC (-05:00 -> +5 h); the date as written is the start's
        # own date, Mar 5; the first reason's code.
        ("proc-1", "p-1", "enc-1", "395142003", "Allergy screening test (procedure)",
         datetime(2024, 3, 5, 14, 10), date(2024, 3, 5), datetime(2024, 3, 5, 14, 40), "44054006", None,
         "ehr_fhir", UPDATED, L1, FILE, None),
        # performedDateTime when there is no period (written in UTC: Mar 6); no end.
        ("proc-2", "p-1", None, "430193006", "Medication reconciliation", datetime(2024, 3, 6, 10, 0),
         date(2024, 3, 6), None, None, None, "ehr_fhir", UPDATED, L1, FILE, None),
        # CSV base cost kept as money (decimal(14,2)); START 14:10Z is written on Mar 5 (UTC); line 2.
        (None, "p-1", "enc-1", "395142003", "Allergy screening test (procedure)",
         datetime(2024, 3, 5, 14, 10), date(2024, 3, 5), datetime(2024, 3, 5, 14, 40), "44054006",
         Decimal("516.65"), "ehr_csv", None, L2, CSV_FILE, 2),
    ]  # fmt: skip
    expected = frame(
        spark,
        expected_rows,
        "source_id string, ehr_patient_id string, encounter_id string, snomed_code string, snomed_display string, "
        "performed_at timestamp, performed_date date, performed_end_at timestamp, reason_code string, "
        f"base_cost decimal(14,2), {LINEAGE}",
    )
    assert_frame(rows, expected, ["performed_at", "source"])
    # Same (patient, code, performed_at): one key with two versions, the FHIR one (meta.lastUpdated) first.
    ranked = build.ranked_versions(rows, "fct_procedure")
    assert as_rows(ranked, "snomed_code", "source", build.RANK) == [
        ("395142003", "ehr_csv", 2),
        ("395142003", "ehr_fhir", 1),
        ("430193006", "ehr_fhir", 1),
    ]


# --- observations -----------------------------------------------------------------------------


def test_observations_one_row_per_component_and_each_value_kind(spark):
    def observation(oid: str, code: str, category: str, **rest) -> dict:
        return {
            "resourceType": "Observation", "id": oid, "status": "final",
            "category": [coding(category, system=OBSERVATION_CATEGORY)], "code": coding(code, system=LOINC),
            "subject": {"reference": "urn:uuid:p-1"}, "encounter": {"reference": "urn:uuid:enc-1"}, **rest,
        }  # fmt: skip

    at = "2024-03-05T09:15:00-05:00"  # 14:15 UTC
    resources = [
        observation("obs-1", "8302-2", "vital-signs", effectiveDateTime=at,
                    valueQuantity={"value": 170.2, "unit": "cm", "code": "cm"}),
        # A blood-pressure panel: one row per component, with the component's code and value.
        observation("obs-2", "85354-9", "vital-signs", effectiveDateTime=at, component=[
            {"code": coding("8480-6", "Systolic Blood Pressure", LOINC), "valueQuantity": {"value": 120, "unit": "mm[Hg]"}},
            {"code": coding("8462-4", "Diastolic Blood Pressure", LOINC), "valueQuantity": {"value": 80, "unit": "mm[Hg]"}},
        ]),
        # A coded value is its display; effectiveInstant when there is no effectiveDateTime.
        observation("obs-3", "72166-2", "social-history", effectiveInstant="2024-03-05T14:15:00Z",
                    valueCodeableConcept=coding("266919005", "Never smoked tobacco (finding)")),
        observation("obs-4", "94531-1", "laboratory", effectiveDateTime=at, valueString="Not detected (qualifier value)"),
        observation("obs-5", "11366-2", "social-history", effectiveDateTime=at, valueBoolean=True),
        # An empty component list is not a panel: the observation's own code and value.
        observation("obs-6", "29463-7", "vital-signs", effectiveDateTime=at, component=[],
                    valueQuantity={"value": 81.3, "unit": "kg"}),
    ]  # fmt: skip
    csv_rows = [
        csv(landed=L2, file=CSV_FILE, line=2, date=datetime(2024, 3, 4, 8, 0), patient="p-2", encounter="enc-2",
            category="vital-signs", code="8302-2", description="Body Height", value="160.5", units="cm", type="numeric"),
        csv(landed=L2, file=CSV_FILE, line=3, date=datetime(2024, 3, 4, 8, 0), patient="p-2", encounter="enc-2",
            category="survey", code="72166-2", description="Tobacco smoking status",
            value="Never smoked tobacco (finding)", type="text"),
    ]  # fmt: skip
    rows = clinical.observations(
        bronze(spark, "fhir_observation", [fhir(r, updated=UPDATED) for r in resources]),
        bronze(spark, "csv_observations", csv_rows),
    )
    # 09:15 at UTC-5 (and obs-3's 14:15Z instant): 14:15 UTC, written on Mar 5.
    t, day = datetime(2024, 3, 5, 14, 15), date(2024, 3, 5)
    lineage = ("ehr_fhir", UPDATED, L1, FILE, None)
    expected_rows = [
        ("obs-1", "p-1", "enc-1", "vital-signs", t, day, *lineage, "8302-2", None, 170.2, None, "cm"),
        ("obs-2", "p-1", "enc-1", "vital-signs", t, day, *lineage, "8480-6", "Systolic Blood Pressure", 120.0, None, "mm[Hg]"),
        ("obs-2", "p-1", "enc-1", "vital-signs", t, day, *lineage, "8462-4", "Diastolic Blood Pressure", 80.0, None, "mm[Hg]"),
        ("obs-3", "p-1", "enc-1", "social-history", t, day, *lineage, "72166-2", None, None,
         "Never smoked tobacco (finding)", None),
        ("obs-4", "p-1", "enc-1", "laboratory", t, day, *lineage, "94531-1", None, None, "Not detected (qualifier value)", None),
        ("obs-5", "p-1", "enc-1", "social-history", t, day, *lineage, "11366-2", None, None, "true", None),
        ("obs-6", "p-1", "enc-1", "vital-signs", t, day, *lineage, "29463-7", None, 81.3, None, "kg"),
        # CSV TYPE numeric -> value_numeric, otherwise value_text.
        # CSV DATE 08:00Z: written on Mar 4 (UTC); lines 2 and 3.
        (None, "p-2", "enc-2", "vital-signs", datetime(2024, 3, 4, 8, 0), date(2024, 3, 4), "ehr_csv", None, L2,
         CSV_FILE, 2, "8302-2", "Body Height", 160.5, None, "cm"),
        (None, "p-2", "enc-2", "survey", datetime(2024, 3, 4, 8, 0), date(2024, 3, 4), "ehr_csv", None, L2,
         CSV_FILE, 3, "72166-2", "Tobacco smoking status", None, "Never smoked tobacco (finding)", None),
    ]  # fmt: skip
    expected = frame(
        spark,
        expected_rows,
        "source_id string, ehr_patient_id string, encounter_id string, category string, effective_at timestamp, "
        f"effective_date date, {LINEAGE}, loinc_code string, loinc_display string, value_numeric double, value_text string, unit string",
    )
    assert_frame(rows, expected, ["ehr_patient_id", "loinc_code"])


def test_observation_components_are_separate_keys_and_a_repeated_panel_dedups_per_component(spark):
    panel = {
        "resourceType": "Observation", "id": "obs-2", "code": coding("85354-9", system=LOINC),
        "subject": {"reference": "Patient/p-1"}, "effectiveDateTime": "2024-03-05T09:15:00-05:00",
        "component": [
            {"code": coding("8480-6", system=LOINC), "valueQuantity": {"value": 120}},
            {"code": coding("8462-4", system=LOINC), "valueQuantity": {"value": 80}},
        ],
    }  # fmt: skip
    csv_rows = [
        # Synthea's CSV writes the same panel as two rows at 14:15 UTC (= 09:15 at UTC-5).
        csv(landed=L2, date=datetime(2024, 3, 5, 14, 15), patient="p-1", code="8480-6", value="121", type="numeric"),
        csv(landed=L2, date=datetime(2024, 3, 5, 14, 15), patient="p-1", code="8462-4", value="81", type="numeric"),
    ]  # fmt: skip
    rows = clinical.observations(
        bronze(spark, "fhir_observation", [fhir(panel, updated=UPDATED)]),
        bronze(spark, "csv_observations", csv_rows),
    )
    winners = build.winners(build.ranked_versions(rows, "fct_observation"))
    # Each component is its own key (patient, LOINC, time): two winners, both from FHIR.
    assert as_rows(winners, "loinc_code", "value_numeric", "source") == [
        ("8462-4", 80.0, "ehr_fhir"),
        ("8480-6", 120.0, "ehr_fhir"),
    ]


# --- medication requests ------------------------------------------------------------------------


def test_medication_requests_take_the_code_from_the_concept_or_the_referenced_medication(spark):
    def request(rid: str, **medication) -> dict:
        return {
            "resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
            "subject": {"reference": "urn:uuid:p-1"}, "encounter": {"reference": "urn:uuid:enc-1"},
            "authoredOn": "2024-03-05T09:30:00-05:00", **medication,
        }  # fmt: skip

    requests = [
        request("mr-1", medicationCodeableConcept=coding("860975", "24 HR Metformin 500 MG", RXNORM)),
        request("mr-2", medicationReference={"reference": "urn:uuid:med-1"}),
        request("mr-3", medicationReference={"reference": "Medication/med-2"}),
        # A reference to a Medication no bundle carried: no code (build leaves it out, with a reason).
        request("mr-4", medicationReference={"reference": "urn:uuid:med-missing"}),
    ]
    medications = [
        {"resourceType": "Medication", "id": "med-1", "code": coding("1049221", "Oxycodone 5 MG", RXNORM)},
        {
            "resourceType": "Medication",
            "id": "med-2",
            "code": coding("313782", "Acetaminophen 325 MG", RXNORM),
        },
    ]
    csv_rows = [
        csv(landed=L2, file=CSV_FILE, start=datetime(2024, 3, 1, 12, 0), patient="p-2", payer="pay-1",
            encounter="enc-2", code="860975", description="24 HR Metformin 500 MG", totalcost=Decimal("263.20")),
        csv(landed=L2, file=CSV_FILE, start=datetime(2023, 1, 1, 12, 0), stop=datetime(2023, 2, 1, 12, 0),
            patient="p-2", payer="pay-1", encounter="enc-3", code="313782", description="Acetaminophen 325 MG",
            totalcost=Decimal("5.10")),
    ]  # fmt: skip
    rows = clinical.medication_requests(
        bronze(spark, "fhir_medication_request", [fhir(r, updated=UPDATED) for r in requests]),
        bronze(spark, "fhir_medication", [fhir(m, updated=UPDATED) for m in medications]),
        bronze(spark, "csv_medications", csv_rows),
    )
    authored, day = datetime(2024, 3, 5, 14, 30), date(2024, 3, 5)  # 09:30 at UTC-5, written on Mar 5
    lineage = ("ehr_fhir", UPDATED, L1, FILE, None)
    expected_rows = [
        ("mr-1", "p-1", "enc-1", "860975", "24 HR Metformin 500 MG", authored, day, "active", None, None, *lineage),
        ("mr-2", "p-1", "enc-1", "1049221", "Oxycodone 5 MG", authored, day, "active", None, None, *lineage),
        ("mr-3", "p-1", "enc-1", "313782", "Acetaminophen 325 MG", authored, day, "active", None, None, *lineage),
        ("mr-4", "p-1", "enc-1", None, None, authored, day, "active", None, None, *lineage),
        # CSV: no STOP -> active, a STOP -> stopped; total cost and payer kept; START's UTC date;
        # both rows on the csv() helper's default line 2.
        (None, "p-2", "enc-2", "860975", "24 HR Metformin 500 MG", datetime(2024, 3, 1, 12, 0), date(2024, 3, 1),
         "active", Decimal("263.20"), "pay-1", "ehr_csv", None, L2, CSV_FILE, 2),
        (None, "p-2", "enc-3", "313782", "Acetaminophen 325 MG", datetime(2023, 1, 1, 12, 0), date(2023, 1, 1),
         "stopped", Decimal("5.10"), "pay-1", "ehr_csv", None, L2, CSV_FILE, 2),
    ]  # fmt: skip
    expected = frame(
        spark,
        expected_rows,
        "source_id string, ehr_patient_id string, encounter_id string, rxnorm_code string, rxnorm_display string, "
        "authored_at timestamp, authored_date date, status string, total_cost decimal(14,2), payer_id string, "
        f"{LINEAGE}",
    )
    assert_frame(rows, expected, ["ehr_patient_id", "encounter_id", "source_id"])
    ranked = build.ranked_versions(rows, "fct_medication_request")
    assert as_rows(ranked.where("reason is not null"), "source_id", "reason") == [
        ("mr-4", missing("rxnorm_code"))
    ]


# --- immunizations -----------------------------------------------------------------------------


def test_immunizations_from_fhir_and_csv(spark):
    immunization = {
        "resourceType": "Immunization", "id": "imm-1", "status": "completed",
        "vaccineCode": coding("140", "Influenza, seasonal, injectable, preservative free", CVX),
        "patient": {"reference": "urn:uuid:p-1"}, "encounter": {"reference": "urn:uuid:enc-1"},
        "occurrenceDateTime": "2024-03-05T09:45:00-05:00",
    }  # fmt: skip
    csv_rows = [
        csv(landed=L2, file=CSV_FILE, date=datetime(2024, 3, 5, 14, 45), patient="p-1", encounter="enc-1",
            code="140", description="Influenza, seasonal, injectable, preservative free", base_cost=Decimal("140.52")),
    ]  # fmt: skip
    rows = clinical.immunizations(
        bronze(spark, "fhir_immunization", [fhir(immunization, updated=UPDATED)]),
        bronze(spark, "csv_immunizations", csv_rows),
    )
    at = datetime(2024, 3, 5, 14, 45)  # 09:45 at UTC-5: FHIR and CSV describe one administration
    day = date(2024, 3, 5)  # written on Mar 5 in both (09:45-05:00; 14:45Z)
    expected_rows = [
        # Immunization names its patient in `patient`, not `subject`.
        ("imm-1", "p-1", "enc-1", "140", "Influenza, seasonal, injectable, preservative free", at, day, None,
         "ehr_fhir", UPDATED, L1, FILE, None),
        (None, "p-1", "enc-1", "140", "Influenza, seasonal, injectable, preservative free", at, day,
         Decimal("140.52"), "ehr_csv", None, L2, CSV_FILE, 2),
    ]  # fmt: skip
    expected = frame(
        spark,
        expected_rows,
        "source_id string, ehr_patient_id string, encounter_id string, cvx_code string, cvx_display string, "
        f"administered_at timestamp, administered_date date, base_cost decimal(14,2), {LINEAGE}",
    )
    assert_frame(rows, expected, ["source"])
    ranked = build.ranked_versions(rows, "fct_immunization")
    assert as_rows(ranked, "source", build.RANK) == [("ehr_csv", 2), ("ehr_fhir", 1)]


def test_a_fact_whose_patient_reference_cannot_be_read_goes_to_reason(spark):
    # An absolute URL is not a reference this lake can resolve (common.reference_id): no
    # patient id, so the observation cannot be placed in (patient, LOINC, time).
    observation = {
        "resourceType": "Observation", "id": "obs-9", "code": coding("8302-2", system=LOINC),
        "subject": {"reference": "https://other.example.org/fhir/Patient/p-1"},
        "effectiveDateTime": "2024-03-05T09:15:00-05:00", "valueQuantity": {"value": 170},
    }  # fmt: skip
    rows = clinical.observations(
        bronze(spark, "fhir_observation", [fhir(observation)]), empty(spark, "csv_observations")
    )
    ranked = build.ranked_versions(rows, "fct_observation")
    assert as_rows(ranked, "source_id", build.RANK, "reason") == [("obs-9", None, missing("ehr_patient_id"))]
