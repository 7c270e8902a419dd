"""The gold transforms behind the denial, cohort and procedure measures and the place names, on
explicit schemas (chispa). Every expected row is worked out by hand in the comments."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from chispa import assert_df_equality

from carelake.gold.claims import dim_denial_reason
from carelake.gold.cohorts import patient_cohort
from carelake.gold.inputs import frame, local_frame
from carelake.gold.places import provider_places, with_provider_place
from carelake.gold.procedures import fact_procedure
from carelake.gold.reference import carc_groups, carc_reasons, cohort_value_sets, procedure_categories
from carelake.gold.schemas import GOLD_SCHEMAS
from carelake.silver.places import with_standard_place, zip_places

pytestmark = pytest.mark.spark


def gold(spark, table: str, rows: list[tuple]):
    return local_frame(spark, GOLD_SCHEMAS[table], rows)


def test_patient_cohorts_follow_the_value_sets(spark) -> None:
    conditions = frame(
        spark,
        "fct_condition",
        [
            # pk-1: heart failure twice (I11.0 is the earlier onset) and type 2 diabetes
            {
                "patient_key": "pk-1",
                "snomed_code": "s1",
                "onset_date": date(2020, 1, 1),
                "icd10cm_code": "I50.9",
            },
            {
                "patient_key": "pk-1",
                "snomed_code": "s2",
                "onset_date": date(2019, 5, 1),
                "icd10cm_code": "I11.0",
            },
            {
                "patient_key": "pk-1",
                "snomed_code": "s3",
                "onset_date": date(2021, 3, 3),
                "icd10cm_code": "E11.9",
            },
            # pk-2: COPD exacerbation; asthma (J45) is no cohort
            {
                "patient_key": "pk-2",
                "snomed_code": "s4",
                "onset_date": date(2022, 2, 2),
                "icd10cm_code": "J44.1",
            },
            {
                "patient_key": "pk-2",
                "snomed_code": "s5",
                "onset_date": date(2022, 2, 2),
                "icd10cm_code": "J45.909",
            },
            # pk-3: drug-induced diabetes (E09) and hypertensive heart disease without failure (I11.9): none
            {
                "patient_key": "pk-3",
                "snomed_code": "s6",
                "onset_date": date(2022, 2, 2),
                "icd10cm_code": "E09.9",
            },
            {
                "patient_key": "pk-3",
                "snomed_code": "s7",
                "onset_date": date(2022, 2, 2),
                "icd10cm_code": "I11.9",
            },
            # pk-4: emphysema without an onset date; pk-5 a code without a patient key
            {"patient_key": "pk-4", "snomed_code": "s8", "onset_date": None, "icd10cm_code": "J43.9"},
            {
                "patient_key": None,
                "snomed_code": "s9",
                "onset_date": date(2022, 2, 2),
                "icd10cm_code": "E11.9",
            },
        ],
    )
    expected = gold(
        spark,
        "patient_cohort",
        [
            ("pk-1", "diabetes", "Diabetes", date(2021, 3, 3)),
            ("pk-1", "heart_failure", "Heart failure", date(2019, 5, 1)),
            ("pk-2", "copd", "COPD", date(2022, 2, 2)),
            ("pk-4", "copd", "COPD", None),
        ],
    )
    got = patient_cohort(conditions, cohort_value_sets(spark))
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_fact_procedure_takes_its_category_and_its_encounter(spark) -> None:
    at = datetime(2024, 3, 5, 9, 30)
    procedures = frame(
        spark,
        "fct_procedure",
        [
            {"patient_key": "pk-1", "encounter_id": "e-1", "snomed_code": "73761001", "snomed_display": "Colonoscopy",
             "cpt_code": "45378", "performed_at": at, "base_cost": Decimal("9489.56")},
            # no CPT/HCPCS code, no encounter in gold: unmapped, encounter columns null
            {"patient_key": "pk-2", "encounter_id": "e-x", "snomed_code": "1", "snomed_display": "Something",
             "cpt_code": None, "performed_at": at, "base_cost": None},
        ],
    )  # fmt: skip
    encounters = spark.createDataFrame(
        [("e-1", "inpatient", True, "medicare", "org-a", "DIG")],
        "encounter_id string, encounter_class string, is_acute_inpatient boolean, payer_key string, "
        "location_key string, diagnosis_category string",
    )
    expected = gold(
        spark,
        "fact_procedure",
        [
            ("pk-1", "73761001", at, "e-1", "Colonoscopy", "45378", "surgery", "Surgery", date(2024, 3, 5),
             20240305, "2024-03", Decimal("9489.56"), "inpatient", True, "medicare", "org-a", "DIG"),
            ("pk-2", "1", at, "e-x", "Something", None, "unmapped", "No CPT/HCPCS code", date(2024, 3, 5),
             20240305, "2024-03", None, None, False, None, None, None),
        ],
    )  # fmt: skip
    got = fact_procedure(procedures, encounters, procedure_categories(spark))
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_denial_reasons_in_words(spark) -> None:
    claims = spark.createDataFrame(
        [("CO-50",), ("CO-50",), ("pr-204",), ("197",), ("CO-999",), ("ZZ-1",), (None,)],
        "denial_reason string",
    )
    expected = gold(
        spark,
        "dim_denial_reason",
        [
            ("CO-50", "CO", "Contractual obligation", "50", "Non-covered service: not deemed a medical necessity by the payer"),
            ("pr-204", "PR", "Patient responsibility", "204",
             "This service/equipment/drug is not covered under the patient's current benefit plan"),
            ("197", "Unknown", "Unknown", "197", "Precertification/authorization/notification absent"),  # no group
            ("CO-999", "CO", "Contractual obligation", "999", "Unknown"),  # a reason the table lacks
            ("ZZ-1", "Unknown", "Unknown", None, "Unknown"),  # not a CARC at all
        ],
    )  # fmt: skip
    got = dim_denial_reason(claims, carc_groups(spark), carc_reasons(spark))
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_a_place_is_named_by_its_zip(spark) -> None:
    organizations = frame(
        spark,
        "dim_organization",
        [
            {"organization_id": "o1", "organization_name": "A", "city": "PITTSFIELD", "state": "MA", "zip5": "01201"},
            {"organization_id": "o2", "organization_name": "B", "city": "PITTSFILED", "state": "MA", "zip5": "01201"},
            {"organization_id": "o3", "organization_name": "C", "city": "S YARMOUTH", "state": "ma", "zip5": "02664"},
            {"organization_id": "o4", "organization_name": "D", "city": "  new   town ", "state": " nh", "zip5": "03999"},
            {"organization_id": "o5", "organization_name": "E", "city": "WORCESTER", "state": "MA", "zip5": None},
        ],
    )  # fmt: skip
    got = with_standard_place(organizations, zip_places(spark))
    assert got.columns == organizations.columns
    assert {r["organization_id"]: (r["city"], r["state"]) for r in got.collect()} == {
        "o1": ("Pittsfield", "MA"),
        "o2": ("Pittsfield", "MA"),  # the typo is one place with the right name
        "o3": ("Yarmouth", "MA"),  # the village of South Yarmouth, in the town of Yarmouth
        "o4": ("New Town", "NH"),  # a ZIP the table does not know: the own name, tidied
        "o5": ("Worcester", "MA"),
    }


def test_treatments_and_providers_take_their_organizations_place(spark) -> None:
    providers = frame(
        spark,
        "dim_provider",
        [
            {
                "provider_key": "1111111111",
                "npi": "1111111111",
                "organization_id": "o1",
                "city": "PITTSFILED",
            },
            {"provider_key": "2222222222", "npi": "2222222222", "organization_id": None, "city": "BOSTON"},
        ],
    )
    organizations = frame(
        spark,
        "dim_organization",
        [{"organization_id": "o1", "city": "Pittsfield", "state": "MA", "zip5": "01201"}],
    )
    places = provider_places(providers, organizations)
    treatments = spark.createDataFrame(
        [
            ("t1", "1111111111", "Pittsfiled", "MA"),
            ("t2", "2222222222", "boston", "ma"),
            ("t3", None, "SALEM", "MA"),
        ],
        "treatment_id string, provider_npi string, city string, state string",
    )
    got = with_provider_place(treatments, "provider_npi", places)
    assert {r["treatment_id"]: (r["city"], r["state"]) for r in got.collect()} == {
        "t1": ("Pittsfield", "MA"),  # its provider's organization
        "t2": ("Boston", "MA"),  # provider without an organization: own name, tidied
        "t3": ("Salem", "MA"),  # no provider
    }
    placed = with_provider_place(providers, "provider_key", places)
    assert {r["provider_key"]: r["city"] for r in placed.collect()} == {
        "1111111111": "Pittsfield",
        "2222222222": "Boston",
    }
