"""Treatment records and two DynamoDB exports of the treatment table (export to S3 format).

A treatment is a hospital stay (inpatient care, surgery, chemotherapy, transplant,
rehabilitation), an emergency visit that ended in discharge, or a drug therapy (for a new
chronic diagnosis, or an acute illness). Each item changes over time: it is created
``in_progress``; its outcome (``success``/``failure``) is written later (a month after a
hospital discharge: a stay followed by an unplanned readmission within 30 days, or a
death, is a failure; two weeks after an emergency visit: a failure when the patient is
back); some items later get a billing correction of their ``cost``. Every change moves
``metadata_modified_at``.

The first export is taken 45 days before the as-of date, the second at the as-of date.
Both are full snapshots (as DynamoDB's full export writes them); the second therefore
holds unchanged items, updated items (newer ``metadata_modified_at``) and new items, which
is what an incremental load by ``metadata_modified_at`` watermark must pick out.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from carelake.generate.catalog import CONDITIONS
from carelake.generate.ids import stream
from carelake.generate.model import EncounterRecord, PatientRecord
from carelake.generate.settings import Settings
from carelake.generate.timeutil import SECONDS_PER_DAY, day_epoch, local_date, utc_z

TREATMENT_TYPE = {
    "admission_emergency": "Inpatient Care",
    "admission_surgical": "Surgery",
    "admission_oncology": "Chemotherapy",
    "admission_transplant": "Transplant",
    "admission_rehabilitation": "Rehabilitation",
}
SPECIALTY = {
    "GENERAL PRACTICE": "General Practice", "FAMILY PRACTICE": "Family Medicine", "INTERNAL MEDICINE": "Internal Medicine",
    "NURSE PRACTITIONER": "Primary Care", "PHYSICIAN ASSISTANT": "Primary Care", "EMERGENCY MEDICINE": "Emergency Medicine",
    "CARDIOVASCULAR DISEASE (CARDIOLOGY)": "Cardiology", "PULMONARY DISEASE": "Pulmonology",
    "HEMATOLOGY/ONCOLOGY": "Oncology", "NEPHROLOGY": "Nephrology", "PHYSICAL MEDICINE AND REHABILITATION": "Rehabilitation",
    "ORTHOPEDIC SURGERY": "Orthopedics", "NEUROLOGY": "Neurology", "GENERAL SURGERY": "General Surgery",
    "CARDIAC SURGERY": "Cardiac Surgery",
}  # fmt: skip
FIRST_EXPORT_DAYS_BEFORE = 45
ITEMS_PER_DATA_FILE = 5000
ACCOUNT = "123456789012"  # placeholder AWS account id in the export ARNs
TABLE = "carelake-treatments"


@dataclass(frozen=True, slots=True)
class Version:
    at_ts: int
    outcome_status: str
    cost_cents: int


@dataclass(frozen=True, slots=True)
class Treatment:
    treatment_id: str
    patient_id: str
    provider_npi: str
    provider_name: str
    specialty: str
    city: str
    state: str
    disease: str
    treatment_type: str
    treatment_date: str
    versions: tuple[Version, ...]

    def version_at(self, ts: int) -> Version | None:
        current = None
        for version in self.versions:
            if version.at_ts <= ts:
                current = version
        return current

    def item(self, version: Version) -> dict[str, Any]:
        """The DynamoDB JSON ``Item`` for one version (attribute order as in the contract)."""
        cents = version.cost_cents
        return {
            "treatment_id": {"S": self.treatment_id},
            "patient_id": {"S": self.patient_id},
            "provider_npi": {"S": self.provider_npi},
            "provider_name": {"S": self.provider_name},
            "specialty": {"S": self.specialty},
            "city": {"S": self.city},
            "state": {"S": self.state},
            "disease": {"S": self.disease},
            "treatment_type": {"S": self.treatment_type},
            "outcome_status": {"S": version.outcome_status},
            "cost": {"N": f"{cents // 100}.{cents % 100:02d}"},
            "treatment_date": {"S": self.treatment_date},
            "metadata_modified_at": {"S": utc_z(version.at_ts)},
        }


def patient_treatments(settings: Settings, record: PatientRecord) -> list[Treatment]:
    rng = stream(settings.seed, "treatments", record.person.index)
    since = day_epoch(settings.as_of - timedelta(days=365 * settings.treatment_years))
    unplanned_admissions = [
        e.start for e in record.encounters if e.encounter_class == "inpatient" and not e.planned
    ]
    acute_visits = [e.start for e in record.encounters if e.encounter_class in ("inpatient", "emergency")]
    treatments = []
    for encounter in record.encounters:
        if encounter.start < since:
            continue
        kind = encounter.encounter_class
        if kind == "inpatient" and encounter.discharge_key != "transfer":
            failed = encounter.discharge_key == "expired" or _any_within(
                unplanned_admissions, encounter.end, 30
            )
            outcome = "failure" if failed or rng.random() < 0.1 else "success"
            days = 1 if encounter.discharge_key == "expired" else rng.randint(30, 33)
            label = TREATMENT_TYPE[encounter.type_key]
            treatments.append(_treatment(rng, record, encounter, label, outcome, days, encounter.total_cents))
        elif kind == "emergency" and not _any_within(unplanned_admissions, encounter.end - 1, 0):
            # Treated and released: a failure when the patient is back within two weeks.
            failed = _any_within(acute_visits, encounter.end, 14)
            outcome = "failure" if failed or rng.random() < 0.1 else "success"
            treatments.append(
                _treatment(rng, record, encounter, "Emergency Care", outcome, 14, encounter.total_cents)
            )
        elif encounter.medications and encounter.type_key in ("problem", "symptom", "urgent_care"):
            new_diagnosis = encounter.type_key == "problem"
            draw = rng.random()
            if new_diagnosis:
                outcome = "success" if draw < 0.7 else "failure" if draw < 0.9 else "in_progress"
            else:
                outcome = "success" if draw < 0.85 else "failure"
            days = rng.randint(90, 180) if new_diagnosis else rng.randint(10, 14)
            cost = sum(m.total_cents for m in encounter.medications)
            treatments.append(_treatment(rng, record, encounter, "Medication", outcome, days, cost))
    return treatments


def _any_within(starts: list[int], after: int, days: int) -> bool:
    """Does any start fall in (after, after + days] (days = 0: within the next second)?"""
    limit = after + max(1, days * SECONDS_PER_DAY)
    return any(after < start <= limit for start in starts)


def _treatment(
    rng: Any, record: PatientRecord, encounter: EncounterRecord, kind: str, outcome: str, days: int, cost: int
) -> Treatment:
    """A treatment created in progress, with its outcome written ``days`` after the encounter."""
    decided = encounter.end + days * SECONDS_PER_DAY
    practitioner = encounter.practitioner
    reason_key = encounter.reason.key if encounter.reason is not None else encounter.reason_key
    disease = CONDITIONS[reason_key].disease if reason_key else "General care"
    created = encounter.start + 3600
    versions = [Version(created, "in_progress", int(cost * rng.uniform(0.8, 1.0)))]
    if outcome != "in_progress":
        versions.append(Version(decided, outcome, cost))
        if rng.random() < 0.08:
            correction = decided + rng.randint(5, 60) * SECONDS_PER_DAY
            versions.append(Version(correction, outcome, int(cost * rng.uniform(0.9, 1.1))))
    return Treatment(
        treatment_id=f"t-{rng.getrandbits(64):016x}",
        patient_id=record.person.id,
        provider_npi=practitioner.npi,
        provider_name=practitioner.display,
        specialty=SPECIALTY.get(practitioner.specialty, practitioner.specialty.title()),
        city=encounter.organization.city.title(),
        state=encounter.organization.state,
        disease=disease,
        treatment_type=kind,
        treatment_date=local_date(encounter.start).isoformat(),
        versions=tuple(versions),
    )


def export_times(settings: Settings) -> tuple[int, int]:
    first = day_epoch(settings.as_of - timedelta(days=FIRST_EXPORT_DAYS_BEFORE)) + SECONDS_PER_DAY - 1
    return first, settings.as_of_end_ts


def export_id(seed: int, export_ts: int) -> str:
    """DynamoDB's export id shape: 14-digit epoch milliseconds, dash, 8 hex characters."""
    suffix = hashlib.sha256(f"carelake:{seed}:{export_ts}".encode()).hexdigest()[:8]
    return f"{export_ts * 1000:014d}-{suffix}"


