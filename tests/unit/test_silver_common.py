"""carelake.silver.common: reference parsing, dates as written vs UTC, latest-wins order.

Expected values come from the FHIR R4 specification (Reference, dateTime) and the
house latest-wins order (docs/data-model.md: meta.lastUpdated, then landed_at, then
source_file, newest first), worked out by hand.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from pyspark.sql import functions as F

from carelake.silver.common import (
    NPI_SYSTEM,
    SYNTHEA_SYSTEM,
    conditional_identifier,
    fhir_timestamp,
    latest_wins,
    local_date,
    newest_first,
    reference_id,
)
from tests.support.silver_frames import L1, L2, as_rows, frame

pytestmark = pytest.mark.spark


def test_reference_id_reads_literal_and_urn_uuid_references_only(spark):
    references = frame(
        spark,
        [
            # A relative literal reference <Type>/<id> names the id (FHIR R4 3.1.3.3).
            ("Patient/p-1", "p-1"),
            # Synthea bundles use fullUrl urn:uuid:<resource id>: the uuid is the target's id.
            ("urn:uuid:3699e7e7-8b1b-4a68-8011-e7a166598566", "3699e7e7-8b1b-4a68-8011-e7a166598566"),
            # Ids are up to 64 characters of [A-Za-z0-9-.]: the whole id is kept.
            ("Encounter/enc.2024-03-05", "enc.2024-03-05"),
            # A conditional reference has no id until resolved against a server: none here.
            (f"Practitioner?identifier={NPI_SYSTEM}|9999962229", None),
            # A versioned reference (…/_history/n) and an absolute URL are not <Type>/<id>:
            # callers report them as unresolved rather than guess.
            ("Patient/p-1/_history/2", None),
            ("http://ehr.example.org/fhir/Patient/p-1", None),
            ("Patient/", None),
            ("#coverage", None),
            (None, None),
        ],
        "reference string, expected string",
    )
    rows = references.select(
        "reference", "expected", reference_id(F.col("reference")).alias("actual")
    ).collect()
    assert [(r.reference, r.actual) for r in rows] == [(r.reference, r.expected) for r in rows]


def test_conditional_identifier_matches_type_and_system_exactly(spark):
    references = frame(
        spark,
        [
            (f"Practitioner?identifier={NPI_SYSTEM}|9999962229", "9999962229"),
            # Another resource type or another identifier system is not an NPI of a practitioner.
            (f"Organization?identifier={NPI_SYSTEM}|9999962229", None),
            ("Practitioner?identifier=http://example.org/staff|9999962229", None),
            # A literal reference is not conditional.
            ("Practitioner/pr-1", None),
            (None, None),
        ],
        "reference string, expected string",
    )
    rows = references.select(
        "reference",
        "expected",
        conditional_identifier(F.col("reference"), "Practitioner", NPI_SYSTEM).alias("actual"),
    ).collect()
    assert [(r.reference, r.actual) for r in rows] == [(r.reference, r.expected) for r in rows]

    synthea = frame(spark, [(f"Location?identifier={SYNTHEA_SYSTEM}|cb6521ac",)], "reference string")
    # The value is what follows the system's '|' (Synthea's own id of the location).
    assert synthea.select(conditional_identifier(F.col("reference"), "Location", SYNTHEA_SYSTEM)).first()[
        0
    ] == ("cb6521ac")


def test_local_date_is_the_date_as_written_and_fhir_timestamp_is_utc(spark):
    values = frame(
        spark,
        [
            # 23:30 at UTC-5 is 04:30 UTC the next day; the date as written stays the 5th.
            ("2024-03-05T23:30:00-05:00", "2024-03-05", "2024-03-06 04:30:00"),
            # 01:15 at UTC+9 is 16:15 UTC the day before.
            ("2024-03-05T01:15:00+09:00", "2024-03-05", "2024-03-04 16:15:00"),
            ("2024-03-05T10:00:00Z", "2024-03-05", "2024-03-05 10:00:00"),
            # Fractions of a second are kept (FHIR allows up to 9 digits).
            ("2024-03-05T10:00:00.123+02:00", "2024-03-05", "2024-03-05 08:00:00.123"),
            # A FHIR date is midnight UTC; partial dates (year-month, year) start the period.
            ("2024-03-05", "2024-03-05", "2024-03-05 00:00:00"),
            ("2024-03", None, "2024-03-01 00:00:00"),
            ("2024", None, "2024-01-01 00:00:00"),
            ("not a date", None, None),
            (None, None, None),
        ],
        "written string, local string, utc string",
    )
    rows = values.select(
        "written",
        "local",
        "utc",
        local_date(F.col("written")).cast("string").alias("actual_local"),
        fhir_timestamp(F.col("written")).cast("string").alias("actual_utc"),
    ).collect()
    assert [(r.written, r.actual_local, r.actual_utc) for r in rows] == [
        (r.written, r.local, r.utc) for r in rows
    ]


def test_latest_wins_orders_by_last_updated_then_landing_then_file(spark):
    versions = frame(
        spark,
        [
            # k1: the newer meta.lastUpdated wins even though the other copy landed later.
            ("k1", datetime(2024, 2, 2), L1, "fhir/dt=2024-03-01/a.json", "k1 newest meta"),
            ("k1", datetime(2024, 2, 1), L2, "fhir/dt=2024-03-02/b.json", "k1 older meta"),
            # k2: same meta.lastUpdated, the later landing wins.
            ("k2", datetime(2024, 2, 1), L1, "fhir/dt=2024-03-01/a.json", "k2 early landing"),
            ("k2", datetime(2024, 2, 1), L2, "fhir/dt=2024-03-01/a.json", "k2 late landing"),
            # k3: no meta, same landing: the greater source file wins.
            ("k3", None, L1, "csv/dt=2024-03-01/a.csv", "k3 file a"),
            ("k3", None, L1, "csv/dt=2024-03-01/b.csv", "k3 file b"),
            # k4: a version with meta.lastUpdated beats one without (nulls last), whatever landed later.
            ("k4", None, L2, "csv/dt=2024-03-02/a.csv", "k4 no meta"),
            ("k4", datetime(2024, 1, 1), L1, "fhir/dt=2024-03-01/a.json", "k4 with meta"),
        ],
        "k string, meta_last_updated timestamp, landed_at timestamp, source_file string, label string",
    )
    winners = latest_wins(versions, ["k"], newest_first(F.col("label")))
    assert as_rows(winners, "k", "label") == [
        ("k1", "k1 newest meta"),
        ("k2", "k2 late landing"),
        ("k3", "k3 file b"),
        ("k4", "k4 with meta"),
    ]
    assert winners.columns == versions.columns  # the rank column is dropped
