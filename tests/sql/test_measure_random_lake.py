"""Every measure view against its independent pandas implementation (reference_measures.py) on
a seeded random gold lake: a few hundred patients whose stays, gaps, deaths, planned stays, ages,
facilities, claims and outreach hit every edge of the definitions many times over."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from pathlib import Path

import pandas as pd
import pytest

from carelake.query import LocalQueryEngine
from tests.sql import reference_measures as ref

SEEDS = (7, 2024)

Tables = dict[str, pd.DataFrame]


class References:
    """A random lake's tables, with the reference stays computed once for the views reading them."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]

    @cached_property
    def stays(self) -> pd.DataFrame:
        return ref.readmission_index_stays(self.tables["gold.fact_encounter"])

    @cached_property
    def outreach(self) -> pd.DataFrame:
        return ref.outreach_discharges(self.stays, self.tables["gold.fact_outreach"])

    @cached_property
    def payers(self) -> pd.DataFrame:
        return ref.claims_by_payer(self.tables["gold.fact_claim"], self.tables["gold.dim_payer"])

    @cached_property
    def denials(self) -> pd.DataFrame:
        t = self.tables
        return ref.claim_denials(t["gold.fact_claim"], t["gold.dim_payer"], t["gold.dim_denial_reason"])

    @cached_property
    def cohorts(self) -> pd.DataFrame:
        t = self.tables
        return ref.cohort_outcomes(
            t["gold.patient_cohort"], t["gold.dim_patient"], self.stays, t["gold.fact_encounter"]
        )

    @cached_property
    def rates(self) -> pd.DataFrame:
        t = self.tables
        return ref.readmission_rates_by_dimension(self.stays, t["gold.dim_payer"], t["gold.dim_location"])


def _hedis(rates: pd.DataFrame, dimension: str) -> pd.DataFrame:
    return rates[(rates["variant"] == "hedis_all_ages") & (rates["dimension"] == dimension)]


def _yearly(rows: pd.DataFrame, month_column: str, sums: list[str]) -> pd.DataFrame:
    """Monthly rows added up per calendar year (a month is 'YYYY-MM'; 'Unknown' and 'All' are left out)."""
    dated = rows[rows[month_column].astype(str).str.fullmatch(r"[0-9]{4}-[0-9]{2}")]
    years = dated.assign(year_start=[ref.year_start(m) for m in dated[month_column]])
    return years.groupby("year_start", as_index=False)[sums].sum()


def _readmission_years(rates: pd.DataFrame) -> pd.DataFrame:
    years = _yearly(_hedis(rates, "discharge_month"), "dimension_value", ["index_stays", "readmissions"])
    return years.assign(readmission_rate=years["readmissions"] / years["index_stays"])


def _los_years(encounters: pd.DataFrame) -> pd.DataFrame:
    monthly = ref.length_of_stay(encounters).query("diagnosis_category == 'All'")
    years = _yearly(monthly, "discharge_month", ["stays", "total_days"])
    return years.assign(mean_los_days=years["total_days"] / years["stays"])


def _outreach_years(discharges: pd.DataFrame) -> pd.DataFrame:
    complete = discharges[discharges["is_window_complete"]].assign(
        discharges=1,
        discharges_with_successful_outreach=lambda d: d["has_successful_outreach_30d"].astype(int),
    )
    years = _yearly(complete, "discharge_month", ["discharges", "discharges_with_successful_outreach"])
    return years.assign(compliance_rate=years["discharges_with_successful_outreach"] / years["discharges"])


def _denial_years(denials: pd.DataFrame) -> pd.DataFrame:
    every = denials[(denials["payer_key"] == "All") & (denials["carc_group"] == "All")]
    years = _yearly(
        every, "service_month", ["decided_claims", "denied_claims", "appealed_claims", "overturned_claims"]
    )
    return years.assign(
        denial_rate=years["denied_claims"] / years["decided_claims"],
        overturn_rate=[
            o / a if a else None
            for o, a in zip(years["overturned_claims"], years["appealed_claims"], strict=True)
        ],
    )


