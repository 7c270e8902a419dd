"""Risk alert evaluator: feed reading, allow-listed messages, the suppression window, failure
release, and exactly one publish per patient under concurrent invocations."""

from __future__ import annotations

import gzip
import json
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from lambda_testkit import FakeContext, client, drain_notifications, load_handler, subscribe_queue
from moto.dynamodb.models.table import Table

risk = load_handler("risk_alert")

BUCKET = "carelake-test-gold"
PREFIX = "gold/alert_feed/high_risk/"
TABLE = "carelake-test-alert-suppression"
THRESHOLD = 10
T0 = datetime(2024, 3, 2, 7, 0, 0, tzinfo=UTC)
ALLOWED_KEYS = {
    "patient_key",
    "clinic_id",
    "clinic_name",
    "lace_score",
    "risk_band",
    "last_outreach_status",
    "last_outreach_at",
}


def row(patient_key: str, lace_score: int, **extra: object) -> dict:
    """A feed line as docs/data-contracts.md shows it."""
    return {
        "patient_key": patient_key,
        "clinic_id": "clinic-001",
        "clinic_name": "Harbor Family Medicine",
        "lace_score": lace_score,
        "risk_band": "high" if lace_score >= 10 else "moderate",
        "last_outreach_status": "no_answer",
        "last_outreach_at": "2024-03-01T19:05:00Z",
        **extra,
    }


class Env:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.s3 = client("s3")
        self.sns = client("sns")
        self.sqs = client("sqs")
        self.dynamodb = client("dynamodb")
        self.s3.create_bucket(Bucket=BUCKET)
        self.topic_arn = self.sns.create_topic(Name="carelake-test-risk-alerts")["TopicArn"]
        self.queue = subscribe_queue(self.sns, self.sqs, self.topic_arn, "coordinators")
        self.dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "patient_key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "patient_key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.dynamodb.update_time_to_live(
            TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )
        self.env = {
            "ALERT_FEED_URI": f"s3://{BUCKET}/{PREFIX}",
            "RISK_THRESHOLD": str(THRESHOLD),
            "TOPIC_ARN": self.topic_arn,
            "SUPPRESSION_TABLE": TABLE,
        }
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SUPPRESSION_HOURS", raising=False)

    def put_feed(self, dt: str, rows: list[dict | str], name: str = "part-00000.json") -> None:
        lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
        body = ("\n".join(lines) + "\n").encode("utf-8")
        if name.endswith(".gz"):
            body = gzip.compress(body)
        self.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt={dt}/{name}", Body=body)

    def settings(self, **changes: object):
        return risk.Settings(
            **{
                "feed_bucket": BUCKET,
                "feed_prefix": PREFIX,
                "threshold": THRESHOLD,
                "topic_arn": self.topic_arn,
                "table": TABLE,
                **changes,
            }
        )

    def run(self, now: datetime = T0, **changes: object) -> dict:
        return risk.evaluate(
            self.settings(**changes), s3=self.s3, sns=self.sns, dynamodb=self.dynamodb, now=now
        )

    def alerts(self) -> list[dict]:
        return drain_notifications(self.sqs, self.queue)

    def messages(self) -> list[dict]:
        return [json.loads(envelope["Message"]) for envelope in self.alerts()]

    def claim(self, patient_key: str) -> dict | None:
        return self.dynamodb.get_item(TableName=TABLE, Key={"patient_key": {"S": patient_key}}).get("Item")


