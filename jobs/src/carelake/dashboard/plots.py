"""Drawing the charts with matplotlib's object API on the Agg canvas (no pyplot, no display, no
global backend switch). Each chart draws into an Axes it is given, so the same code makes the
PNG beside the HTML page and the chart on its PDF page.

Time runs on a real date axis (a year is its first day), with the volume behind a rate drawn
as bars on a second axis. Payers keep one colour each, in every chart, from a 20-colour palette.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import pandas as pd
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from carelake.dashboard.charts import ChartSpec
from carelake.dashboard.formatting import format_value

BLUE, ORANGE, GREEN, RED, PURPLE, GREY = "#1f5f8b", "#e07b39", "#4c9a6a", "#b5473f", "#7d5ba6", "#9aa5b1"
VOLUME = "#d5dde5"
PAYER_PALETTE = tuple(colormaps["tab20"].colors[0::2] + colormaps["tab20"].colors[1::2])  # 20 distinct
CARC_COLOURS = {"CO": BLUE, "PR": ORANGE, "OA": GREEN, "PI": PURPLE, "CR": RED, "Unknown": GREY}
PNG_TABLE_ROWS = 25
DPI = 100


def money_axis(value: float, _pos: int = 0) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"${value / limit:,.3g}{suffix}"
    return f"${value:,.0f}"


def short(text: object, width: int = 28) -> str:
    text = "Unknown" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def number(value: object) -> float:
    """A plottable float (missing values are NaN, which leaves a gap)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    return float(value)  # type: ignore[arg-type]


def payer_label(name: object, key: object) -> str:
    """A payer's name, or its key when the payer dimension does not know it (two 'Unknown's differ)."""
    return short(name if isinstance(name, str) and name != "Unknown" else key, 60)


def payer_colours(names: list[object]) -> dict[str, tuple[float, ...]]:
    """One colour per payer name, the same whichever chart shows it (assigned in name order)."""
    known = sorted({short(n, 60) for n in names})
    return {name: PAYER_PALETTE[i % len(PAYER_PALETTE)] for i, name in enumerate(known)}


