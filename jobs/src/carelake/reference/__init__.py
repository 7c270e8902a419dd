"""Versioned clinical reference tables shipped inside the carelake package.

Every table is one or more CSV files beside this module, described (version, effective
date, source, licence, key, column meanings) in ``reference.yaml``; docs/reference-data.md
says where each comes from and how to update it. This module is pure Python (csv, PyYAML,
no Spark): jobs broadcast the rows they need, tests and the gold measures call the helpers.

Tables (``load(name)`` returns a list of dicts, every value a string as in the CSV):

- ``snomed_condition_map``: SNOMED CT condition -> ICD-10-CM -> CCSR-style body system,
  Charlson group; rows with ``mapping_status = no_icd10cm_code`` say why there is none.
- ``snomed_procedure_map``: SNOMED CT procedure -> CPT/HCPCS where one exists.
- ``ccsr_body_systems`` and ``ccsr_overrides``: the 21 body systems and the chapter rule.
- ``charlson_groups``, ``charlson_icd10cm``, ``lace_comorbidity_items``, ``lace_points``:
  Charlson comorbidity (Quan 2005 ICD-10 codes, Charlson 1987 weights) and the LACE index.
- ``planned_readmissions`` and ``acute_conditions_icd10cm``: HEDIS PCR planned stays.
- ``icd10cm_codes`` (full CMS code set), ``cpt_hcpcs_codes``, ``carc_reason_codes``,
  ``carc_group_codes``: known-code lists for partner-claims validation.
- ``encounter_classes``, ``discharge_dispositions``: inpatient/acute/ED flags and NUBC
  discharge status flags for the readmission measure.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

PACKAGE = "carelake.reference"
CATALOG_FILE = "reference.yaml"
UNMAPPED = "Unmapped"

SNOMED = "SNOMED"
ICD10CM = "ICD-10-CM"
ICD10PCS = "ICD-10-PCS"
CPT = "CPT"
HCPCS = "HCPCS"

# Code-system spellings seen in FHIR, Synthea and claims, normalised to the names above.
_SYSTEM_ALIASES = {
    "http://snomed.info/sct": SNOMED,
    "snomed": SNOMED,
    "snomed-ct": SNOMED,
    "sct": SNOMED,
    "http://hl7.org/fhir/sid/icd-10-cm": ICD10CM,
    "icd-10-cm": ICD10CM,
    "icd10cm": ICD10CM,
    "icd10": ICD10CM,
    "http://www.cms.gov/medicare/coding/icd10": ICD10PCS,
    "icd-10-pcs": ICD10PCS,
    "icd10pcs": ICD10PCS,
    "http://www.ama-assn.org/go/cpt": CPT,
    "cpt": CPT,
    "urn:oid:2.16.840.1.113883.6.285": HCPCS,
    "https://www.cms.gov/medicare/coding/hcpcsreleasecodesets": HCPCS,
    "hcpcs": HCPCS,
}

# ICD-10-CM: letter, digit, digit or letter (C4A, D3A, M1A, O9A, Z3A), then up to 4 characters;
# FY2026 added the first category with a letter second (QA0, genetic disorders NEC).
_ICD10CM_FORMAT = re.compile(r"^(?:[A-Z][0-9][0-9A-Z]|QA[0-9])(?:[0-9A-Z]{1,4})?$")
# CPT category I (5 digits), II (4 digits + F), III (4 digits + T), PLA (4 digits + U); HCPCS Level II.
_CPT_HCPCS_FORMAT = re.compile(r"^(?:[0-9]{5}|[0-9]{4}[FTU]|[A-EGHJ-MP-V][0-9]{4})$")
_SNOMED_FORMAT = re.compile(r"^[1-9][0-9]{5,17}$")
_CARC_FORMAT = re.compile(r"^(?:(CO|PR|OA|PI|CR)[-\s]?)?([A-Z]?[0-9]{1,3})$")


# --- catalog and loading ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableInfo:
    """One table as described in reference.yaml."""

    name: str
    files: tuple[str, ...]
    version: str
    effective_date: str
    source: str
    licence: str
    description: str
    key: tuple[str, ...]
    columns: dict[str, str]


def _read_text(name: str) -> str:
    return resources.files(PACKAGE).joinpath(name).read_text(encoding="utf-8")


@cache
def catalog() -> dict[str, TableInfo]:
    """Every table in reference.yaml, by name."""
    document = yaml.safe_load(_read_text(CATALOG_FILE))
    tables: dict[str, TableInfo] = {}
    for name, entry in document["tables"].items():
        files = entry["files"] if isinstance(entry["files"], list) else [entry["files"]]
        tables[name] = TableInfo(
            name=name,
            files=tuple(files),
            version=str(entry["version"]),
            effective_date=str(entry["effective_date"]),
            source=str(entry["source"]).strip(),
            licence=str(entry["licence"]).strip(),
            description=str(entry["description"]).strip(),
            key=tuple(entry["key"]),
            columns={str(column): str(meaning).strip() for column, meaning in entry["columns"].items()},
        )
    return tables


def table_info(name: str) -> TableInfo:
    try:
        return catalog()[name]
    except KeyError:
        raise KeyError(f"unknown reference table {name!r}; known: {sorted(catalog())}") from None


@cache
def _rows(name: str) -> tuple[dict[str, str], ...]:
    info = table_info(name)
    rows: list[dict[str, str]] = []
    for file_name in info.files:
        reader = csv.DictReader(io.StringIO(_read_text(file_name), newline=""))
        if tuple(reader.fieldnames or ()) != tuple(info.columns):
            raise ValueError(
                f"{file_name}: header {reader.fieldnames} != reference.yaml columns {list(info.columns)}"
            )
        rows.extend(reader)
    return tuple(rows)


def load(name: str) -> list[dict[str, str]]:
    """All rows of a reference table (a fresh list of fresh dicts; values are strings)."""
    return [dict(row) for row in _rows(name)]


def version(name: str) -> str:
    return table_info(name).version


def versions() -> dict[str, str]:
    """``{table: version}``: what a job records in its run metadata."""
    return {name: info.version for name, info in catalog().items()}


def _flag(value: str) -> bool:
    if value not in ("true", "false"):
        raise ValueError(f"boolean column value must be 'true' or 'false', got {value!r}")
    return value == "true"


def normalize_code_system(system: str) -> str:
    """``http://snomed.info/sct`` -> ``SNOMED`` and so on; unknown systems come back unchanged."""
    return _SYSTEM_ALIASES.get(system.strip().lower(), system.strip())


