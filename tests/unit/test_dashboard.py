"""The static dashboards (carelake.dashboard) on a seeded random gold lake (tests/sql/reference_measures.py):
the analyst page (de-identified, small cells suppressed) and the care-team page (PHI), as HTML and PDF.

"Every chart has data" is checked on the written pages themselves, parsed here with the standard
library (not with the package's own reader): each expected chart is a
``<figure data-chart=... data-status="ok" data-rows="n">`` with n > 0, n rows in its HTML
table and n rows in its JSON block; the numbers in the JSON block equal the view's result,
queried here with SQL of the test's own; the PNG beside the page is a real, non-blank image.
The PDFs are read back with pypdf: page count and every chart's title on its page. A lake whose
views return no rows gives figures marked empty with the reason, so a check of the demo lake's
pages fails instead of passing on an empty dashboard.
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import statistics
from datetime import date
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from pypdf import PdfReader
from typer.testing import CliRunner

from carelake.cli import app
from carelake.dashboard import CHART_IDS, build_dashboard, care_team_kpi_lines, kpi_lines, read_dashboard
from carelake.dashboard.pdf import TABLE_PAGE_ROWS
from carelake.dashboard.plots import payer_colours
from carelake.query import LocalQueryEngine
from tests.sql import reference_measures as ref
from tests.support.lake import version

SEED = 2024
ANALYST_CHARTS = {
    "readmission_by_category": "report_readmission_by_category",
    "readmission_trend": "report_readmission_trend",
    "outreach_compliance_trend": "report_outreach_compliance_trend",
    "los_trend": "report_length_of_stay_trend",
    "billed_vs_paid_by_payer": "report_claims_by_payer",
    "payer_mix": "report_claims_by_payer",
    "denials_by_payer": "report_claim_denials",
    "denial_trend": "report_denial_trend",
    "top_cost_diagnoses": "report_top_cost_diag",
    "cohort_outcomes": "report_cohort_outcomes",
    "procedure_patterns": "report_procedure_patterns",
    "provider_ranking": "report_provider_ranking",
    "dq_summary": "v_dq_summary",
}
CARE_TEAM_CHARTS = {
    "care_team_worklist": "v_care_team_worklist",
    "high_risk_outreach": "patient_risk_view",
}
TABLES = {"dq_summary", "care_team_worklist", "high_risk_outreach"}
# the count columns of the analyst page: patients, stays, claims, ... (ranks and table rows are not counts of people)
COUNT_COLUMNS = {
    "claims", "patients", "index_stays", "readmissions", "decided_claims", "denied_claims", "appealed_claims",
    "overturned_claims", "procedure_count", "stays", "discharges", "discharges_with_successful_outreach",
    "total_treatments",
}  # fmt: skip
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


def table_cells(html: str) -> list[tuple[str, str]]:
    """(column, shown text) of every cell of every HTML table on a page."""
    cells = []
    for table in re.findall(r"<table class=\"data\".*?</table>", html, re.S):
        columns = re.findall(r'<th data-column="([^"]+)"', table)
        for row in re.findall(r"<tr[^>]*>((?:<td[^>]*>.*?</td>)+)</tr>", table, re.S):
            values = [unescape(v) for v in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            cells += list(zip(columns, values, strict=True))
    return cells


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
        pages = {p.page_id: p for p in written.pages}
        html = {page_id: page.html_path.read_text(encoding="utf-8") for page_id, page in pages.items()}
        yield {
            "engine": engine,
            "rows": rows,
            "written": written,
            "out": out,
            "html": html,
            "page": {page_id: Page(text) for page_id, text in html.items()},
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


def figures(random_lake: dict[str, Any], page: str) -> dict[str, dict[str, Any]]:
    return random_lake["page"][page].figures


def chart(random_lake: dict[str, Any], chart_id: str) -> pd.DataFrame:
    page = "analyst" if chart_id in ANALYST_CHARTS else "care-team"
    return chart_frame(figures(random_lake, page)[chart_id])


# --- every chart on its page, with data ---------------------------------------------------------


@pytest.mark.parametrize(("page", "expected"), [("analyst", ANALYST_CHARTS), ("care-team", CARE_TEAM_CHARTS)])
def test_every_chart_is_on_its_page_with_data(random_lake: dict[str, Any], page: str, expected: dict) -> None:
    assert set(CHART_IDS) == set(ANALYST_CHARTS) | set(CARE_TEAM_CHARTS)
    found = figures(random_lake, page)
    assert list(found) == list(expected)  # page order
    for chart_id, source in expected.items():
        figure = found[chart_id]
        attrs, block = figure["attrs"], figure["json"]
        rows = int(attrs["data-rows"])
        assert attrs["data-status"] == "ok", (chart_id, attrs)
        assert attrs["data-source"] == source and rows > 0, chart_id
        assert block["chart"] == chart_id and block["status"] == "ok" and block["page"] == page
        assert block["rows"] == rows == len(block["data"]) == figure["tbody_rows"], chart_id
        assert "No data" not in "".join(figure["text"])


def test_pages_are_self_contained_and_print_one_chart_per_sheet(random_lake: dict[str, Any]) -> None:
    for page_id, page in random_lake["page"].items():
        html: str = random_lake["html"][page_id]
        assert page.external == [] and not re.search(r"https?://", html) and "<style>" in html
        assert "@media print" in html and "break-inside: avoid" in html and "break-before: page" in html
        for chart_id, figure in page.figures.items():
            if chart_id in TABLES:
                continue  # shown as HTML tables
            assert len(figure["images"]) == 1 and figure["images"][0].startswith("data:image/png;base64,")
            embedded = base64.b64decode(figure["images"][0].split(",", 1)[1])
            assert embedded == (random_lake["out"] / f"{chart_id}.png").read_bytes()


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
    for chart_id in CHART_IDS:
        assert_real_image(random_lake["out"] / f"{chart_id}.png")


# --- the numbers on the pages are the views' numbers -----------------------------------------------


def query(random_lake: dict[str, Any], sql: str) -> pd.DataFrame:
    return random_lake["engine"].query(sql)


def test_readmission_charts_equal_the_report_views(random_lake: dict[str, Any]) -> None:
    got = chart(random_lake, "readmission_by_category")
    expected = query(random_lake, "select * from report_readmission_by_category")[got.columns]
    assert_rows_equal(got, expected, "diagnosis_category_name")
    trend = chart(random_lake, "readmission_trend")
    expected = query(random_lake, "select * from report_readmission_trend")
    expected["year_start"] = expected["year_start"].astype(str)
    assert_rows_equal(trend, expected[trend.columns], "year_start")
    assert list(trend["year_start"]) == sorted(trend["year_start"])  # time runs left to right


@pytest.mark.parametrize(
    ("chart_id", "view"),
    [("los_trend", "report_length_of_stay_trend"), ("outreach_compliance_trend", "report_outreach_compliance_trend"),
     ("denial_trend", "report_denial_trend")],
)  # fmt: skip
def test_trends_are_yearly_rows_of_their_view(random_lake: dict[str, Any], chart_id: str, view: str) -> None:
    got = chart(random_lake, chart_id)
    expected = query(random_lake, f"select * from {view} where year_start is not null")
    expected["year_start"] = expected["year_start"].astype(str)
    assert_rows_equal(got, expected[got.columns], "year_start")
    assert all(re.fullmatch(r"\d{4}-01-01", y) for y in got["year_start"])


def test_payer_charts_equal_the_view_and_give_each_payer_a_colour(random_lake: dict[str, Any]) -> None:
    view = query(random_lake, "select * from report_claims_by_payer")
    billed = chart(random_lake, "billed_vs_paid_by_payer")
    assert_rows_equal(billed, view[billed.columns], "payer_key")
    assert list(billed["billed_amount"]) == sorted(billed["billed_amount"], reverse=True)
    mix = chart(random_lake, "payer_mix")
    expected = view.assign(
        billed_share=view["billed_amount"].astype(float) / view["billed_amount"].astype(float).sum(),
        paid_share=view["paid_amount"].astype(float) / view["paid_amount"].astype(float).sum(),
    )[mix.columns]
    assert_rows_equal(mix, expected, "payer_key")
    assert mix["billed_share"].sum() == pytest.approx(1.0) and mix["paid_share"].sum() == pytest.approx(1.0)
    # ten payers (the demo's count), ten different colours
    names = [f"Payer {i}" for i in range(10)]
    assert len(set(payer_colours(names).values())) == 10


def test_denials_by_payer_are_the_all_months_rows(random_lake: dict[str, Any]) -> None:
    got = chart(random_lake, "denials_by_payer")
    expected = query(
        random_lake,
        "select * from report_claim_denials where service_month = 'All' and payer_key <> 'All' and carc_group <> 'All'",
    )
    assert_rows_equal(got, expected[got.columns], ["payer_key", "carc_group"])


def test_cohorts_procedures_diagnoses_and_providers_equal_their_views(random_lake: dict[str, Any]) -> None:
    for chart_id, view, key in (
        ("cohort_outcomes", "report_cohort_outcomes", "cohort_name"),
        ("procedure_patterns", "report_procedure_patterns", "procedure_category_name"),
        ("top_cost_diagnoses", "report_top_cost_diag", "billed_rank"),
        ("provider_ranking", "report_provider_ranking", "provider_name"),
    ):
        got = chart(random_lake, chart_id)
        assert_rows_equal(got, query(random_lake, f"select * from {view}")[got.columns], key)


def test_dq_table_equals_the_view(random_lake: dict[str, Any]) -> None:
    got = chart(random_lake, "dq_summary")
    expected = query(
        random_lake,
        "select zone, table_name, row_count, key_null_rate, duplicate_keys, duplicates_removed, "
        "quarantined_rows, quarantine_rate, has_issues, cast(last_run_at as varchar) as last_run_at from v_dq_summary",
    )
    expected["last_run_at"] = expected["last_run_at"].str.replace(".000", "", regex=False)
    assert_rows_equal(got, expected, ["zone", "table_name"])


def test_outreach_list_equals_the_view_in_the_coordinators_order(random_lake: dict[str, Any]) -> None:
    got = chart(random_lake, "high_risk_outreach")
    expected = query(
        random_lake,
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
        """,
    ).drop(columns=["discharge_date"])
    assert 0 < len(expected) <= 50, "the random lake's list fits on the page"
    assert_rows_equal(got, expected[got.columns], "priority")
    worklist = chart(random_lake, "care_team_worklist")
    expected = ref.care_team_worklist(
        ref.frame(random_lake["rows"]["gold.care_team_worklist"], "gold.care_team_worklist")
    )
    expected = expected.sort_values(["coordinator_id", "clinic_id", "priority_rank"], kind="mergesort")
    assert 0 < len(expected) <= 50, "the random lake's worklist fits on the page"
    columns = ["coordinator_id", "priority_rank", "patient_key"]
    assert worklist[columns].values.tolist() == expected[columns].values.tolist()
    assert "mrn" not in worklist.columns  # direct identifiers never reach a page


