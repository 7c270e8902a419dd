"""The dashboard's charts: which view feeds each one and which rows of it are plotted.

Every chart reads exactly one view (``ChartSpec.source``) and turns its result into the rows it
plots (``ChartSpec.rows``): a filter, a sort, a few derived shares, never a re-computation of
the measure. The plotted rows are what the HTML page shows in the chart's data table and
machine-readable JSON block, so a test can compare them with the view.

De-identification: the outreach list reads ``patient_risk_view`` (no MRN) and keeps only the
de-identified columns listed in ``OUTREACH_COLUMNS``; dates tied to a patient are shown as a
number of days (days since discharge), not as dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from carelake.config import ZONES

# How a column is shown in the HTML table (the JSON block always keeps the raw value).
TEXT, INT, MONEY, PCT, DAYS, BOOL, DATETIME = "text", "int", "money", "pct", "days", "bool", "datetime"

TABLE_ROW_LIMIT = 50  # outreach list rows on the page (the full list stays in the view)


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    fmt: str = TEXT


@dataclass(frozen=True)
class ChartSpec:
    """One chart (``kind='chart'``, a plot) or table (``kind='table'``) of the dashboard."""

    chart_id: str
    title: str
    source: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[pd.DataFrame, int], pd.DataFrame]
    empty_note: str
    kind: str = "chart"
    # No rows to plot from a view that has rows can be the right answer (nobody to call today),
    # not a sign of a broken pipeline.
    may_be_empty: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class ChartResult:
    """A chart as written: ``status`` 'ok' (rows to plot), 'empty' (the view returned no rows, or
    none the chart plots) or 'error' (the view is unavailable; ``note`` says why)."""

    spec: ChartSpec
    status: str
    rows: pd.DataFrame
    total_rows: int
    note: str | None
    png: bytes
    png_path: Path
    view_rows: int = 0  # rows the source view returned (the chart may plot fewer)

    @property
    def chart_id(self) -> str:
        return self.spec.chart_id

    @property
    def has_data(self) -> bool:
        return self.status == "ok" and len(self.rows) > 0


def _sorted(frame: pd.DataFrame, by: list[str], ascending: list[bool]) -> pd.DataFrame:
    return frame.sort_values(by, ascending=ascending, na_position="last", kind="mergesort").reset_index(
        drop=True
    )


def _share(values: pd.Series) -> pd.Series:
    """Each value's share of the column total (missing values count 0; null when the total is 0)."""
    filled = values.astype("float64").fillna(0.0)
    total = filled.sum()
    if total == 0:
        return pd.Series([None] * len(values), index=values.index, dtype="float64")
    return filled / total


# --- the plotted rows, per chart ------------------------------------------------------------


def readmission_by_category_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    rows = view[(view["variant"] == "hedis_all_ages") & (view["dimension"] == "diagnosis_category")]
    rows = rows.rename(columns={"dimension_value": "diagnosis_category"})
    rows = _sorted(rows, ["readmission_rate", "index_stays", "diagnosis_category"], [False, False, True])
    return rows[["diagnosis_category", "index_stays", "readmissions", "readmission_rate"]]


def billed_vs_paid_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    rows = _sorted(view, ["billed_amount", "payer_key"], [False, True])
    return rows[
        [
            "payer_key",
            "payer_name",
            "claims",
            "billed_amount",
            "allowed_amount",
            "paid_amount",
            "paid_to_billed_ratio",
            "denial_rate",
        ]
    ]


def payer_mix_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    rows = _sorted(view, ["claims", "payer_key"], [False, True])
    rows = rows.assign(claims_share=_share(rows["claims"]), billed_share=_share(rows["billed_amount"]))
    return rows[["payer_key", "payer_name", "claims", "claims_share", "billed_amount", "billed_share"]]