def write_export(out: Path, seed: int, export_ts: int, treatments: list[Treatment]) -> dict[str, Any]:
    """Write ``AWSDynamoDB/<export-id>/`` under ``out``; returns counts for the report."""
    identifier = export_id(seed, export_ts)
    root = out / "AWSDynamoDB" / identifier
    (root / "data").mkdir(parents=True, exist_ok=True)
    snapshot = sorted(
        ((t, v) for t in treatments if (v := t.version_at(export_ts)) is not None),
        key=lambda tv: tv[0].treatment_id,
    )
    manifest_lines, total_bytes = [], 0
    for part in range(0, max(1, len(snapshot)), ITEMS_PER_DATA_FILE):
        chunk = snapshot[part : part + ITEMS_PER_DATA_FILE]
        text = "".join(json.dumps({"Item": t.item(v)}, separators=(",", ":")) + "\n" for t, v in chunk)
        raw = text.encode("utf-8")
        name = hashlib.sha256(f"{identifier}:{part}".encode()).hexdigest()[:26] + ".json.gz"
        key = f"AWSDynamoDB/{identifier}/data/{name}"
        (root / "data" / name).write_bytes(gzip.compress(raw, compresslevel=6, mtime=0))
        digest = hashlib.md5(raw).digest()  # DynamoDB manifests carry MD5 checksums
        manifest_lines.append(
            json.dumps(
                {
                    "itemCount": len(chunk),
                    "md5Checksum": base64.b64encode(digest).decode(),
                    "etag": digest.hex(),
                    "dataFileS3Key": key,
                },
                separators=(",", ":"),
            )
        )
        total_bytes += len(raw)
    (root / "manifest-files.json").write_text("\n".join(manifest_lines) + "\n", encoding="utf-8")
    table_arn = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{TABLE}"
    summary = {
        "version": "2020-06-30",
        "exportArn": f"{table_arn}/export/{identifier}",
        "startTime": utc_z(export_ts),
        "endTime": utc_z(export_ts + 300),
        "tableArn": table_arn,
        "tableId": hashlib.sha256(f"{TABLE}:{seed}".encode()).hexdigest()[:32],
        "exportTime": utc_z(export_ts),
        "s3Bucket": "carelake-landing",
        "s3Prefix": None,
        "s3SseAlgorithm": "AES256",
        "s3SseKmsKeyId": None,
        "manifestFilesS3Key": f"AWSDynamoDB/{identifier}/manifest-files.json",
        "billedSizeBytes": total_bytes,
        "itemCount": len(snapshot),
        "outputFormat": "DYNAMODB_JSON",
    }
    (root / "manifest-summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return {"export_id": identifier, "export_time": utc_z(export_ts), "items": len(snapshot)}


def compare_exports(treatments: list[Treatment], first_ts: int, second_ts: int) -> dict[str, int]:
    """How the second export differs from the first: unchanged, updated and new items."""
    counts = {"unchanged": 0, "updated": 0, "new": 0}
    for treatment in treatments:
        before, after = treatment.version_at(first_ts), treatment.version_at(second_ts)
        if after is None:
            continue
        if before is None:
            counts["new"] += 1
        elif before == after:
            counts["unchanged"] += 1
        else:
            counts["updated"] += 1
    return counts
