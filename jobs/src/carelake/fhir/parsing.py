"""Pure-Python FHIR R4 record handling used by raw_to_bronze (no Spark here).

Two jobs: split a Bundle file into its entries without changing any value (FHIR decimals
keep their precision: ``1.10`` stays ``1.10``), and inspect one resource: is it a FHIR
resource we can key (resourceType, id), are its dates real dates, and what are its
common columns. Every problem becomes a reason string for quarantine, never an exception.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from carelake.fhir.resource_types import R4_RESOURCE_TYPES

# FHIR R4 id: https://hl7.org/fhir/R4/datatypes.html#id
_ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
# FHIR dateTime/instant/date lexical forms (year, year-month, date, date-time with zone).
_DATETIME_PATTERN = re.compile(
    r"^(?P<y>[0-9]{4})(-(?P<m>[0-9]{2})(-(?P<d>[0-9]{2})"
    r"(T(?P<time>[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?)(?P<tz>Z|[+-][0-9]{2}:[0-9]{2}))?)?)?$"
)


class JsonProblem(ValueError):
    """The text is not the JSON we need; the message is the quarantine reason."""


def _reject_constant(name: str) -> Any:
    raise JsonProblem(f"unparseable JSON: {name} is not allowed")


def loads_exact(text: str) -> Any:
    """Parse JSON keeping decimals exact (as Decimal) and rejecting NaN/Infinity."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except JsonProblem:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonProblem(f"unparseable JSON: {exc}") from None


def dumps_exact(value: Any) -> str:
    """Serialise what :func:`loads_exact` parsed, compactly, keeping every number's digits."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: Any, parts: list[str]) -> None:
    if isinstance(value, dict):
        parts.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                parts.append(",")
            parts.append(json.dumps(key, ensure_ascii=False))
            parts.append(":")
            _encode(item, parts)
        parts.append("}")
    elif isinstance(value, list):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _encode(item, parts)
        parts.append("]")
    elif isinstance(value, Decimal):
        parts.append(str(value))  # str keeps the digits: Decimal("1.10") -> "1.10"
    elif isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        parts.append(json.dumps(value, ensure_ascii=False))
    else:  # pragma: no cover - loads_exact produces no other types
        raise TypeError(f"cannot serialise {type(value).__name__}")


@dataclass(frozen=True)
class BundleEntry:
    """One record out of a .json file: a bundle entry, or the file's single resource."""

    entry_index: int | None
    full_url: str | None
    request_method: str | None
    request_url: str | None
    resource_json: str | None
    problem: str | None


def split_bundle(text: str) -> tuple[str | None, list[BundleEntry]]:
    """Split a .json file into records.

    Returns ``(file_problem, entries)``. A file that is not JSON, or a Bundle whose
    ``entry`` is not a list, is one problem for the whole file. A file holding a single
    resource (not a Bundle) is one record. Entries without a resource object are kept
    as records with a problem, so they reach quarantine with their index.
    """
    try:
        document = loads_exact(text)
    except JsonProblem as exc:
        return str(exc), []
    if not isinstance(document, dict):
        return "not a JSON object (a FHIR Bundle or resource)", []
    if document.get("resourceType") != "Bundle":
        return None, [BundleEntry(None, None, None, None, dumps_exact(document), None)]
    entries = document.get("entry", [])
    if not isinstance(entries, list):
        return "Bundle.entry is not an array", []
    records: list[BundleEntry] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            records.append(BundleEntry(index, None, None, None, None, "bundle entry is not a JSON object"))
            continue
        request = entry.get("request") if isinstance(entry.get("request"), dict) else {}
        full_url = entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None
        method = request.get("method") if isinstance(request.get("method"), str) else None
        url = request.get("url") if isinstance(request.get("url"), str) else None
        resource = entry.get("resource")
        if resource is None:
            records.append(BundleEntry(index, full_url, method, url, None, "bundle entry without resource"))
        elif not isinstance(resource, dict):
            records.append(
                BundleEntry(index, full_url, method, url, None, "bundle entry resource is not a JSON object")
            )
        else:
            records.append(BundleEntry(index, full_url, method, url, dumps_exact(resource), None))
    return None, records