@pytest.fixture
def env(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(monkeypatch)


def allowed_part(feed_row: dict) -> dict:
    return {key: feed_row.get(key) for key in ALLOWED_KEYS}


# ---------------------------------------------------------------- what is sent


def test_one_alert_per_patient_at_or_over_the_threshold(env):
    rows = [row("pk-1", 14), row("pk-2", THRESHOLD), row("pk-3", THRESHOLD - 1)]
    env.put_feed("2024-03-02", rows)

    summary = env.run()

    messages = sorted(env.messages(), key=lambda m: m["patient_key"])
    assert messages == [allowed_part(rows[0]), allowed_part(rows[1])]
    assert summary["sent"] == 2 and summary["below_threshold"] == 1 and summary["suppressed"] == 0


def test_message_has_only_allowed_keys_and_no_identifiers(env, logs):
    phi = {
        "first_name": "Jane",
        "last_name": "Quimby-Public",
        "ssn": "123-45-6789",
        "address": "1 Elm Street, Springfield",
        "phone": "555-867-5309",
        "birth_date": "1950-01-02",
        "mrn": "MRN-0001234",
    }
    env.put_feed("2024-03-02", [row("pk-1", 15, **phi)])

    env.run()

    [envelope] = env.alerts()
    message = json.loads(envelope["Message"])
    assert set(message) == ALLOWED_KEYS
    for value in phi.values():
        assert value not in envelope["Message"]
        assert value not in json.dumps(envelope)
        assert value not in logs.text


def test_subject_and_attributes_support_per_clinic_subscriptions(env):
    clinic_queue = subscribe_queue(
        env.sns, env.sqs, env.topic_arn, "clinic-002", {"clinic_id": ["clinic-002"]}
    )
    env.put_feed("2024-03-02", [row("pk-1", 12), row("pk-2", 12, clinic_id="clinic-002")])

    env.run()

    [only] = drain_notifications(env.sqs, clinic_queue)
    assert json.loads(only["Message"])["patient_key"] == "pk-2"
    assert only["Subject"] == "carelake: high readmission risk"
    assert only["MessageAttributes"]["risk_band"]["Value"] == "high"
    assert len(env.alerts()) == 2


def test_missing_optional_fields_are_sent_as_null(env):
    env.put_feed("2024-03-02", [{"patient_key": "pk-9", "lace_score": 17}])
    env.run()
    assert env.messages() == [{**dict.fromkeys(ALLOWED_KEYS), "patient_key": "pk-9", "lace_score": 17}]


def test_only_the_latest_partition_is_read(env):
    env.put_feed("2024-02-29", [row("pk-old", 18)])
    env.put_feed("2024-03-02", [row("pk-new", 11)])
    env.put_feed("2024-03-01", [row("pk-mid", 12)])
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=latest/part-0.json", Body=b"{}")
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}_temporary/0/part-0.json", Body=b"{}")

    summary = env.run()

    assert [m["patient_key"] for m in env.messages()] == ["pk-new"]
    assert summary["feed_dt"] == "2024-03-02"


def test_every_data_file_of_the_partition_is_read_and_markers_are_skipped(env):
    env.put_feed("2024-03-02", [row("pk-1", 12)], name="part-00000-abc.json")
    env.put_feed("2024-03-02", [row("pk-2", 13)], name="part-00001-abc.json.gz")
    env.put_feed("2024-03-02", [row("pk-3", 14)], name="part-00002-abc.jsonl")
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=2024-03-02/_SUCCESS", Body=b"")
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=2024-03-02/.part-00000-abc.json.crc", Body=b"xx")

    summary = env.run()

    assert sorted(m["patient_key"] for m in env.messages()) == ["pk-1", "pk-2", "pk-3"]
    assert summary["files"] == 3 and summary["other_keys"] == 2


def test_a_patient_listed_twice_gets_one_alert_with_the_highest_score(env):
    env.put_feed("2024-03-02", [row("pk-1", 12), row("pk-1", 16), row("pk-1", 11)])
    summary = env.run()
    assert [(m["patient_key"], m["lace_score"]) for m in env.messages()] == [("pk-1", 16)]
    assert summary["duplicate_records"] == 2


def test_invalid_feed_lines_are_counted_and_logged_without_their_content(env, logs):
    bad = [
        "this is not json Jane",
        '["pk-x", 15]',
        json.dumps({"lace_score": 15, "clinic_name": "Jane"}),
        json.dumps({"patient_key": "", "lace_score": 15}),
        json.dumps({"patient_key": "pk-x", "lace_score": "15"}),
        json.dumps({"patient_key": "pk-x", "lace_score": True}),
        json.dumps({"patient_key": "pk-x", "lace_score": 15.5}),
        json.dumps({"patient_key": "pk-x", "lace_score": 15, "clinic_name": 7}),
    ]
    env.put_feed("2024-03-02", [row("pk-ok", 15), *bad, ""])

    summary = env.run()

    assert [m["patient_key"] for m in env.messages()] == ["pk-ok"]
    assert summary["records"] == 1 + len(bad) and summary["invalid_records"] == len(bad)
    invalid = [e for e in logs.events() if e["event"] == "risk_alert.invalid_record"]
    assert [e["line"] for e in invalid] == list(range(2, 2 + len(bad)))
    assert {e["file"] for e in invalid} == {f"{PREFIX}dt=2024-03-02/part-00000.json"}
    assert "Jane" not in logs.text and "pk-x" not in logs.text


def test_no_partition_fails_the_run(env):
    with pytest.raises(risk.FeedNotFoundError):
        env.run()
    assert env.alerts() == []


def test_partition_without_data_files_fails_the_run(env):
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=2024-03-02/_SUCCESS", Body=b"")
    with pytest.raises(risk.FeedNotFoundError, match="dt=2024-03-02"):
        env.run()


def test_stale_feed_is_sent_but_logged(env, logs):
    env.put_feed("2024-02-20", [row("pk-1", 12)])
    env.run()
    assert len(env.messages()) == 1
    [stale] = [e for e in logs.events() if e["event"] == "risk_alert.feed_stale"]
    assert stale["age_days"] == 11


# ---------------------------------------------------------------- suppression window


