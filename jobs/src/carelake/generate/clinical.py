"""What happens at each encounter: diagnoses, vital signs, labs, procedures, drugs, vaccines.

This module turns a schedule of encounters into clinical records and prices every
encounter as a claim. It keeps a little state per patient (which conditions are recorded,
which vaccines were given) so the history reads like one person's record.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from carelake.generate.catalog import (
    CONDITIONS,
    ENCOUNTER_TYPES,
    IMMUNIZATIONS,
    INPATIENT_DAILY_COST_CENTS,
    LAB_PANELS,
    MEDICATIONS,
    PROCEDURES,
    SMOKING_STATUS,
    WELLNESS_CPT_BY_MIN_AGE,
)
from carelake.generate.ids import synthea_uuid
from carelake.generate.model import (
    ClaimLine,
    ConditionRecord,
    EncounterRecord,
    ImmunizationRecord,
    MedicationRecord,
    ObservationRecord,
    Person,
    ProcedureRecord,
    ReportRecord,
)
from carelake.generate.timeutil import SECONDS_PER_DAY, SECONDS_PER_HOUR, age_on, local_timestamp, utc_date

H = SECONDS_PER_HOUR
MINUTE = 60

# Chronic conditions: probability at the as-of age, as (minimum age, base, per year of age
# above the minimum, cap). Lung disease depends on smoking, so it is handled separately.
CHRONIC_RISK: dict[str, tuple[int, float, float, float]] = {
    "hypertension": (18, 0.05, 0.009, 0.65),
    "hyperlipidemia": (25, 0.03, 0.008, 0.5),
    "diabetes": (25, 0.02, 0.005, 0.3),
    "obesity": (18, 0.3, 0.0, 0.3),
    "chf": (50, 0.02, 0.006, 0.22),
    "ckd3": (50, 0.02, 0.004, 0.2),
    "esrd": (40, 0.012, 0.0, 0.012),
    "afib": (60, 0.02, 0.006, 0.2),
    "chd": (45, 0.02, 0.006, 0.25),
    "chronic_pain": (30, 0.08, 0.0, 0.08),
    "anemia": (0, 0.04, 0.0, 0.04),
    "colon_cancer": (50, 0.015, 0.0, 0.015),
}
CANCERS = ("lung_cancer", "colon_cancer")

# Medications started for (and renewed at follow-ups of) each chronic condition.
CHRONIC_MEDICATIONS: dict[str, tuple[tuple[str, float], ...]] = {
    "hypertension": (("lisinopril", 1.0), ("hydrochlorothiazide", 0.4), ("amlodipine", 0.3)),
    "hyperlipidemia": (("simvastatin", 1.0),),
    "diabetes": (("metformin", 1.0), ("insulin", 0.2)),
    "chf": (("furosemide", 1.0), ("carvedilol", 0.8)),
    "copd": (("fluticasone_salmeterol", 1.0), ("albuterol", 0.8)),
    "emphysema": (("fluticasone_salmeterol", 1.0), ("albuterol", 0.8)),
    "afib": (("warfarin", 0.7), ("digoxin", 0.3)),
    "chd": (("metoprolol", 0.8), ("nitroglycerin", 0.5)),
    "asthma": (("albuterol", 1.0),),
    "childhood_asthma": (("albuterol", 1.0),),
}
FOLLOW_UP_CONDITIONS = (
    "hypertension", "hyperlipidemia", "diabetes", "chf", "copd", "emphysema", "ckd3", "esrd", "afib", "chd",
    "asthma", "childhood_asthma", "lung_cancer", "colon_cancer",
)  # fmt: skip

ED_PROCEDURES = {
    "mi": ("ecg",), "chf": ("ecg", "chest_xray"), "pneumonia": ("chest_xray",), "copd": ("chest_xray",),
    "emphysema": ("chest_xray",), "covid19": ("chest_xray",), "stroke": ("ct_head",), "sepsis": ("blood_culture",),
    "hip_fracture": ("pelvis_xray",), "ankle_sprain": ("bone_immobilization",), "rib_fracture": ("chest_xray",),
    "concussion": ("ct_head",), "acute_bronchitis": ("chest_xray",),
}  # fmt: skip
INPATIENT_PROCEDURES = {
    "chf": ("echocardiography",), "copd": ("oxygen_mask",), "emphysema": ("oxygen_mask",),
    "covid19": ("oxygen_mask",), "pneumonia": ("antibiotic_therapy",), "sepsis": ("antibiotic_therapy",),
    "hip_fracture": ("bone_immobilization",), "appendicitis": ("appendectomy",), "esrd": ("hemodialysis",),
    "lung_cancer": ("chest_xray",),
}  # fmt: skip
INPATIENT_MEDICATIONS = {
    "chf": ("furosemide_injection",), "pneumonia": ("cefazolin_injection",),
    "sepsis": ("cefazolin_injection", "saline_injection"), "appendicitis": ("cefazolin_injection",),
    "mi": ("heparin_injection",), "hip_fracture": ("heparin_injection",), "stroke": ("heparin_injection",),
}  # fmt: skip
PLANNED_PROCEDURE = {
    "admission_oncology": "chemotherapy",
    "admission_transplant": "kidney_transplant",
    "admission_rehabilitation": "rehabilitation",
}
ACUTE_OFFICE_REASONS = (
    ("viral_sinusitis", 4.0), ("viral_pharyngitis", 3.0), ("strep_throat", 1.0), ("acute_bronchitis", 2.0),
)  # fmt: skip
ANTIBIOTIC_FOR = {"strep_throat": 1.0, "otitis_media": 0.8, "cystitis": 1.0, "viral_sinusitis": 0.25}


def draw_chronic_onsets(person: Person, rng: random.Random, as_of: date) -> dict[str, date]:
    """Chronic conditions the patient has by ``as_of``, with the day each began."""
    age = age_on(person.birth_date, as_of)
    has: list[tuple[str, int]] = []  # (condition, youngest onset age)
    for key, (min_age, base, slope, cap) in CHRONIC_RISK.items():
        if age >= min_age and rng.random() < min(cap, base + slope * (age - min_age)):
            has.append((key, min_age))
    if "diabetes" not in dict(has) and age >= 20 and rng.random() < 0.12:
        has.append(("prediabetes", 20))
    smoker = person.smoking != "never"
    if age >= 40 and rng.random() < (0.22 if smoker else 0.03):
        has.append(("copd" if rng.random() < 0.7 else "emphysema", 40))
    if age >= 50 and rng.random() < (0.03 if smoker else 0.004):
        has.append(("lung_cancer", 50))
    if age < 18 and rng.random() < 0.08:
        has.append(("childhood_asthma", 2))
    elif age >= 18 and rng.random() < 0.05:
        has.append(("asthma", 18))
    onsets: dict[str, date] = {}
    for key, min_age in has:
        if key in CANCERS:
            earliest = max(person.birth_date + timedelta(days=365 * min_age), as_of - timedelta(days=6 * 365))
        else:
            earliest = person.birth_date + timedelta(days=365 * min_age)
        span = max(1, (as_of - timedelta(days=30) - earliest).days)
        onsets[key] = earliest + timedelta(days=rng.randrange(span))
    return onsets


@dataclass(slots=True)
class Baseline:
    """A patient's usual vital signs, around which each measurement varies."""

    height_cm: float
    bmi: float
    systolic: float
    diastolic: float
    heart_rate: float