def top_cost_diagnoses_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    rows = _sorted(view, ["billed_rank"], [True])
    return rows[
        [
            "billed_rank",
            "diagnosis_key",
            "icd10cm_display",
            "diagnosis_category",
            "claims",
            "billed_amount",
            "share_of_total_billed",
        ]
    ]


def los_trend_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    rows = _sorted(view[view["diagnosis_category"] == "All"], ["discharge_month"], [True])
    return rows[["discharge_month", "stays", "mean_los_days", "median_los_days"]]


def provider_ranking_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    ranked = view[view["rank_by_treatments"].notna()]
    rows = _sorted(ranked, ["rank_by_treatments", "provider_key"], [True, True]).head(10)
    return rows[
        [
            "rank_by_treatments",
            "provider_key",
            "provider_name",
            "specialty",
            "total_treatments",
            "success_rate",
            "rank_by_success_rate",
        ]
    ]


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


def _utc_naive(values: pd.Series) -> pd.Series:
    """Dates and timestamps as naive UTC datetimes, so that a date column and a timestamp
    column compare whether the engine typed the timestamp with time zone or without."""
    return pd.to_datetime(values, utc=True).dt.tz_localize(None)


def high_risk_outreach_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    """Patients on the outreach list, in the coordinators' order (v_high_risk_outreach's): not yet
    reached since discharge first, then LACE score descending, latest discharge, patient key."""
    listed = view[view["is_on_outreach_list"].fillna(False).astype(bool)].copy()
    discharge = _utc_naive(listed["discharge_date"])
    outreach_day = _utc_naive(listed["last_outreach_at"]).dt.normalize()
    listed["is_reached_since_discharge"] = (
        listed["last_outreach_status"].isin(["reached", "completed"]) & (outreach_day > discharge)
    ).fillna(False)
    listed["days_since_discharge"] = (_utc_naive(listed["as_of"]) - discharge).dt.days.astype("Int64")
    listed["_discharge"] = discharge
    listed = _sorted(
        listed,
        ["is_reached_since_discharge", "lace_score", "_discharge", "patient_key"],
        [True, False, False, True],
    ).head(limit)
    listed["priority"] = range(1, len(listed) + 1)
    return listed[[c.name for c in OUTREACH_COLUMNS]]


def dq_summary_rows(view: pd.DataFrame, limit: int) -> pd.DataFrame:
    order = {zone: i for i, zone in enumerate(ZONES)}
    rows = view.assign(_zone_order=view["zone"].map(order).fillna(len(order)))
    rows = _sorted(rows, ["_zone_order", "zone", "table_name"], [True, True, True])
    return rows[
        [
            "zone",
            "table_name",
            "row_count",
            "key_null_rate",
            "duplicate_keys",
            "duplicates_removed",
            "quarantined_rows",
            "quarantine_rate",
            "has_issues",
            "last_run_at",
        ]
    ]


# --- the dashboard, in page order -----------------------------------------------------------