def _category_names(rates: pd.DataFrame, diagnoses: pd.DataFrame) -> pd.DataFrame:
    names = dict(zip(diagnoses["diagnosis_category"], diagnoses["diagnosis_category_name"], strict=True))
    rows = _hedis(rates, "diagnosis_category").rename(columns={"dimension_value": "diagnosis_category"})
    return rows.assign(diagnosis_category_name=[names.get(c, c) for c in rows["diagnosis_category"]])


def _ranked_providers(t: References) -> pd.DataFrame:
    rows = ref.provider_ranking(
        t["gold.provider_treatment_rank"], t["gold.provider_success_rank"], t["gold.dim_provider"]
    )
    completed = dict(
        zip(
            t["gold.provider_success_rank"]["provider_key"],
            t["gold.provider_success_rank"]["completed"],
            strict=True,
        )
    )
    rows = rows[rows["rank_by_treatments"].notna() & (rows["rank_by_treatments"] <= 10)]
    return rows.assign(completed=[completed.get(k) for k in rows["provider_key"]])


# view -> (key columns, reference computed from the lake's tables)
CASES: dict[str, tuple[list[str], Callable[[References], pd.DataFrame]]] = {
    "v_readmission_index_stays": (["stay_id"], lambda t: t.stays),
    "readmission_rates": (["variant"], lambda t: ref.readmission_rates(t.stays)),
    "v_readmission_rates": (
        ["variant", "dimension", "dimension_value"],
        lambda t: ref.readmission_rates_by_dimension(t.stays, t["gold.dim_payer"], t["gold.dim_location"]),
    ),
    "v_length_of_stay": (
        ["diagnosis_category", "discharge_month"],
        lambda t: ref.length_of_stay(t["gold.fact_encounter"]),
    ),
    "v_claims_by_payer": (
        ["payer_key"],
        lambda t: ref.claims_by_payer(t["gold.fact_claim"], t["gold.dim_payer"]),
    ),
    "v_top_cost_diag": (
        ["billed_rank"],
        lambda t: ref.top_cost_diagnoses(t["gold.fact_claim"], t["gold.dim_diagnosis"]),
    ),
    "v_demographics": (["dimension", "dimension_value"], lambda t: ref.demographics(t["gold.dim_patient"])),
    "v_outreach_discharges": (["stay_id"], lambda t: t.outreach),
    "outreach_compliance": (
        ["coordinator_id", "discharge_month"],
        lambda t: ref.outreach_compliance(t.outreach),
    ),
    "v_population_summary": (
        ["activity_month", "diagnosis_category"],
        lambda t: ref.population_summary(t["gold.fact_encounter"], t["gold.fact_claim"]),
    ),
    "v_dq_summary": (["zone", "table_name"], lambda t: ref.dq_summary(t["gold.dq_summary"])),
    "patient_risk_view": (
        ["patient_key"],
        lambda t: ref.patient_risk_view(
            t["gold.patient_risk"], t["gold.high_risk_outreach_list"], t["gold.dim_patient"]
        ),
    ),
    "v_high_risk_outreach": (
        ["patient_key"],
        lambda t: ref.high_risk_outreach(t["gold.high_risk_outreach_list"], t["gold.patient_risk"]),
    ),
    "v_care_team_worklist": (
        ["coordinator_id", "clinic_id", "patient_key"],
        lambda t: ref.care_team_worklist(t["gold.care_team_worklist"]),
    ),
    "v_claim_denials": (["payer_key", "service_month", "carc_group"], lambda t: t.denials),
    "v_cohort_outcomes": (["cohort"], lambda t: t.cohorts),
    "v_procedure_patterns": (
        ["procedure_category"],
        lambda t: ref.procedure_patterns(t["gold.fact_procedure"]),
    ),
    # the report views: their base's reference with small cells suppressed
    "report_claims_by_payer": (
        ["payer_key"],
        lambda t: ref.report(
            t.payers,
            {
                "payer_key": [],
                "claims": ["claims"],
                "patients": ["patients"],
                "billed_amount": [],
                "paid_amount": [],
                "paid_to_billed_ratio": ["claims"],
                "decided_claims": ["decided_claims"],
                "initially_denied_claims": ["initially_denied_claims"],
                "initial_denial_rate": ["decided_claims", "initially_denied_claims"],
            },
            ["claims", "patients", "decided_claims", "initially_denied_claims"],
        ),
    ),
    "report_readmission_by_category": (
        ["diagnosis_category"],
        lambda t: ref.report(
            _category_names(t.rates, t["gold.dim_diagnosis"]),
            {
                "diagnosis_category": [],
                "diagnosis_category_name": [],
                "index_stays": ["index_stays"],
                "readmissions": ["readmissions"],
                "readmission_rate": ["index_stays", "readmissions"],
            },
            ["index_stays", "readmissions"],
        ),
    ),
    "report_readmission_trend": (
        ["year_start"],
        lambda t: ref.report(
            _readmission_years(t.rates),
            {
                "year_start": [],
                "index_stays": ["index_stays"],
                "readmissions": ["readmissions"],
                "readmission_rate": ["index_stays", "readmissions"],
            },
            ["index_stays", "readmissions"],
        ),
    ),
    "report_length_of_stay_trend": (
        ["year_start"],
        lambda t: ref.report(
            _los_years(t["gold.fact_encounter"]),
            {"year_start": [], "stays": ["stays"], "mean_los_days": ["stays"]},
            ["stays"],
        ),
    ),
    "report_outreach_compliance_trend": (
        ["year_start"],
        lambda t: ref.report(
            _outreach_years(t.outreach),
            {
                "year_start": [],
                "discharges": ["discharges"],
                "discharges_with_successful_outreach": ["discharges_with_successful_outreach"],
                "compliance_rate": ["discharges", "discharges_with_successful_outreach"],
            },
            ["discharges", "discharges_with_successful_outreach"],
        ),
    ),
    "report_denial_trend": (
        ["year_start"],
        lambda t: ref.report(
            _denial_years(t.denials),
            {
                "year_start": [],
                "decided_claims": ["decided_claims"],
                "denied_claims": ["denied_claims"],
                "denial_rate": ["decided_claims", "denied_claims"],
                "appealed_claims": ["appealed_claims"],
                "overturned_claims": ["overturned_claims"],
                "overturn_rate": ["appealed_claims", "overturned_claims"],
            },
            ["decided_claims", "denied_claims", "appealed_claims", "overturned_claims"],
        ),
    ),
    "report_top_cost_diag": (
        ["billed_rank"],
        lambda t: ref.report(
            ref.top_cost_diagnoses(t["gold.fact_claim"], t["gold.dim_diagnosis"]),
            {
                "billed_rank": [],
                "diagnosis_key": [],
                "claims": ["claims"],
                "patients": ["patients"],
                "billed_amount": [],
                "share_of_total_billed": [],
            },
            ["claims", "patients"],
        ),
    ),
    "report_claim_denials": (
        ["payer_key", "service_month", "carc_group"],
        lambda t: ref.report(
            t.denials,
            {
                "payer_key": [],
                "service_month": [],
                "carc_group": [],
                "decided_claims": ["decided_claims"],
                "denied_claims": ["denied_claims"],
                "denial_rate": ["decided_claims", "denied_claims"],
                "denied_amount": [],
                "appealed_claims": ["appealed_claims"],
                "overturned_claims": ["overturned_claims"],
                "overturn_rate": ["appealed_claims", "overturned_claims"],
            },
            ["decided_claims", "denied_claims", "appealed_claims", "overturned_claims"],
        ),
    ),
    "report_cohort_outcomes": (
        ["cohort"],
        lambda t: ref.report(
            t.cohorts,
            {
                "cohort": [],
                "cohort_name": [],
                "patients": ["patients"],
                "index_stays": ["index_stays"],
                "mean_los_days": ["index_stays"],
                "readmissions_30d": ["readmissions_30d"],
                "readmission_rate_30d": ["index_stays", "readmissions_30d"],
                "ed_revisits_30d": ["ed_revisits_30d"],
                "ed_revisit_rate_30d": ["index_stays", "ed_revisits_30d"],
            },
            ["patients", "index_stays", "readmissions_30d", "ed_revisits_30d"],
        ),
    ),
    "report_procedure_patterns": (
        ["procedure_category"],
        lambda t: ref.report(
            ref.procedure_patterns(t["gold.fact_procedure"]),
            {
                "procedure_category": [],
                "procedure_count": ["procedure_count"],
                "patients": ["patients"],
                "total_cost": [],
                "mean_cost": ["procedure_count"],
                "share_of_procedures": ["procedure_count"],
                "share_of_cost": [],
                "inpatient_share": ["procedure_count", "inpatient_procedures"],
            },
            ["procedure_count", "patients", "inpatient_procedures"],
        ),
    ),
    "report_provider_ranking": (
        ["provider_key"],
        lambda t: ref.report(
            _ranked_providers(t),
            {
                "provider_key": [],
                "rank_by_treatments": [],
                "total_treatments": ["total_treatments"],
                "completed": ["completed"],
                "success_rate": ["completed"],
            },
            ["total_treatments", "completed"],
        ),
    ),
    "v_provider_ranking": (
        ["provider_key"],
        lambda t: ref.provider_ranking(
            t["gold.provider_treatment_rank"], t["gold.provider_success_rank"], t["gold.dim_provider"]
        ),
    ),
}