def parse_fhir_datetime(value: Any) -> datetime | None:
    """A FHIR date/dateTime/instant as a UTC datetime; partial dates start at midnight UTC.

    Raises ValueError for anything that is not a real calendar date in FHIR's lexical form.
    """
    if not isinstance(value, str):
        raise ValueError("not a string")
    match = _DATETIME_PATTERN.match(value)
    if match is None:
        raise ValueError("not a FHIR date/dateTime")
    year, month, day = int(match["y"]), int(match["m"] or 1), int(match["d"] or 1)
    date(year, month, day)  # raises for 2023-02-30
    if match["time"] is None:
        return datetime(year, month, day, tzinfo=UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.astimezone(UTC)


# Where the common columns come from, in order of preference. Paths are top-level keys
# (dotted for one level of nesting). Every path listed is also checked for a valid date.
_START_PATHS = (
    "period.start", "effectiveDateTime", "effectiveInstant", "effectivePeriod.start", "onsetDateTime",
    "performedDateTime", "performedPeriod.start", "occurrenceDateTime", "billablePeriod.start",
    "authoredOn", "recordedDate", "issued", "created", "date", "recorded", "birthDate",
)  # fmt: skip
_END_PATHS = (
    "period.end", "effectivePeriod.end", "abatementDateTime", "performedPeriod.end", "billablePeriod.end",
    "deceasedDateTime",
)  # fmt: skip
_OTHER_DATE_PATHS = ("meta.lastUpdated",)
_PATIENT_REF_PATHS = ("subject.reference", "patient.reference", "beneficiary.reference")
_ENCOUNTER_REF_PATHS = ("encounter.reference", "context.reference")


def _get(resource: dict[str, Any], path: str) -> Any:
    value: Any = resource
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _first_text(resource: dict[str, Any], paths: tuple[str, ...]) -> str | None:
    for path in paths:
        value = _get(resource, path)
        if isinstance(value, str):
            return value
    return None


def _first_coding(resource: dict[str, Any]) -> dict[str, Any]:
    for key in ("code", "type", "medicationCodeableConcept", "vaccineCode"):
        concept = resource.get(key)
        if isinstance(concept, list):  # e.g. Encounter.type is a list of CodeableConcepts
            concept = concept[0] if concept else None
        if isinstance(concept, dict):
            codings = concept.get("coding")
            if isinstance(codings, list) and codings and isinstance(codings[0], dict):
                return codings[0]
    return {}


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def inspect_resource(resource_json: str) -> dict[str, Any]:
    """Check one resource and extract bronze's common columns.

    Returns a dict with ``problem`` (None when the resource is good) and the columns:
    resource_type, resource_id, meta_last_updated, meta_version_id, status, patient_ref,
    encounter_ref, code_system, code, code_display, effective_start, effective_end
    (datetimes in UTC).
    """
    out: dict[str, Any] = {"problem": None}
    try:
        resource = loads_exact(resource_json)
    except JsonProblem as exc:
        return {**out, "problem": str(exc)}
    if not isinstance(resource, dict):
        return {**out, "problem": "not a JSON object (a FHIR resource)"}
    resource_type = resource.get("resourceType")
    if resource_type is None:
        return {**out, "problem": "missing resourceType"}
    if not isinstance(resource_type, str) or resource_type not in R4_RESOURCE_TYPES:
        return {**out, "problem": f"not a FHIR R4 resource: resourceType {resource_type!r}"}
    if resource_type == "Bundle":
        return {
            **out,
            "resource_type": resource_type,
            "problem": "nested Bundle: land bundles as their own files",
        }
    out["resource_type"] = resource_type
    resource_id = resource.get("id")
    if resource_id is None:
        return {**out, "problem": "missing id"}
    if not isinstance(resource_id, str) or not _ID_PATTERN.match(resource_id):
        return {**out, "problem": f"invalid id {resource_id!r}"}
    out["resource_id"] = resource_id

    dates: dict[str, datetime | None] = {}
    for path in (*_START_PATHS, *_END_PATHS, *_OTHER_DATE_PATHS):
        value = _get(resource, path)
        if value is None:
            continue
        try:
            dates[path] = parse_fhir_datetime(value)
        except ValueError:
            return {**out, "problem": f"bad date in {path}: {value!r}"}
    out["meta_last_updated"] = dates.get("meta.lastUpdated")
    out["effective_start"] = next((dates[p] for p in _START_PATHS if p in dates), None)
    out["effective_end"] = next((dates[p] for p in _END_PATHS if p in dates), None)
    out["meta_version_id"] = _text_or_none(_get(resource, "meta.versionId"))
    out["status"] = _text_or_none(resource.get("status"))
    out["patient_ref"] = _first_text(resource, _PATIENT_REF_PATHS)
    out["encounter_ref"] = _first_text(resource, _ENCOUNTER_REF_PATHS)
    coding = _first_coding(resource)
    out["code_system"] = _text_or_none(coding.get("system"))
    out["code"] = _text_or_none(coding.get("code"))
    out["code_display"] = _text_or_none(coding.get("display"))
    return out
