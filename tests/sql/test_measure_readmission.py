"""30-day all-cause readmission (docs/measures/readmission.md) on a hand-built cohort.

Views: v_readmission_index_stays, readmission_rates, v_readmission_rates. Every expected number
is worked out below from the cohort; the comparison with the pandas reference on a random lake
is in test_measure_random_lake.py.

The data's end is 2024-12-31 (an ambulatory visit of patient p99), so a discharge on or before
2024-12-01 has a complete 30-day window. Everyone is 50 at admission, at facility fac-a, with
payer-1 and category CIR, unless said otherwise.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import encounter, views_subset, write_lake

D = date

COHORT = [
    # p01: a transfer chain. fac-a 01-01..01-05 -> fac-b 01-05..01-08 (same day) -> fac-b 01-09..01-12
    # (next day): every gap is under two days, so one stay 01-01..01-12 at fac-b (the discharging
    # facility), LOS 11, 3 encounters. Index stay, not readmitted.
    encounter("p01-a", "p01", D(2024, 1, 1), D(2024, 1, 5), discharge_disposition_code="02"),
    encounter(
        "p01-b", "p01", D(2024, 1, 5), D(2024, 1, 8), location_key="fac-b", discharge_disposition_code="02"
    ),
    encounter("p01-c", "p01", D(2024, 1, 9), D(2024, 1, 12), location_key="fac-b"),
    # p02: two calendar days apart is a new stay: 02-01..02-03, then 02-05..02-07 (day 2, same facility).
    encounter("p02-a", "p02", D(2024, 2, 1), D(2024, 2, 3)),
    encounter("p02-b", "p02", D(2024, 2, 5), D(2024, 2, 7)),
    # p03: readmitted on day 30 (03-05 + 30 days = 04-04): counts.
    encounter("p03-a", "p03", D(2024, 3, 1), D(2024, 3, 5)),
    encounter("p03-b", "p03", D(2024, 4, 4), D(2024, 4, 6)),
    # p04: readmitted on day 31 (04-05): does not count; both stays are index stays.
    encounter("p04-a", "p04", D(2024, 3, 1), D(2024, 3, 5)),
    encounter("p04-b", "p04", D(2024, 4, 5), D(2024, 4, 7)),
    # p05: a planned readmission on day 6 is not a readmission; the planned stay is an index stay itself.
    encounter("p05-a", "p05", D(2024, 5, 1), D(2024, 5, 4)),
    encounter("p05-b", "p05", D(2024, 5, 10), D(2024, 5, 12), is_planned=True),
    # p06 (70, RSP): planned on day 5, then unplanned on day 17 after the first discharge.
    #   HEDIS: p06-a is readmitted (by p06-c, 17 days): planned stays are only removed.
    #   CMS:   the first readmission of p06-a is planned, so p06-a is not readmitted.
    #   p06-b (planned, an index stay) is followed by p06-c 11 days later: readmitted in both.
    encounter("p06-a", "p06", D(2024, 6, 1), D(2024, 6, 3), age_at_admit=70, diagnosis_category="RSP"),
    encounter(
        "p06-b",
        "p06",
        D(2024, 6, 8),
        D(2024, 6, 9),
        age_at_admit=70,
        diagnosis_category="RSP",
        is_planned=True,
    ),
    encounter("p06-c", "p06", D(2024, 6, 20), D(2024, 6, 25), age_at_admit=70, diagnosis_category="RSP"),
    # p07: a same-day stay is not an index stay, so the stay 9 days later is no readmission of it.
    encounter("p07-a", "p07", D(2024, 7, 1), D(2024, 7, 1)),
    encounter("p07-b", "p07", D(2024, 7, 10), D(2024, 7, 12)),
    # p08: ... but a same-day stay is a readmission (day 11) of an earlier index stay.
    encounter("p08-a", "p08", D(2024, 8, 1), D(2024, 8, 4)),
    encounter("p08-b", "p08", D(2024, 8, 15), D(2024, 8, 15)),
    # p09: died in hospital after a transfer: one stay 09-01..09-08, excluded (died_in_stay).
    encounter("p09-a", "p09", D(2024, 9, 1), D(2024, 9, 3), discharge_disposition_code="02"),
    encounter(
        "p09-b", "p09", D(2024, 9, 4), D(2024, 9, 8), died_in_stay=True, discharge_disposition_code="20"
    ),
    # p10 (payer-2): readmitted on day 7 at another facility: counts, flagged elsewhere.
    encounter("p10-a", "p10", D(2024, 10, 1), D(2024, 10, 3), payer_key="payer-2"),
    encounter("p10-b", "p10", D(2024, 10, 10), D(2024, 10, 12), payer_key="payer-2", location_key="fac-c"),
    # p12 (64) and p13 (65, payer-2): the same pair of stays, readmitted on day 7. The CMS variant
    # takes p13 only; p13's readmission is at fac-b (elsewhere).
    encounter("p12-a", "p12", D(2024, 2, 1), D(2024, 2, 3), age_at_admit=64),
    encounter("p12-b", "p12", D(2024, 2, 10), D(2024, 2, 12), age_at_admit=64),
    encounter("p13-a", "p13", D(2024, 2, 1), D(2024, 2, 3), age_at_admit=65, payer_key="payer-2"),
    encounter(
        "p13-b",
        "p13",
        D(2024, 2, 10),
        D(2024, 2, 12),
        age_at_admit=65,
        payer_key="payer-2",
        location_key="fac-b",
    ),
    # p14: discharged 12-10; 21 days of follow-up before the data's end: excluded (follow_up_incomplete).
    encounter("p14-a", "p14", D(2024, 12, 5), D(2024, 12, 10)),
    # p15: discharged 12-01 (exactly 30 days before the data's end: complete), readmitted on day 19
    # to a stay still open at the data's end (that stay is not discharged, so not an index stay).
    encounter("p15-a", "p15", D(2024, 11, 25), D(2024, 12, 1)),
    encounter("p15-b", "p15", D(2024, 12, 20), None),
    # p17: an SNF stay right after the discharge and an ED visit are not acute inpatient stays:
    # they neither merge nor readmit. The acute stay 18 days after 04-03 is the readmission.
    encounter("p17-a", "p17", D(2024, 4, 1), D(2024, 4, 3), discharge_disposition_code="03"),
    encounter(
        "p17-snf", "p17", D(2024, 4, 3), D(2024, 4, 20), encounter_class="snf", is_acute_inpatient=False
    ),
    encounter(
        "p17-ed", "p17", D(2024, 4, 10), D(2024, 4, 10), encounter_class="emergency", is_acute_inpatient=False
    ),
    encounter("p17-b", "p17", D(2024, 4, 21), D(2024, 4, 23)),
    # p18 (70): left against medical advice: a HEDIS index stay, excluded from the CMS variant.
    encounter("p18-a", "p18", D(2024, 5, 1), D(2024, 5, 3), age_at_admit=70, discharge_disposition_code="07"),
    # p99: the data's end.
    encounter(
        "p99-amb",
        "p99",
        D(2024, 12, 31),
        D(2024, 12, 31),
        encounter_class="ambulatory",
        is_acute_inpatient=False,
    ),
]

PAYERS = [
    {"payer_key": "payer-1", "payer_name": "Acme Health", "payer_type": "private"},
    {"payer_key": "payer-2", "payer_name": "Medicare", "payer_type": "medicare"},
]
VIEWS = ("v_readmission_index_stays", "readmission_rates", "v_readmission_rates")
LOCATIONS = [
    {
        "location_key": k,
        "location_name": n,
        "city": "Boston",
        "state": "MA",
        "zip3": "021",
        "is_inferred": False,
    }
    for k, n in [("fac-a", "General"), ("fac-b", "St Mary"), ("fac-c", "County")]
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> LocalQueryEngine:
    root: Path = tmp_path_factory.mktemp("readmission")
    lake = write_lake(
        root / "lake",
        {"gold.fact_encounter": COHORT, "gold.dim_payer": PAYERS, "gold.dim_location": LOCATIONS},
    )
    with LocalQueryEngine(lake, views_subset(root / "views", *VIEWS)) as engine:
        assert engine.failed_views == {}
        yield engine


@pytest.fixture(scope="module")
def stays(engine: LocalQueryEngine) -> dict[str, dict]:
    frame = engine.query("v_readmission_index_stays")
    return {row["stay_id"]: row for row in frame.to_dict("records")}


def test_transfers_merge_into_one_stay(stays: dict[str, dict]) -> None:
    stay = stays["p01-a"]
    assert "p01-b" not in stays and "p01-c" not in stays
    assert stay["encounter_count"] == 3 and stay["is_transfer_merged"]
    assert (stay["admit_date"].date(), stay["discharge_date"].date()) == (D(2024, 1, 1), D(2024, 1, 12))
    assert stay["length_of_stay_days"] == 11
    assert stay["discharge_encounter_id"] == "p01-c"
    assert stay["location_key"] == "fac-b" and stay["admit_location_key"] == "fac-a"
    assert stay["is_index_stay"] and not stay["is_readmitted_30d"]


def test_two_calendar_days_apart_is_a_readmission(stays: dict[str, dict]) -> None:
    first = stays["p02-a"]
    assert first["is_readmitted_30d"] and first["readmission_encounter_id"] == "p02-b"
    assert first["days_to_readmission"] == 2
    assert first["is_readmitted_elsewhere"] is False  # same facility
    assert stays["p02-b"]["is_index_stay"] and not stays["p02-b"]["is_readmitted_30d"]


def test_day_30_counts_and_day_31_does_not(stays: dict[str, dict]) -> None:
    assert stays["p03-a"]["is_readmitted_30d"] and stays["p03-a"]["days_to_readmission"] == 30
    assert stays["p04-a"]["is_index_stay"] and not stays["p04-a"]["is_readmitted_30d"]
    assert stays["p04-a"]["readmission_encounter_id"] is None
    assert stays["p04-b"]["is_index_stay"]


def test_planned_readmissions_are_not_readmissions(stays: dict[str, dict]) -> None:
    assert not stays["p05-a"]["is_readmitted_30d"]
    planned = stays["p05-b"]
    assert planned["is_planned_admission"] and planned["is_index_stay"]  # planned admissions are index stays


def test_hedis_skips_a_planned_readmission_cms_stops_at_it(stays: dict[str, dict]) -> None:
    first = stays["p06-a"]
    assert first["is_readmitted_30d"] and first["readmission_encounter_id"] == "p06-c"
    assert first["days_to_readmission"] == 17  # 06-03 -> 06-20
    assert first["is_cms_index_stay"] and first["is_cms_readmitted_30d"] is False
    planned = stays["p06-b"]
    assert planned["is_readmitted_30d"] and planned["is_cms_readmitted_30d"]
    assert planned["days_to_readmission"] == 11


def test_same_day_stays_are_excluded_as_index_but_count_as_readmissions(stays: dict[str, dict]) -> None:
    same_day = stays["p07-a"]
    assert same_day["exclusion_reason"] == "same_day_stay" and not same_day["is_index_stay"]
    assert same_day["is_readmitted_30d"] is None  # no outcome for a stay that is not an index stay
    assert stays["p08-a"]["is_readmitted_30d"] and stays["p08-a"]["readmission_encounter_id"] == "p08-b"
    assert stays["p08-b"]["exclusion_reason"] == "same_day_stay"


def test_death_in_hospital_is_excluded(stays: dict[str, dict]) -> None:
    died = stays["p09-a"]
    assert died["encounter_count"] == 2 and died["died_in_stay"]
    assert died["exclusion_reason"] == "died_in_stay" and died["cms_exclusion_reason"] == "died_in_stay"


def test_readmission_to_another_facility_counts_and_is_flagged(stays: dict[str, dict]) -> None:
    stay = stays["p10-a"]
    assert stay["is_readmitted_30d"] and stay["is_readmitted_elsewhere"]
    assert stay["days_to_readmission"] == 7


def test_cms_variant_starts_at_65(stays: dict[str, dict]) -> None:
    young, old = stays["p12-a"], stays["p13-a"]
    assert young["is_readmitted_30d"] and old["is_readmitted_30d"]
    assert not young["is_65_or_older"] and old["is_65_or_older"]
    assert young["cms_exclusion_reason"] == "under_65" and young["is_cms_readmitted_30d"] is None
    assert old["is_cms_index_stay"] and old["is_cms_readmitted_30d"]
    assert stays["p18-a"]["is_index_stay"]
    assert stays["p18-a"]["cms_exclusion_reason"] == "left_against_medical_advice"


def test_incomplete_follow_up_windows_are_excluded(stays: dict[str, dict]) -> None:
    assert stays["p14-a"]["exclusion_reason"] == "follow_up_incomplete"
    assert stays["p14-a"]["data_end_date"].date() == D(2024, 12, 31)
    complete = stays["p15-a"]  # 12-01 + 30 days = 12-31, the data's end
    assert complete["is_index_stay"] and complete["follow_up_end_date"].date() == D(2024, 12, 31)
    # readmitted to a stay that is still open at the data's end
    assert complete["is_readmitted_30d"] and complete["days_to_readmission"] == 19
    assert stays["p15-b"]["exclusion_reason"] == "not_discharged"


def test_non_acute_stays_neither_merge_nor_readmit(stays: dict[str, dict]) -> None:
    assert "p17-snf" not in stays and "p17-ed" not in stays
    stay = stays["p17-a"]
    assert stay["encounter_count"] == 1 and stay["readmission_encounter_id"] == "p17-b"
    assert stay["days_to_readmission"] == 18


def test_one_row_per_merged_acute_stay(stays: dict[str, dict]) -> None:
    # 35 encounters: 3 non-acute; p01 (3 -> 1) and p09 (2 -> 1) merge: 32 - 3 = 29 stays
    assert len(stays) == 29


def test_overall_rates(engine: LocalQueryEngine) -> None:
    rates = engine.query("readmission_rates").set_index("variant")
    # HEDIS index stays: p01 1, p02 2, p03 2, p04 2, p05 2, p06 3, p07 1 (p07-b), p08 1 (p08-a),
    # p10 2, p12 2, p13 2, p15 1 (p15-a), p17 2, p18 1 = 24 (p09 died, p14 incomplete, p07-a and
    # p08-b same-day, p15-b open are not).
    # Readmitted: p02-a, p03-a, p06-a, p06-b, p08-a, p10-a, p12-a, p13-a, p15-a, p17-a = 10.
    # Elsewhere: p10-a (fac-c), p13-a (fac-b) = 2.
    hedis = rates.loc["hedis_all_ages"]
    assert (hedis["index_stays"], hedis["readmissions"], hedis["readmissions_elsewhere"]) == (24, 10, 2)
    assert hedis["readmission_rate"] == pytest.approx(10 / 24)
    # CMS (65+ at admission): p06-a, p06-b, p06-c, p13-a, p13-b = 5 (p18-a left against advice).
    # Readmitted: p06-b, p13-a = 2 (p06-a's first readmission is planned); elsewhere: p13-a.
    cms = rates.loc["cms_65_plus"]
    assert (cms["index_stays"], cms["readmissions"], cms["readmissions_elsewhere"]) == (5, 2, 1)
    assert cms["readmission_rate"] == pytest.approx(0.4)


def test_rates_by_dimension(engine: LocalQueryEngine) -> None:
    frame = engine.query("v_readmission_rates")
    rows = {(r["variant"], r["dimension"], r["dimension_value"]): r for r in frame.to_dict("records")}

    def cell(*key: str) -> tuple[int, int, float]:
        row = rows[key]
        return row["index_stays"], row["readmissions"], row["readmission_rate"]

    # RSP is p06 alone: HEDIS 3 stays, 2 readmitted; CMS 3 stays, 1 readmitted (p06-b).
    assert cell("hedis_all_ages", "diagnosis_category", "RSP") == (3, 2, pytest.approx(2 / 3))
    assert cell("cms_65_plus", "diagnosis_category", "RSP") == (3, 1, pytest.approx(1 / 3))
    # 24 HEDIS index stays - 3 RSP = 21 CIR, readmitted 10 - 2 = 8
    assert cell("hedis_all_ages", "diagnosis_category", "CIR") == (21, 8, pytest.approx(8 / 21))
    # discharged in February: p02-a, p02-b, p12-a, p12-b, p13-a, p13-b; readmitted p02-a, p12-a, p13-a
    assert cell("hedis_all_ages", "discharge_month", "2024-02") == (6, 3, 0.5)
    # payer-2: p10-a, p10-b, p13-a, p13-b; readmitted p10-a, p13-a
    assert cell("hedis_all_ages", "payer", "payer-2") == (4, 2, 0.5)
    assert rows[("hedis_all_ages", "payer", "payer-2")]["dimension_label"] == "Medicare"
    # discharged at fac-b: the p01 chain and p13-b (p13-a was discharged at fac-a)
    assert cell("hedis_all_ages", "facility", "fac-b") == (2, 0, 0.0)
    assert rows[("hedis_all_ages", "facility", "fac-b")]["dimension_label"] == "St Mary"
    assert rows[("hedis_all_ages", "facility", "fac-a")]["readmissions_elsewhere"] == 2
    # every dimension adds up to the overall counts
    totals = frame.groupby(["variant", "dimension"])[["index_stays", "readmissions"]].sum()
    assert set(totals.loc["hedis_all_ages"].itertuples(index=False, name=None)) == {(24, 10)}
    assert set(totals.loc["cms_65_plus"].itertuples(index=False, name=None)) == {(5, 2)}


def test_rates_of_an_empty_variant_are_null(tmp_path: Path) -> None:
    lake = write_lake(
        tmp_path / "lake", {"gold.fact_encounter": [c for c in COHORT if c["patient_key"] in ("p02", "p99")]}
    )
    with LocalQueryEngine(lake, views_subset(tmp_path / "views", *VIEWS[:2])) as engine:
        rates = engine.query("readmission_rates").set_index("variant")
    assert rates.loc["hedis_all_ages", "index_stays"] == 2
    assert rates.loc["cms_65_plus", "index_stays"] == 0
    assert rates["readmission_rate"].isna().tolist() == [False, True]
