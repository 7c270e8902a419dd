"""carelake.silver.dimensions: providers, organizations, locations, payers and the inferred
members facts reference but no source describes (late-arriving dimension rows).

Hand-worked from the resources below: FHIR and CSV describe the same provider or
organization by Synthea's id (the FHIR Organization/Location carry it as a Synthea
identifier), FHIR's values win column by column and the CSV fills the gaps; payers are keyed
by name (the one thing every source carries) and typed from it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from pyspark.sql import functions as F

from carelake.silver import dimensions
from tests.support.silver_frames import L1, L2, NPI, SYNTHEA, as_rows, assert_frame, bronze, csv, fhir, frame

pytestmark = pytest.mark.spark


def test_zip5_cuts_zip4_and_restores_dropped_leading_zeros(spark):
    cases = frame(
        spark,
        [
            ("01060-1234", "01060"),  # ZIP+4 -> 5 digits
            ("1060", "01060"),  # Synthea writes ZIPs as numbers: 01060 became 1060
            ("501", "00501"),  # Holtsville NY, 00501
            ("02134", "02134"),
            ("12", None),  # too short to be a ZIP
            ("123456", None),  # too long
            ("ABCDE", None),
            (None, None),
        ],
        "raw string, expected string",
    )
    rows = cases.select("raw", "expected", dimensions.zip5(F.col("raw")).alias("actual")).collect()
    assert [(r.raw, r.actual) for r in rows] == [(r.raw, r.expected) for r in rows]


def test_practitioners_join_fhir_npi_and_name_with_csv_specialty_and_organization(spark):
    alphonso = {
        "resourceType": "Practitioner", "id": "pr-1",
        "identifier": [{"system": SYNTHEA, "value": "pr-1"}, {"system": NPI, "value": "9999962229"}],
        "name": [{"family": "Nienow", "given": ["Alphonso"], "prefix": ["Dr."]}],
        "address": [{"city": "Springfield"}],
    }  # fmt: skip
    kim = {
        "resourceType": "Practitioner", "id": "pr-3", "identifier": [{"system": NPI, "value": "9999962231"}],
        "name": [{"family": "Lee", "given": ["Kim"]}],
        "qualification": [{"code": {"text": "Internal medicine"}}],
    }  # fmt: skip
    fhir_rows = [
        fhir(alphonso, updated=datetime(2024, 3, 1)),
        # An older version (earlier meta.lastUpdated) landed later: latest wins.
        fhir(
            {**alphonso, "name": [{"family": "Old", "given": ["Name"]}]},
            updated=datetime(2024, 1, 1),
            landed=L2,
        ),
        fhir(kim, updated=datetime(2024, 3, 1)),
    ]
    csv_rows = [
        csv(id="pr-1", organization="org-1", name="Alphonso Nienow", speciality="General Practice",
            city="Springfield", state="MA"),
        csv(id="pr-2", organization="org-2", name="Jane Doe", speciality="Cardiology", city="Boston", state="MA"),
    ]  # fmt: skip
    actual = dimensions.practitioners(
        bronze(spark, "fhir_practitioner", fhir_rows), bronze(spark, "csv_providers", csv_rows)
    )
    expected = frame(
        spark,
        [
            # FHIR: NPI and "prefix given family"; no state or specialty in FHIR -> the CSV's
            # (specialty upper-cased); the organization only the CSV knows.
            ("pr-1", "9999962229", "Dr. Alphonso Nienow", "GENERAL PRACTICE", "Springfield", "MA", "org-1"),
            # CSV only: no NPI.
            ("pr-2", None, "Jane Doe", "CARDIOLOGY", "Boston", "MA", "org-2"),
            # FHIR only: no prefix -> "given family"; specialty from the qualification text.
            ("pr-3", "9999962231", "Kim Lee", "INTERNAL MEDICINE", None, None, None),
        ],
        "provider_id string, npi string, provider_name string, specialty string, city string, state string, "
        "organization_id string",
    )
    assert_frame(actual, expected, ["provider_id"])


def test_organizations_keyed_by_synthea_id_fhir_first_then_csv(spark):
    hospital = {
        "resourceType": "Organization", "id": "r-org-1", "identifier": [{"system": SYNTHEA, "value": "org-1"}],
        "name": "General Hospital", "address": [{"city": "Springfield", "state": "MA", "postalCode": "01060-1234"}],
    }  # fmt: skip
    other = {
        "resourceType": "Organization",
        "id": "org-3",
        "name": "Urgent Care 3",
        "address": [{"state": "MA"}],
    }
    csv_rows = [
        csv(id="org-1", name="GENERAL HOSPITAL", city="SPRINGFIELD", state="MA", zip="1060"),
        csv(id="org-2", name="Family Clinic", city="Boston", state="MA", zip="2134"),
    ]
    actual = dimensions.organizations(
        bronze(spark, "fhir_organization", [fhir(hospital), fhir(other)]),
        bronze(spark, "csv_organizations", csv_rows),
    )
    expected = frame(
        spark,
        [
            # The FHIR Organization's Synthea identifier (org-1), not its resource id, is the key
            # shared with the CSV; FHIR's values win.
            ("org-1", "General Hospital", "Springfield", "MA", "01060"),
            # CSV only; ZIP 2134 -> 02134.
            ("org-2", "Family Clinic", "Boston", "MA", "02134"),
            # FHIR without a Synthea identifier: keyed by its resource id.
            ("org-3", "Urgent Care 3", None, "MA", None),
        ],
        "organization_id string, organization_name string, city string, state string, zip5 string",
    )
    assert_frame(actual, expected, ["organization_id"])


def test_locations_keyed_by_synthea_id_with_their_managing_organization(spark):
    clinic = {
        "resourceType": "Location", "id": "r-loc-1", "identifier": [{"system": SYNTHEA, "value": "loc-1"}],
        "name": "PCP74147", "managingOrganization": {"reference": f"Organization?identifier={SYNTHEA}|org-1"},
        "address": {"city": "Springfield", "state": "MA", "postalCode": "01060"},
        "position": {"latitude": 42.1, "longitude": -72.6},
    }  # fmt: skip
    bare = {"resourceType": "Location", "id": "loc-2", "name": "Annex"}
    actual = dimensions.locations(bronze(spark, "fhir_location", [fhir(clinic), fhir(bare)]))
    expected = frame(
        spark,
        [
            ("loc-1", "PCP74147", "org-1", "Springfield", "MA", "01060", 42.1, -72.6),
            ("loc-2", "Annex", None, None, None, None, None, None),
        ],
        "location_id string, location_name string, organization_id string, city string, state string, "
        "zip5 string, latitude double, longitude double",
    )
    assert_frame(actual, expected, ["location_id"])


def test_a_literal_managing_organization_reference_gives_the_organization_id(spark):
    location = {
        "resourceType": "Location",
        "id": "loc-9",
        "managingOrganization": {"reference": "Organization/org-9"},
    }
    actual = dimensions.locations(bronze(spark, "fhir_location", [fhir(location)]))
    assert as_rows(actual, "location_id", "organization_id") == [("loc-9", "org-9")]


def test_payer_key_from_the_name(spark):
    names = frame(
        spark,
        [
            ("Blue Cross Blue Shield", "blue_cross_blue_shield"),
            # Runs of anything but letters and digits are one underscore; none at either end.
            ("  UnitedHealthcare, Inc. ", "unitedhealthcare_inc"),
            ("Cigna-Health", "cigna_health"),
            ("NO_INSURANCE", "no_insurance"),
            (None, None),
        ],
        "name string, expected string",
    )
    rows = names.select("name", "expected", dimensions.payer_key(F.col("name")).alias("actual")).collect()
    assert [(r.name, r.actual) for r in rows] == [(r.name, r.expected) for r in rows]


def test_payers_from_csv_and_the_names_fhir_claims_carry(spark):
    def payer(pid: str, name: str, state: str | None, landed: datetime = L1) -> dict:
        return csv(landed=landed, file=f"synthea/dt={landed:%Y-%m-%d}/payers.csv", id=pid, name=name,
                   state_headquartered=state)  # fmt: skip

    csv_rows = [
        payer("pay-1", "Blue Cross Blue Shield", "MA"),
        payer("pay-1", "Blue Cross Blue Shield", "NY", landed=L2),  # the later landing wins
        payer("pay-2", "Dual Eligible", None),
        payer("pay-3", "Medicaid", None),
        payer("pay-4", "NO_INSURANCE", None),
        payer("pay-5", "Medicare", None),
    ]
    fhir_names = frame(
        spark, [("Blue Cross Blue Shield",), ("Humana Gold Plus",), (None,)], "payer_name string"
    )
    actual = dimensions.payers(bronze(spark, "csv_payers", csv_rows), fhir_names)
    expected = frame(
        spark,
        [
            # The FHIR name of a CSV payer is the same key: one row, with the CSV id and state.
            ("blue_cross_blue_shield", "pay-1", "Blue Cross Blue Shield", "NY", "private"),
            # Dual eligible (Medicare + Medicaid) is a Medicare payer.
            ("dual_eligible", "pay-2", "Dual Eligible", None, "medicare"),
            # A name only FHIR claims carry: no CSV id; a commercial plan.
            ("humana_gold_plus", None, "Humana Gold Plus", None, "private"),
            ("medicaid", "pay-3", "Medicaid", None, "medicaid"),
            ("medicare", "pay-5", "Medicare", None, "medicare"),
            ("no_insurance", "pay-4", "NO_INSURANCE", None, "self_pay"),
        ],
        "payer_key string, payer_id string, payer_name string, state string, payer_type string",
    )
    assert_frame(actual, expected, ["payer_key"])


def test_with_inferred_adds_a_flagged_row_for_each_unknown_reference(spark):
    known = frame(
        spark,
        [("org-1", "General Hospital", "Springfield", "MA", "01060")],
        "organization_id string, organization_name string, city string, state string, zip5 string",
    )
    referenced = frame(
        spark,
        [
            ("org-1", "General Hospital ED"),  # described by a source: no new row
            ("org-9", "PCP74147"),  # no source describes org-9: one inferred row,
            ("org-9", "Clinic 9"),  # named by the smallest display ('Clinic 9' < 'PCP74147')
            ("org-8", None),  # no display at all: inferred, without a name
            (None, "nobody"),  # no key: nothing to infer
        ],
        "organization_id string, display string",
    )
    actual = dimensions.with_inferred(known, "organization_id", referenced, "organization_name")
    expected = frame(
        spark,
        [
            ("org-1", "General Hospital", "Springfield", "MA", "01060", False),
            ("org-8", None, None, None, None, True),
            ("org-9", "Clinic 9", None, None, None, True),
        ],
        "organization_id string, organization_name string, city string, state string, zip5 string, "
        "is_inferred boolean",
    )
    assert_frame(actual, expected, ["organization_id"])
