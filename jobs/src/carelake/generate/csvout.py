"""The Synthea v3 CSV export: same file names, headers and value formats as the fixture.

Synthea writes CSV without quoting: it replaces commas inside values with spaces, which is
why descriptions read ``Influenza  seasonal  injectable  preservative free``. This module
does the same, so rows can be joined with plain commas. Timestamps are UTC with ``Z``,
dates ``YYYY-MM-DD``, money with two decimals.

Totals reconcile with the FHIR output: for every encounter, ``TOTAL_CLAIM_COST`` equals
the FHIR ``Claim.total`` and the sum of the claim's CHARGE transactions, and
``PAYER_COVERAGE`` equals the latest ``ExplanationOfBenefit.payment`` and the sum of the
claim's insurer PAYMENT transactions (``METHOD`` = ``ECHECK``). The payer's decision
(carelake.generate.adjudication) shows as ADJUSTMENT transactions: the contractual
adjustment down to the allowed amount (charge minus adjustments = allowed), or, for a
denied claim, the whole charge with the CARC (``CO-50``) in ``LINENOTE``. Claims the payer
has not decided are ``BILLED`` in ``claims.csv`` and have only their CHARGE transactions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from carelake.generate.catalog import (
    CONDITIONS,
    ENCOUNTER_TYPES,
    IMMUNIZATIONS,
    MEDICATIONS,
    OBSERVATIONS,
    PAYERS,
    PROCEDURES,
    Code,
)
from carelake.generate.directory import Directory
from carelake.generate.model import Adjudication, ClaimLine, EncounterRecord, MedicationRecord, PatientRecord
from carelake.generate.timeutil import SECONDS_PER_HOUR, local_date, local_timestamp, utc_z

HEADERS: dict[str, str] = {
    "patients": "Id,BIRTHDATE,DEATHDATE,SSN,DRIVERS,PASSPORT,PREFIX,FIRST,LAST,SUFFIX,MAIDEN,MARITAL,RACE,ETHNICITY,GENDER,BIRTHPLACE,ADDRESS,CITY,STATE,COUNTY,ZIP,LAT,LON,HEALTHCARE_EXPENSES,HEALTHCARE_COVERAGE",
    "encounters": "Id,START,STOP,PATIENT,ORGANIZATION,PROVIDER,PAYER,ENCOUNTERCLASS,CODE,DESCRIPTION,BASE_ENCOUNTER_COST,TOTAL_CLAIM_COST,PAYER_COVERAGE,REASONCODE,REASONDESCRIPTION",
    "conditions": "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION",
    "procedures": "START,STOP,PATIENT,ENCOUNTER,CODE,DESCRIPTION,BASE_COST,REASONCODE,REASONDESCRIPTION",
    "observations": "DATE,PATIENT,ENCOUNTER,CATEGORY,CODE,DESCRIPTION,VALUE,UNITS,TYPE",
    "medications": "START,STOP,PATIENT,PAYER,ENCOUNTER,CODE,DESCRIPTION,BASE_COST,PAYER_COVERAGE,DISPENSES,TOTALCOST,REASONCODE,REASONDESCRIPTION",
    "immunizations": "DATE,PATIENT,ENCOUNTER,CODE,DESCRIPTION,BASE_COST",
    "claims": "Id,PATIENTID,PROVIDERID,PRIMARYPATIENTINSURANCEID,SECONDARYPATIENTINSURANCEID,DEPARTMENTID,PATIENTDEPARTMENTID,DIAGNOSIS1,DIAGNOSIS2,DIAGNOSIS3,DIAGNOSIS4,DIAGNOSIS5,DIAGNOSIS6,DIAGNOSIS7,DIAGNOSIS8,REFERRINGPROVIDERID,APPOINTMENTID,CURRENTILLNESSDATE,SERVICEDATE,SUPERVISINGPROVIDERID,STATUS1,STATUS2,STATUSP,OUTSTANDING1,OUTSTANDING2,OUTSTANDINGP,LASTBILLEDDATE1,LASTBILLEDDATE2,LASTBILLEDDATEP,HEALTHCARECLAIMTYPEID1,HEALTHCARECLAIMTYPEID2",
    "claims_transactions": "ID,CLAIMID,CHARGEID,PATIENTID,TYPE,AMOUNT,METHOD,FROMDATE,TODATE,PLACEOFSERVICE,PROCEDURECODE,MODIFIER1,MODIFIER2,DIAGNOSISREF1,DIAGNOSISREF2,DIAGNOSISREF3,DIAGNOSISREF4,UNITS,DEPARTMENTID,NOTES,UNITAMOUNT,TRANSFEROUTID,TRANSFERTYPE,PAYMENTS,ADJUSTMENTS,TRANSFERS,OUTSTANDING,APPOINTMENTID,LINENOTE,PATIENTINSURANCEID,FEESCHEDULEID,PROVIDERID,SUPERVISINGPROVIDERID",
    "payers": "Id,NAME,ADDRESS,CITY,STATE_HEADQUARTERED,ZIP,PHONE,AMOUNT_COVERED,AMOUNT_UNCOVERED,REVENUE,COVERED_ENCOUNTERS,UNCOVERED_ENCOUNTERS,COVERED_MEDICATIONS,UNCOVERED_MEDICATIONS,COVERED_PROCEDURES,UNCOVERED_PROCEDURES,COVERED_IMMUNIZATIONS,UNCOVERED_IMMUNIZATIONS,UNIQUE_CUSTOMERS,QOLS_AVG,MEMBER_MONTHS",
    "payer_transitions": "PATIENT,MEMBERID,START_YEAR,END_YEAR,PAYER,SECONDARY_PAYER,OWNERSHIP,OWNERNAME",
    "providers": "Id,ORGANIZATION,NAME,GENDER,SPECIALITY,ADDRESS,CITY,STATE,ZIP,LAT,LON,UTILIZATION",
    "organizations": "Id,NAME,ADDRESS,CITY,STATE,ZIP,LAT,LON,PHONE,REVENUE,UTILIZATION",
}
PATIENT_TABLES = (
    "patients", "encounters", "conditions", "procedures", "observations", "medications", "immunizations",
    "claims", "claims_transactions", "payer_transitions",
)  # fmt: skip
GLOBAL_TABLES = ("payers", "providers", "organizations")
DEPARTMENT = {"ambulatory": "1", "emergency": "2", "inpatient": "3", "urgentcare": "4", "wellness": "10"}
PHARMACY_DEPARTMENT = "20"
MONTHLY_PREMIUM_CENTS = 25_000
INSURER_PAYMENT = "ECHECK"  # how an insurer pays; patients pay by CASH, CHECK, CC or COPAY
SELF_PAY_COLLECTED = 0.15  # share of uninsured patients' bill lines they pay; the rest stays outstanding


def clean(value: str) -> str:
    """Synthea's CSV rule: no commas inside values (they become spaces)."""
    return value.replace(",", " ") if "," in value else value


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def row(*values: str) -> str:
    return ",".join(values)


