"""Generate one chunk of patients (a unit of parallel work) into part files.

A chunk writes its patients' bundles straight to ``fhir/bundles/``, collects its NDJSON
and CSV lines and writes them as part files under ``.parts/<chunk>/``; the parent
concatenates the parts in chunk order and gathers the small outputs (partner claims,
outreach, treatments, usage counts) that the chunk returns.
Nothing a chunk produces depends on which process runs it or on the chunk size: every
patient draws from streams keyed by its own index. Defect line numbers are recorded
relative to the chunk's part (0-based) and made absolute by the parent.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from carelake.generate import defects as bad
from carelake.generate.csvout import HEADERS, PATIENT_TABLES, PatientCsv, UsageStats
from carelake.generate.defects import Defect
from carelake.generate.directory import build_directory
from carelake.generate.fhir import (
    LAST_UPDATED_LAG,
    Resource,
    claim_decisions,
    condition_resource,
    encounter_claim_resource,
    encounter_resource,
    eob_resource,
    immunization_resources,
    medication_claim_resource,
    medication_request_resource,
    observation_resource,
    patient_resource,
    procedure_resources,
    report_resources,
)
from carelake.generate.ids import stream, weighted_choice
from carelake.generate.jsonio import dumps, dumps_bytes
from carelake.generate.model import PatientRecord
from carelake.generate.outreach import outreach_events
from carelake.generate.partner_claims import Member, claim_rows
from carelake.generate.settings import Settings
from carelake.generate.simulate import simulate_patient
from carelake.generate.timeutil import SECONDS_PER_HOUR, day_epoch
from carelake.generate.treatments import Treatment, patient_treatments

BUNDLE_DIR = "fhir/bundles"
PARTS_DIR = ".parts"
CSV_HEADER_FIELDS = {table: header.split(",") for table, header in HEADERS.items()}


@dataclass(slots=True)
class ChunkResult:
    chunk: int
    patients: int = 0
    ndjson: dict[str, list[bytes]] = field(default_factory=lambda: defaultdict(list))  # file -> lines
    csv: dict[str, list[str]] = field(default_factory=lambda: {table: [] for table in PATIENT_TABLES})
    ndjson_lines: dict[str, int] = field(default_factory=dict)  # file -> lines in this chunk's part
    csv_lines: dict[str, int] = field(default_factory=dict)  # table -> rows in this chunk's part
    resource_counts: dict[str, int] = field(default_factory=dict)
    defects: list[Defect] = field(default_factory=list)
    stats: UsageStats = field(default_factory=UsageStats)
    partner_rows: list[tuple[str, date, tuple[str, ...]]] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    outreach: list[dict[str, Any]] = field(default_factory=list)
    treatments: list[Treatment] = field(default_factory=list)
    twins: list[tuple[str, int]] = field(default_factory=list)  # (patient id, household)


def part_dir(out: Path, chunk: int) -> Path:
    return out / PARTS_DIR / f"{chunk:06d}"


def run_chunk(settings: Settings, out: Path, chunk: int, start: int, stop: int) -> ChunkResult:
    """Generate patients ``start..stop-1``; NDJSON/CSV lines go to part files on disk."""
    directory = build_directory()
    result = ChunkResult(chunk)
    first_claim_day = _months_before(settings, settings.partner_claim_months)
    for index in range(start, stop):
        record = simulate_patient(settings, directory, index)
        resources = patient_resources(record, settings)
        texts = [dumps_bytes(resource) for _, _, resource, _ in resources]  # serialized once, used twice
        defect_rng = stream(settings.seed, "defects", index) if settings.defect_rate > 0 else None
        _add_ndjson(result, resources, texts, settings, defect_rng)
        _write_bundle(out, result, record, resources, texts, settings, defect_rng)
        rows = PatientCsv(record, stream(settings.seed, "csv", index), result.stats).build()
        _add_csv(result, rows, settings, defect_rng)
        partner_rows, members = claim_rows(
            settings.seed, record, settings.partners, first_claim_day, settings.as_of
        )
        result.partner_rows.extend(partner_rows)
        result.members.extend(members)
        result.outreach.extend(outreach_events(settings, record))
        result.treatments.extend(patient_treatments(settings, record))
        if record.person.twin_household is not None:
            result.twins.append((record.person.id, record.person.twin_household))
        result.patients += 1
    _write_parts(out, result)
    return result


def _write_parts(out: Path, result: ChunkResult) -> None:
    """Spill the chunk's lines to disk (cheaper than sending them back to the parent)."""
    directory = part_dir(out, result.chunk)
    directory.mkdir(parents=True, exist_ok=True)
    for name, lines in result.ndjson.items():
        (directory / name).write_bytes(b"".join(line + b"\n" for line in lines))
        result.ndjson_lines[name] = len(lines)
    for table, rows in result.csv.items():
        (directory / f"{table}.csv").write_text("".join(row + "\n" for row in rows), encoding="utf-8")
        result.csv_lines[table] = len(rows)
    result.ndjson = {}
    result.csv = {}


