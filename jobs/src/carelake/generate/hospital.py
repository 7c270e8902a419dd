"""Hospital stays: admissions, transfers, deaths, planned stays and 30-day readmissions.

The readmission rate is controlled the way HEDIS Plan All-Cause Readmissions counts it:

* stays whose discharge and next admission are less than two calendar days apart are one
  stay (a transfer); no other two stays are ever that close;
* an *index stay* is a (merged) acute stay that ends alive and is not a same-day stay;
* it is *readmitted* when an unplanned acute admission starts 2 to 30 days after its
  discharge date. Planned stays (chemotherapy, kidney transplant, rehabilitation; see
  ``catalog.PLANNED_READMISSION_*``) never count as readmissions.

Every index stay draws once: with probability ``readmission_rate`` an unplanned
readmission is scheduled on a day 2-30 after discharge (some exactly on day 30, some at
the other hospital) and planned care still pending is cancelled (the complication
interrupts it); otherwise no unplanned admission may start within 30 days, planned
follow-on stays may be booked (rehabilitation, chemotherapy cycles, a transplant) or,
failing those, a near miss on day 31-38. Background admissions never fall inside an open
window. So the observed rate over index stays discharged at least 30 days before the
as-of date is the requested rate, up to sampling noise and two rare effects: a
readmission that finds no free day (a very full calendar, or the as-of date) is dropped,
and a death cancels what was scheduled after it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from carelake.generate.directory import Organization, Region
from carelake.generate.ids import weighted_choice
from carelake.generate.timeutil import SECONDS_PER_HOUR, local_timestamp

H = SECONDS_PER_HOUR
READMISSION_WINDOW_DAYS = 30
MIN_DAYS_BETWEEN_STAYS = 2  # closer than this, HEDIS merges two stays into one (a transfer)
BACKGROUND_GAP_DAYS = 41  # no background admission within this many days of a discharge
TRANSFER_SHARE = 0.05
SAME_DAY_SHARE = 0.06
NEAR_MISS_SHARE = 0.25  # share of not-readmitted unplanned stays followed on day 31-38
OTHER_HOSPITAL_READMISSION_SHARE = 0.25
MEAN_LENGTH_OF_STAY = {
    "chf": 4.5, "copd": 4.0, "emphysema": 4.0, "pneumonia": 4.5, "sepsis": 7.0, "mi": 4.0, "stroke": 5.0,
    "hip_fracture": 5.0, "appendicitis": 2.0, "covid19": 6.0, "lung_cancer": 5.0, "colon_cancer": 5.0, "esrd": 4.0,
}  # fmt: skip
EXTRA_DEATH_RISK = {
    "sepsis": 0.06,
    "stroke": 0.03,
    "mi": 0.02,
    "chf": 0.01,
    "covid19": 0.03,
    "lung_cancer": 0.03,
}
SERIOUS_CHRONIC = ("chf", "copd", "emphysema", "esrd", "lung_cancer", "colon_cancer")


@dataclass(slots=True)
class PlannedStay:
    """One inpatient encounter (one leg of a possibly transferred stay)."""

    hospital: Organization
    type_key: str
    reason_key: str
    admit_ts: int
    discharge_ts: int
    admit_day: date
    discharge_day: date
    discharge_key: str
    planned: bool
    emergency_before: bool  # an ED encounter ends when this admission starts
    readmission_of: int | None = None  # position (in the stay list) of the index stay's last leg
    transfer_from: int | None = None  # position of the first leg when this is the second leg


@dataclass(slots=True)
class _Admission:
    """An admission decided but not yet simulated, with the days it reserves."""

    day: date
    kind: str  # unplanned | rehab | chemo | transplant
    reason_key: str
    hospital: Organization
    los: int  # days; 0 = same-day stay
    transfer_los: int | None  # days at the second hospital after a transfer
    transfer_next_day: bool
    readmission_of: int | None
    emergency_before: bool

    @property
    def last_day(self) -> date:
        end = self.day + timedelta(days=self.los)
        if self.transfer_los is not None:
            end += timedelta(days=self.transfer_los + (1 if self.transfer_next_day else 0))
        return end


@dataclass(slots=True)
class HospitalHistory:
    stays: list[PlannedStay] = field(default_factory=list)
    death_ts: int | None = None
    pre_admission_ed_days: list[tuple[date, str]] = field(default_factory=list)  # (day, reason key)


def admission_rate_per_year(age: int, chronic: set[str]) -> float:
    """Yearly hazard of an unplanned acute admission."""
    rate = 0.02 + (0.03 if age >= 65 else 0.0) + (0.04 if age >= 80 else 0.0)
    rate += 0.12 * sum(1 for key in SERIOUS_CHRONIC if key in chronic)
    rate += 0.05 if "ckd3" in chronic else 0.0
    return rate


def admission_reasons(age: int, chronic: set[str], day: date) -> tuple[tuple[str, float], ...]:
    reasons: list[tuple[str, float]] = [("pneumonia", 3.0), ("sepsis", 1.5 + (1.0 if age >= 75 else 0.0))]
    for key, weight in (("chf", 6.0), ("copd", 5.0), ("emphysema", 5.0), ("esrd", 2.0)):
        if key in chronic:
            reasons.append((key, weight))
    for key in ("lung_cancer", "colon_cancer"):
        if key in chronic:
            reasons.append((key, 3.0))
    if age >= 45:
        reasons.append(("mi", 2.5 if "chd" in chronic else 0.6))
    if age >= 50:
        reasons.append(("stroke", 2.5 if "afib" in chronic else 1.0))
    if age >= 65:
        reasons.append(("hip_fracture", 2.0 if age >= 80 else 1.0))
    if age < 40:
        reasons.append(("appendicitis", 1.5))
    if day >= date(2020, 3, 1):
        reasons.append(("covid19", 0.8))
    return tuple(reasons)


def _readmission_day_weight(offset: int) -> float:
    """Readmissions cluster in the first two weeks after discharge; some land on day 30."""
    if offset == READMISSION_WINDOW_DAYS:
        return 0.08 * 29  # about 8% of readmissions when every day is open
    return 2.0 if offset <= 7 else 1.0 if offset <= 14 else 0.6


class StayPlanner:
    """Plans one patient's hospital stays between ``start`` and ``end`` (exclusive)."""

    def __init__(
        self,
        rng: random.Random,
        region: Region,
        birth: date,
        chronic: dict[str, date],
        start: date,
        end: date,
        readmission_rate: float,
    ) -> None:
        self.rng = rng
        self.region = region
        self.birth = birth
        self.chronic_onsets = chronic
        self.start = start
        self.end = end
        self.readmission_rate = readmission_rate
        self.history = HospitalHistory()
        self.pending: list[_Admission] = []
        self.occupied: list[tuple[date, date]] = []  # first and last day of every stay
        self.blocked_until = start - timedelta(days=1)  # no unplanned admission on or before
        self.background_from = start  # earliest day for the next background admission
        self.transplanted = False

    # -- public ----------------------------------------------------------------------

    def plan(self) -> HospitalHistory:
        while True:
            if not self.pending:
                if not self._schedule_background():
                    break
                continue
            admission = self.pending.pop(0)
            if admission.day >= self.end or (
                admission.kind == "unplanned" and admission.day <= self.blocked_until
            ):
                continue
            self.occupied.append((admission.day, admission.last_day))
            if not self._admit(admission):
                break  # the patient died
        return self.history

    # -- scheduling ------------------------------------------------------------------

    def _chronic_on(self, day: date) -> set[str]:
        return {key for key, onset in self.chronic_onsets.items() if onset <= day}

    def _age(self, day: date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))

    def _schedule_background(self) -> bool:
        earliest = max(self.background_from, self.blocked_until + timedelta(days=1))
        rate = admission_rate_per_year(self._age(earliest), self._chronic_on(earliest))
        day = earliest + timedelta(days=int(self.rng.expovariate(rate / 365.0)))
        if day >= self.end:
            return False
        reason = str(weighted_choice(self.rng, admission_reasons(self._age(day), self._chronic_on(day), day)))
        admission = self._unplanned(day, reason, self.region.hospital, readmission_of=None)
        if self.rng.random() < SAME_DAY_SHARE:
            admission.los, admission.transfer_los = 0, None
        if self._fits(admission):
            self._reserve(admission)
            if self.rng.random() < 0.25:
                # A visit to the emergency department some months before (LACE's "E").
                ed_day = day - timedelta(days=self.rng.randint(15, 150))
                if ed_day >= self.start:
                    self.history.pre_admission_ed_days.append((ed_day, reason))
        else:
            self.background_from = day + timedelta(days=1)  # blocked by a planned stay: try later
        return True

    def _unplanned(
        self, day: date, reason: str, hospital: Organization, readmission_of: int | None
    ) -> _Admission:
        los = self._length_of_stay(reason)
        transfer_los = None
        next_day = False
        if self.rng.random() < TRANSFER_SHARE:
            transfer_los = self.rng.randint(2, 8)
            next_day = self.rng.random() < 0.5
        return _Admission(
            day,
            "unplanned",
            reason,
            hospital,
            los,
            transfer_los,
            next_day,
            readmission_of,
            self.rng.random() < 0.7,
        )

    def _length_of_stay(self, reason: str) -> int:
        mean = MEAN_LENGTH_OF_STAY.get(reason, 4.0)
        return max(1, min(21, round(self.rng.expovariate(1 / mean))))

    def _fits(self, admission: _Admission) -> bool:
        first, last = admission.day, admission.last_day
        if last > self.end:
            return False
        gap = timedelta(days=MIN_DAYS_BETWEEN_STAYS)
        return all(
            first >= other_last + gap or last <= other_first - gap for other_first, other_last in self._busy()
        )

    def _busy(self) -> list[tuple[date, date]]:
        return self.occupied + [(p.day, p.last_day) for p in self.pending]

    def _reserve(self, admission: _Admission) -> None:
        self.pending.append(admission)
        self.pending.sort(key=lambda p: p.day)

    # -- admission -------------------------------------------------------------------

    def _admit(self, admission: _Admission) -> bool:
        """Simulate one (possibly transferred) stay; False when the patient dies."""
        legs = self._legs(admission)
        if admission.kind == "transplant":
            self.transplanted = True
        first_position = len(self.history.stays)
        for number, leg in enumerate(legs):
            if number == 1:
                leg.transfer_from = first_position
            self.history.stays.append(leg)
        final = legs[-1]
        if self.rng.random() < self._death_risk(admission):
            final.discharge_key = "expired"
            self.history.death_ts = final.discharge_ts
            return False
        self.background_from = max(
            self.background_from, final.discharge_day + timedelta(days=BACKGROUND_GAP_DAYS)
        )
        if admission.los == 0:
            return True  # same-day stays are not index stays: no follow-up is planned
        self._after_discharge(admission, final, len(self.history.stays) - 1)
        return True

    def _death_risk(self, admission: _Admission) -> float:
        if admission.kind != "unplanned":
            return 0.005
        age = self._age(admission.day)
        risk = 0.01 + 0.002 * max(0, age - 60) + EXTRA_DEATH_RISK.get(admission.reason_key, 0.0)
        return min(0.25, risk)

    def _legs(self, admission: _Admission) -> list[PlannedStay]:
        rng = self.rng
        planned = admission.kind != "unplanned"
        type_key = {
            "unplanned": "admission_emergency",
            "rehab": "admission_rehabilitation",
            "chemo": "admission_oncology",
            "transplant": "admission_transplant",
        }[admission.kind]
        if admission.los == 0:
            admit_seconds, discharge_seconds = rng.randint(9 * H, 12 * H - 1), rng.randint(14 * H, 19 * H - 1)
        elif planned:
            admit_seconds, discharge_seconds = rng.randint(7 * H, 10 * H - 1), rng.randint(10 * H, 18 * H - 1)
        else:
            admit_seconds, discharge_seconds = (
                rng.randint(10 * H, 15 * H - 1),
                rng.randint(10 * H, 18 * H - 1),
            )
        discharge_day = admission.day + timedelta(days=admission.los)
        transfer = admission.transfer_los is not None
        if transfer and not admission.transfer_next_day:
            discharge_seconds = rng.randint(9 * H, 13 * H - 1)
        first = PlannedStay(
            hospital=admission.hospital,
            type_key=type_key,
            reason_key=admission.reason_key,
            admit_ts=local_timestamp(admission.day, admit_seconds),
            discharge_ts=local_timestamp(discharge_day, discharge_seconds),
            admit_day=admission.day,
            discharge_day=discharge_day,
            discharge_key="transfer" if transfer else self._alive_disposition(admission),
            planned=planned,
            emergency_before=admission.emergency_before and not planned,
            readmission_of=admission.readmission_of,
        )
        if not transfer:
            return [first]
        other = (
            self.region.second_hospital
            if admission.hospital is self.region.hospital
            else self.region.hospital
        )
        if admission.transfer_next_day:
            second_day = discharge_day + timedelta(days=1)
            second_admit = local_timestamp(second_day, rng.randint(10 * H, 15 * H - 1))
        else:
            second_day = discharge_day
            second_admit = first.discharge_ts + rng.randint(1 * H, 3 * H)
        second_discharge_day = second_day + timedelta(days=admission.transfer_los or 2)
        second = PlannedStay(
            hospital=other,
            type_key=type_key,
            reason_key=admission.reason_key,
            admit_ts=second_admit,
            discharge_ts=local_timestamp(second_discharge_day, rng.randint(10 * H, 18 * H - 1)),
            admit_day=second_day,
            discharge_day=second_discharge_day,
            discharge_key=self._alive_disposition(admission),
            planned=planned,
            emergency_before=False,
        )
        return [first, second]

    def _alive_disposition(self, admission: _Admission) -> str:
        if admission.kind != "unplanned" or admission.los == 0:
            return "home"
        options = [("home", 0.78), ("home_health", 0.09), ("against_advice", 0.02)]
        options.append(("snf", 0.09 if self._age(admission.day) >= 65 else 0.02))
        return str(weighted_choice(self.rng, tuple(options)))

    # -- after discharge -------------------------------------------------------------

    def _after_discharge(self, admission: _Admission, final: PlannedStay, final_position: int) -> None:
        discharge = final.discharge_day
        window_end = discharge + timedelta(days=READMISSION_WINDOW_DAYS)
        if any(
            p.kind == "unplanned"
            and discharge + timedelta(days=MIN_DAYS_BETWEEN_STAYS) <= p.day <= window_end
            for p in self.pending
        ):
            return  # an unplanned admission is already on its way: this stay is readmitted too
        if self.rng.random() < self.readmission_rate and self._schedule_readmission(
            admission, final, final_position
        ):
            # The complication interrupts planned care (pending chemotherapy cycles, rehab or
            # transplant): nothing planned lies between this stay and its readmission.
            self.pending = [p for p in self.pending if p.kind == "unplanned"]
            return
        self.blocked_until = max(self.blocked_until, window_end)
        if admission.kind != "unplanned":
            return
        # A near miss would fall inside the windows of planned follow-on stays: only one or the other.
        if not self._plan_follow_on_stays(admission, discharge) and self.rng.random() < NEAR_MISS_SHARE:
            day = discharge + timedelta(
                days=self.rng.randint(READMISSION_WINDOW_DAYS + 1, READMISSION_WINDOW_DAYS + 8)
            )
            near_miss = self._unplanned(day, admission.reason_key, final.hospital, readmission_of=None)
            if self._fits(near_miss):
                self._reserve(near_miss)

    def _schedule_readmission(self, admission: _Admission, final: PlannedStay, final_position: int) -> bool:
        """Schedule an unplanned readmission 2-30 days after discharge; False if none fits."""
        rng = self.rng
        earliest = max(MIN_DAYS_BETWEEN_STAYS, (self.blocked_until - final.discharge_day).days + 1)
        offsets = list(range(earliest, READMISSION_WINDOW_DAYS + 1))
        # Try days in a random order weighted towards the first two weeks (and day 30).
        order: list[int] = []
        while offsets:
            weights = tuple((d, _readmission_day_weight(d)) for d in offsets)
            choice = int(weighted_choice(rng, weights))  # type: ignore[arg-type]
            order.append(choice)
            offsets.remove(choice)
            if len(order) >= 12:
                break
        for offset in order:
            day = final.discharge_day + timedelta(days=offset)
            reason = admission.reason_key
            if admission.kind != "unplanned" or rng.random() < 0.4:
                reason = str(
                    weighted_choice(rng, admission_reasons(self._age(day), self._chronic_on(day), day))
                )
            hospital = final.hospital
            if rng.random() < OTHER_HOSPITAL_READMISSION_SHARE:
                hospital = (
                    self.region.second_hospital if hospital is self.region.hospital else self.region.hospital
                )
            readmission = self._unplanned(day, reason, hospital, readmission_of=final_position)
            if readmission.last_day > self.end:
                readmission.los = max(1, (self.end - day).days)
                readmission.transfer_los = None
            if self._fits(readmission):
                self._reserve(readmission)
                return True
        return False

    def _plan_follow_on_stays(self, admission: _Admission, discharge: date) -> bool:
        """Planned stays after an unplanned one: rehabilitation, chemotherapy, a transplant."""
        rng = self.rng
        reason = admission.reason_key
        if reason in ("stroke", "hip_fracture") and rng.random() < 0.5:
            return self._add_planned(
                "rehab", discharge + timedelta(days=rng.randint(3, 10)), reason, rng.randint(7, 14)
            )
        if reason in ("lung_cancer", "colon_cancer"):
            day = discharge + timedelta(days=rng.randint(10, 18))
            added = False
            for _ in range(rng.randint(2, 4)):
                los = rng.randint(1, 2)
                if not self._add_planned("chemo", day, reason, los):
                    break
                added = True
                day += timedelta(days=los + rng.randint(14, 21))
            return added
        if reason == "esrd" and not self.transplanted and rng.random() < 0.3:
            return self._add_planned(
                "transplant", discharge + timedelta(days=rng.randint(7, 28)), reason, rng.randint(5, 9)
            )
        return False

    def _add_planned(self, kind: str, day: date, reason: str, los: int) -> bool:
        hospital = self.region.hospital if kind == "chemo" else self.region.second_hospital
        admission = _Admission(day, kind, reason, hospital, los, None, False, None, False)
        if not self._fits(admission):
            return False
        self._reserve(admission)
        return True
