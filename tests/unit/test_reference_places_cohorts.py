"""The cohort value sets and the ZIP place table against what they must cover: real ICD-10-CM
codes, the generator's chronic conditions, every facility ZIP the fixtures and the generator use."""

from __future__ import annotations

import csv
from collections import defaultdict

from carelake import reference as ref
from carelake.generate import directory
from carelake.generate.catalog import CONDITIONS
from tests.paths import CSV_FIXTURE_DIR


def _cohorts_of(icd10: str) -> set[str]:
    code = icd10.replace(".", "")
    return {
        row["cohort"]
        for row in ref.load("cohort_value_sets")
        if code.startswith(row["icd10cm_prefix"].replace(".", ""))
    }


def test_every_cohort_prefix_starts_real_icd10cm_codes() -> None:
    codes = ref.icd10cm_codes_in_use()
    for row in ref.load("cohort_value_sets"):
        assert any(code.startswith(row["icd10cm_prefix"]) for code in codes), row["icd10cm_prefix"]
        assert row["cohort_name"] and row["rationale"]


def test_the_generators_chronic_conditions_land_in_their_cohort() -> None:
    expected = {"COPD": {"copd"}, "Heart failure": {"heart_failure"}, "Diabetes": {"diabetes"}}
    for condition in CONDITIONS.values():
        assert _cohorts_of(condition.icd10) == expected.get(condition.disease, set()), condition
    assert _cohorts_of("R73.03") == set()  # prediabetes is not diabetes
    assert _cohorts_of("I11.9") == set() and _cohorts_of("I11.0") == {"heart_failure"}


def _zip5(raw: str) -> str:
    return raw.split("-")[0].zfill(5)


def test_every_facility_zip_has_one_place() -> None:
    places = {row["zip5"]: row for row in ref.load("zip_places")}
    spellings: dict[str, set[str]] = defaultdict(set)
    for table in (directory._H, directory._C, directory._U):
        for _, _, _, city, zip_code, *_ in table.values():
            spellings[_zip5(zip_code)].add(city)
    for name in ("organizations.csv", "providers.csv"):
        with (CSV_FIXTURE_DIR / name).open(newline="") as handle:
            for row in csv.DictReader(handle):
                spellings[_zip5(row["ZIP"])].add(row["CITY"])
    for region in directory._REGION_LAYOUT:
        for city in region[5]:
            spellings[city.zip].add(city.name)
    missing = sorted(set(spellings) - set(places))
    assert not missing, f"facility ZIPs without a place: {missing}"
    assert "PITTSFILED" in spellings["01201"] and places["01201"]["city"] == "Pittsfield"
    assert {row["state"] for row in places.values()} == {"MA"}