def draw_baseline(person: Person, rng: random.Random, chronic: dict[str, date]) -> Baseline:
    tall = 176.0 if person.gender == "M" else 162.0
    bmi = rng.uniform(30.5, 39.0) if "obesity" in chronic else rng.uniform(19.5, 29.5)
    if "hypertension" in chronic:
        systolic, diastolic = rng.gauss(138, 9), rng.gauss(88, 6)
    else:
        systolic, diastolic = rng.gauss(117, 8), rng.gauss(75, 5)
    return Baseline(rng.gauss(tall, 6.5), bmi, systolic, diastolic, rng.uniform(62, 84))


@dataclass(slots=True)
class ClinicalState:
    """What the record already holds, so later encounters stay consistent."""

    person: Person
    rng: random.Random
    baseline: Baseline
    chronic_onsets: dict[str, date]
    as_of_end_ts: int
    chronic_records: dict[str, ConditionRecord] = field(default_factory=dict)
    latest_condition: dict[str, ConditionRecord] = field(default_factory=dict)
    given_vaccines: dict[str, int] = field(default_factory=dict)  # key -> last ts
    colonoscopy_done: bool = False
    transplanted: bool = False

    def new_id(self) -> str:
        return synthea_uuid(self.rng)

    def age(self, ts: int) -> int:
        return age_on(self.person.birth_date, utc_date(ts))

    def active_chronic(self, ts: int) -> list[str]:
        day = utc_date(ts)
        return [key for key, onset in self.chronic_onsets.items() if onset <= day]