def new_figure(height: float = 4.6, width: float = 8.4, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def style(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", color="#e3e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def _years(rows: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(rows["year_start"])


def _date_axis(ax: Axes) -> None:
    locator = AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _trend(
    ax: Axes,
    rows: pd.DataFrame,
    volume: str,
    volume_label: str,
    lines: tuple[tuple[str, str, str], ...],
    percent: bool = True,
    y_label: str = "",
) -> None:
    """Volume per year as bars on a right axis, measures as lines on the left: one shared date axis."""
    years = _years(rows)
    bars = ax.twinx()
    bars.bar(
        years, [number(v) for v in rows[volume]], width=300, align="edge", color=VOLUME, label=volume_label
    )
    bars.set_ylabel(volume_label, color="#5b6875")
    bars.spines[["top"]].set_visible(False)
    ax.set_zorder(bars.get_zorder() + 1)
    ax.patch.set_visible(False)
    middle = years + pd.Timedelta(days=150)  # a line's points sit on the middle of their year's bar
    for column, label, colour in lines:
        ax.plot(
            middle, [number(v) for v in rows[column]], color=colour, marker="o", markersize=3, label=label
        )
    if percent:
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(bottom=0)
    ax.set_ylabel(y_label)
    _date_axis(ax)
    handles = ax.get_legend_handles_labels()[0] + bars.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left", frameon=False, fontsize=8)
    style(ax)


# --- one function per chart ------------------------------------------------------------------


def draw_readmission_by_category(ax: Axes, rows: pd.DataFrame) -> None:
    labels = [short(c, 34) for c in rows["diagnosis_category_name"]]
    rates = [number(r) for r in rows["readmission_rate"]]
    y = list(range(len(rows)))
    bars = ax.barh(y, rates, color=BLUE)
    ax.bar_label(
        bars,
        labels=[
            f"{r:.1%} ({int(k):,} of {int(n):,})"
            for r, k, n in zip(rates, rows["readmissions"], rows["index_stays"], strict=True)
        ],
        padding=3,
        fontsize=8,
    )
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("readmission rate, HEDIS all ages (label: readmissions of index stays)")
    ax.set_xlim(0, max([*rates, 0.01]) * 1.35)
    style(ax)


def draw_readmission_trend(ax: Axes, rows: pd.DataFrame) -> None:
    _trend(ax, rows, "index_stays", "index stays", (("readmission_rate", "readmission rate", BLUE),))


def draw_outreach_compliance_trend(ax: Axes, rows: pd.DataFrame) -> None:
    _trend(ax, rows, "discharges", "discharges", (("compliance_rate", "reached within 30 days", GREEN),))


def draw_los_trend(ax: Axes, rows: pd.DataFrame) -> None:
    _trend(
        ax,
        rows,
        "stays",
        "discharges",
        (("mean_los_days", "mean", BLUE),),
        percent=False,
        y_label="length of stay (days)",
    )


def draw_denial_trend(ax: Axes, rows: pd.DataFrame) -> None:
    _trend(
        ax,
        rows,
        "decided_claims",
        "decided claims",
        (("denial_rate", "initially denied", RED), ("overturn_rate", "appeals overturned", GREEN)),
    )


def draw_billed_vs_paid(ax: Axes, rows: pd.DataFrame) -> None:
    x = list(range(len(rows)))
    width = 0.27
    series = (
        ("billed_amount", "billed", BLUE),
        ("allowed_amount", "allowed", GREY),
        ("paid_amount", "paid", GREEN),
    )
    for offset, (column, label, colour) in zip((-width, 0, width), series, strict=True):
        bars = ax.bar(
            [i + offset for i in x], [number(v) for v in rows[column]], width, label=label, color=colour
        )
    ratios = ["" if pd.isna(r) else f"{r:.0%}" for r in rows["paid_to_billed_ratio"]]
    ax.bar_label(bars, labels=ratios, padding=2, fontsize=7)
    labels = [
        short(payer_label(n, k), 16) for n, k in zip(rows["payer_name"], rows["payer_key"], strict=True)
    ]
    ax.set_xticks(x, labels, fontsize=8, rotation=30, ha="right")
    ax.yaxis.set_major_formatter(FuncFormatter(money_axis))
    ax.set_ylabel("amount")
    ax.legend(frameon=False, fontsize=8, title="paid/billed above the paid bar", title_fontsize=7)
    style(ax)


def draw_payer_mix(ax: Axes, rows: pd.DataFrame) -> None:
    names = [payer_label(n, k) for n, k in zip(rows["payer_name"], rows["payer_key"], strict=True)]
    colours = payer_colours(names)
    measures = ("billed", "paid")
    lefts = [0.0, 0.0]
    for name, billed, paid in zip(names, rows["billed_share"], rows["paid_share"], strict=True):
        shares = [0.0 if pd.isna(billed) else float(billed), 0.0 if pd.isna(paid) else float(paid)]
        bars = ax.barh(measures, shares, left=lefts, color=colours[name], label=short(name, 22))
        ax.bar_label(
            bars,
            labels=[f"{s:.0%}" if s >= 0.05 else "" for s in shares],
            label_type="center",
            color="white",
            fontsize=8,
        )
        lefts = [left + share for left, share in zip(lefts, shares, strict=True)]
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=4, frameon=False, fontsize=8)
    ax.set_xlabel("share by payer")
    style(ax)


def draw_denials_by_payer(ax: Axes, rows: pd.DataFrame) -> None:
    rows = rows.assign(
        _payer=[payer_label(n, k) for n, k in zip(rows["payer_name"], rows["payer_key"], strict=True)]
    )
    payers = list(dict.fromkeys(rows["_payer"]))
    y = {name: i for i, name in enumerate(payers)}
    lefts = dict.fromkeys(payers, 0.0)
    for group in dict.fromkeys(rows["carc_group"]):
        part = rows[rows["carc_group"] == group]
        widths = [number(v) for v in part["denial_rate"]]
        ax.barh(
            [y[n] for n in part["_payer"]],
            widths,
            left=[lefts[n] for n in part["_payer"]],
            color=CARC_COLOURS.get(group, GREY),
            label=f"{group}: {short(part['carc_group_name'].iloc[0], 26)}",
        )
        for name, width in zip(part["_payer"], widths, strict=True):
            lefts[name] += width
    for name, total in lefts.items():
        ax.text(total, y[name], f" {total:.1%}", va="center", fontsize=8)
    ax.set_yticks(list(y.values()), [short(n, 22) for n in payers], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, max([*lefts.values(), 0.01]) * 1.25)
    ax.set_xlabel("decided claims denied at the first decision, by CARC group")
    ax.legend(loc="lower right", frameon=True, fontsize=7)
    style(ax)


def draw_top_cost_diagnoses(ax: Axes, rows: pd.DataFrame) -> None:
    labels = [
        f"{key} {short(display, 30) if isinstance(display, str) else ''}".strip()
        for key, display in zip(rows["diagnosis_key"], rows["icd10cm_display"], strict=True)
    ]
    billed = [number(v) for v in rows["billed_amount"]]
    y = list(range(len(rows)))
    bars = ax.barh(y, billed, color=BLUE)
    ax.bar_label(
        bars,
        labels=["" if pd.isna(s) else f"{s:.1%}" for s in rows["share_of_total_billed"]],
        padding=3,
        fontsize=8,
    )
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(money_axis))
    ax.set_xlabel("billed amount (label: share of all billing)")
    ax.set_xlim(0, max([*billed, 1.0]) * 1.15)
    style(ax)