# --- code formats ----------------------------------------------------------------------


def normalize_icd10(code: str | None) -> str | None:
    """An ICD-10-CM code in its dotted form (``e119`` -> ``E11.9``), or None if it is not
    shaped like one. Accepts codes with or without the dot and surrounding spaces."""
    if code is None:
        return None
    compact = code.strip().upper().replace(".", "")
    if not _ICD10CM_FORMAT.match(compact):
        return None
    if code.count(".") > 1 or ("." in code.strip() and code.strip().index(".") != 3):
        return None
    return compact if len(compact) == 3 else f"{compact[:3]}.{compact[3:]}"


def is_valid_icd10cm_format(code: str | None) -> bool:
    return normalize_icd10(code) is not None


def _compact(code: str) -> str:
    return code.replace(".", "")


def normalize_cpt_hcpcs(code: str | None) -> str | None:
    """A CPT (category I/II/III/PLA) or HCPCS Level II code upper-cased, or None if malformed."""
    if code is None:
        return None
    candidate = code.strip().upper()
    return candidate if _CPT_HCPCS_FORMAT.match(candidate) else None


def is_valid_cpt_hcpcs_format(code: str | None) -> bool:
    return normalize_cpt_hcpcs(code) is not None


def is_valid_snomed_format(code: str | None) -> bool:
    return code is not None and bool(_SNOMED_FORMAT.match(code.strip()))


# --- ICD-10-CM known codes -------------------------------------------------------------


@cache
def _icd10cm_descriptions() -> dict[str, str]:
    return {row["code"]: row["description"] for row in _rows("icd10cm_codes")}


