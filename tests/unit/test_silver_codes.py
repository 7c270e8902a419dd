"""carelake.silver.codes: SNOMED CT -> ICD-10-CM -> CCSR body system, SNOMED CT -> CPT/HCPCS,
and the body system of an ICD-10-CM code, from the reference tables in jobs/src/carelake/reference/.

Every expected value is read off the reference CSVs by hand:
snomed_condition_map.csv  44054006 -> E11.9 END; 59621000 -> I10 CIR; 195662009 -> J02.8 RSP;
                          160903007 (Full-time employment) -> no_icd10cm_code (social history)
snomed_procedure_map.csv  395142003 -> 95004 (CPT); 763302001 -> G0442 (HCPCS);
                          386516004 (Anticipatory guidance) -> no separate code
ccsr_body_systems.csv     chapter ranges: E00-E89 END, H00-H59 EYE, H60-H95 EAR, I00-I99 CIR,
                          J00-J99 RSP, Z00-Z99 FAC; ccsr_overrides.csv: U07.1 (COVID-19) -> INF
A code the tables do not map keeps its row with category 'Unmapped'; no code -> null.
"""

from __future__ import annotations

import pytest
from pyspark.sql import functions as F

from carelake.silver.codes import CodeMaps, with_condition_codes, with_icd10_category, with_procedure_codes
from tests.support.silver_frames import as_rows, frame

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def codes(spark):
    return CodeMaps.load(spark)


def test_with_condition_codes_maps_snomed_to_icd10cm_and_body_system(spark, codes):
    facts = frame(
        spark,
        [
            ("a", "44054006"),  # Diabetes mellitus type 2
            ("b", "59621000"),  # Essential hypertension
            ("c", "195662009"),  # Acute viral pharyngitis
            ("d", "160903007"),  # in the table, but no ICD-10-CM code exists for it
            ("e", "999999999"),  # not in the table
            ("f", None),  # no code at all
        ],
        "fact_id string, snomed_code string",
    )
    mapped = with_condition_codes(facts, "snomed_code", codes)
    assert mapped.columns == ["fact_id", "snomed_code", "icd10cm_code", "diagnosis_category"]
    assert as_rows(mapped, "fact_id", "icd10cm_code", "diagnosis_category") == [
        ("a", "E11.9", "END"),
        ("b", "I10", "CIR"),
        ("c", "J02.8", "RSP"),
        ("d", None, "Unmapped"),
        ("e", None, "Unmapped"),
        ("f", None, None),
    ]


def test_with_condition_codes_prefix_names_the_columns_and_keeps_every_row(spark, codes):
    # An encounter's reason code: reason_icd10cm_code, reason_diagnosis_category.
    encounters = frame(
        spark,
        [("enc-1", "38341003"), ("enc-2", None), ("enc-3", "38341003")],
        "encounter_id string, reason_code string",
    )
    mapped = with_condition_codes(encounters, "reason_code", codes, prefix="reason_")
    assert mapped.columns == [
        "encounter_id",
        "reason_code",
        "reason_icd10cm_code",
        "reason_diagnosis_category",
    ]
    # 38341003 (Hypertensive disorder, systemic arterial) -> I10, circulatory.
    assert as_rows(mapped, "encounter_id", "reason_icd10cm_code", "reason_diagnosis_category") == [
        ("enc-1", "I10", "CIR"),
        ("enc-2", None, None),
        ("enc-3", "I10", "CIR"),
    ]


def test_with_procedure_codes_maps_snomed_to_cpt_or_hcpcs(spark, codes):
    procedures = frame(
        spark,
        [("a", "395142003"), ("b", "763302001"), ("c", "386516004"), ("d", "1234"), ("e", None)],
        "procedure_id string, snomed_code string",
    )
    mapped = with_procedure_codes(procedures, "snomed_code", codes)
    assert mapped.columns == ["procedure_id", "snomed_code", "cpt_code"]
    assert as_rows(mapped, "procedure_id", "cpt_code") == [
        ("a", "95004"),  # allergy scratch/prick tests, CPT
        ("b", "G0442"),  # annual alcohol misuse screening, HCPCS Level II
        ("c", None),  # counselling within the preventive visit: no separate code
        ("d", None),
        ("e", None),
    ]


def test_with_icd10_category_by_chapter_range_and_override(spark):
    claims = frame(
        spark,
        [
            ("I10", "CIR"),
            ("E11.9", "END"),
            ("e119", "END"),  # without the dot, lower case: the same code E11.9
            ("H10.9", "EYE"),  # conjunctivitis: chapter 7 (H00-H59)
            ("H66.90", "EAR"),  # otitis media: chapter 8 (H60-H95)
            ("J02.9", "RSP"),
            ("Z00.00", "FAC"),
            ("U07.1", "INF"),  # COVID-19: chapter 22, placed by the override table
            ("not-a-code", "Unmapped"),
            (None, None),
        ],
        "icd10cm_code string, expected string",
    )
    rows = with_icd10_category(claims, "icd10cm_code").select(
        "icd10cm_code", "expected", "diagnosis_category"
    )
    collected = rows.collect()
    assert [(r.icd10cm_code, r.diagnosis_category) for r in collected] == [
        (r.icd10cm_code, r.expected) for r in collected
    ]


def test_with_icd10_category_writes_the_named_column(spark):
    claims = frame(spark, [("I10",)], "code string")
    assert with_icd10_category(claims, "code", out="category").select(F.col("category")).first()[0] == "CIR"
