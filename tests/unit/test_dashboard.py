"""The static dashboard (carelake.dashboard) on seeded random gold lakes (tests/sql/reference_measures.py).

"Every chart has data" is checked on the written page itself, parsed here with the standard
library (not with the package's own reader): each expected chart is a
``<figure data-chart=... data-status="ok" data-rows="n">`` with n > 0, n rows in its HTML
table and n rows in its JSON block; the numbers in the JSON block equal the view's result,
queried here with SQL of the test's own; the PNG beside the page is a real, non-blank image.
A lake whose views return no rows gives figures marked empty (data-rows 0, a "No data" note),
so a check of the demo lake's page fails instead of passing on an empty dashboard.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import statistics
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from carelake.cli import app
from carelake.dashboard import CHART_IDS, build_dashboard, kpi_lines, read_dashboard
from carelake.query import LocalQueryEngine
from tests.sql import reference_measures as ref
from tests.support.lake import version

SEED = 2024
EXPECTED_CHARTS = {
    "readmission_by_category": "v_readmission_rates",
    "billed_vs_paid_by_payer": "v_claims_by_payer",
    "top_cost_diagnoses": "v_top_cost_diag",
    "payer_mix": "v_claims_by_payer",
    "los_trend": "v_length_of_stay",
    "provider_ranking": "v_provider_ranking",
    "high_risk_outreach": "patient_risk_view",
    "dq_summary": "v_dq_summary",
}
# columns that would identify a patient (HIPAA Safe Harbor): none may reach the page
IDENTIFYING = re.compile(
    r"(^|_)(mrn|ssn|first_name|last_name|given_name|family_name|full_name|patient_name|name_given|"
    r"name_family|address|street|phone|email|birth_date|dob)($|_)",
    re.IGNORECASE,
)
OUTREACH_ALLOWED = {
    "priority",
    "patient_key",
    "age_band",
    "gender",
    "clinic_name",
    "lace_score",
    "risk_band",
    "lace_explanation",
    "days_since_discharge",
    "last_outreach_status",
    "last_coordinator_id",
    "is_reached_since_discharge",
}


# --- reading the page, independently of carelake.dashboard.read_dashboard ---------------------


class Page(HTMLParser):
    """Figures with data-chart, their attributes, table rows, JSON block and embedded images."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: dict[str, dict[str, Any]] = {}
        self.external: list[str] = []
        self._current: dict[str, Any] | None = None
        self._json: list[str] | None = None
        self._tbody = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        for name in ("src", "href"):
            value = attr.get(name, "")
            if value and not value.startswith(("data:", "#")):
                self.external.append(f"<{tag} {name}={value}>")
        if tag == "link":
            self.external.append("<link>")
        if tag == "figure" and "data-chart" in attr:
            self._current = {"attrs": attr, "tbody_rows": 0, "json": None, "images": [], "text": []}
            self.figures[attr["data-chart"]] = self._current
        elif self._current is None:
            return
        elif tag == "script" and attr.get("type") == "application/json":
            self._json = []
        elif tag == "tbody":
            self._tbody = True
        elif tag == "tr" and self._tbody:
            self._current["tbody_rows"] += 1
        elif tag == "img":
            self._current["images"].append(attr.get("src", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._json is not None and self._current is not None:
            self._current["json"] = json.loads("".join(self._json))
            self._json = None
        elif tag == "tbody":
            self._tbody = False
        elif tag == "figure":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._json is not None:
            self._json.append(data)
        elif self._current is not None:
            self._current["text"].append(data)


def chart_frame(figure: dict[str, Any]) -> pd.DataFrame:
    block = figure["json"]
    return pd.DataFrame(block["data"], columns=block["columns"])


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat(sep=" ")
    return value


def assert_rows_equal(actual: pd.DataFrame, expected: pd.DataFrame, key: str | list[str]) -> None:
    """Same keys and, column by column, the same values (floats to 1e-9 relative)."""
    keys = [key] if isinstance(key, str) else key
    got = {tuple(_plain(r[k]) for k in keys): r for r in actual.to_dict("records")}
    want = {tuple(_plain(r[k]) for k in keys): r for r in expected.to_dict("records")}
    assert set(got) == set(want)
    for k, row in want.items():
        for column, value in row.items():
            value, shown = _plain(value), _plain(got[k][column])
            if isinstance(value, float) or isinstance(shown, float):
                assert shown is not None and value is not None, (k, column, shown, value)
                assert shown == pytest.approx(value, rel=1e-9), (k, column)
            else:
                assert shown == value, (k, column, shown, value)


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def random_lake(tmp_path_factory: pytest.TempPathFactory):
    rows = ref.random_gold_lake(SEED)
    root = ref.write_lake(tmp_path_factory.mktemp("dashboard_lake"), rows)
    out = tmp_path_factory.mktemp("dashboard_out")
    with LocalQueryEngine(root, ref.VIEWS_DIR) as engine:
        assert engine.failed_views == {}
        written = build_dashboard(engine, out)
        html = written.index_path.read_text(encoding="utf-8")
        yield {
            "engine": engine,
            "rows": rows,
            "written": written,
            "out": out,
            "html": html,
            "page": Page(html),
        }


@pytest.fixture(scope="module")
def sparse_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every contract table empty except one provider ranking, and gold.dq_summary unreadable.

    (A declared table without a commit is an empty table now, as Athena shows it, so the
    unavailable view comes from a damaged data file of dq_summary's committed version.)"""
    providers = [f"prov-{i}" for i in range(3)]
    root = ref.write_lake(
        tmp_path_factory.mktemp("sparse_lake"),
        {
            "gold.dim_provider": [{"provider_key": p, "provider_name": f"Dr {p}"} for p in providers],
            "gold.provider_success_rank": [
                {
                    "provider_key": p,
                    "successes": 5,
                    "completed": 10,
                    "success_rate": 0.5,
                    "rank_by_success_rate": 1,
                }
                for p in providers
            ],
            "gold.dq_summary": [{"zone": "gold", "table_name": "dim_provider", "row_count": 3}],
        },
    )
    [folder] = version(root, "gold.dq_summary").uris
    parts = sorted(Path(folder).glob("*.parquet"))
    assert parts
    for part in parts:
        part.write_bytes(b"not a parquet file")
    return root


# --- the demo acceptance: every chart present, with data -------------------------------------


def test_every_chart_is_on_the_page_with_data(random_lake: dict[str, Any]) -> None:
    page: Page = random_lake["page"]
    assert set(CHART_IDS) == set(EXPECTED_CHARTS)
    assert set(page.figures) == set(EXPECTED_CHARTS)
    for chart, source in EXPECTED_CHARTS.items():
        figure = page.figures[chart]
        attrs, block = figure["attrs"], figure["json"]
        rows = int(attrs["data-rows"])
        assert attrs["data-status"] == "ok", (chart, attrs)
        assert attrs["data-source"] == source
        assert rows > 0, chart
        assert block is not None and block["chart"] == chart and block["status"] == "ok"
        assert block["rows"] == rows == len(block["data"]) == figure["tbody_rows"], chart
        assert all(len(r) == len(block["columns"]) for r in block["data"])
        assert "No data" not in "".join(figure["text"])


def test_the_page_is_self_contained(random_lake: dict[str, Any]) -> None:
    page: Page = random_lake["page"]
    html: str = random_lake["html"]
    assert page.external == []
    assert not re.search(r"https?://", html)
    assert "<style>" in html
    for chart, figure in page.figures.items():
        if chart in ("high_risk_outreach", "dq_summary"):
            continue  # shown as HTML tables
        assert len(figure["images"]) == 1 and figure["images"][0].startswith("data:image/png;base64,")
        embedded = base64.b64decode(figure["images"][0].split(",", 1)[1])
        assert embedded == (random_lake["out"] / f"{chart}.png").read_bytes()


def assert_real_image(path: Path) -> None:
    assert path.is_file(), path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= 400 and image.height >= 150
        pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.std() > 10, f"{path.name} looks blank"
    assert (pixels < 200).mean() > 0.01, f"{path.name} has almost nothing drawn"


def test_every_png_is_a_real_non_blank_image(random_lake: dict[str, Any]) -> None:
    for chart in EXPECTED_CHARTS:
        assert_real_image(random_lake["out"] / f"{chart}.png")


# --- the numbers on the page are the views' numbers -------------------------------------------


def test_readmission_chart_equals_the_view(random_lake: dict[str, Any]) -> None:
    expected = random_lake["engine"].query(
        "select dimension_value as diagnosis_category, index_stays, readmissions, readmission_rate "
        "from v_readmission_rates where variant = 'hedis_all_ages' and dimension = 'diagnosis_category'"
    )
    assert_rows_equal(
        chart_frame(random_lake["page"].figures["readmission_by_category"]), expected, "diagnosis_category"
    )


def test_payer_charts_equal_the_view(random_lake: dict[str, Any]) -> None:
    page: Page = random_lake["page"]
    view = random_lake["engine"].query("select * from v_claims_by_payer")
    billed = chart_frame(page.figures["billed_vs_paid_by_payer"])
    assert_rows_equal(billed, view[billed.columns], "payer_key")
    assert list(billed["billed_amount"]) == sorted(billed["billed_amount"], reverse=True)
    mix = chart_frame(page.figures["payer_mix"])
    expected = view.assign(
        claims_share=view["claims"] / view["claims"].sum(),
        billed_share=view["billed_amount"].fillna(0) / view["billed_amount"].fillna(0).sum(),
    )[mix.columns]
    assert_rows_equal(mix, expected, "payer_key")
    assert mix["claims_share"].sum() == pytest.approx(1.0)
    assert mix["billed_share"].sum() == pytest.approx(1.0)


def test_top_diagnoses_chart_equals_the_view(random_lake: dict[str, Any]) -> None:
    chart = chart_frame(random_lake["page"].figures["top_cost_diagnoses"])
    expected = random_lake["engine"].query("select * from v_top_cost_diag")[chart.columns]
    assert len(chart) == 10
    assert_rows_equal(chart, expected, "billed_rank")


def test_los_trend_equals_the_view(random_lake: dict[str, Any]) -> None:
    chart = chart_frame(random_lake["page"].figures["los_trend"])
    expected = random_lake["engine"].query(
        "select discharge_month, stays, mean_los_days, median_los_days from v_length_of_stay "
        "where diagnosis_category = 'All'"
    )
    assert_rows_equal(chart, expected, "discharge_month")
    assert list(chart["discharge_month"]) == sorted(chart["discharge_month"])


def test_provider_ranking_equals_the_view(random_lake: dict[str, Any]) -> None:
    chart = chart_frame(random_lake["page"].figures["provider_ranking"])
    expected = random_lake["engine"].query(
        "select rank_by_treatments, provider_key, provider_name, specialty, total_treatments, success_rate, "
        "rank_by_success_rate from v_provider_ranking where rank_by_treatments is not null "
        "order by rank_by_treatments, provider_key limit 10"
    )
    assert_rows_equal(chart, expected, "provider_key")
    assert list(chart["provider_key"]) == list(expected["provider_key"])


def test_outreach_list_equals_the_view_in_the_coordinators_order(random_lake: dict[str, Any]) -> None:
    engine: LocalQueryEngine = random_lake["engine"]
    chart = chart_frame(random_lake["page"].figures["high_risk_outreach"])
    expected = engine.query(
        """
        with listed as (
            select
                patient_key, age_band, gender, clinic_name, lace_score, risk_band, lace_explanation,
                discharge_date, last_outreach_status, last_coordinator_id,
                date_diff('day', discharge_date, as_of) as days_since_discharge,
                coalesce(
                    last_outreach_status in ('reached', 'completed')
                    and cast(last_outreach_at as date) > discharge_date,
                    false
                ) as is_reached_since_discharge
            from patient_risk_view
            where is_on_outreach_list
        )
        select
            row_number() over (
                order by is_reached_since_discharge, lace_score desc, discharge_date desc, patient_key
            ) as priority,
            *
        from listed
        """
    ).drop(columns=["discharge_date"])
    assert 0 < len(expected) <= 50, "the random lake's list fits on the page"
    assert_rows_equal(chart, expected[chart.columns], "priority")
    # the same patients as the coordinators' list (which carries the MRN and is not read here)
    listed = engine.query("select patient_key from v_high_risk_outreach")
    assert set(chart["patient_key"]) == set(listed["patient_key"])


def test_dq_table_equals_the_view(random_lake: dict[str, Any]) -> None:
    chart = chart_frame(random_lake["page"].figures["dq_summary"])
    expected = random_lake["engine"].query(
        "select zone, table_name, row_count, key_null_rate, duplicate_keys, duplicates_removed, "
        "quarantined_rows, quarantine_rate, has_issues, "
        "cast(last_run_at as varchar) as last_run_at from v_dq_summary"
    )
    expected["last_run_at"] = expected["last_run_at"].str.replace(".000", "", regex=False)
    assert_rows_equal(chart, expected, ["zone", "table_name"])


# --- de-identification ------------------------------------------------------------------------


def test_no_mrn_or_identifying_column_on_the_page(random_lake: dict[str, Any]) -> None:
    page: Page = random_lake["page"]
    html: str = random_lake["html"]
    for chart, figure in page.figures.items():
        columns = figure["json"]["columns"]
        assert not [c for c in columns if IDENTIFYING.search(c)], chart
    assert set(page.figures["high_risk_outreach"]["json"]["columns"]) <= OUTREACH_ALLOWED
    headers = re.findall(r'data-column="([^"]+)"', html)
    assert headers and not [h for h in headers if IDENTIFYING.search(h)]
    mrns = {r["mrn"] for r in random_lake["rows"]["gold.high_risk_outreach_list"]}
    assert mrns and not [m for m in mrns if m in html]
    assert not re.search(r"MRN-pk-\d+", html)


# --- KPI lines ------------------------------------------------------------------------------


def test_kpi_lines_carry_the_measures(random_lake: dict[str, Any]) -> None:
    engine: LocalQueryEngine = random_lake["engine"]
    lines = kpi_lines(engine)
    text = "\n".join(lines)
    assert lines == list(random_lake["written"].kpis)
    rates = engine.query("readmission_rates").set_index("variant")
    for variant in ("hedis_all_ages", "cms_65_plus"):
        row = rates.loc[variant]
        stays, readmissions = int(row["index_stays"]), int(row["readmissions"])
        assert f"{readmissions / stays:.1%} ({readmissions:,} of {stays:,} index stays)" in text
    claims = random_lake["rows"]["gold.fact_claim"]
    denied = sum(c["is_denied"] for c in claims)
    assert f"Claims: {len(claims):,} " in text
    assert f"denial rate {denied / len(claims):.1%} ({denied:,} denied)" in text
    billed = sum(c["billed_amount"] for c in claims if c["billed_amount"] is not None)
    assert f"billed ${billed:,.2f}" in text
    top = engine.query("select diagnosis_key from v_top_cost_diag where billed_rank = 1")["diagnosis_key"][0]
    assert f"Top diagnosis by billed amount: {top} " in text
    # LOS over every acute inpatient discharge, worked out from the lake's rows
    los = [
        (e["discharge_date"] - e["admit_date"]).days
        for e in random_lake["rows"]["gold.fact_encounter"]
        if e["is_acute_inpatient"]
        and e["discharge_date"] is not None
        and e["discharge_date"] >= e["admit_date"]
    ]
    assert (
        f"mean {statistics.fmean(los):.2f} days, median {statistics.median(los):g} days over {len(los):,}"
        in text
    )
    listed = len(random_lake["rows"]["gold.high_risk_outreach_list"])
    assert f"High-risk patients: {listed:,} on the outreach list" in text
    quarantined = sum(r["quarantined_rows"] or 0 for r in random_lake["rows"]["gold.dq_summary"])
    assert f"Quarantined rows: {quarantined:,} " in text
    assert len(lines) == 7
    assert "MRN" not in text


# --- no data: reported, never silent ----------------------------------------------------------


def test_a_lake_without_data_gives_empty_charts_not_a_silent_pass(sparse_lake: Path, tmp_path: Path) -> None:
    with LocalQueryEngine(sparse_lake, ref.VIEWS_DIR) as engine:
        written = build_dashboard(engine, tmp_path)
        lines = kpi_lines(engine)
    page = Page(written.index_path.read_text(encoding="utf-8"))
    assert set(page.figures) == set(EXPECTED_CHARTS)
    statuses = {chart: figure["attrs"]["data-status"] for chart, figure in page.figures.items()}
    assert statuses == {
        **{chart: "empty" for chart in EXPECTED_CHARTS},
        "dq_summary": "error",  # the view cannot be created over an unreadable gold.dq_summary
    }
    for chart, figure in page.figures.items():
        assert figure["attrs"]["data-rows"] == "0" and figure["json"]["data"] == []
        assert figure["tbody_rows"] == 0 and figure["images"] == []
        note = "".join(figure["text"])
        assert ("No data" if chart != "dq_summary" else "Unavailable") in note
        assert_real_image(tmp_path / f"{chart}.png")  # an explicit 'NO DATA' image, never a blank one
    # the view has rows, but none the chart plots: said so
    assert "has 3 rows but no provider ranked by treatments" in "".join(
        page.figures["provider_ranking"]["text"]
    )
    assert {c.chart_id for c in written.empty_charts} == set(EXPECTED_CHARTS)
    # the package's reader (for the demo lake's check) sees the same
    records = read_dashboard(written.index_path)
    assert not [r for r in records.values() if r.has_data]
    assert "30-day readmission, HEDIS PCR (all ages): n/a (no index stays)" in lines
    assert "Claims: none" in lines
    assert any(line.startswith("Quarantined rows: unavailable (") for line in lines)


def test_an_empty_call_list_of_scored_patients_is_an_answer_not_missing_data(
    sparse_lake: Path, tmp_path: Path
) -> None:
    """Everybody scored was reached since their discharge: the call list is empty and says so,
    but the demo's check does not fail on it. With nobody scored at all it still does (above)."""
    lake = tmp_path / "lake"
    shutil.copytree(sparse_lake, lake)
    risk = [{"patient_key": "pk-1", "lace_score": 12, "risk_band": "high", "l_points": 4, "a_points": 3,
             "c_points": 5, "e_points": 0, "length_of_stay_days": 5, "charlson_index": 4, "ed_visits_6m": 0,
             "as_of": date(2024, 3, 31), "discharge_date": date(2024, 3, 20)}]  # fmt: skip
    ref.write_lake(lake, {"gold.patient_risk": risk})
    with LocalQueryEngine(lake, ref.VIEWS_DIR) as engine:
        written = build_dashboard(engine, tmp_path / "out")
    [chart] = [c for c in written.charts if c.chart_id == "high_risk_outreach"]
    assert (chart.status, chart.view_rows, chart.has_data) == ("empty", 1, False)
    assert "no patient on the high-risk outreach list" in (chart.note or "")
    assert "high_risk_outreach" not in {c.chart_id for c in written.empty_charts}


def test_read_dashboard_agrees_with_the_page(random_lake: dict[str, Any]) -> None:
    records = read_dashboard(random_lake["written"].index_path)
    page: Page = random_lake["page"]
    assert set(records) == set(page.figures)
    for chart, record in records.items():
        assert record.has_data
        assert record.rows == int(page.figures[chart]["attrs"]["data-rows"]) == record.table_rows
        assert record.payload == page.figures[chart]["json"]


def test_cli_prints_the_path_and_strict_fails_on_empty_charts(sparse_lake: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "dash"
    strict = runner.invoke(app, ["dashboard", "--lake", str(sparse_lake), "--out", str(out), "--strict"])
    assert strict.exit_code == 1, strict.output  # without --strict: 0, with the same warnings
    assert strict.stdout.strip().splitlines()[-1] == str(out / "index.html")
    assert (out / "index.html").is_file()
    assert "warning: chart los_trend has no data" in strict.stderr
    missing = runner.invoke(app, ["dashboard", "--lake", str(tmp_path / "nowhere"), "--out", str(out)])
    assert missing.exit_code == 1 and "lake not found" in missing.stderr