def is_known_icd10cm(code: str | None) -> bool:
    """True for a billable code of the ICD-10-CM release in ``icd10cm_codes`` (dot optional)."""
    normalized = normalize_icd10(code)
    return normalized is not None and normalized in _icd10cm_descriptions()


def icd10cm_description(code: str | None) -> str | None:
    normalized = normalize_icd10(code)
    return None if normalized is None else _icd10cm_descriptions().get(normalized)


# --- CPT / HCPCS known codes -----------------------------------------------------------


@cache
def _cpt_hcpcs() -> dict[str, dict[str, str]]:
    return {row["code"]: row for row in _rows("cpt_hcpcs_codes")}


def is_known_cpt_hcpcs(code: str | None) -> bool:
    """True for a CPT/HCPCS code carelake knows. CPT is AMA-licensed, so the list holds only
    the codes carelake uses (docs/reference-data.md): an unknown code may still be real."""
    normalized = normalize_cpt_hcpcs(code)
    return normalized is not None and normalized in _cpt_hcpcs()


def cpt_hcpcs_description(code: str | None) -> str | None:
    normalized = normalize_cpt_hcpcs(code)
    row = None if normalized is None else _cpt_hcpcs().get(normalized)
    return None if row is None else row["description"]


# --- CCSR-style body systems -----------------------------------------------------------


@cache
def _body_systems() -> tuple[tuple[str, str, str, str], ...]:
    return tuple(
        (row["body_system"], row["name"], row["icd10cm_first"], row["icd10cm_last"])
        for row in _rows("ccsr_body_systems")
    )


@cache
def _body_system_overrides() -> tuple[tuple[str, str], ...]:
    rows = sorted(_rows("ccsr_overrides"), key=lambda row: -len(_compact(row["icd10cm_prefix"])))
    return tuple((_compact(row["icd10cm_prefix"]), row["body_system"]) for row in rows)


def body_systems() -> dict[str, str]:
    """``{code: name}`` for the 21 CCSR body systems."""
    return {code: name for code, name, _, _ in _body_systems()}


def ccsr_body_system(icd10: str | None) -> str | None:
    """The CCSR-style body system (``CIR``, ``RSP``...) of an ICD-10-CM code, by chapter
    range of its 3-character category, with the ``ccsr_overrides`` rows (chapter 22 U codes)
    taking precedence; None for a malformed code or one outside every range."""
    normalized = normalize_icd10(icd10)
    if normalized is None:
        return None
    compact = _compact(normalized)
    for prefix, system in _body_system_overrides():
        if compact.startswith(prefix):
            return system
    category = compact[:3]
    for system, _, first, last in _body_systems():
        if first <= category <= last:
            return system
    return None


def diagnosis_category(icd10: str | None) -> str:
    """Body-system code for an ICD-10-CM code, or ``'Unmapped'`` (no code, malformed, no range)."""
    return ccsr_body_system(icd10) or UNMAPPED


def body_system_name(code: str) -> str:
    """Name of a body-system code; ``'Unmapped'`` stays ``'Unmapped'``."""
    if code == UNMAPPED:
        return UNMAPPED
    return body_systems()[code]


# --- SNOMED CT condition map -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConditionMapping:
    snomed_code: str
    snomed_display: str
    mapping_status: str  # mapped | no_icd10cm_code
    icd10cm_code: str | None
    icd10cm_display: str | None
    ccsr_body_system: str  # a body-system code, or 'Unmapped'
    charlson_group: str | None
    map_note: str


@cache
def _condition_map() -> dict[str, ConditionMapping]:
    mappings = {}
    for row in _rows("snomed_condition_map"):
        mappings[row["snomed_code"]] = ConditionMapping(
            snomed_code=row["snomed_code"],
            snomed_display=row["snomed_display"],
            mapping_status=row["mapping_status"],
            icd10cm_code=row["icd10cm_code"] or None,
            icd10cm_display=row["icd10cm_display"] or None,
            ccsr_body_system=row["ccsr_body_system"] or UNMAPPED,
            charlson_group=row["charlson_group"] or None,
            map_note=row["map_note"],
        )
    return mappings


