"""One patient's history: demographics, hospital stays, routine visits and their content."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from carelake.generate.adjudication import adjudicate_patient
from carelake.generate.catalog import ENCOUNTER_TYPES
from carelake.generate.clinical import (
    ACUTE_OFFICE_REASONS,
    FOLLOW_UP_CONDITIONS,
    ClinicalState,
    draw_baseline,
    draw_chronic_onsets,
    fill_acute_visit,
    fill_emergency,
    fill_follow_up,
    fill_inpatient,
    fill_new_diagnosis,
    fill_wellness,
    price_encounter,
    record_condition,
)
from carelake.generate.directory import Directory, Organization, Practitioner
from carelake.generate.hospital import HospitalHistory, PlannedStay, StayPlanner
from carelake.generate.ids import poisson, stream, synthea_uuid, weighted_choice
from carelake.generate.model import EncounterRecord, PatientRecord, Person
from carelake.generate.people import build_coverage, make_person
from carelake.generate.settings import Settings
from carelake.generate.timeutil import SECONDS_PER_HOUR, age_on, local_timestamp, utc_date

H = SECONDS_PER_HOUR
MINUTE = 60

SPECIALTY_FOR_REASON = {
    "chf": "CARDIOVASCULAR DISEASE (CARDIOLOGY)", "mi": "CARDIOVASCULAR DISEASE (CARDIOLOGY)",
    "copd": "PULMONARY DISEASE", "emphysema": "PULMONARY DISEASE", "pneumonia": "PULMONARY DISEASE",
    "covid19": "PULMONARY DISEASE", "sepsis": "INTERNAL MEDICINE", "stroke": "NEUROLOGY",
    "hip_fracture": "ORTHOPEDIC SURGERY", "appendicitis": "GENERAL SURGERY", "lung_cancer": "HEMATOLOGY/ONCOLOGY",
    "colon_cancer": "HEMATOLOGY/ONCOLOGY", "esrd": "NEPHROLOGY",
}  # fmt: skip
SPECIALTY_FOR_ADMISSION_TYPE = {
    "admission_oncology": "HEMATOLOGY/ONCOLOGY",
    "admission_transplant": "NEPHROLOGY",
    "admission_rehabilitation": "PHYSICAL MEDICINE AND REHABILITATION",
    "admission_surgical": "CARDIAC SURGERY",
}
# Priority when two routine visits fall on the same day (lower wins).
VISIT_PRIORITY = {"problem": 0, "wellness": 1, "followup": 2, "symptom": 3, "urgent_care": 3, "emergency": 4}


@dataclass(slots=True)
class Visit:
    """A routine (non-inpatient) visit on the schedule, before it is timed and filled."""

    kind: str  # wellness | problem | followup | symptom | urgent_care | emergency
    day: date
    reason_key: str | None = None


def simulate_patient(settings: Settings, directory: Directory, index: int) -> PatientRecord:
    rng = stream(settings.seed, "patient", index)
    person = make_person(settings, directory, index, rng)
    start = max(settings.history_start, person.birth_date)
    chronic = draw_chronic_onsets(person, rng, settings.as_of)
    baseline = draw_baseline(person, rng, chronic)
    outside_death = _out_of_hospital_death(person, rng, start, settings.as_of)
    planner_end = settings.as_of if outside_death is None else utc_date(outside_death) - timedelta(days=31)
    hospital = StayPlanner(
        rng, person.region, person.birth_date, chronic, start, planner_end, settings.readmission_rate
    ).plan()
    person.deceased_ts = hospital.death_ts if hospital.death_ts is not None else outside_death
    last_day = utc_date(person.deceased_ts) if person.deceased_ts is not None else settings.as_of
    person.coverage = build_coverage(person, rng, start, last_day + timedelta(days=1))  # ends at death
    chronic = {key: onset for key, onset in chronic.items() if onset <= last_day}

    stay_encounters = _stay_encounters(directory, rng, hospital)
    busy = [(stay.admit_day - timedelta(days=1), stay.discharge_day) for stay in hospital.stays]
    visits = _schedule_visits(person, rng, chronic, start, last_day, busy, hospital)
    routine = [_timed_visit(directory, person, rng, visit) for visit in visits]
    hospital_encounters = [e for pair in stay_encounters for e in pair if e is not None]
    encounters = sorted([*routine, *hospital_encounters], key=lambda e: (e.start, e.end))
    if person.deceased_ts is not None:
        encounters = [e for e in encounters if e.end <= person.deceased_ts]

    state = ClinicalState(person, rng, baseline, chronic, settings.as_of_end_ts)
    emergency_before = {id(inpatient): ed for inpatient, ed in stay_encounters if ed is not None}
    admitted_from_emergency = {id(ed) for ed in emergency_before.values()}
    first_leg_of = _transfer_first_legs(stay_encounters, hospital)
    new_diagnoses = {id(e): keys for e, keys in _diagnosis_visits(routine, visits)}
    for position, encounter in enumerate(encounters):
        encounter.payer_key = person.payer_key_on(utc_date(encounter.start))
        if position == 0:
            _record_prior_conditions(state, encounter, start)
        _fill(state, encounter, emergency_before, admitted_from_emergency, first_leg_of, new_diagnoses)
        price_encounter(state, encounter)
    adjudicate_patient(settings.seed, index, encounters, settings.as_of_end_ts)
    last_activity = max([person.deceased_ts or 0, *(e.end for e in encounters)])
    return PatientRecord(person, encounters, list(state.chronic_records.values()), last_activity)


def _out_of_hospital_death(person: Person, rng: random.Random, start: date, as_of: date) -> int | None:
    age = age_on(person.birth_date, as_of)
    # Ten-year risk of dying outside hospital by age at the as-of date (hospital deaths come on top).
    probability = (
        0.35 if age >= 85 else 0.15 if age >= 75 else 0.07 if age >= 65 else 0.02 if age >= 50 else 0.0
    )
    if rng.random() >= probability:
        return None
    day = start + timedelta(days=rng.randrange(max(1, (as_of - start).days)))
    return local_timestamp(day, rng.randint(7 * H, 18 * H))


def _practitioner(
    directory: Directory, rng: random.Random, organization: Organization, specialty: str
) -> Practitioner:
    staff = directory.practitioners_of(organization, specialty)
    return staff[rng.randrange(len(staff))]


def _stay_encounters(
    directory: Directory, rng: random.Random, hospital: HospitalHistory
) -> list[tuple[EncounterRecord, EncounterRecord | None]]:
    """Inpatient encounters, each with the emergency visit that led to it (if any)."""
    result: list[tuple[EncounterRecord, EncounterRecord | None]] = []
    for stay in hospital.stays:
        type_key = stay.type_key
        if (
            stay.reason_key == "mi"
            and not stay.planned
            and stay.transfer_from is None
            and rng.random() < 0.15
        ):
            type_key = "admission_surgical"  # bypass surgery instead of a catheter intervention
        specialty = SPECIALTY_FOR_ADMISSION_TYPE.get(type_key) or SPECIALTY_FOR_REASON.get(
            stay.reason_key, "INTERNAL MEDICINE"
        )
        inpatient = EncounterRecord(
            id=synthea_uuid(rng),
            type_key=type_key,
            encounter_class="inpatient",
            start=stay.admit_ts,
            end=stay.discharge_ts,
            organization=stay.hospital,
            practitioner=_practitioner(directory, rng, stay.hospital, specialty),
            reason_key=stay.reason_key,
            discharge_key=stay.discharge_key,
            planned=stay.planned,
        )
        emergency = None
        if stay.emergency_before:
            emergency = EncounterRecord(
                id=synthea_uuid(rng),
                type_key="emergency",
                encounter_class="emergency",
                start=stay.admit_ts - rng.randint(2 * H, 3 * H),
                end=stay.admit_ts,
                organization=stay.hospital,
                practitioner=_practitioner(directory, rng, stay.hospital, "EMERGENCY MEDICINE"),
                reason_key=stay.reason_key,
            )
        result.append((inpatient, emergency))
    return result


def _transfer_first_legs(
    stay_encounters: list[tuple[EncounterRecord, EncounterRecord | None]], hospital: HospitalHistory
) -> dict[int, EncounterRecord]:
    """Second leg of a transfer -> first leg (the second leg shares its diagnosis)."""
    legs: dict[int, EncounterRecord] = {}
    for position, stay in enumerate(hospital.stays):
        if stay.transfer_from is not None:
            legs[id(stay_encounters[position][0])] = stay_encounters[stay.transfer_from][0]
    return legs


def _schedule_visits(
    person: Person,
    rng: random.Random,
    chronic: dict[str, date],
    start: date,
    last_day: date,
    busy: list[tuple[date, date]],
    hospital: HospitalHistory,
) -> list[Visit]:
    visits: list[Visit] = []
    visits += _wellness_visits(person, rng, start, last_day)
    visits += [Visit("problem", onset, key) for key, onset in chronic.items() if start <= onset <= last_day]
    for key in FOLLOW_UP_CONDITIONS:
        if key in chronic:
            day = max(chronic[key], start) + timedelta(days=rng.randint(60, 200))
            while day <= last_day:
                visits.append(Visit("followup", day, key))
                day += timedelta(days=rng.randint(150, 300))
    visits += _acute_visits(person, rng, chronic, start, last_day)
    visits += [
        Visit("emergency", day, reason) for day, reason in hospital.pre_admission_ed_days if day <= last_day
    ]
    kept: list[Visit] = []
    taken: set[date] = set()
    for visit in sorted(visits, key=lambda v: (v.day, VISIT_PRIORITY[v.kind], v.reason_key or "")):
        if visit.day in taken or any(first <= visit.day <= last for first, last in busy):
            continue
        taken.add(visit.day)
        kept.append(visit)
    return kept


def _wellness_visits(person: Person, rng: random.Random, start: date, last_day: date) -> list[Visit]:
    visits = []
    for year in range(start.year, last_day.year + 1):
        day = date(year, person.birth_date.month, min(person.birth_date.day, 28)) + timedelta(
            days=rng.randint(0, 40)
        )
        if not start <= day <= last_day:
            continue
        age = age_on(person.birth_date, day)
        attendance = 0.95 if age < 18 else 0.9 if age >= 65 else 0.8
        if rng.random() < attendance:
            visits.append(Visit("wellness", day))
        if age < 2 and start <= day + timedelta(days=182) <= last_day:
            visits.append(Visit("wellness", day + timedelta(days=182)))
    return visits


def _acute_visits(
    person: Person, rng: random.Random, chronic: dict[str, date], start: date, last_day: date
) -> list[Visit]:
    span = (last_day - start).days
    if span <= 0:
        return []
    years = span / 365.25
    age = age_on(person.birth_date, last_day)
    visits: list[Visit] = []
    office_reasons = list(ACUTE_OFFICE_REASONS)
    if age < 12:
        office_reasons.append(("otitis_media", 4.0))
    if person.gender == "F" and age >= 16:
        office_reasons.append(("cystitis", 2.0))
    for _ in range(poisson(rng, (1.0 if age < 18 else 0.5) * years)):
        day = start + timedelta(days=rng.randrange(span))
        kind = "urgent_care" if rng.random() < 0.2 else "symptom"
        visits.append(Visit(kind, day, str(weighted_choice(rng, tuple(office_reasons)))))
    serious = sum(
        1 for key in ("chf", "copd", "emphysema", "esrd", "asthma", "childhood_asthma") if key in chronic
    )
    for _ in range(poisson(rng, (0.04 + 0.08 * serious + (0.03 if age < 18 else 0.0)) * years)):
        day = start + timedelta(days=rng.randrange(span))
        reasons: list[tuple[str, float]] = [("ankle_sprain", 2.0), ("laceration", 2.0), ("concussion", 1.0)]
        reasons.append(("acute_bronchitis", 1.0))
        if age >= 65:
            reasons.append(("rib_fracture", 1.0))
        reasons += [
            (key, 3.0) for key in ("chf", "copd", "emphysema", "asthma") if chronic.get(key, last_day) < day
        ]
        visits.append(Visit("emergency", day, str(weighted_choice(rng, tuple(reasons)))))
    return visits


VISIT_TYPES = {
    "followup": "followup",
    "problem": "problem",
    "symptom": "symptom",
    "urgent_care": "urgent_care",
}


def _timed_visit(directory: Directory, person: Person, rng: random.Random, visit: Visit) -> EncounterRecord:
    if visit.kind == "wellness":
        adult = age_on(person.birth_date, visit.day) >= 18
        type_key = "wellness_adult" if adult else "wellness_child"
        start_seconds, minutes = rng.randint(8 * H, 15 * H + 30 * MINUTE), rng.randint(15, 40)
        organization, practitioner = person.clinic, person.pcp
    elif visit.kind == "emergency":
        type_key = "emergency"
        start_seconds, minutes = rng.randint(6 * H, 15 * H), rng.randint(120, 210)
        organization = person.region.hospital
        practitioner = _practitioner(directory, rng, organization, "EMERGENCY MEDICINE")
    elif visit.kind == "urgent_care":
        type_key = "urgent_care"
        start_seconds, minutes = rng.randint(8 * H, 17 * H + 30 * MINUTE), rng.randint(30, 60)
        organization = person.region.urgent_care
        staff = directory.staff[organization.id]
        pool = [p for group in staff.values() for p in group]
        practitioner = pool[rng.randrange(len(pool))]
    else:
        type_key = VISIT_TYPES[visit.kind]
        start_seconds, minutes = rng.randint(8 * H, 16 * H + 30 * MINUTE), rng.randint(15, 30)
        organization, practitioner = person.clinic, person.pcp
    start = local_timestamp(visit.day, start_seconds)
    return EncounterRecord(
        id=synthea_uuid(rng),
        type_key=type_key,
        encounter_class=ENCOUNTER_TYPES[type_key].encounter_class,
        start=start,
        end=start + minutes * MINUTE,
        organization=organization,
        practitioner=practitioner,
        reason_key=visit.reason_key,
    )


def _diagnosis_visits(
    routine: list[EncounterRecord], visits: list[Visit]
) -> list[tuple[EncounterRecord, list[str]]]:
    """Problem visits and the chronic conditions each one diagnoses."""
    return [
        (encounter, [visit.reason_key or ""])
        for encounter, visit in zip(routine, visits, strict=True)
        if visit.kind == "problem"
    ]


def _record_prior_conditions(state: ClinicalState, encounter: EncounterRecord, start: date) -> None:
    """Conditions that began before the simulated history are recorded at its first visit."""
    for key, onset in sorted(state.chronic_onsets.items()):
        if onset < start:
            record_condition(state, encounter, key, local_timestamp(onset, 9 * H))


def _fill(
    state: ClinicalState,
    encounter: EncounterRecord,
    emergency_before: dict[int, EncounterRecord],
    admitted_from_emergency: set[int],
    first_leg_of: dict[int, EncounterRecord],
    new_diagnoses: dict[int, list[str]],
) -> None:
    kind = encounter.encounter_class
    if encounter.type_key == "problem" and id(encounter) in new_diagnoses:
        fill_new_diagnosis(state, encounter, new_diagnoses[id(encounter)])
        encounter.reason = state.latest_condition.get(encounter.reason_key or "")
    elif kind == "wellness":
        fill_wellness(state, encounter)
    elif encounter.type_key == "followup":
        key = encounter.reason_key or ""
        if key not in state.chronic_records:  # its problem visit was crowded out: diagnose here
            record_condition(
                state, encounter, key, min(encounter.start, local_timestamp(state.chronic_onsets[key], 9 * H))
            )
        encounter.reason = state.chronic_records[key]
        fill_follow_up(state, encounter)
    elif kind in ("ambulatory", "urgentcare"):
        fill_acute_visit(state, encounter)
        encounter.reason = state.latest_condition.get(encounter.reason_key or "")
    elif kind == "emergency":
        fill_emergency(state, encounter, id(encounter) in admitted_from_emergency)
    else:
        first_leg = first_leg_of.get(id(encounter))
        if first_leg is not None:
            encounter.reason = first_leg.reason
        fill_inpatient(state, encounter, emergency_before.get(id(encounter)))


__all__ = ["PlannedStay", "simulate_patient"]
