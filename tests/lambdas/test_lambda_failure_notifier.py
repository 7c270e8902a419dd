"""Pipeline failure notifier: Glue job state changes to SNS, with the runbook link."""

from __future__ import annotations

import json

import pytest
from lambda_testkit import FakeContext, client, drain_notifications, load_handler, subscribe_queue

notifier = load_handler("failure_notifier")

RUNBOOK = "https://github.com/example-org/carelake/blob/main/docs/runbook.md"
PREFIX = "carelake-dev"


def glue_event(state: str, job_name: str = f"{PREFIX}-raw_to_bronze", **detail: object) -> dict:
    """An EventBridge "Glue Job State Change" event, as AWS documents it."""
    return {
        "version": "0",
        "id": "abcdef00-1234-5678-9abc-def012345678",
        "detail-type": "Glue Job State Change",
        "source": "aws.glue",
        "account": "123456789012",
        "time": "2024-03-02T06:42:17Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {
            "jobName": job_name,
            "severity": "ERROR" if state != "SUCCEEDED" else "INFO",
            "state": state,
            "jobRunId": "jr_3c9c24f19d1d2d5f8d1e6d7a1a8f7b7a",
            "message": "AnalysisException: Path does not exist: s3://carelake-dev-raw/raw/ehr/fhir/dt=2024-03-02",
            **detail,
        },
    }


class Env:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sns = client("sns")
        self.sqs = client("sqs")
        self.topic_arn = self.sns.create_topic(Name="carelake-test-pipeline-failures")["TopicArn"]
        self.queue = subscribe_queue(self.sns, self.sqs, self.topic_arn, "platform-team")
        for name, value in {
            "TOPIC_ARN": self.topic_arn,
            "RUNBOOK_BASE_URL": RUNBOOK,
            "JOB_NAME_PREFIX": PREFIX,
        }.items():
            monkeypatch.setenv(name, value)

    def notices(self) -> list[dict]:
        return drain_notifications(self.sqs, self.queue)