def condition_mapping(snomed_code: str | None) -> ConditionMapping | None:
    """The row for a SNOMED CT condition code; None when the code is not in the table at all."""
    return None if snomed_code is None else _condition_map().get(snomed_code.strip())


def snomed_to_icd10(snomed_code: str | None) -> str | None:
    """ICD-10-CM code for a SNOMED CT condition; None if unknown or mapped to no code."""
    mapping = condition_mapping(snomed_code)
    return None if mapping is None else mapping.icd10cm_code


def snomed_diagnosis_category(snomed_code: str | None) -> str:
    """Body-system code for a SNOMED CT condition, ``'Unmapped'`` when there is none."""
    mapping = condition_mapping(snomed_code)
    return UNMAPPED if mapping is None else mapping.ccsr_body_system


def condition_map() -> list[ConditionMapping]:
    """Every row of ``snomed_condition_map``, typed (for broadcasting to Spark)."""
    return list(_condition_map().values())


def diagnosis_category_name(icd10: str | None) -> str:
    """Body-system *name* of an ICD-10-CM code (``'Diseases of the circulatory system'``),
    or ``'Unmapped'``."""
    return body_system_name(diagnosis_category(icd10))


def icd10cm_codes_in_use() -> list[str]:
    """Every billable ICD-10-CM code of the release (dotted), in tabular order: the codes a
    diagnosis category can be looked up for. Any of them may arrive on a partner claim."""
    return list(_icd10cm_descriptions())


# --- SNOMED CT procedure map -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProcedureMapping:
    snomed_code: str
    snomed_display: str
    cpt_hcpcs_code: str | None
    code_system: str | None  # CPT | HCPCS
    map_note: str

    @property
    def cpt_code(self) -> str | None:
        """Alias of ``cpt_hcpcs_code`` (CPT or HCPCS Level II)."""
        return self.cpt_hcpcs_code


@cache
def _procedure_map() -> dict[str, ProcedureMapping]:
    return {
        row["snomed_code"]: ProcedureMapping(
            row["snomed_code"],
            row["snomed_display"],
            row["cpt_hcpcs_code"] or None,
            row["code_system"] or None,
            row["map_note"],
        )
        for row in _rows("snomed_procedure_map")
    }


def procedure_map() -> list[ProcedureMapping]:
    """Every row of ``snomed_procedure_map``, typed."""
    return list(_procedure_map().values())


def snomed_to_cpt(snomed_code: str | None) -> str | None:
    """CPT/HCPCS code for a SNOMED CT procedure, None when unknown or when no code applies."""
    found = None if snomed_code is None else _procedure_map().get(snomed_code.strip())
    return None if found is None else found.cpt_hcpcs_code


# --- Charlson comorbidity and LACE -----------------------------------------------------


@cache
def _charlson_prefixes() -> tuple[tuple[str, str, str], ...]:
    """``(compact prefix, group, lace_item)``, longest prefixes first."""
    rows = [
        (_compact(row["icd10_prefix"]), row["charlson_group"], row["lace_item"])
        for row in _rows("charlson_icd10cm")
    ]
    return tuple(sorted(rows, key=lambda row: -len(row[0])))


@cache
def _charlson_groups() -> dict[str, dict[str, str]]:
    return {row["charlson_group"]: row for row in _rows("charlson_groups")}


@cache
def _lace_items() -> dict[str, dict[str, str]]:
    return {row["lace_item"]: row for row in _rows("lace_comorbidity_items")}


def _prefix_matches(icd10: str | None) -> list[tuple[str, str, str]]:
    normalized = normalize_icd10(icd10)
    if normalized is None:
        return []
    compact = _compact(normalized)
    return [row for row in _charlson_prefixes() if compact.startswith(row[0])]


def charlson_groups(icd10: str | None) -> frozenset[str]:
    """Charlson groups (Quan 2005 ICD-10 algorithm) an ICD-10-CM code falls in."""
    return frozenset(group for _, group, _ in _prefix_matches(icd10))