def draw_cohort_outcomes(ax: Axes, rows: pd.DataFrame) -> None:
    x = list(range(len(rows)))
    width = 0.38
    for offset, (column, label, colour) in zip(
        (-width / 2, width / 2),
        (
            ("readmission_rate_30d", "readmitted within 30 days", BLUE),
            ("ed_revisit_rate_30d", "ED visit within 30 days", ORANGE),
        ),
        strict=True,
    ):
        bars = ax.bar(
            [i + offset for i in x], [number(v) for v in rows[column]], width, label=label, color=colour
        )
        ax.bar_label(bars, labels=[f"{number(v):.0%}" for v in rows[column]], padding=2, fontsize=8)
    names = [
        f"{name}\n(mean LOS {number(los):.1f} d)" if not pd.isna(los) else str(name)
        for name, los in zip(rows["cohort_name"], rows["mean_los_days"], strict=True)
    ]
    ax.set_xticks(x, names, fontsize=8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("share of index stays")
    ax.legend(frameon=False, fontsize=8)
    style(ax)


def draw_procedure_patterns(ax: Axes, rows: pd.DataFrame) -> None:
    y = list(range(len(rows)))
    cost = [number(v) for v in rows["total_cost"]]
    bars = ax.barh(y, cost, color=BLUE)
    ax.bar_label(
        bars,
        labels=[
            (f"{int(n):,} procedures · " if not pd.isna(n) else "<11 procedures · ")
            + ("" if pd.isna(s) else f"{s:.0%} of cost")
            for n, s in zip(rows["procedure_count"], rows["share_of_cost"], strict=True)
        ],
        padding=3,
        fontsize=8,
    )
    ax.set_yticks(y, [short(n, 30) for n in rows["procedure_category_name"]], fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(money_axis))
    ax.set_xlim(0, max([*cost, 1.0]) * 1.45)
    ax.set_xlabel("procedure cost")
    style(ax)


def draw_provider_ranking(ax: Axes, rows: pd.DataFrame) -> None:
    y = list(range(len(rows)))
    totals = [number(v) for v in rows["total_treatments"]]
    bars = ax.barh(y, totals, color=BLUE)
    ax.bar_label(
        bars,
        labels=["" if pd.isna(s) else f"success {s:.0%}" for s in rows["success_rate"]],
        padding=3,
        fontsize=8,
    )
    names = [
        f"{int(rank)}. {short(name, 26)}"
        for rank, name in zip(rows["rank_by_treatments"], rows["provider_name"], strict=True)
    ]
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([*totals, 1.0]) * 1.3)
    ax.set_xlabel("treatments")
    style(ax)


DRAW: dict[str, Callable[[Axes, pd.DataFrame], None]] = {
    "readmission_by_category": draw_readmission_by_category,
    "readmission_trend": draw_readmission_trend,
    "outreach_compliance_trend": draw_outreach_compliance_trend,
    "los_trend": draw_los_trend,
    "billed_vs_paid_by_payer": draw_billed_vs_paid,
    "payer_mix": draw_payer_mix,
    "denials_by_payer": draw_denials_by_payer,
    "denial_trend": draw_denial_trend,
    "top_cost_diagnoses": draw_top_cost_diagnoses,
    "cohort_outcomes": draw_cohort_outcomes,
    "procedure_patterns": draw_procedure_patterns,
    "provider_ranking": draw_provider_ranking,
}


# --- tables (PNG and PDF) ---------------------------------------------------------------------


