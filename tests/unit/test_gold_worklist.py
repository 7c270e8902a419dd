"""The call-now list (who leaves it once reached, and who comes back), the care team's assignment
and worklist, on hand-built frames with explicit schemas. docs/measures/care-team-worklist.md is
the definition; every expected row is worked out in the comments.

as_of = 2024-06-30, threshold 10, window 30 days (discharges from 2024-05-31 on).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from carelake.gold.lace import (
    EMERGENCY_VISIT_SINCE_REACHED,
    NOT_REACHED_SINCE_DISCHARGE,
    alert_feed,
    high_risk_outreach_list,
)
from carelake.gold.schemas import ALERT_FEED_KEYS, GOLD_SCHEMAS
from carelake.gold.worklist import (
    ASSIGNMENT_SCHEMA,
    CareTeamAssignmentError,
    care_team_assignment,
    care_team_worklist,
    parse_assignment,
)

pytestmark = pytest.mark.spark

AS_OF = date(2024, 6, 30)
D = date.fromisoformat
RISK_SCHEMA = T.StructType(
    [*GOLD_SCHEMAS["patient_risk"].fields, T.StructField("organization_id", T.StringType(), True)]
)
OUTREACH_SCHEMA = T.StructType(
    [
        T.StructField(name, data_type, True)
        for name, data_type in (
            ("outreach_id", T.StringType()), ("patient_key", T.StringType()), ("coordinator_id", T.StringType()),
            ("event_at", T.TimestampType()), ("event_local_date", T.DateType()), ("status", T.StringType()),
            ("is_successful", T.BooleanType()),
        )
    ]
)  # fmt: skip
ENCOUNTER_SCHEMA = T.StructType(
    [
        T.StructField("patient_key", T.StringType(), True),
        T.StructField("is_emergency_visit", T.BooleanType(), True),
        T.StructField("start_at", T.TimestampType(), True),
        T.StructField("admit_date", T.DateType(), True),
    ]
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def scored(patient: str, discharge: str, score: int = 12, org: str | None = "org-a") -> tuple:
    """A patient_risk row: 5-day stay (L 4), emergency (A 3), Charlson 3 (C 3), 2 ED visits (E 2) = 12
    (or another score with the same components, which only the reasons text reads)."""
    band = "high" if score >= 10 else "moderate"
    return (patient, f"e-{patient}", D(discharge), 5, 4, 3, 3, 3, 2, 2, score, band, AS_OF, org)


RISK = [
    scored("pk-new", "2024-06-25"),  # never contacted
    scored("pk-reached", "2024-06-20"),  # reached 2 h after the first call: off the list
    scored("pk-completed", "2024-06-20"),  # completed counts as reached
    scored("pk-tried", "2024-06-20"),  # left a message only: stays
    scored("pk-ed-after", "2024-06-10"),  # reached, then an ED visit: back on the list
    scored("pk-ed-before", "2024-06-10"),  # ED visit before the call that reached them: stays off
    scored("pk-readmitted", "2024-06-27"),  # reached after an earlier stay, discharged again since
    scored("pk-future-call", "2024-06-20"),  # reached after as_of (a rerun of an old dt): still listed
    scored("pk-old", "2024-05-30"),  # 31 days ago: outside the window
    scored("pk-low", "2024-06-25", score=9),  # under the threshold
    scored("pk-no-org", "2024-06-28", org=None),  # the stay names no facility
]
OUTREACH = [
    ("o1", "pk-reached", "cm-1", at("2024-06-21 09:00"), D("2024-06-21"), "no_answer", False),
    ("o2", "pk-reached", "cm-1", at("2024-06-21 11:00"), D("2024-06-21"), "reached", True),
    ("o3", "pk-completed", "cm-2", at("2024-06-22 15:00"), D("2024-06-22"), "completed", True),
    ("o4", "pk-tried", "cm-2", at("2024-06-22 15:00"), D("2024-06-22"), "left_message", False),
    ("o5", "pk-ed-after", "cm-1", at("2024-06-12 10:00"), D("2024-06-12"), "reached", True),
    ("o6", "pk-ed-before", "cm-1", at("2024-06-12 10:00"), D("2024-06-12"), "reached", True),
    ("o7", "pk-readmitted", "cm-3", at("2024-06-05 10:00"), D("2024-06-05"), "reached", True),
    ("o8", "pk-future-call", "cm-3", at("2024-07-01 10:00"), D("2024-07-01"), "reached", True),
    (
        "o9",
        "pk-new",
        "cm-9",
        at("2024-06-24 10:00"),
        D("2024-06-24"),
        "reached",
        True,
    ),  # before the discharge
]
ENCOUNTERS = [
    ("pk-ed-after", True, at("2024-06-14 22:00"), D("2024-06-14")),  # after the call of 06-12
    ("pk-ed-after", True, at("2024-06-13 01:00"), D("2024-06-13")),  # also after; the latest wins
    ("pk-ed-before", True, at("2024-06-11 20:00"), D("2024-06-11")),  # before the call
    ("pk-reached", False, at("2024-06-25 10:00"), D("2024-06-25")),  # an office visit is no risk signal
    ("pk-reached", True, at("2024-07-01 10:00"), D("2024-07-01")),  # after as_of: not yet known
]
PATIENTS = [(p[0], f"MRN-{p[0]}") for p in RISK]
ORGANIZATIONS = [("org-a", "General Hospital"), ("org-b", "Second Hospital")]


@pytest.fixture(scope="module")
def listed(spark):
    risk = spark.createDataFrame(RISK, RISK_SCHEMA)
    outreach = spark.createDataFrame(OUTREACH, OUTREACH_SCHEMA)
    encounters = spark.createDataFrame(ENCOUNTERS, ENCOUNTER_SCHEMA)
    patients = spark.createDataFrame(PATIENTS, "patient_key string, mrn string")
    organizations = spark.createDataFrame(ORGANIZATIONS, "organization_id string, organization_name string")
    frame = high_risk_outreach_list(risk, patients, organizations, outreach, encounters, AS_OF, 10, 30)
    return frame.cache()


def test_reached_patients_leave_the_list_until_a_new_discharge_or_ed_visit(listed):
    rows = {r["patient_key"]: r for r in listed.collect()}
    assert {k: r["call_reason"] for k, r in rows.items()} == {
        "pk-new": NOT_REACHED_SINCE_DISCHARGE,  # its only call came before this discharge
        "pk-tried": NOT_REACHED_SINCE_DISCHARGE,
        "pk-ed-after": EMERGENCY_VISIT_SINCE_REACHED,
        "pk-readmitted": NOT_REACHED_SINCE_DISCHARGE,  # reached 06-05, discharged again 06-27
        "pk-future-call": NOT_REACHED_SINCE_DISCHARGE,
        "pk-no-org": NOT_REACHED_SINCE_DISCHARGE,
    }
    # pk-reached, pk-completed, pk-ed-before: reached, nothing since; pk-old, pk-low: not high risk now
    assert rows["pk-ed-after"]["last_successful_outreach_at"] == at("2024-06-12 10:00")
    assert rows["pk-ed-after"]["risk_signal_at"] == at("2024-06-14 22:00")
    assert (
        rows["pk-new"]["last_outreach_at"] is None and rows["pk-new"]["last_successful_outreach_at"] is None
    )
    assert (rows["pk-tried"]["last_outreach_status"], rows["pk-tried"]["last_coordinator_id"]) == (
        "left_message",
        "cm-2",
    )
    assert (rows["pk-new"]["mrn"], rows["pk-new"]["clinic_id"], rows["pk-new"]["clinic_name"]) == (
        "MRN-pk-new",
        "org-a",
        "General Hospital",
    )


def test_alert_feed_version_2_rows(spark, listed):
    feed = alert_feed(listed).collect()
    assert [r["patient_key"] for r in feed] == sorted(r["patient_key"] for r in listed.collect())
    by_key = {r["patient_key"]: r.asDict() for r in feed}
    assert tuple(by_key["pk-ed-after"]) == ALERT_FEED_KEYS
    assert by_key["pk-ed-after"] == {
        "feed_version": 2, "patient_key": "pk-ed-after", "clinic_id": "org-a", "clinic_name": "General Hospital",
        "lace_score": 12, "risk_band": "high", "call_reason": EMERGENCY_VISIT_SINCE_REACHED,
        "last_successful_outreach_at": "2024-06-12T10:00:00Z",
    }  # fmt: skip
    assert by_key["pk-new"]["last_successful_outreach_at"] is None


def test_worklist_has_one_row_per_covering_coordinator_and_unassigned_clinics(spark, listed):
    assignment = care_team_assignment(
        spark.createDataFrame(
            [
                ("cm-1", "org-a", "ann@example.org"),
                ("cm-2", "org-a", None),
                ("cm-2", "org-a", None),
                ("cm-3", "org-b", None),
            ],
            ASSIGNMENT_SCHEMA,
        ),
        spark.createDataFrame(ORGANIZATIONS, "organization_id string, organization_name string"),
    )
    assert sorted(tuple(r) for r in assignment.collect()) == [
        ("cm-1", "org-a", "General Hospital", "ann@example.org"),
        ("cm-2", "org-a", "General Hospital", None),  # listed twice, kept once
        ("cm-3", "org-b", "Second Hospital", None),
    ]
    worklist = care_team_worklist(listed, assignment, AS_OF)
    keys = sorted((r["coordinator_id"], r["clinic_id"], r["patient_key"]) for r in worklist.collect())
    org_a = ["pk-ed-after", "pk-future-call", "pk-new", "pk-readmitted", "pk-tried"]
    assert keys == sorted(
        [("cm-1", "org-a", p) for p in org_a]
        + [("cm-2", "org-a", p) for p in org_a]
        + [("unassigned", "unknown", "pk-no-org")]  # no facility: nobody covers it, still listed
    )
    assert worklist.columns == GOLD_SCHEMAS["care_team_worklist"].fieldNames()


def test_worklist_row_says_why_in_words(spark, listed):
    assignment = spark.createDataFrame([("cm-1", "org-a", None, None)], GOLD_SCHEMAS["care_team_assignment"])
    row = {r["patient_key"]: r for r in care_team_worklist(listed, assignment, AS_OF).collect()}[
        "pk-ed-after"
    ]
    assert row["lace_reasons"] == (
        "length of stay 5 days (L 4); emergency admission (A 3); Charlson comorbidity index 3 (C 3); "
        "2 emergency visits in the 6 months before (E 2)"
    )
    assert row["days_since_discharge"] == 20  # 2024-06-10 to 2024-06-30
    assert (row["as_of"], row["call_reason"], row["risk_signal_at"]) == (
        AS_OF,
        EMERGENCY_VISIT_SINCE_REACHED,
        at("2024-06-14 22:00"),
    )


def test_lace_reasons_singular_and_elective(spark):
    from carelake.gold.worklist import lace_reasons

    one = spark.createDataFrame(
        [(1, 1, 0, 0, 0, 1, 1)],
        "length_of_stay_days int, l_points int, a_points int, charlson_index int, c_points int, "
        "ed_visits_6m int, e_points int",
    )
    expected = spark.createDataFrame(
        [("length of stay 1 day (L 1); planned or elective admission (A 0); Charlson comorbidity index 0 "
          "(C 0); 1 emergency visit in the 6 months before (E 1)",)],
        "lace_reasons string",
    )  # fmt: skip
    assert_df_equality(one.select(lace_reasons(one).alias("lace_reasons")), expected, ignore_nullable=True)


# --- the assignment file (no Spark) ----------------------------------------------------------------


def test_assignment_lines_are_parsed():
    text = (
        '{"coordinator_id": "cm-007", "clinic_id": "1f2e-org", "user_name": "jdoe@example.org"}\n'
        "\n"
        '{"coordinator_id": "cm-008", "clinic_id": "org.b"}\n'
    )
    assert parse_assignment(text) == [("cm-007", "1f2e-org", "jdoe@example.org"), ("cm-008", "org.b", None)]
    assert parse_assignment("") == []


def test_every_bad_assignment_line_is_named():
    text = "\n".join(
        [
            '{"coordinator_id": "cm-1", "clinic_id": "org-a"}',
            "not json",
            '["cm-1", "org-a"]',
            '{"coordinator_id": "-cm", "clinic_id": "org-a"}',
            '{"coordinator_id": "cm-1", "clinic": "org-a"}',
            '{"coordinator_id": "cm-1", "clinic_id": "org-a", "user_name": "two words"}',
            '{"coordinator_id": "cm-1\\n", "clinic_id": "org-a"}',
        ]
    )
    with pytest.raises(CareTeamAssignmentError) as raised:
        parse_assignment(text)
    message = str(raised.value)
    for expected in (
        "line 2: not JSON",
        "line 3: not a JSON object",
        "line 4: coordinator_id must be",
        "line 5: unknown fields ['clinic']",
        "line 5: clinic_id must be",
        "line 6: user_name must be",
        "line 7: coordinator_id must be",
    ):
        assert expected in message
    assert "line 1" not in message
