"""carelake.reference covers every code the real Synthea fixtures and the generator emit.

The fixture codes are collected here with the json and csv modules, independently of the
jobs and of carelake.reference.maintain.
"""

from __future__ import annotations

import csv
import json

import pytest

from carelake import reference as ref
from carelake.generate import catalog, defects
from tests.paths import CSV_FIXTURE_DIR, FHIR_FIXTURE

FHIR_BUNDLE = FHIR_FIXTURE
SYNTHEA_CSV = CSV_FIXTURE_DIR
SNOMED_URI = "http://snomed.info/sct"

CONDITION_MAP = {row["snomed_code"]: row for row in ref.load("snomed_condition_map")}
PROCEDURE_MAP = {row["snomed_code"]: row for row in ref.load("snomed_procedure_map")}


def snomed_codings(concept: dict | None) -> set[str]:
    if not concept:
        return set()
    return {coding["code"] for coding in concept.get("coding", []) if coding.get("system") == SNOMED_URI}


def csv_column(table: str, column: str) -> set[str]:
    with (SYNTHEA_CSV / f"{table}.csv").open(newline="", encoding="utf-8") as handle:
        return {row[column] for row in csv.DictReader(handle) if row[column]}


@pytest.fixture(scope="module")
def fhir_resources() -> list[dict]:
    bundle = json.loads(FHIR_BUNDLE.read_text(encoding="utf-8"))
    return [entry["resource"] for entry in bundle["entry"]]


@pytest.fixture(scope="module")
def fixture_condition_codes(fhir_resources: list[dict]) -> set[str]:
    codes: set[str] = set()
    for resource in fhir_resources:
        if resource["resourceType"] == "Condition":
            codes |= snomed_codings(resource["code"])
        for reason in resource.get("reasonCode", []):  # Encounter, CareTeam, Procedure ...
            codes |= snomed_codings(reason)
    codes |= csv_column("conditions", "CODE")
    for table in ("encounters", "procedures", "careplans", "medications"):
        codes |= csv_column(table, "REASONCODE")
    return codes


@pytest.fixture(scope="module")
def fixture_procedure_codes(fhir_resources: list[dict]) -> set[str]:
    codes: set[str] = set()
    for resource in fhir_resources:
        if resource["resourceType"] == "Procedure":
            codes |= snomed_codings(resource["code"])
    return codes | csv_column("procedures", "CODE") | csv_column("imaging_studies", "PROCEDURE_CODE")


def test_every_fixture_condition_and_reason_code_is_in_the_condition_map(
    fixture_condition_codes: set[str],
) -> None:
    assert len(fixture_condition_codes) == 63  # 21 FHIR Conditions + CSV conditions and reasons, distinct
    missing = sorted(fixture_condition_codes - set(CONDITION_MAP))
    assert not missing, f"fixture condition codes missing from snomed_condition_map: {missing}"
    unmapped = sorted(
        code for code in fixture_condition_codes if CONDITION_MAP[code]["mapping_status"] != "mapped"
    )
    # only social-history findings stay without an ICD-10-CM code
    assert unmapped == ["160903007", "160904001", "224299000", "5251000175109", "741062008"]


def test_every_generator_condition_is_mapped_to_an_icd10cm_code() -> None:
    codes = {
        code
        for kind, system, code, _ in catalog.catalog_rows()
        if kind == "condition" and system == SNOMED_URI
    }
    assert codes == {definition.code.code for definition in catalog.CONDITIONS.values()}
    assert codes <= set(CONDITION_MAP)
    assert all(CONDITION_MAP[code]["mapping_status"] == "mapped" for code in codes)


def test_every_fixture_and_generator_procedure_is_in_the_procedure_map(
    fixture_procedure_codes: set[str],
) -> None:
    generator = {
        code
        for kind, system, code, _ in catalog.catalog_rows()
        if kind == "procedure" and system == SNOMED_URI
    }
    assert len(fixture_procedure_codes) == 57
    assert not sorted(fixture_procedure_codes - set(PROCEDURE_MAP))
    assert not sorted(generator - set(PROCEDURE_MAP))


def test_unmapped_rows_say_why_and_mapped_rows_use_known_codes() -> None:
    for code, row in CONDITION_MAP.items():
        if row["mapping_status"] == "no_icd10cm_code":
            assert not row["icd10cm_code"] and row["map_note"], code
            assert ref.snomed_diagnosis_category(code) == ref.UNMAPPED
        else:
            assert row["mapping_status"] == "mapped", code
            assert ref.is_known_icd10cm(row["icd10cm_code"]), (
                f"{code} -> {row['icd10cm_code']} is not a billable code"
            )
            assert row["icd10cm_code"] == ref.normalize_icd10(row["icd10cm_code"])


