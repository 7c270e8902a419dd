"""The dashboards' charts: which view feeds each one, which of its rows the chart's table shows
and which of those it plots.

Every chart reads exactly one view (``ChartSpec.source``), queried by name, so its rows come in
the order the view declares (``-- order_by:``). ``ChartSpec.rows`` picks the rows and columns the
chart's table shows (a filter, never a re-computation of the measure); ``ChartSpec.plotted`` the
ones it can draw: rows whose value is hidden under the cell-size rule stay in the table (as
``<11``) but are not drawn. A chart with nothing to draw says why (``empty_note``).

The analyst page reads only the de-identified report views (``report_*``: small cells
suppressed) and the data-quality summary; the care-team page reads the coordinators' worklist
and the LACE list, both PHI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from carelake.config import ZONES

# How a column is shown in the tables (the JSON block always keeps the raw value).
TEXT, INT, MONEY, PCT, DAYS, BOOL, DATETIME, DATE = (
    "text",
    "int",
    "money",
    "pct",
    "days",
    "bool",
    "datetime",
    "date",
)

TABLE_ROW_LIMIT = 50  # rows of a table chart on the page (the full list stays in the view)
WORKLIST_VIEW = "v_care_team_worklist"


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    fmt: str = TEXT


def _all_rows(view: pd.DataFrame) -> pd.DataFrame:
    return view


def _plot_all(rows: pd.DataFrame) -> pd.DataFrame:
    return rows


@dataclass(frozen=True)
class ChartSpec:
    """One chart (``kind='chart'``, a plot with its table) or table (``kind='table'``)."""

    chart_id: str
    title: str
    source: str
    description: str
    columns: tuple[Column, ...]
    empty_note: str
    rows: Callable[[pd.DataFrame], pd.DataFrame] = _all_rows
    plotted: Callable[[pd.DataFrame], pd.DataFrame] = _plot_all
    kind: str = "chart"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class ChartResult:
    """A chart as written: ``status`` 'ok' (something drawn or listed), 'empty' (nothing to show;
    ``note`` says why) or 'error' (the view is unavailable; ``note`` says why)."""

    spec: ChartSpec
    status: str
    rows: pd.DataFrame  # the table's rows (suppressed ones included)
    plotted: pd.DataFrame  # the rows drawn
    total_rows: int
    note: str | None
    png: bytes
    png_path: Path

    @property
    def chart_id(self) -> str:
        return self.spec.chart_id

    @property
    def has_data(self) -> bool:
        return self.status == "ok" and len(self.rows) > 0


def _with_values(*columns: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Rows where every one of ``columns`` has a value (suppressed cells are null)."""

    def plotted(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.dropna(subset=list(columns)).reset_index(drop=True)

    return plotted


def _with_any(*columns: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Rows where at least one of ``columns`` has a value (the others are drawn as gaps)."""

    def plotted(rows: pd.DataFrame) -> pd.DataFrame:
        return rows.dropna(subset=list(columns), how="all").reset_index(drop=True)

    return plotted


def _dated(view: pd.DataFrame) -> pd.DataFrame:
    """Trend rows: a real year (the report views give year_start as a date)."""
    return view[view["year_start"].notna()].reset_index(drop=True)


def _payer_shares(rows: pd.DataFrame) -> pd.DataFrame:
    """Each payer's share of the billed and of the paid amount (money is never suppressed)."""
    billed = rows["billed_amount"].astype("float64").fillna(0.0)
    paid = rows["paid_amount"].astype("float64").fillna(0.0)
    return rows.assign(
        billed_share=billed / billed.sum() if billed.sum() else None,
        paid_share=paid / paid.sum() if paid.sum() else None,
    )


def _denials_by_payer(view: pd.DataFrame) -> pd.DataFrame:
    keep = (view["service_month"] == "All") & (view["payer_key"] != "All") & (view["carc_group"] != "All")
    return view[keep].reset_index(drop=True)


def _outreach_priority(view: pd.DataFrame) -> pd.DataFrame:
    """Patients on the outreach list, in the coordinators' order (v_high_risk_outreach's): not yet
    reached since discharge first, then LACE score descending, latest discharge, patient key."""
    listed = view[view["is_on_outreach_list"].fillna(False).astype(bool)].copy()
    discharge = pd.to_datetime(listed["discharge_date"])
    # the lake's timestamps are UTC (tz-aware from the query engine); the discharge is a date
    outreach_day = pd.to_datetime(listed["last_outreach_at"], utc=True).dt.tz_convert(None).dt.normalize()
    listed["is_reached_since_discharge"] = (
        listed["last_outreach_status"].isin(["reached", "completed"]) & (outreach_day > discharge)
    ).fillna(False)
    listed["days_since_discharge"] = (pd.to_datetime(listed["as_of"]) - discharge).dt.days.astype("Int64")
    listed["_discharge"] = discharge
    listed = listed.sort_values(
        ["is_reached_since_discharge", "lace_score", "_discharge", "patient_key"],
        ascending=[True, False, False, True],
        na_position="last",
        kind="mergesort",
    ).reset_index(drop=True)
    listed["priority"] = range(1, len(listed) + 1)
    return listed


def _dq_rows(view: pd.DataFrame) -> pd.DataFrame:
    order = {zone: i for i, zone in enumerate(ZONES)}
    rows = view.assign(_zone_order=view["zone"].map(order).fillna(len(order)))
    return rows.sort_values(["_zone_order", "zone", "table_name"], kind="mergesort").reset_index(drop=True)


SUPPRESSED_NOTE = "every group here has fewer than 11 (shown as <11 under the cell-size rule)"

# --- the analyst page: de-identified, small cells suppressed ------------------------------------

ANALYST_CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        chart_id="readmission_by_category",
        title="30-day readmission rate by diagnosis category",
        source="report_readmission_by_category",
        description=(
            "Observed 30-day all-cause readmission rate (HEDIS Plan All-Cause Readmissions rules, all ages) "
            "per diagnosis category of the index stay (CCSR body system), with the index stays behind each rate."
        ),
        columns=(
            Column("diagnosis_category_name", "diagnosis category"),
            Column("index_stays", "index stays", INT),
            Column("readmissions", "readmissions", INT),
            Column("readmission_rate", "readmission rate", PCT),
        ),
        plotted=_with_values("readmission_rate"),
        empty_note="no HEDIS index stay (an acute stay discharged alive with 30 days of follow-up)",
    ),
    ChartSpec(
        chart_id="readmission_trend",
        title="30-day readmission rate by discharge year",
        source="report_readmission_trend",
        description="Index stays per discharge year (bars) and their observed 30-day readmission rate (line).",
        columns=(
            Column("year_start", "year", DATE),
            Column("index_stays", "index stays", INT),
            Column("readmissions", "readmissions", INT),
            Column("readmission_rate", "readmission rate", PCT),
        ),
        rows=_dated,
        plotted=_with_values("index_stays"),
        empty_note="no HEDIS index stay in any year",
    ),
    ChartSpec(
        chart_id="outreach_compliance_trend",
        title="Post-discharge outreach compliance by discharge year",
        source="report_outreach_compliance_trend",
        description=(
            "Discharges (alive) whose 30-day window has closed (bars) and the share reached by a care "
            "coordinator on days 1-30 after discharge (line)."
        ),
        columns=(
            Column("year_start", "year", DATE),
            Column("discharges", "discharges", INT),
            Column("discharges_with_successful_outreach", "reached in 30 days", INT),
            Column("compliance_rate", "compliance", PCT),
        ),
        rows=_dated,
        plotted=_with_values("discharges"),
        empty_note="no discharge whose 30-day outreach window has closed",
    ),
    ChartSpec(
        chart_id="los_trend",
        title="Length of stay by discharge year",
        source="report_length_of_stay_trend",
        description=(
            "HCUP length of stay (discharge date minus admission date) of acute inpatient discharges: "
            "discharges per year (bars) and their mean length of stay (line)."
        ),
        columns=(
            Column("year_start", "year", DATE),
            Column("stays", "discharges", INT),
            Column("mean_los_days", "mean LOS", DAYS),
        ),
        rows=_dated,
        plotted=_with_values("stays"),
        empty_note="no acute inpatient discharge",
    ),
    ChartSpec(
        chart_id="billed_vs_paid_by_payer",
        title="Billed, allowed and paid by payer",
        source="report_claims_by_payer",
        description=(
            "What was billed, what each payer's decisions allowed and what it paid, with paid/billed above "
            "the paid bar and the initial denial rate in the table."
        ),
        columns=(
            Column("payer_key", "payer key"),
            Column("payer_name", "payer"),
            Column("payer_type", "type"),
            Column("claims", "claims", INT),
            Column("billed_amount", "billed", MONEY),
            Column("allowed_amount", "allowed", MONEY),
            Column("paid_amount", "paid", MONEY),
            Column("paid_to_billed_ratio", "paid / billed", PCT),
            Column("initial_denial_rate", "initial denials", PCT),
        ),
        empty_note="no claims",
    ),
    ChartSpec(
        chart_id="payer_mix",
        title="Payer mix",
        source="report_claims_by_payer",
        description="Each payer's share of the billed amount and of the paid amount (one colour per payer).",
        columns=(
            Column("payer_key", "payer key"),
            Column("payer_name", "payer"),
            Column("billed_amount", "billed", MONEY),
            Column("billed_share", "share of billed", PCT),
            Column("paid_amount", "paid", MONEY),
            Column("paid_share", "share of paid", PCT),
        ),
        rows=_payer_shares,
        plotted=_with_values("billed_share"),
        empty_note="no claims",
    ),
    ChartSpec(
        chart_id="denials_by_payer",
        title="Initial denials by payer and CARC group",
        source="report_claim_denials",
        description=(
            "Share of each payer's decided claims its first decision denied, stacked by the CARC group of "
            "the denial, over every month; appeals and overturns in the table."
        ),
        columns=(
            Column("payer_key", "payer key"),
            Column("payer_name", "payer"),
            Column("carc_group", "CARC group"),
            Column("carc_group_name", "group name"),
            Column("decided_claims", "decided claims", INT),
            Column("denied_claims", "denied", INT),
            Column("denial_rate", "denial rate", PCT),
            Column("denied_amount", "denied amount", MONEY),
            Column("appealed_claims", "appealed", INT),
            Column("overturned_claims", "overturned", INT),
            Column("overturn_rate", "overturn rate", PCT),
        ),
        rows=_denials_by_payer,
        plotted=_with_values("denial_rate"),
        empty_note="no claim was denied at its first decision",
    ),
    ChartSpec(
        chart_id="denial_trend",
        title="Initial denial and overturn rates by service year",
        source="report_denial_trend",
        description=(
            "Decided claims of every payer per service year (bars), the share denied at the first "
            "decision and the share of appeals overturned (lines)."
        ),
        columns=(
            Column("year_start", "year", DATE),
            Column("decided_claims", "decided claims", INT),
            Column("denied_claims", "denied", INT),
            Column("denial_rate", "denial rate", PCT),
            Column("appealed_claims", "appealed", INT),
            Column("overturn_rate", "overturn rate", PCT),
        ),
        rows=_dated,
        plotted=_with_values("decided_claims"),
        empty_note="no decided claim in any year",
    ),
    ChartSpec(
        chart_id="top_cost_diagnoses",
        title="Top 10 diagnoses by billed amount",
        source="report_top_cost_diag",
        description="The ten diagnoses with the highest billed amount and their share of all billing.",
        columns=(
            Column("billed_rank", "rank", INT),
            Column("diagnosis_key", "diagnosis"),
            Column("icd10cm_display", "description"),
            Column("diagnosis_category_name", "category"),
            Column("claims", "claims", INT),
            Column("billed_amount", "billed", MONEY),
            Column("share_of_total_billed", "share of billed", PCT),
        ),
        empty_note="no claims with a diagnosis",
    ),
    ChartSpec(
        chart_id="cohort_outcomes",
        title="Chronic-disease cohorts: readmissions and ED revisits",
        source="report_cohort_outcomes",
        description=(
            "COPD, heart failure and diabetes patients beside all patients: share of their index stays "
            "readmitted within 30 days and followed by an emergency visit within 30 days; mean length of stay "
            "in the table."
        ),
        columns=(
            Column("cohort_name", "cohort"),
            Column("patients", "patients", INT),
            Column("index_stays", "index stays", INT),
            Column("mean_los_days", "mean LOS", DAYS),
            Column("readmission_rate_30d", "30-day readmission", PCT),
            Column("ed_revisit_rate_30d", "30-day ED revisit", PCT),
        ),
        plotted=_with_any("readmission_rate_30d", "ed_revisit_rate_30d"),
        empty_note="no patients",
    ),
    ChartSpec(
        chart_id="procedure_patterns",
        title="Procedure volume and cost by category",
        source="report_procedure_patterns",
        description="Cost of the procedures of each CPT/HCPCS category, with their number and share of all cost.",
        columns=(
            Column("procedure_category_name", "category"),
            Column("procedure_count", "procedures", INT),
            Column("patients", "patients", INT),
            Column("total_cost", "cost", MONEY),
            Column("mean_cost", "mean cost", MONEY),
            Column("share_of_cost", "share of cost", PCT),
        ),
        plotted=_with_values("total_cost"),
        empty_note="no procedures",
    ),
    ChartSpec(
        chart_id="provider_ranking",
        title="Provider ranking by treatments",
        source="report_provider_ranking",
        description=(
            "The ten providers with the most treatments, with their treatment success rate "
            "(ranked from 5 completed treatments)."
        ),
        columns=(
            Column("rank_by_treatments", "rank", INT),
            Column("provider_name", "provider"),
            Column("specialty", "specialty"),
            Column("total_treatments", "treatments", INT),
            Column("success_rate", "success rate", PCT),
        ),
        plotted=_with_values("total_treatments"),
        empty_note="no provider ranked by treatments",
    ),
    ChartSpec(
        chart_id="dq_summary",
        title="Data-quality summary",
        source="v_dq_summary",
        description=(
            "Per lake table and its latest run: rows, share of null keys, duplicate keys left, "
            "duplicates removed and quarantined rows. Rows with an issue are highlighted."
        ),
        columns=(
            Column("zone", "zone"),
            Column("table_name", "table"),
            Column("row_count", "rows", INT),
            Column("key_null_rate", "null keys", PCT),
            Column("duplicate_keys", "duplicate keys", INT),
            Column("duplicates_removed", "duplicates removed", INT),
            Column("quarantined_rows", "quarantined", INT),
            Column("quarantine_rate", "quarantine rate", PCT),
            Column("has_issues", "issues", BOOL),
            Column("last_run_at", "last run (UTC)", DATETIME),
        ),
        rows=_dq_rows,
        empty_note="no table in gold.dq_summary",
        kind="table",
    ),
)

