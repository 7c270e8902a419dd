"""FHIR R4 resources in Synthea's shape.

Within a patient bundle resources point at each other with ``urn:uuid:<id>``;
practitioners, organizations and locations are referenced conditionally by identifier
(NPI, or Synthea's organization/location id) and live in separate
``practitionerInformation``/``hospitalInformation`` bundles, as Synthea writes them.

Deliberate differences from Synthea, so that every total reconciles:

* ``Claim.total`` is the sum of the claim's priced items (the encounter item carries the
  encounter's base cost as ``net``; Synthea leaves that item unpriced), and equals
  ``TOTAL_CLAIM_COST`` in ``encounters.csv``;
* ``ExplanationOfBenefit.payment.amount`` is what the payer paid (the sum of the items'
  ``line_prvdr_pmt_amt``), and the latest EOB's equals ``PAYER_COVERAGE`` in ``encounters.csv``;
* a pharmacy Claim's single item is the drug (RxNorm) with its cost as ``net``;
* every claim the payer has decided by the as-of date has an ExplanationOfBenefit, pharmacy
  claims included (carelake.generate.adjudication): one per decision, ``created`` on the
  decision day. An initial denial is an EOB with nothing allowed or paid and a CARIN
  ``denialreason`` adjudication per item (the CARC); a decided appeal is a second EOB whose
  ``related`` entry (relationship ``prior``) names the first. Undecided claims have none.

``meta.lastUpdated`` (which Synthea leaves out) is set on every resource: the time the
record was last written in the source system (shortly after the encounter ends; for a
resolved condition, after it resolved; for a Patient, after their last activity). Late
updates injected as defects carry a newer ``meta.lastUpdated`` than the original.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from carelake.generate.catalog import (
    ACT_CODE,
    CONDITIONS,
    DISCHARGE,
    ENCOUNTER_TYPES,
    ETHNICITY_OMB,
    FHIR_CLASS_BY_ENCOUNTER_CLASS,
    IMMUNIZATIONS,
    LAB_PANELS,
    MEDICATIONS,
    OBSERVATIONS,
    PAYERS,
    PROCEDURES,
    RACE_OMB,
    UCUM,
    Code,
)
from carelake.generate.directory import Organization, Practitioner
from carelake.generate.model import (
    ClaimLine,
    ConditionRecord,
    EncounterRecord,
    MedicationRecord,
    ObservationRecord,
    PatientRecord,
    Person,
)
from carelake.generate.timeutil import fhir_datetime, fhir_instant_millis, utc_z

Resource = dict[str, Any]

SYNTHEA_SYSTEM = "https://github.com/synthetichealth/synthea"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
ADJUDICATION = "https://bluebutton.cms.gov/resources/codesystem/adjudication"
DENIAL_CATEGORY_SYSTEM = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator"
CARC_SYSTEM = "https://x12.org/codes/claim-adjustment-reason-codes"
RELATED_CLAIM_SYSTEM = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship"
USD = "USD"
LAST_UPDATED_LAG = 10 * 60  # seconds between the end of an encounter and its records being saved


def _profile(name: str) -> list[str]:
    return [US_CORE + name]


PROFILES = {
    "Patient": _profile("us-core-patient"),
    "Encounter": _profile("us-core-encounter"),
    "Condition": _profile("us-core-condition"),
    "Procedure": _profile("us-core-procedure"),
    "MedicationRequest": _profile("us-core-medicationrequest"),
    "Immunization": _profile("us-core-immunization"),
    "DiagnosticReport": _profile("us-core-diagnosticreport-lab"),
    "laboratory": _profile("us-core-observation-lab"),
    "vital-signs": ["http://hl7.org/fhir/StructureDefinition/vitalsigns"],
    "survey": _profile("us-core-observation-survey"),
    "Organization": _profile("us-core-organization"),
    "Practitioner": _profile("us-core-practitioner"),
    "Location": _profile("us-core-location"),
}


@lru_cache(maxsize=4096)
def concept(code: Code, text: bool = True) -> dict[str, Any]:
    """A CodeableConcept. Cached and shared between resources: never mutate the result."""
    coding = {"system": code.system, "code": code.code, "display": code.display}
    return {"coding": [coding], "text": code.display} if text else {"coding": [coding]}


def urn(resource_id: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{resource_id}"}


def practitioner_ref(practitioner: Practitioner, display: bool = True) -> dict[str, str]:
    reference = {"reference": f"Practitioner?identifier={NPI_SYSTEM}|{practitioner.npi}"}
    if display:
        reference["display"] = practitioner.display
    return reference


def organization_ref(organization: Organization) -> dict[str, str]:
    return {
        "reference": f"Organization?identifier={SYNTHEA_SYSTEM}|{organization.id}",
        "display": organization.name,
    }


def location_ref(organization: Organization) -> dict[str, str]:
    return {
        "reference": f"Location?identifier={SYNTHEA_SYSTEM}|{organization.location_id}",
        "display": organization.name,
    }


def money(cents: int) -> dict[str, Any]:
    return {"value": cents / 100, "currency": USD}


def meta(kind: str, last_updated: int) -> dict[str, Any]:
    return {"lastUpdated": utc_z(last_updated), "profile": PROFILES[kind]}


# --- Patient -------------------------------------------------------------------------


def _identifier(code: str, display: str, system: str, value: str) -> dict[str, Any]:
    return {
        "type": {"coding": [{"system": V2_0203, "code": code, "display": display}], "text": display},
        "system": system,
        "value": value,
    }


def _omb_extension(kind: str, code: str, display: str) -> dict[str, Any]:
    return {
        "url": f"{US_CORE}us-core-{kind}",
        "extension": [
            {
                "url": "ombCategory",
                "valueCoding": {
                    "system": "urn:oid:2.16.840.1.113883.6.238",
                    "code": code,
                    "display": display,
                },
            },
            {"url": "text", "valueString": display},
        ],
    }


def patient_resource(record: PatientRecord, last_updated: int) -> Resource:
    person = record.person
    race_code, race_display = RACE_OMB[person.race]
    ethnicity_code, ethnicity_display = ETHNICITY_OMB[person.ethnicity]
    identifiers = [
        {"system": SYNTHEA_SYSTEM, "value": person.id},
        # Like Synthea, the medical record number is the patient's id (system below).
        _identifier("MR", "Medical Record Number", "http://hospital.smarthealthit.org", person.id),
        _identifier("SS", "Social Security Number", "http://hl7.org/fhir/sid/us-ssn", person.ssn),
    ]
    if person.drivers:
        identifiers.append(
            _identifier("DL", "Driver's License", "urn:oid:2.16.840.1.113883.4.3.25", person.drivers)
        )
    if person.passport:
        identifiers.append(
            _identifier(
                "PPN",
                "Passport Number",
                "http://standardhealthrecord.org/fhir/StructureDefinition/passportNumber",
                person.passport,
            )
        )
    name: dict[str, Any] = {"use": "official", "family": person.last, "given": [person.first]}
    if person.prefix:
        name["prefix"] = [person.prefix]
    names = [name]
    if person.maiden:
        names.append({"use": "maiden", "family": person.maiden, "given": [person.first]})
    resource: Resource = {
        "resourceType": "Patient",
        "id": person.id,
        "meta": meta("Patient", last_updated),
        "extension": [
            _omb_extension("race", race_code, race_display),
            _omb_extension("ethnicity", ethnicity_code, ethnicity_display),
            {"url": f"{US_CORE}us-core-birthsex", "valueCode": person.gender},
            {
                "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                "valueAddress": {"city": person.birthplace, "state": "Massachusetts", "country": "US"},
            },
        ],
        "identifier": identifiers,
        "name": names,
        "telecom": [{"system": "phone", "value": person.phone, "use": "home"}],
        "gender": "male" if person.gender == "M" else "female",
        "birthDate": person.birth_date.isoformat(),
    }
    if person.deceased_ts is not None:
        resource["deceasedDateTime"] = fhir_datetime(person.deceased_ts)
    resource["address"] = [
        {
            "extension": [
                {
                    "url": "http://hl7.org/fhir/StructureDefinition/geolocation",
                    "extension": [
                        {"url": "latitude", "valueDecimal": person.lat},
                        {"url": "longitude", "valueDecimal": person.lon},
                    ],
                }
            ],
            "line": [person.address_line],
            "city": person.city.name,
            "state": "MA",
            "postalCode": person.city.zip,
            "country": "US",
        }
    ]
    if person.marital:
        status = {
            "system": "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
            "code": person.marital,
            "display": person.marital,
        }
        resource["maritalStatus"] = {"coding": [status], "text": person.marital}
    if person.multiple_birth is not None:
        resource["multipleBirthInteger"] = person.multiple_birth
    else:
        resource["multipleBirthBoolean"] = False
    resource["communication"] = [
        {
            "language": {
                "coding": [{"system": "urn:ietf:bcp:47", "code": "en-US", "display": "English"}],
                "text": "English",
            }
        }
    ]
    return resource


def patient_display(person: Person) -> str:
    return f"{person.prefix} {person.first} {person.last}".strip()


# --- Encounter and its clinical records ----------------------------------------------


def encounter_resource(encounter: EncounterRecord, person: Person, last_updated: int) -> Resource:
    period = {"start": fhir_datetime(encounter.start), "end": fhir_datetime(encounter.end)}
    resource: Resource = {
        "resourceType": "Encounter",
        "id": encounter.id,
        "meta": meta("Encounter", last_updated),
        "identifier": [{"use": "official", "system": SYNTHEA_SYSTEM, "value": encounter.id}],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": FHIR_CLASS_BY_ENCOUNTER_CLASS[encounter.encounter_class]},
        "type": [concept(ENCOUNTER_TYPES[encounter.type_key].code)],
        "subject": {"reference": f"urn:uuid:{person.id}", "display": patient_display(person)},
        "participant": [
            {
                "type": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "PPRF",
                                "display": "primary performer",
                            }
                        ],
                        "text": "primary performer",
                    }
                ],
                "period": period,
                "individual": practitioner_ref(encounter.practitioner),
            }
        ],
        "period": period,
    }
    reason_key = encounter.reason.key if encounter.reason is not None else None
    if reason_key is not None:
        resource["reasonCode"] = [concept(CONDITIONS[reason_key].code, text=False)]
    if encounter.discharge_key is not None:
        resource["hospitalization"] = {"dischargeDisposition": concept(DISCHARGE[encounter.discharge_key])}
    resource["location"] = [{"location": location_ref(encounter.organization)}]
    resource["serviceProvider"] = organization_ref(encounter.organization)
    return resource


def condition_resource(condition: ConditionRecord, patient_id: str, last_updated: int) -> Resource:
    resolved = condition.abatement_ts is not None
    resource: Resource = {
        "resourceType": "Condition",
        "id": condition.id,
        "meta": meta("Condition", last_updated),
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "resolved" if resolved else "active",
                }
            ]
        },
        "verificationStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}
            ]
        },
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "encounter-diagnosis",
                        "display": "Encounter Diagnosis",
                    }
                ]
            }
        ],
        "code": concept(CONDITIONS[condition.key].code),
        "subject": urn(patient_id),
        "encounter": urn(condition.encounter_id),
        "onsetDateTime": fhir_datetime(condition.onset_ts),
    }
    if resolved:
        resource["abatementDateTime"] = fhir_datetime(condition.abatement_ts)  # type: ignore[arg-type]
    resource["recordedDate"] = fhir_datetime(condition.recorded_ts)
    return resource


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"


@lru_cache(maxsize=8)
def _observation_category(category: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": OBSERVATION_CATEGORY, "code": category, "display": category}]}]


def observation_resource(
    observation: ObservationRecord, patient_id: str, encounter_id: str, last_updated: int
) -> Resource:
    definition = OBSERVATIONS[observation.key]
    category = definition.category
    resource: Resource = {
        "resourceType": "Observation",
        "id": observation.id,
        "meta": meta(category, last_updated),
        "status": "final",
        "category": _observation_category(category),
        "code": concept(definition.code),
        "subject": urn(patient_id),
        "encounter": urn(encounter_id),
        "effectiveInstant": fhir_datetime(observation.ts),
        "issued": fhir_instant_millis(observation.ts, 558),
    }
    if observation.components:
        resource["component"] = [
            {
                "code": concept(OBSERVATIONS[key].code),
                "valueQuantity": _quantity(value, OBSERVATIONS[key].unit),
            }
            for key, value in observation.components
        ]
    elif isinstance(observation.value, Code):
        resource["valueCodeableConcept"] = concept(observation.value)
    else:
        resource["valueQuantity"] = _quantity(observation.value, definition.unit)  # type: ignore[arg-type]
    return resource


def report_resources(encounter: EncounterRecord, patient_id: str, last_updated: int) -> list[Resource]:
    displays = {o.id: OBSERVATIONS[o.key].code.display for o in encounter.observations}
    resources = []
    for report in encounter.reports:
        resources.append(
            {
                "resourceType": "DiagnosticReport",
                "id": report.id,
                "meta": meta("DiagnosticReport", last_updated),
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                "code": "LAB",
                                "display": "Laboratory",
                            }
                        ]
                    }
                ],
                "code": concept(LAB_PANELS[report.panel][0]),
                "subject": urn(patient_id),
                "encounter": urn(encounter.id),
                "effectiveDateTime": fhir_datetime(report.ts),
                "issued": fhir_instant_millis(report.ts, 558),
                "performer": [organization_ref(encounter.organization)],
                "result": [
                    {"reference": f"urn:uuid:{oid}", "display": displays[oid]}
                    for oid in report.observation_ids
                ],
            }
        )
    return resources


def procedure_resources(encounter: EncounterRecord, patient_id: str, last_updated: int) -> list[Resource]:
    resources = []
    for procedure in encounter.procedures:
        resource: Resource = {
            "resourceType": "Procedure",
            "id": procedure.id,
            "meta": meta("Procedure", last_updated),
            "status": "completed",
            "code": concept(PROCEDURES[procedure.key].code),
            "subject": urn(patient_id),
            "encounter": urn(encounter.id),
            "performedPeriod": {"start": fhir_datetime(procedure.start), "end": fhir_datetime(procedure.end)},
            "location": location_ref(encounter.organization),
        }
        if procedure.reason is not None:
            resource["reasonReference"] = [
                {
                    "reference": f"urn:uuid:{procedure.reason.id}",
                    "display": CONDITIONS[procedure.reason.key].code.display,
                }
            ]
        resources.append(resource)
    return resources


def medication_request_resource(
    medication: MedicationRecord, encounter: EncounterRecord, patient_id: str, last_updated: int
) -> Resource:
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "id": medication.id,
        "meta": meta("MedicationRequest", last_updated),
        "status": "active" if medication.stop is None else "stopped",
        "intent": "order",
        "medicationCodeableConcept": concept(MEDICATIONS[medication.key].code),
        "subject": urn(patient_id),
        "encounter": urn(encounter.id),
        "authoredOn": fhir_datetime(medication.start),
        "requester": practitioner_ref(encounter.practitioner),
    }
    if medication.reason is not None:
        resource["reasonReference"] = [urn(medication.reason.id)]
    resource["dosageInstruction"] = [
        {
            "sequence": 1,
            "timing": {"repeat": {"frequency": 1, "period": 1.0, "periodUnit": "d"}},
            "asNeededBoolean": False,
        }
    ]
    resource["dispenseRequest"] = {
        "numberOfRepeatsAllowed": max(0, medication.dispenses - 1),
        "expectedSupplyDuration": {"value": 30, "unit": "days", "system": UCUM, "code": "d"},
    }
    return resource


def immunization_resources(encounter: EncounterRecord, patient_id: str, last_updated: int) -> list[Resource]:
    return [
        {
            "resourceType": "Immunization",
            "id": immunization.id,
            "meta": meta("Immunization", last_updated),
            "status": "completed",
            "vaccineCode": concept(IMMUNIZATIONS[immunization.key].code),
            "patient": urn(patient_id),
            "encounter": urn(encounter.id),
            "occurrenceDateTime": fhir_datetime(immunization.ts),
            "primarySource": True,
            "location": location_ref(encounter.organization),
        }
        for immunization in encounter.immunizations
    ]


# --- Claims and explanations of benefit ----------------------------------------------

CLAIM_TYPE = "http://terminology.hl7.org/CodeSystem/claim-type"
PRIORITY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]}
SERVICE_PLACE = {
    "ambulatory": ("21", "Inpatient Hospital"),
    "emergency": ("20", "Urgent Care Facility"),
    "inpatient": ("21", "Inpatient Hospital"),
    "urgentcare": ("20", "Urgent Care Facility"),
    "wellness": ("19", "Off Campus-Outpatient Hospital"),
}  # Synthea's own (odd) mapping of encounter class to place of service


def _claim_type(code: str) -> dict[str, Any]:
    return {"coding": [{"system": CLAIM_TYPE, "code": code}]}


def encounter_claim_resource(encounter: EncounterRecord, person: Person, last_updated: int) -> Resource:
    payer = PAYERS[encounter.payer_key].name
    items: list[dict[str, Any]] = []
    diagnoses, procedures, supporting = [], [], []
    for sequence, line in enumerate(encounter.claim_lines, start=1):
        item: dict[str, Any] = {"sequence": sequence}
        if line.kind == "diagnosis":
            diagnoses.append({"sequence": len(diagnoses) + 1, "diagnosisReference": urn(line.ref_id)})
            item["diagnosisSequence"] = [len(diagnoses)]
        elif line.kind == "procedure":
            procedures.append({"sequence": len(procedures) + 1, "procedureReference": urn(line.ref_id)})
            item["procedureSequence"] = [len(procedures)]
        elif line.kind == "immunization":
            supporting.append(
                {
                    "sequence": len(supporting) + 1,
                    "category": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/claiminformationcategory",
                                "code": "info",
                            }
                        ]
                    },
                    "valueReference": urn(line.ref_id),
                }
            )
            item["informationSequence"] = [len(supporting)]
        item["productOrService"] = concept(line.code)
        if line.kind == "encounter":
            item["encounter"] = [urn(encounter.id)]
        if line.kind != "diagnosis":
            item["net"] = money(line.amount_cents)
        items.append(item)
    resource: Resource = {
        "resourceType": "Claim",
        "id": encounter.claim_id,
        "meta": {"lastUpdated": utc_z(last_updated)},
        "status": "active",
        "type": _claim_type("institutional"),
        "use": "claim",
        "patient": {"reference": f"urn:uuid:{person.id}", "display": f"{person.first} {person.last}"},
        "billablePeriod": {"start": fhir_datetime(encounter.start), "end": fhir_datetime(encounter.end)},
        "created": fhir_datetime(encounter.end),
        "provider": organization_ref(encounter.organization),
        "priority": PRIORITY,
        "facility": location_ref(encounter.organization),
    }
    if supporting:
        resource["supportingInfo"] = supporting
    if diagnoses:
        resource["diagnosis"] = diagnoses
    if procedures:
        resource["procedure"] = procedures
    resource["insurance"] = [{"sequence": 1, "focal": True, "coverage": {"display": payer}}]
    resource["item"] = items
    resource["total"] = money(encounter.total_cents)
    return resource


def medication_claim_resource(
    medication: MedicationRecord, encounter: EncounterRecord, person: Person, last_updated: int
) -> Resource:
    return {
        "resourceType": "Claim",
        "id": medication.claim_id,
        "meta": {"lastUpdated": utc_z(last_updated)},
        "status": "active",
        "type": _claim_type("pharmacy"),
        "use": "claim",
        "patient": urn(person.id),
        "billablePeriod": {"start": fhir_datetime(encounter.start), "end": fhir_datetime(encounter.end)},
        "created": fhir_datetime(encounter.end),
        "provider": organization_ref(encounter.organization),
        "priority": PRIORITY,
        "prescription": urn(medication.id),
        "insurance": [
            {"sequence": 1, "focal": True, "coverage": {"display": PAYERS[encounter.payer_key].name}}
        ],
        "item": [
            {
                "sequence": 1,
                "productOrService": concept(MEDICATIONS[medication.key].code),
                "encounter": [urn(encounter.id)],
                "net": money(medication.total_cents),
            }
        ],
        "total": money(medication.total_cents),
    }


def _adjudication(code: str, display: str, cents: int) -> dict[str, Any]:
    """One of Synthea's Blue Button adjudication amounts (the two amount-less ones are left out)."""
    category = {
        "system": ADJUDICATION,
        "code": f"https://bluebutton.cms.gov/resources/variables/{code}",
        "display": display,
    }
    return {"category": {"coding": [category]}, "amount": money(cents)}