def charlson_group(icd10: str | None) -> str | None:
    """The single Charlson group of a code (the longest matching prefix), or None."""
    matches = _prefix_matches(icd10)
    return matches[0][1] if matches else None


def charlson_weight(group: str, scheme: str = "charlson_1987") -> int:
    """Weight of a Charlson group. ``charlson_1987``: Charlson et al. 1987 (1, 2, 3, 6)."""
    if scheme != "charlson_1987":
        raise ValueError(f"unknown Charlson weighting {scheme!r} (LACE weights: lace_item_weight)")
    return int(_charlson_groups()[group]["weight_charlson_1987"])


def lace_items(icd10: str | None) -> frozenset[str]:
    """LACE comorbidity items of an ICD-10-CM code: per Charlson group, the item of the
    longest matching prefix (so N18.6 is 'moderate or severe', N18.30 'mild' renal)."""
    items: dict[str, tuple[int, str]] = {}
    for prefix, group, item in _prefix_matches(icd10):
        if group not in items or len(prefix) > items[group][0]:
            items[group] = (len(prefix), item)
    return frozenset(item for _, item in items.values() if item)


def lace_item_weight(item: str) -> int:
    return int(_lace_items()[item]["weight"])


def _apply_hierarchy(present: set[str], table: dict[str, dict[str, str]]) -> set[str]:
    return {name for name in present if table[name]["superseded_by"] not in present}


def charlson_score(icd10_codes: Iterable[str | None], scheme: str = "charlson_1987") -> int:
    """Charlson comorbidity score of a set of ICD-10-CM codes, each group counted once.

    ``charlson_1987``: Quan 2005 groups with Charlson 1987 weights. ``lace``: the LACE tool's
    weights (van Walraven 2010). Both apply the usual hierarchy: complicated diabetes over
    uncomplicated, severe over mild liver (LACE: liver or renal), metastatic over any tumour.
    """
    codes = list(icd10_codes)
    if scheme == "lace":
        items = set().union(*(lace_items(code) for code in codes)) if codes else set()
        return sum(lace_item_weight(item) for item in _apply_hierarchy(items, _lace_items()))
    groups = set().union(*(charlson_groups(code) for code in codes)) if codes else set()
    return sum(charlson_weight(group, scheme) for group in _apply_hierarchy(groups, _charlson_groups()))


@cache
def _lace_points() -> dict[str, tuple[tuple[int, int | None, int], ...]]:
    table: dict[str, list[tuple[int, int | None, int]]] = {}
    for row in _rows("lace_points"):
        upper = int(row["max_value"]) if row["max_value"] else None
        table.setdefault(row["component"], []).append((int(row["min_value"]), upper, int(row["points"])))
    return {component: tuple(bands) for component, bands in table.items()}


def lace_points(component: str, value: int | bool) -> int:
    """Points of one LACE component (``L`` days, ``A`` acute 0/1, ``C`` Charlson, ``E`` ED visits)."""
    number = int(value)
    if number < 0:
        raise ValueError(f"LACE {component} value must be >= 0, got {value!r}")
    for lower, upper, points in _lace_points()[component]:
        if number >= lower and (upper is None or number <= upper):
            return points
    raise ValueError(f"no LACE {component} band for {value!r}")


def lace_score(
    length_of_stay_days: int, acute_admission: bool, charlson: int, ed_visits_6_months: int
) -> int:
    """LACE index (0-19): the sum of the four component points."""
    return (
        lace_points("L", length_of_stay_days)
        + lace_points("A", acute_admission)
        + lace_points("C", charlson)
        + lace_points("E", ed_visits_6_months)
    )


# --- planned readmissions --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _PlannedRule:
    code_system: str
    code: str
    match: str
    planned_category: str
    applies_to: str

    def matches(self, system: str, code: str) -> bool:
        if system != self.code_system:
            return False
        if self.code_system == ICD10CM:
            normalized = normalize_icd10(code)
            if normalized is None:
                return False
            code, own = _compact(normalized), _compact(self.code)
        else:
            code, own = code.strip().upper(), self.code.upper()
        return code.startswith(own) if self.match == "prefix" else code == own


