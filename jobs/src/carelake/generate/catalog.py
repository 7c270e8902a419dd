"""Every code the generator emits, in one place.

Sources. Each SNOMED CT, LOINC, RxNorm and CVX code below is one Synthea itself emits:
most come from the real fixtures in ``tests/fixtures/synthea`` (the FHIR sample patient
and the OHDSI/dbt-synthea CSV export); the rest (chronic diseases that drive hospital
stays, hospital admission types, and the planned-readmission procedures) come from
Synthea's modules (for example ``congestive_heart_failure.json``) as listed by an
inventory of a Synthea master-branch run. Displays follow Synthea's wording; one display
per code. ICD-10-CM, CPT and HCPCS codes are only used in the partner claims files (a
payer's view); they are the usual billing codes for the same services.

A reference-table engineer can cover exactly these codes with :func:`catalog_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass

SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CVX = "http://hl7.org/fhir/sid/cvx"
NUBC = "http://www.nubc.org/patient-discharge"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@dataclass(frozen=True, slots=True)
class Code:
    system: str
    code: str
    display: str


def snomed(code: str, display: str) -> Code:
    return Code(SNOMED, code, display)


# --- Encounters ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncounterType:
    code: Code
    encounter_class: str  # Synthea CSV ENCOUNTERCLASS
    base_cost_cents: int  # per encounter; inpatient stays are charged per day instead
    cpt: str  # evaluation-and-management code on partner claims (wellness: by age)
    place_of_service: str  # CMS place-of-service code on partner claims


# Synthea writes Encounter.class as v3 ActCode: wellness, ambulatory and urgent care are
# all AMB; only Encounter.type (and the CSV ENCOUNTERCLASS) tells them apart.
FHIR_CLASS_BY_ENCOUNTER_CLASS = {
    "wellness": "AMB",
    "ambulatory": "AMB",
    "urgentcare": "AMB",
    "emergency": "EMER",
    "inpatient": "IMP",
}

ENCOUNTER_TYPES: dict[str, EncounterType] = {
    "wellness_adult": EncounterType(
        snomed("162673000", "General examination of patient (procedure)"), "wellness", 12916, "99396", "11"
    ),
    "wellness_child": EncounterType(
        snomed("410620009", "Well child visit (procedure)"), "wellness", 12916, "99393", "11"
    ),
    "followup": EncounterType(
        snomed("390906007", "Follow-up encounter (procedure)"), "ambulatory", 7749, "99214", "11"
    ),
    "problem": EncounterType(
        snomed("185347001", "Encounter for problem (procedure)"), "ambulatory", 7749, "99213", "11"
    ),
    "symptom": EncounterType(
        snomed("185345009", "Encounter for symptom (procedure)"), "ambulatory", 7749, "99213", "11"
    ),
    "urgent_care": EncounterType(
        snomed("702927004", "Urgent care clinic (environment)"), "urgentcare", 12916, "S9083", "20"
    ),
    "emergency": EncounterType(
        snomed("50849002", "Emergency room admission (procedure)"), "emergency", 129_616, "99284", "23"
    ),
    "admission_emergency": EncounterType(
        snomed("183452005", "Emergency hospital admission (procedure)"), "inpatient", 0, "99223", "21"
    ),
    "admission_surgical": EncounterType(
        snomed("305408004", "Admission to surgical department (procedure)"), "inpatient", 0, "99223", "21"
    ),
    "admission_oncology": EncounterType(
        snomed("308251003", "Admission to clinical oncology department (procedure)"),
        "inpatient",
        0,
        "99223",
        "21",
    ),
    "admission_transplant": EncounterType(
        snomed("305432006", "Admission to surgical transplant department (procedure)"),
        "inpatient",
        0,
        "99223",
        "21",
    ),
    "admission_rehabilitation": EncounterType(
        snomed("32485007", "Hospital admission (procedure)"), "inpatient", 0, "99223", "21"
    ),
}

# Inpatient stays are charged per day (room, board and nursing), at least one day.
INPATIENT_DAILY_COST_CENTS = (215_000, 340_000)

# Preventive-medicine visit CPT codes by age band (partner claims).
WELLNESS_CPT_BY_MIN_AGE = (
    (65, "99397"),
    (40, "99396"),
    (18, "99395"),
    (12, "99394"),
    (5, "99393"),
    (1, "99392"),
    (0, "99391"),
)

# --- Conditions ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConditionDef:
    code: Code
    icd10: str  # ICD-10-CM for the partner claims
    disease: str  # plain-language name (treatment records, dashboards)
    chronic: bool


def _condition(code: str, display: str, icd10: str, disease: str, chronic: bool) -> ConditionDef:
    return ConditionDef(snomed(code, display), icd10, disease, chronic)


CONDITIONS: dict[str, ConditionDef] = {
    # chronic
    "hypertension": _condition("59621000", "Essential hypertension (disorder)", "I10", "Hypertension", True),
    "hyperlipidemia": _condition("55822004", "Hyperlipidemia (disorder)", "E78.5", "Hyperlipidemia", True),
    "prediabetes": _condition("15777000", "Prediabetes", "R73.03", "Prediabetes", True),
    "diabetes": _condition("44054006", "Diabetes mellitus type 2 (disorder)", "E11.9", "Diabetes", True),
    "obesity": _condition("162864005", "Body mass index 30+ - obesity (finding)", "E66.9", "Obesity", True),
    "chf": _condition(
        "88805009", "Chronic congestive heart failure (disorder)", "I50.9", "Heart failure", True
    ),
    "copd": _condition("185086009", "Chronic obstructive bronchitis (disorder)", "J44.9", "COPD", True),
    "emphysema": _condition("87433001", "Pulmonary emphysema (disorder)", "J43.9", "COPD", True),
    "ckd3": _condition(
        "433144002", "Chronic kidney disease stage 3 (disorder)", "N18.30", "Chronic kidney disease", True
    ),
    "esrd": _condition(
        "46177005", "End-stage renal disease (disorder)", "N18.6", "Chronic kidney disease", True
    ),
    "afib": _condition("49436004", "Atrial fibrillation (disorder)", "I48.91", "Atrial fibrillation", True),
    "chd": _condition("53741008", "Coronary Heart Disease", "I25.10", "Coronary heart disease", True),
    "asthma": _condition("195967001", "Asthma (disorder)", "J45.909", "Asthma", True),
    "childhood_asthma": _condition("233678006", "Childhood asthma (disorder)", "J45.909", "Asthma", True),
    "chronic_pain": _condition("82423001", "Chronic pain (finding)", "G89.29", "Chronic pain", True),
    "anemia": _condition("271737000", "Anemia (disorder)", "D64.9", "Anemia", True),
    "lung_cancer": _condition(
        "254637007", "Non-small cell lung cancer (disorder)", "C34.90", "Lung cancer", True
    ),
    "colon_cancer": _condition(
        "363406005", "Malignant neoplasm of colon (disorder)", "C18.9", "Colon cancer", True
    ),
    # acute: reasons for hospital stays
    "pneumonia": _condition("233604007", "Pneumonia (disorder)", "J18.9", "Pneumonia", False),
    "sepsis": _condition("91302008", "Sepsis (disorder)", "A41.9", "Sepsis", False),
    "mi": _condition("22298006", "Myocardial infarction (disorder)", "I21.9", "Myocardial infarction", False),
    "stroke": _condition("230690007", "Cerebrovascular accident (disorder)", "I63.9", "Stroke", False),
    "hip_fracture": _condition(
        "359817006", "Closed fracture of hip (disorder)", "S72.009A", "Hip fracture", False
    ),
    "appendicitis": _condition("74400008", "Appendicitis (disorder)", "K37", "Appendicitis", False),
    "covid19": _condition(
        "840539006",
        "Disease caused by severe acute respiratory syndrome coronavirus 2 (disorder)",
        "U07.1",
        "COVID-19",
        False,
    ),
    # acute: office, urgent care and emergency visits
    "viral_sinusitis": _condition("444814009", "Viral sinusitis (disorder)", "J01.90", "Sinusitis", False),
    "viral_pharyngitis": _condition(
        "195662009", "Acute viral pharyngitis (disorder)", "J02.9", "Pharyngitis", False
    ),
    "strep_throat": _condition(
        "43878008", "Streptococcal sore throat (disorder)", "J02.0", "Strep throat", False
    ),
    "acute_bronchitis": _condition("10509002", "Acute bronchitis (disorder)", "J20.9", "Bronchitis", False),
    "otitis_media": _condition("65363002", "Otitis media (disorder)", "H66.90", "Otitis media", False),
    "cystitis": _condition(
        "307426000", "Acute infective cystitis (disorder)", "N30.00", "Urinary tract infection", False
    ),
    "ankle_sprain": _condition("44465007", "Sprain of ankle (disorder)", "S93.409A", "Ankle sprain", False),
    "rib_fracture": _condition("33737001", "Fracture of rib (disorder)", "S22.39XA", "Rib fracture", False),
    "concussion": _condition(
        "62106007", "Concussion with no loss of consciousness (disorder)", "S06.0X0A", "Concussion", False
    ),
    "laceration": _condition("312608009", "Laceration - injury (disorder)", "T14.8XXA", "Laceration", False),
}

# ICD-10-CM for visits that have no diagnosis of their own (partner claims only).
ICD10_ADULT_EXAM = "Z00.00"
ICD10_CHILD_EXAM = "Z00.129"
ICD10_IMMUNIZATION = "Z23"
ICD10_CHEMOTHERAPY_ENCOUNTER = "Z51.11"
ICD10_STROKE_SEQUELAE = "I69.398"
ICD10_HIP_FRACTURE_AFTERCARE = "S72.009D"

# --- Procedures ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcedureDef:
    code: Code
    hcpcs: str  # CPT (5 digits) or HCPCS Level II (letter + 4 digits)
    cost_cents: tuple[int, int]  # low, high


def _procedure(code: str, display: str, hcpcs: str, low: int, high: int) -> ProcedureDef:
    return ProcedureDef(snomed(code, display), hcpcs, (low, high))


PROCEDURES: dict[str, ProcedureDef] = {
    # preventive and office
    "depression_screening": _procedure(
        "171207006", "Depression screening (procedure)", "G0444", 51665, 51665
    ),
    "needs_assessment": _procedure(
        "710824005", "Assessment of health and social care needs (procedure)", "96160", 51665, 51665
    ),
    "substance_assessment": _procedure(
        "428211000124100", "Assessment of substance use (procedure)", "99408", 51665, 51665
    ),
    "medication_reconciliation": _procedure(
        "430193006", "Medication reconciliation (procedure)", "G8427", 41909, 93444
    ),
    "colonoscopy": _procedure("73761001", "Colonoscopy (procedure)", "45378", 948956, 1448386),
    "spirometry": _procedure("127783003", "Spirometry (procedure)", "94010", 48_000, 66_000),
    # emergency and inpatient diagnostics and treatment
    "chest_xray": _procedure("399208008", "Plain X-ray of chest (procedure)", "71046", 31_000, 74_675),
    "ecg": _procedure("29303009", "Electrocardiographic procedure (procedure)", "93000", 9_500, 21_000),
    "echocardiography": _procedure("40701008", "Echocardiography (procedure)", "93306", 79433, 91553),
    "pci": _procedure("415070008", "Percutaneous coronary intervention", "92928", 1703260, 3258908),
    "cabg": _procedure("232717009", "Coronary artery bypass grafting (procedure)", "33533", 7050371, 8043637),
    "oxygen_mask": _procedure(
        "371908008", "Oxygen administration by mask (procedure)", "94640", 12_000, 31_000
    ),
    "antibiotic_therapy": _procedure("281789004", "Antibiotic therapy (procedure)", "96365", 42_000, 98_000),
    "blood_culture": _procedure("30088009", "Blood culture (procedure)", "87040", 8_500, 19_000),
    "ct_head": _procedure("303653007", "Computed tomography of head (procedure)", "70450", 120_000, 260_000),
    "pelvis_xray": _procedure("713021002", "Plain X-ray of pelvis (procedure)", "72170", 28_000, 52_000),
    "bone_immobilization": _procedure("274474001", "Bone immobilization (procedure)", "29125", 51665, 51665),
    "appendectomy": _procedure("80146002", "Excision of appendix (procedure)", "44950", 1_250_000, 2_100_000),
    "intubation": _procedure("52765003", "Intubation (procedure)", "31500", 95_000, 160_000),
    # planned readmissions (see PLANNED_READMISSION_PROCEDURE_CODES)
    "chemotherapy": _procedure("367336001", "Chemotherapy (procedure)", "96413", 1_100_000, 2_400_000),
    "kidney_transplant": _procedure(
        "70536003", "Transplant of kidney (procedure)", "50360", 9_800_000, 14_500_000
    ),
    "rehabilitation": _procedure(
        "52052004", "Rehabilitation therapy (regime/therapy)", "97110", 180_000, 420_000
    ),
    "hemodialysis": _procedure("265764009", "Renal dialysis (procedure)", "90935", 240_000, 410_000),
}

# HEDIS Plan All-Cause Readmissions excludes planned readmissions (maintenance
# chemotherapy, organ transplant, rehabilitation, ...). A downstream planned-readmission
# list that contains these codes recognises every planned stay this generator creates:
# each planned stay has one of these encounter types AND one of these procedures.
PLANNED_READMISSION_PROCEDURE_CODES = frozenset(
    {
        PROCEDURES["chemotherapy"].code.code,  # 367336001 Chemotherapy (procedure)
        PROCEDURES["kidney_transplant"].code.code,  # 70536003 Transplant of kidney (procedure)
        PROCEDURES["rehabilitation"].code.code,  # 52052004 Rehabilitation therapy (regime/therapy)
    }
)
PLANNED_READMISSION_ENCOUNTER_TYPE_CODES = frozenset(
    {
        ENCOUNTER_TYPES["admission_oncology"].code.code,  # 308251003
        ENCOUNTER_TYPES["admission_transplant"].code.code,  # 305432006
        ENCOUNTER_TYPES["admission_rehabilitation"].code.code,  # 32485007
    }
)

# --- Observations --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObservationDef:
    code: Code
    category: str  # vital-signs | laboratory | survey
    unit: str  # UCUM; "" for coded values


def _loinc(code: str, display: str, category: str, unit: str) -> ObservationDef:
    return ObservationDef(Code(LOINC, code, display), category, unit)


OBSERVATIONS: dict[str, ObservationDef] = {
    "height": _loinc("8302-2", "Body Height", "vital-signs", "cm"),
    "weight": _loinc("29463-7", "Body Weight", "vital-signs", "kg"),
    "bmi": _loinc("39156-5", "Body mass index (BMI) [Ratio]", "vital-signs", "kg/m2"),
    "bp_panel": _loinc("85354-9", "Blood pressure panel with all children optional", "vital-signs", ""),
    "systolic": _loinc("8480-6", "Systolic Blood Pressure", "vital-signs", "mm[Hg]"),
    "diastolic": _loinc("8462-4", "Diastolic Blood Pressure", "vital-signs", "mm[Hg]"),
    "heart_rate": _loinc("8867-4", "Heart rate", "vital-signs", "/min"),
    "respiratory_rate": _loinc("9279-1", "Respiratory rate", "vital-signs", "/min"),
    "pain": _loinc(
        "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "vital-signs", "{score}"
    ),
    "temperature": _loinc("8310-5", "Body temperature", "vital-signs", "Cel"),
    "oxygen_saturation": _loinc(
        "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "vital-signs", "%"
    ),
    "smoking_status": _loinc("72166-2", "Tobacco smoking status", "survey", ""),
    "glucose": _loinc("2339-0", "Glucose [Mass/volume] in Blood", "laboratory", "mg/dL"),
    "urea_nitrogen": _loinc("6299-2", "Urea nitrogen [Mass/volume] in Blood", "laboratory", "mg/dL"),
    "creatinine": _loinc("38483-4", "Creatinine [Mass/volume] in Blood", "laboratory", "mg/dL"),
    "calcium": _loinc("49765-1", "Calcium [Mass/volume] in Blood", "laboratory", "mg/dL"),
    "sodium": _loinc("2947-0", "Sodium [Moles/volume] in Blood", "laboratory", "mmol/L"),
    "potassium": _loinc("6298-4", "Potassium [Moles/volume] in Blood", "laboratory", "mmol/L"),
    "chloride": _loinc("2069-3", "Chloride [Moles/volume] in Blood", "laboratory", "mmol/L"),
    "carbon_dioxide": _loinc(
        "20565-8", "Carbon dioxide, total [Moles/volume] in Blood", "laboratory", "mmol/L"
    ),
    "cholesterol": _loinc("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "laboratory", "mg/dL"),
    "triglycerides": _loinc("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "laboratory", "mg/dL"),
    "ldl": _loinc(
        "18262-6",
        "Cholesterol in LDL [Mass/volume] in Serum or Plasma by Direct assay",
        "laboratory",
        "mg/dL",
    ),
    "hdl": _loinc("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "laboratory", "mg/dL"),
    "hba1c": _loinc("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "laboratory", "%"),
    "egfr": _loinc(
        "33914-3",
        "Glomerular filtration rate [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)/1.73 sq M",
        "laboratory",
        "mL/min/{1.73_m2}",
    ),
    "troponin": _loinc(
        "89579-7",
        "Troponin I.cardiac [Mass/volume] in Serum or Plasma by High sensitivity method",
        "laboratory",
        "ng/L",
    ),
    "nt_probnp": _loinc(
        "33762-6",
        "Natriuretic peptide.B prohormone N-Terminal [Mass/volume] in Serum or Plasma",
        "laboratory",
        "pg/mL",
    ),
    "leukocytes": _loinc(
        "6690-2", "Leukocytes [#/volume] in Blood by Automated count", "laboratory", "10*3/uL"
    ),
    "hemoglobin": _loinc("718-7", "Hemoglobin [Mass/volume] in Blood", "laboratory", "g/dL"),
}

# Lab panels reported as a DiagnosticReport with their member observations.
LAB_PANELS: dict[str, tuple[Code, tuple[str, ...]]] = {
    "metabolic": (
        Code(LOINC, "51990-0", "Basic metabolic panel - Blood"),
        (
            "glucose",
            "urea_nitrogen",
            "creatinine",
            "calcium",
            "sodium",
            "potassium",
            "chloride",
            "carbon_dioxide",
        ),
    ),
    "lipid": (
        Code(LOINC, "57698-3", "Lipid panel with direct LDL - Serum or Plasma"),
        ("cholesterol", "triglycerides", "ldl", "hdl"),
    ),
    "cbc": (Code(LOINC, "58410-2", "CBC panel - Blood by Automated count"), ("leukocytes", "hemoglobin")),
}

SMOKING_STATUS: dict[str, Code] = {
    "never": snomed("266919005", "Never smoked tobacco (finding)"),
    "former": snomed("8517006", "Ex-smoker (finding)"),
    "current": snomed("449868002", "Smokes tobacco daily (finding)"),
}

# --- Medications ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MedicationDef:
    code: Code
    cost_per_dispense_cents: int


def _rx(code: str, display: str, cents: int) -> MedicationDef:
    return MedicationDef(Code(RXNORM, code, display), cents)


MEDICATIONS: dict[str, MedicationDef] = {
    "lisinopril": _rx("314076", "lisinopril 10 MG Oral Tablet", 987),
    "hydrochlorothiazide": _rx("310798", "Hydrochlorothiazide 25 MG Oral Tablet", 712),
    "amlodipine": _rx("308136", "amLODIPine 2.5 MG Oral Tablet", 1145),
    "simvastatin": _rx("314231", "Simvastatin 10 MG Oral Tablet", 1030),
    "metformin": _rx("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", 1480),
    "insulin": _rx(
        "106892",
        "insulin isophane, human 70 UNT/ML / insulin, regular, human 30 UNT/ML Injectable Suspension [Humulin]",
        14250,
    ),
    "furosemide": _rx("313988", "Furosemide 40 MG Oral Tablet", 860),
    "carvedilol": _rx("200033", "carvedilol 25 MG Oral Tablet", 1320),
    "metoprolol": _rx("866412", "24 HR metoprolol succinate 100 MG Extended Release Oral Tablet", 2130),
    "fluticasone_salmeterol": _rx(
        "896209",
        "60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler",
        31040,
    ),
    "albuterol": _rx(
        "745752", "NDA021457 200 ACTUAT albuterol 0.09 MG/ACTUAT Metered Dose Inhaler [ProAir]", 6490
    ),
    "warfarin": _rx("855332", "Warfarin Sodium 5 MG Oral Tablet", 1210),
    "digoxin": _rx("197604", "Digoxin 0.125 MG Oral Tablet", 1840),
    "clopidogrel": _rx("309362", "Clopidogrel 75 MG Oral Tablet", 1560),
    "nitroglycerin": _rx("705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", 9811),
    "tacrolimus": _rx("1664463", "24 HR tacrolimus 1 MG Extended Release Oral Tablet [Envarsus]", 64000),
    "amoxicillin": _rx("308192", "Amoxicillin 500 MG Oral Tablet", 1240),
    "amoxicillin_clavulanate": _rx("562251", "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", 2630),
    "penicillin_v": _rx("834102", "Penicillin V Potassium 500 MG Oral Tablet", 980),
    "ciprofloxacin": _rx("309309", "ciprofloxacin 500 MG Oral Tablet", 1190),
    "acetaminophen": _rx("313782", "Acetaminophen 325 MG Oral Tablet", 516),
    "ibuprofen": _rx("310965", "Ibuprofen 200 MG Oral Tablet", 420),
    "furosemide_injection": _rx("1719286", "10 ML Furosemide 10 MG/ML Injection", 2370),
    "cefazolin_injection": _rx("1665060", "cefazolin 2000 MG Injection", 4190),
    "heparin_injection": _rx("1659263", "1 ML heparin sodium, porcine 5000 UNT/ML Injection", 1830),
    "alteplase_injection": _rx("1804799", "Alteplase 100 MG Injection", 890000),
    "saline_injection": _rx("313002", "Sodium Chloride 9 MG/ML Injectable Solution", 540),
}

# --- Immunizations -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImmunizationDef:
    code: Code
    cpt: str
    cost_cents: int


def _cvx(code: str, display: str, cpt: str) -> ImmunizationDef:
    return ImmunizationDef(Code(CVX, code, display), cpt, 14052)


IMMUNIZATIONS: dict[str, ImmunizationDef] = {
    "influenza": _cvx("140", "Influenza, seasonal, injectable, preservative free", "90686"),
    "td": _cvx("113", "Td (adult) preservative free", "90714"),
    "tdap": _cvx("115", "Tdap", "90715"),
    "pcv13": _cvx("133", "Pneumococcal conjugate PCV 13", "90670"),
    "ppsv23": _cvx("33", "pneumococcal polysaccharide vaccine, 23 valent", "90732"),
    "zoster": _cvx("121", "zoster vaccine, live", "90736"),
    "covid19": _cvx("208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose", "91300"),
    "hpv": _cvx("62", "HPV, quadrivalent", "90649"),
    "hep_b_pediatric": _cvx("08", "Hep B, adolescent or pediatric", "90744"),
    "dtap": _cvx("20", "DTaP", "90700"),
    "ipv": _cvx("10", "IPV", "90713"),
    "mmr": _cvx("03", "MMR", "90707"),
    "varicella": _cvx("21", "varicella", "90716"),
    "hib": _cvx("49", "Hib (PRP-OMP)", "90647"),
    "meningococcal": _cvx("114", "meningococcal MCV4P", "90734"),
}

# --- Hospital discharge --------------------------------------------------------------

DISCHARGE: dict[str, Code] = {
    "home": Code(NUBC, "01", "Discharged to home or self care (routine discharge)"),
    "transfer": Code(
        NUBC, "02", "Discharged/transferred to a short-term general hospital for inpatient care"
    ),
    "snf": Code(NUBC, "03", "Discharged/transferred to skilled nursing facility (SNF)"),
    "home_health": Code(
        NUBC, "06", "Discharged/transferred to home under care of organized home health service"
    ),
    "against_advice": Code(NUBC, "07", "Left against medical advice or discontinued care"),
    "expired": Code(NUBC, "20", "Expired"),
}

# --- Demographics --------------------------------------------------------------------

RACE_OMB: dict[str, tuple[str, str]] = {
    "white": ("2106-3", "White"),
    "black": ("2054-5", "Black or African American"),
    "asian": ("2028-9", "Asian"),
    "native": ("1002-5", "American Indian or Alaska Native"),
    "hawaiian": ("2076-8", "Native Hawaiian or Other Pacific Islander"),
    "other": ("2131-1", "Other Race"),
}
ETHNICITY_OMB: dict[str, tuple[str, str]] = {
    "hispanic": ("2135-2", "Hispanic or Latino"),
    "nonhispanic": ("2186-5", "Not Hispanic or Latino"),
}

# --- Payers (ids and addresses as in Synthea's payers.csv) ----------------------------


@dataclass(frozen=True, slots=True)
class PayerDef:
    id: str
    name: str
    address: str
    city: str
    state: str
    zip: str
    phone: str
    terms: str  # key of adjudication.TERMS: medicare, dual, medicaid, private or self_pay


PAYERS: dict[str, PayerDef] = {
    "dual": PayerDef(
        "b3221cfc-24fb-339e-823d-bc4136cbc4ed",
        "Dual Eligible",
        "7500 Security Blvd",
        "Baltimore",
        "MD",
        "21244",
        "1-877-267-2323",
        "dual",
    ),
    "medicare": PayerDef(
        "7caa7254-5050-3b5e-9eae-bd5ea30e809c",
        "Medicare",
        "7500 Security Blvd",
        "Baltimore",
        "MD",
        "21244",
        "1-800-633-4227",
        "medicare",
    ),
    "medicaid": PayerDef(
        "7c4411ce-02f1-39b5-b9ec-dfbea9ad3c1a",
        "Medicaid",
        "7500 Security Blvd",
        "Baltimore",
        "MD",
        "21244",
        "1-877-267-2323",
        "medicaid",
    ),
    "humana": PayerDef(
        "d47b3510-2895-3b70-9897-342d681c769d",
        "Humana",
        "500 West Main St",
        "Louisville",
        "KY",
        "40018",
        "1-844-330-7799",
        "private",
    ),
    "bcbs": PayerDef(
        "6e2f1a2d-27bd-3701-8d08-dae202c58632",
        "Blue Cross Blue Shield",
        "Michigan Plaza",
        "Chicago",
        "IL",
        "60007",
        "1-800-262-2583",
        "private",
    ),
    "unitedhealthcare": PayerDef(
        "5059a55e-5d6e-34d1-b6cb-d83d16e57bcf",
        "UnitedHealthcare",
        "9800 Healthcare Lane",
        "Minnetonka",
        "MN",
        "55436",
        "1-888-545-5205",
        "private",
    ),
    "aetna": PayerDef(
        "4d71f845-a6a9-3c39-b242-14d25ef86a8d",
        "Aetna",
        "151 Farmington Ave",
        "Hartford",
        "CT",
        "6156",
        "1-800-872-3862",
        "private",
    ),
    "cigna": PayerDef(
        "047f6ec3-6215-35eb-9608-f9dda363a44c",
        "Cigna Health",
        "900 Cottage Grove Rd",
        "Bloomfield",
        "CT",
        "6002",
        "1-800-997-1654",
        "private",
    ),
    "anthem": PayerDef(
        "42c4fca7-f8a9-3cd1-982a-dd9751bf3e2a",
        "Anthem",
        "220 Virginia Ave",
        "Indianapolis",
        "IN",
        "46204",
        "1-800-331-1476",
        "private",
    ),
    "none": PayerDef("b1c428d6-4f07-31e0-90f0-68ffa6ff8c76", "NO_INSURANCE", "", "", "", "", "", "self_pay"),
}

PRIVATE_PAYER_WEIGHTS = (
    ("bcbs", 0.25),
    ("unitedhealthcare", 0.18),
    ("aetna", 0.18),
    ("cigna", 0.12),
    ("humana", 0.12),
    ("anthem", 0.15),
)

# CARC group + reason codes used for denied partner-claim lines.
DENIAL_REASONS = ("CO-50", "CO-97", "CO-16", "CO-18", "CO-29", "CO-109", "CO-197", "PR-204", "CO-22")


def catalog_rows() -> list[tuple[str, str, str, str]]:
    """``(kind, system, code, display)`` for every clinical code the generator can emit."""
    rows: set[tuple[str, str, str, str]] = set()
    for encounter_type in ENCOUNTER_TYPES.values():
        rows.add(
            (
                "encounter_type",
                encounter_type.code.system,
                encounter_type.code.code,
                encounter_type.code.display,
            )
        )
    for condition in CONDITIONS.values():
        rows.add(("condition", condition.code.system, condition.code.code, condition.code.display))
    for procedure in PROCEDURES.values():
        rows.add(("procedure", procedure.code.system, procedure.code.code, procedure.code.display))
    for observation in OBSERVATIONS.values():
        rows.add(("observation", observation.code.system, observation.code.code, observation.code.display))
    for panel_code, _ in LAB_PANELS.values():
        rows.add(("diagnostic_report", panel_code.system, panel_code.code, panel_code.display))
    for status in SMOKING_STATUS.values():
        rows.add(("observation_value", status.system, status.code, status.display))
    for medication in MEDICATIONS.values():
        rows.add(("medication", medication.code.system, medication.code.code, medication.code.display))
    for immunization in IMMUNIZATIONS.values():
        rows.add(
            ("immunization", immunization.code.system, immunization.code.code, immunization.code.display)
        )
    for disposition in DISCHARGE.values():
        rows.add(("discharge_disposition", disposition.system, disposition.code, disposition.display))
    return sorted(rows)
