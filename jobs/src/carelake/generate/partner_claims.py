"""Partner claims: the payer's own CSV of claim lines for its members (docs/data-contracts.md).

A partner sees the same services as the EHR (same dates, same rendering NPI, billed =
the EHR charge, and the same decision: carelake.generate.adjudication), but knows the
patient only as a member: its own member id and the demographics from enrollment, which
carry realistic noise for identity resolution: one-edit typos, first and last name
swapped, missing SSNs, and no Synthea digits in names. Each member's noise is fixed (the
same on every claim) and recorded in the identity truth file so a test can score
precision and recall.

A claim is reported in the monthly file of its decision (``paid``, or ``denied`` with the
CARC; ``pending`` in the file of its receipt when the payer has not decided by the as-of
date). A decided appeal reports the claim again, in the file of the appeal's month:
``adjusted`` with the amounts paid when the denial was overturned, ``denied`` with the same
CARC when it was upheld. The later report replaces the earlier one downstream.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from carelake.generate.catalog import (
    CONDITIONS,
    ENCOUNTER_TYPES,
    ICD10_ADULT_EXAM,
    ICD10_CHEMOTHERAPY_ENCOUNTER,
    ICD10_CHILD_EXAM,
    ICD10_HIP_FRACTURE_AFTERCARE,
    ICD10_STROKE_SEQUELAE,
    PAYERS,
)
from carelake.generate.csvout import money
from carelake.generate.ids import stream
from carelake.generate.model import Adjudication, EncounterRecord, PatientRecord, Person
from carelake.generate.names import strip_digits
from carelake.generate.timeutil import age_on, local_date

COLUMNS = (
    "claim_id", "claim_line", "member_id", "member_first_name", "member_last_name", "member_birth_date",
    "member_gender", "member_ssn", "member_zip", "payer_id", "payer_name", "rendering_npi", "service_from",
    "service_to", "place_of_service", "icd10_primary", "icd10_secondary", "procedure_code", "modifier", "units",
    "billed_amount", "allowed_amount", "paid_amount", "claim_status", "denial_reason", "received_date",
)  # fmt: skip

# Per partner: member id prefix and digits, and whether ICD-10 codes keep their dot.
PARTNER_STYLE: dict[str, tuple[str, int, bool]] = {
    "bcbs": ("XBC", 9, True),
    "aetna": ("W", 9, False),
    "humana": ("H", 8, True),
}
DEFAULT_STYLE = ("M", 9, True)
RECEIPT_LAG_DAYS = (3, 20)  # service end to the payer receiving the claim

# Identity noise shares (per member).
FIRST_NAME_TYPO = 0.08
LAST_NAME_TYPO = 0.04
SWAPPED_NAMES = 0.03
MISSING_SSN = 0.3
UNKNOWN_GENDER = 0.01


@dataclass(frozen=True, slots=True)
class Member:
    partner: str
    member_id: str
    patient_id: str
    first: str
    last: str
    birth_date: str
    gender: str
    ssn: str
    zip: str
    noise: tuple[str, ...]


def one_edit(name: str, rng: random.Random) -> str:
    """A single-character typo: substitution, deletion, insertion or transposition."""
    if len(name) < 3:
        return name + rng.choice("aeiou")
    position = rng.randrange(1, len(name) - 1)  # keep the first letter, as most typos do
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    kind = rng.randrange(4)
    if kind == 0 and name[position].lower() != letter:
        return name[:position] + letter + name[position + 1 :]
    if kind == 1:
        return name[:position] + name[position + 1 :]
    if kind == 2:
        return name[:position] + letter + name[position:]
    if name[position] != name[position + 1]:
        return name[:position] + name[position + 1] + name[position] + name[position + 2 :]
    return name[:position] + name[position + 1 :]


def make_member(seed: int, person: Person, partner: str) -> Member:
    rng = stream(seed, f"member:{partner}", person.index)
    prefix, digits, _ = PARTNER_STYLE.get(partner, DEFAULT_STYLE)
    member_id = f"{prefix}{rng.randrange(10 ** (digits - 1), 10**digits)}"
    first, last = strip_digits(person.first), strip_digits(person.last)
    noise: list[str] = []
    if rng.random() < FIRST_NAME_TYPO:
        first, noise = one_edit(first, rng), [*noise, "first_name_typo"]
    if rng.random() < LAST_NAME_TYPO:
        last, noise = one_edit(last, rng), [*noise, "last_name_typo"]
    if rng.random() < SWAPPED_NAMES:
        first, last, noise = last, first, [*noise, "swapped_names"]
    ssn = person.ssn
    if rng.random() < MISSING_SSN:
        ssn, noise = "", [*noise, "missing_ssn"]
    gender = person.gender
    if rng.random() < UNKNOWN_GENDER:
        gender, noise = "U", [*noise, "unknown_gender"]
    return Member(
        partner,
        member_id,
        person.id,
        first,
        last,
        person.birth_date.isoformat(),
        gender,
        ssn,
        person.city.zip,
        tuple(noise),
    )


def _icd10(code: str, keep_dot: bool) -> str:
    return code if keep_dot else code.replace(".", "")


def primary_icd10(encounter: EncounterRecord, person: Person) -> str:
    if encounter.type_key == "admission_oncology":
        return ICD10_CHEMOTHERAPY_ENCOUNTER
    if encounter.type_key == "admission_rehabilitation":
        return ICD10_STROKE_SEQUELAE if encounter.reason_key == "stroke" else ICD10_HIP_FRACTURE_AFTERCARE
    if encounter.encounter_class == "wellness":
        return (
            ICD10_ADULT_EXAM
            if age_on(person.birth_date, local_date(encounter.start)) >= 18
            else ICD10_CHILD_EXAM
        )
    if encounter.reason is not None:
        return CONDITIONS[encounter.reason.key].icd10
    if encounter.conditions:
        return CONDITIONS[encounter.conditions[0].key].icd10
    return ICD10_ADULT_EXAM


def claim_rows(
    seed: int, record: PatientRecord, partners: tuple[str, ...], first_service_day: date, as_of: date
) -> tuple[list[tuple[str, date, tuple[str, ...]]], list[Member]]:
    """``(partner, reported on, row)`` for every report of every partner claim line of this patient."""
    person = record.person
    members: dict[str, Member] = {}
    rows: list[tuple[str, date, tuple[str, ...]]] = []
    rng = stream(seed, "partner_claims", person.index)
    known: list[str] = []  # ICD-10 of conditions recorded so far (secondary diagnoses)
    for encounter in record.encounters:
        for condition in encounter.conditions:
            if CONDITIONS[condition.key].chronic and CONDITIONS[condition.key].icd10 not in known:
                known.append(CONDITIONS[condition.key].icd10)
        partner = encounter.payer_key
        service_from = local_date(encounter.start)
        if partner not in partners or service_from < first_service_day or encounter.adjudication is None:
            continue
        member = members.get(partner) or members.setdefault(partner, make_member(seed, person, partner))
        received = local_date(encounter.end) + timedelta(days=rng.randint(*RECEIPT_LAG_DAYS))
        if received > as_of:
            continue
        for reported, status, denial in _reports(encounter.adjudication, received):
            for line in _claim_lines(encounter, person, member, known, received, status, denial):
                rows.append((partner, reported, line))
    return rows, list(members.values())


def _reports(adjudication: Adjudication, received: date) -> list[tuple[date, str, str]]:
    """``(reported on, claim_status, denial_reason)`` of each report of one claim."""
    if adjudication.adjudicated_ts is None:
        return [(received, "pending", "")]
    decided = max(received, local_date(adjudication.adjudicated_ts))
    reason = adjudication.denial_reason
    reports = [(decided, "denied" if reason else "paid", reason)]
    if adjudication.appeal and adjudication.appeal_ts is not None:
        upheld = adjudication.appeal == "upheld"
        appeal = max(decided, local_date(adjudication.appeal_ts))
        reports.append((appeal, "denied" if upheld else "adjusted", reason if upheld else ""))
    return reports


def _claim_lines(
    encounter: EncounterRecord,
    person: Person,
    member: Member,
    known: list[str],
    received: date,
    status: str,
    denial: str,
) -> list[tuple[str, ...]]:
    prefix, _, keep_dot = PARTNER_STYLE.get(member.partner, DEFAULT_STYLE)
    claim_number = f"{prefix[:1]}{int(encounter.claim_id.replace('-', '')[:15], 16) % 10**12:012d}"
    primary = primary_icd10(encounter, person)
    secondary = [code for code in known if code != primary][:4]
    priced = [line for line in encounter.claim_lines if line.kind != "diagnosis"]
    has_procedures = any(line.kind == "procedure" for line in priced)
    place = ENCOUNTER_TYPES[encounter.type_key].place_of_service
    payer = PAYERS[member.partner]
    decided = status in ("paid", "adjusted")  # a pending or denied report allows and pays nothing
    rows = []
    for number, line in enumerate(priced, start=1):
        allowed, paid = (line.allowed_cents, line.paid_cents) if decided else (0, 0)
        modifier = "25" if line.kind == "encounter" and has_procedures and place == "11" else ""
        hcpcs = line.hcpcs  # E&M for the encounter line (wellness: by age), CPT/HCPCS otherwise
        rows.append(
            (
                claim_number, str(number), member.member_id, member.first, member.last, member.birth_date,
                member.gender, member.ssn, member.zip, payer.id, payer.name, encounter.practitioner.npi,
                local_date(encounter.start).isoformat(), local_date(encounter.end).isoformat(), place,
                _icd10(primary, keep_dot), "|".join(_icd10(code, keep_dot) for code in secondary), hcpcs, modifier,
                "1", money(line.amount_cents), money(allowed), money(paid), status, denial, received.isoformat(),
            )
        )  # fmt: skip
    return rows


def batch_file_name(partner: str, reported: date, as_of: date) -> str:
    """Partners send one file per month of reports, dated the month's last day (or as-of)."""
    next_month = date(reported.year + reported.month // 12, reported.month % 12 + 1, 1)
    sent = min(next_month - timedelta(days=1), as_of)
    return f"claims_{partner}_{sent:%Y%m%d}.csv"
