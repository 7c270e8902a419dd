"""Pipeline health: run reports checked against the data-quality and quarantine-rate rules, raw
sources checked for freshness, one notice naming tables, rules and counts (never a value)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from lambda_testkit import FakeContext, client, drain_notifications, load_handler, subscribe_queue

health = load_handler("pipeline_health")

QUARANTINE = "carelake-test-quarantine"
RAW = "carelake-test-raw"
RUNBOOK = "https://github.com/example/carelake/blob/main/docs/runbook.md"
SOURCES = {
    "ehr_fhir": {"prefix": "ehr/fhir/", "max_age_hours": 26},
    "claims": {"prefix": "claims/", "max_age_hours": 192},
    "care_mgmt": {"prefix": "care_mgmt/", "max_age_hours": 26},
}
KEY = "run_report/job=raw_to_bronze/dt=2024-03-02/run-1.json"


def report(**changes: object) -> dict:
    """A run report as carelake.health writes it: 1,000 outreach rows with 5 quarantined (0.5%)."""
    return {
        "job": "raw_to_bronze",
        "run_id": "run-1",
        "batch": "2024-03-02",
        "started_at": "2024-03-02T06:00:00Z",
        "finished_at": "2024-03-02T06:10:00Z",
        "rows_read": 2005,
        "rows_written": {"outreach_event": 995, "fhir_patient": 1000},
        "rows_quarantined": {"outreach_event": 5},
        "quarantined_by_reason": {"bad date in event_at: '…' (ISO-8601 with zone expected)": 5},
        "dq_issues": [],
        **changes,
    }


class Env:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.s3, self.sns, self.sqs = client("s3"), client("sns"), client("sqs")
        for bucket in (QUARANTINE, RAW):
            self.s3.create_bucket(Bucket=bucket)
        self.topic_arn = self.sns.create_topic(Name="carelake-test-pipeline-failures")["TopicArn"]
        self.queue = subscribe_queue(self.sns, self.sqs, self.topic_arn, "platform")
        self.environ = {
            "TOPIC_ARN": self.topic_arn,
            "RUNBOOK_BASE_URL": RUNBOOK,
            "REPORT_BUCKET": QUARANTINE,
            "RAW_BUCKET": RAW,
            "SOURCES": json.dumps(SOURCES),
            "QUARANTINE_RATE_THRESHOLD": "0.01",
            "QUARANTINE_RATE_THRESHOLD_BY_TABLE": json.dumps({"partner_claim_line": 0.05}),
        }
        for name, value in self.environ.items():
            monkeypatch.setenv(name, value)
        self.settings = health.Settings.from_env(self.environ)

    def put_report(self, body: dict | str, key: str = KEY) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        self.s3.put_object(Bucket=QUARANTINE, Key=key, Body=text.encode("utf-8"))

    def check(self, key: str = KEY, bucket: str = QUARANTINE) -> dict:
        return health.handle_report(bucket, key, self.settings, s3=self.s3, sns=self.sns)

    def notices(self) -> list[dict]:
        return drain_notifications(self.sqs, self.queue)


@pytest.fixture
def env(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(monkeypatch)


def object_created(bucket: str, key: str) -> dict:
    return {"source": "aws.s3", "detail-type": "Object Created",
            "detail": {"bucket": {"name": bucket}, "object": {"key": key}}}  # fmt: skip


# ---------------------------------------------------------------- run reports


def test_a_healthy_run_sends_nothing(env):
    env.put_report(report())  # 0.5% quarantined, under 1%
    assert env.check() == {"check": "run_report", "job": "raw_to_bronze", "problems": 0}
    assert env.notices() == []


def test_a_quarantine_rate_over_its_threshold_names_the_table_and_the_counts(env):
    env.put_report(report(rows_written={"outreach_event": 95}, rows_quarantined={"outreach_event": 5},
                          quarantined_by_reason={"bad date in event_at: '…' (ISO-8601 with zone expected)": 3,
                                                 "unknown channel '…'": 2}))  # fmt: skip
    env.check()
    [envelope] = env.notices()
    message = json.loads(envelope["Message"])
    assert message["problems"] == [
        {"table": "outreach_event", "rule": "quarantine_rate", "quarantined": 5, "written": 95, "rate": 0.05,
         "threshold": 0.01},
    ]  # fmt: skip
    assert message["quarantined_by_reason"] == {
        "bad date in event_at: '…' (ISO-8601 with zone expected)": 3,
        "unknown channel '…'": 2,
    }
    assert (message["job"], message["batch"], message["run_id"]) == ("raw_to_bronze", "2024-03-02", "run-1")
    assert message["report"] == f"s3://{QUARANTINE}/{KEY}"
    assert message["runbook_url"] == f"{RUNBOOK}#pipeline_health"
    assert (
        envelope["Subject"]
        == "carelake pipeline health: raw_to_bronze 2024-03-02: outreach_event quarantine_rate"
    )
    assert envelope["MessageAttributes"]["kind"]["Value"] == "run_report"


@pytest.mark.parametrize(
    ("table", "written", "quarantined", "flagged"),
    [
        ("outreach_event", 99, 1, False),  # exactly 1%: not over
        ("outreach_event", 98, 2, True),
        ("partner_claim_line", 96, 4, False),  # its own threshold: 5%
        ("partner_claim_line", 94, 6, True),
        ("unknown", 0, 3, True),  # nothing written: 100%
    ],
)
def test_thresholds_per_table(env, table, written, quarantined, flagged):
    env.put_report(report(rows_written={table: written}, rows_quarantined={table: quarantined}))
    assert env.check()["problems"] == (1 if flagged else 0)


def test_every_failed_dq_check_is_a_problem(env):
    issues = [
        {"zone": "gold", "table": "care_team_worklist", "check": "key_not_null", "count": 2},
        {"zone": "silver", "table": "fct_encounter", "check": "key_unique", "count": 7},
        {"zone": "silver", "table": "dim_patient", "check": "key_unique", "count": 0},  # passed
    ]
    env.put_report(report(job="silver_to_gold", dq_issues=issues, rows_quarantined={}),
                   key="run_report/job=silver_to_gold/dt=2024-03-02/run-1.json")  # fmt: skip
    result = env.check(key="run_report/job=silver_to_gold/dt=2024-03-02/run-1.json")
    assert result["problems"] == 2
    [message] = [json.loads(e["Message"]) for e in env.notices()]
    assert message["problems"] == [
        {"table": "gold.care_team_worklist", "rule": "key_not_null", "count": 2},
        {"table": "silver.fct_encounter", "rule": "key_unique", "count": 7},
    ]


def test_reasons_never_carry_a_value_even_from_another_writer(env, logs):
    env.put_report(report(rows_written={"csv_patients": 1}, rows_quarantined={"csv_patients": 1},
                          quarantined_by_reason={"column ssn: '999-12-3456' is not of type string": 1,
                                                 "column last: 'O'Brien' has a quote": 1}))  # fmt: skip
    env.check()
    [envelope] = env.notices()
    text = json.dumps(envelope)
    assert "999-12-3456" not in text and "Brien" not in text
    assert json.loads(envelope["Message"])["quarantined_by_reason"] == {
        "column last: '…' has a quote": 1,
        "column ssn: '…' is not of type string": 1,
    }
    assert "999-12-3456" not in logs.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        (
            json.dumps(report(rows_written=None)),
            "rows_written is not an object of non-negative integer counts",
        ),
        (json.dumps(report(rows_quarantined={"t": -1})), "rows_quarantined is not an object"),
        (json.dumps(report(dq_issues=[{"zone": "gold"}])), "a dq_issues entry is not"),
        (json.dumps({k: v for k, v in report().items() if k != "run_id"}), "run_id is missing"),
    ],
)
def test_an_unreadable_report_is_itself_a_notice(env, body, reason):
    env.put_report(body)
    assert env.check()["unreadable"] is True
    [message] = [json.loads(e["Message"]) for e in env.notices()]
    assert message["check"] == "run_report" and message["problem"].startswith(reason)
    assert message["report"] == f"s3://{QUARANTINE}/{KEY}"


@pytest.mark.parametrize(
    ("bucket", "key"),
    [
        (QUARANTINE, "quarantined_record/job=raw_to_bronze/dt=2024-03-02/part-0.parquet"),
        (QUARANTINE, "run_report/job=raw_to_bronze/dt=2024-03-02/"),
        (QUARANTINE, "run_report/job=raw_to_bronze/dt=latest/run-1.json"),
        ("some-other-bucket", KEY),
    ],
)
def test_other_objects_are_ignored(env, bucket, key):
    assert env.check(key=key, bucket=bucket) == {"check": "run_report", "ignored": True}
    assert env.notices() == []


def test_the_handler_takes_an_object_created_event_and_a_replay(env):
    env.put_report(report(rows_written={"outreach_event": 1}, rows_quarantined={"outreach_event": 1}))
    assert health.handler(object_created(QUARANTINE, KEY), FakeContext())["problems"] == 1
    assert health.handler({"report_key": KEY}, FakeContext())["problems"] == 1
    assert len(env.notices()) == 2


# ---------------------------------------------------------------- freshness


def land(env: Env, *keys: str) -> None:
    for key in keys:
        env.s3.put_object(Bucket=RAW, Key=key, Body=b"x")


def test_sources_that_landed_within_their_interval_are_fresh(env):
    land(env, "ehr/fhir/dt=2024-03-01/a.json", "ehr/fhir/dt=2024-03-02/b.json",
         "claims/partner=acme/dt=2024-03-02/claims_acme_20240302.csv", "care_mgmt/dt=2024-03-02/x.json")  # fmt: skip
    now = datetime.now(UTC)
    assert health.check_freshness(env.settings, s3=env.s3, sns=env.sns, now=now)["late_sources"] == []
    assert env.notices() == []


def test_late_and_never_landed_sources_are_named_in_one_notice(env):
    land(env, "ehr/fhir/dt=2024-03-02/b.json", "claims/partner=acme/dt=2024-03-02/c.csv")
    landed = health.last_landed(env.s3, RAW, "ehr/fhir/")
    # 27 hours later: FHIR (26 h) is late, claims (192 h) is not, care_mgmt never landed.
    result = health.check_freshness(env.settings, s3=env.s3, sns=env.sns, now=landed + timedelta(hours=27))
    assert result["late_sources"] == ["care_mgmt", "ehr_fhir"]
    [envelope] = env.notices()
    message = json.loads(envelope["Message"])
    assert message["late_sources"] == [
        {"source": "care_mgmt", "prefix": "care_mgmt/", "last_landed_at": None, "age_hours": None,
         "max_age_hours": 26.0},
        {"source": "ehr_fhir", "prefix": "ehr/fhir/", "last_landed_at": landed.strftime("%Y-%m-%dT%H:%M:%SZ"),
         "age_hours": 27.0, "max_age_hours": 26.0},
    ]  # fmt: skip
    assert envelope["Subject"] == "carelake pipeline health: no new data from care_mgmt, ehr_fhir"
    assert envelope["MessageAttributes"]["kind"]["Value"] == "freshness"


def test_last_landed_looks_into_the_newest_partitions_of_every_partner(env, monkeypatch):
    times = {
        "claims/partner=acme/dt=2024-02-01/old.csv": datetime(2024, 2, 1, tzinfo=UTC),
        "claims/partner=acme/dt=2024-03-01/late.csv": datetime(2024, 3, 5, tzinfo=UTC),  # late file, older dt
        "claims/partner=acme/dt=2024-03-02/new.csv": datetime(2024, 3, 2, tzinfo=UTC),
        "claims/partner=zeta/dt=2024-03-03/z.csv": datetime(2024, 3, 3, tzinfo=UTC),
    }
    land(env, *times)
    real = env.s3.get_paginator

    class Listing:
        """moto stamps LastModified with the upload time: give each object its own."""

        def __init__(self, paginator):
            self._paginator = paginator

        def paginate(self, **kwargs):
            for page in self._paginator.paginate(**kwargs):
                for obj in page.get("Contents", []):
                    obj["LastModified"] = times[obj["Key"]]
                yield page

    class S3:
        def get_paginator(self, name):
            return Listing(real(name))

    assert health.last_landed(S3(), RAW, "claims/") == datetime(2024, 3, 5, tzinfo=UTC)
    assert health.last_landed(S3(), RAW, "claims/partner=zeta/") == datetime(2024, 3, 3, tzinfo=UTC)
    assert health.last_landed(S3(), RAW, "nothing/") is None


def test_the_scheduled_event_checks_freshness(env):
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert health.handler(scheduled, FakeContext())["late_sources"] == ["care_mgmt", "claims", "ehr_fhir"]


# ---------------------------------------------------------------- settings


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SOURCES": "[]"}, "SOURCES must be a non-empty JSON object"),
        ({"SOURCES": json.dumps({"x": {"prefix": "x", "max_age_hours": 1}})}, r"SOURCES\[x\].prefix"),
        ({"SOURCES": json.dumps({"x": {"prefix": "x/", "max_age_hours": 0}})}, r"SOURCES\[x\].max_age_hours"),
        ({"QUARANTINE_RATE_THRESHOLD": "2"}, "QUARANTINE_RATE_THRESHOLD must be a number from 0 to 1"),
        ({"QUARANTINE_RATE_THRESHOLD_BY_TABLE": '{"t": "x"}'}, r"QUARANTINE_RATE_THRESHOLD_BY_TABLE\[t\]"),
        ({"TOPIC_ARN": None}, "TOPIC_ARN"),
    ],
)
def test_settings_fail_loudly(changes, message):
    environ = {
        "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
        "RUNBOOK_BASE_URL": RUNBOOK,
        "REPORT_BUCKET": QUARANTINE,
        "RAW_BUCKET": RAW,
        "SOURCES": json.dumps(SOURCES),
        "QUARANTINE_RATE_THRESHOLD": "0.01",
    }
    for name, value in changes.items():
        if value is None:
            environ.pop(name)
        else:
            environ[name] = value
    with pytest.raises(health.ConfigError, match=message):
        health.Settings.from_env(environ)


def test_subjects_are_short_printable_ascii():
    text = health.subject("carelake pipeline health: café " + "x" * 200)
    assert len(text) == 99 and text.isascii() and "caf?" in text
