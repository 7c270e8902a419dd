"""Drawing the charts with matplotlib's object API on the Agg canvas (no pyplot, no display,
no global backend switch), one PNG per chart."""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from carelake.dashboard.charts import ChartSpec
from carelake.dashboard.formatting import format_value

PALETTE = ("#1f5f8b", "#e07b39", "#4c9a6a", "#b5473f", "#7d5ba6", "#8c6d46", "#c25d9b", "#6b7b8c")
BLUE, ORANGE, GREEN, GREY = PALETTE[0], PALETTE[1], PALETTE[2], "#9aa5b1"
PNG_TABLE_ROWS = 25
DPI = 100


def _money_axis(value: float, _pos: int) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"${value / limit:,.3g}{suffix}"
    return f"${value:,.0f}"


def _short(text: object, width: int = 28) -> str:
    text = "Unknown" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _payer(name: object, key: object) -> str:
    """The payer's name, or its key when the payer dimension does not know it."""
    if isinstance(name, str) and name != "Unknown":
        return _short(name, 18)
    return _short(key, 18)


def _number(value: object) -> float:
    """A plottable float: missing values are 0 (the data table shows them as missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return 0.0
    return float(value)  # type: ignore[arg-type]


def _new_figure(height: float = 4.6, width: float = 8.4, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(width, height), dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def _style(ax) -> None:  # ax: matplotlib Axes
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", color="#e3e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


# --- one function per chart ------------------------------------------------------------------


def draw_readmission_by_category(fig: Figure, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    labels = [
        f"{_short(c, 18)} (n={int(n):,})"
        for c, n in zip(rows["diagnosis_category"], rows["index_stays"], strict=True)
    ]
    rates = [_number(r) for r in rows["readmission_rate"]]
    y = list(range(len(rows)))
    bars = ax.barh(y, rates, color=BLUE)
    ax.bar_label(
        bars,
        labels=[f"{r:.1%} ({int(k):,})" for r, k in zip(rates, rows["readmissions"], strict=True)],
        padding=3,
        fontsize=8,
    )
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    stays, readmissions = rows["index_stays"].sum(), rows["readmissions"].sum()
    if stays:
        overall = readmissions / stays
        ax.axvline(overall, color=ORANGE, linestyle="--", linewidth=1.2, label=f"overall {overall:.1%}")
        ax.legend(loc="lower right", frameon=True, fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("readmission rate, HEDIS all ages (label: rate and readmissions)")
    ax.set_ylabel("diagnosis category (index stays)")
    ax.set_xlim(0, max([*rates, 0.01]) * 1.25)
    _style(ax)


def draw_billed_vs_paid(fig: Figure, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    x = range(len(rows))
    width = 0.4
    billed = [_number(v) for v in rows["billed_amount"]]
    paid = [_number(v) for v in rows["paid_amount"]]
    ax.bar([i - width / 2 for i in x], billed, width, label="billed", color=BLUE)
    bars = ax.bar([i + width / 2 for i in x], paid, width, label="paid", color=GREEN)
    ratios = ["" if pd.isna(r) else f"{r:.0%}" for r in rows["paid_to_billed_ratio"]]
    ax.bar_label(bars, labels=ratios, padding=2, fontsize=8)
    many = len(rows) > 6
    ax.set_xticks(
        list(x),
        [_payer(n, k) for n, k in zip(rows["payer_name"], rows["payer_key"], strict=True)],
        fontsize=8,
        rotation=30 if many else 0,
        ha="right" if many else "center",
    )
    ax.yaxis.set_major_formatter(FuncFormatter(_money_axis))
    ax.set_ylabel("amount")
    ax.legend(frameon=False, fontsize=8, title="paid/billed above the paid bar", title_fontsize=7)
    _style(ax)


def draw_top_cost_diagnoses(fig: Figure, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    labels = [
        f"{key} {_short(display, 30) if isinstance(display, str) else ''}".strip()
        for key, display in zip(rows["diagnosis_key"], rows["icd10cm_display"], strict=True)
    ]
    billed = [_number(v) for v in rows["billed_amount"]]
    y = list(range(len(rows)))
    bars = ax.barh(y, billed, color=BLUE)
    shares = ["" if pd.isna(s) else f"{s:.1%}" for s in rows["share_of_total_billed"]]
    ax.bar_label(bars, labels=shares, padding=3, fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(FuncFormatter(_money_axis))
    ax.set_xlabel("billed amount (label: share of all billing)")
    ax.set_xlim(0, max([*billed, 1.0]) * 1.15)
    _style(ax)


def draw_payer_mix(fig: Figure, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    measures = (("claims", "claims_share"), ("billed", "billed_share"))
    for i, (name, key, claims_share, billed_share) in enumerate(
        zip(rows["payer_name"], rows["payer_key"], rows["claims_share"], rows["billed_share"], strict=True)
    ):
        shares = [_number(claims_share), _number(billed_share)]
        lefts = [
            float(rows["claims_share"].iloc[:i].fillna(0).sum()),
            float(rows["billed_share"].iloc[:i].fillna(0).sum()),
        ]
        bars = ax.barh(
            [m for m, _ in measures],
            shares,
            left=lefts,
            color=PALETTE[i % len(PALETTE)],
            label=_payer(name, key),
        )
        ax.bar_label(
            bars,
            labels=[f"{s:.0%}" if s >= 0.05 else "" for s in shares],
            label_type="center",
            color="white",
            fontsize=8,
        )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=min(len(rows), 5), frameon=False, fontsize=8
    )
    ax.set_xlabel("share by payer")
    _style(ax)


def draw_los_trend(fig: Figure, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    months = list(rows["discharge_month"])
    x = list(range(len(months)))
    ax.plot(x, [_number(v) for v in rows["mean_los_days"]], marker="o", color=BLUE, label="mean")
    ax.plot(x, [_number(v) for v in rows["median_los_days"]], marker="s", color=ORANGE, label="median")
    step = max(1, math.ceil(len(months) / 18))
    ax.set_xticks(x[::step], months[::step], rotation=45, ha="right", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("length of stay (days)")
    ax.set_xlabel("discharge month")
    ax.legend(frameon=False, fontsize=8)
    _style(ax)


def draw_provider_ranking(fig: Figure, rows: pd.DataFrame) -> None:
    ax = fig.subplots()
    y = list(range(len(rows)))
    totals = [_number(v) for v in rows["total_treatments"]]
    bars = ax.barh(y, totals, color=BLUE)
    labels = ["" if pd.isna(s) else f"success {s:.0%}" for s in rows["success_rate"]]
    ax.bar_label(bars, labels=labels, padding=3, fontsize=8)
    names = [
        f"{int(rank)}. {_short(name if isinstance(name, str) else key, 26)}"
        for rank, name, key in zip(
            rows["rank_by_treatments"], rows["provider_name"], rows["provider_key"], strict=True
        )
    ]
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max([*totals, 1.0]) * 1.25)
    ax.set_xlabel("treatments")
    _style(ax)


def draw_table(spec: ChartSpec, fig: Figure, rows: pd.DataFrame, total_rows: int) -> None:
    """A table chart as an image: the first PNG_TABLE_ROWS rows, formatted as on the page.

    Laid out by hand (text at computed positions): matplotlib's ``Axes.table`` with automatic
    column widths takes seconds per table."""
    shown = rows.head(PNG_TABLE_ROWS)
    header = [c.label for c in spec.columns]
    cells = [
        [_short(format_value(row[c.name], c.fmt), 70) for c in spec.columns] for _, row in shown.iterrows()
    ]
    widths = [
        max(len(text) for text in [label, *(r[i] for r in cells)]) + 2 for i, label in enumerate(header)
    ]
    total_width = sum(widths)
    lefts = [sum(widths[:i]) / total_width for i in range(len(widths))]
    numeric = [c.fmt in ("int", "money", "pct", "days") for c in spec.columns]
    height = fig.get_figheight()
    ax = fig.add_axes((0.01, 0.1 / height, 0.98, (height - 0.6) / height))
    ax.axis("off")
    lines = len(cells) + 1
    ax.set_xlim(0, 1)
    ax.set_ylim(lines, 0)
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
                fontsize=7,
                color="white" if line == 0 else "#1d2733",
                weight="bold" if line == 0 else "normal",
            )
    if total_rows > len(shown):
        fig.text(
            0.99,
            1 - 0.1 / height,
            f"first {len(shown)} of {total_rows} rows",
            ha="right",
            va="top",
            fontsize=8,
        )


def _table_height(rows: int) -> float:
    return 0.7 + 0.2 * (min(rows, PNG_TABLE_ROWS) + 1)


DRAW: dict[str, Callable[[Figure, pd.DataFrame], None]] = {
    "readmission_by_category": draw_readmission_by_category,
    "billed_vs_paid_by_payer": draw_billed_vs_paid,
    "top_cost_diagnoses": draw_top_cost_diagnoses,
    "payer_mix": draw_payer_mix,
    "los_trend": draw_los_trend,
    "provider_ranking": draw_provider_ranking,
}


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _chart_height(spec: ChartSpec, rows: int) -> float:
    """Bar charts with one bar per row grow with the rows; the others are 4.6 inches high."""
    if spec.chart_id in ("readmission_by_category", "top_cost_diagnoses", "provider_ranking"):
        return max(3.6, 1.4 + 0.34 * rows)
    return 4.6


def chart_png(spec: ChartSpec, rows: pd.DataFrame, total_rows: int) -> bytes:
    """The chart as PNG bytes."""
    if spec.kind == "table":
        fig = _new_figure(height=_table_height(len(rows)), width=12.0, layout=None)
        draw_table(spec, fig, rows, total_rows)
        fig.text(0.01, 1 - 0.1 / fig.get_figheight(), spec.title, fontsize=11, ha="left", va="top")
    else:
        fig = _new_figure(height=_chart_height(spec, len(rows)))
        DRAW[spec.chart_id](fig, rows)
        fig.axes[0].set_title(spec.title, loc="left", fontsize=11, pad=10)
    return _png(fig)


def placeholder_png(spec: ChartSpec, message: str) -> bytes:
    """An explicit 'no data' image for a chart without rows (never a blank one)."""
    fig = _new_figure(height=2.4, layout=None)
    fig.suptitle(spec.title, fontsize=11, x=0.01, ha="left")
    ax = fig.subplots()
    ax.axis("off")
    ax.text(0.5, 0.55, "NO DATA", ha="center", va="center", fontsize=20, color="#b5473f", weight="bold")
    ax.text(0.5, 0.2, _short(message, 110), ha="center", va="center", fontsize=9, color="#444444")
    return _png(fig)


__all__ = ["DRAW", "chart_png", "placeholder_png"]