def denial_adjudication(carc: str, cents: int) -> dict[str, Any]:
    """The CARIN Blue Button denial-reason slice: the CARC (``CO-50``: group CO, reason 50) and
    the amount it denies. The code is the reason; the text keeps group and reason together."""
    reason = carc.split("-", 1)[1]
    return {
        "category": {
            "coding": [{"system": DENIAL_CATEGORY_SYSTEM, "code": "denialreason", "display": "Denial Reason"}]
        },
        "reason": {"coding": [{"system": CARC_SYSTEM, "code": reason}], "text": carc},
        "amount": money(cents),
    }


def _eob_item(
    line: ClaimLine,
    sequence: int,
    encounter: EncounterRecord,
    diagnosis_sequence: int | None,
    denial: str,
) -> dict[str, Any]:
    """One EOB item: what was billed, allowed and paid for the line in this decision (all zero
    with the denial reason when the decision is a denial)."""
    place_code, place_display = SERVICE_PLACE[encounter.encounter_class]
    item: dict[str, Any] = {"sequence": sequence}
    if diagnosis_sequence is not None:
        item["diagnosisSequence"] = [diagnosis_sequence]
    item["category"] = {
        "coding": [
            {
                "system": "https://bluebutton.cms.gov/resources/variables/line_cms_type_srvc_cd",
                "code": "1",
                "display": "Medical care",
            }
        ]
    }
    item["productOrService"] = concept(line.code)
    item["servicedPeriod"] = {"start": fhir_datetime(encounter.start), "end": fhir_datetime(encounter.end)}
    item["locationCodeableConcept"] = {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/ex-serviceplace",
                "code": place_code,
                "display": place_display,
            }
        ]
    }
    if line.kind == "encounter":
        item["encounter"] = [urn(encounter.id)]
    if line.kind != "diagnosis":
        allowed, paid = (0, 0) if denial else (line.allowed_cents, line.paid_cents)
        item["net"] = money(line.amount_cents)
        item["adjudication"] = [
            _adjudication("line_coinsrnc_amt", "Line Beneficiary Coinsurance Amount", allowed - paid),
            _adjudication("line_prvdr_pmt_amt", "Line Provider Payment Amount", paid),
            _adjudication("line_sbmtd_chrg_amt", "Line Submitted Charge Amount", line.amount_cents),
            _adjudication("line_alowd_chrg_amt", "Line Allowed Charge Amount", allowed),
        ]
        if denial:
            item["adjudication"].append(denial_adjudication(denial, line.amount_cents))
    return item