# --- who may see what ---------------------------------------------------------------------------


def test_the_analyst_page_shows_no_patient_and_no_small_cell(random_lake: dict[str, Any]) -> None:
    page: Page = random_lake["page"]["analyst"]
    html: str = random_lake["html"]["analyst"]
    assert 'data-classification="deidentified"' in html and "De-identified aggregates" in html
    for chart_id, figure in page.figures.items():
        source = figure["attrs"]["data-source"]
        assert source.startswith("report_") or source == "v_dq_summary", chart_id
        columns = figure["json"]["columns"]
        assert not [c for c in columns if IDENTIFYING.search(c) or c == "patient_key"], chart_id
    mrns = {r["mrn"] for r in random_lake["rows"]["gold.high_risk_outreach_list"]}
    assert mrns and not [m for m in mrns if m in html] and "pk-0" not in html
    # every count shown is 0, 11 or more, or "<11"; the random lake has small cells to hide
    shown = [value for column, value in table_cells(html) if column in COUNT_COLUMNS]
    assert shown and "<11" in shown
    assert all(v == "<11" or int(v.replace(",", "")) == 0 or int(v.replace(",", "")) >= 11 for v in shown)


def test_the_care_team_page_is_marked_phi(random_lake: dict[str, Any]) -> None:
    html: str = random_lake["html"]["care-team"]
    assert 'data-classification="phi"' in html and "CONTAINS PHI" in html
    assert 'class="banner phi"' in html
    text = "".join(
        page.extract_text() for page in PdfReader(random_lake["written"].page("care-team").pdf_path).pages
    )
    assert text.count("CONTAINS PHI") >= len(
        PdfReader(random_lake["written"].page("care-team").pdf_path).pages
    )


