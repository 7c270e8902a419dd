"""Defect injection: the bad records a real landing zone receives, each one on record.

Every injected defect is reported in ``_report.json`` as a :class:`Defect`::

    {"kind": ..., "path": <relative to OUT>, "line": <1-based> | "entry": <0-based>,
     "resource_type" | "table": ..., "id": ..., <kind-specific fields>}

``line`` counts lines of NDJSON/JSONL files and CSV files (the CSV header is line 1);
``entry`` is the index in a bundle's ``entry`` array. A truncated bundle has neither.
Defects use their own random stream, so the clean records around them are the same as in
a run without defects.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from carelake.generate.jsonio import dumps
from carelake.generate.timeutil import fhir_datetime, utc_z

BAD_DATETIMES = ("2023-02-30T10:00:00-05:00", "yesterday", "2023-13-01T08:00:00Z", "31/12/2023 10:00")
BAD_DATES = ("2023-02-30", "yesterday", "2023-13-01", "31/12/2023")
CSV_BAD_TIMESTAMPS = ("2023-02-30T10:00:00Z", "yesterday", "2023-13-01T08:00:00Z")
# The clinical date of each resource type that a bad-date defect may break (else meta).
DATE_FIELDS = {
    "Patient": ("birthDate", False),
    "Encounter": ("period.start", True),
    "Observation": ("effectiveInstant", True),
    "Condition": ("onsetDateTime", True),
    "Procedure": ("performedPeriod.start", True),
    "MedicationRequest": ("authoredOn", True),
    "Immunization": ("occurrenceDateTime", True),
    "DiagnosticReport": ("effectiveDateTime", True),
    "Claim": ("created", True),
    "ExplanationOfBenefit": ("created", True),
}
NDJSON_KINDS = (
    ("malformed_json", 0.2), ("missing_id", 0.12), ("missing_resource_type", 0.12), ("bad_date", 0.2),
    ("duplicate_resource", 0.18), ("late_update", 0.18),
)  # fmt: skip
BUNDLE_ENTRY_KINDS = (
    ("entry_without_resource", 0.3),
    ("missing_id", 0.2),
    ("missing_resource_type", 0.2),
    ("bad_date", 0.3),
)
LATE_UPDATE_TYPES = frozenset({"Patient", "Observation", "Condition", "MedicationRequest"})
CSV_DATE_COLUMNS = {
    "patients": "BIRTHDATE", "encounters": "START", "conditions": "START", "procedures": "START",
    "observations": "DATE", "medications": "START", "immunizations": "DATE", "claims": "SERVICEDATE",
    "claims_transactions": "FROMDATE", "payer_transitions": "START_YEAR",
}  # fmt: skip
CSV_ID_COLUMNS = {
    "patients": "Id", "encounters": "Id", "claims": "Id", "claims_transactions": "ID", "conditions": "ENCOUNTER",
    "procedures": "ENCOUNTER", "observations": "ENCOUNTER", "medications": "ENCOUNTER", "immunizations": "ENCOUNTER",
    "payer_transitions": "PATIENT",
}  # fmt: skip
PARTNER_KINDS = ("bad_icd10", "bad_cpt", "negative_amount", "non_numeric_amount", "missing_member_id")
BAD_ICD10 = ("XYZ", "E1", "1234.5", "E11.99999")
BAD_CPT = ("9921", "ABCDE", "99213X", "1111F")
NON_NUMERIC = ("N/A", "12O.00", "$125.00", "one hundred")
BAD_CHANNELS = ("fax", "carrier_pigeon")
BAD_STATUSES = ("maybe", "REACHED", "unknown")


@dataclass(slots=True)
class Defect:
    kind: str
    path: str
    id: str
    resource_type: str | None = None
    table: str | None = None
    line: int | None = None
    entry: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {"kind": self.kind, "path": self.path}
        if self.line is not None:
            record["line"] = self.line
        if self.entry is not None:
            record["entry"] = self.entry
        if self.resource_type is not None:
            record["resource_type"] = self.resource_type
        if self.table is not None:
            record["table"] = self.table
        record["id"] = self.id
        record.update(self.extra)
        return record


def set_path(resource: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    target = resource
    for name in parents:
        target = target[name]
    target[leaf] = value


def malformed(text: str, rng: random.Random) -> str:
    """Cut a JSON document in the middle: never parseable."""
    return text[: rng.randint(len(text) // 4, len(text) * 3 // 4)]


def without(text: str, key: str) -> str:
    resource = json.loads(text)
    del resource[key]
    return dumps(resource)


def with_bad_date(text: str, rng: random.Random) -> tuple[str, str, str]:
    """The resource with one date replaced by an impossible one: (text, field, value)."""
    resource = json.loads(text)
    clinical = DATE_FIELDS.get(resource["resourceType"])
    if clinical is not None and rng.random() < 0.5:
        name, is_datetime = clinical
        value = rng.choice(BAD_DATETIMES if is_datetime else BAD_DATES)
    else:
        name, value = "meta.lastUpdated", rng.choice(BAD_DATETIMES)
    set_path(resource, name, value)
    return dumps(resource), name, value


def late_update(
    text: str, rng: random.Random, latest_allowed: int, original_ts: int
) -> tuple[str, str, Any, str]:
    """A newer version of the resource: (text, changed field, new value, new lastUpdated)."""
    resource = json.loads(text)
    new_ts = min(original_ts + rng.randint(1, 20) * 86_400, latest_allowed)
    kind = resource["resourceType"]
    if kind == "Patient":
        name, value = "telecom[0].value", f"555-{rng.randint(100, 999)}-{rng.randint(1000, 9999)}"
        resource["telecom"][0]["value"] = value
    elif kind == "Observation":
        resource["status"] = "amended"
        if "valueQuantity" in resource:
            name, value = "valueQuantity.value", round(resource["valueQuantity"]["value"] * 1.05 + 0.1, 2)
            resource["valueQuantity"]["value"] = value
        elif "component" in resource:
            name, value = (
                "component[0].valueQuantity.value",
                resource["component"][0]["valueQuantity"]["value"] + 3,
            )
            resource["component"][0]["valueQuantity"]["value"] = value
        else:
            name, value = "status", "amended"
    elif kind == "Condition":
        name, value = "clinicalStatus.coding[0].code", "resolved"
        resource["clinicalStatus"]["coding"][0]["code"] = value
        resource["abatementDateTime"] = fhir_datetime(new_ts)
    else:  # MedicationRequest
        name = "status"
        value = "stopped" if resource["status"] == "active" else "completed"
        resource["status"] = value
    resource["meta"]["lastUpdated"] = utc_z(new_ts)
    return dumps(resource), name, value, utc_z(new_ts)


def csv_with_bad_date(row: str, header: list[str], table: str, rng: random.Random) -> tuple[str, str, str]:
    fields = row.split(",")
    column = CSV_DATE_COLUMNS[table]
    position = header.index(column)
    timestamp = fields[position].endswith("Z")
    value = rng.choice(CSV_BAD_TIMESTAMPS if timestamp else BAD_DATES)
    fields[position] = value
    return ",".join(fields), column, value


def csv_with_wrong_field_count(row: str, rng: random.Random) -> tuple[str, int]:
    fields = row.split(",")
    fields = [*fields, "EXTRA"] if rng.random() < 0.5 else fields[:-1]
    return ",".join(fields), len(fields)


def csv_row_id(row: str, header: list[str], table: str) -> str:
    return row.split(",")[header.index(CSV_ID_COLUMNS[table])]