@pytest.mark.parametrize(
    ("later", "sent_again"),
    [
        (timedelta(hours=1), False),
        (timedelta(hours=23), False),
        (timedelta(hours=24), False),  # expires_at == now: not yet expired
        (timedelta(hours=24, seconds=1), True),
        (timedelta(hours=25), True),
    ],
)
def test_second_alert_within_24_hours_is_suppressed(env, later, sent_again):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    assert env.run(now=T0)["sent"] == 1
    assert len(env.alerts()) == 1

    summary = env.run(now=T0 + later)

    assert len(env.alerts()) == (1 if sent_again else 0)
    assert (summary["sent"], summary["suppressed"]) == ((1, 0) if sent_again else (0, 1))


def test_claim_records_the_window_and_the_message(env):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    env.run(now=T0)
    item = env.claim("pk-1")
    assert int(item["expires_at"]["N"]) == int((T0 + timedelta(hours=24)).timestamp())
    assert item["feed_dt"]["S"] == "2024-03-02"
    assert item["message_id"]["S"]


def test_suppression_hours_setting(env, monkeypatch):
    monkeypatch.setenv("SUPPRESSION_HOURS", "2")
    settings = risk.Settings.from_env()
    assert settings.suppression_hours == 2
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    env.run(now=T0, suppression_hours=2)
    assert env.run(now=T0 + timedelta(minutes=119))["suppressed"] == 1
    assert env.run(now=T0 + timedelta(hours=2, seconds=1), suppression_hours=2)["sent"] == 1
    assert int(env.claim("pk-1")["expires_at"]["N"]) == int((T0 + timedelta(hours=4, seconds=1)).timestamp())


def test_other_patients_are_not_suppressed_by_one_patients_alert(env):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    env.run(now=T0)
    env.put_feed("2024-03-02", [row("pk-1", 14), row("pk-2", 14)])
    summary = env.run(now=T0 + timedelta(hours=1))
    assert sorted(m["patient_key"] for m in env.messages()) == ["pk-1", "pk-2"]  # pk-1 from the first run
    assert (summary["sent"], summary["suppressed"]) == (1, 1)


# ---------------------------------------------------------------- failures


def test_failed_publish_releases_the_claim_so_the_next_run_retries(env, logs):
    env.put_feed("2024-03-02", [row("pk-1", 14), row("pk-2", 15)])
    missing_topic = env.topic_arn + "-missing"

    with pytest.raises(risk.AlertRunError, match="2 of 2 patients not alerted"):
        env.run(now=T0, topic_arn=missing_topic)

    assert env.claim("pk-1") is None and env.claim("pk-2") is None
    failed = [e for e in logs.events() if e["event"] == "risk_alert.publish_failed"]
    assert [e["aws_error"] for e in failed] == ["NotFound", "NotFound"]

    summary = env.run(now=T0 + timedelta(minutes=5))
    assert summary["sent"] == 2
    assert sorted(m["patient_key"] for m in env.messages()) == ["pk-1", "pk-2"]


class FailingCalls:
    """Wraps a real client; the named operations raise the given AWS error code."""

    def __init__(self, real: object, failing: dict[str, str]) -> None:
        self._real, self._failing = real, failing

    def __getattr__(self, name: str):
        if name in self._failing:
            code = self._failing[name]

            def fail(**_: object) -> None:
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)

            return fail
        return getattr(self._real, name)


def test_failed_release_is_reported_and_leaves_the_claim(env, logs):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    dynamodb = FailingCalls(env.dynamodb, {"delete_item": "InternalServerError"})
    sns = FailingCalls(env.sns, {"publish": "InternalErrorException"})
    settings = env.settings()

    with pytest.raises(risk.AlertRunError, match="1 still claimed"):
        risk.evaluate(settings, s3=env.s3, sns=sns, dynamodb=dynamodb, now=T0)

    assert env.claim("pk-1") is not None
    assert [e["event"] for e in logs.events() if e["level"] == "ERROR"] == [
        "risk_alert.publish_failed",
        "risk_alert.release_failed",
    ]


def test_failed_claim_is_a_failure_not_a_suppression(env):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    dynamodb = FailingCalls(env.dynamodb, {"put_item": "ProvisionedThroughputExceededException"})
    with pytest.raises(risk.AlertRunError):
        risk.evaluate(env.settings(), s3=env.s3, sns=env.sns, dynamodb=dynamodb, now=T0)
    assert env.alerts() == []


def test_release_never_deletes_a_claim_it_does_not_own(env):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    env.run(now=T0)
    risk.release_slot(env.dynamodb, TABLE, "pk-1", "some-other-claim-id")
    assert env.claim("pk-1") is not None


# ---------------------------------------------------------------- concurrency


