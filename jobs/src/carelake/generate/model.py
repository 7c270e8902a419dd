"""The simulated record of one patient, before it is written in any format.

All exporters (FHIR bundles and NDJSON, Synthea CSV, partner claims, outreach, treatment
records) read this one model, which is why their ids, dates and money always agree.
Instants are integer seconds since the epoch (UTC); money is integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from carelake.generate.catalog import Code
from carelake.generate.directory import City, Organization, Practitioner, Region


@dataclass(slots=True)
class CoveragePeriod:
    start: date
    end: date  # exclusive
    payer_key: str  # key of catalog.PAYERS
    member_uuid: str  # Synthea's payer_transitions MEMBERID
    ownership: str  # Self | Guardian | Spouse
    owner_name: str


@dataclass(slots=True)
class Person:
    index: int
    id: str
    first: str
    last: str
    prefix: str
    maiden: str
    marital: str  # M | S | "" (children)
    gender: str  # M | F
    birth_date: date
    ssn: str
    drivers: str
    passport: str
    phone: str
    race: str  # key of catalog.RACE_OMB
    ethnicity: str  # key of catalog.ETHNICITY_OMB
    birthplace: str  # city
    address_line: str
    city: City
    lat: float
    lon: float
    region: Region
    clinic: Organization
    pcp: Practitioner
    smoking: str  # never | former | current
    coordinator: str  # cm-NNN
    multiple_birth: int | None  # 1 or 2 for twins
    twin_household: int | None  # household number shared by a twin pair
    coverage: list[CoveragePeriod] = field(default_factory=list)
    deceased_ts: int | None = None

    def payer_key_on(self, day: date) -> str:
        for period in self.coverage:
            if period.start <= day < period.end:
                return period.payer_key
        return self.coverage[-1].payer_key if self.coverage else "none"


@dataclass(slots=True)
class ConditionRecord:
    id: str
    key: str  # catalog.CONDITIONS
    onset_ts: int
    recorded_ts: int
    encounter_id: str
    abatement_ts: int | None = None


@dataclass(slots=True)
class ObservationRecord:
    id: str
    key: str  # catalog.OBSERVATIONS
    ts: int
    value: float | Code | None  # None for a panel (values in components)
    components: tuple[tuple[str, float], ...] = ()


@dataclass(slots=True)
class ReportRecord:
    id: str
    panel: str  # catalog.LAB_PANELS
    ts: int
    observation_ids: tuple[str, ...]


@dataclass(slots=True)
class ProcedureRecord:
    id: str
    key: str  # catalog.PROCEDURES
    start: int
    end: int
    cost_cents: int
    reason: ConditionRecord | None = None


@dataclass(slots=True)
class Adjudication:
    """What the payer decided about one claim (carelake.generate.adjudication).

    Amounts live on the claim's lines (``allowed_cents``, ``paid_cents``: the final decision).
    A claim the payer has not decided by the as-of date is pending (``adjudicated_ts`` None,
    no ExplanationOfBenefit). An initial denial carries its CARC (``denial_reason``, e.g.
    ``CO-50``); an appeal decided by the as-of date is ``upheld`` (still denied, nothing
    allowed or paid) or ``overturned`` (reprocessed and paid as any other claim)."""

    adjudicated_ts: int | None
    eob_id: str  # the ExplanationOfBenefit of the first decision
    denial_reason: str = ""
    appeal: str = ""  # "" (none decided), "upheld" or "overturned"
    appeal_ts: int | None = None
    appeal_eob_id: str = ""  # the ExplanationOfBenefit of the appeal decision

    @property
    def is_pending(self) -> bool:
        return self.adjudicated_ts is None

    @property
    def is_denied(self) -> bool:
        """Denied as things stand: denied and not overturned on appeal."""
        return bool(self.denial_reason) and self.appeal != "overturned"


@dataclass(slots=True)
class MedicationRecord:
    id: str
    key: str  # catalog.MEDICATIONS
    start: int
    stop: int | None
    dispenses: int
    reason: ConditionRecord | None
    claim_id: str
    total_cents: int = 0
    allowed_cents: int = 0
    paid_cents: int = 0
    adjudication: Adjudication | None = None


@dataclass(slots=True)
class ImmunizationRecord:
    id: str
    key: str  # catalog.IMMUNIZATIONS
    ts: int
    cost_cents: int


@dataclass(slots=True)
class ClaimLine:
    kind: str  # encounter | diagnosis | procedure | immunization
    code: Code
    amount_cents: int  # billed; 0 for diagnosis lines
    paid_cents: int  # what the payer paid (final decision)
    ref_id: str  # id of the Encounter, Condition, Procedure or Immunization
    hcpcs: str  # CPT/HCPCS on partner claims ("" for diagnosis lines)
    allowed_cents: int = 0  # what the payer allowed (final decision); allowed >= paid


@dataclass(slots=True)
class EncounterRecord:
    id: str
    type_key: str  # catalog.ENCOUNTER_TYPES
    encounter_class: str
    start: int
    end: int
    organization: Organization
    practitioner: Practitioner
    reason: ConditionRecord | None = None
    reason_key: str | None = None  # condition key of the reason (also before its record exists)
    payer_key: str = "none"
    discharge_key: str | None = None  # catalog.DISCHARGE, inpatient stays only
    planned: bool = False  # planned admission (chemotherapy, transplant, rehabilitation)
    conditions: list[ConditionRecord] = field(default_factory=list)  # diagnosed here
    observations: list[ObservationRecord] = field(default_factory=list)
    reports: list[ReportRecord] = field(default_factory=list)
    procedures: list[ProcedureRecord] = field(default_factory=list)
    medications: list[MedicationRecord] = field(default_factory=list)
    immunizations: list[ImmunizationRecord] = field(default_factory=list)
    claim_id: str = ""
    eob_id: str = ""
    claim_lines: list[ClaimLine] = field(default_factory=list)
    adjudication: Adjudication | None = None
    procedure_keys: tuple[str, ...] = ()  # what the stay plan asked for
    medication_keys: tuple[str, ...] = ()

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.claim_lines)

    @property
    def allowed_cents(self) -> int:
        return sum(line.allowed_cents for line in self.claim_lines)

    @property
    def paid_cents(self) -> int:
        return sum(line.paid_cents for line in self.claim_lines)


@dataclass(slots=True)
class PatientRecord:
    person: Person
    encounters: list[EncounterRecord]
    chronic: list[ConditionRecord]  # chronic conditions (also listed on their encounter)
    last_updated_ts: int  # Patient.meta.lastUpdated
