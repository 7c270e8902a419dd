"""Explicit schemas for reading bronze resource JSON (never schema inference).

Only the elements silver uses are declared; from_json ignores the rest. Money is read
as decimal so amounts stay exact; codes and dates as strings (dates are parsed by
carelake.silver.common with FHIR's own formats).
"""

from __future__ import annotations

CODING = "struct<system: string, code: string, display: string>"
CONCEPT = f"struct<coding: array<{CODING}>, text: string>"
REFERENCE = "struct<reference: string, display: string>"
PERIOD = "struct<start: string, end: string>"
QUANTITY = "struct<value: double, unit: string, code: string>"
MONEY = "struct<value: decimal(14,2), currency: string>"
ADDRESS = "struct<line: array<string>, city: string, state: string, postalCode: string, country: string>"
IDENTIFIER = f"struct<type: {CONCEPT}, system: string, value: string>"
HUMAN_NAME = "struct<use: string, family: string, given: array<string>, prefix: array<string>>"

PATIENT = (
    f"id string, identifier array<{IDENTIFIER}>, name array<{HUMAN_NAME}>, gender string, birthDate string, "
    f"deceasedDateTime string, address array<{ADDRESS}>, maritalStatus {CONCEPT}, "
    f"extension array<struct<url: string, extension: array<struct<url: string, valueCoding: {CODING}, "
    f"valueString: string>>>>"
)
ENCOUNTER = (
    f"id string, status string, class {CODING}, type array<{CONCEPT}>, subject {REFERENCE}, "
    f"participant array<struct<individual: {REFERENCE}>>, period {PERIOD}, reasonCode array<{CONCEPT}>, "
    f"hospitalization struct<dischargeDisposition: {CONCEPT}>, location array<struct<location: {REFERENCE}>>, "
    f"serviceProvider {REFERENCE}"
)
CONDITION = (
    f"id string, code {CONCEPT}, subject {REFERENCE}, encounter {REFERENCE}, onsetDateTime string, "
    f"abatementDateTime string, recordedDate string, clinicalStatus {CONCEPT}"
)
PROCEDURE = (
    f"id string, status string, code {CONCEPT}, subject {REFERENCE}, encounter {REFERENCE}, "
    f"performedPeriod {PERIOD}, performedDateTime string, reasonCode array<{CONCEPT}>"
)
OBSERVATION_VALUE = (
    f"valueQuantity {QUANTITY}, valueCodeableConcept {CONCEPT}, valueString string, valueBoolean boolean"
)
OBSERVATION = (
    f"id string, status string, category array<{CONCEPT}>, code {CONCEPT}, subject {REFERENCE}, "
    f"encounter {REFERENCE}, effectiveDateTime string, effectiveInstant string, {OBSERVATION_VALUE}, "
    f"component array<struct<code: {CONCEPT}, valueQuantity: {QUANTITY}, valueCodeableConcept: {CONCEPT}, "
    f"valueString: string, valueBoolean: boolean>>"
)
MEDICATION_REQUEST = (
    f"id string, status string, medicationCodeableConcept {CONCEPT}, medicationReference {REFERENCE}, "
    f"subject {REFERENCE}, encounter {REFERENCE}, authoredOn string, reasonReference array<{REFERENCE}>"
)
MEDICATION = f"id string, code {CONCEPT}"
IMMUNIZATION = (
    f"id string, status string, vaccineCode {CONCEPT}, patient {REFERENCE}, encounter {REFERENCE}, "
    f"occurrenceDateTime string"
)
CLAIM_ITEM = (
    f"struct<sequence: int, productOrService: {CONCEPT}, encounter: array<{REFERENCE}>, net: {MONEY}, "
    f"quantity: struct<value: double>, servicedPeriod: {PERIOD}, "
    f"adjudication: array<struct<category: {CONCEPT}, reason: {CONCEPT}, amount: {MONEY}>>>"
)
CLAIM = (
    f"id string, status string, type {CONCEPT}, patient {REFERENCE}, billablePeriod {PERIOD}, created string, "
    f"provider {REFERENCE}, facility {REFERENCE}, insurance array<struct<coverage: {REFERENCE}>>, "
    f"diagnosis array<struct<sequence: int, diagnosisReference: {REFERENCE}, diagnosisCodeableConcept: {CONCEPT}>>, "
    f"item array<{CLAIM_ITEM}>, total {MONEY}"
)
EXPLANATION_OF_BENEFIT = (
    f"id string, status string, outcome string, created string, claim {REFERENCE}, patient {REFERENCE}, "
    f"billablePeriod {PERIOD}, "
    f"provider {REFERENCE}, facility {REFERENCE}, insurer {REFERENCE}, referral {REFERENCE}, "
    f"insurance array<struct<focal: boolean, coverage: {REFERENCE}>>, "
    f"contained array<struct<resourceType: string, id: string, type: {CONCEPT}, payor: array<{REFERENCE}>, "
    f"requester: {REFERENCE}, performer: array<{REFERENCE}>>>, "
    f"item array<{CLAIM_ITEM}>, total array<struct<category: {CONCEPT}, amount: {MONEY}>>, "
    f"payment struct<amount: {MONEY}>"
)
PRACTITIONER = (
    f"id string, identifier array<{IDENTIFIER}>, name array<{HUMAN_NAME}>, gender string, "
    f"address array<{ADDRESS}>, qualification array<struct<code: {CONCEPT}>>"
)
ORGANIZATION = (
    f"id string, identifier array<{IDENTIFIER}>, name string, type array<{CONCEPT}>, address array<{ADDRESS}>"
)
LOCATION = (
    f"id string, identifier array<{IDENTIFIER}>, name string, address {ADDRESS}, "
    f"managingOrganization {REFERENCE}, position struct<latitude: double, longitude: double>"
)
