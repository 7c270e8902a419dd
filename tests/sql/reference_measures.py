"""The measures of docs/measures/, computed independently in pandas and plain Python, plus the
tools the measure tests share: the gold contract's tables as pyarrow schemas, a lake writer
and a seeded random gold lake.

The reference implementations deliberately avoid the views' techniques (window functions,
self-joins): transfers are merged by walking each patient's stays in a loop, medians come from
``statistics.median``, attributions from sorted lists. A bug in either the view or the
reference makes the comparison on the random lake fail.

The column types are carelake's reading of docs/data-model.md (the gold contract): dates are
DATE, money decimal(14,2), counts and points int32 (Spark IntegerType) or int64 for row counts,
flags boolean, keys strings.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from carelake import registry
from carelake.lake.publish import publish
from carelake.manifest import load_manifest
from tests.paths import REPO

VIEWS_DIR = REPO / "sql" / "views"
MONEY = pa.decimal128(14, 2)
FAR_FUTURE = date(9999, 12, 31)

# --- the gold contract (docs/data-model.md) --------------------------------------------------

SCHEMAS: dict[str, pa.Schema] = {
    "gold.fact_encounter": pa.schema(
        [
            ("encounter_id", pa.string()),
            ("patient_key", pa.string()),
            ("encounter_class", pa.string()),
            ("admit_date", pa.date32()),
            ("discharge_date", pa.date32()),
            ("admit_date_key", pa.int32()),
            ("discharge_date_key", pa.int32()),
            ("length_of_stay_days", pa.int32()),
            ("age_at_admit", pa.int32()),
            ("is_acute_inpatient", pa.bool_()),
            ("is_planned", pa.bool_()),
            ("is_emergency_admission", pa.bool_()),
            ("is_transfer_out", pa.bool_()),
            ("died_in_stay", pa.bool_()),
            ("discharge_disposition_code", pa.string()),
            ("provider_key", pa.string()),
            ("location_key", pa.string()),
            ("payer_key", pa.string()),
            ("diagnosis_key", pa.string()),
            ("diagnosis_category", pa.string()),
        ]
    ),
    "gold.fact_claim": pa.schema(
        [
            ("claim_key", pa.string()),
            ("patient_key", pa.string()),
            ("encounter_id", pa.string()),
            ("service_date_key", pa.int32()),
            ("service_month", pa.string()),
            ("payer_key", pa.string()),
            ("provider_key", pa.string()),
            ("diagnosis_key", pa.string()),
            ("diagnosis_category", pa.string()),
            ("billed_amount", MONEY),
            ("allowed_amount", MONEY),
            ("paid_amount", MONEY),
            ("claim_status", pa.string()),
            ("is_denied", pa.bool_()),
            ("denial_reason", pa.string()),
            ("source", pa.string()),
            ("is_initially_denied", pa.bool_()),
            ("is_appealed", pa.bool_()),
            ("is_overturned", pa.bool_()),
        ]
    ),
    "gold.dim_denial_reason": pa.schema(
        [
            ("denial_reason", pa.string()),
            ("carc_group", pa.string()),
            ("carc_group_name", pa.string()),
            ("carc_reason_code", pa.string()),
            ("carc_reason_description", pa.string()),
        ]
    ),
    "gold.fact_procedure": pa.schema(
        [
            ("patient_key", pa.string()),
            ("snomed_code", pa.string()),
            ("performed_at", pa.timestamp("us")),
            ("encounter_id", pa.string()),
            ("procedure_display", pa.string()),
            ("cpt_hcpcs_code", pa.string()),
            ("procedure_category", pa.string()),
            ("procedure_category_name", pa.string()),
            ("performed_date", pa.date32()),
            ("performed_date_key", pa.int32()),
            ("performed_month", pa.string()),
            ("cost", MONEY),
            ("encounter_class", pa.string()),
            ("is_inpatient", pa.bool_()),
            ("payer_key", pa.string()),
            ("location_key", pa.string()),
            ("diagnosis_category", pa.string()),
        ]
    ),
    "gold.patient_cohort": pa.schema(
        [
            ("patient_key", pa.string()),
            ("cohort", pa.string()),
            ("cohort_name", pa.string()),
            ("first_diagnosed_date", pa.date32()),
        ]
    ),
    "gold.deid_encounter_month": pa.schema(
        [
            ("patient_key", pa.string()),
            ("encounter_class", pa.string()),
            ("admit_month", pa.string()),
            ("discharge_month", pa.string()),
            ("length_of_stay_days", pa.int32()),
            ("age_at_admit", pa.int32()),
            ("is_acute_inpatient", pa.bool_()),
            ("is_planned", pa.bool_()),
            ("is_emergency_admission", pa.bool_()),
            ("is_transfer_out", pa.bool_()),
            ("died_in_stay", pa.bool_()),
            ("discharge_disposition_code", pa.string()),
            ("provider_key", pa.string()),
            ("location_key", pa.string()),
            ("payer_key", pa.string()),
            ("diagnosis_key", pa.string()),
            ("diagnosis_category", pa.string()),
        ]
    ),
    "gold.deid_claim_month": pa.schema(
        [
            ("patient_key", pa.string()),
            ("service_month", pa.string()),
            ("payer_key", pa.string()),
            ("provider_key", pa.string()),
            ("diagnosis_key", pa.string()),
            ("diagnosis_category", pa.string()),
            ("billed_amount", MONEY),
            ("allowed_amount", MONEY),
            ("paid_amount", MONEY),
            ("claim_status", pa.string()),
            ("is_denied", pa.bool_()),
            ("denial_reason", pa.string()),
            ("source", pa.string()),
            ("is_initially_denied", pa.bool_()),
            ("is_appealed", pa.bool_()),
            ("is_overturned", pa.bool_()),
        ]
    ),
    "gold.deid_procedure_month": pa.schema(
        [
            ("patient_key", pa.string()),
            ("snomed_code", pa.string()),
            ("procedure_display", pa.string()),
            ("cpt_hcpcs_code", pa.string()),
            ("procedure_category", pa.string()),
            ("procedure_category_name", pa.string()),
            ("performed_month", pa.string()),
            ("cost", MONEY),
            ("encounter_class", pa.string()),
            ("is_inpatient", pa.bool_()),
            ("payer_key", pa.string()),
            ("location_key", pa.string()),
            ("diagnosis_category", pa.string()),
        ]
    ),
    "gold.fact_outreach": pa.schema(
        [
            ("outreach_id", pa.string()),
            ("patient_key", pa.string()),
            ("coordinator_id", pa.string()),
            ("event_at", pa.timestamp("us")),
            ("event_local_date", pa.date32()),
            ("channel", pa.string()),
            ("status", pa.string()),
            ("is_successful", pa.bool_()),
        ]
    ),
    "gold.dim_patient": pa.schema(
        [
            ("patient_key", pa.string()),
            ("gender", pa.string()),
            ("birth_year", pa.int32()),
            ("age", pa.int32()),
            ("age_band", pa.string()),
            ("race", pa.string()),
            ("ethnicity", pa.string()),
            ("zip3", pa.string()),
            ("is_deceased", pa.bool_()),
            ("death_year", pa.int32()),
            ("is_active", pa.bool_()),
        ]
    ),
    "gold.dim_payer": pa.schema(
        [("payer_key", pa.string()), ("payer_name", pa.string()), ("payer_type", pa.string())]
    ),
    "gold.dim_location": pa.schema(
        [
            ("location_key", pa.string()),
            ("location_name", pa.string()),
            ("city", pa.string()),
            ("state", pa.string()),
            ("zip3", pa.string()),
            ("is_inferred", pa.bool_()),
        ]
    ),
    "gold.dim_provider": pa.schema(
        [
            ("provider_key", pa.string()),
            ("npi", pa.string()),
            ("provider_name", pa.string()),
            ("specialty", pa.string()),
            ("organization_id", pa.string()),
            ("city", pa.string()),
            ("state", pa.string()),
            ("is_inferred", pa.bool_()),
        ]
    ),
    "gold.dim_diagnosis": pa.schema(
        [
            ("diagnosis_key", pa.string()),
            ("icd10cm_code", pa.string()),
            ("icd10cm_display", pa.string()),
            ("diagnosis_category", pa.string()),
            ("diagnosis_category_name", pa.string()),
            ("charlson_group", pa.string()),
        ]
    ),
    "gold.patient_risk": pa.schema(
        [
            ("patient_key", pa.string()),
            ("index_encounter_id", pa.string()),
            ("discharge_date", pa.date32()),
            ("length_of_stay_days", pa.int32()),
            ("l_points", pa.int32()),
            ("a_points", pa.int32()),
            ("charlson_index", pa.int32()),
            ("c_points", pa.int32()),
            ("ed_visits_6m", pa.int32()),
            ("e_points", pa.int32()),
            ("lace_score", pa.int32()),
            ("risk_band", pa.string()),
            ("as_of", pa.date32()),
        ]
    ),
    "gold.high_risk_outreach_list": pa.schema(
        [
            ("patient_key", pa.string()),
            ("mrn", pa.string()),
            ("clinic_id", pa.string()),
            ("clinic_name", pa.string()),
            ("lace_score", pa.int32()),
            ("risk_band", pa.string()),
            ("discharge_date", pa.date32()),
            ("last_outreach_status", pa.string()),
            ("last_outreach_at", pa.timestamp("us")),
            ("last_coordinator_id", pa.string()),
        ]
    ),
    "gold.care_team_worklist": pa.schema(
        [
            ("as_of", pa.date32()),
            ("coordinator_id", pa.string()),
            ("clinic_id", pa.string()),
            ("clinic_name", pa.string()),
            ("patient_key", pa.string()),
            ("mrn", pa.string()),
            ("call_reason", pa.string()),
            ("lace_score", pa.int32()),
            ("risk_band", pa.string()),
            ("lace_reasons", pa.string()),
            ("discharge_date", pa.date32()),
            ("days_since_discharge", pa.int32()),
            ("last_outreach_at", pa.timestamp("us")),
            ("last_outreach_status", pa.string()),
            ("last_coordinator_id", pa.string()),
            ("last_successful_outreach_at", pa.timestamp("us")),
            ("risk_signal_at", pa.timestamp("us")),
        ]
    ),
    "gold.dq_summary": pa.schema(
        [
            ("zone", pa.string()),
            ("table_name", pa.string()),
            ("row_count", pa.int64()),
            ("key_null_rate", pa.float64()),
            ("duplicate_keys", pa.int64()),
            ("duplicates_removed", pa.int64()),
            ("quarantined_rows", pa.int64()),
            ("last_run_id", pa.string()),
            ("last_run_at", pa.timestamp("us")),
        ]
    ),
    "gold.provider_treatment_rank": pa.schema(
        [
            ("provider_key", pa.string()),
            ("provider_name", pa.string()),
            ("specialty", pa.string()),
            ("total_treatments", pa.int64()),
            ("rank_by_treatments", pa.int32()),
        ]
    ),
    "gold.provider_success_rank": pa.schema(
        [
            ("provider_key", pa.string()),
            ("successes", pa.int64()),
            ("completed", pa.int64()),
            ("success_rate", pa.float64()),
            ("rank_by_success_rate", pa.int32()),
        ]
    ),
}

Rows = list[dict[str, Any]]


def date_key(day: date | None) -> int | None:
    return None if day is None else day.year * 10000 + day.month * 100 + day.day


def encounter(
    encounter_id: str,
    patient_key: str,
    admit: date,
    discharge: date | None,
    **columns: Any,
) -> dict[str, Any]:
    """A fact_encounter row: an acute inpatient stay unless told otherwise."""
    row: dict[str, Any] = {
        "encounter_id": encounter_id,
        "patient_key": patient_key,
        "encounter_class": "inpatient",
        "admit_date": admit,
        "discharge_date": discharge,
        "admit_date_key": date_key(admit),
        "discharge_date_key": date_key(discharge),
        "length_of_stay_days": None if discharge is None else (discharge - admit).days,
        "age_at_admit": 50,
        "is_acute_inpatient": True,
        "is_planned": False,
        "is_emergency_admission": False,
        "is_transfer_out": False,
        "died_in_stay": False,
        "discharge_disposition_code": "01",
        "provider_key": "prov-1",
        "location_key": "fac-a",
        "payer_key": "payer-1",
        "diagnosis_key": "I50.9",
        "diagnosis_category": "CIR",
    }
    unknown = set(columns) - set(row)
    assert not unknown, f"not fact_encounter columns: {unknown}"
    row.update(columns)
    return row


def arrow_table(table: str, rows: Rows) -> pa.Table:
    """``rows`` as an Arrow table of the contract's schema."""
    schema = SCHEMAS[table]
    return pa.table({f.name: [row.get(f.name) for row in rows] for f in schema}, schema=schema)