@dataclass(frozen=True, slots=True)
class ClaimDecision:
    """One ExplanationOfBenefit: a payer decision on a claim (the first one, or an appeal's)."""

    eob_id: str
    claim_id: str
    claim_type: str  # institutional | pharmacy
    lines: tuple[ClaimLine, ...]
    decided_ts: int
    denial: str  # CARC when this decision denies the claim, else ""
    prior_eob_id: str  # the decision an appeal revisited ("" for a first decision)
    disposition: str


def claim_decisions(encounter: EncounterRecord) -> list[ClaimDecision]:
    """Every decision (EOB) on the encounter's claim and on its pharmacy claims, claim by claim."""
    decisions: list[ClaimDecision] = []
    claims = [("institutional", encounter.claim_id, encounter.adjudication, tuple(encounter.claim_lines))]
    for medication in encounter.medications:
        line = ClaimLine(
            "medication", MEDICATIONS[medication.key].code, medication.total_cents, medication.paid_cents,
            medication.id, "", medication.allowed_cents,
        )  # fmt: skip
        claims.append(("pharmacy", medication.claim_id, medication.adjudication, (line,)))
    for claim_type, claim_id, adjudication, lines in claims:
        if adjudication is None or adjudication.adjudicated_ts is None:
            continue  # pending: the payer has not decided yet
        reason = adjudication.denial_reason
        first = "Processed" if not reason else f"Denied ({reason})"
        decisions.append(
            ClaimDecision(
                adjudication.eob_id,
                claim_id,
                claim_type,
                lines,
                adjudication.adjudicated_ts,
                reason,
                "",
                first,
            )
        )
        if adjudication.appeal and adjudication.appeal_ts is not None:
            upheld = adjudication.appeal == "upheld"
            decisions.append(
                ClaimDecision(
                    adjudication.appeal_eob_id, claim_id, claim_type, lines, adjudication.appeal_ts,
                    reason if upheld else "", adjudication.eob_id,
                    f"Appeal upheld: denied ({reason})" if upheld else "Appeal overturned: reprocessed and paid",
                )
            )  # fmt: skip
    return decisions