@pytest.fixture
def env(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(monkeypatch)


@pytest.mark.parametrize("state", ["FAILED", "TIMEOUT", "ERROR"])
def test_failure_states_publish_one_notice_with_the_runbook_link(env, state):
    event = glue_event(state)

    result = notifier.handler(event, FakeContext())

    [envelope] = env.notices()
    message = json.loads(envelope["Message"])
    assert message["job_name"] == "carelake-dev-raw_to_bronze"
    assert message["job"] == "raw_to_bronze"
    assert message["run_id"] == event["detail"]["jobRunId"]
    assert message["state"] == state
    assert message["error_message"] == event["detail"]["message"]
    assert message["runbook_url"] == f"{RUNBOOK}#raw_to_bronze"
    assert message["event_time"] == "2024-03-02T06:42:17Z"
    assert envelope["Subject"] == f"carelake Glue job {state}: raw_to_bronze"
    assert envelope["MessageAttributes"]["job"]["Value"] == "raw_to_bronze"
    assert result == {
        "published": True,
        "message_id": envelope["MessageId"],
        "runbook_url": f"{RUNBOOK}#raw_to_bronze",
    }


@pytest.mark.parametrize("state", ["SUCCEEDED", "STOPPED", "RUNNING"])
def test_other_states_publish_nothing(env, state, logs):
    result = notifier.handler(glue_event(state), FakeContext())
    assert result == {"published": False, "state": state}
    assert env.notices() == []
    [event] = logs.events()
    assert event["event"] == "failure_notifier.ignored" and event["state"] == state


def test_other_event_types_publish_nothing(env):
    event = {**glue_event("FAILED"), "detail-type": "Glue Job Run Status"}
    assert notifier.handler(event, FakeContext())["published"] is False
    assert env.notices() == []


@pytest.mark.parametrize(
    "detail",
    [
        {"jobName": None},
        {"jobName": ""},
        {"state": None},
        {"state": 3},
    ],
)
def test_malformed_glue_event_fails_loudly(env, detail):
    event = glue_event("FAILED")
    event["detail"].update(detail)
    with pytest.raises(notifier.MalformedEventError):
        notifier.handler(event, FakeContext())
    assert env.notices() == []


def test_event_without_detail_fails_loudly(env):
    event = glue_event("FAILED")
    del event["detail"]
    with pytest.raises(notifier.MalformedEventError):
        notifier.handler(event, FakeContext())


def test_job_without_the_prefix_links_by_its_full_name(env):
    notifier.handler(glue_event("FAILED", job_name="Adhoc Backfill"), FakeContext())
    [envelope] = env.notices()
    message = json.loads(envelope["Message"])
    assert message["job"] == "Adhoc Backfill"
    assert message["runbook_url"] == f"{RUNBOOK}#adhoc-backfill"


def test_long_error_message_is_truncated(env):
    notifier.handler(glue_event("FAILED", message="x" * 10_000), FakeContext())
    [envelope] = env.notices()
    error = json.loads(envelope["Message"])["error_message"]
    assert error.startswith("x" * 4000) and "x" * 4001 not in error
    assert error.endswith("[truncated; full text in the Glue run's error log]")


def test_missing_error_message_says_so(env):
    event = glue_event("TIMEOUT")
    del event["detail"]["message"]
    notifier.handler(event, FakeContext())
    [envelope] = env.notices()
    assert json.loads(envelope["Message"])["error_message"] == "(Glue gave no error message)"


def test_error_message_is_never_logged(env, logs):
    secret = "Malformed record: {'member_first_name': 'Jane', 'member_ssn': '123-45-6789'}"
    notifier.handler(glue_event("FAILED", message=secret), FakeContext())
    [event] = logs.events()
    assert event["event"] == "failure_notifier.published"
    assert event["job_name"] == "carelake-dev-raw_to_bronze" and event["state"] == "FAILED"
    assert "Jane" not in logs.text and "123-45-6789" not in logs.text


def test_publish_failure_fails_the_invocation_for_a_retry(env, monkeypatch, logs):
    monkeypatch.setenv("TOPIC_ARN", env.topic_arn + "-missing")
    with pytest.raises(Exception, match="NotFound"):
        notifier.handler(glue_event("FAILED"), FakeContext())
    [event] = logs.events()
    assert event["event"] == "failure_notifier.publish_failed" and event["aws_error"] == "NotFound"


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("raw_to_bronze", "raw_to_bronze"),
        ("silver_to_gold", "silver_to_gold"),
        ("Adhoc Backfill", "adhoc-backfill"),
        ("claims.ingest (v2)", "claimsingest-v2"),
    ],
)
def test_heading_anchor_follows_githubs_rules(heading, anchor):
    assert notifier.heading_anchor(heading) == anchor


@pytest.mark.parametrize(
    ("name", "prefix", "job"),
    [
        ("carelake-prod-silver_to_gold", "carelake-prod", "silver_to_gold"),
        ("carelake-prod-silver_to_gold", "carelake-dev", "carelake-prod-silver_to_gold"),
        ("carelake-devx-job", "carelake-dev", "carelake-devx-job"),
    ],
)
def test_short_job_name(name, prefix, job):
    assert notifier.short_job_name(name, prefix) == job


def test_runbook_url_replaces_an_existing_anchor():
    assert notifier.runbook_url(f"{RUNBOOK}#jobs", "raw_to_bronze") == f"{RUNBOOK}#raw_to_bronze"


def test_subject_is_ascii_single_line_and_at_most_100_characters():
    subject = notifier.subject("FAILED", "jöb\nname" + "x" * 200)
    assert subject.isascii() and "\n" not in subject and len(subject) == 100


@pytest.mark.parametrize("missing", ["TOPIC_ARN", "RUNBOOK_BASE_URL", "JOB_NAME_PREFIX"])
def test_settings_fail_loudly(missing):
    from common.config import ConfigError

    environ = {"TOPIC_ARN": "arn", "RUNBOOK_BASE_URL": RUNBOOK, "JOB_NAME_PREFIX": PREFIX}
    del environ[missing]
    with pytest.raises(ConfigError, match=missing):
        notifier.Settings.from_env(environ)
