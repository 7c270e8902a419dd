"""carelake.reference: clinical content checked against the published sources by hand.

Every expected number below is worked out by hand from the source named in the test
(Quan 2005, Charlson 1987, van Walraven 2010, HEDIS PCR, AHRQ CCSR), not from the tables.
"""

from __future__ import annotations

import pytest

from carelake import reference as ref
from carelake.generate import catalog

CCSR_21 = {
    "BLD", "CIR", "DIG", "EAR", "END", "EXT", "EYE", "FAC", "GEN", "INF", "INJ",
    "MAL", "MBD", "MUS", "NEO", "NVS", "PNL", "PRG", "RSP", "SKN", "SYM",
}  # fmt: skip


# --- code formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("E119", "E11.9"), ("e11.9", "E11.9"), (" I10 ", "I10"), ("S72009A", "S72.009A"), ("Z00129", "Z00.129"),
     ("U071", "U07.1"), ("QA08", "QA0.8"), ("XYZ", None), ("E1", None), ("1234.5", None), ("E11.99999", None),
     ("E1.19", None), ("", None), (None, None)],
)  # fmt: skip
def test_normalize_icd10_accepts_codes_with_or_without_the_dot(raw: str | None, expected: str | None) -> None:
    assert ref.normalize_icd10(raw) == expected


def test_known_icd10cm_codes() -> None:
    assert ref.is_known_icd10cm("E11.9") and ref.is_known_icd10cm("E119") and ref.is_known_icd10cm("s72009a")
    assert not ref.is_known_icd10cm("E11")  # a category with children is not billable
    assert not ref.is_known_icd10cm("R05")  # split into R05.1-R05.9 in FY2022
    assert ref.icd10cm_description("I50.9") == "Heart failure, unspecified"


@pytest.mark.parametrize(
    ("raw", "valid", "known"),
    [("99213", True, True), ("G0444", True, True), ("s9083", True, True), ("90686", True, True),
     ("1111F", True, False), ("0001U", True, False), ("9921", False, False), ("ABCDE", False, False),
     ("99213X", False, False), ("D0120", True, False), ("I1234", False, False)],
)  # fmt: skip
def test_cpt_hcpcs_format_and_known_codes(raw: str, valid: bool, known: bool) -> None:
    assert ref.is_valid_cpt_hcpcs_format(raw) is valid
    assert ref.is_known_cpt_hcpcs(raw) is known


def test_denial_reasons() -> None:
    assert ref.parse_denial_reason("CO-50") == ("CO", "50")
    assert ref.parse_denial_reason("pr 204") == ("PR", "204")
    assert ref.carc_description("CO-97").startswith("The benefit for this service is included")
    assert not ref.is_known_denial_reason("XX-50")
    assert not ref.is_known_denial_reason("CO-999")


# --- CCSR-style body systems -----------------------------------------------------------


def test_the_21_ccsr_body_systems() -> None:
    assert set(ref.body_systems()) == CCSR_21
    assert ref.body_system_name("CIR") == "Diseases of the circulatory system"
    assert ref.body_system_name(ref.UNMAPPED) == ref.UNMAPPED
    assert {row["ccsr_body_system"] for row in ref.load("snomed_condition_map")} <= CCSR_21 | {""}


@pytest.mark.parametrize(
    ("icd10", "system"),
    [("A41.9", "INF"), ("B20", "INF"), ("C34.90", "NEO"), ("D3A.010", "NEO"), ("D49.59", "NEO"), ("D64.9", "BLD"),
     ("E11.9", "END"), ("F10.10", "MBD"), ("G89.29", "NVS"), ("H40.9", "EYE"), ("H66.90", "EAR"), ("I10", "CIR"),
     ("J18.9", "RSP"), ("K37", "DIG"), ("L03.90", "SKN"), ("M54.50", "MUS"), ("N18.6", "GEN"), ("O9A.111", "PRG"),
     ("P07.30", "PNL"), ("Q21.0", "MAL"), ("QA0.8", "MAL"), ("R05.9", "SYM"), ("S72.009A", "INJ"),
     ("T50.901A", "INJ"), ("V43.52XA", "EXT"), ("Z59.10", "FAC"), ("U07.1", "INF"), ("U07.0", "RSP")],
)  # fmt: skip
def test_body_system_follows_the_chapter(icd10: str, system: str) -> None:
    assert ref.ccsr_body_system(icd10) == system
    assert ref.diagnosis_category(icd10.replace(".", "")) == system