def _month(day: date | None) -> str | None:
    return None if day is None else f"{day.year:04d}-{day.month:02d}"


def deid_rows(tables: Mapping[str, Rows]) -> dict[str, Rows]:
    """The deid_* rows silver_to_gold derives from fact_encounter and fact_claim
    (carelake.gold.deid), derived here independently: months of the dates, HCUP length of stay
    from the dates (null when one is missing or the discharge precedes the admission), no ids."""
    encounters = []
    for e in tables.get("gold.fact_encounter", []):
        admit, discharge = e.get("admit_date"), e.get("discharge_date")
        row = {c: e.get(c) for c in (f.name for f in SCHEMAS["gold.deid_encounter_month"])}
        row |= {"admit_month": _month(admit), "discharge_month": _month(discharge)}
        ordered = admit is not None and discharge is not None and discharge >= admit
        row["length_of_stay_days"] = (discharge - admit).days if ordered else None
        encounters.append(row)
    claims = [
        {c: claim.get(c) for c in (f.name for f in SCHEMAS["gold.deid_claim_month"])}
        for claim in tables.get("gold.fact_claim", [])
    ]
    procedures = [
        {c: procedure.get(c) for c in (f.name for f in SCHEMAS["gold.deid_procedure_month"])}
        for procedure in tables.get("gold.fact_procedure", [])
    ]
    return {
        "gold.deid_encounter_month": encounters,
        "gold.deid_claim_month": claims,
        "gold.deid_procedure_month": procedures,
    }


def write_lake(lake: Path, tables: Mapping[str, Rows]) -> Path:
    """Every contract table: the given rows, the others empty (so every view can be created),
    published as one commit of the job that writes them (as the jobs would). The deid_* tables
    are derived from the given fact_encounter and fact_claim rows (:func:`deid_rows`)."""
    unknown = set(tables) - set(SCHEMAS)
    assert not unknown, f"not contract tables: {unknown}"
    tables = {**deid_rows(tables), **tables}
    writers = load_manifest().writers()
    by_job: dict[str, dict] = {}
    for name in SCHEMAS:
        (job,) = writers[name]
        by_job.setdefault(job, {})[registry.table(name)] = arrow_table(name, list(tables.get(name, [])))
    lake.mkdir(parents=True, exist_ok=True)
    for job, published in by_job.items():
        publish(lake, job, published)
    return lake


def views_subset(folder: Path, *names: str) -> Path:
    """A views folder holding copies of the named sql/views files (each test creates only the
    views it reads, which keeps engine start-up short); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.sql").write_text(
            (VIEWS_DIR / f"{name}.sql").read_text(encoding="utf-8"), encoding="utf-8"
        )
    return folder


def frame(rows: Rows, table: str) -> pd.DataFrame:
    """Rows as a DataFrame with every contract column (what pandas references read)."""
    columns = [f.name for f in SCHEMAS[table]]
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)


# --- comparing a view's result with a reference ---------------------------------------------


def _normal(value: Any) -> Any:
    """One comparable Python value: NaN/NaT/None -> None, dates and timestamps as ISO text."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return (
            value.isoformat(sep=" ")
            if (value.hour, value.minute, value.second) != (0, 0, 0)
            else value.date().isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalars
        return _normal(value.item())
    return value