@dataclass(slots=True)
class UsageStats:
    """Counts that need the whole population (payers, providers, organizations CSVs)."""

    payer_covered: dict[str, int] = field(default_factory=dict)
    payer_uncovered: dict[str, int] = field(default_factory=dict)
    payer_counts: dict[str, int] = field(default_factory=dict)  # "<payer>:<COLUMN>" -> count
    payer_customers: dict[str, int] = field(default_factory=dict)
    payer_member_months: dict[str, int] = field(default_factory=dict)
    payer_qols_milli: dict[str, int] = field(default_factory=dict)
    organization_encounters: dict[str, int] = field(default_factory=dict)
    organization_revenue: dict[str, int] = field(default_factory=dict)
    provider_encounters: dict[str, int] = field(default_factory=dict)

    def add(self, other: UsageStats) -> None:
        for name in self.__slots__:  # type: ignore[attr-defined]
            mine, theirs = getattr(self, name), getattr(other, name)
            for key, value in theirs.items():
                mine[key] = mine.get(key, 0) + value


def _bump(counter: dict[str, int], key: str, amount: int = 1) -> None:
    counter[key] = counter.get(key, 0) + amount


class PatientCsv:
    """Builds the CSV rows of one patient (``rows[table]`` without header)."""

    def __init__(self, record: PatientRecord, tx_rng: random.Random, stats: UsageStats) -> None:
        self.record = record
        self.person = record.person
        self.rng = tx_rng  # only for transaction ids and patient payment methods
        self.stats = stats
        self.rows: dict[str, list[str]] = {table: [] for table in PATIENT_TABLES}
        self.charge_id = 0
        self.patient_paid = 0
        self.payer_paid = 0

    def build(self) -> dict[str, list[str]]:
        for encounter in self.record.encounters:
            self._encounter(encounter)
        self._coverage()
        self._patient()
        return self.rows

    # -- per table -----------------------------------------------------------------

    def _patient(self) -> None:
        p = self.person
        death = local_date(p.deceased_ts).isoformat() if p.deceased_ts is not None else ""
        self.rows["patients"].append(
            row(
                p.id, p.birth_date.isoformat(), death, p.ssn, p.drivers, p.passport, p.prefix, p.first, p.last, "",
                p.maiden, p.marital, p.race, p.ethnicity, p.gender, clean(f"{p.birthplace}, Massachusetts, US"),
                clean(p.address_line), p.city.name, "Massachusetts", p.city.county, p.city.zip, repr(p.lat), repr(p.lon),
                money(self.patient_paid), money(self.payer_paid),
            )
        )  # fmt: skip

    def _coverage(self) -> None:
        p = self.person
        chronic_count = len(self.record.chronic)
        qols_milli = max(200, 1000 - 40 * chronic_count)
        for period in p.coverage:
            payer = PAYERS[period.payer_key]
            self.rows["payer_transitions"].append(
                row(
                    p.id, period.member_uuid, utc_z(local_timestamp(period.start, 9 * SECONDS_PER_HOUR)),
                    utc_z(local_timestamp(period.end, 9 * SECONDS_PER_HOUR)), payer.id, "", period.ownership,
                    clean(period.owner_name),
                )
            )  # fmt: skip
            months = max(1, round((period.end - period.start).days / 30.44))
            _bump(self.stats.payer_member_months, period.payer_key, months)
            _bump(self.stats.payer_customers, period.payer_key)
            _bump(self.stats.payer_qols_milli, period.payer_key, qols_milli)

    def _encounter(self, e: EncounterRecord) -> None:
        p, payer = self.person, PAYERS[e.payer_key]
        start, end = utc_z(e.start), utc_z(e.end)
        code = ENCOUNTER_TYPES[e.type_key].code
        reason = CONDITIONS[e.reason.key].code if e.reason is not None else None
        total, paid = e.total_cents, e.paid_cents
        self.rows["encounters"].append(
            row(
                e.id, start, end, p.id, e.organization.id, e.practitioner.id, payer.id, e.encounter_class, code.code,
                clean(code.display), money(e.claim_lines[0].amount_cents), money(total), money(paid),
                reason.code if reason else "", clean(reason.display) if reason else "",
            )
        )  # fmt: skip
        for condition in e.conditions:
            definition = CONDITIONS[condition.key].code
            stop = (
                local_date(condition.abatement_ts).isoformat() if condition.abatement_ts is not None else ""
            )
            self.rows["conditions"].append(
                row(
                    local_date(condition.onset_ts).isoformat(),
                    stop,
                    p.id,
                    e.id,
                    definition.code,
                    clean(definition.display),
                )
            )
        for observation in e.observations:
            self._observation_rows(
                e, observation.key, observation.ts, observation.value, observation.components
            )
        for procedure in e.procedures:
            definition = PROCEDURES[procedure.key].code
            why = CONDITIONS[procedure.reason.key].code if procedure.reason is not None else None
            self.rows["procedures"].append(
                row(
                    utc_z(procedure.start), utc_z(procedure.end), p.id, e.id, definition.code, clean(definition.display),
                    money(procedure.cost_cents), why.code if why else "", clean(why.display) if why else "",
                )
            )  # fmt: skip
        for immunization in e.immunizations:
            definition = IMMUNIZATIONS[immunization.key].code
            self.rows["immunizations"].append(
                row(
                    utc_z(immunization.ts),
                    p.id,
                    e.id,
                    definition.code,
                    clean(definition.display),
                    money(immunization.cost_cents),
                )
            )
        self._encounter_claim(e)
        for medication in e.medications:
            self._medication(e, medication)
        self._usage(e)

    def _observation_rows(
        self, e: EncounterRecord, key: str, ts: int, value: object, components: tuple
    ) -> None:
        date, patient = utc_z(ts), self.person.id
        if components:
            for component_key, component_value in components:
                definition = OBSERVATIONS[component_key]
                self.rows["observations"].append(
                    row(date, patient, e.id, definition.category, definition.code.code, clean(definition.code.display),
                        repr(component_value), definition.unit, "numeric")
                )  # fmt: skip
            return
        definition = OBSERVATIONS[key]
        if isinstance(value, Code):
            shown, unit, kind = clean(value.display), "", "text"
        else:
            shown, unit, kind = repr(value), definition.unit, "numeric"
        self.rows["observations"].append(
            row(
                date,
                patient,
                e.id,
                definition.category,
                definition.code.code,
                clean(definition.code.display),
                shown,
                unit,
                kind,
            )
        )

    def _medication(self, e: EncounterRecord, medication: MedicationRecord) -> None:
        definition = MEDICATIONS[medication.key]
        why = CONDITIONS[medication.reason.key].code if medication.reason is not None else None
        self.rows["medications"].append(
            row(
                utc_z(medication.start), utc_z(medication.stop) if medication.stop is not None else "", self.person.id,
                PAYERS[e.payer_key].id, e.id, definition.code.code, clean(definition.code.display),
                money(definition.cost_per_dispense_cents), money(medication.paid_cents), str(medication.dispenses),
                money(medication.total_cents), why.code if why else "", clean(why.display) if why else "",
            )
        )  # fmt: skip
        line = ClaimLine(
            "medication", definition.code, medication.total_cents, medication.paid_cents, medication.id, "",
            medication.allowed_cents,
        )  # fmt: skip
        diagnosis = why.code if why else ENCOUNTER_TYPES[e.type_key].code.code
        self._claim(
            e, medication.claim_id, medication.adjudication, [line], [diagnosis], PHARMACY_DEPARTMENT, "1"
        )
        self.patient_paid += medication.allowed_cents - medication.paid_cents
        self.payer_paid += medication.paid_cents

    def _encounter_claim(self, e: EncounterRecord) -> None:
        diagnoses = [line.code.code for line in e.claim_lines if line.kind == "diagnosis"][:8]
        if not diagnoses:
            diagnoses = [ENCOUNTER_TYPES[e.type_key].code.code]
        priced = [line for line in e.claim_lines if line.kind != "diagnosis"]
        claim_type = "2" if e.encounter_class in ("inpatient", "emergency") else "1"
        self._claim(
            e, e.claim_id, e.adjudication, priced, diagnoses, DEPARTMENT[e.encounter_class], claim_type
        )
        self.patient_paid += e.allowed_cents - e.paid_cents
        self.payer_paid += e.paid_cents

    def _claim(
        self,
        e: EncounterRecord,
        claim_id: str,
        adjudication: Adjudication | None,
        lines: list[ClaimLine],
        diagnoses: list[str],
        department: str,
        claim_type: str,
    ) -> None:
        p, payer = self.person, PAYERS[e.payer_key]
        insurance = "0" if e.payer_key == "none" else payer.id
        start, end = utc_z(e.start), utc_z(e.end)
        padded = (diagnoses + [""] * 8)[:8]
        status = "BILLED" if adjudication is None or adjudication.is_pending else "CLOSED"
        self.rows["claims"].append(
            row(
                claim_id, p.id, e.practitioner.id, insurance, "0", department, department, *padded, "", e.id, start,
                start, e.practitioner.id, status, "", status, "0", "", "0", end, "", end, claim_type, "0",
            )
        )  # fmt: skip
        for line in lines:
            self._transactions(e, claim_id, line, adjudication, department, start, end)

    def _transactions(
        self,
        e: EncounterRecord,
        claim_id: str,
        line: ClaimLine,
        adjudication: Adjudication | None,
        department: str,
        start: str,
        end: str,
    ) -> None:
        """The line's CHARGE, then the payer's decision as it stands: a denial is an ADJUSTMENT of the
        whole charge with the CARC as its line note; otherwise the contractual ADJUSTMENT down to the
        allowed amount, the insurer's PAYMENT, and the patient's share moved to them. A pending
        claim has only its charges. (The CSV holds each claim's current state, not its history.)"""
        p = self.person
        amount, allowed, paid = line.amount_cents, line.allowed_cents, line.paid_cents
        # The columns every transaction of this line shares, around the ones that differ.
        middle = f"{start},{end},{e.organization.id},{line.code.code},,,1,,,,1,{department},{clean(line.code.display)}"
        out = self.rows["claims_transactions"]

        def tx(kind: str, amount_: str, method: str, unit: str, out_id: str, transfer_type: str, payments: str, adjustments: str, transfers: str, outstanding: str, note: str = "") -> None:  # fmt: skip
            self.charge_id += 1
            out.append(
                f"{_uuid(self.rng)},{claim_id},{self.charge_id},{p.id},{kind},{amount_},{method},{middle},{unit},"
                f"{out_id},{transfer_type},{payments},{adjustments},{transfers},{outstanding},"
                f"{e.id},{note},{p.id},1,{e.practitioner.id},{e.practitioner.id}"
            )

        charge = money(amount)
        tx("CHARGE", charge, "", charge, "", "1", "", "", "", "")
        if adjudication is None or adjudication.is_pending:
            return
        if adjudication.is_denied:
            tx("ADJUSTMENT", "", "", "", "", "", "", charge, "", "0.00", adjudication.denial_reason)
            return
        if amount > allowed:
            tx("ADJUSTMENT", "", "", "", "", "", "", money(amount - allowed), "", money(allowed))
        owed = allowed - paid
        if paid > 0:
            tx("PAYMENT", "", INSURER_PAYMENT, "", "", "", money(paid), "", "", money(owed))
        if owed > 0:
            share = money(owed)
            tx("TRANSFEROUT", "", "", "", "", "", "", "", share, share)
            tx("TRANSFERIN", share, "", "", str(self.charge_id), "p", "", "", share, share)
            # the insured pay their share; most uninsured patients pay nothing of the bill
            if e.payer_key != "none" or self.rng.random() < SELF_PAY_COLLECTED:
                method = self.rng.choice(("CASH", "CHECK", "CC", "COPAY"))
                tx("PAYMENT", "", method, "", "", "", share, "", "", "0.00")

    def _usage(self, e: EncounterRecord) -> None:
        s = self.stats
        _bump(s.organization_encounters, e.organization.id)
        _bump(s.organization_revenue, e.organization.id, e.total_cents)
        _bump(s.provider_encounters, e.practitioner.id)
        payer = e.payer_key
        _bump(s.payer_covered, payer, e.paid_cents + sum(m.paid_cents for m in e.medications))
        uncovered = e.total_cents - e.paid_cents + sum(m.total_cents - m.paid_cents for m in e.medications)
        _bump(s.payer_uncovered, payer, uncovered)
        _bump(s.payer_counts, f"{payer}:{'COVERED' if e.paid_cents else 'UNCOVERED'}_ENCOUNTERS")
        for medication in e.medications:
            _bump(
                s.payer_counts, f"{payer}:{'COVERED' if medication.paid_cents else 'UNCOVERED'}_MEDICATIONS"
            )
        for line in e.claim_lines:
            if line.kind in ("procedure", "immunization"):
                column = "PROCEDURES" if line.kind == "procedure" else "IMMUNIZATIONS"
                _bump(s.payer_counts, f"{payer}:{'COVERED' if line.paid_cents else 'UNCOVERED'}_{column}")