# --- the PDFs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page_id", ["analyst", "care-team"])
def test_each_pdf_has_a_cover_and_every_chart_with_its_title(
    random_lake: dict[str, Any], page_id: str
) -> None:
    page = random_lake["page"][page_id]
    reader = PdfReader(random_lake["written"].page(page_id).pdf_path)
    # the cover, one page per chart, a table over as many pages as its rows need
    expected_pages = 1 + sum(
        math.ceil(int(f["attrs"]["data-rows"]) / TABLE_PAGE_ROWS) if chart_id in TABLES else 1
        for chart_id, f in page.figures.items()
    )
    assert len(reader.pages) == expected_pages
    texts = [p.extract_text() for p in reader.pages]
    assert "Key figures" in texts[0]
    number = 1
    for chart_id, figure in page.figures.items():
        title = figure["json"]["title"]
        number += 1
        assert title in texts[number - 1], (chart_id, texts[number - 1][:200])
        assert f"{title} ... page {number}" in texts[0].replace("\n", " ")
        if chart_id in TABLES:
            number += math.ceil(int(figure["attrs"]["data-rows"]) / TABLE_PAGE_ROWS) - 1
    assert reader.metadata.title == random_lake["written"].page(page_id).spec.title


# --- KPI lines ------------------------------------------------------------------------------