# --- records --------------------------------------------------------------------------


def record_condition(
    state: ClinicalState, encounter: EncounterRecord, key: str, onset_ts: int
) -> ConditionRecord:
    condition = ConditionRecord(state.new_id(), key, onset_ts, encounter.start, encounter.id)
    if not CONDITIONS[key].chronic:
        heal_days = 30 if key in ("rib_fracture", "hip_fracture", "concussion") else 12
        abatement = encounter.end + state.rng.randint(heal_days // 2, heal_days * 2) * SECONDS_PER_DAY
        condition.abatement_ts = abatement if abatement <= state.as_of_end_ts else None
    encounter.conditions.append(condition)
    state.latest_condition[key] = condition
    if CONDITIONS[key].chronic:
        state.chronic_records[key] = condition
    return condition


def _observation(state: ClinicalState, encounter: EncounterRecord, key: str, ts: int, value: object) -> str:
    observation = ObservationRecord(state.new_id(), key, ts, value)  # type: ignore[arg-type]
    encounter.observations.append(observation)
    return observation.id


def add_vitals(state: ClinicalState, encounter: EncounterRecord, keys: tuple[str, ...], ts: int) -> None:
    rng, base = state.rng, state.baseline
    age = state.age(ts)
    height = base.height_cm if age >= 18 else min(base.height_cm, 52.0 + 6.8 * age)
    bmi = base.bmi if age >= 18 else rng.uniform(15.0, 20.0)
    febrile = encounter.reason_key in ("pneumonia", "sepsis", "covid19", "strep_throat", "acute_bronchitis")
    low_oxygen = encounter.reason_key in ("copd", "emphysema", "pneumonia", "covid19", "chf", "sepsis")
    for key in keys:
        if key == "bp_panel":
            systolic = round(base.systolic + rng.gauss(0, 6))
            diastolic = round(base.diastolic + rng.gauss(0, 4))
            observation = ObservationRecord(
                state.new_id(),
                key,
                ts,
                None,
                (("systolic", float(systolic)), ("diastolic", float(diastolic))),
            )
            encounter.observations.append(observation)
            continue
        value: object
        if key == "height":
            value = round(height, 1)
        elif key == "weight":
            value = round(bmi * (height / 100) ** 2 + rng.gauss(0, 0.8), 1)
        elif key == "bmi":
            value = round(bmi + rng.gauss(0, 0.3), 1)
        elif key == "heart_rate":
            value = float(round(base.heart_rate + rng.gauss(0, 5) + (18 if febrile else 0)))
        elif key == "respiratory_rate":
            value = float(rng.randint(20, 26) if low_oxygen else rng.randint(12, 18))
        elif key == "pain":
            value = float(rng.randint(4, 8) if "chronic_pain" in state.chronic_onsets else rng.randint(0, 3))
        elif key == "temperature":
            value = round(rng.uniform(37.8, 39.2) if febrile else rng.uniform(36.4, 37.2), 1)
        elif key == "oxygen_saturation":
            value = float(rng.randint(86, 93) if low_oxygen else rng.randint(95, 99))
        else:  # smoking_status
            value = SMOKING_STATUS[state.person.smoking]
        _observation(state, encounter, key, ts, value)


LAB_RANGES: dict[str, tuple[float, float, int]] = {
    "glucose": (75, 99, 1), "urea_nitrogen": (8, 20, 1), "creatinine": (0.7, 1.2, 2), "calcium": (8.6, 10.2, 1),
    "sodium": (136, 144, 1), "potassium": (3.6, 5.0, 1), "chloride": (98, 106, 1), "carbon_dioxide": (22, 29, 1),
    "cholesterol": (150, 199, 1), "triglycerides": (70, 149, 1), "ldl": (70, 129, 1), "hdl": (40, 70, 1),
    "hba1c": (4.8, 5.6, 1), "egfr": (70, 110, 1), "troponin": (2, 14, 1), "nt_probnp": (20, 125, 1),
    "leukocytes": (4.5, 10.0, 1), "hemoglobin": (12.0, 16.0, 1),
}  # fmt: skip


def _lab_range(state: ClinicalState, key: str, reason: str | None) -> tuple[float, float, int]:
    chronic = state.chronic_onsets
    low, high, digits = LAB_RANGES[key]
    if key == "glucose" and "diabetes" in chronic:
        low, high = 130, 220
    elif key == "glucose" and "prediabetes" in chronic:
        low, high = 100, 125
    elif key == "hba1c" and "diabetes" in chronic:
        low, high = 6.5, 9.5
    elif key == "hba1c" and "prediabetes" in chronic:
        low, high = 5.7, 6.4
    elif key in ("creatinine", "egfr", "urea_nitrogen") and ("esrd" in chronic or "ckd3" in chronic):
        esrd = "esrd" in chronic and not state.transplanted
        low, high = {
            "creatinine": (4.0, 8.0) if esrd else (1.6, 2.6),
            "egfr": (8, 14) if esrd else (30, 59),
            "urea_nitrogen": (40, 80) if esrd else (25, 45),
        }[key]
    elif key in ("cholesterol", "triglycerides", "ldl") and "hyperlipidemia" in chronic:
        low, high = {"cholesterol": (220, 280), "triglycerides": (160, 300), "ldl": (140, 190)}[key]
    elif key == "troponin" and reason == "mi":
        low, high = 120, 2500
    elif key == "nt_probnp" and "chf" in chronic:
        low, high = 900, 6000
    elif key == "leukocytes" and reason in ("sepsis", "pneumonia"):
        low, high = 12.0, 22.0
    elif key == "hemoglobin" and "anemia" in chronic:
        low, high = 9.0, 11.5
    return low, high, digits


def add_lab(state: ClinicalState, encounter: EncounterRecord, key: str, ts: int) -> str:
    low, high, digits = _lab_range(state, key, encounter.reason_key)
    return _observation(state, encounter, key, ts, round(state.rng.uniform(low, high), digits))


def add_panel(state: ClinicalState, encounter: EncounterRecord, panel: str, ts: int) -> None:
    ids = tuple(add_lab(state, encounter, key, ts) for key in LAB_PANELS[panel][1])
    encounter.reports.append(ReportRecord(state.new_id(), panel, ts, ids))


def add_procedure(
    state: ClinicalState, encounter: EncounterRecord, key: str, start: int, minutes: int
) -> None:
    low, high = PROCEDURES[key].cost_cents
    cost = low if low == high else state.rng.randint(low, high)
    end = min(encounter.end, start + minutes * MINUTE)
    reason = state.latest_condition.get(encounter.reason_key or "")
    encounter.procedures.append(ProcedureRecord(state.new_id(), key, start, max(start, end), cost, reason))


def add_medication(
    state: ClinicalState, encounter: EncounterRecord, key: str, start: int, dispenses: int, days: int
) -> None:
    stop = start + days * SECONDS_PER_DAY
    reason = state.latest_condition.get(encounter.reason_key or "")
    total = MEDICATIONS[key].cost_per_dispense_cents * dispenses
    medication = MedicationRecord(
        state.new_id(),
        key,
        start,
        stop if stop <= state.as_of_end_ts else None,
        dispenses,
        reason,
        state.new_id(),
    )
    medication.total_cents = total
    encounter.medications.append(medication)


def add_chronic_medications(
    state: ClinicalState, encounter: EncounterRecord, condition_key: str, ts: int
) -> None:
    for medication_key, probability in CHRONIC_MEDICATIONS.get(condition_key, ()):
        # The first-line drug is always renewed; add-on drugs depend on the patient, so
        # the draw uses a per-patient stream position that does not change between visits.
        if probability >= 1.0 or _sticky(state, f"{condition_key}:{medication_key}") < probability:
            months = state.rng.randint(3, 12)
            add_medication(state, encounter, medication_key, ts, months, months * 30)


def _sticky(state: ClinicalState, name: str) -> float:
    """A stable per-patient number in [0, 1) for ``name`` (same at every visit)."""
    return random.Random(f"{state.person.id}:{name}").random()


def add_immunization(state: ClinicalState, encounter: EncounterRecord, key: str, ts: int) -> None:
    encounter.immunizations.append(ImmunizationRecord(state.new_id(), key, ts, IMMUNIZATIONS[key].cost_cents))
    state.given_vaccines[key] = ts


# --- encounter content ----------------------------------------------------------------


def fill_wellness(state: ClinicalState, encounter: EncounterRecord) -> None:
    rng, ts = state.rng, encounter.start + 5 * MINUTE
    age = state.age(ts)
    if age < 18:
        add_vitals(state, encounter, ("height", "weight", "bmi", "heart_rate", "respiratory_rate"), ts)
        for key in _child_vaccines_due(state, age):
            add_immunization(state, encounter, key, ts)
        return
    add_vitals(
        state,
        encounter,
        ("height", "weight", "bmi", "bp_panel", "heart_rate", "respiratory_rate", "pain", "smoking_status"),
        ts,
    )
    chronic = state.active_chronic(ts)
    labs_at = ts + 20 * MINUTE
    if (age >= 40 or "diabetes" in chronic or "ckd3" in chronic) and rng.random() < 0.5:
        add_panel(state, encounter, "metabolic", labs_at)
    if (age >= 40 or "hyperlipidemia" in chronic) and rng.random() < 0.35:
        add_panel(state, encounter, "lipid", labs_at)
    if "diabetes" in chronic or "prediabetes" in chronic:
        add_lab(state, encounter, "hba1c", labs_at)
    procedure_at = ts + 10 * MINUTE
    if rng.random() < 0.8:
        add_procedure(state, encounter, "depression_screening", procedure_at, 10)
    if rng.random() < 0.4:
        add_procedure(state, encounter, "needs_assessment", procedure_at, 10)
    if rng.random() < 0.25:
        add_procedure(state, encounter, "substance_assessment", procedure_at, 10)
    if any(key in CHRONIC_MEDICATIONS for key in chronic):
        add_procedure(state, encounter, "medication_reconciliation", procedure_at, 10)
    if 50 <= age <= 75 and not state.colonoscopy_done and rng.random() < 0.12:
        add_procedure(state, encounter, "colonoscopy", procedure_at, 40)
        state.colonoscopy_done = True
    for key in _adult_vaccines_due(state, age, ts):
        add_immunization(state, encounter, key, ts)


def _child_vaccines_due(state: ClinicalState, age: int) -> list[str]:
    schedule = {0: ("hep_b_pediatric", "dtap", "ipv", "hib"), 1: ("mmr", "varicella", "dtap"), 4: ("dtap", "ipv", "mmr", "varicella"), 11: ("tdap", "hpv", "meningococcal")}  # fmt: skip
    due = [key for key in schedule.get(age, ()) if state.given_vaccines.get(key, -1) < 0 or age in (1, 4)]
    if age >= 1 and state.rng.random() < 0.6:
        due.append("influenza")
    return due


def _adult_vaccines_due(state: ClinicalState, age: int, ts: int) -> list[str]:
    given, rng = state.given_vaccines, state.rng
    due = ["influenza"] if rng.random() < 0.75 else []
    if ts - given.get("td", -(10**12)) > 10 * 365 * SECONDS_PER_DAY and rng.random() < 0.3:
        due.append("td")
    if age >= 65 and "pcv13" not in given:
        due.append("pcv13")
    elif age >= 66 and "ppsv23" not in given:
        due.append("ppsv23")
    if age >= 60 and "zoster" not in given and rng.random() < 0.5:
        due.append("zoster")
    if utc_date(ts) >= date(2021, 1, 1) and "covid19" not in given and rng.random() < 0.7:
        due.append("covid19")
    return due


def fill_follow_up(state: ClinicalState, encounter: EncounterRecord) -> None:
    rng, ts = state.rng, encounter.start + 5 * MINUTE
    reason = encounter.reason_key or ""
    add_vitals(state, encounter, ("bp_panel", "heart_rate", "weight"), ts)
    labs_at = ts + 15 * MINUTE
    if reason == "diabetes":
        add_lab(state, encounter, "hba1c", labs_at)
    elif reason in ("ckd3", "esrd"):
        add_lab(state, encounter, "egfr", labs_at)
        add_lab(state, encounter, "creatinine", labs_at)
    elif reason == "chf" and rng.random() < 0.3:
        add_lab(state, encounter, "nt_probnp", labs_at)
    elif reason == "hyperlipidemia" and rng.random() < 0.5:
        add_panel(state, encounter, "lipid", labs_at)
    elif reason in ("copd", "emphysema", "asthma") and rng.random() < 0.3:
        add_procedure(state, encounter, "spirometry", ts + 10 * MINUTE, 15)
    if rng.random() < 0.3:
        add_procedure(state, encounter, "medication_reconciliation", ts + 10 * MINUTE, 10)
    add_chronic_medications(state, encounter, reason, ts + 20 * MINUTE)
    if reason == "esrd" and state.transplanted:
        add_medication(state, encounter, "tacrolimus", ts + 20 * MINUTE, 6, 180)


def fill_new_diagnosis(state: ClinicalState, encounter: EncounterRecord, keys: list[str]) -> None:
    """A problem visit that diagnoses one or more chronic conditions and starts their drugs."""
    ts = encounter.start + 5 * MINUTE
    add_vitals(state, encounter, ("bp_panel", "heart_rate", "weight"), ts)
    for key in keys:
        onset = state.chronic_onsets[key]
        record_condition(state, encounter, key, min(encounter.start, _day_start(onset)))
        add_chronic_medications(state, encounter, key, ts + 15 * MINUTE)


def _day_start(day: date) -> int:
    return local_timestamp(day, 9 * H)


def fill_acute_visit(state: ClinicalState, encounter: EncounterRecord) -> None:
    rng, ts = state.rng, encounter.start + 5 * MINUTE
    reason = encounter.reason_key or "viral_sinusitis"
    record_condition(state, encounter, reason, encounter.start)
    add_vitals(state, encounter, ("temperature", "heart_rate", "respiratory_rate", "bp_panel"), ts)
    if rng.random() < ANTIBIOTIC_FOR.get(reason, 0.0):
        drug = {"cystitis": "ciprofloxacin", "strep_throat": "penicillin_v"}.get(reason, "amoxicillin")
        add_medication(state, encounter, drug, ts + 10 * MINUTE, 1, 10)


def fill_emergency(state: ClinicalState, encounter: EncounterRecord, admitted: bool) -> None:
    rng, ts = state.rng, encounter.start + 10 * MINUTE
    reason = encounter.reason_key or "laceration"
    if not CONDITIONS[reason].chronic or reason not in state.chronic_records:
        record_condition(state, encounter, reason, encounter.start)
    encounter.reason = state.latest_condition.get(reason)
    add_vitals(
        state,
        encounter,
        ("bp_panel", "heart_rate", "respiratory_rate", "temperature", "oxygen_saturation", "pain"),
        ts,
    )
    for offset, key in enumerate(ED_PROCEDURES.get(reason, ())):
        add_procedure(state, encounter, key, ts + (20 + 20 * offset) * MINUTE, 20)
    if reason == "mi":
        add_lab(state, encounter, "troponin", ts + 15 * MINUTE)
    if not admitted:
        drug = (
            "albuterol"
            if reason in ("copd", "emphysema", "asthma")
            else rng.choice(("acetaminophen", "ibuprofen"))
        )
        add_medication(state, encounter, drug, encounter.end - 10 * MINUTE, 1, 10)


def fill_inpatient(
    state: ClinicalState, encounter: EncounterRecord, from_emergency: EncounterRecord | None
) -> None:
    rng = state.rng
    reason = encounter.reason_key or "pneumonia"
    if encounter.planned:
        encounter.reason = state.latest_condition.get(reason)
    elif CONDITIONS[reason].chronic:
        encounter.reason = state.chronic_records.get(reason) or record_condition(
            state, encounter, reason, encounter.start
        )
    elif from_emergency is not None or encounter.reason is not None:
        encounter.reason = encounter.reason or state.latest_condition.get(reason)
    else:
        encounter.reason = record_condition(state, encounter, reason, encounter.start)
    admitted_at = encounter.start + 30 * MINUTE
    add_vitals(
        state,
        encounter,
        ("bp_panel", "heart_rate", "respiratory_rate", "temperature", "oxygen_saturation"),
        admitted_at,
    )
    if encounter.planned:
        procedure_key = PLANNED_PROCEDURE[encounter.type_key]
        minutes = max(60, (encounter.end - encounter.start) // MINUTE - 120)
        add_procedure(state, encounter, procedure_key, encounter.start + 60 * MINUTE, minutes)
        if procedure_key == "kidney_transplant":
            state.transplanted = True
            add_medication(state, encounter, "tacrolimus", encounter.end - H, 6, 180)
        return
    labs_at = encounter.start + H
    add_panel(state, encounter, "metabolic", labs_at)
    add_panel(state, encounter, "cbc", labs_at)
    if reason == "chf":
        add_lab(state, encounter, "nt_probnp", labs_at)
    procedure_at = encounter.start + 2 * H
    for key in _inpatient_procedures(state, encounter, reason):
        add_procedure(state, encounter, key, procedure_at, 90 if key in ("pci", "appendectomy") else 45)
        procedure_at += H
    for key in INPATIENT_MEDICATIONS.get(reason, ()):
        add_medication(state, encounter, key, labs_at, 1, 3)
    if reason == "stroke" and rng.random() < 0.3:
        add_medication(state, encounter, "alteplase_injection", labs_at, 1, 1)
    if reason == "mi" and encounter.discharge_key != "expired":
        add_medication(state, encounter, "clopidogrel", encounter.end - H, 6, 180)
    add_vitals(state, encounter, ("bp_panel", "heart_rate"), max(admitted_at, encounter.end - H))


def _inpatient_procedures(state: ClinicalState, encounter: EncounterRecord, reason: str) -> tuple[str, ...]:
    if reason == "mi":
        if encounter.type_key == "admission_surgical":
            return ("cabg",)
        return ("pci",) if state.rng.random() < 0.8 else ()
    if reason == "sepsis" and state.rng.random() < 0.15:
        return ("antibiotic_therapy", "intubation")
    return INPATIENT_PROCEDURES.get(reason, ())


# --- claims ---------------------------------------------------------------------------


def price_encounter(state: ClinicalState, encounter: EncounterRecord) -> None:
    """Turn an encounter into priced claim lines (billed charges); the payer's decision on
    them comes later (carelake.generate.adjudication)."""
    encounter_type = ENCOUNTER_TYPES[encounter.type_key]
    if encounter.encounter_class == "inpatient":
        days = max(1, round((encounter.end - encounter.start) / SECONDS_PER_DAY))
        base = days * state.rng.randint(*INPATIENT_DAILY_COST_CENTS)
    else:
        base = encounter_type.base_cost_cents
    cpt = encounter_type.cpt
    if encounter.encounter_class == "wellness":
        age = state.age(encounter.start)
        cpt = next(code for min_age, code in WELLNESS_CPT_BY_MIN_AGE if age >= min_age)
    lines = [ClaimLine("encounter", encounter_type.code, base, 0, encounter.id, cpt)]
    diagnoses = list(encounter.conditions)
    if encounter.reason is not None and encounter.reason not in diagnoses:
        diagnoses.append(encounter.reason)
    for condition in diagnoses:
        lines.append(ClaimLine("diagnosis", CONDITIONS[condition.key].code, 0, 0, condition.id, ""))
    for procedure in encounter.procedures:
        definition = PROCEDURES[procedure.key]
        lines.append(
            ClaimLine("procedure", definition.code, procedure.cost_cents, 0, procedure.id, definition.hcpcs)
        )
    for immunization in encounter.immunizations:
        definition = IMMUNIZATIONS[immunization.key]
        lines.append(
            ClaimLine(
                "immunization", definition.code, immunization.cost_cents, 0, immunization.id, definition.cpt
            )
        )
    encounter.claim_lines = lines
    encounter.claim_id = state.new_id()
    encounter.eob_id = state.new_id()
