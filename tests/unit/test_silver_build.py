"""carelake.silver.build: ranked_versions, winners and with_patient_birth.

ranked_versions ranks the versions of each key in the order the table declares in the
registry (carelake.silver.tables), sends rows without a key to ``reason``, and, with
``implausible=True``, applies the silver plausibility rules of carelake/rules/silver.yaml:
``event_not_before_birth`` (fct_encounter) and ``fact_not_before_birth`` (the five clinical
facts), both ``event_date >= patient_birth_date``, where event_date is the record's calendar
date as written (the encounter's admit_date, a fact's build.EVENT_TIME column) and a null birth
date passes (whether it is required is the contract's business). Versions that fail a rule or
have no key rank after the ones that can compete: they never hide an older plausible version.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pyspark.sql import functions as F

from carelake.silver import build, clinical, encounters
from tests.support.silver_frames import L1, as_rows, bronze, empty, fhir, frame

pytestmark = pytest.mark.spark

BORN = date(2020, 5, 10)
BIRTHS = "ehr_patient_id string, birth_date date"
ENCOUNTER_RULE = "implausible (event_not_before_birth): the encounter's admission date (as written) is before the patient's birth date"
FACT_RULE = (
    "implausible (fact_not_before_birth): the record's date (as written) is before the patient's birth date"
)


def births(spark):
    return frame(spark, [("p-1", BORN)], BIRTHS)


def encounter(eid: str | None, start: str, patient: str = "p-1", updated: datetime | None = None) -> dict:
    resource = {"resourceType": "Encounter", "id": eid, "class": {"code": "AMB"},
                "subject": {"reference": f"Patient/{patient}"}, "period": {"start": start, "end": start}}  # fmt: skip
    return fhir(resource, updated=updated)


def ranked_encounters(spark, rows: list[dict]):
    candidates = encounters.encounter_candidates(
        encounters.fhir_encounters(bronze(spark, "fhir_encounter", rows)),
        encounters.csv_encounters(empty(spark, "csv_encounters")),
    )
    # as build_silver ranks fct_encounter: the admission date as written is the event date
    return build.ranked_versions(
        build.with_patient_birth(candidates, births(spark), F.col("admit_date")),
        "fct_encounter",
        implausible=True,
    )


def test_with_patient_birth_adds_the_birth_date_and_the_event_date(spark):
    facts = frame(
        spark,
        [
            ("f-1", "p-1", datetime(2021, 1, 2, 3, 4)),
            ("f-2", "p-unknown", datetime(2021, 1, 2, 3, 4)),
            ("f-3", None, None),
        ],
        "fact_id string, ehr_patient_id string, happened_at timestamp",
    )
    joined = build.with_patient_birth(facts, births(spark), F.to_date("happened_at"))
    # Left join on the EHR patient id: every fact kept once; no patient, no birth date.
    assert joined.columns == ["fact_id", "ehr_patient_id", "happened_at", "patient_birth_date", "event_date"]
    assert as_rows(joined, "fact_id", "patient_birth_date", "event_date") == [
        ("f-1", BORN, date(2021, 1, 2)),
        ("f-2", None, date(2021, 1, 2)),
        ("f-3", None, None),
    ]


def test_an_encounter_before_the_patients_birth_is_quarantined_by_rule(spark):
    ranked = ranked_encounters(
        spark,
        [
            # May 9 12:00 UTC is a day before the birth date: implausible.
            encounter("before", "2020-05-09T12:00:00Z"),
            # The birth day itself is plausible (a newborn's first encounter).
            encounter("birthday", "2020-05-10T00:00:00Z"),
            # No EHR patient to compare with: the rule cannot judge, the row passes.
            encounter("unknown-patient", "1900-01-01T00:00:00Z", patient="p-9"),
            # No id and implausible: the missing key is the reason; no rule is named.
            encounter(None, "2020-05-09T12:00:00Z"),
        ],
    )
    assert as_rows(ranked, "encounter_id", build.RANK, "rule", "reason") == [
        (None, None, None, "missing encounter_id: cannot place the record in its grain"),
        ("before", None, "event_not_before_birth", ENCOUNTER_RULE),
        ("birthday", 1, None, None),
        ("unknown-patient", 1, None, None),
    ]
    winners = build.winners(ranked)
    # winners keeps only RANK 1 and drops the ranking columns (the birth columns stay for the caller to drop).
    assert as_rows(winners, "encounter_id") == [("birthday",), ("unknown-patient",)]
    assert {"reason", "rule", build.RANK} & set(winners.columns) == set()


# The five clinical facts: each table's code column, the time column of its dedup key, and the
# column holding the date as written that the birth rule compares (build.EVENT_TIME).
FACT_TABLES = {
    "fct_condition": ("snomed_code", "onset_date", "onset_date"),
    "fct_procedure": ("snomed_code", "performed_at", "performed_date"),
    "fct_observation": ("loinc_code", "effective_at", "effective_date"),
    "fct_medication_request": ("rxnorm_code", "authored_at", "authored_date"),
    "fct_immunization": ("cvx_code", "administered_at", "administered_date"),
}


def fact_lineage() -> list:
    """Candidate lineage (clinical._LINEAGE); source_line is the last term of the clinical dedup order."""
    return [
        F.lit("ehr_fhir").alias("source"),
        F.lit(None).cast("timestamp").alias("meta_last_updated"),
        F.lit(L1).cast("timestamp").alias("landed_at"),
        F.lit("f.json").alias("source_file"),
        F.lit(None).cast("int").alias("source_line"),
    ]


@pytest.mark.parametrize("table", sorted(FACT_TABLES))
def test_a_clinical_fact_dated_before_birth_is_quarantined_by_rule(spark, table):
    code, key_time, written = FACT_TABLES[table]
    if key_time == written:  # a condition's onset is a date as written: key and rule use the same column
        columns = f"source_id string, ehr_patient_id string, {code} string, {written} date"
        rows = [
            ("before", "p-1", "c-1", date(2020, 5, 9)),  # a day before birth -> fact_not_before_birth
            ("birthday", "p-1", "c-2", date(2020, 5, 10)),  # on the birth date -> plausible
            ("no-birth", "p-9", "c-1", date(2020, 5, 9)),  # patient without a birth date -> passes
        ]
    else:
        # The UTC time and the date as written disagree on purpose: the rule must read the date.
        columns = (
            f"source_id string, ehr_patient_id string, {code} string, {key_time} timestamp, {written} date"
        )
        rows = [
            # 21:00 May 9 at UTC-4 = 01:00 UTC May 10: written the day before birth -> implausible.
            ("before", "p-1", "c-1", datetime(2020, 5, 10, 1, 0), date(2020, 5, 9)),
            # 00:30 May 10 at UTC+2 = 22:30 UTC May 9: written on the birth date -> plausible.
            ("birthday", "p-1", "c-2", datetime(2020, 5, 9, 22, 30), date(2020, 5, 10)),
            ("no-birth", "p-9", "c-1", datetime(2020, 5, 10, 1, 0), date(2020, 5, 9)),
        ]
    candidates = frame(spark, rows, columns).select("*", *fact_lineage())
    assert build.EVENT_TIME[table] == written
    # as build_silver ranks the clinical facts
    ranked = build.ranked_versions(
        build.with_patient_birth(candidates, births(spark), F.col(build.EVENT_TIME[table])),
        table,
        implausible=True,
    )
    assert as_rows(ranked, "source_id", build.RANK, "rule", "reason") == [
        ("before", None, "fact_not_before_birth", FACT_RULE),
        ("birthday", 1, None, None),
        ("no-birth", 1, None, None),
    ]


def test_ranked_versions_names_the_first_missing_key_in_declared_order(spark):
    # fct_condition's dedup key is (ehr_patient_id, snomed_code, onset_date), in that order.
    rows = frame(
        spark,
        [
            ("a", None, None, date(2020, 1, 1)),
            ("b", "p-1", None, None),
            ("c", "p-1", "38341003", None),
        ],
        "source_id string, ehr_patient_id string, snomed_code string, onset_date date",
    ).select("*", F.lit("ehr_fhir").alias("source"), F.lit(None).cast("timestamp").alias("meta_last_updated"),
             F.lit(None).cast("timestamp").alias("landed_at"), F.lit(None).cast("string").alias("source_file"),
             F.lit(None).cast("int").alias("source_line"))  # fmt: skip
    ranked = build.ranked_versions(rows, "fct_condition")
    assert as_rows(ranked, "source_id", build.RANK, "rule", "reason") == [
        ("a", None, None, "missing ehr_patient_id: cannot place the record in its grain"),
        ("b", None, None, "missing snomed_code: cannot place the record in its grain"),
        ("c", None, None, "missing onset_date: cannot place the record in its grain"),
    ]


def test_an_implausible_newer_version_does_not_hide_the_plausible_older_one(spark):
    # Two versions of enc-1: the newer (meta.lastUpdated Feb 1) starts before the patient's birth
    # and fails event_not_before_birth. A version that fails a rule cannot compete (it ranks after
    # the plausible ones), so the older, plausible version is the winner (RANK 1).
    ranked = ranked_encounters(
        spark,
        [
            encounter("enc-1", "2020-05-11T10:00:00Z", updated=datetime(2024, 1, 1)),
            encounter("enc-1", "2020-05-01T10:00:00Z", updated=datetime(2024, 2, 1)),
        ],
    )
    assert as_rows(ranked, "start_at", build.RANK, "rule") == [
        ("2020-05-01 10:00:00", None, "event_not_before_birth"),
        ("2020-05-11 10:00:00", 1, None),
    ]


def test_the_encounter_birth_rule_compares_the_date_as_written(spark):
    ranked = ranked_encounters(
        spark,
        [
            # Written May 9 (21:00 at UTC-4 = 01:00 UTC May 10): the day before birth -> implausible.
            encounter("evening-before", "2020-05-09T21:00:00-04:00"),
            # Written May 10 (00:30 at UTC+2 = 22:30 UTC May 9): the birth day -> plausible.
            encounter("birth-day-east", "2020-05-10T00:30:00+02:00"),
        ],
    )
    assert as_rows(ranked, "encounter_id", "admit_date", "rule") == [
        ("birth-day-east", date(2020, 5, 10), None),
        ("evening-before", date(2020, 5, 9), "event_not_before_birth"),
    ]


def test_the_fact_birth_rule_compares_the_date_as_written(spark):
    procedure = {
        "resourceType": "Procedure", "id": "proc-1", "code": {"coding": [{"code": "430193006"}]},
        "subject": {"reference": "Patient/p-1"}, "performedDateTime": "2020-05-09T21:00:00-04:00",
    }  # fmt: skip
    rows = clinical.procedures(
        bronze(spark, "fhir_procedure", [fhir(procedure)]), empty(spark, "csv_procedures")
    )
    # as build_silver ranks the clinical facts: performed_date is the date as written, May 9
    # (performed_at, 01:00 UTC May 10, would pass)
    ranked = build.ranked_versions(
        build.with_patient_birth(rows, births(spark), F.col(build.EVENT_TIME["fct_procedure"])),
        "fct_procedure",
        implausible=True,
    )
    assert as_rows(ranked, "source_id", "rule") == [("proc-1", "fact_not_before_birth")]
