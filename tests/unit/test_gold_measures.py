"""silver -> gold on a hand-built cohort: LACE, fact_encounter flags, outreach list, alert feed
rows and de-identification. Every expected number is worked out by hand in the comments.

as_of = 2024-06-30. LACE points (van Walraven 2010, reference table lace_points):
L days 0->0, 1->1, 2->2, 3->3, 4-6->4, 7-13->5, >=14->7; A emergent 3; C 0-3 as is, >=4->5;
E 0-3 as is, >=4->4. Bands: low < 5, moderate 5-9, high >= 10; the list takes >= 10.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from carelake import reference as ref
from carelake.gold.build import build_gold
from carelake.gold.inputs import SILVER_INPUTS, empty, frame
from carelake.gold.schemas import ALERT_FEED_KEYS, GOLD_SCHEMAS

pytestmark = pytest.mark.spark


AS_OF = date(2024, 6, 30)
D = date.fromisoformat


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute)


# --- the cohort ------------------------------------------------------------------------------

ENCOUNTERS: list[dict] = []
PROCEDURES: list[dict] = []
CONDITIONS: list[dict] = []
OUTREACH: list[dict] = []


def stay(eid, pk, admit, discharge, *, cls="inpatient", org="org-a", disposition="01", reason=None,
         start_hour=10, end_hour=12, procedure=None):  # fmt: skip
    """An encounter admitted on ``admit`` at start_hour and discharged on ``discharge`` at end_hour."""
    reason_icd = ref.snomed_to_icd10(reason) if reason else None
    ENCOUNTERS.append({
        "encounter_id": eid, "patient_key": pk, "encounter_class": cls, "encounter_type_code": "32485007",
        "start_at": at(admit, start_hour), "end_at": at(discharge, end_hour), "admit_date": D(admit),
        "discharge_date": D(discharge), "length_of_stay_days": (D(discharge) - D(admit)).days,
        "discharge_disposition_code": disposition, "provider_key": "1000000001", "organization_id": org,
        "payer_key": "medicare", "reason_code": reason, "reason_icd10cm_code": reason_icd,
    })  # fmt: skip
    if procedure:
        PROCEDURES.append({"patient_key": pk, "encounter_id": eid, "snomed_code": procedure, "cpt_code": None,
                           "performed_at": at(admit, start_hour + 1)})  # fmt: skip


def ed_visit(eid, pk, day, start_hour, end_hour, end_day=None):
    stay(
        eid,
        pk,
        day,
        end_day or day,
        cls="emergency",
        disposition=None,
        start_hour=start_hour,
        end_hour=end_hour,
    )


def condition(pk, snomed, onset):
    CONDITIONS.append({"patient_key": pk, "snomed_code": snomed, "onset_date": D(onset), "abatement_date": None,
                       "icd10cm_code": ref.snomed_to_icd10(snomed)})  # fmt: skip


# LOS boundaries: elective, no comorbidity, no ED visit, so LACE = L points.
LOS_POINTS = {0: 0, 1: 1, 3: 3, 4: 4, 6: 4, 7: 5, 13: 5, 14: 7}
for los in LOS_POINTS:
    stay(f"e-l{los}", f"pk-l{los}", "2024-06-01", (D("2024-06-01") + timedelta(days=los)).isoformat())

# pk-hi: emergent, heavy comorbidity, three earlier ED visits.
ed_visit("e-hi-ed-own", "pk-hi", "2024-05-10", 2, 6)  # ends on the admission day: admits the patient
stay("e-hi", "pk-hi", "2024-05-10", "2024-05-15", reason="88805009")  # L: 5 days -> 4
ed_visit("e-hi-ed1", "pk-hi", "2023-11-10", 9, 11)  # = add_months(2024-05-10, -6): counts
ed_visit("e-hi-ed0", "pk-hi", "2023-11-09", 9, 11)  # one day earlier: does not count
ed_visit("e-hi-ed2", "pk-hi", "2024-01-15", 9, 11)  # counts
ed_visit("e-hi-ed3", "pk-hi", "2024-03-01", 9, 11)  # counts
ed_visit("e-hi-ed-after", "pk-hi", "2024-06-01", 9, 11)  # after the index stay: does not count
condition("pk-hi", "88805009", "2019-01-01")  # CHF (I50.9): LACE weight 2
condition("pk-hi", "44054006", "2015-01-01")  # type 2 diabetes (E11.9): 1, superseded by ->
condition("pk-hi", "127013003", "2020-01-01")  # diabetic kidney disease (E11.29): end organ damage 2
condition("pk-hi", "363406005", "2022-01-01")  # colon cancer (C18.9): any tumour 2, superseded by ->
condition("pk-hi", "94260004", "2023-01-01")  # secondary malignancy of colon (C78.5): metastatic 6
condition("pk-hi", "13645005", "2024-06-01")  # COPD, onset after the index discharge: not counted
# Charlson (LACE weights) = 2 + 2 + 6 = 10 -> C 5; E: 3 visits -> 3; A 3; L 4. LACE = 4+3+5+3 = 15.

# pk-ten: LOS 14 (7) + emergent (3) = 10: exactly the threshold, on the list.
ed_visit("e-ten-ed", "pk-ten", "2024-05-01", 0, 3)
stay("e-ten", "pk-ten", "2024-05-01", "2024-05-15")

# pk-nine: LOS 14 (7) + E 2 = 9: moderate, not on the list. Its ED visit of the day before ends
# the day before: the admission is not emergent, and that visit counts in E.
ed_visit("e-nine-ed1", "pk-nine", "2024-02-01", 9, 11)
ed_visit("e-nine-ed2", "pk-nine", "2024-04-30", 20, 23)
stay("e-nine", "pk-nine", "2024-05-01", "2024-05-15")

# pk-latest: the latest acute stay is the index; a later rehabilitation stay is not acute.
stay("e-latest-a", "pk-latest", "2024-01-01", "2024-01-21")
stay("e-latest-b", "pk-latest", "2024-03-01", "2024-03-03")  # index: L 2 days -> 2
stay("e-latest-rehab", "pk-latest", "2024-04-01", "2024-04-20", procedure="52052004")

# pk-xfer: transferred (NUBC 02) to org-b the same day: one episode 2024-04-01..04-06, L 5 -> 4.
stay("e-xfer-1", "pk-xfer", "2024-04-01", "2024-04-03", disposition="02", end_hour=11)
stay("e-xfer-2", "pk-xfer", "2024-04-03", "2024-04-06", org="org-b", start_hour=14)

# pk-xfer2: discharged home (01) but admitted at another facility the next day: a transfer by dates.
stay("e-xfer2-1", "pk-xfer2", "2024-02-01", "2024-02-05")
stay("e-xfer2-2", "pk-xfer2", "2024-02-06", "2024-02-08", org="org-b")

# pk-readmit: back at the same facility the next day: not a transfer out (LACE still merges the
# two stays: admitted 1 day after the discharge, so one episode 2024-03-01..03-07, L 6 -> 4).
stay("e-readmit-1", "pk-readmit", "2024-03-01", "2024-03-04")
stay("e-readmit-2", "pk-readmit", "2024-03-05", "2024-03-07")

# Deaths: NUBC 20; a death date inside the stay; a death after the stay (not in the stay).
stay("e-died", "pk-died", "2024-06-10", "2024-06-12", disposition="20")
stay("e-died2", "pk-died2", "2024-06-10", "2024-06-14", disposition=None)
stay("e-dead-later", "pk-dead-later", "2024-03-01", "2024-03-03")

# Planned chemotherapy admission (acute, planned); rehabilitation (planned, not acute); SNF (not acute).
stay("e-chemo", "pk-chemo", "2024-06-05", "2024-06-06", reason="254637007", procedure="367336001")
stay("e-rehab", "pk-rehab", "2024-05-01", "2024-05-10", procedure="52052004")
stay("e-snf", "pk-snf", "2024-05-01", "2024-05-20", cls="snf")

# In hospital on as_of (admitted 2024-06-25, discharged after as_of): not scored on the January stay.
stay("e-inhouse-old", "pk-inhouse", "2024-01-10", "2024-01-12")
stay("e-inhouse", "pk-inhouse", "2024-06-25", "2024-07-05")

# Over 89: born 1930-01-01, 94 on admission -> 90.
stay("e-old", "pk-old", "2024-02-01", "2024-02-02")

# Outreach for pk-hi (index discharge 2024-05-15).
OUTREACH += [
    {"outreach_id": "o1", "patient_key": "pk-hi", "coordinator_id": "cm-1", "event_at": at("2024-05-12", 15),
     "event_local_date": D("2024-05-12"), "status": "reached"},  # during the stay: not after discharge
    {"outreach_id": "o2", "patient_key": "pk-hi", "coordinator_id": "cm-1", "event_at": at("2024-05-20", 14),
     "event_local_date": D("2024-05-20"), "status": "no_answer"},
    {"outreach_id": "o3", "patient_key": "pk-hi", "coordinator_id": "cm-2", "event_at": at("2024-05-21", 15),
     "event_local_date": D("2024-05-21"), "channel": "phone", "status": "left_message",
     "is_successful": False},  # latest: the last status
    {"outreach_id": "o4", "patient_key": "pk-hi", "coordinator_id": "cm-3", "event_at": at("2024-07-02", 9),
     "event_local_date": D("2024-07-02"), "channel": "sms", "status": "reached",
     "is_successful": True},  # after as_of
    # an MRN the MPI did not resolve: kept in fact_outreach with patient_key null
    {"outreach_id": "o5", "patient_key": None, "coordinator_id": "cm-1", "event_at": at("2024-06-01", 9),
     "event_local_date": D("2024-06-01"), "channel": "phone", "status": "reached", "is_successful": True},
]  # fmt: skip

PATIENT_KEYS = sorted({e["patient_key"] for e in ENCOUNTERS})
BIRTH = {pk: date(1960, 3, 15) for pk in PATIENT_KEYS} | {"pk-old": date(1930, 1, 1)}
DEATH = {"pk-died": D("2024-06-12"), "pk-died2": D("2024-06-13"), "pk-dead-later": D("2024-05-01")}
ZIP3 = {pk: "021" for pk in PATIENT_KEYS} | {"pk-hi": "036", "pk-ten": "893"}  # both restricted -> '000'
PATIENTS = [
    {"patient_key": pk, "ehr_patient_id": f"ehr-{pk}", "mrn": f"MRN-{i:04d}", "gender": "F", "birth_date": BIRTH[pk],
     "death_date": DEATH.get(pk), "race": "white", "ethnicity": "nonhispanic", "zip3": ZIP3[pk]}
    for i, pk in enumerate(PATIENT_KEYS)
]  # fmt: skip
ORGANIZATIONS = [
    {"organization_id": "org-a", "organization_name": "General Hospital", "city": "Boston", "state": "MA",
     "zip5": "02115", "is_inferred": False},
    {"organization_id": "org-b", "organization_name": "Second Hospital", "city": "Andover", "state": "MA",
     "zip5": "03601", "is_inferred": False},
]  # fmt: skip
CLAIMS = [
    {"claim_key": "c1", "source": "ehr_fhir", "patient_key": "pk-hi", "encounter_id": "e-hi", "payer_key": "medicare",
     "provider_npi": "1000000001", "provider_id": None, "service_from": at("2024-05-10", 10),
     "diagnosis_code": "88805009", "diagnosis_system": "snomed", "icd10cm_code": "I50.9",
     "billed_amount": Decimal("1000.00"), "allowed_amount": Decimal("800.00"), "paid_amount": Decimal("0.00"),
     "claim_status": "denied", "denial_reason": "CO-50"},
    {"claim_key": "c2", "source": "partner:aetna", "patient_key": "pk-ten", "encounter_id": None,
     "payer_key": "aetna", "provider_npi": None, "provider_id": "prov-9", "service_from": at("2024-05-02", 0),
     "diagnosis_code": "160903007", "diagnosis_system": "snomed", "icd10cm_code": None,
     "billed_amount": Decimal("50.00"), "allowed_amount": Decimal("40.00"), "paid_amount": Decimal("40.00"),
     "claim_status": "paid", "denial_reason": None},
]  # fmt: skip
TREATMENTS = [
    {"treatment_id": "t1", "patient_id": "MRN-0000", "provider_npi": "1234567893", "provider_name": "Dr A",
     "specialty": "Cardiology", "city": "Boston", "state": "MA", "disease": "Hypertension",
     "treatment_type": "Medication", "outcome_status": "success", "cost": Decimal("10.00"),
     "treatment_date": D("2024-03-01"), "metadata_modified_at": at("2024-03-05", 10)},
]  # fmt: skip


@pytest.fixture(scope="module")
def gold(spark):
    silver = {name: empty(spark, name) for name in SILVER_INPUTS}
    silver |= {
        "fct_encounter": frame(spark, "fct_encounter", ENCOUNTERS),
        "fct_procedure": frame(spark, "fct_procedure", PROCEDURES),
        "fct_condition": frame(spark, "fct_condition", CONDITIONS),
        "fct_outreach": frame(spark, "fct_outreach", OUTREACH),
        "dim_patient": frame(spark, "dim_patient", PATIENTS),
        "dim_organization": frame(spark, "dim_organization", ORGANIZATIONS),
        "fct_claim": frame(spark, "fct_claim", CLAIMS),
        "fct_treatment": frame(spark, "fct_treatment", TREATMENTS),
    }
    # The cohort's discharges lie 1-3 months before AS_OF: a 90-day outreach window keeps them listed
    # (the 30-day default is tested on its own below).
    output = build_gold(silver, AS_OF, 10, outreach_window_days=90)
    for shared in output.shared:  # as the job does: the tables below share these
        shared.persist()
    collected = {
        name: [r.asDict() for r in output.tables[name].collect()]
        for name in ("fact_encounter", "patient_risk", "high_risk_outreach_list", "dim_patient", "fact_claim",
                     "fact_treatment", "fact_outreach", "dim_diagnosis", "dim_date")
    }  # fmt: skip
    collected["alert_feed"] = [r.asDict() for r in output.alert_feed.collect()]
    collected["_columns"] = {name: df.columns for name, df in output.tables.items()}
    yield collected
    for shared in output.shared:
        shared.unpersist()


def by(rows, key):
    return {r[key]: r for r in rows}


# --- LACE ------------------------------------------------------------------------------------------


def test_length_of_stay_points_at_every_boundary(gold):
    risk = by(gold["patient_risk"], "patient_key")
    for los, points in LOS_POINTS.items():
        row = risk[f"pk-l{los}"]
        assert (row["length_of_stay_days"], row["l_points"]) == (los, points), los
        assert (row["a_points"], row["c_points"], row["e_points"]) == (0, 0, 0)
        assert row["lace_score"] == points
    assert risk["pk-l4"]["risk_band"] == "low"  # 4 < 5
    assert risk["pk-l7"]["risk_band"] == "moderate"  # 5
    assert risk["pk-l14"]["risk_band"] == "moderate"  # 7


def test_emergent_comorbid_patient_scores_every_component(gold):
    row = by(gold["patient_risk"], "patient_key")["pk-hi"]
    # same arithmetic through the reference helper: CHF 2 + end-organ diabetes 2 + metastatic 6
    assert ref.charlson_score(["I50.9", "E11.9", "E11.29", "C18.9", "C78.5"], scheme="lace") == 10
    assert row == row | {
        "index_encounter_id": "e-hi", "discharge_date": D("2024-05-15"), "length_of_stay_days": 5, "l_points": 4,
        "a_points": 3, "charlson_index": 10, "c_points": 5, "ed_visits_6m": 3, "e_points": 3,
        "lace_score": 15, "risk_band": "high", "as_of": AS_OF,
    }  # fmt: skip


def test_threshold_boundary_and_ed_visit_of_the_day_before(gold):
    risk = by(gold["patient_risk"], "patient_key")
    assert (risk["pk-ten"]["l_points"], risk["pk-ten"]["a_points"], risk["pk-ten"]["lace_score"]) == (
        7,
        3,
        10,
    )
    assert risk["pk-ten"]["ed_visits_6m"] == 0  # its own ED visit is not counted
    assert (risk["pk-nine"]["a_points"], risk["pk-nine"]["ed_visits_6m"], risk["pk-nine"]["lace_score"]) == (
        0,
        2,
        9,
    )
    listed = {r["patient_key"] for r in gold["high_risk_outreach_list"]}
    assert listed == {"pk-hi", "pk-ten"}  # 15 and exactly 10; 9 is not


def test_index_stay_is_the_latest_acute_episode(gold):
    risk = by(gold["patient_risk"], "patient_key")
    assert (risk["pk-latest"]["index_encounter_id"], risk["pk-latest"]["l_points"]) == ("e-latest-b", 2)
    # transfer: one episode from 2024-04-01 to 2024-04-06 (5 days -> 4), index = the second leg
    assert (risk["pk-xfer"]["index_encounter_id"], risk["pk-xfer"]["length_of_stay_days"]) == ("e-xfer-2", 5)
    assert risk["pk-readmit"]["length_of_stay_days"] == 6  # 2024-03-01..03-07, merged (gap < 2 days)
    # not scored: died in the stay (NUBC 20 / death date in the stay), died since, no acute stay
    assert not {"pk-died", "pk-died2", "pk-dead-later", "pk-rehab", "pk-snf", "pk-inhouse"} & set(risk)
    assert set(risk) == {r["patient_key"] for r in gold["patient_risk"]}  # one row per patient


def test_outreach_list_has_mrn_clinic_and_last_outreach(gold):
    rows = by(gold["high_risk_outreach_list"], "patient_key")
    mrn = {p["patient_key"]: p["mrn"] for p in PATIENTS}
    assert rows["pk-hi"] == {
        "patient_key": "pk-hi", "mrn": mrn["pk-hi"], "clinic_id": "org-a", "clinic_name": "General Hospital",
        "lace_score": 15, "risk_band": "high", "discharge_date": D("2024-05-15"),
        "last_outreach_status": "left_message", "last_outreach_at": at("2024-05-21", 15),
        "last_coordinator_id": "cm-2",
    }  # fmt: skip
    assert (rows["pk-ten"]["last_outreach_status"], rows["pk-ten"]["last_outreach_at"]) == (None, None)


def test_fact_outreach_is_every_silver_event_without_identifiers(gold):
    rows = by(gold["fact_outreach"], "outreach_id")
    assert set(rows) == {o["outreach_id"] for o in OUTREACH}  # every event, resolved or not
    assert gold["_columns"]["fact_outreach"] == [
        "outreach_id", "patient_key", "coordinator_id", "event_at", "event_local_date", "channel", "status",
        "is_successful",
    ]  # fmt: skip
    assert rows["o4"] == {
        "outreach_id": "o4", "patient_key": "pk-hi", "coordinator_id": "cm-3", "event_at": at("2024-07-02", 9),
        "event_local_date": D("2024-07-02"), "channel": "sms", "status": "reached", "is_successful": True,
    }  # fmt: skip
    assert rows["o5"]["patient_key"] is None and rows["o5"]["is_successful"] is True


def test_alert_feed_rows_have_exactly_the_contract_keys(gold):
    feed = gold["alert_feed"]
    assert [tuple(r) for r in feed] == [ALERT_FEED_KEYS] * 2
    assert feed[0] == {
        "feed_version": 2, "patient_key": "pk-hi", "clinic_id": "org-a", "clinic_name": "General Hospital",
        "lace_score": 15, "risk_band": "high", "call_reason": "not_reached_since_discharge",
        "last_successful_outreach_at": None,  # o1 reached pk-hi during the stay, o4 after as_of
    }  # fmt: skip
    assert feed[1]["patient_key"] == "pk-ten" and feed[1]["call_reason"] == "not_reached_since_discharge"


def test_point_bands_are_the_reference_helper(spark):
    from pyspark.sql import functions as F

    from carelake.gold.reference import lace_points

    values = spark.range(0, 26, numPartitions=1).select(F.col("id").cast("int").alias("v"))
    got = values.select("v", *(lace_points(c, F.col("v")).alias(c) for c in "LCE")).collect()
    for row in got:
        for component in "LCE":
            assert row[component] == ref.lace_points(component, row["v"]), (component, row["v"])
    acute = spark.range(0, 2, numPartitions=1).select(lace_points("A", F.col("id")).alias("a")).collect()
    assert [r["a"] for r in acute] == [0, 3]


# --- fact_encounter flags ---------------------------------------------------------------------------


def flags(row):
    return {k: row[k] for k in ("is_acute_inpatient", "is_planned", "is_emergency_admission", "is_transfer_out",
                                "died_in_stay")}  # fmt: skip


def test_encounter_flags(gold):
    enc = by(gold["fact_encounter"], "encounter_id")
    plain = {"is_acute_inpatient": True, "is_planned": False, "is_emergency_admission": False,
             "is_transfer_out": False, "died_in_stay": False}  # fmt: skip
    assert flags(enc["e-l0"]) == plain and enc["e-l0"]["length_of_stay_days"] == 0  # same-day stay
    assert flags(enc["e-hi"]) == plain | {"is_emergency_admission": True}
    assert flags(enc["e-nine"]) == plain  # an ED visit ending the day before is not its admission
    assert flags(enc["e-xfer-1"]) == plain | {"is_transfer_out": True}  # NUBC 02
    assert flags(enc["e-xfer-2"]) == plain
    assert flags(enc["e-xfer2-1"]) == plain | {"is_transfer_out": True}  # another facility the next day
    assert flags(enc["e-readmit-1"]) == plain  # same facility the next day: not a transfer
    assert flags(enc["e-died"]) == plain | {"died_in_stay": True}  # NUBC 20
    assert flags(enc["e-died2"]) == plain | {"died_in_stay": True}  # death date within the stay
    assert flags(enc["e-dead-later"]) == plain
    assert flags(enc["e-chemo"]) == plain | {"is_planned": True}  # chemotherapy: planned, still acute
    assert flags(enc["e-rehab"]) == plain | {"is_planned": True, "is_acute_inpatient": False}
    assert flags(enc["e-snf"]) == plain | {"is_acute_inpatient": False}  # non-acute class
    assert flags(enc["e-hi-ed-own"]) == plain | {"is_acute_inpatient": False}  # an ED visit is no admission


def test_encounter_keys_and_diagnosis(gold):
    row = by(gold["fact_encounter"], "encounter_id")["e-hi"]
    assert row == row | {
        "admit_date_key": 20240510, "discharge_date_key": 20240515, "age_at_admit": 64, "location_key": "org-a",
        "provider_key": "1000000001", "payer_key": "medicare", "diagnosis_key": "I50.9", "diagnosis_category": "CIR",
    }  # fmt: skip
    assert by(gold["fact_encounter"], "encounter_id")["e-old"]["age_at_admit"] == 90  # 94 -> 90
    dx = by(gold["dim_diagnosis"], "diagnosis_key")
    assert dx["I50.9"] == {"diagnosis_key": "I50.9", "icd10cm_code": "I50.9", "icd10cm_display": "Heart failure, unspecified",
                           "diagnosis_category": "CIR", "diagnosis_category_name": "Diseases of the circulatory system",
                           "charlson_group": "chf"}  # fmt: skip
    assert dx["UNMAPPED:160903007"]["diagnosis_category"] == "Unmapped"
    claims = by(gold["fact_claim"], "claim_key")
    assert claims["c1"] == claims["c1"] | {"service_date_key": 20240510, "service_month": "2024-05", "is_denied": True,
                                           "diagnosis_category": "CIR", "provider_key": "1000000001"}  # fmt: skip
    assert (claims["c2"]["provider_key"], claims["c2"]["diagnosis_key"]) == (
        "id:prov-9",
        "UNMAPPED:160903007",
    )


def test_dim_date_covers_every_fact_date(gold):
    days = by(gold["dim_date"], "date_key")
    used = {r[k] for r in gold["fact_encounter"] for k in ("admit_date_key", "discharge_date_key")}
    used |= {r["service_date_key"] for r in gold["fact_claim"]} | {
        r["treatment_date_key"] for r in gold["fact_treatment"]
    }
    used |= {int(r["event_local_date"].strftime("%Y%m%d")) for r in gold["fact_outreach"]}
    assert used <= set(days)
    # contiguous from the earliest fact date (ED visit 2023-11-09) to the latest (discharge
    # 2024-07-05, after as_of): 235 days to 2024-06-30 + 5 = 240
    assert (min(days), max(days), len(days)) == (20231109, 20240705, 240)
    assert days[20240510] == {"date_key": 20240510, "date": D("2024-05-10"), "year": 2024, "quarter": 2, "month": 5,
                              "year_month": "2024-05", "month_name": "May", "day_of_month": 10,
                              "iso_day_of_week": 5, "is_weekend": False}  # a Friday  # fmt: skip
    assert (days[20240512]["iso_day_of_week"], days[20240512]["is_weekend"]) == (7, True)  # a Sunday


# --- de-identification -------------------------------------------------------------------------------


IDENTIFYING_NAME = re.compile(r"name|ssn|mrn|address|street|phone|birth_date|patient_id|email", re.I)
ALLOWED_NAMES = {
    "provider_name",
    "location_name",
    "payer_name",
    "month_name",
    "clinic_name",
    "diagnosis_category_name",
    "user_name",  # care_team_assignment: the coordinator's (staff) sign-in name, not a patient's
    # names of codes, not of people
    "carc_group_name",
    "procedure_category_name",
    "cohort_name",
}


def test_no_direct_identifiers_in_deidentified_gold(gold):
    for table, columns in gold["_columns"].items():
        if table in ("high_risk_outreach_list", "care_team_worklist"):  # phi, care coordinators only
            assert [c for c in columns if IDENTIFYING_NAME.search(c) and c not in ALLOWED_NAMES] == ["mrn"]
            continue
        assert not [c for c in columns if IDENTIFYING_NAME.search(c) and c not in ALLOWED_NAMES], table
    assert not [k for k in ALERT_FEED_KEYS if IDENTIFYING_NAME.search(k) and k not in ALLOWED_NAMES]
    # and no value anywhere is an MRN or a full birth date
    secrets = {p["mrn"] for p in PATIENTS} | set(BIRTH.values()) | {d.isoformat() for d in BIRTH.values()}
    for table in (
        "dim_patient",
        "fact_encounter",
        "fact_claim",
        "fact_treatment",
        "fact_outreach",
        "alert_feed",
        "patient_risk",
    ):
        for row in gold[table]:
            assert not secrets & set(row.values()), (table, row)


def test_dim_patient_ages_years_and_zip3(gold):
    patients = by(gold["dim_patient"], "patient_key")
    # born 1930-01-01: 94 on as_of -> 90, band 85+, birth year withheld (it would reveal the age)
    assert patients["pk-old"] == patients["pk-old"] | {"age": 90, "age_band": "85+", "birth_year": None}
    # born 1960-03-15: 64 on 2024-06-30
    assert patients["pk-l0"] == patients["pk-l0"] | {"age": 64, "age_band": "50-64", "birth_year": 1960,
                                                      "zip3": "021", "is_deceased": False, "is_active": True}  # fmt: skip
    assert patients["pk-hi"]["zip3"] == "000" and patients["pk-ten"]["zip3"] == "000"  # 036, 893 restricted
    # died 2024-05-01: age at death, death year only, not active
    assert patients["pk-dead-later"] == patients["pk-dead-later"] | {"is_deceased": True, "death_year": 2024,
                                                                      "is_active": False, "age": 64}  # fmt: skip
    assert set(gold["_columns"]["dim_patient"]) == set(GOLD_SCHEMAS["dim_patient"].fieldNames())


def test_dim_patient_age_boundary_at_89_and_90(spark):
    from carelake.gold.dimensions import dim_patient

    people = frame(spark, "dim_patient", [
        {"patient_key": "p89", "birth_date": date(1934, 7, 1)},  # turns 90 the day after as_of: 89
        {"patient_key": "p90", "birth_date": date(1934, 6, 30)},  # 90 on as_of
        {"patient_key": "p17", "birth_date": date(2006, 7, 1)},  # 17
        {"patient_key": "p18", "birth_date": date(2006, 6, 30)},  # 18
    ])  # fmt: skip
    rows = by(
        [r.asDict() for r in dim_patient(people, empty(spark, "fct_encounter"), AS_OF).collect()],
        "patient_key",
    )
    assert {k: (r["age"], r["birth_year"], r["age_band"]) for k, r in rows.items()} == {
        "p89": (89, 1934, "85+"), "p90": (90, None, "85+"), "p17": (17, 2006, "0-17"), "p18": (18, 2006, "18-34"),
    }  # fmt: skip
    assert all(r["is_active"] is False for r in rows.values())  # no encounter in the 24 months


def test_outreach_list_keeps_discharges_of_the_last_30_days(spark):
    from carelake.gold.lace import high_risk_outreach_list

    as_of = date(2024, 6, 30)
    risk = spark.createDataFrame(
        [
            ("pk-30", 12, "high", date(2024, 5, 31), "org-a"),  # 30 days before as_of: listed
            ("pk-31", 12, "high", date(2024, 5, 30), "org-a"),  # 31 days: no longer a reason to call
            ("pk-0", 11, "high", date(2024, 6, 30), "org-a"),  # discharged on as_of: listed
        ],
        "patient_key string, lace_score int, risk_band string, discharge_date date, organization_id string",
    )
    patients = spark.createDataFrame(
        [("pk-30", "m30"), ("pk-31", "m31"), ("pk-0", "m0")], "patient_key string, mrn string"
    )
    organizations = spark.createDataFrame(
        [("org-a", "General Hospital")], "organization_id string, organization_name string"
    )
    outreach = spark.createDataFrame(
        [],
        "patient_key string, outreach_id string, event_at timestamp, event_local_date date, status string, "
        "coordinator_id string, is_successful boolean",
    )
    encounters = spark.createDataFrame(
        [], "patient_key string, is_emergency_visit boolean, start_at timestamp, admit_date date"
    )
    listed = high_risk_outreach_list(risk, patients, organizations, outreach, encounters, as_of, threshold=10)
    assert sorted(r["patient_key"] for r in listed.collect()) == ["pk-0", "pk-30"]