@pytest.fixture
def atomic_conditional_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB evaluates a condition and writes the item atomically. moto's in-memory table
    checks and then writes with no lock between, so give it the service's guarantee."""
    lock = threading.Lock()
    original = Table.put_item

    def put_item(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", put_item)


def test_concurrent_invocations_publish_exactly_once_per_patient(env, atomic_conditional_writes):
    patients = [f"pk-{i:03d}" for i in range(25)]
    env.put_feed("2024-03-02", [row(p, 10 + i % 9) for i, p in enumerate(patients)])
    threads_count = 8
    start = threading.Barrier(threads_count)
    summaries: list[dict] = []
    errors: list[BaseException] = []

    def invoke() -> None:
        try:
            start.wait()
            summaries.append(risk.handler({}, FakeContext()))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=invoke) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    per_patient = Counter(m["patient_key"] for m in env.messages())
    assert per_patient == Counter({p: 1 for p in patients})
    assert sum(s["sent"] for s in summaries) == len(patients)
    assert sum(s["suppressed"] for s in summaries) == len(patients) * (threads_count - 1)


# ---------------------------------------------------------------- handler and settings


def test_handler_reads_its_settings_from_the_environment(env):
    env.put_feed("2024-03-02", [row("pk-1", 14)])
    summary = risk.handler({"version": "0", "detail-type": "Scheduled Event"}, FakeContext())
    assert summary["sent"] == 1 and summary["feed_dt"] == "2024-03-02"


def test_handler_replays_a_given_partition(env):
    env.put_feed("2024-03-01", [row("pk-old", 14)])
    env.put_feed("2024-03-02", [row("pk-new", 14)])
    summary = risk.handler({"dt": "2024-03-01"}, FakeContext())
    assert summary["feed_dt"] == "2024-03-01"
    assert [m["patient_key"] for m in env.messages()] == ["pk-old"]


@pytest.mark.parametrize("dt", ["2024-3-1", "2024-02-30", "yesterday", 20240301])
def test_handler_rejects_a_malformed_replay_dt(env, dt):
    with pytest.raises(ValueError):
        risk.handler({"dt": dt}, FakeContext())


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://gold/alert_feed/high_risk/", ("gold", "alert_feed/high_risk/")),
        ("s3://gold/alert_feed/high_risk", ("gold", "alert_feed/high_risk/")),
        ("s3://gold", ("gold", "")),
        ("s3://gold/", ("gold", "")),
    ],
)
def test_parse_s3_uri(uri, expected):
    assert risk.parse_s3_uri(uri) == expected


@pytest.mark.parametrize("uri", ["gold/alert_feed/", "https://gold.s3.amazonaws.com/x", "s3:///x"])
def test_parse_s3_uri_rejects(uri):
    with pytest.raises(risk.ConfigError):
        risk.parse_s3_uri(uri)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ALERT_FEED_URI": None}, "ALERT_FEED_URI"),
        ({"RISK_THRESHOLD": None}, "RISK_THRESHOLD"),
        ({"RISK_THRESHOLD": "high"}, "RISK_THRESHOLD must be an integer"),
        ({"TOPIC_ARN": ""}, "TOPIC_ARN"),
        ({"SUPPRESSION_TABLE": None}, "SUPPRESSION_TABLE"),
        ({"SUPPRESSION_HOURS": "0"}, "SUPPRESSION_HOURS must be >= 1"),
    ],
)
def test_settings_fail_loudly(changes, message):
    environ = {
        "ALERT_FEED_URI": "s3://gold/feed/",
        "RISK_THRESHOLD": "10",
        "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
        "SUPPRESSION_TABLE": "t",
    }
    for name, value in changes.items():
        if value is None:
            environ.pop(name)
        else:
            environ[name] = value
    with pytest.raises(risk.ConfigError, match=message):
        risk.Settings.from_env(environ)


def test_settings_default_suppression_is_24_hours():
    environ = {
        "ALERT_FEED_URI": "s3://g/p",
        "RISK_THRESHOLD": "10",
        "TOPIC_ARN": "a",
        "SUPPRESSION_TABLE": "t",
    }
    assert risk.Settings.from_env(environ).suppression_hours == 24


def test_latest_partition_ignores_non_dates():
    dirs = ["p/dt=2024-03-01/", "p/dt=2024-13-01/", "p/dt=2024-03-10/", "p/dt=latest/", "p/other/"]
    assert risk.latest_partition(dirs) == "2024-03-10"
    assert risk.latest_partition(["p/other/"]) is None


def test_patients_to_alert_counts_and_orders():
    records = [risk.FeedRecord("pk-b", 12), risk.FeedRecord("pk-a", 9), risk.FeedRecord("pk-b", 13)]
    patients, below, duplicates = risk.patients_to_alert(records, 10)
    assert patients == [risk.FeedRecord("pk-b", 13)]
    assert (below, duplicates) == (1, 1)
