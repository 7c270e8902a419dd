"""Care-manager outreach events, as the intake API receives them and Firehose lands them.

Most outreach follows an inpatient discharge (transition-of-care calls): the first attempt
comes on the discharge day for some patients, within days for most, and up to 45 days
later for a few; unsuccessful attempts are retried. Some routine outreach reaches
patients with chronic conditions. ``patient_id`` is the EHR medical record number (the
Patient identifier of type MR, which Synthea sets to the patient id).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from carelake.generate.ids import poisson, stream, uuid4_from, weighted_choice
from carelake.generate.model import PatientRecord
from carelake.generate.settings import Settings, coordinator_id
from carelake.generate.timeutil import SECONDS_PER_HOUR, fhir_datetime, local_date, local_timestamp, utc_z

CHANNELS = (("phone", 0.7), ("sms", 0.12), ("email", 0.08), ("video", 0.05), ("in_person", 0.05))
STATUSES = (
    ("reached", 0.35), ("completed", 0.1), ("left_message", 0.2), ("no_answer", 0.23), ("declined", 0.05),
    ("scheduled", 0.07),
)  # fmt: skip
SUCCESSFUL = frozenset({"reached", "completed"})
FIRST_ATTEMPT_DAYS = ((0, 0.12), (1, 0.25), (2, 0.2), (3, 0.13), (5, 0.12), (10, 0.1), (20, 0.05), (38, 0.03))
REACHED_OUTREACH_SHARE = 0.8  # share of discharges with any outreach
# Routine check-ins reach patients with conditions that often end in hospital.
ROUTINE_OUTREACH_CONDITIONS = frozenset({"chf", "copd", "emphysema", "diabetes", "ckd3", "esrd"})
ROUTINE_OUTREACH_PER_YEAR = 0.1

NOTES = {
    "reached": "Spoke with {first} after discharge; reviewed medications and warning signs. PCP follow-up confirmed.",
    "completed": "Transition-of-care call with {first} completed; follow-up visit booked and meds reconciled.",
    "left_message": "Left voicemail for {first} asking for a call back about discharge follow-up.",
    "no_answer": "No answer at home number for {first}; will retry.",
    "declined": "{first} declined care management outreach at this time.",
    "scheduled": "Scheduled a call with {first} for later this week.",
}


def outreach_events(settings: Settings, record: PatientRecord) -> list[dict[str, Any]]:
    person = record.person
    rng = stream(settings.seed, "outreach", person.index)
    program_start = settings.as_of - timedelta(days=365 * settings.outreach_years)
    last_ts = min(settings.as_of_end_ts, person.deceased_ts or settings.as_of_end_ts)
    events: list[dict[str, Any]] = []
    for encounter in record.encounters:
        if encounter.encounter_class != "inpatient" or encounter.discharge_key in ("expired", "transfer"):
            continue
        discharge_day = local_date(encounter.end)
        if discharge_day < program_start or rng.random() >= REACHED_OUTREACH_SHARE:
            continue
        day = discharge_day + timedelta(days=int(weighted_choice(rng, FIRST_ATTEMPT_DAYS)))  # type: ignore[arg-type]
        for _attempt in range(3):
            event = _event(rng, settings, record, day, after=encounter.end if day == discharge_day else None)
            if event is None or event[0] > last_ts:
                break
            events.append(event[1])
            if event[1]["status"] in SUCCESSFUL or rng.random() >= 0.6:
                break
            day += timedelta(days=rng.randint(1, 5))
    if any(condition.key in ROUTINE_OUTREACH_CONDITIONS for condition in record.chronic):
        years = max(0.0, (settings.as_of - max(program_start, person.birth_date)).days / 365.25)
        for _ in range(poisson(rng, ROUTINE_OUTREACH_PER_YEAR * years)):
            day = program_start + timedelta(days=rng.randrange(max(1, (settings.as_of - program_start).days)))
            event = _event(rng, settings, record, day, after=None)
            if event is not None and person.birth_date <= day and event[0] <= last_ts:
                events.append(event[1])
    return events


def _event(
    rng: random.Random, settings: Settings, record: PatientRecord, day: date, after: int | None
) -> tuple[int, dict[str, Any]] | None:
    """One outreach attempt on ``day`` (after ``after`` on the discharge day)."""
    person = record.person
    ts = local_timestamp(day, rng.randint(8 * SECONDS_PER_HOUR, 18 * SECONDS_PER_HOUR - 1))
    if after is not None:
        # Same-day calls come after discharge and before 19:00 local, so the local and the
        # UTC date of the call agree (the compliance measure excludes discharge-day calls).
        ts = max(ts, after + rng.randint(1800, 5400))
        if ts > local_timestamp(day, 19 * SECONDS_PER_HOUR - 1):
            return None
    status = str(weighted_choice(rng, STATUSES))
    coordinator = person.coordinator
    if rng.random() < 0.15:
        coordinator = coordinator_id(rng.randint(1, settings.coordinators))
    received = ts + rng.randint(1, 600)
    event = {
        "record_id": uuid4_from(rng),
        "patient_id": person.id,
        "coordinator_id": coordinator,
        "event_at": fhir_datetime(ts),
        "channel": str(weighted_choice(rng, CHANNELS)),
        "status": status,
        "note": NOTES[status].format(first=person.first),
        "received_at": utc_z(received),
    }
    return ts, event
