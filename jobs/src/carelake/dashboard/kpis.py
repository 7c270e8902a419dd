"""The short KPI summaries ``make demo`` prints and each dashboard page shows above its charts.

The analyst lines follow the cell-size rule of the report views (docs/measures/README.md): a
count of 1 to 10 reads ``<11`` and a rate resting on it is not printed. The care-team lines
count the patients on the coordinators' lists, which that page shows one by one anyway.
Each line reads one view; a view that is missing or failed gives an "unavailable" line with
the reason instead of stopping the summary.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

from carelake.dashboard.charts import WORKLIST_VIEW
from carelake.dashboard.formatting import SUPPRESSED, is_missing, money, pct
from carelake.query import LocalQueryEngine, QueryError

VARIANT_LABELS = {
    "hedis_all_ages": "30-day readmission, HEDIS PCR (all ages)",
    "cms_65_plus": "30-day readmission, CMS-style (65+)",
}
SMALL_CELL = range(1, 11)  # counts the cell-size rule hides

# The acute inpatient discharges v_length_of_stay measures (same filter), one LOS value each:
# the overall median needs the values, not the monthly medians.
LOS_VALUES_SQL = """
select length_of_stay_days
from gold.deid_encounter_month
where is_acute_inpatient and length_of_stay_days is not null
"""


def count(n: object) -> str:
    """A count as printed: ``<11`` when 1 to 10."""
    value = int(n)  # type: ignore[call-overload]
    return SUPPRESSED if value in SMALL_CELL else f"{value:,}"


def is_small(*counts: object) -> bool:
    return any(int(n) in SMALL_CELL for n in counts)  # type: ignore[call-overload]


def readmission_lines(engine: LocalQueryEngine) -> list[str]:
    rates = engine.query("readmission_rates").set_index("variant")
    lines = []
    for variant, label in VARIANT_LABELS.items():
        if variant not in rates.index or not rates.loc[variant, "index_stays"]:
            lines.append(f"{label}: n/a (no index stays)")
            continue
        row = rates.loc[variant]
        stays, readmissions = int(row["index_stays"]), int(row["readmissions"])
        rate = "rate hidden (small cell)" if is_small(stays, readmissions) else pct(row["readmission_rate"])
        lines.append(f"{label}: {rate} ({count(readmissions)} of {count(stays)} index stays)")
    return lines


def claims_lines(engine: LocalQueryEngine) -> list[str]:
    payers = engine.query("v_claims_by_payer")
    claims = int(payers["claims"].sum())
    if not claims:
        return ["Claims: none"]
    billed = float(payers["billed_amount"].fillna(0).sum())
    allowed = float(payers["allowed_amount"].fillna(0).sum())
    paid = float(payers["paid_amount"].fillna(0).sum())
    decided = int(payers["decided_claims"].sum())
    denied = int(payers["initially_denied_claims"].sum())
    standing = int(payers["denied_claims"].sum())
    paid_share = f" ({pct(paid / billed)} of billed)" if billed else ""
    denial = (
        "initial denial rate hidden (small cell)" if is_small(decided, denied) or not decided
        else f"initial denial rate {pct(denied / decided)}"
    )  # fmt: skip
    return [
        f"Claims: {count(claims)} from {len(payers)} payers; billed {money(billed)}, allowed {money(allowed)}, "
        f"paid {money(paid)}{paid_share}",
        f"Denials: {denial} ({count(denied)} of {count(decided)} decided claims); {count(standing)} still denied",
    ]


def top_diagnosis_lines(engine: LocalQueryEngine) -> list[str]:
    top = engine.query("report_top_cost_diag")
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
    if is_small(len(values)):
        return [f"Length of stay (HCUP, acute inpatient): hidden ({SUPPRESSED} discharges)"]
    return [
        f"Length of stay (HCUP, acute inpatient): mean {statistics.fmean(values):.2f} days, "
        f"median {statistics.median(values):g} days over {len(values):,} discharges"
    ]


def quarantine_lines(engine: LocalQueryEngine) -> list[str]:
    dq = engine.query("v_dq_summary")
    quarantined = dq["quarantined_rows"].fillna(0).astype("int64")
    tables = int((quarantined > 0).sum())
    return [f"Quarantined rows: {int(quarantined.sum()):,} in {tables} of {len(dq)} tables checked"]


def high_risk_lines(engine: LocalQueryEngine) -> list[str]:
    risk = engine.query("patient_risk_view")
    listed = risk[risk["is_on_outreach_list"].fillna(False).astype(bool)]
    high = int((risk["risk_band"] == "high").sum())
    return [
        f"High-risk patients: {len(listed):,} on the outreach list (LACE at or over the threshold, discharged "
        f"within the outreach window); {high:,} of {len(risk):,} scored patients in the high band"
    ]


def worklist_lines(engine: LocalQueryEngine) -> list[str]:
    worklist = engine.query(WORKLIST_VIEW)
    coordinators = worklist["coordinator_id"].nunique() if len(worklist) else 0
    return [f"Worklist: {len(worklist):,} patients to call for {coordinators:,} coordinators"]


Section = tuple[str, Callable[[LocalQueryEngine], list[str]]]
ANALYST_SECTIONS: tuple[Section, ...] = (
    ("30-day readmission", readmission_lines),
    ("Claims", claims_lines),
    ("Top diagnosis by billed amount", top_diagnosis_lines),
    ("Length of stay", length_of_stay_lines),
    ("Quarantined rows", quarantine_lines),
)
CARE_TEAM_SECTIONS: tuple[Section, ...] = (
    ("High-risk patients", high_risk_lines),
    ("Worklist", worklist_lines),
)


def _lines(engine: LocalQueryEngine, sections: tuple[Section, ...]) -> list[str]:
    lines: list[str] = []
    for label, section in sections:
        try:
            lines.extend(section(engine))
        except QueryError as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            lines.append(f"{label}: unavailable ({reason})")
    return lines


def kpi_lines(engine: LocalQueryEngine) -> list[str]:
    """The analyst summary: readmission per variant, claims money and denials, the top diagnosis,
    length of stay and quarantined rows (small cells as on the analyst page)."""
    return _lines(engine, ANALYST_SECTIONS)


def care_team_kpi_lines(engine: LocalQueryEngine) -> list[str]:
    """The care-team summary: the high-risk outreach list and the coordinators' worklist."""
    return _lines(engine, CARE_TEAM_SECTIONS)