def test_kpi_lines_carry_the_measures(random_lake: dict[str, Any]) -> None:
    engine: LocalQueryEngine = random_lake["engine"]
    lines = kpi_lines(engine)
    text = "\n".join(lines)
    assert lines == list(random_lake["written"].page("analyst").kpis)
    rates = engine.query("readmission_rates").set_index("variant")
    for variant in ("hedis_all_ages", "cms_65_plus"):
        stays, readmissions = int(rates.loc[variant, "index_stays"]), int(rates.loc[variant, "readmissions"])
        assert stays >= 11 and readmissions >= 11, "the random lake's totals are no small cells"
        assert f"{readmissions / stays:.1%} ({readmissions:,} of {stays:,} index stays)" in text
    claims = random_lake["rows"]["gold.fact_claim"]
    billed = sum(c["billed_amount"] for c in claims if c["billed_amount"] is not None)
    assert f"Claims: {len(claims):,} " in text and f"billed ${billed:,.2f}" in text
    decided = [c for c in claims if c["is_initially_denied"] is not None]
    denied = sum(c["is_initially_denied"] for c in decided)
    assert (
        f"initial denial rate {denied / len(decided):.1%} ({denied:,} of {len(decided):,} decided claims)"
        in text
    )
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
    quarantined = sum(r["quarantined_rows"] or 0 for r in random_lake["rows"]["gold.dq_summary"])
    assert f"Quarantined rows: {quarantined:,} " in text
    assert "MRN" not in text and "High-risk" not in text  # the list is the care team's
    care = "\n".join(care_team_kpi_lines(engine))
    listed = len(random_lake["rows"]["gold.high_risk_outreach_list"])
    assert f"High-risk patients: {listed:,} on the outreach list" in care
    worklist = random_lake["rows"]["gold.care_team_worklist"]
    coordinators = len({r["coordinator_id"] for r in worklist})
    assert f"Worklist: {len(worklist):,} patients to call for {coordinators:,} coordinators" in care


def test_small_totals_are_printed_as_small_cells(tmp_path: Path) -> None:
    stays = [ref.encounter(f"e{i}", f"p{i}", date(2023, 1, 2), date(2023, 1, 4)) for i in range(4)]
    stays.append(ref.encounter("end", "pz", date(2023, 12, 31), date(2023, 12, 31), is_acute_inpatient=False))
    lake = ref.write_lake(tmp_path / "lake", {"gold.fact_encounter": stays})
    with LocalQueryEngine(lake, ref.VIEWS_DIR) as engine:
        text = "\n".join(kpi_lines(engine))
    assert "30-day readmission, HEDIS PCR (all ages): 0.0% (0 of <11 index stays)" not in text
    assert "rate hidden (small cell) (0 of <11 index stays)" in text
    assert "Length of stay (HCUP, acute inpatient): hidden (<11 discharges)" in text


# --- no data: reported, never silent ----------------------------------------------------------