def test_every_billable_code_has_a_body_system_and_bad_input_is_unmapped() -> None:
    codes = [row["code"] for row in ref.load("icd10cm_codes")]
    assert all(ref.ccsr_body_system(code) in CCSR_21 for code in codes)
    assert ref.diagnosis_category(None) == ref.UNMAPPED
    assert ref.diagnosis_category("not a code") == ref.UNMAPPED
    assert ref.snomed_diagnosis_category("000000") == ref.UNMAPPED


def test_snomed_condition_examples() -> None:
    assert ref.snomed_to_icd10("59621000") == "I10"  # essential hypertension
    assert ref.snomed_to_icd10("88805009") == "I50.9"  # chronic congestive heart failure
    assert ref.snomed_to_icd10("399211009") == "I25.2"  # history of MI -> old MI
    assert ref.snomed_to_icd10("73595000") == "Z73.3"  # stress (finding) -> Z code
    assert ref.snomed_to_icd10("105531004") == "Z59.10"  # housing unsatisfactory -> SDOH Z59
    assert ref.snomed_to_icd10("160903007") is None  # full-time employment: explicitly no code
    assert ref.condition_mapping("160903007").mapping_status == "no_icd10cm_code"
    assert ref.snomed_to_icd10("123") is None and ref.condition_mapping("123") is None
    assert ref.snomed_diagnosis_category("230690007") == "CIR"  # stroke
    assert ref.snomed_to_cpt("73761001") == "45378" and ref.snomed_to_cpt("371908008") is None


# --- Charlson (Quan 2005 codes, Charlson 1987 weights) ---------------------------------


def test_the_17_charlson_groups_and_their_1987_weights() -> None:
    weights = {row["charlson_group"]: int(row["weight_charlson_1987"]) for row in ref.load("charlson_groups")}
    assert weights == {
        "mi": 1, "chf": 1, "pvd": 1, "cvd": 1, "dementia": 1, "cpd": 1, "rheumatic": 1, "pud": 1, "mild_liver": 1,
        "diabetes": 1, "diabetes_complicated": 2, "hemiplegia": 2, "renal": 2, "malignancy": 2, "severe_liver": 3,
        "metastatic": 6, "hiv_aids": 6,
    }  # fmt: skip
    prefixes = {row["charlson_group"] for row in ref.load("charlson_icd10cm")}
    assert prefixes == set(weights)


@pytest.mark.parametrize(
    ("icd10", "group", "weight"),
    [("I50.9", "chf", 1), ("I11.0", "chf", 1), ("E11.9", "diabetes", 1), ("E11.22", "diabetes_complicated", 2),
     ("E11.40", "diabetes_complicated", 2), ("E11.65", "diabetes", 1), ("C78.5", "metastatic", 6),
     ("C78.00", "metastatic", 6), ("C34.90", "malignancy", 2), ("C44.91", None, 0), ("C43.9", "malignancy", 2),
     ("I21.4", "mi", 1), ("I25.2", "mi", 1), ("I25.10", None, 0), ("I63.9", "cvd", 1), ("G45.9", "cvd", 1),
     ("J44.9", "cpd", 1), ("J45.909", "cpd", 1), ("M06.9", "rheumatic", 1), ("K25.9", "pud", 1),
     ("K70.30", "mild_liver", 1), ("K70.40", "severe_liver", 3), ("G30.9", "dementia", 1), ("F03.90", "dementia", 1),
     ("G82.20", "hemiplegia", 2), ("N18.30", "renal", 2), ("N18.6", "renal", 2), ("Z99.2", "renal", 2),
     ("B20", "hiv_aids", 6), ("I70.209", "pvd", 1), ("E08.9", "diabetes", 1), ("C7B.00", "metastatic", 6),
     ("I10", None, 0), ("E78.5", None, 0)],
)  # fmt: skip
def test_charlson_groups_hand_worked(icd10: str, group: str | None, weight: int) -> None:
    assert ref.charlson_group(icd10) == group
    assert ref.charlson_score([icd10]) == weight


def test_charlson_score_applies_the_hierarchy() -> None:
    assert ref.charlson_score(["E11.9", "E11.22"]) == 2  # complicated diabetes only
    assert ref.charlson_score(["C34.90", "C78.5"]) == 6  # metastatic only
    assert ref.charlson_score(["K70.30", "K70.40"]) == 3  # severe liver only
    # CHF 1 + COPD 1 + diabetes with complication 2 + renal 2 + metastatic 6 (lung cancer superseded) = 12
    assert ref.charlson_score(["I50.9", "J44.9", "E11.9", "E11.22", "N18.30", "C34.90", "C78.5", "I10"]) == 12
    assert ref.charlson_score(["I50.9", "I50.9", "I50.22"]) == 1  # a group counts once
    assert ref.charlson_score([]) == 0 and ref.charlson_score([None, "bad"]) == 0


