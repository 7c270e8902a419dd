"""fact_treatment and the seven provider/treatment tables on a small treatment set.

Expected numbers are worked out by hand from the TREATMENTS table below (success rate =
success / (success + failure); ranks are dense_rank, ties share a rank).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from carelake.gold import dimensions
from carelake.gold import treatments as gt
from carelake.gold.inputs import frame

pytestmark = pytest.mark.spark


P1, P2, P3, P4 = "1111111111", "2222222222", "3333333333", "4444444444"
# id, npi, provider name, specialty, city, state, type, outcome, cost, date, patient MRN
TREATMENTS = [
    ("t01", P1, "Dr One", "Cardiology", "Boston", "MA", "Medication", "success", "100.00", "2024-01-05", "MRN-1"),
    ("t02", P1, "Dr One", "Cardiology", "Boston", "MA", "Medication", "success", "200.00", "2024-01-20", "MRN-1"),
    ("t03", P1, "Dr One", "Cardiology", "Boston", "MA", "Surgery", "success", "1000.00", "2024-02-03", "MRN-2"),
    ("t04", P1, "Dr One", "Cardiology", "Boston", "MA", "Surgery", "failure", "1500.00", "2024-02-10", "MRN-2"),
    ("t05", P1, "Dr One", "Cardiology", "Boston", "MA", "Medication", "success", "300.00", "2024-03-01", "MRN-3"),
    ("t06", P1, "Dr One MD", "Cardiology", "Boston", "MA", "Medication", "in_progress", "400.00", "2024-03-15", "MRN-X"),
    ("t07", P2, "Dr Two", "Oncology", "Worcester", "MA", "Chemotherapy", "failure", "5000.00", "2024-01-10", "MRN-4"),
    ("t08", P2, "Dr Two", "Oncology", "Worcester", "MA", "Chemotherapy", "success", "5000.00", "2024-02-11", "MRN-4"),
    ("t09", P2, "Dr Two", "Oncology", "Worcester", "MA", "Chemotherapy", "in_progress", "5000.00", "2024-02-12", "MRN-4"),
    ("t10", P2, "Dr Two", "Oncology", "Worcester", "MA", "Chemotherapy", "success", "2500.00", "2024-03-05", "MRN-5"),
    ("t11", P2, "Dr Two", "Oncology", "Worcester", "MA", "Chemotherapy", "failure", "2500.00", "2024-03-06", "MRN-5"),
    ("t12", P2, "Dr Two", "Oncology", "Worcester", "MA", "Chemotherapy", "success", "2500.00", "2024-03-07", "MRN-5"),
    ("t13", P3, "Dr Three", "Cardiology", "Providence", "RI", "Medication", "success", "50.00", "2024-01-15", "MRN-6"),
    ("t14", P3, "Dr Three", "Cardiology", "Providence", "RI", "Medication", "success", "50.00", "2024-02-15", "MRN-6"),
    ("t15", P3, "Dr Three", "Cardiology", "Providence", "RI", "Medication", "success", "50.01", "2024-03-15", "MRN-6"),
    ("t16", P4, "Dr Four", "Surgery", "Boston", "MA", "Surgery", "success", "2000.00", "2024-01-25", "MRN-1"),
    ("t17", P4, "Dr Four", "Surgery", "Boston", "MA", "Surgery", "success", "2000.00", "2024-02-25", "MRN-1"),
    ("t18", P4, "Dr Four", "Surgery", "Boston", "MA", "Surgery", "success", "2000.00", "2024-03-25", "MRN-1"),
    ("t19", P4, "Dr Four", "Surgery", "Boston", "MA", "Surgery", "failure", "2000.00", "2024-03-26", "MRN-1"),
    ("t20", P4, "Dr Four", "Surgery", "Boston", "MA", "Surgery", "success", "2000.00", "2024-03-27", "MRN-1"),
    ("t21", None, None, None, "Providence", "RI", "physical therapy ", "in_progress", "80.00", "2024-03-30", "MRN-2"),
]  # fmt: skip


def rows_of(df):
    return [r.asDict() for r in df.collect()]


def by(rows, *keys):
    return {tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r for r in rows}


@pytest.fixture(scope="module")
def tables(spark):
    silver_treatments = frame(spark, "fct_treatment", [
        {"treatment_id": t, "patient_id": mrn, "provider_npi": npi, "provider_name": name, "specialty": spec,
         "city": city, "state": state, "disease": "x", "treatment_type": kind, "outcome_status": outcome,
         "cost": Decimal(cost), "treatment_date": date.fromisoformat(day),
         "metadata_modified_at": datetime.fromisoformat(day)}
        for t, npi, name, spec, city, state, kind, outcome, cost, day, mrn in TREATMENTS
    ])  # fmt: skip
    patients = frame(spark, "dim_patient", [
        *({"patient_key": f"pk-{i}", "ehr_patient_id": f"e-{i}", "mrn": f"MRN-{i}"} for i in range(1, 7)),
        {"patient_key": "pk-0-outreach-only", "ehr_patient_id": None, "mrn": "MRN-6"},  # EHR person wins
    ])  # fmt: skip
    providers = frame(spark, "dim_provider", [
        {"provider_key": P1, "npi": P1, "provider_name": "Dr. One", "specialty": "CARDIOLOGY", "is_inferred": False},
        {"provider_key": "id:p9", "npi": None, "provider_name": "Dr Nine", "specialty": "GP", "is_inferred": False},
    ])  # fmt: skip
    types = dimensions.dim_treatment_type(silver_treatments)
    fact = gt.fact_treatment(silver_treatments, patients, types).persist()
    out = {
        "fact_treatment": rows_of(fact),
        "dim_treatment_type": rows_of(types),
        "dim_provider": rows_of(dimensions.dim_provider(providers, silver_treatments)),
    }
    for name in ("provider_treatment_rank", "provider_success_rank", "treatment_success_monthly",
                 "treatment_geography", "treatment_cost_by_type", "treatments_by_city", "provider_success_rate"):  # fmt: skip
        out[name] = rows_of(getattr(gt, name)(fact))
    yield out
    fact.unpersist()


def test_fact_treatment_keys(tables):
    fact = by(tables["fact_treatment"], "treatment_id")
    assert len(fact) == 21
    assert fact["t01"] == {
        "treatment_id": "t01", "patient_key": "pk-1", "provider_key": P1, "provider_name": "Dr One",
        "specialty": "Cardiology", "city": "Boston", "state": "MA", "disease": "x",
        "treatment_type_key": "medication", "treatment_type": "Medication", "outcome_status": "success",
        "is_success": True, "cost": Decimal("100.00"), "treatment_date": date(2024, 1, 5),
        "treatment_date_key": 20240105,
    }  # fmt: skip
    assert fact["t06"]["patient_key"] is None  # MRN-X matches no patient: kept, key null
    assert fact["t13"]["patient_key"] == "pk-6"  # the EHR person, not the outreach-only record
    assert (fact["t21"]["provider_key"], fact["t21"]["treatment_type_key"], fact["t21"]["treatment_type"]) == (
        None, "physical_therapy", "physical therapy")  # fmt: skip
    assert {r["treatment_type_key"]: r["treatment_type"] for r in tables["dim_treatment_type"]} == {
        "medication": "Medication", "surgery": "Surgery", "chemotherapy": "Chemotherapy",
        "physical_therapy": "physical therapy",
    }  # fmt: skip


def test_dim_provider_gets_inferred_rows_for_treatment_providers(tables):
    providers = by(tables["dim_provider"], "provider_key")
    assert set(providers) == {P1, "id:p9", P2, P3, P4}
    assert (providers[P1]["provider_name"], providers[P1]["is_inferred"]) == (
        "Dr. One",
        False,
    )  # the source wins
    assert providers[P2] == {"provider_key": P2, "npi": P2, "provider_name": "Dr Two", "specialty": "ONCOLOGY",
                             "organization_id": None, "city": "Worcester", "state": "MA", "is_inferred": True}  # fmt: skip


def test_providers_ranked_by_total_treatments(tables):
    # P1 6, P2 6 -> rank 1 (tie); P4 5 -> 2; P3 3 -> 3 (dense). t21 has no provider.
    ranks = {
        r["provider_key"]: (r["total_treatments"], r["rank_by_treatments"])
        for r in tables["provider_treatment_rank"]
    }
    assert ranks == {P1: (6, 1), P2: (6, 1), P4: (5, 2), P3: (3, 3)}
    p1 = by(tables["provider_treatment_rank"], "provider_key")[P1]
    assert (p1["provider_name"], p1["specialty"]) == ("Dr One MD", "Cardiology")  # the latest record (t06)


def test_providers_ranked_by_success_rate(tables):
    # completed = success + failure. P1 4/5 = 0.8, P4 4/5 = 0.8 -> rank 1 (tie); P2 3/5 = 0.6 -> 2;
    # P3 has 3 completed (< 5): not ranked.
    ranks = {r["provider_key"]: (r["successes"], r["completed"], r["success_rate"], r["rank_by_success_rate"])
             for r in tables["provider_success_rank"]}  # fmt: skip
    assert ranks == {P1: (4, 5, 0.8, 1), P4: (4, 5, 0.8, 1), P2: (3, 5, 0.6, 2)}


def test_provider_success_rate_for_every_provider(tables):
    rates = {r["provider_key"]: (r["provider_name"], r["successes"], r["completed"], r["success_rate"])
             for r in tables["provider_success_rate"]}  # fmt: skip
    assert rates == {
        P1: ("Dr One MD", 4, 5, 0.8), P2: ("Dr Two", 3, 5, 0.6), P3: ("Dr Three", 3, 3, 1.0), P4: ("Dr Four", 4, 5, 0.8),
    }  # fmt: skip


def test_monthly_success_trend(tables):
    # 2024-01: t01 s, t02 s, t07 f, t13 s, t16 s                     -> 5 treatments, 4 / 5 = 0.8
    # 2024-02: t03 s, t04 f, t08 s, t09 ip, t14 s, t17 s             -> 6 treatments, 4 / 5 = 0.8
    # 2024-03: t05 s, t06 ip, t10 s, t11 f, t12 s, t15 s, t18 s, t19 f, t20 s, t21 ip
    #                                                                -> 10 treatments, 6 / 8 = 0.75
    monthly = {r["year_month"]: (r["treatments"], r["successes"], r["completed"], r["success_rate"])
               for r in tables["treatment_success_monthly"]}  # fmt: skip
    assert monthly == {"2024-01": (5, 4, 5, 0.8), "2024-02": (6, 4, 5, 0.8), "2024-03": (10, 6, 8, 0.75)}


def test_geography_and_city_totals(tables):
    # Boston MA: P1 6 + P4 5 = 11; Worcester MA: 6; Providence RI: P3 3 + t21 = 4; total 21
    geo = {
        (r["state"], r["city"]): (r["treatments"], r["share_of_treatments"])
        for r in tables["treatment_geography"]
    }
    assert geo == {
        ("MA", "Boston"): (11, 11 / 21),
        ("MA", "Worcester"): (6, 6 / 21),
        ("RI", "Providence"): (4, 4 / 21),
    }
    cities = {(r["city"], r["state"]): r["total_treatments"] for r in tables["treatments_by_city"]}
    assert cities == {("Boston", "MA"): 11, ("Worcester", "MA"): 6, ("Providence", "RI"): 4}


def test_average_cost_by_type(tables):
    # Medication: 100 + 200 + 300 + 400 + 50 + 50 + 50.01 = 1150.01 / 7 = 164.2871.. -> 164.29
    # Surgery: 1000 + 1500 + 5 x 2000 = 12500.00 / 7 = 1785.714.. -> 1785.71
    # Chemotherapy: 3 x 5000 + 3 x 2500 = 22500.00 / 6 = 3750.00; physical therapy: 80.00
    costs = {r["treatment_type"]: (r["treatments"], r["average_cost"], r["total_cost"])
             for r in tables["treatment_cost_by_type"]}  # fmt: skip
    assert costs == {
        "Medication": (7, Decimal("164.29"), Decimal("1150.01")),
        "Surgery": (7, Decimal("1785.71"), Decimal("12500.00")),
        "Chemotherapy": (6, Decimal("3750.00"), Decimal("22500.00")),
        "physical therapy": (1, Decimal("80.00"), Decimal("80.00")),
    }