@cache
def _planned_rules() -> tuple[_PlannedRule, ...]:
    return tuple(
        _PlannedRule(
            row["code_system"], row["code"], row["match"], row["planned_category"], row["applies_to"]
        )
        for row in _rows("planned_readmissions")
    )


@cache
def _acute_prefixes() -> tuple[str, ...]:
    return tuple(_compact(row["icd10cm_prefix"]) for row in _rows("acute_conditions_icd10cm"))


def is_acute_condition(icd10: str | None) -> bool:
    """True when an ICD-10-CM code is in the acute-condition list (CMS PAA PR.4 style)."""
    normalized = normalize_icd10(icd10)
    return normalized is not None and _compact(normalized).startswith(_acute_prefixes())


Coding = tuple[str, str]  # (code system, code)

_CATEGORY_ORDER = ("transplant", "chemotherapy", "rehabilitation", "planned_procedure")


def _diagnosis_as_icd10(principal_diagnosis: Coding | None) -> str | None:
    if principal_diagnosis is None:
        return None
    system, code = normalize_code_system(principal_diagnosis[0]), principal_diagnosis[1]
    if system == SNOMED:
        return snomed_to_icd10(code)
    return normalize_icd10(code) if system == ICD10CM else None


def planned_readmission_category(
    procedures: Iterable[Coding] = (), principal_diagnosis: Coding | None = None
) -> str | None:
    """Why an admission counts as planned (HEDIS PCR), or None when it does not.

    ``procedures`` and ``principal_diagnosis`` are ``(code system, code)`` pairs; systems
    may be FHIR URIs or names (``SNOMED``, ``ICD-10-CM``, ``ICD-10-PCS``, ``CPT``). A SNOMED
    principal diagnosis is compared through its ICD-10-CM mapping as well as directly.
    A transplant, chemotherapy or rehabilitation match is planned whatever the diagnosis;
    a potentially planned procedure only when the principal diagnosis is known and not
    acute. Precedence: transplant, chemotherapy, rehabilitation, planned_procedure.
    """
    codings = [(normalize_code_system(system), code) for system, code in procedures]
    diagnoses: list[Coding] = []
    if principal_diagnosis is not None:
        diagnoses.append((normalize_code_system(principal_diagnosis[0]), principal_diagnosis[1]))
        mapped = _diagnosis_as_icd10(principal_diagnosis)
        if mapped is not None and diagnoses[0][0] != ICD10CM:
            diagnoses.append((ICD10CM, mapped))
    found: set[str] = set()
    for rule in _planned_rules():
        pool = codings if rule.applies_to == "procedure" else diagnoses
        if any(rule.matches(system, code) for system, code in pool):
            found.add(rule.planned_category)
    if "planned_procedure" in found:
        icd10 = _diagnosis_as_icd10(principal_diagnosis)
        if icd10 is None or is_acute_condition(icd10):
            found.discard("planned_procedure")
    return next((category for category in _CATEGORY_ORDER if category in found), None)


def is_planned_readmission(
    procedures: Iterable[Coding] = (), principal_diagnosis: Coding | None = None
) -> bool:
    return planned_readmission_category(procedures, principal_diagnosis) is not None


# --- encounters and discharge ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncounterClass:
    code_system: str
    code: str
    display: str
    is_inpatient: bool
    is_acute_inpatient: bool
    is_emergency: bool


@cache
def _encounter_classes() -> dict[str, EncounterClass]:
    classes = {}
    for row in _rows("encounter_classes"):
        classes[row["code"].lower()] = EncounterClass(
            row["code_system"],
            row["code"],
            row["display"],
            _flag(row["is_inpatient"]),
            _flag(row["is_acute_inpatient"]),
            _flag(row["is_emergency"]),
        )
    return classes


def encounter_class(code: str | None) -> EncounterClass | None:
    """Flags for a Synthea CSV ENCOUNTERCLASS (``inpatient``) or v3 ActCode (``IMP``)."""
    return None if code is None else _encounter_classes().get(code.strip().lower())


def is_acute_inpatient_class(code: str | None) -> bool:
    found = encounter_class(code)
    return found is not None and found.is_acute_inpatient