def records(df: pd.DataFrame, keys: Sequence[str]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in df.to_dict("records"):
        normal = {k: _normal(v) for k, v in row.items()}
        key = tuple(normal[k] for k in keys)
        assert key not in out, f"duplicate key {key}"
        out[key] = normal
    return out


def assert_same(actual: pd.DataFrame, expected: pd.DataFrame, keys: Sequence[str], rel: float = 1e-9) -> None:
    """Same keys, and the same value in every expected column (floats to ``rel``)."""
    missing = set(expected.columns) - set(actual.columns)
    assert not missing, f"view lacks columns {missing}"
    got, want = records(actual, keys), records(expected, keys)
    assert set(got) == set(want), (
        f"keys only in the view: {sorted(set(got) - set(want), key=str)[:5]}; "
        f"only in the reference: {sorted(set(want) - set(got), key=str)[:5]}"
    )
    problems = []
    for key, expected_row in want.items():
        for column, value in expected_row.items():
            seen = got[key][column]
            if isinstance(value, float) and isinstance(seen, int | float) and seen is not None:
                same = math.isclose(seen, value, rel_tol=rel, abs_tol=1e-9)
            else:
                same = seen == value
            if not same:
                problems.append(f"{key} {column}: view {seen!r}, reference {value!r}")
    assert not problems, f"{len(problems)} differences, first: " + "; ".join(problems[:8])


# --- readmission (docs/measures/readmission.md) ----------------------------------------------


def _is_true(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and bool(value)


def _day(value: Any) -> date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    return value


def _known(value: Any) -> bool:
    return not (value is None or (isinstance(value, float) and math.isnan(value)))


def _text(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def data_end_date(encounters: pd.DataFrame) -> date | None:
    ends = [
        _day(d) or _day(a)
        for a, d in zip(encounters["admit_date"], encounters["discharge_date"], strict=True)
    ]
    ends = [e for e in ends if e is not None]
    return max(ends) if ends else None


def merged_acute_stays(encounters: pd.DataFrame) -> list[dict[str, Any]]:
    """Acute inpatient encounters merged into stays, in patient then admission order."""
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in encounters.to_dict("records"):
        if _is_true(row["is_acute_inpatient"]) and _text(row["patient_key"]) and _day(row["admit_date"]):
            row["admit_date"], row["discharge_date"] = _day(row["admit_date"]), _day(row["discharge_date"])
            by_patient[row["patient_key"]].append(row)
    stays = []
    for patient_key in sorted(by_patient):
        rows = sorted(
            by_patient[patient_key],
            key=lambda r: (r["admit_date"], r["discharge_date"] or r["admit_date"], r["encounter_id"]),
        )
        groups: list[list[dict[str, Any]]] = []
        latest_end: date | None = None
        for row in rows:
            if latest_end is None or (row["admit_date"] - latest_end).days >= 2:
                groups.append([row])
            else:
                groups[-1].append(row)
            end = row["discharge_date"] or row["admit_date"]
            latest_end = end if latest_end is None else max(latest_end, end)
        for number, members in enumerate(groups, start=1):
            first = members[0]
            last = sorted(
                members,
                key=lambda r: (r["discharge_date"] or FAR_FUTURE, r["admit_date"], r["encounter_id"]),
            )[-1]
            discharged = all(m["discharge_date"] is not None for m in members)
            stays.append(
                {
                    "stay_id": first["encounter_id"],
                    "patient_key": patient_key,
                    "stay_number": number,
                    "admit_encounter_id": first["encounter_id"],
                    "discharge_encounter_id": last["encounter_id"],
                    "encounter_count": len(members),
                    "admit_date": first["admit_date"],
                    "discharge_date": max(m["discharge_date"] for m in members) if discharged else None,
                    "age_at_admit": first["age_at_admit"],
                    "is_planned_admission": _is_true(first["is_planned"]),
                    "died_in_stay": any(_is_true(m["died_in_stay"]) for m in members),
                    "discharge_disposition_code": _text(last["discharge_disposition_code"]),
                    "admit_location_key": _text(first["location_key"]),
                    "location_key": _text(last["location_key"]),
                    "payer_key": _text(first["payer_key"]),
                    "diagnosis_category": _text(first["diagnosis_category"]),
                }
            )
    return stays


def readmission_index_stays(encounters: pd.DataFrame) -> pd.DataFrame:
    """v_readmission_index_stays, in pandas."""
    end = data_end_date(encounters)
    stays = merged_acute_stays(encounters)
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for stay in stays:
        by_patient[stay["patient_key"]].append(stay)
    out = []
    for stay in stays:
        admit, discharge = stay["admit_date"], stay["discharge_date"]
        age = stay["age_at_admit"]
        age = None if age is None or (isinstance(age, float) and math.isnan(age)) else int(age)
        if discharge is None:
            reason = "not_discharged"
        elif admit == discharge:
            reason = "same_day_stay"
        elif stay["died_in_stay"]:
            reason = "died_in_stay"
        elif (end - discharge).days < 30:
            reason = "follow_up_incomplete"
        else:
            reason = None
        later = []
        if discharge is not None:
            later = sorted(
                (
                    s
                    for s in by_patient[stay["patient_key"]]
                    if s["stay_number"] > stay["stay_number"]
                    and 1 <= (s["admit_date"] - discharge).days <= 30
                ),
                key=lambda s: (s["admit_date"], s["stay_id"]),
            )
        unplanned = [s for s in later if not s["is_planned_admission"]]
        readmission = unplanned[0] if unplanned and reason is None else None
        disposition = stay["discharge_disposition_code"]
        if reason is not None:
            cms_reason = reason
        elif age is None or age < 65:
            cms_reason = "under_65"
        elif disposition == "07":
            cms_reason = "left_against_medical_advice"
        else:
            cms_reason = None
        row = dict(stay)
        row.pop("stay_number")
        row.update(
            is_transfer_merged=stay["encounter_count"] > 1,
            discharge_month=None if discharge is None else discharge.strftime("%Y-%m"),
            length_of_stay_days=None if discharge is None else (discharge - admit).days,
            age_at_admit=age,
            is_65_or_older=None if age is None else age >= 65,
            data_end_date=end,
            follow_up_end_date=None if discharge is None else discharge + timedelta(days=30),
            exclusion_reason=reason,
            is_index_stay=reason is None,
            is_readmitted_30d=None if reason else readmission is not None,
            readmission_encounter_id=readmission["stay_id"] if readmission else None,
            days_to_readmission=(readmission["admit_date"] - discharge).days if readmission else None,
            is_readmitted_elsewhere=(
                None
                if readmission is None
                or readmission["admit_location_key"] is None
                or stay["location_key"] is None
                else readmission["admit_location_key"] != stay["location_key"]
            ),
            cms_exclusion_reason=cms_reason,
            is_cms_index_stay=cms_reason is None,
            is_cms_readmitted_30d=(
                None if cms_reason else bool(later) and not later[0]["is_planned_admission"]
            ),
        )
        out.append(row)
    return pd.DataFrame(out)


VARIANTS = ("hedis_all_ages", "cms_65_plus")


def _variant_stays(stays: pd.DataFrame) -> Iterable[tuple[str, dict[str, Any], bool, bool]]:
    """(variant, stay, readmitted, readmitted elsewhere) for every index stay of each variant."""
    for stay in stays.to_dict("records"):
        elsewhere = _is_true(stay["is_readmitted_elsewhere"])
        if _is_true(stay["is_index_stay"]):
            yield "hedis_all_ages", stay, _is_true(stay["is_readmitted_30d"]), elsewhere
        if _is_true(stay["is_cms_index_stay"]):
            readmitted = _is_true(stay["is_cms_readmitted_30d"])
            yield "cms_65_plus", stay, readmitted, readmitted and elsewhere


def readmission_rates(stays: pd.DataFrame) -> pd.DataFrame:
    """readmission_rates, in pandas."""
    counts = {v: [0, 0, 0] for v in VARIANTS}
    for variant, _, readmitted, elsewhere in _variant_stays(stays):
        counts[variant][0] += 1
        counts[variant][1] += readmitted
        counts[variant][2] += elsewhere
    return pd.DataFrame(
        [
            {
                "variant": v,
                "index_stays": n,
                "readmissions": r,
                "readmissions_elsewhere": e,
                "readmission_rate": r / n if n else None,
            }
            for v, (n, r, e) in counts.items()
        ]
    )


def readmission_rates_by_dimension(
    stays: pd.DataFrame, payers: pd.DataFrame, locations: pd.DataFrame
) -> pd.DataFrame:
    """v_readmission_rates, in pandas."""
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for variant, stay, readmitted, elsewhere in _variant_stays(stays):
        values = {
            "diagnosis_category": _text(stay["diagnosis_category"]) or "Unknown",
            "discharge_month": stay["discharge_month"],
            "payer": _text(stay["payer_key"]) or "Unknown",
            "facility": _text(stay["location_key"]) or "Unknown",
        }
        for dimension, value in values.items():
            cell = counts[(variant, dimension, value)]
            cell[0] += 1
            cell[1] += readmitted
            cell[2] += elsewhere
    payer_names = dict(zip(payers["payer_key"], payers["payer_name"], strict=True))
    location_names = dict(zip(locations["location_key"], locations["location_name"], strict=True))
    rows = []
    for (variant, dimension, value), (n, r, e) in counts.items():
        label = value
        if dimension == "payer":
            label = _text(payer_names.get(value)) or value
        elif dimension == "facility":
            label = _text(location_names.get(value)) or value
        rows.append(
            {
                "variant": variant,
                "dimension": dimension,
                "dimension_value": value,
                "dimension_label": label,
                "index_stays": n,
                "readmissions": r,
                "readmissions_elsewhere": e,
                "readmission_rate": r / n,
            }
        )
    return pd.DataFrame(rows)


# --- length of stay (docs/measures/length-of-stay.md) ----------------------------------------


def length_of_stay(encounters: pd.DataFrame) -> pd.DataFrame:
    """v_length_of_stay, in pandas."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for row in encounters.to_dict("records"):
        admit, discharge = _day(row["admit_date"]), _day(row["discharge_date"])
        if not _is_true(row["is_acute_inpatient"]) or admit is None or discharge is None or discharge < admit:
            continue
        month = discharge.strftime("%Y-%m")
        los = (discharge - admit).days
        groups[(_text(row["diagnosis_category"]) or "Unknown", month)].append(los)
        groups[("All", month)].append(los)
    return pd.DataFrame(
        [
            {
                "diagnosis_category": category,
                "discharge_month": month,
                "stays": len(values),
                "total_days": sum(values),
                "mean_los_days": statistics.fmean(values),
                "median_los_days": float(statistics.median(values)),
                "max_los_days": max(values),
            }
            for (category, month), values in groups.items()
        ]
    )


# --- claims (claims-by-payer.md, top-cost-diagnoses.md, population-summary.md) ---------------


def _money(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return Decimal(str(value))


def _sum(values: Iterable[Any]) -> Decimal | None:
    present = [v for v in (_money(x) for x in values) if v is not None]
    return sum(present, Decimal(0)) if present else None


def claims_by_payer(claims: pd.DataFrame, payers: pd.DataFrame) -> pd.DataFrame:
    """v_claims_by_payer, in pandas."""
    payer_rows = {p["payer_key"]: p for p in payers.to_dict("records")}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim in claims.to_dict("records"):
        groups[_text(claim["payer_key"]) or "Unknown"].append(claim)
    rows = []
    for payer_key, members in groups.items():
        billed = _sum(c["billed_amount"] for c in members)
        paid = _sum(c["paid_amount"] for c in members)
        denied = sum(_is_true(c["is_denied"]) for c in members)
        payer = payer_rows.get(payer_key, {})
        rows.append(
            {
                "payer_key": payer_key,
                "payer_name": _text(payer.get("payer_name")) or "Unknown",
                "payer_type": _text(payer.get("payer_type")) or "Unknown",
                "claims": len(members),
                "patients": len({c["patient_key"] for c in members if _text(c["patient_key"])}),
                "denied_claims": denied,
                "billed_amount": billed,
                "allowed_amount": _sum(c["allowed_amount"] for c in members),
                "paid_amount": paid,
                "paid_to_billed_ratio": (
                    float(paid) / float(billed) if paid is not None and billed else None
                ),
                "denial_rate": denied / len(members),
                "decided_claims": sum(_known(c["is_initially_denied"]) for c in members),
                "initially_denied_claims": sum(_is_true(c["is_initially_denied"]) for c in members),
            }
        )
        decided = rows[-1]["decided_claims"]
        rows[-1]["initial_denial_rate"] = rows[-1]["initially_denied_claims"] / decided if decided else None
    return pd.DataFrame(rows)


def top_cost_diagnoses(claims: pd.DataFrame, diagnoses: pd.DataFrame) -> pd.DataFrame:
    """v_top_cost_diag, in pandas."""
    total = _sum(claims["billed_amount"])
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim in claims.to_dict("records"):
        if _text(claim["diagnosis_key"]):
            groups[claim["diagnosis_key"]].append(claim)
    billed = {k: _sum(c["billed_amount"] for c in v) for k, v in groups.items()}
    ranked = sorted((k for k in groups if billed[k] is not None), key=lambda k: (-billed[k], k))[:10]
    diagnosis_rows = {d["diagnosis_key"]: d for d in diagnoses.to_dict("records")}
    rows = []
    for rank, key in enumerate(ranked, start=1):
        info = diagnosis_rows.get(key, {})
        rows.append(
            {
                "billed_rank": rank,
                "diagnosis_key": key,
                "icd10cm_code": info.get("icd10cm_code"),
                "diagnosis_category": info.get("diagnosis_category"),
                "claims": len(groups[key]),
                "patients": len({c["patient_key"] for c in groups[key] if _text(c["patient_key"])}),
                "billed_amount": billed[key],
                "paid_amount": _sum(c["paid_amount"] for c in groups[key]),
                "share_of_total_billed": float(billed[key]) / float(total) if total else None,
            }
        )
    return pd.DataFrame(rows)


def population_summary(encounters: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    """v_population_summary, in pandas."""
    cells: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "encounters": 0,
            "patients": set(),
            "acute_inpatient_stays": 0,
            "claims": 0,
            "billed": [],
            "paid": [],
        }
    )
    for row in encounters.to_dict("records"):
        admit = _day(row["admit_date"])
        cell = cells[
            (admit.strftime("%Y-%m") if admit else "Unknown", _text(row["diagnosis_category"]) or "Unknown")
        ]
        cell["encounters"] += 1
        if _text(row["patient_key"]):
            cell["patients"].add(row["patient_key"])
        cell["acute_inpatient_stays"] += _is_true(row["is_acute_inpatient"])
    for claim in claims.to_dict("records"):
        cell = cells[
            (_text(claim["service_month"]) or "Unknown", _text(claim["diagnosis_category"]) or "Unknown")
        ]
        cell["claims"] += 1
        cell["billed"].append(claim["billed_amount"])
        cell["paid"].append(claim["paid_amount"])
    return pd.DataFrame(
        [
            {
                "activity_month": month,
                "diagnosis_category": category,
                "encounters": cell["encounters"],
                "patients": len(cell["patients"]),
                "acute_inpatient_stays": cell["acute_inpatient_stays"],
                "claims": cell["claims"],
                "billed_amount": _sum(cell["billed"]) or Decimal(0),
                "paid_amount": _sum(cell["paid"]) or Decimal(0),
            }
            for (month, category), cell in cells.items()
        ]
    )


# --- demographics (docs/measures/demographics.md) --------------------------------------------


def demographics(patients: pd.DataFrame) -> pd.DataFrame:
    """v_demographics, in pandas."""
    active = [p for p in patients.to_dict("records") if _is_true(p["is_active"])]
    rows = []
    for dimension in ("age_band", "gender", "race", "ethnicity"):
        counts: dict[str, int] = defaultdict(int)
        for patient in active:
            counts[_text(patient[dimension]) or "Unknown"] += 1
        for value, n in counts.items():
            rows.append(
                {
                    "dimension": dimension,
                    "dimension_value": value,
                    "patients": n,
                    "active_patients": len(active),
                    "share_of_patients": n / len(active),
                }
            )
    return pd.DataFrame(rows)


# --- outreach compliance (docs/measures/outreach-compliance.md) ------------------------------


def outreach_discharges(stays: pd.DataFrame, outreach: pd.DataFrame) -> pd.DataFrame:
    """v_outreach_discharges, in pandas (from the reference's readmission stays)."""
    events_by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in outreach.to_dict("records"):
        if _text(event["patient_key"]) and _day(event["event_local_date"]):
            event["event_local_date"] = _day(event["event_local_date"])
            event["coordinator_id"] = _text(event["coordinator_id"]) or "unassigned"
            event["is_successful"] = _is_true(event["is_successful"])
            events_by_patient[event["patient_key"]].append(event)
    rows = []
    for stay in stays.to_dict("records"):
        discharge = _day(stay["discharge_date"])
        if discharge is None or _is_true(stay["died_in_stay"]):
            continue
        events = sorted(
            events_by_patient[stay["patient_key"]], key=lambda e: (e["event_at"], e["outreach_id"])
        )
        window = [e for e in events if 1 <= (e["event_local_date"] - discharge).days <= 30]
        successes = [e for e in window if e["is_successful"]]
        before = [e for e in events if e["event_local_date"] <= discharge]
        first = successes[0] if successes else None
        if first:
            coordinator, rule = first["coordinator_id"], "first_successful_outreach"
        elif window:
            coordinator, rule = window[-1]["coordinator_id"], "last_attempt_in_window"
        elif before:
            coordinator, rule = before[-1]["coordinator_id"], "latest_outreach_before_discharge"
        else:
            coordinator, rule = "unassigned", "unassigned"
        rows.append(
            {
                "stay_id": stay["stay_id"],
                "patient_key": stay["patient_key"],
                "discharge_date": discharge,
                "discharge_month": discharge.strftime("%Y-%m"),
                "is_window_complete": (_day(stay["data_end_date"]) - discharge).days >= 30,
                "outreach_attempts_30d": len(window),
                "has_successful_outreach_30d": first is not None,
                "first_successful_outreach_id": first["outreach_id"] if first else None,
                "first_successful_outreach_at": first["event_at"] if first else None,
                "days_to_successful_outreach": (first["event_local_date"] - discharge).days
                if first
                else None,
                "coordinator_id": coordinator,
                "attribution_rule": rule,
            }
        )
    return pd.DataFrame(rows)


def outreach_compliance(discharges: pd.DataFrame) -> pd.DataFrame:
    """outreach_compliance, in pandas."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in discharges.to_dict("records"):
        if row["is_window_complete"]:
            groups[(row["coordinator_id"], row["discharge_month"])].append(row)
    out = []
    for (coordinator, month), members in groups.items():
        days = [m["days_to_successful_outreach"] for m in members if m["has_successful_outreach_30d"]]
        reached = len(days)
        out.append(
            {
                "coordinator_id": coordinator,
                "discharge_month": month,
                "discharges": len(members),
                "discharges_with_successful_outreach": reached,
                "compliance_rate": reached / len(members),
                "mean_days_to_successful_outreach": statistics.fmean(days) if days else None,
            }
        )
    return pd.DataFrame(out)


# --- data quality, risk, providers ------------------------------------------------------------


def dq_summary(dq: pd.DataFrame) -> pd.DataFrame:
    """v_dq_summary, in pandas."""
    rows = []
    for row in dq.to_dict("records"):
        written = 0 if pd.isna(row["row_count"]) else int(row["row_count"])
        quarantined = 0 if pd.isna(row["quarantined_rows"]) else int(row["quarantined_rows"])
        nulls = 0.0 if pd.isna(row["key_null_rate"]) else float(row["key_null_rate"])
        duplicates = 0 if pd.isna(row["duplicate_keys"]) else int(row["duplicate_keys"])
        rows.append(
            {
                "zone": row["zone"],
                "table_name": row["table_name"],
                "row_count": row["row_count"],
                "quarantined_rows": row["quarantined_rows"],
                "quarantine_rate": quarantined / (written + quarantined) if written + quarantined else None,
                "has_issues": nulls > 0 or duplicates > 0 or quarantined > 0,
            }
        )
    return pd.DataFrame(rows)


def patient_risk_view(
    risk: pd.DataFrame, outreach_list: pd.DataFrame, patients: pd.DataFrame
) -> pd.DataFrame:
    """patient_risk_view, in pandas."""
    listed = {r["patient_key"]: r for r in outreach_list.to_dict("records")}
    people = {p["patient_key"]: p for p in patients.to_dict("records")}
    rows = []
    for r in risk.to_dict("records"):
        entry = listed.get(r["patient_key"], {})
        person = people.get(r["patient_key"], {})
        rows.append(
            {
                "patient_key": r["patient_key"],
                "age_band": person.get("age_band"),
                "lace_points_total": r["l_points"] + r["a_points"] + r["c_points"] + r["e_points"],
                "is_acute_admission": r["a_points"] > 0,
                "lace_explanation": (
                    f"L {r['l_points']} ({r['length_of_stay_days']} days) + A {r['a_points']}"
                    f" + C {r['c_points']} (Charlson {r['charlson_index']}) + E {r['e_points']}"
                    f" ({r['ed_visits_6m']} ED visits) = {r['lace_score']}"
                ),
                "is_on_outreach_list": bool(entry),
                "last_outreach_status": entry.get("last_outreach_status"),
                "last_coordinator_id": entry.get("last_coordinator_id"),
            }
        )
    return pd.DataFrame(rows)


def high_risk_outreach(outreach_list: pd.DataFrame, risk: pd.DataFrame) -> pd.DataFrame:
    """v_high_risk_outreach, in pandas."""
    risk_rows = {r["patient_key"]: r for r in risk.to_dict("records")}
    entries = []
    for entry in outreach_list.to_dict("records"):
        last_at = entry["last_outreach_at"]
        discharge = _day(entry["discharge_date"])
        reached = (
            entry["last_outreach_status"] in ("reached", "completed")
            and last_at is not None
            and not pd.isna(last_at)
            and discharge is not None
            and _day(last_at) > discharge
        )
        as_of = _day(risk_rows.get(entry["patient_key"], {}).get("as_of"))
        entries.append(
            {
                "patient_key": entry["patient_key"],
                "mrn": entry["mrn"],
                "lace_score": entry["lace_score"],
                "discharge_date": discharge,
                "days_since_discharge": (as_of - discharge).days if as_of and discharge else None,
                "is_reached_since_discharge": reached,
            }
        )
    entries.sort(
        key=lambda e: (
            e["is_reached_since_discharge"],
            -e["lace_score"],
            _neg_date(e["discharge_date"]),
            e["patient_key"],
        )
    )
    for rank, entry in enumerate(entries, start=1):
        entry["priority_rank"] = rank
    return pd.DataFrame(entries)


def care_team_worklist(worklist: pd.DataFrame) -> pd.DataFrame:
    """v_care_team_worklist, in plain Python: each (coordinator, clinic) list sorted on its own."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for entry in worklist.to_dict("records"):
        last_at = entry["last_outreach_at"]
        has_outreach = last_at is not None and not pd.isna(last_at)
        as_of = _day(entry["as_of"])
        groups[(entry["coordinator_id"], entry["clinic_id"])].append(
            {
                "coordinator_id": entry["coordinator_id"],
                "clinic_id": entry["clinic_id"],
                "patient_key": entry["patient_key"],
                "mrn": entry["mrn"],
                "call_reason": entry["call_reason"],
                "lace_score": entry["lace_score"],
                "discharge_date": _day(entry["discharge_date"]),
                "days_since_last_outreach": (as_of - _day(last_at)).days if has_outreach else None,
                "_urgent": entry["call_reason"] != "emergency_visit_since_reached",
                "_tried": has_outreach,
            }
        )
    rows = []
    for entries in groups.values():
        entries.sort(key=lambda e: (e["_urgent"], e["_tried"], -e["lace_score"],
                                    _neg_date(e["discharge_date"]), e["patient_key"]))  # fmt: skip
        for rank, entry in enumerate(entries, start=1):
            rows.append({k: v for k, v in entry.items() if not k.startswith("_")} | {"priority_rank": rank})
    return pd.DataFrame(rows)


def _neg_date(day: date | None) -> int:
    # descending dates, nulls last (Trino sorts NULLS LAST whatever the direction)
    return -day.toordinal() if day else math.inf  # type: ignore[return-value]


def provider_ranking(
    by_volume: pd.DataFrame, by_success: pd.DataFrame, providers: pd.DataFrame
) -> pd.DataFrame:
    """v_provider_ranking, in pandas."""
    volume = {r["provider_key"]: r for r in by_volume.to_dict("records")}
    success = {r["provider_key"]: r for r in by_success.to_dict("records")}
    people = {r["provider_key"]: r for r in providers.to_dict("records")}
    rows = []
    for key in set(volume) | set(success):
        v, s, p = volume.get(key, {}), success.get(key, {}), people.get(key, {})
        rows.append(
            {
                "provider_key": key,
                "provider_name": v.get("provider_name") or p.get("provider_name"),
                "city": p.get("city"),
                "total_treatments": v.get("total_treatments", 0),
                "rank_by_treatments": v.get("rank_by_treatments"),
                "success_rate": s.get("success_rate"),
                "rank_by_success_rate": s.get("rank_by_success_rate"),
            }
        )
    return pd.DataFrame(rows)


# --- denials, cohorts, procedures (claim-denials.md, cohort-outcomes.md, procedure-patterns.md) ---


def claim_denials(claims: pd.DataFrame, payers: pd.DataFrame, reasons: pd.DataFrame) -> pd.DataFrame:
    """v_claim_denials, in pandas."""
    payer_rows = {p["payer_key"]: p for p in payers.to_dict("records")}
    groups = {r["denial_reason"]: (r["carc_group"], r["carc_group_name"]) for r in reasons.to_dict("records")}
    decided: dict[tuple[str, str], int] = defaultdict(int)
    cells: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    names: dict[str, str] = {"All": "All denial reasons"}
    for claim in claims.to_dict("records"):
        if not _known(claim["is_initially_denied"]):
            continue  # pending: no decision yet
        own_payer = _text(claim["payer_key"]) or "Unknown"
        own_month = _text(claim["service_month"]) or "Unknown"
        for payer in (own_payer, "All"):
            for month in (own_month, "All"):
                decided[(payer, month)] += 1
                cells[(payer, month, "All")].append(claim)
                if _is_true(claim["is_initially_denied"]):
                    group, name = groups.get(_text(claim["denial_reason"]), ("Unknown", "Unknown"))
                    names[group] = name
                    cells[(payer, month, group)].append(claim)
    rows = []
    for (payer, month, group), members in cells.items():
        denied = [c for c in members if _is_true(c["is_initially_denied"])]
        appealed = sum(_is_true(c["is_appealed"]) for c in members)
        overturned = [c for c in members if _is_true(c["is_overturned"])]
        info = (
            {"payer_name": "All payers", "payer_type": "All"} if payer == "All" else payer_rows.get(payer, {})
        )
        rows.append(
            {
                "payer_key": payer,
                "payer_name": _text(info.get("payer_name")) or "Unknown",
                "payer_type": _text(info.get("payer_type")) or "Unknown",
                "service_month": month,
                "carc_group": group,
                "carc_group_name": names[group],
                "decided_claims": decided[(payer, month)],
                "denied_claims": len(denied),
                "denial_rate": len(denied) / decided[(payer, month)],
                "denied_amount": _sum(c["billed_amount"] for c in denied) or Decimal(0),
                "appealed_claims": appealed,
                "overturned_claims": len(overturned),
                "overturn_rate": len(overturned) / appealed if appealed else None,
                "recovered_amount": _sum(c["paid_amount"] for c in overturned) or Decimal(0),
            }
        )
    return pd.DataFrame(rows)


def cohort_outcomes(
    cohorts: pd.DataFrame, patients: pd.DataFrame, stays: pd.DataFrame, encounters: pd.DataFrame
) -> pd.DataFrame:
    """v_cohort_outcomes, in pandas (from the reference's readmission stays)."""
    members: dict[str, dict[str, tuple[str, date | None]]] = defaultdict(dict)  # cohort -> patient -> ...
    for row in cohorts.to_dict("records"):
        members[row["cohort"]][row["patient_key"]] = (row["cohort_name"], _day(row["first_diagnosed_date"]))
    for row in patients.to_dict("records"):
        members["all_patients"][row["patient_key"]] = ("All patients", None)
    emergency: dict[str, list[date]] = defaultdict(list)
    for row in encounters.to_dict("records"):
        if row["encounter_class"] == "emergency" and _text(row["patient_key"]) and _day(row["admit_date"]):
            emergency[row["patient_key"]].append(_day(row["admit_date"]))
    index_stays = [s for s in stays.to_dict("records") if _is_true(s["is_index_stay"])]
    rows = []
    for cohort, people in members.items():
        chosen = []
        for stay in index_stays:
            if stay["patient_key"] not in people:
                continue
            first = people[stay["patient_key"]][1]
            if first is None or _day(stay["discharge_date"]) >= first:
                chosen.append(stay)
        los = [int(s["length_of_stay_days"]) for s in chosen]
        readmitted = sum(_is_true(s["is_readmitted_30d"]) for s in chosen)
        revisits = sum(
            any(1 <= (visit - _day(s["discharge_date"])).days <= 30 for visit in emergency[s["patient_key"]])
            for s in chosen
        )
        rows.append(
            {
                "cohort": cohort,
                "cohort_name": next(iter(people.values()))[0],
                "patients": len(people),
                "patients_with_index_stays": len({s["patient_key"] for s in chosen}),
                "index_stays": len(chosen),
                "total_los_days": sum(los),
                "mean_los_days": statistics.fmean(los) if los else None,
                "readmissions_30d": readmitted,
                "readmission_rate_30d": readmitted / len(chosen) if chosen else None,
                "ed_revisits_30d": revisits,
                "ed_revisit_rate_30d": revisits / len(chosen) if chosen else None,
            }
        )
    return pd.DataFrame(rows)


def procedure_patterns(procedures: pd.DataFrame) -> pd.DataFrame:
    """v_procedure_patterns, in pandas."""
    rows_in = procedures.to_dict("records")
    all_cost = _sum(r["cost"] for r in rows_in)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows_in:
        groups[row["procedure_category"]].append(row)
    rows = []
    for category, members in groups.items():
        costs = [_money(m["cost"]) for m in members if _money(m["cost"]) is not None]
        total = _sum(m["cost"] for m in members)
        inpatient = sum(_is_true(m["is_inpatient"]) for m in members)
        rows.append(
            {
                "procedure_category": category,
                "procedure_category_name": members[0]["procedure_category_name"],
                "procedure_count": len(members),
                "patients": len({m["patient_key"] for m in members if _text(m["patient_key"])}),
                "inpatient_procedures": inpatient,
                "inpatient_share": inpatient / len(members),
                "total_cost": total,
                "mean_cost": statistics.fmean(float(c) for c in costs) if costs else None,
                "share_of_procedures": len(members) / len(rows_in),
                "share_of_cost": float(total) / float(all_cost) if total is not None and all_cost else None,
            }
        )
    return pd.DataFrame(rows)


# --- report views: small cells suppressed (docs/measures/README.md) ---------------------------


def is_small(count: Any) -> bool:
    """A cell the CMS cell-size policy hides: a count of 1 to 10."""
    return _known(count) and 1 <= int(count) <= 10


def shown(value: Any, *counts: Any) -> Any:
    """``value`` unless one of the counts it rests on is small."""
    return None if any(is_small(c) for c in counts) else value


def report(
    base: pd.DataFrame, columns: Mapping[str, Sequence[str]], suppress_if: Sequence[str]
) -> pd.DataFrame:
    """A report view from its base rows: each column in ``columns`` shown unless one of the counts
    listed for it is small; ``is_suppressed`` when any count of ``suppress_if`` is."""
    rows = []
    for row in base.to_dict("records"):
        out = {column: shown(row[column], *(row[c] for c in counts)) for column, counts in columns.items()}
        out["is_suppressed"] = any(is_small(row[c]) for c in suppress_if)
        rows.append(out)
    return pd.DataFrame(rows)


def year_start(month: str) -> date:
    """1 January of a 'YYYY-MM' month's year."""
    return date(int(month[:4]), 1, 1)


# --- a seeded random gold lake ---------------------------------------------------------------

CATEGORIES = ["CIR", "RSP", "END", "NEO", "INF", None]
FACILITIES = ["fac-a", "fac-b", "fac-c", "fac-d", None]
PAYERS = ["payer-1", "payer-2", "payer-3", "payer-4", None]
COORDINATORS = ["cm-001", "cm-002", "cm-003", None]
STATUSES = ["reached", "completed", "left_message", "no_answer", "declined", "scheduled"]
DENIAL_REASONS = ["CO-50", "CO-16", "PR-204", "XX-9", None]  # XX-9: a reason dim_denial_reason lacks
PROCEDURE_CATEGORIES = [
    ("surgery", "Surgery"), ("radiology", "Radiology"), ("evaluation_and_management", "Evaluation and management"),
    ("unmapped", "No CPT/HCPCS code"),
]  # fmt: skip
COHORTS = [("copd", "COPD"), ("heart_failure", "Heart failure"), ("diabetes", "Diabetes")]
# days from the previous discharge to the next admission: heavy on the rule's edges
GAPS = [-3, -1, 0, 0, 1, 1, 2, 2, 3, 5, 9, 15, 20, 28, 29, 30, 30, 31, 31, 32, 45, 90, 200]
# the extract ends here: stays still open then have no discharge date, and the last 30 days'
# discharges have an incomplete follow-up window
EXTRACT_END = date(2024, 3, 31)


def random_gold_lake(seed: int, patients: int = 300) -> dict[str, Rows]:
    """Every contract table, random but with every edge of the measures hit often."""
    rng = random.Random(seed)
    # denial flags, procedures and cohorts draw from their own stream, so adding them left the
    # lake the older measures were tuned on unchanged
    extra = random.Random(f"{seed}:denials-procedures-cohorts")
    start = date(2023, 1, 1)
    tables: dict[str, Rows] = defaultdict(list)
    for pk in range(patients):
        patient_key = f"pk-{pk:04d}"
        birth = start - timedelta(days=rng.randint(18 * 365, 92 * 365))
        tables["gold.dim_patient"].append(
            {
                "patient_key": patient_key,
                "gender": rng.choice(["M", "F", "U", None]),
                "birth_year": birth.year,
                "age": (date(2024, 12, 31) - birth).days // 365,
                "age_band": rng.choice(["18-34", "35-49", "50-64", "65-74", "75-84", "85+", None]),
                "race": rng.choice(["white", "black", "asian", "other", None]),
                "ethnicity": rng.choice(["hispanic", "nonhispanic", None]),
                "zip3": "021",
                "is_deceased": False,
                "death_year": None,
                "is_active": rng.random() < 0.8,
            }
        )
        day = start + timedelta(days=rng.randint(0, 420))
        for n in range(rng.choice([0, 1, 2, 3, 4, 6, 8])):
            if day > EXTRACT_END:
                break
            los = rng.choice([0, 0, 1, 2, 3, 4, 6, 10, 21])
            discharge: date | None = day + timedelta(days=los)
            acute = rng.random() < 0.8
            died = acute and rng.random() < 0.04
            if discharge > EXTRACT_END:
                discharge = None
            cls = "inpatient" if acute else rng.choice(["snf", "emergency", "ambulatory"])
            tables["gold.fact_encounter"].append(
                encounter(
                    f"enc-{pk:04d}-{n:02d}",
                    patient_key,
                    day,
                    discharge,
                    encounter_class=cls,
                    is_acute_inpatient=acute,
                    age_at_admit=(day - birth).days // 365,
                    is_planned=rng.random() < 0.25,
                    died_in_stay=died,
                    discharge_disposition_code=rng.choice(
                        ["01", "01", "02", "03", "06", "07", "20" if died else "01"]
                    ),
                    location_key=rng.choice(FACILITIES),
                    payer_key=rng.choice(PAYERS),
                    diagnosis_category=rng.choice(CATEGORIES),
                    diagnosis_key=rng.choice(["I50.9", "J18.9", "E11.9", "C34.90", None]),
                )
            )
            for c in range(rng.choice([0, 1, 1, 2])):
                tables["gold.fact_claim"].append(
                    _random_claim(rng, extra, f"clm-{pk:04d}-{n:02d}-{c}", patient_key, day)
                )
            for p in range(extra.choice([0, 1, 2])):
                category, name = extra.choice(PROCEDURE_CATEGORIES)
                tables["gold.fact_procedure"].append(
                    {
                        "patient_key": patient_key,
                        "snomed_code": f"snomed-{p}",
                        "performed_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=9 + n),
                        "encounter_id": f"enc-{pk:04d}-{n:02d}",
                        "procedure_category": category,
                        "procedure_category_name": name,
                        "performed_date": day,
                        "cost": None if extra.random() < 0.05 else Decimal(extra.randint(100, 900000)) / 100,
                        "is_inpatient": acute and extra.random() < 0.9,
                    }
                )
            _random_outreach(
                rng, tables["gold.fact_outreach"], f"out-{pk:04d}-{n:02d}", patient_key, discharge or day
            )
            if died or discharge is None:
                break
            day = discharge + timedelta(days=rng.choice(GAPS))
            day = max(day, start)
    for patient in tables["gold.dim_patient"]:
        for cohort, name in COHORTS:
            if extra.random() < 0.3:
                first = None if extra.random() < 0.1 else start + timedelta(days=extra.randint(-400, 400))
                tables["gold.patient_cohort"].append(
                    {"patient_key": patient["patient_key"], "cohort": cohort, "cohort_name": name,
                     "first_diagnosed_date": first}
                )  # fmt: skip
    _random_reference_tables(rng, tables)
    return dict(tables)


def _random_claim(
    rng: random.Random, extra: random.Random, claim_key: str, patient_key: str, day: date
) -> dict[str, Any]:
    billed = Decimal(rng.randint(1000, 500000)) / 100
    status = rng.choice(["paid", "paid", "denied", "pending", "adjusted", "patient_responsibility"])
    allowed = (billed * Decimal(rng.choice(["0.5", "0.8", "1"]))).quantize(Decimal("0.01"))
    paid = (
        Decimal(0)
        if status in ("denied", "pending")
        else (allowed * Decimal("0.9")).quantize(Decimal("0.01"))
    )
    service = day + timedelta(days=rng.randint(0, 3))
    decided = status != "pending"
    initially_denied = decided and (status == "denied" or extra.random() < 0.15)
    appealed = initially_denied and extra.random() < 0.5
    return {
        "claim_key": claim_key,
        "patient_key": patient_key,
        "encounter_id": None,
        "service_date_key": date_key(service),
        "service_month": service.strftime("%Y-%m") if rng.random() > 0.02 else None,
        "payer_key": rng.choice(PAYERS),
        "provider_key": "prov-1",
        "diagnosis_key": rng.choice(
            [
                "I50.9",
                "J18.9",
                "E11.9",
                "C34.90",
                "N18.6",
                "F32.9",
                "I10",
                "J44.1",
                "K21.9",
                "M54.50",
                "R07.9",
                "S72.001A",
                None,
            ]
        ),
        "diagnosis_category": rng.choice(CATEGORIES),
        "billed_amount": billed if rng.random() > 0.01 else None,
        "allowed_amount": allowed,
        "paid_amount": paid,
        "claim_status": status,
        "is_denied": status == "denied",
        "denial_reason": extra.choice(DENIAL_REASONS) if initially_denied else None,
        "source": "ehr_fhir",
        "is_initially_denied": initially_denied if decided else None,
        "is_appealed": appealed if decided else None,
        "is_overturned": appealed and status != "denied" if decided else None,
    }


def _random_outreach(rng: random.Random, rows: Rows, prefix: str, patient_key: str, discharge: date) -> None:
    for k in range(rng.choice([0, 0, 1, 1, 2, 3])):
        local = discharge + timedelta(days=rng.choice([-5, -1, 0, 1, 1, 2, 7, 14, 29, 30, 31, 33]))
        event_at = datetime(local.year, local.month, local.day, rng.randint(8, 23), rng.randint(0, 59))
        status = rng.choice(STATUSES)
        rows.append(
            {
                "outreach_id": f"{prefix}-{k}",
                "patient_key": patient_key if rng.random() > 0.05 else None,
                "coordinator_id": rng.choice(COORDINATORS),
                "event_at": event_at,
                "event_local_date": local,
                "channel": "phone",
                "status": status,
                "is_successful": status in ("reached", "completed"),
            }
        )


def _random_reference_tables(rng: random.Random, tables: dict[str, Rows]) -> None:
    tables["gold.dim_payer"] = [
        {"payer_key": p, "payer_name": f"Payer {p[-1]}", "payer_type": rng.choice(["medicare", "private"])}
        for p in PAYERS[:3]  # payer-4 has claims but no dimension row
    ]
    tables["gold.dim_location"] = [
        {
            "location_key": f,
            "location_name": f"Hospital {f[-1].upper()}",
            "city": "Boston",
            "state": "MA",
            "zip3": "021",
            "is_inferred": False,
        }
        for f in FACILITIES[:3]
    ]
    tables["gold.dim_denial_reason"] = [
        {"denial_reason": "CO-50", "carc_group": "CO", "carc_group_name": "Contractual obligation",
         "carc_reason_code": "50", "carc_reason_description": "Not medically necessary"},
        {"denial_reason": "CO-16", "carc_group": "CO", "carc_group_name": "Contractual obligation",
         "carc_reason_code": "16", "carc_reason_description": "Missing information"},
        {"denial_reason": "PR-204", "carc_group": "PR", "carc_group_name": "Patient responsibility",
         "carc_reason_code": "204", "carc_reason_description": "Not covered"},
    ]  # fmt: skip
    tables["gold.dim_diagnosis"] = [
        {
            "diagnosis_key": d,
            "icd10cm_code": d,
            "icd10cm_display": f"display {d}",
            "diagnosis_category": "CIR",
            "diagnosis_category_name": "Circulatory",
            "charlson_group": None,
        }
        for d in ["I50.9", "J18.9", "E11.9", "C34.90", "N18.6", "F32.9"]
    ]
    patients = [p["patient_key"] for p in tables["gold.dim_patient"]]
    for patient_key in rng.sample(patients, 80):
        points = [rng.choice([0, 1, 2, 3, 4, 5, 7]), rng.choice([0, 3]), rng.randint(0, 5), rng.randint(0, 4)]
        discharge = date(2024, 1, 1) + timedelta(days=rng.randint(0, 300))
        tables["gold.patient_risk"].append(
            {
                "patient_key": patient_key,
                "index_encounter_id": "enc-" + patient_key,
                "discharge_date": discharge,
                "length_of_stay_days": rng.randint(0, 20),
                "l_points": points[0],
                "a_points": points[1],
                "charlson_index": points[2] + 1,
                "c_points": points[2],
                "ed_visits_6m": points[3],
                "e_points": points[3],
                "lace_score": sum(points),
                "risk_band": "high" if sum(points) >= 10 else "moderate",
                "as_of": date(2025, 1, 15),
            }
        )
        if sum(points) >= 10 or rng.random() < 0.1:
            status = rng.choice([*STATUSES, None])
            last_at = (
                None
                if status is None
                else datetime.combine(
                    discharge + timedelta(days=rng.choice([-3, 0, 1, 5])), datetime.min.time()
                )
                + timedelta(hours=rng.randint(0, 23))
            )
            tables["gold.high_risk_outreach_list"].append(
                {
                    "patient_key": patient_key,
                    "mrn": "MRN-" + patient_key,
                    "clinic_id": "fac-a",
                    "clinic_name": "Hospital A",
                    "lace_score": sum(points),
                    "risk_band": "high" if sum(points) >= 10 else "moderate",
                    "discharge_date": discharge if rng.random() > 0.05 else None,
                    "last_outreach_status": status,
                    "last_outreach_at": last_at,
                    "last_coordinator_id": rng.choice(COORDINATORS),
                }
            )
    for entry in tables["gold.high_risk_outreach_list"]:
        # The worklist: each listed patient once per covering coordinator (some clinics have two),
        # with the edges the view sorts on: ED visit since reached, never tried, ties on score.
        coordinators = rng.choice([["cm-001"], ["cm-001", "cm-002"], ["unassigned"]])
        reason = rng.choice(["not_reached_since_discharge", "not_reached_since_discharge",
                             "emergency_visit_since_reached"])  # fmt: skip
        for coordinator in coordinators:
            tables["gold.care_team_worklist"].append(
                {
                    "as_of": date(2025, 1, 15),
                    "coordinator_id": coordinator,
                    "clinic_id": rng.choice(["fac-a", "fac-b"]) if coordinator == "unassigned" else "fac-a",
                    "clinic_name": "Hospital A",
                    "patient_key": entry["patient_key"],
                    "mrn": entry["mrn"],
                    "call_reason": reason,
                    "lace_score": entry["lace_score"],
                    "risk_band": entry["risk_band"],
                    "lace_reasons": "length of stay 1 day (L 1); ...",
                    "discharge_date": entry["discharge_date"] or date(2025, 1, 1),
                    "days_since_discharge": 3,
                    "last_outreach_at": entry["last_outreach_at"],
                    "last_outreach_status": entry["last_outreach_status"],
                    "last_coordinator_id": entry["last_coordinator_id"],
                    "last_successful_outreach_at": None,
                    "risk_signal_at": None,
                }
            )
    tables["gold.dq_summary"] = [
        {
            "zone": zone,
            "table_name": f"t{i}",
            "row_count": rng.choice([0, 10, 1000]),
            "key_null_rate": rng.choice([0.0, 0.0, 0.01, None]),
            "duplicate_keys": rng.choice([0, 0, 2]),
            "duplicates_removed": rng.randint(0, 5),
            "quarantined_rows": rng.choice([0, 0, 3, None]),
            "last_run_id": f"run-{i}",
            "last_run_at": datetime(2025, 1, 15, 6, 0),
        }
        for i, zone in enumerate(["bronze", "silver", "gold"] * 6)
    ]
    providers = [f"prov-{i}" for i in range(12)]
    tables["gold.dim_provider"] = [
        {
            "provider_key": p,
            "npi": None,
            "provider_name": f"Dr {p}",
            "specialty": "Cardiology",
            "organization_id": "fac-a",
            "city": rng.choice(["Boston", "Salem"]),
            "state": "MA",
            "is_inferred": False,
        }
        for p in providers[:10]
    ]
    tables["gold.provider_treatment_rank"] = [
        {
            "provider_key": p,
            "provider_name": f"Dr {p}",
            "specialty": "Cardiology",
            "total_treatments": 100 - i,
            "rank_by_treatments": i + 1,
        }
        for i, p in enumerate(providers[:9])
    ]
    tables["gold.provider_success_rank"] = [
        {
            "provider_key": p,
            "successes": 5 + i,
            "completed": 10 + i,
            "success_rate": (5 + i) / (10 + i),
            "rank_by_success_rate": 12 - i,
        }
        for i, p in enumerate(providers[3:])
    ]
