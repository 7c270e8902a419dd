"""carelake generate: the simulated population has what downstream measures need.

The 30-day readmission rate is recomputed here the HEDIS way, from what the exports show
(encounter class and type, calendar dates, discharge disposition, procedure codes):
transfers merged, same-day stays and deaths excluded, planned readmissions not counted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from itertools import pairwise

import pytest

from carelake.generate.catalog import (
    ENCOUNTER_TYPES,
    PAYERS,
    PLANNED_READMISSION_ENCOUNTER_TYPE_CODES,
    PLANNED_READMISSION_PROCEDURE_CODES,
    PROCEDURES,
)
from carelake.generate.directory import build_directory
from carelake.generate.model import PatientRecord
from carelake.generate.names import strip_digits
from carelake.generate.partner_claims import make_member
from carelake.generate.settings import DEFAULT_AS_OF, DEFAULT_PARTNERS, Settings
from carelake.generate.simulate import simulate_patient
from carelake.generate.timeutil import age_on, local_date

AS_OF = DEFAULT_AS_OF


def settings(patients: int, seed: int, readmission_rate: float) -> Settings:
    return Settings(patients, seed, readmission_rate, 0.0, AS_OF, 10, DEFAULT_PARTNERS, 24, 3, 3, 12)


@cache
def population(patients: int, seed: int, readmission_rate: float) -> tuple[PatientRecord, ...]:
    run = settings(patients, seed, readmission_rate)
    return tuple(simulate_patient(run, build_directory(), index) for index in range(patients))


@dataclass
class Stay:
    admitted: date
    discharged: date
    disposition: str
    planned: bool
    facilities: set[str]


def merged_stays(record: PatientRecord) -> list[Stay]:
    """Acute inpatient stays; a discharge and an admission < 2 calendar days apart are one stay."""
    stays: list[Stay] = []
    for encounter in sorted(
        (e for e in record.encounters if e.encounter_class == "inpatient"), key=lambda e: e.start
    ):
        planned = ENCOUNTER_TYPES[
            encounter.type_key
        ].code.code in PLANNED_READMISSION_ENCOUNTER_TYPE_CODES or any(
            PROCEDURES[p.key].code.code in PLANNED_READMISSION_PROCEDURE_CODES for p in encounter.procedures
        )
        admitted, discharged = local_date(encounter.start), local_date(encounter.end)
        disposition = encounter.discharge_key or ""
        if stays and (admitted - stays[-1].discharged).days < 2:
            stays[-1].discharged, stays[-1].disposition = discharged, disposition
            stays[-1].facilities.add(encounter.organization.id)
        else:
            stays.append(Stay(admitted, discharged, disposition, planned, {encounter.organization.id}))
    return stays


def readmission_rate(records: tuple[PatientRecord, ...]) -> tuple[float, int]:
    index_stays = readmitted = 0
    for record in records:
        stays = merged_stays(record)
        for position, stay in enumerate(stays):
            if stay.disposition == "expired" or stay.admitted == stay.discharged:
                continue
            if stay.discharged > AS_OF - timedelta(days=30):
                continue
            index_stays += 1
            readmitted += any(
                not later.planned and 0 < (later.admitted - stay.discharged).days <= 30
                for later in stays[position + 1 :]
            )
    return readmitted / index_stays, index_stays


@pytest.mark.parametrize("requested", [0.1, 0.4])
def test_readmission_rate_is_as_requested(requested: float) -> None:
    observed, index_stays = readmission_rate(population(700, 21, requested))
    assert index_stays > 250
    assert abs(observed - requested) < 0.06, (observed, index_stays)


def test_hospital_scenarios_downstream_measures_must_handle() -> None:
    scenarios: Counter[str] = Counter()
    for record in population(700, 21, 0.4):
        person = record.person
        inpatient = sorted(
            (e for e in record.encounters if e.encounter_class == "inpatient"), key=lambda e: e.start
        )
        emergency_days = [local_date(e.start) for e in record.encounters if e.encounter_class == "emergency"]
        for first, second in pairwise(inpatient):
            gap = (local_date(second.start) - local_date(first.end)).days
            if first.discharge_key == "transfer":
                assert gap in (0, 1) and first.organization.id != second.organization.id
                scenarios["transfer_same_day" if gap == 0 else "transfer_next_day"] += 1
            elif gap == 30:
                scenarios["readmission_day_30"] += 1
            elif 31 <= gap <= 38:
                scenarios["admission_day_31_to_38"] += 1
            if 2 <= gap <= 30 and first.organization.id != second.organization.id:
                scenarios["admission_within_30_days_elsewhere"] += 1
            if 2 <= gap <= 30 and second.planned:
                scenarios["planned_within_30_days"] += 1
        for encounter in inpatient:
            if local_date(encounter.start) == local_date(encounter.end):
                scenarios["same_day_stay"] += 1
            if encounter.discharge_key == "expired":
                assert person.deceased_ts == encounter.end
                scenarios["death_in_hospital"] += 1
            admitted = local_date(encounter.start)
            if any(timedelta(days=1) <= admitted - day <= timedelta(days=183) for day in emergency_days):
                scenarios["emergency_visit_in_prior_6_months"] += 1
    expected = {
        "transfer_same_day", "transfer_next_day", "readmission_day_30", "admission_day_31_to_38",
        "admission_within_30_days_elsewhere", "planned_within_30_days", "same_day_stay", "death_in_hospital",
        "emergency_visit_in_prior_6_months",
    }  # fmt: skip
    assert {name for name, count in scenarios.items() if count >= 2} == expected, scenarios


def test_encounter_mix_ages_and_payers_look_like_synthea() -> None:
    records = population(300, 4, 0.15)
    classes = Counter(e.encounter_class for r in records for e in r.encounters)
    assert set(classes) == {"ambulatory", "wellness", "emergency", "inpatient", "urgentcare"}
    assert classes["ambulatory"] + classes["wellness"] > 0.8 * sum(classes.values())
    seniors = sum(age_on(r.person.birth_date, AS_OF) >= 65 for r in records) / len(records)
    assert 0.25 < seniors < 0.5
    payers = Counter(PAYERS[e.payer_key].name for r in records for e in r.encounters)
    assert {"Medicare", "Medicaid", "NO_INSURANCE", "Blue Cross Blue Shield", "Aetna", "Humana"} <= set(
        payers
    )
    medicare_ages = [
        age_on(r.person.birth_date, local_date(e.start))
        for r in records
        for e in r.encounters
        if e.payer_key == "medicare"
    ]
    assert min(medicare_ages) >= 65


def test_twins_share_household_but_not_identity() -> None:
    records = population(700, 21, 0.1)
    households: dict[int, list[PatientRecord]] = {}
    for record in records:
        if record.person.twin_household is not None:
            households.setdefault(record.person.twin_household, []).append(record)
    assert len(households) >= 3
    for pair in households.values():
        a, b = (r.person for r in pair)
        assert (a.last, a.birth_date, a.address_line, a.city.zip) == (
            b.last,
            b.birth_date,
            b.address_line,
            b.city.zip,
        )
        assert strip_digits(a.first) != strip_digits(b.first) and a.ssn != b.ssn and a.id != b.id


def edit_distance(left: str, right: str) -> int:
    """Damerau (optimal string alignment) distance: a swap of neighbours is one edit."""
    rows = [
        [max(i, j) if i == 0 or j == 0 else 0 for j in range(len(right) + 1)] for i in range(len(left) + 1)
    ]
    for i in range(1, len(left) + 1):
        for j in range(1, len(right) + 1):
            cost = left[i - 1] != right[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and left[i - 1] == right[j - 2] and left[i - 2] == right[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


def test_partner_members_carry_realistic_identity_noise() -> None:
    noise: Counter[str] = Counter()
    for record in population(700, 21, 0.1):
        person = record.person
        member = make_member(21, person, "bcbs")
        first, last = strip_digits(person.first), strip_digits(person.last)
        noise.update(member.noise)
        if "swapped_names" in member.noise:
            member_first, member_last = member.last, member.first
        else:
            member_first, member_last = member.first, member.last
        assert edit_distance(member_first, first) == ("first_name_typo" in member.noise)
        assert edit_distance(member_last, last) == ("last_name_typo" in member.noise)
        assert (member.ssn == "") == ("missing_ssn" in member.noise)
        assert member.birth_date == person.birth_date.isoformat() and member.zip == person.city.zip
    assert min(noise[k] for k in ("first_name_typo", "last_name_typo", "swapped_names", "missing_ssn")) >= 10