# --- LACE (van Walraven 2010) ----------------------------------------------------------


def test_lace_comorbidity_weights_as_on_the_lace_tool() -> None:
    weights = {row["lace_item"]: int(row["weight"]) for row in ref.load("lace_comorbidity_items")}
    assert weights == {
        "previous_mi": 1, "cerebrovascular": 1, "pvd": 1, "diabetes_uncomplicated": 1, "chf": 2,
        "diabetes_end_organ": 2, "chronic_pulmonary": 2, "mild_liver_or_renal": 2, "any_tumor": 2, "dementia": 3,
        "connective_tissue": 3, "aids": 4, "moderate_severe_liver_or_renal": 4, "metastatic_solid_tumor": 6,
    }  # fmt: skip
    assert ref.lace_items("I50.9") == {"chf"}
    assert ref.lace_items("N18.30") == {"mild_liver_or_renal"}
    assert ref.lace_items("N18.6") == {"moderate_severe_liver_or_renal"}
    assert ref.lace_items("I13.11") == {"moderate_severe_liver_or_renal"}
    assert ref.lace_items("I13.10") == {"mild_liver_or_renal"}
    assert ref.lace_items("K25.9") == frozenset()  # peptic ulcer scores 0 in LACE
    assert ref.lace_items("G82.20") == frozenset()  # so does hemiplegia


def test_lace_charlson_score_hand_worked() -> None:
    assert ref.charlson_score(["I50.9", "E11.9"], scheme="lace") == 3  # CHF 2 + diabetes 1
    assert ref.charlson_score(["N18.30", "N18.6"], scheme="lace") == 4  # mild renal superseded by ESRD
    assert ref.charlson_score(["C34.90", "C78.5"], scheme="lace") == 6
    assert ref.charlson_score(["G30.9", "B20", "J44.9"], scheme="lace") == 9  # 3 + 4 + 2


@pytest.mark.parametrize(
    ("component", "value", "points"),
    [("L", 0, 0), ("L", 1, 1), ("L", 3, 3), ("L", 4, 4), ("L", 5, 4), ("L", 6, 4), ("L", 7, 5), ("L", 13, 5),
     ("L", 14, 7), ("L", 60, 7), ("A", False, 0), ("A", True, 3), ("C", 0, 0), ("C", 3, 3), ("C", 4, 5),
     ("C", 12, 5), ("E", 0, 0), ("E", 3, 3), ("E", 4, 4), ("E", 9, 4)],
)  # fmt: skip
def test_lace_points_hand_worked(component: str, value: int, points: int) -> None:
    assert ref.lace_points(component, value) == points


def test_lace_score() -> None:
    # LOS 5 days (4) + emergent (3) + Charlson 2 (2) + 3 ED visits (3) = 12
    assert ref.lace_score(5, True, 2, 3) == 12
    assert ref.lace_score(0, False, 0, 0) == 0
    assert ref.lace_score(30, True, 9, 10) == 19  # the maximum
    with pytest.raises(ValueError):
        ref.lace_points("L", -1)


# --- planned readmissions (HEDIS PCR) --------------------------------------------------


def test_planned_readmission_table_uses_known_codes_and_the_four_categories() -> None:
    rows = ref.load("planned_readmissions")
    assert {row["planned_category"] for row in rows} == {
        "chemotherapy",
        "rehabilitation",
        "transplant",
        "planned_procedure",
    }
    procedure_map = {row["snomed_code"] for row in ref.load("snomed_procedure_map")}
    for row in rows:
        assert row["match"] in ("exact", "prefix") and row["applies_to"] in (
            "principal_diagnosis",
            "procedure",
        )
        if row["code_system"] == "ICD-10-CM":
            assert ref.is_known_icd10cm(row["code"]), row
        elif row["code_system"] == "CPT":
            assert ref.is_known_cpt_hcpcs(row["code"]), row
        elif row["code_system"] == "SNOMED":
            assert row["code"] in procedure_map, row
        else:
            assert row["code_system"] == "ICD-10-PCS" and row["match"] == "prefix", row
    icd10 = {row["code"] for row in rows if row["code_system"] == "ICD-10-CM"}
    assert {"Z51.11", "Z51.12", "Z51.89"} <= icd10


