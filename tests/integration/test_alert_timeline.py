"""The gold call-now list and the risk-alert Lambda together, day by day, on a hand-built timeline
(docs/measures/lace.md "Outreach list", runbook "risk_alert"): each day the gold transform builds
the list and the feed as of that day, the feed is written to (moto's) S3 and the Lambda runs at
09:00 UTC, as scheduled. The notices are the exact expected ones. Then the one risk threshold:
the value the runner passes to silver_to_gold, changed, changes both the list and the notices.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from moto import mock_aws
from pyspark.sql import DataFrame
from pyspark.sql import types as T

from carelake.config import Lake
from carelake.gold.lace import alert_feed, high_risk_outreach_list
from carelake.gold.schemas import GOLD_SCHEMAS
from carelake.manifest import load_manifest
from carelake.runner import job_argv
from tests.lambdas.lambda_testkit import client, drain_notifications, load_handler, subscribe_queue

pytestmark = [pytest.mark.spark, pytest.mark.integration]

GOLD, TABLE = "carelake-test-gold", "carelake-test-suppression"
FEED_PREFIX = "alert_feed/high_risk/"
RISK_SCHEMA = T.StructType(
    [*GOLD_SCHEMAS["patient_risk"].fields, T.StructField("organization_id", T.StringType())]
)
OUTREACH_SCHEMA = (
    "outreach_id string, patient_key string, coordinator_id string, event_at timestamp, event_local_date date, "
    "status string, is_successful boolean"
)
ENCOUNTER_SCHEMA = "patient_key string, is_emergency_visit boolean, start_at timestamp, admit_date date"
D = date.fromisoformat


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def risk_row(patient: str, discharge: date, as_of: date, score: int = 12, org: str = "org-a") -> tuple:
    band = "high" if score >= 10 else "moderate"
    return (patient, f"e-{patient}-{discharge}", discharge, 4, 4, 3, 3, 3, 2, 2, score, band, as_of, org)


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3, sns, sqs, dynamodb = client("s3"), client("sns"), client("sqs"), client("dynamodb")
        s3.create_bucket(Bucket=GOLD)
        topic = sns.create_topic(Name="carelake-test-risk-alerts")["TopicArn"]
        queue = subscribe_queue(sns, sqs, topic, "coordinators")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "patient_key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "patient_key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield {"s3": s3, "sns": sns, "dynamodb": dynamodb, "topic": topic,
               "notices": lambda: [json.loads(n["Message"]) for n in drain_notifications(sqs, queue)]}  # fmt: skip


class Day:
    """One day of the pipeline: gold as of ``as_of`` (the list and its feed), then the Lambda at 09:00."""

    def __init__(self, spark, aws: dict, threshold: int) -> None:
        self.spark, self.aws = spark, aws
        self.risk = load_handler("risk_alert")
        self.settings = self.risk.Settings(
            feed_bucket=GOLD, feed_prefix=FEED_PREFIX, threshold=threshold, topic_arn=aws["topic"], table=TABLE,
            worklist_location="v_care_team_worklist",
        )  # fmt: skip
        self.threshold = threshold

    def gold(
        self, as_of: date, risk: list[tuple], outreach: list[tuple], encounters: list[tuple]
    ) -> list[str]:
        """The day's list and its feed, written to S3 under dt=<as_of>; the feed's patient keys."""
        rows = alert_feed(self.listed(as_of, risk, outreach, encounters)).collect()
        body = "".join(json.dumps(r.asDict()) + "\n" for r in rows).encode("utf-8")
        self.aws["s3"].put_object(Bucket=GOLD, Key=f"{FEED_PREFIX}dt={as_of}/part-00000.json", Body=body)
        return [r["patient_key"] for r in rows]

    def listed(
        self, as_of: date, risk: list[tuple], outreach: list[tuple], encounters: list[tuple]
    ) -> DataFrame:
        return high_risk_outreach_list(
            self.spark.createDataFrame(risk, RISK_SCHEMA),
            self.spark.createDataFrame([(r[0], f"MRN-{r[0]}") for r in risk], "patient_key string, mrn string"),
            self.spark.createDataFrame([("org-a", "General Hospital")], "organization_id string, organization_name string"),
            self.spark.createDataFrame(outreach, OUTREACH_SCHEMA),
            self.spark.createDataFrame(encounters, ENCOUNTER_SCHEMA),
            as_of,
            self.threshold,
        )  # fmt: skip

    def lambda_at_nine(self, as_of: date) -> dict:
        now = datetime.combine(as_of, datetime.min.time(), UTC) + timedelta(hours=9)
        return self.risk.evaluate(
            self.settings, s3=self.aws["s3"], sns=self.aws["sns"], dynamodb=self.aws["dynamodb"], now=now
        )


def test_discharge_alert_call_two_hours_later_new_discharge_and_an_ed_visit(spark, aws):
    """pk-1: discharged 06-10, alerted 06-11 09:00, reached 06-11 11:00 (two hours later), off the
    list until it is discharged again on 06-20, then alerted again.
    pk-2: discharged 06-10, alerted 06-11, reached 06-11 11:00, in the ED at 20:00 the same day:
    back on the list on 06-12 but reached 22 h before the run (no notice), notified 06-13."""
    day = Day(spark, aws, threshold=12)
    reached_1 = ("o1", "pk-1", "cm-001", at("2024-06-11 11:00"), D("2024-06-11"), "reached", True)
    reached_2 = ("o2", "pk-2", "cm-001", at("2024-06-11 11:00"), D("2024-06-11"), "reached", True)
    ed_visit_2 = ("pk-2", True, at("2024-06-11 20:00"), D("2024-06-11"))
    discharges_1 = {"before": D("2024-06-10"), "after": D("2024-06-20")}
    # (as_of, pk-1's index discharge, listed, patients counted in the 09:00 notice)
    timeline = [
        (D("2024-06-11"), "before", ["pk-1", "pk-2"], 2),  # both discharged yesterday, not called yet
        (D("2024-06-12"), "before", ["pk-2"], 0),  # pk-1 reached: off; pk-2 back (ED) but reached 22 h ago
        (D("2024-06-13"), "before", ["pk-2"], 1),  # pk-2: 46 h after the call, 48 h after its first notice
        # pk-1 discharged again: counted; pk-2 not reached since its ED visit, its 06-13 claim expired
        (D("2024-06-21"), "after", ["pk-1", "pk-2"], 2),
    ]
    for as_of, stay, listed, counted in timeline:
        risk = [risk_row("pk-1", discharges_1[stay], as_of), risk_row("pk-2", D("2024-06-10"), as_of)]
        calls = [reached_1, reached_2] if as_of > D("2024-06-11") else []
        visits = [ed_visit_2] if as_of > D("2024-06-11") else []
        assert day.gold(as_of, risk, calls, visits) == listed, as_of
        summary = day.lambda_at_nine(as_of)
        notices = aws["notices"]()
        assert sum(n["patients_to_call"] for n in notices) == counted == summary["patients_notified"], as_of
        assert all(set(n) == {"kind", "clinic_id", "clinic_name", "patients_to_call", "worklist", "feed_dt"}
                   for n in notices)  # fmt: skip


def empty_suppression_table(dynamodb) -> None:
    """A new day in another world: nobody alerted yet."""
    dynamodb.delete_table(TableName=TABLE)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "patient_key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "patient_key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def test_the_one_threshold_changes_both_the_gold_list_and_what_the_lambda_sends(spark, aws, tmp_path):
    """The value silver_to_gold gets from the runner (the manifest's default argument; Terraform
    passes that same value to the Glue job and the Lambda: tests/terraform) decides both."""
    job = load_manifest().jobs["silver_to_gold"]

    def the_one_threshold(defaults: dict[str, str]) -> int:
        argv = job_argv(replace(job, default_arguments=defaults), Lake(tmp_path), "2024-06-11")
        return int(argv[argv.index("--risk_threshold") + 1])

    as_of = D("2024-06-11")
    scores = (9, 10, 11, 12, 14)
    risk = [risk_row(f"pk-{s}", D("2024-06-10"), as_of, score=s) for s in scores]
    shipped = the_one_threshold(job.default_arguments)
    raised = the_one_threshold({**job.default_arguments, "risk_threshold": str(shipped + 2)})
    results = {}
    for threshold in (raised, shipped):  # the shipped value's feed stays in S3 for the last check
        empty_suppression_table(aws["dynamodb"])
        day = Day(spark, aws, threshold)
        listed = day.gold(as_of, risk, [], [])
        day.lambda_at_nine(as_of)
        results[threshold] = (listed, sum(n["patients_to_call"] for n in aws["notices"]()))
    for threshold in (shipped, raised):
        over = [f"pk-{s}" for s in scores if s >= threshold]
        assert results[threshold] == (over, len(over)), threshold
    assert results[shipped] != results[raised]

    # The Lambda applies the threshold itself too: the shipped value's feed, read with the raised
    # one, counts only the patients at or over it.
    empty_suppression_table(aws["dynamodb"])
    summary = Day(spark, aws, raised).lambda_at_nine(as_of)
    assert summary["patients_notified"] == len([s for s in scores if s >= raised])
    assert summary["below_threshold"] == len([s for s in scores if shipped <= s < raised])
