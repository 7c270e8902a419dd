"""The short KPI summary ``make demo`` prints and the dashboard shows above its charts.

Each line reads one view; a view that is missing or failed gives an "unavailable" line with
the reason instead of stopping the summary.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from carelake.dashboard.formatting import is_missing, money, pct
from carelake.query import LocalQueryEngine, QueryError

VARIANT_LABELS = {
    "hedis_all_ages": "30-day readmission, HEDIS PCR (all ages)",
    "cms_65_plus": "30-day readmission, CMS-style (65+)",
}

# The acute inpatient discharges v_length_of_stay measures (same filter), one LOS value each:
# the overall median needs the values, not the monthly medians.
LOS_VALUES_SQL = """
select length_of_stay_days
from gold.deid_encounter_month
where is_acute_inpatient and length_of_stay_days is not null
"""


def _count(n: object) -> str:
    return f"{int(n):,}"  # type: ignore[call-overload]


def readmission_lines(engine: LocalQueryEngine) -> list[str]:
    rates = engine.query("readmission_rates").set_index("variant")
    lines = []
    for variant, label in VARIANT_LABELS.items():
        if variant not in rates.index or not rates.loc[variant, "index_stays"]:
            lines.append(f"{label}: n/a (no index stays)")
            continue
        row = rates.loc[variant]
        lines.append(
            f"{label}: {pct(row['readmission_rate'])} "
            f"({_count(row['readmissions'])} of {_count(row['index_stays'])} index stays)"
        )
    return lines


def claims_lines(engine: LocalQueryEngine) -> list[str]:
    payers = engine.query("v_claims_by_payer")
    claims = int(payers["claims"].sum())
    if not claims:
        return ["Claims: none"]
    billed = float(payers["billed_amount"].fillna(0).sum())
    paid = float(payers["paid_amount"].fillna(0).sum())
    denied = int(payers["denied_claims"].sum())
    paid_share = f" ({pct(paid / billed)} of billed)" if billed else ""
    return [
        f"Claims: {claims:,} from {len(payers)} payers; billed {money(billed)}, paid {money(paid)}"
        f"{paid_share}; denial rate {pct(denied / claims)} ({denied:,} denied)"
    ]


def top_diagnosis_lines(engine: LocalQueryEngine) -> list[str]:
    top = engine.query("v_top_cost_diag").sort_values("billed_rank")
    if top.empty:
        return ["Top diagnosis by billed amount: none (no claims with a diagnosis)"]
    row = top.iloc[0]
    display = "" if is_missing(row["icd10cm_display"]) else f" {row['icd10cm_display']}"
    return [
        f"Top diagnosis by billed amount: {row['diagnosis_key']}{display}, {money(row['billed_amount'])} "
        f"({pct(row['share_of_total_billed'])} of all billed)"
    ]


def length_of_stay_lines(engine: LocalQueryEngine) -> list[str]:
    values = [int(v) for v in engine.query(LOS_VALUES_SQL)["length_of_stay_days"].dropna()]
    if not values:
        return ["Length of stay: n/a (no acute inpatient discharges)"]
    return [
        f"Length of stay (HCUP, acute inpatient): mean {statistics.fmean(values):.2f} days, "
        f"median {statistics.median(values):g} days over {len(values):,} discharges"
    ]


def high_risk_lines(engine: LocalQueryEngine) -> list[str]:
    risk = engine.query("patient_risk_view")
    listed = risk[risk["is_on_outreach_list"].fillna(False).astype(bool)]
    high = int((risk["risk_band"] == "high").sum())
    return [
        f"High-risk patients: {len(listed):,} on the outreach list (LACE at or over the threshold); "
        f"{high:,} of {len(risk):,} scored patients in the high band"
    ]


def quarantine_lines(engine: LocalQueryEngine) -> list[str]:
    dq = engine.query("v_dq_summary")
    quarantined = dq["quarantined_rows"].fillna(0).astype("int64")
    tables = int((quarantined > 0).sum())
    return [f"Quarantined rows: {int(quarantined.sum()):,} in {tables} of {len(dq)} tables checked"]


KPI_SECTIONS: tuple[tuple[str, Callable[[LocalQueryEngine], list[str]]], ...] = (
    ("30-day readmission", readmission_lines),
    ("Claims", claims_lines),
    ("Top diagnosis by billed amount", top_diagnosis_lines),
    ("Length of stay", length_of_stay_lines),
    ("High-risk patients", high_risk_lines),
    ("Quarantined rows", quarantine_lines),
)


def kpi_lines(engine: LocalQueryEngine) -> list[str]:
    """The KPI summary, one short line per figure: readmission rate per variant with counts,
    claims billed/paid/denial rate, the top diagnosis, mean and median LOS, the high-risk patient
    count and the quarantined rows."""
    lines: list[str] = []
    for label, section in KPI_SECTIONS:
        try:
            lines.extend(section(engine))
        except QueryError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            lines.append(f"{label}: unavailable ({reason})")
    return lines