def _months_before(settings: Settings, months: int) -> date:
    return settings.as_of - timedelta(days=round(months * 30.44))


# --- FHIR ---------------------------------------------------------------------------

ResourceEntry = tuple[str, str, Resource, int]  # (type, id, resource, meta.lastUpdated)


def patient_resources(record: PatientRecord, settings: Settings) -> list[ResourceEntry]:
    """All FHIR resources of one patient, in bundle order, with their lastUpdated."""
    cap = settings.as_of_end_ts
    person = record.person
    patient_updated = min(
        cap, (record.last_updated_ts or day_epoch(settings.history_start)) + LAST_UPDATED_LAG
    )
    entries: list[ResourceEntry] = [
        ("Patient", person.id, patient_resource(record, patient_updated), patient_updated)
    ]
    for encounter in record.encounters:
        saved = min(cap, encounter.end + LAST_UPDATED_LAG)
        claimed = min(cap, encounter.end + SECONDS_PER_HOUR)
        entries.append(("Encounter", encounter.id, encounter_resource(encounter, person, saved), saved))
        for condition in encounter.conditions:
            updated = min(cap, max(encounter.end, condition.abatement_ts or 0) + LAST_UPDATED_LAG)
            entries.append(
                ("Condition", condition.id, condition_resource(condition, person.id, updated), updated)
            )
        for observation in encounter.observations:
            resource = observation_resource(observation, person.id, encounter.id, saved)
            entries.append(("Observation", observation.id, resource, saved))
        for resource in report_resources(encounter, person.id, saved):
            entries.append(("DiagnosticReport", resource["id"], resource, saved))
        for resource in procedure_resources(encounter, person.id, saved):
            entries.append(("Procedure", resource["id"], resource, saved))
        for medication in encounter.medications:
            request = medication_request_resource(medication, encounter, person.id, saved)
            entries.append(("MedicationRequest", medication.id, request, saved))
            claim = medication_claim_resource(medication, encounter, person, claimed)
            entries.append(("Claim", medication.claim_id, claim, claimed))
        for resource in immunization_resources(encounter, person.id, saved):
            entries.append(("Immunization", resource["id"], resource, saved))
        entries.append(
            ("Claim", encounter.claim_id, encounter_claim_resource(encounter, person, claimed), claimed)
        )
        for decision in claim_decisions(encounter):  # decided by the as-of date, so never past the cap
            eob = eob_resource(decision, encounter, person)
            entries.append(("ExplanationOfBenefit", decision.eob_id, eob, decision.decided_ts))
    return entries


def _add_ndjson(
    result: ChunkResult,
    resources: list[ResourceEntry],
    texts: list[bytes],
    settings: Settings,
    rng: random.Random | None,
) -> None:
    counts = result.resource_counts
    for (resource_type, resource_id, resource, last_updated), encoded in zip(resources, texts, strict=True):
        counts[resource_type] = counts.get(resource_type, 0) + 1
        file_name = f"{resource_type}.ndjson"
        lines = result.ndjson[file_name]
        if rng is None or rng.random() >= settings.defect_rate:
            lines.append(encoded)
            continue
        text = encoded.decode("utf-8")
        kind = str(weighted_choice(rng, bad.NDJSON_KINDS))
        resolved = (
            resource_type == "Condition" and resource["clinicalStatus"]["coding"][0]["code"] == "resolved"
        )
        if kind == "late_update" and (resource_type not in bad.LATE_UPDATE_TYPES or resolved):
            kind = "duplicate_resource"
        path = f"fhir/ndjson/{file_name}"
        defect = Defect(kind, path, resource_id, resource_type=resource_type, line=len(lines))
        if kind == "malformed_json":
            lines.append(bad.malformed(text, rng).encode("utf-8"))
        elif kind == "missing_id":
            lines.append(bad.without(text, "id").encode("utf-8"))
        elif kind == "missing_resource_type":
            lines.append(bad.without(text, "resourceType").encode("utf-8"))
        elif kind == "bad_date":
            broken, name, value = bad.with_bad_date(text, rng)
            lines.append(broken.encode("utf-8"))
            defect.extra = {"field": name, "value": value}
        else:
            # The clean copy stays where it belongs; the extra copy goes to a sibling file
            # that sorts before it (<Type>.0.ndjson: late updates, <Type>.1.ndjson: duplicates).
            original_line = len(lines)
            lines.append(encoded)
            sibling = f"{resource_type}.{0 if kind == 'late_update' else 1}.ndjson"
            extra_lines = result.ndjson[sibling]
            defect.path, defect.line = f"fhir/ndjson/{sibling}", len(extra_lines)
            defect.extra = {"original_path": path, "original_line": original_line}
            if kind == "duplicate_resource":
                extra_lines.append(encoded)
            else:
                latest = settings.as_of_end_ts + SECONDS_PER_HOUR
                updated, name, value, stamp = bad.late_update(text, rng, latest, last_updated)
                extra_lines.append(updated.encode("utf-8"))
                defect.extra.update({"field": name, "value": value, "last_updated": stamp})
        result.defects.append(defect)