CHARTS: tuple[ChartSpec, ...] = (
    ChartSpec(
        chart_id="readmission_by_category",
        title="30-day readmission rate by diagnosis category",
        source="v_readmission_rates",
        description=(
            "Observed 30-day all-cause readmission rate (HEDIS Plan All-Cause Readmissions rules, "
            "all ages) per diagnosis category of the index stay, with the number of index stays; "
            "the dashed line is the overall rate."
        ),
        columns=(
            Column("diagnosis_category", "diagnosis category"),
            Column("index_stays", "index stays", INT),
            Column("readmissions", "readmissions", INT),
            Column("readmission_rate", "readmission rate", PCT),
        ),
        rows=readmission_by_category_rows,
        empty_note="no HEDIS index stays by diagnosis category",
    ),
    ChartSpec(
        chart_id="billed_vs_paid_by_payer",
        title="Billed vs paid by payer",
        source="v_claims_by_payer",
        description="Billed and paid amounts of every claim per payer, with the paid/billed ratio and the denial rate.",
        columns=(
            Column("payer_key", "payer key"),
            Column("payer_name", "payer"),
            Column("claims", "claims", INT),
            Column("billed_amount", "billed", MONEY),
            Column("allowed_amount", "allowed", MONEY),
            Column("paid_amount", "paid", MONEY),
            Column("paid_to_billed_ratio", "paid / billed", PCT),
            Column("denial_rate", "denial rate", PCT),
        ),
        rows=billed_vs_paid_rows,
        empty_note="no claims",
    ),
    ChartSpec(
        chart_id="top_cost_diagnoses",
        title="Top 10 diagnoses by billed amount",
        source="v_top_cost_diag",
        description="The ten diagnoses with the highest billed amount and their share of all billing.",
        columns=(
            Column("billed_rank", "rank", INT),
            Column("diagnosis_key", "diagnosis"),
            Column("icd10cm_display", "description"),
            Column("diagnosis_category", "category"),
            Column("claims", "claims", INT),
            Column("billed_amount", "billed", MONEY),
            Column("share_of_total_billed", "share of billed", PCT),
        ),
        rows=top_cost_diagnoses_rows,
        empty_note="no claims with a diagnosis",
    ),
    ChartSpec(
        chart_id="payer_mix",
        title="Payer mix",
        source="v_claims_by_payer",
        description="Each payer's share of all claims and of the billed amount.",
        columns=(
            Column("payer_key", "payer key"),
            Column("payer_name", "payer"),
            Column("claims", "claims", INT),
            Column("claims_share", "share of claims", PCT),
            Column("billed_amount", "billed", MONEY),
            Column("billed_share", "share of billed", PCT),
        ),
        rows=payer_mix_rows,
        empty_note="no claims",
    ),
    ChartSpec(
        chart_id="los_trend",
        title="Length of stay by discharge month",
        source="v_length_of_stay",
        description=(
            "HCUP length of stay (discharge date minus admission date; same-day stays are 0) of acute "
            "inpatient discharges, mean and median per discharge month, all diagnosis categories."
        ),
        columns=(
            Column("discharge_month", "discharge month"),
            Column("stays", "discharges", INT),
            Column("mean_los_days", "mean LOS", DAYS),
            Column("median_los_days", "median LOS", DAYS),
        ),
        rows=los_trend_rows,
        empty_note="no acute inpatient discharges (category 'All')",
    ),
    ChartSpec(
        chart_id="provider_ranking",
        title="Provider ranking by treatments",
        source="v_provider_ranking",
        description=(
            "The ten providers with the most treatments, with their treatment success rate and its "
            "rank (ranked from 5 completed treatments)."
        ),
        columns=(
            Column("rank_by_treatments", "rank", INT),
            Column("provider_key", "provider key"),
            Column("provider_name", "provider"),
            Column("specialty", "specialty"),
            Column("total_treatments", "treatments", INT),
            Column("success_rate", "success rate", PCT),
            Column("rank_by_success_rate", "success rank", INT),
        ),
        rows=provider_ranking_rows,
        empty_note="no provider ranked by treatments",
    ),
    ChartSpec(
        chart_id="high_risk_outreach",
        title="High-risk outreach list",
        source="patient_risk_view",
        description=(
            "Patients at or over the LACE threshold, those not yet reached since their discharge first, "
            "then by LACE score. De-identified: no MRN, no names, no dates (the care coordinators' "
            "list with MRNs is the view v_high_risk_outreach)."
        ),
        columns=OUTREACH_COLUMNS,
        rows=high_risk_outreach_rows,
        empty_note="no patient on the high-risk outreach list",
        kind="table",
        may_be_empty=True,  # every high-risk patient reached since their discharge
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
        rows=dq_summary_rows,
        empty_note="no table in gold.dq_summary",
        kind="table",
    ),
)

CHART_IDS: tuple[str, ...] = tuple(spec.chart_id for spec in CHARTS)