def test_planned_readmission_rules() -> None:
    snomed = "http://snomed.info/sct"
    category = ref.planned_readmission_category
    # chemotherapy: by principal diagnosis (claims) or by the SNOMED procedure (EHR)
    assert category([], ("ICD-10-CM", "Z5111")) == "chemotherapy"
    assert category([(snomed, "367336001")], (snomed, "254637007")) == "chemotherapy"
    # transplant: any transplant procedure, whatever the diagnosis
    assert category([("CPT", "50360")], ("ICD-10-CM", "N18.6")) == "transplant"
    assert category([("ICD-10-PCS", "0TY00Z0")]) == "transplant"
    assert category([("ICD-10-PCS", "30233G2")]) == "transplant"
    assert category([(snomed, "70536003")]) == "transplant"
    # rehabilitation
    assert category([], ("ICD-10-CM", "Z51.89")) == "rehabilitation"
    assert category([(snomed, "52052004")], (snomed, "230690007")) == "rehabilitation"
    # potentially planned procedure: only with a known, non-acute principal diagnosis
    assert category([(snomed, "415070008")], (snomed, "53741008")) == "planned_procedure"  # PCI for CAD
    assert category([(snomed, "415070008")], (snomed, "22298006")) is None  # PCI for acute MI
    assert category([("CPT", "33533")], ("ICD-10-CM", "I50.9")) is None  # CABG with heart failure (acute)
    assert category([("CPT", "92928")]) is None  # no principal diagnosis: cannot call it planned
    # not planned
    assert category([(snomed, "265764009")], (snomed, "46177005")) is None  # dialysis
    assert category([], ("ICD-10-CM", "J18.9")) is None
    assert not ref.is_planned_readmission()


def test_every_planned_stay_of_the_generator_is_recognised() -> None:
    snomed = "http://snomed.info/sct"
    for code in catalog.PLANNED_READMISSION_PROCEDURE_CODES:
        assert ref.is_planned_readmission([(snomed, code)]), code
    assert ref.is_planned_readmission([("CPT", catalog.PROCEDURES["kidney_transplant"].hcpcs)])
    assert ref.is_planned_readmission([], ("ICD-10-CM", catalog.ICD10_CHEMOTHERAPY_ENCOUNTER))


def test_acute_conditions() -> None:
    for code in ("I21.9", "A41.9", "J18.9", "I63.9", "S72.009A", "K37", "I50.9", "U07.1", "T50.901A"):
        assert ref.is_acute_condition(code), code
    for code in ("I25.10", "Z51.11", "E11.9", "N18.6", "C34.90", "I10"):
        assert not ref.is_acute_condition(code), code
    prefixes_of_known = {
        code[:length]
        for row in ref.load("icd10cm_codes")
        for code in [row["code"].replace(".", "")]
        for length in (1, 3, 4, 5)
    }
    for row in ref.load("acute_conditions_icd10cm"):
        assert row["icd10cm_prefix"].replace(".", "") in prefixes_of_known, row


# --- encounters and discharge ----------------------------------------------------------


def test_encounter_classes() -> None:
    assert ref.is_acute_inpatient_class("inpatient") and ref.is_acute_inpatient_class("IMP")
    assert not ref.is_acute_inpatient_class("snf") and not ref.is_acute_inpatient_class("NONAC")
    assert ref.is_emergency_class("emergency") and ref.is_emergency_class("EMER")
    assert not ref.is_acute_inpatient_class("emergency") and not ref.is_acute_inpatient_class("unknown")


def test_discharge_dispositions() -> None:
    assert ref.is_death_disposition("20") and ref.is_death_disposition("41")
    assert not ref.is_death_disposition("01")
    assert ref.is_transfer_to_acute("02") and ref.is_transfer_to_acute("2")
    assert not ref.is_transfer_to_acute("03") and not ref.is_transfer_to_acute("x")
    assert ref.discharge_disposition("82").is_planned_readmission_flag


def test_typed_accessors_for_the_silver_and_claims_jobs() -> None:
    conditions = {mapping.snomed_code: mapping for mapping in ref.condition_map()}
    assert conditions["59621000"].icd10cm_code == "I10" and conditions["59621000"].ccsr_body_system == "CIR"
    assert (
        conditions["160903007"].icd10cm_code is None
        and conditions["160903007"].ccsr_body_system == ref.UNMAPPED
    )
    procedures = {mapping.snomed_code: mapping for mapping in ref.procedure_map()}
    assert procedures["73761001"].cpt_code == "45378" and procedures["371908008"].cpt_code is None
    assert ref.diagnosis_category_name("I50.9") == "Diseases of the circulatory system"
    assert ref.diagnosis_category_name(None) == ref.UNMAPPED
    in_use = ref.icd10cm_codes_in_use()
    assert len(in_use) == 74_719 and "E11.9" in in_use
    assert ref.is_known_carc("CO-50") and not ref.is_known_carc("CO-5000")