def _entry(resource_type: str, resource_id: str, resource_text: bytes | None) -> bytes:
    request = b'"request":{"method":"POST","url":"' + resource_type.encode() + b'"}}'
    head = b'{"fullUrl":"urn:uuid:' + resource_id.encode() + b'",'
    if resource_text is None:
        return head + request
    return head + b'"resource":' + resource_text + b"," + request


def _write_bundle(
    out: Path,
    result: ChunkResult,
    record: PatientRecord,
    resources: list[ResourceEntry],
    texts: list[bytes],
    settings: Settings,
    rng: random.Random | None,
) -> None:
    path = f"{BUNDLE_DIR}/{record.person.id}.json"
    truncated = rng is not None and rng.random() < settings.defect_rate
    entries = []
    for position, ((resource_type, resource_id, _, _), encoded) in enumerate(
        zip(resources, texts, strict=True)
    ):
        if rng is None or truncated or rng.random() >= settings.defect_rate:
            entries.append(_entry(resource_type, resource_id, encoded))
            continue
        text = encoded.decode("utf-8")
        kind = str(weighted_choice(rng, bad.BUNDLE_ENTRY_KINDS))
        defect = Defect(kind, path, resource_id, resource_type=resource_type, entry=position)
        if kind == "entry_without_resource":
            entries.append(_entry(resource_type, resource_id, None))
        elif kind == "missing_id":
            entries.append(_entry(resource_type, resource_id, bad.without(text, "id").encode("utf-8")))
        elif kind == "missing_resource_type":
            entries.append(
                _entry(resource_type, resource_id, bad.without(text, "resourceType").encode("utf-8"))
            )
        else:
            broken, name, value = bad.with_bad_date(text, rng)
            entries.append(_entry(resource_type, resource_id, broken.encode("utf-8")))
            defect.extra = {"field": name, "value": value}
        result.defects.append(defect)
    bundle = b'{"resourceType":"Bundle","type":"transaction","entry":[' + b",".join(entries) + b"]}"
    if truncated and rng is not None:
        full_length = len(bundle)
        bundle = bundle[: rng.randint(full_length // 3, full_length * 2 // 3)]
        result.defects.append(
            Defect(
                "truncated_bundle",
                path,
                record.person.id,
                resource_type="Bundle",
                extra={"full_length": full_length},
            )
        )
    (out / path).write_bytes(bundle)


# --- CSV ----------------------------------------------------------------------------


def _add_csv(
    result: ChunkResult, rows: dict[str, list[str]], settings: Settings, rng: random.Random | None
) -> None:
    for table in PATIENT_TABLES:
        target = result.csv[table]
        for text in rows[table]:
            if rng is None or rng.random() >= settings.defect_rate:
                target.append(text)
                continue
            header = CSV_HEADER_FIELDS[table]
            path = f"csv/{table}.csv"
            row_id = bad.csv_row_id(text, header, table)
            if rng.random() < 0.5:
                broken, column, value = bad.csv_with_bad_date(text, header, table, rng)
                extra: dict[str, Any] = {"column": column, "value": value}
                kind = "csv_bad_date"
            else:
                broken, fields = bad.csv_with_wrong_field_count(text, rng)
                extra = {"fields": fields, "expected_fields": len(header)}
                kind = "csv_wrong_field_count"
            result.defects.append(Defect(kind, path, row_id, table=table, line=len(target), extra=extra))
            target.append(broken)


def directory_bundle(resources: list[tuple[str, str, Resource]]) -> str:
    """``hospitalInformation``/``practitionerInformation``: a batch bundle, like Synthea's."""
    entries = []
    for resource_type, resource_id, resource in resources:
        identifier = resource["identifier"][0]
        condition = f"identifier={identifier['system']}|{identifier['value']}"
        request = json.dumps(
            {"method": "POST", "url": resource_type, "ifNoneExist": condition}, separators=(",", ":")
        )
        entries.append(
            f'{{"fullUrl":"urn:uuid:{resource_id}","resource":{dumps(resource)},"request":{request}}}'
        )
    return '{"resourceType":"Bundle","type":"batch","entry":[' + ",".join(entries) + "]}"
