"""v_provider_ranking: the two provider ranking tables side by side (the rankings themselves
are docs/measures/provider-treatments.md's job)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from carelake.query import LocalQueryEngine
from tests.sql.reference_measures import views_subset, write_lake

BY_VOLUME = [
    {
        "provider_key": "a",
        "provider_name": "Dr A",
        "specialty": "Cardiology",
        "total_treatments": 40,
        "rank_by_treatments": 1,
    },
    {
        "provider_key": "b",
        "provider_name": "Dr B",
        "specialty": "Oncology",
        "total_treatments": 3,
        "rank_by_treatments": 2,
    },
]
BY_SUCCESS = [
    {
        "provider_key": "a",
        "successes": 30,
        "completed": 36,
        "success_rate": 30 / 36,
        "rank_by_success_rate": 2,
    },
    {"provider_key": "c", "successes": 9, "completed": 10, "success_rate": 0.9, "rank_by_success_rate": 1},
]
PROVIDERS = [
    {
        "provider_key": "a",
        "provider_name": "Dr A",
        "specialty": "Cardiology",
        "city": "Boston",
        "state": "MA",
    },
    {"provider_key": "c", "provider_name": "Dr C", "specialty": "Nephrology", "city": "Salem", "state": "MA"},
]


@pytest.fixture(scope="module")
def ranking(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root: Path = tmp_path_factory.mktemp("providers")
    tables = {
        "gold.provider_treatment_rank": BY_VOLUME,
        "gold.provider_success_rank": BY_SUCCESS,
        "gold.dim_provider": PROVIDERS,
    }
    lake = write_lake(root / "lake", tables)
    with LocalQueryEngine(lake, views_subset(root / "views", "v_provider_ranking")) as engine:
        frame = engine.query("v_provider_ranking")
    return {r["provider_key"]: r for r in frame.to_dict("records")}


def test_both_rankings_side_by_side(ranking: dict) -> None:
    a = ranking["a"]
    assert (a["provider_name"], a["city"], a["total_treatments"], a["rank_by_treatments"]) == (
        "Dr A",
        "Boston",
        40,
        1,
    )
    assert (a["success_rate"], a["rank_by_success_rate"]) == (pytest.approx(30 / 36), 2)


def test_providers_in_one_ranking_only(ranking: dict) -> None:
    assert set(ranking) == {"a", "b", "c"}
    b, c = ranking["b"], ranking["c"]
    assert b["rank_by_treatments"] == 2 and pd.isna(b["success_rate"])  # too few completed
    assert (c["provider_name"], c["specialty"], c["total_treatments"]) == ("Dr C", "Nephrology", 0)
    assert pd.isna(c["rank_by_treatments"])  # not ranked by volume