def eob_resource(decision: ClaimDecision, encounter: EncounterRecord, person: Person) -> Resource:
    payer = PAYERS[encounter.payer_key].name
    practitioner = practitioner_ref(encounter.practitioner, display=False)
    patient = urn(person.id)
    items, diagnoses = [], []
    for sequence, line in enumerate(decision.lines, start=1):
        diagnosis_sequence = None
        if line.kind == "diagnosis":
            diagnoses.append(
                {
                    "sequence": len(diagnoses) + 1,
                    "diagnosisReference": urn(line.ref_id),
                    "type": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/ex-diagnosistype",
                                    "code": "principal",
                                }
                            ]
                        }
                    ],
                }
            )
            diagnosis_sequence = len(diagnoses)
        items.append(_eob_item(line, sequence, encounter, diagnosis_sequence, decision.denial))
    one_year_later = encounter.end + 365 * 86_400
    resource: Resource = {
        "resourceType": "ExplanationOfBenefit",
        "id": decision.eob_id,
        "meta": {"lastUpdated": utc_z(decision.decided_ts)},
        "contained": [
            {
                "resourceType": "ServiceRequest",
                "id": "referral",
                "status": "completed",
                "intent": "order",
                "subject": patient,
                "requester": practitioner,
                "performer": [practitioner],
            },
            {
                "resourceType": "Coverage",
                "id": "coverage",
                "status": "active",
                "type": {"text": payer},
                "beneficiary": patient,
                "payor": [{"display": payer}],
            },
        ],
        "identifier": [
            {"system": "https://bluebutton.cms.gov/resources/variables/clm_id", "value": decision.claim_id},
            {"system": "https://bluebutton.cms.gov/resources/identifier/claim-group", "value": "99999999999"},
        ],
        "status": "active",
        "type": _claim_type(decision.claim_type),
        "use": "claim",
        "patient": patient,
        "billablePeriod": {"start": fhir_datetime(encounter.end), "end": fhir_datetime(one_year_later)},
        "created": fhir_datetime(decision.decided_ts),
        "insurer": {"display": payer},
        "provider": practitioner,
        "referral": {"reference": "#referral"},
        "facility": location_ref(encounter.organization),
        "claim": urn(decision.claim_id),
    }
    if decision.prior_eob_id:
        # an appeal's decision revisits the first one (FHIR ex-relatedclaimrelationship "prior")
        resource["related"] = [
            {
                "relationship": {"coding": [{"system": RELATED_CLAIM_SYSTEM, "code": "prior"}]},
                "reference": {"value": decision.prior_eob_id},
            }
        ]
    resource["outcome"] = "complete"
    resource["disposition"] = decision.disposition
    resource["careTeam"] = [
        {
            "sequence": 1,
            "provider": practitioner,
            "role": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/claimcareteamrole",
                        "code": "primary",
                        "display": "Primary Care Practitioner",
                    }
                ]
            },
        }
    ]
    if diagnoses:
        resource["diagnosis"] = diagnoses
    resource["insurance"] = [{"focal": True, "coverage": {"reference": "#coverage", "display": payer}}]
    resource["item"] = items
    billed = sum(line.amount_cents for line in decision.lines)
    paid = 0 if decision.denial else sum(line.paid_cents for line in decision.lines)
    resource["total"] = [
        {
            "category": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/adjudication",
                        "code": "submitted",
                        "display": "Submitted Amount",
                    }
                ],
                "text": "Submitted Amount",
            },
            "amount": money(billed),
        }
    ]
    resource["payment"] = {"amount": money(paid)}
    return resource