def is_emergency_class(code: str | None) -> bool:
    found = encounter_class(code)
    return found is not None and found.is_emergency


@dataclass(frozen=True, slots=True)
class DischargeDisposition:
    code: str
    display: str
    is_transfer_to_acute: bool
    is_death: bool
    is_planned_readmission_flag: bool


@cache
def _dispositions() -> dict[str, DischargeDisposition]:
    return {
        row["code"]: DischargeDisposition(
            row["code"],
            row["display"],
            _flag(row["is_transfer_to_acute"]),
            _flag(row["is_death"]),
            _flag(row["is_planned_readmission_flag"]),
        )
        for row in _rows("discharge_dispositions")
    }


def discharge_disposition(code: str | None) -> DischargeDisposition | None:
    """NUBC patient discharge status (``'1'`` and ``'01'`` both accepted)."""
    if code is None or not code.strip().isdigit():
        return None
    return _dispositions().get(code.strip().zfill(2))


def is_death_disposition(code: str | None) -> bool:
    found = discharge_disposition(code)
    return found is not None and found.is_death


def is_transfer_to_acute(code: str | None) -> bool:
    found = discharge_disposition(code)
    return found is not None and found.is_transfer_to_acute


# --- claim adjustment reason codes -----------------------------------------------------


@cache
def _carc() -> dict[str, str]:
    return {row["reason_code"]: row["description"] for row in _rows("carc_reason_codes")}


@cache
def _carc_groups() -> dict[str, str]:
    return {row["group_code"]: row["description"] for row in _rows("carc_group_codes")}


def parse_denial_reason(value: str | None) -> tuple[str | None, str] | None:
    """``'CO-50'`` -> ``('CO', '50')``; ``'50'`` -> ``(None, '50')``; None when malformed."""
    if value is None:
        return None
    found = _CARC_FORMAT.match(value.strip().upper())
    return None if found is None else (found.group(1), found.group(2))


def carc_description(value: str | None) -> str | None:
    """Description of a CARC reason code, given as ``'CO-50'`` or ``'50'``."""
    parsed = parse_denial_reason(value)
    return None if parsed is None else _carc().get(parsed[1])


def is_known_denial_reason(value: str | None) -> bool:
    parsed = parse_denial_reason(value)
    if parsed is None:
        return False
    group, reason = parsed
    return reason in _carc() and (group is None or group in _carc_groups())


def is_known_carc(value: str | None) -> bool:
    """Alias of :func:`is_known_denial_reason` (``'CO-50'`` or ``'50'``)."""
    return is_known_denial_reason(value)


__all__ = [
    "UNMAPPED",
    "ConditionMapping",
    "DischargeDisposition",
    "EncounterClass",
    "ProcedureMapping",
    "TableInfo",
    "body_system_name",
    "body_systems",
    "carc_description",
    "catalog",
    "ccsr_body_system",
    "charlson_group",
    "charlson_groups",
    "charlson_score",
    "charlson_weight",
    "condition_map",
    "condition_mapping",
    "cpt_hcpcs_description",
    "diagnosis_category",
    "diagnosis_category_name",
    "discharge_disposition",
    "encounter_class",
    "icd10cm_codes_in_use",
    "icd10cm_description",
    "is_acute_condition",
    "is_acute_inpatient_class",
    "is_death_disposition",
    "is_emergency_class",
    "is_known_carc",
    "is_known_cpt_hcpcs",
    "is_known_denial_reason",
    "is_known_icd10cm",
    "is_planned_readmission",
    "is_transfer_to_acute",
    "is_valid_cpt_hcpcs_format",
    "is_valid_icd10cm_format",
    "is_valid_snomed_format",
    "lace_item_weight",
    "lace_items",
    "lace_points",
    "lace_score",
    "load",
    "normalize_code_system",
    "normalize_cpt_hcpcs",
    "normalize_icd10",
    "parse_denial_reason",
    "planned_readmission_category",
    "procedure_map",
    "snomed_diagnosis_category",
    "snomed_to_cpt",
    "snomed_to_icd10",
    "table_info",
    "version",
    "versions",
]