def _uuid(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def global_rows(directory: Directory, stats: UsageStats) -> dict[str, list[str]]:
    """payers, providers and organizations (the population's usage totals)."""
    rows: dict[str, list[str]] = {table: [] for table in GLOBAL_TABLES}
    for key, payer in sorted(PAYERS.items(), key=lambda item: item[1].id):
        customers = stats.payer_customers.get(key, 0)
        months = stats.payer_member_months.get(key, 0)
        qols = (
            "NaN" if customers == 0 else repr(round(stats.payer_qols_milli.get(key, 0) / customers / 1000, 4))
        )
        premium = 0 if key == "none" else MONTHLY_PREMIUM_CENTS
        counts = [
            str(stats.payer_counts.get(f"{key}:{state}_{kind}", 0))
            for kind in ("ENCOUNTERS", "MEDICATIONS", "PROCEDURES", "IMMUNIZATIONS")
            for state in ("COVERED", "UNCOVERED")
        ]
        rows["payers"].append(
            row(
                payer.id, payer.name, clean(payer.address), payer.city, payer.state, payer.zip, payer.phone,
                money(stats.payer_covered.get(key, 0)), money(stats.payer_uncovered.get(key, 0)), money(months * premium),
                *counts, str(customers), qols, str(months),
            )
        )  # fmt: skip
    for practitioner in directory.practitioners:
        org = practitioner.organization
        rows["providers"].append(
            row(
                practitioner.id, org.id, f"{practitioner.first} {practitioner.last}", practitioner.gender,
                practitioner.specialty, clean(org.address), org.city, org.state, org.zip, repr(org.lat), repr(org.lon),
                str(stats.provider_encounters.get(practitioner.id, 0)),
            )
        )  # fmt: skip
    for org in directory.organizations:
        rows["organizations"].append(
            row(
                org.id, clean(org.name), clean(org.address), org.city, org.state, org.zip, repr(org.lat), repr(org.lon),
                org.phone, money(stats.organization_revenue.get(org.id, 0)),
                str(stats.organization_encounters.get(org.id, 0)),
            )
        )  # fmt: skip
    return rows