# --- Directory resources -------------------------------------------------------------


def organization_resource(organization: Organization, last_updated: int) -> Resource:
    resource: Resource = {
        "resourceType": "Organization",
        "id": organization.id,
        "meta": meta("Organization", last_updated),
        "identifier": [{"system": SYNTHEA_SYSTEM, "value": organization.id}],
        "active": True,
        "type": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/organization-type",
                        "code": "prov",
                        "display": "Healthcare Provider",
                    }
                ],
                "text": "Healthcare Provider",
            }
        ],
        "name": organization.name,
    }
    if organization.phone:
        resource["telecom"] = [{"system": "phone", "value": organization.phone}]
    resource["address"] = [
        {
            "line": [organization.address],
            "city": organization.city,
            "state": organization.state,
            "postalCode": organization.zip,
            "country": "US",
        }
    ]
    return resource


def location_resource(organization: Organization, last_updated: int) -> Resource:
    resource: Resource = {
        "resourceType": "Location",
        "id": organization.location_id,
        "meta": meta("Location", last_updated),
        "identifier": [{"system": SYNTHEA_SYSTEM, "value": organization.location_id}],
        "status": "active",
        "name": organization.name,
    }
    if organization.phone:
        resource["telecom"] = [{"system": "phone", "value": organization.phone}]
    resource["address"] = {
        "line": [organization.address],
        "city": organization.city,
        "state": organization.state,
        "postalCode": organization.zip,
        "country": "US",
    }
    resource["position"] = {"longitude": organization.lon, "latitude": organization.lat}
    resource["managingOrganization"] = organization_ref(organization)
    return resource


def practitioner_resource(practitioner: Practitioner, last_updated: int) -> Resource:
    organization = practitioner.organization
    return {
        "resourceType": "Practitioner",
        "id": practitioner.id,
        "meta": meta("Practitioner", last_updated),
        "identifier": [{"system": NPI_SYSTEM, "value": practitioner.npi}],
        "active": True,
        "name": [{"family": practitioner.last, "given": [practitioner.first], "prefix": ["Dr."]}],
        "telecom": [
            {
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-direct",
                        "valueBoolean": True,
                    }
                ],
                "system": "email",
                "value": f"{practitioner.first}.{practitioner.last}@example.com",
                "use": "work",
            }
        ],
        "address": [
            {
                "line": [organization.address],
                "city": organization.city,
                "state": organization.state,
                "postalCode": organization.zip,
                "country": "US",
            }
        ],
        "gender": "male" if practitioner.gender == "M" else "female",
        "qualification": [{"code": {"text": practitioner.specialty}}],
    }