def test_derived_columns_agree_with_the_rules() -> None:
    """icd10cm_display, ccsr_body_system and charlson_group follow from the ICD-10-CM code."""
    for code, row in CONDITION_MAP.items():
        icd10 = row["icd10cm_code"] or None
        assert row["icd10cm_display"] == (ref.icd10cm_description(icd10) or ""), code
        assert row["ccsr_body_system"] == ("" if icd10 is None else ref.ccsr_body_system(icd10)), code
        assert row["charlson_group"] == ((ref.charlson_group(icd10) or "") if icd10 else ""), code
        if icd10:
            assert row["ccsr_body_system"] in ref.body_systems(), code


def test_procedure_map_codes_are_known_and_empty_ones_are_explained() -> None:
    for code, row in PROCEDURE_MAP.items():
        if row["cpt_hcpcs_code"]:
            assert ref.is_known_cpt_hcpcs(row["cpt_hcpcs_code"]), f"{code} -> {row['cpt_hcpcs_code']}"
            expected = "CPT" if row["cpt_hcpcs_code"][0].isdigit() else "HCPCS"
            assert row["code_system"] == expected, code
        else:
            assert not row["code_system"] and row["map_note"], code


def test_partner_claim_codes_the_generator_writes_are_known() -> None:
    icd10 = {definition.icd10 for definition in catalog.CONDITIONS.values()} | {
        catalog.ICD10_ADULT_EXAM,
        catalog.ICD10_CHILD_EXAM,
        catalog.ICD10_IMMUNIZATION,
        catalog.ICD10_CHEMOTHERAPY_ENCOUNTER,
        catalog.ICD10_STROKE_SEQUELAE,
        catalog.ICD10_HIP_FRACTURE_AFTERCARE,
    }
    assert not sorted(code for code in icd10 if not ref.is_known_icd10cm(code))
    # partners may drop the dot (aetna in the generator)
    assert all(ref.is_known_icd10cm(code.replace(".", "")) for code in icd10)
    procedures = (
        {encounter.cpt for encounter in catalog.ENCOUNTER_TYPES.values()}
        | {code for _, code in catalog.WELLNESS_CPT_BY_MIN_AGE}
        | {definition.hcpcs for definition in catalog.PROCEDURES.values()}
        | {definition.cpt for definition in catalog.IMMUNIZATIONS.values()}
    )
    assert not sorted(code for code in procedures if not ref.is_known_cpt_hcpcs(code))
    assert all(ref.is_known_denial_reason(reason) for reason in catalog.DENIAL_REASONS)
    used = {row["reason_code"] for row in ref.load("carc_reason_codes") if row["used_by_generator"] == "true"}
    assert used == {reason.split("-")[1] for reason in catalog.DENIAL_REASONS}


def test_the_generator_defects_fail_the_checks() -> None:
    assert not any(ref.is_known_icd10cm(code) for code in defects.BAD_ICD10)
    assert not any(ref.is_valid_icd10cm_format(code) for code in defects.BAD_ICD10)
    assert not any(ref.is_known_cpt_hcpcs(code) for code in defects.BAD_CPT)
    # 1111F is a well-formed CPT category II code: only the known-code check rejects it
    assert [code for code in defects.BAD_CPT if ref.is_valid_cpt_hcpcs_format(code)] == ["1111F"]


def test_generator_and_map_agree_on_the_body_system() -> None:
    """The EHR view (SNOMED through the map) and the claims view (the generator's ICD-10-CM)
    of the same condition land in the same diagnosis category."""
    for definition in catalog.CONDITIONS.values():
        assert ref.snomed_diagnosis_category(definition.code.code) == ref.diagnosis_category(
            definition.icd10
        ), definition


def test_discharge_codes_and_encounter_classes_of_the_generator_are_known() -> None:
    dispositions = {row["code"]: row for row in ref.load("discharge_dispositions")}
    assert {code.code for code in catalog.DISCHARGE.values()} <= set(dispositions)
    used = {code for code, row in dispositions.items() if row["used_by_generator"] == "true"}
    assert used == {code.code for code in catalog.DISCHARGE.values()}
    for csv_class, fhir_class in catalog.FHIR_CLASS_BY_ENCOUNTER_CLASS.items():
        assert ref.encounter_class(csv_class) is not None and ref.encounter_class(fhir_class) is not None
    fixture_classes = csv_column("encounters", "ENCOUNTERCLASS")
    assert all(ref.encounter_class(code) is not None for code in fixture_classes)