def test_a_lake_without_data_says_why_chart_by_chart(sparse_lake: Path, tmp_path: Path) -> None:
    with LocalQueryEngine(sparse_lake, ref.VIEWS_DIR) as engine:
        written = build_dashboard(engine, tmp_path)
        lines = kpi_lines(engine)
    pages = {p.page_id: Page(p.html_path.read_text(encoding="utf-8")) for p in written.pages}
    statuses = {c: f["attrs"]["data-status"] for page in pages.values() for c, f in page.figures.items()}
    assert statuses == {**dict.fromkeys(CHART_IDS, "empty"), "dq_summary": "error"}
    notes = {c: "".join(f["text"]) for page in pages.values() for c, f in page.figures.items()}
    for chart_id, figure in ((c, f) for page in pages.values() for c, f in page.figures.items()):
        assert figure["attrs"]["data-rows"] == "0" and figure["json"]["data"] == []
        assert figure["tbody_rows"] == 0 and figure["images"] == []
        assert ("No data" if chart_id != "dq_summary" else "Unavailable") in notes[chart_id]
        assert_real_image(tmp_path / f"{chart_id}.png")  # an explicit 'NO DATA' image, never a blank one
    assert (
        "no provider ranked by treatments (view report_provider_ranking returned no rows)"
        in notes["provider_ranking"]
    )
    assert "nobody is on the worklist" in notes["care_team_worklist"]
    assert (
        "no patient at or over the LACE threshold (10) was discharged in the last 30 days"
        in notes["high_risk_outreach"]
    )
    assert {c.chart_id for c in written.empty_charts} == set(CHART_IDS) - {"dq_summary"}
    assert [c.chart_id for c in written.failed_charts] == ["dq_summary"]
    records = {c: r for p in written.pages for c, r in read_dashboard(p.html_path).items()}
    assert not [r for r in records.values() if r.has_data]
    assert "30-day readmission, HEDIS PCR (all ages): n/a (no index stays)" in lines
    assert "Claims: none" in lines
    assert any(line.startswith("Quarantined rows: unavailable (") for line in lines)
    for page in written.pages:  # the PDFs are written all the same: a cover and a page per chart
        assert len(PdfReader(page.pdf_path).pages) == 1 + len(page.charts)


def test_read_dashboard_agrees_with_the_page(random_lake: dict[str, Any]) -> None:
    for page in random_lake["written"].pages:
        records = read_dashboard(page.html_path)
        found = random_lake["page"][page.page_id].figures
        assert set(records) == set(found)
        for chart_id, record in records.items():
            assert record.has_data
            assert record.rows == int(found[chart_id]["attrs"]["data-rows"]) == record.table_rows
            assert record.payload == found[chart_id]["json"]


def test_cli_prints_both_pages_and_pdfs_and_strict_fails_only_on_a_failed_view(
    sparse_lake: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    out = tmp_path / "dash"
    plain = runner.invoke(app, ["dashboard", "--lake", str(sparse_lake), "--out", str(out)])
    assert plain.exit_code == 0, plain.output  # empty charts are no error
    names = ["analyst.html", "care-team.html", "analyst.pdf", "care-team.pdf"]
    assert plain.stdout.strip().splitlines() == [str(out / n) for n in names]
    assert "note: chart los_trend has nothing to show: no acute inpatient discharge" in plain.stderr
    strict = runner.invoke(app, ["dashboard", "--lake", str(sparse_lake), "--out", str(out), "--strict"])
    # the sparse lake's gold.dq_summary is unreadable: that chart, and no empty one, fails --strict
    assert strict.exit_code == 1, strict.output
    assert re.findall(r"warning: chart (\S+) failed", strict.stderr) == ["dq_summary"]
    views = shutil.copytree(ref.VIEWS_DIR, tmp_path / "views")
    (views / "report_top_cost_diag.sql").write_text(
        "create or replace view report_top_cost_diag as select (1"
    )
    broken = runner.invoke(
        app, ["dashboard", "--lake", str(sparse_lake), "--out", str(out), "--views", str(views), "--strict"]
    )
    assert broken.exit_code == 1 and "warning: chart top_cost_diagnoses failed" in broken.stderr
    missing = runner.invoke(app, ["dashboard", "--lake", str(tmp_path / "nowhere"), "--out", str(out)])
    assert missing.exit_code == 1 and "lake not found" in missing.stderr