# --- the care-team page: PHI, for coordinators ---------------------------------------------------

OUTREACH_COLUMNS = (
    Column("priority", "#", INT),
    Column("patient_key", "patient key"),
    Column("age_band", "age band"),
    Column("gender", "gender"),
    Column("clinic_name", "clinic"),
    Column("lace_score", "LACE", INT),
    Column("risk_band", "risk band"),
    Column("lace_explanation", "LACE points"),
    Column("days_since_discharge", "days since discharge", INT),
    Column("last_outreach_status", "last outreach"),
    Column("last_coordinator_id", "coordinator"),
    Column("is_reached_since_discharge", "reached since discharge", BOOL),
)

CARE_TEAM_CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        chart_id="care_team_worklist",
        title="Care team's worklist",
        source=WORKLIST_VIEW,
        description=(
            "Who each coordinator should call today, clinic by clinic, most urgent first: an emergency visit "
            "since the patient was last reached, then patients nobody has tried yet, then by LACE score; "
            "why to call (the LACE points in words), the days since the discharge and since the last "
            "outreach. No MRN on the page (direct identifiers never reach a dashboard): the coordinator "
            "finds it in v_care_team_worklist."
        ),
        columns=(
            Column("coordinator_id", "coordinator"),
            Column("clinic_name", "clinic"),
            Column("priority_rank", "#", INT),
            Column("patient_key", "patient key"),
            Column("call_reason", "reason"),
            Column("lace_score", "LACE", INT),
            Column("lace_reasons", "LACE points"),
            Column("days_since_discharge", "days since discharge", INT),
            Column("last_outreach_status", "last outreach"),
            Column("days_since_last_outreach", "days since last outreach", INT),
        ),
        empty_note="nobody is on the worklist: no patient at or over the LACE threshold is waiting for a call",
        kind="table",
    ),
    ChartSpec(
        chart_id="high_risk_outreach",
        title="High-risk outreach list",
        source="patient_risk_view",
        description=(
            "Patients at or over the LACE threshold discharged within the outreach window, those not yet "
            "reached since their discharge first, then by LACE score."
        ),
        columns=OUTREACH_COLUMNS,
        rows=_outreach_priority,
        empty_note="no patient at or over the LACE threshold was discharged within the outreach window",
        kind="table",
    ),
)

CHARTS: tuple[ChartSpec, ...] = ANALYST_CHARTS + CARE_TEAM_CHARTS
CHART_IDS: tuple[str, ...] = tuple(spec.chart_id for spec in CHARTS)