def cell_texts(spec: ChartSpec, rows: pd.DataFrame, width: int = 60) -> list[list[str]]:
    """Every row as the tables show it (``<11`` for a suppressed count), cut at ``width`` characters."""
    suppressed = rows["is_suppressed"] if "is_suppressed" in rows else pd.Series(False, index=rows.index)
    return [
        [short(format_value(row[c.name], c.fmt, bool(flag)), width) for c in spec.columns]
        for (_, row), flag in zip(rows.iterrows(), suppressed.fillna(False), strict=True)
    ]


def draw_table(ax: Axes, spec: ChartSpec, cells: list[list[str]], fontsize: float = 7) -> None:
    """A table as text at computed positions in ``ax`` (matplotlib's ``Axes.table`` with automatic
    column widths takes seconds per table)."""
    header = [c.label for c in spec.columns]
    widths = [
        max(len(text) for text in [label, *(r[i] for r in cells)]) + 2 for i, label in enumerate(header)
    ]
    total_width = sum(widths)
    lefts = [sum(widths[:i]) / total_width for i in range(len(widths))]
    numeric = [c.fmt in ("int", "money", "pct", "days") for c in spec.columns]
    ax.axis("off")
    lines = len(cells) + 1
    ax.set_xlim(0, 1)
    ax.set_ylim(max(lines, 1), 0)
    ax.axhspan(0, 1, color=BLUE)
    for line in range(2, lines, 2):
        ax.axhspan(line, line + 1, color="#f3f6f9")
    for line, texts in enumerate([header, *cells]):
        for i, text in enumerate(texts):
            right = numeric[i] and line > 0
            x = lefts[i] + (widths[i] - 1) / total_width if right else lefts[i] + 0.5 / total_width
            ax.text(
                x,
                line + 0.5,
                text,
                ha="right" if right else "left",
                va="center",
                fontsize=fontsize,
                color="white" if line == 0 else "#1d2733",
                weight="bold" if line == 0 else "normal",
            )


def _table_height(rows: int) -> float:
    return 0.7 + 0.2 * (min(rows, PNG_TABLE_ROWS) + 1)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _chart_height(spec: ChartSpec, rows: int) -> float:
    """Bar charts with one bar per row grow with the rows; the others are 4.6 inches high."""
    if spec.chart_id in ("readmission_by_category", "top_cost_diagnoses", "provider_ranking", "procedure_patterns",
                         "denials_by_payer"):  # fmt: skip
        return max(3.6, 1.4 + 0.34 * rows)
    return 4.6


def chart_png(spec: ChartSpec, rows: pd.DataFrame, plotted: pd.DataFrame, total_rows: int) -> bytes:
    """The chart (or the first rows of a table) as PNG bytes."""
    if spec.kind == "table":
        fig = new_figure(height=_table_height(len(rows)), width=12.0, layout=None)
        height = fig.get_figheight()
        ax = fig.add_axes((0.01, 0.1 / height, 0.98, (height - 0.6) / height))
        draw_table(ax, spec, cell_texts(spec, rows.head(PNG_TABLE_ROWS)))
        fig.text(0.01, 1 - 0.1 / height, spec.title, fontsize=11, ha="left", va="top")
        if total_rows > PNG_TABLE_ROWS:
            fig.text(
                0.99,
                1 - 0.1 / height,
                f"first {PNG_TABLE_ROWS} of {total_rows} rows",
                ha="right",
                va="top",
                fontsize=8,
            )
    else:
        fig = new_figure(height=_chart_height(spec, len(plotted)))
        ax = fig.add_subplot()
        DRAW[spec.chart_id](ax, plotted)
        ax.set_title(spec.title, loc="left", fontsize=11, pad=10)
    return _png(fig)


def placeholder_png(spec: ChartSpec, message: str) -> bytes:
    """An explicit 'no data' image for a chart with nothing to draw (never a blank one)."""
    fig = new_figure(height=2.4, layout=None)
    fig.suptitle(spec.title, fontsize=11, x=0.01, ha="left")
    ax = fig.add_subplot()
    ax.axis("off")
    ax.text(0.5, 0.55, "NO DATA", ha="center", va="center", fontsize=20, color=RED, weight="bold")
    ax.text(0.5, 0.2, short(message, 110), ha="center", va="center", fontsize=9, color="#444444")
    return _png(fig)


__all__ = ["DRAW", "cell_texts", "chart_png", "draw_table", "placeholder_png"]