@pytest.fixture(scope="module", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def lake(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    rows = ref.random_gold_lake(request.param)
    root: Path = tmp_path_factory.mktemp(f"random_{request.param}")
    ref.write_lake(root, rows)
    tables = References({name: ref.frame(rows.get(name, []), name) for name in ref.SCHEMAS})
    with LocalQueryEngine(root, ref.VIEWS_DIR) as engine:
        assert engine.failed_views == {}
        yield engine, tables


@pytest.mark.parametrize("view", sorted(CASES))
def test_view_equals_the_pandas_reference(lake: tuple[LocalQueryEngine, References], view: str) -> None:
    engine, tables = lake
    keys, reference = CASES[view]
    expected = reference(tables)
    assert len(expected) > 0, "the random lake should exercise every measure"
    ref.assert_same(engine.query(view), expected, keys)


def test_the_random_lake_hits_every_edge(lake: tuple[LocalQueryEngine, References]) -> None:
    """Guards the generator: a comparison on a lake without the edge cases proves little."""
    engine, _ = lake
    stays = engine.query("v_readmission_index_stays")
    reasons = set(stays["exclusion_reason"].dropna())
    assert reasons == {"same_day_stay", "died_in_stay", "follow_up_incomplete", "not_discharged"}
    assert {"under_65", "left_against_medical_advice"} <= set(stays["cms_exclusion_reason"].dropna())
    assert stays["is_transfer_merged"].sum() >= 20 and (stays["encounter_count"] >= 3).any()
    days = stays["days_to_readmission"].dropna()
    assert {2, 30} <= set(days.astype(int))
    assert (
        stays["is_readmitted_elsewhere"].eq(True).any() and stays["is_readmitted_elsewhere"].eq(False).any()
    )
    cms = stays[stays["is_cms_index_stay"]]
    assert (cms["is_readmitted_30d"] != cms["is_cms_readmitted_30d"]).any()  # first readmission planned
    outreach = engine.query("v_outreach_discharges")
    assert set(outreach["attribution_rule"]) == {
        "first_successful_outreach",
        "last_attempt_in_window",
        "latest_outreach_before_discharge",
        "unassigned",
    }
    assert {1, 30} <= set(outreach["days_to_successful_outreach"].dropna().astype(int))


def test_the_random_lake_exercises_denials_cohorts_and_small_cells(
    lake: tuple[LocalQueryEngine, References],
) -> None:
    engine, _ = lake
    denials = engine.query("v_claim_denials")
    assert {"All", "CO", "PR", "Unknown"} <= set(denials["carc_group"])
    assert denials["overturned_claims"].sum() > 0 and denials["overturn_rate"].isna().any()
    cohorts = engine.query("v_cohort_outcomes").set_index("cohort")
    assert set(cohorts.index) == {"all_patients", "copd", "heart_failure", "diabetes"}
    assert (cohorts["index_stays"] > 0).all() and (cohorts["ed_revisits_30d"] > 0).all()
    assert (cohorts["index_stays"] < cohorts.loc["all_patients", "index_stays"]).sum() == 3
    shown = engine.query("report_claim_denials")  # payer-months are small: their cells mostly hidden
    assert shown["decided_claims"].notna().any() and shown["decided_claims"].isna().any()
    assert set(shown["is_suppressed"]) == {True, False}  # small payer-months hidden, payer totals shown
