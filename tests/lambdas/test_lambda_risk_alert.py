"""Risk alert evaluator: feed reading (version 2), notices without PHI (a count per clinic and
where to look), both suppression rules, exactly one notice per patient per window under
injected timeouts, server errors and concurrent invocations, and stale feeds reported, never
alerted."""

from __future__ import annotations

import gzip
import http.server
import json
import threading
import traceback
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from lambda_testkit import REGION, FakeContext, client, drain_notifications, load_handler, subscribe_queue
from moto.core.botocore_stubber import BotocoreStubber

risk = load_handler("risk_alert")
from common import aws  # noqa: E402  (lambdas/ is on the path once a handler is loaded)

BUCKET = "carelake-test-gold"
PREFIX = "gold/alert_feed/high_risk/"
TABLE = "carelake-test-alert-suppression"
THRESHOLD = 10
WORKLIST = "Athena view carelake_test_gold.v_care_team_worklist (care_coordinator workgroup)"
T0 = datetime(2024, 3, 2, 9, 0, 0, tzinfo=UTC)  # the scheduled run on the feed's day
# Runs a day after the feed's: the same feed stays current for them (its age is tested on its own).
LONG_LIVED_FEED = {"feed_max_age_hours": 72}
NOTICE_KEYS = {"kind", "clinic_id", "clinic_name", "patients_to_call", "worklist", "feed_dt"}


def row(patient_key: str, lace_score: int = 12, clinic_id: str = "clinic-001", **extra: object) -> dict:
    """A feed line as docs/data-contracts.md shows it (version 2)."""
    return {
        "feed_version": 2,
        "patient_key": patient_key,
        "clinic_id": clinic_id,
        "clinic_name": "Harbor Family Medicine" if clinic_id == "clinic-001" else f"Clinic {clinic_id}",
        "lace_score": lace_score,
        "risk_band": "high" if lace_score >= 10 else "moderate",
        "call_reason": "not_reached_since_discharge",
        "last_successful_outreach_at": None,
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
        self.env = {
            "ALERT_FEED_URI": f"s3://{BUCKET}/{PREFIX}",
            "RISK_THRESHOLD": str(THRESHOLD),
            "TOPIC_ARN": self.topic_arn,
            "SUPPRESSION_TABLE": TABLE,
            "WORKLIST_LOCATION": WORKLIST,
        }
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SUPPRESSION_HOURS", raising=False)
        monkeypatch.delenv("ALERT_FEED_MAX_AGE_HOURS", raising=False)

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
                "worklist_location": WORKLIST,
                **changes,
            }
        )

    def run(self, now: datetime = T0, sns: object = None, dynamodb: object = None, **changes: object) -> dict:
        return risk.evaluate(
            self.settings(**changes),
            s3=self.s3,
            sns=sns or self.sns,
            dynamodb=dynamodb or self.dynamodb,
            now=now,
        )

    def envelopes(self) -> list[dict]:
        return drain_notifications(self.sqs, self.queue)

    def notices(self) -> list[dict]:
        return [json.loads(envelope["Message"]) for envelope in self.envelopes()]

    def counts(self) -> dict[str, int]:
        """patients_to_call per clinic over every notice delivered so far."""
        totals: Counter[str] = Counter()
        for message in self.notices():
            totals[message["clinic_id"]] += message["patients_to_call"]
        return dict(totals)

    def claim(self, patient_key: str) -> dict | None:
        return self.dynamodb.get_item(TableName=TABLE, Key={"patient_key": {"S": patient_key}}).get("Item")


@pytest.fixture
def env(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(monkeypatch)


# ---------------------------------------------------------------- what is sent


def test_one_notice_per_clinic_with_the_count_and_where_to_look(env):
    env.put_feed("2024-03-02", [row("pk-1", 14), row("pk-2", THRESHOLD), row("pk-3", THRESHOLD - 1),
                                row("pk-4", 11, clinic_id="clinic-002")])  # fmt: skip

    summary = env.run()

    notices = sorted(env.notices(), key=lambda m: m["clinic_id"])
    assert notices == [
        {"kind": "care_team_worklist", "clinic_id": "clinic-001", "clinic_name": "Harbor Family Medicine",
         "patients_to_call": 2, "worklist": WORKLIST, "feed_dt": "2024-03-02"},
        {"kind": "care_team_worklist", "clinic_id": "clinic-002", "clinic_name": "Clinic clinic-002",
         "patients_to_call": 1, "worklist": WORKLIST, "feed_dt": "2024-03-02"},
    ]  # fmt: skip
    assert (summary["notices"], summary["patients_notified"], summary["below_threshold"]) == (2, 3, 1)


def test_notices_carry_no_patient_data(env, logs):
    phi = {
        "first_name": "Jane",
        "last_name": "Quimby-Public",
        "ssn": "123-45-6789",
        "address": "1 Elm Street, Springfield",
        "phone": "555-867-5309",
        "birth_date": "1950-01-02",
        "mrn": "MRN-0001234",
    }
    env.put_feed("2024-03-02", [row("pk-secret-key", 15, **phi)])

    env.run()

    [envelope] = env.envelopes()
    assert set(json.loads(envelope["Message"])) == NOTICE_KEYS
    text = json.dumps(envelope)
    for value in [*phi.values(), "pk-secret-key", "lace_score", "risk_band", "not_reached_since_discharge"]:
        assert value not in text
    for value in phi.values():
        assert value not in logs.text
    assert envelope["Subject"] == risk.SUBJECT


def test_clinics_subscribe_with_a_filter_policy(env):
    clinic_queue = subscribe_queue(
        env.sns, env.sqs, env.topic_arn, "clinic-002", {"clinic_id": ["clinic-002"]}
    )
    env.put_feed(
        "2024-03-02", [row("pk-1"), row("pk-2", clinic_id="clinic-002"), row("pk-3", clinic_id="clinic-002")]
    )

    env.run()

    [only] = drain_notifications(env.sqs, clinic_queue)
    assert json.loads(only["Message"])["patients_to_call"] == 2
    assert only["MessageAttributes"]["clinic_id"]["Value"] == "clinic-002"


def test_a_patient_without_a_clinic_is_counted_under_unknown(env):
    env.put_feed("2024-03-02", [row("pk-9", clinic_id=None, clinic_name=None)])
    env.run()
    [notice] = env.notices()
    assert (notice["clinic_id"], notice["clinic_name"], notice["patients_to_call"]) == ("unknown", None, 1)


def test_only_the_latest_partition_is_read(env):
    env.put_feed("2024-03-01", [row("pk-old"), row("pk-old-2")])
    env.put_feed("2024-03-02", [row("pk-new")])
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=latest/part-0.json", Body=b"{}")
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}_temporary/0/part-0.json", Body=b"{}")

    summary = env.run()

    assert env.counts() == {"clinic-001": 1} and summary["feed_dt"] == "2024-03-02"
    assert env.claim("pk-new") is not None and env.claim("pk-old") is None


def test_every_data_file_of_the_partition_is_read_and_markers_are_skipped(env):
    env.put_feed("2024-03-02", [row("pk-1")], name="part-00000-abc.json")
    env.put_feed("2024-03-02", [row("pk-2")], name="part-00001-abc.json.gz")
    env.put_feed("2024-03-02", [row("pk-3")], name="part-00002-abc.jsonl")
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=2024-03-02/_SUCCESS", Body=b"")
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=2024-03-02/.part-00000-abc.json.crc", Body=b"xx")

    summary = env.run()

    assert env.counts() == {"clinic-001": 3}
    assert summary["files"] == 3 and summary["other_keys"] == 2


def test_a_patient_listed_twice_is_counted_once(env):
    env.put_feed("2024-03-02", [row("pk-1", 12), row("pk-1", 16), row("pk-1", 11)])
    summary = env.run()
    assert env.counts() == {"clinic-001": 1} and summary["duplicate_records"] == 2


def test_invalid_feed_lines_are_counted_and_logged_without_their_content(env, logs):
    bad = [
        "this is not json Jane",
        '["pk-x", 15]',
        json.dumps({**row("pk-x"), "feed_version": 1}),  # a version-1 writer
        json.dumps({k: v for k, v in row("pk-x").items() if k != "feed_version"}),
        json.dumps({**row("pk-x"), "patient_key": ""}),
        json.dumps({**row("pk-x"), "lace_score": "15"}),
        json.dumps({**row("pk-x"), "lace_score": True}),
        json.dumps({**row("pk-x"), "lace_score": 15.5}),
        json.dumps({**row("pk-x"), "clinic_name": 7}),
        json.dumps({**row("pk-x"), "last_successful_outreach_at": "2024-03-02 10:00:00"}),
        json.dumps({**row("pk-x"), "last_successful_outreach_at": "2024-02-30T10:00:00Z"}),
    ]
    env.put_feed("2024-03-02", [row("pk-ok", 15), *bad, ""])

    summary = env.run()

    assert env.counts() == {"clinic-001": 1} and env.claim("pk-ok") is not None
    assert summary["records"] == 1 + len(bad) and summary["invalid_records"] == len(bad)
    invalid = [e for e in logs.events() if e["event"] == "risk_alert.invalid_record"]
    assert [e["line"] for e in invalid] == list(range(2, 2 + len(bad)))
    assert invalid[2]["reason"] == "feed_version is not 2"
    assert "Jane" not in logs.text and "pk-x" not in logs.text


def test_no_partition_fails_the_run(env):
    with pytest.raises(risk.FeedNotFoundError):
        env.run()
    assert env.envelopes() == []


def test_partition_without_data_files_fails_the_run(env):
    env.s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}dt=2024-03-02/_SUCCESS", Body=b"")
    with pytest.raises(risk.FeedNotFoundError, match="dt=2024-03-02"):
        env.run()


def test_an_empty_feed_sends_nothing(env):
    env.put_feed("2024-03-02", [])
    assert env.run()["notices"] == 0 and env.envelopes() == []


@pytest.mark.parametrize(
    ("feed_dt", "now", "stale"),
    [
        ("2024-03-02", T0, False),  # 9 h
        ("2024-03-01", datetime(2024, 3, 2, 6, 0, tzinfo=UTC), False),  # exactly 30 h
        ("2024-03-01", datetime(2024, 3, 2, 6, 0, 1, tzinfo=UTC), True),
        ("2024-03-01", T0, True),  # yesterday's list at today's run: 33 h
        ("2024-02-20", T0, True),
    ],
)
def test_a_stale_feed_is_reported_and_never_alerted(env, logs, feed_dt, now, stale):
    env.put_feed(feed_dt, [row("pk-1")])
    if not stale:
        assert env.run(now=now)["patients_notified"] == 1
        return
    with pytest.raises(risk.FeedStaleError, match=f"dt={feed_dt}"):
        env.run(now=now)
    assert env.envelopes() == [] and env.claim("pk-1") is None
    [line] = [e for e in logs.events() if e["event"] == "risk_alert.feed_stale"]
    assert (line["level"], line["feed_dt"], line["max_age_hours"]) == ("ERROR", feed_dt, 30)


# ---------------------------------------------------------------- suppression


@pytest.mark.parametrize(
    ("later", "counted_again"),
    [
        (timedelta(hours=1), False),
        (timedelta(hours=23), False),
        (timedelta(hours=23, minutes=50), False),  # expires_at == now: not yet expired
        (timedelta(hours=23, minutes=50, seconds=1), True),  # the 10-minute schedule allowance
        (timedelta(hours=24) - timedelta(seconds=40), True),  # tomorrow's run, fired 40 s early
        (timedelta(hours=24), True),
        (timedelta(hours=25), True),
    ],
)
def test_no_second_notice_for_a_patient_within_24_hours_of_the_first(env, later, counted_again):
    env.put_feed("2024-03-02", [row("pk-1")])
    assert env.run(now=T0)["patients_notified"] == 1
    env.envelopes()

    summary = env.run(now=T0 + later, **LONG_LIVED_FEED)

    assert env.counts() == ({"clinic-001": 1} if counted_again else {})
    assert (summary["patients_notified"], summary["recently_alerted"]) == (
        (1, 0) if counted_again else (0, 1)
    )


@pytest.mark.parametrize(
    ("reached_ago", "counted"),
    [
        (timedelta(hours=2), False),  # the call of this morning, before the list was built
        (timedelta(hours=23, minutes=59), False),
        (timedelta(hours=24), True),
        (timedelta(days=3), True),
        (timedelta(hours=-1), False),  # a clock ahead of the Lambda's: still "just reached"
    ],
)
def test_no_notice_within_24_hours_of_a_successful_outreach(env, reached_ago, counted):
    reached = (T0 - reached_ago).strftime("%Y-%m-%dT%H:%M:%SZ")
    env.put_feed("2024-03-02", [row("pk-1", call_reason="emergency_visit_since_reached",
                                    last_successful_outreach_at=reached)])  # fmt: skip

    summary = env.run()

    assert env.counts() == ({"clinic-001": 1} if counted else {})
    assert summary["recently_reached"] == (0 if counted else 1)
    assert (env.claim("pk-1") is not None) == counted  # a reached patient's slot is not taken


def test_claim_records_the_window_clinic_and_message(env):
    env.put_feed("2024-03-02", [row("pk-1")])
    env.run(now=T0)
    item = env.claim("pk-1")
    assert int(item["expires_at"]["N"]) == int((T0 + timedelta(hours=24, minutes=-10)).timestamp())
    assert (item["feed_dt"]["S"], item["clinic_id"]["S"], item["notice_status"]["S"]) == (
        "2024-03-02",
        "clinic-001",
        "sent",
    )
    assert item["message_id"]["S"]


def test_suppression_hours_setting(env, monkeypatch):
    monkeypatch.setenv("SUPPRESSION_HOURS", "2")
    assert risk.Settings.from_env().suppression_hours == 2
    env.put_feed("2024-03-02", [row("pk-1")])
    env.run(now=T0, suppression_hours=2)
    assert env.run(now=T0 + timedelta(minutes=109), suppression_hours=2)["recently_alerted"] == 1
    assert env.run(now=T0 + timedelta(minutes=111), suppression_hours=2)["patients_notified"] == 1


def test_a_new_patient_is_counted_while_others_are_suppressed(env):
    env.put_feed("2024-03-02", [row("pk-1")])
    env.run(now=T0)
    env.envelopes()
    env.put_feed("2024-03-02", [row("pk-1"), row("pk-2")])
    summary = env.run(now=T0 + timedelta(hours=1))
    assert env.counts() == {"clinic-001": 1}
    assert (summary["patients_notified"], summary["recently_alerted"]) == (1, 1)


# ---------------------------------------------------------------- failures: exactly once


class AfterRealCall:
    """Wraps a real client: the named operation runs for real, then raises the given error, as
    when SNS accepted a message but the answer never reached the client."""

    def __init__(self, real: object, operation: str, error: Exception, times: int = 1) -> None:
        self._real, self._operation, self._error, self._times = real, operation, error, times

    def __getattr__(self, name: str):
        if name != self._operation:
            return getattr(self._real, name)

        def call(**kwargs: object) -> object:
            result = getattr(self._real, name)(**kwargs)
            if self._times:
                self._times -= 1
                raise self._error
            return result

        return call


class Failing:
    """Wraps a real client; the named operations raise without calling AWS."""

    def __init__(self, real: object, failing: dict[str, Exception]) -> None:
        self._real, self._failing = real, failing

    def __getattr__(self, name: str):
        if name in self._failing:
            error = self._failing[name]

            def fail(**_: object) -> None:
                raise error

            return fail
        return getattr(self._real, name)


def client_error(code: str, status: int, operation: str = "Publish") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": "injected"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       operation)  # fmt: skip


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(
            ReadTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com/"), id="read-timeout"
        ),
        pytest.param(client_error("InternalError", 500), id="server-error"),
    ],
)
def test_a_publish_that_may_have_been_delivered_keeps_its_claims(env, logs, error):
    env.put_feed("2024-03-02", [row("pk-1"), row("pk-2")])
    sns = AfterRealCall(env.sns, "publish", error)

    with pytest.raises(risk.AlertRunError, match="1 notices unconfirmed"):
        env.run(now=T0, sns=sns)

    assert env.counts() == {"clinic-001": 2}  # SNS had it: the coordinators were told once
    assert {env.claim(p)["notice_status"]["S"] for p in ("pk-1", "pk-2")} == {"unconfirmed"}
    [line] = [e for e in logs.events() if e["event"] == "risk_alert.publish_unconfirmed"]
    assert (line["clinic_id"], line["patients"]) == ("clinic-001", 2)

    # The async retry and the next runs in the window send nothing more.
    for later in (timedelta(minutes=1), timedelta(hours=3), timedelta(hours=23, minutes=50)):
        assert env.run(now=T0 + later, **LONG_LIVED_FEED)["recently_alerted"] == 2
    assert env.envelopes() == []


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(client_error("NotFound", 404), id="missing-topic"),
        pytest.param(client_error("Throttling", 400), id="throttled"),
        pytest.param(client_error("KMSAccessDenied", 400), id="kms"),
        pytest.param(
            ConnectTimeoutError(endpoint_url="https://sns.us-east-1.amazonaws.com/"), id="no-connection"
        ),
    ],
)
def test_a_publish_that_certainly_failed_releases_its_claims_for_the_next_run(env, logs, error):
    env.put_feed("2024-03-02", [row("pk-1"), row("pk-2", clinic_id="clinic-002")])

    with pytest.raises(risk.AlertRunError, match="2 notices failed"):
        env.run(now=T0, sns=Failing(env.sns, {"publish": error}))

    assert env.claim("pk-1") is None and env.claim("pk-2") is None
    failed = [e for e in logs.events() if e["event"] == "risk_alert.publish_failed"]
    assert [e["clinic_id"] for e in failed] == ["clinic-001", "clinic-002"]

    summary = env.run(now=T0 + timedelta(minutes=5))
    assert summary["patients_notified"] == 2
    assert env.counts() == {"clinic-001": 1, "clinic-002": 1}


def test_a_failed_release_is_reported_and_leaves_the_claim(env, logs):
    env.put_feed("2024-03-02", [row("pk-1")])
    sns = Failing(env.sns, {"publish": client_error("InvalidParameter", 400)})
    dynamodb = Failing(env.dynamodb, {"delete_item": client_error("InternalServerError", 500, "DeleteItem")})

    with pytest.raises(risk.AlertRunError, match="1 still claimed"):
        env.run(now=T0, sns=sns, dynamodb=dynamodb)

    assert env.claim("pk-1") is not None
    assert [e["event"] for e in logs.events() if e["level"] == "ERROR"] == [
        "risk_alert.publish_failed",
        "risk_alert.release_failed",
    ]


def test_a_failed_claim_is_a_failure_not_a_suppression(env):
    env.put_feed("2024-03-02", [row("pk-1"), row("pk-2")])
    dynamodb = Failing(
        env.dynamodb, {"put_item": client_error("ProvisionedThroughputExceededException", 400, "PutItem")}
    )
    with pytest.raises(risk.AlertRunError, match="2 claims failed"):
        env.run(now=T0, dynamodb=dynamodb)
    assert env.envelopes() == []


def test_a_retried_claim_whose_first_attempt_was_applied_is_still_ours(env):
    """botocore retries a PutItem whose answer was lost; the retry fails its condition on the
    claim the first attempt wrote. That claim is ours: the patient is notified, once."""

    class PutTwice:
        def __init__(self, real: object) -> None:
            self._real = real

        def __getattr__(self, name: str):
            if name != "put_item":
                return getattr(self._real, name)

            def put_item(**kwargs: object) -> object:
                self._real.put_item(**kwargs)  # applied; the answer "lost"
                return self._real.put_item(**kwargs)  # the retry: ConditionalCheckFailed on our own claim

            return put_item

    env.put_feed("2024-03-02", [row("pk-1")])
    summary = env.run(now=T0, dynamodb=PutTwice(env.dynamodb))
    assert (summary["patients_notified"], summary["recently_alerted"]) == (1, 0)
    assert env.counts() == {"clinic-001": 1}


def test_the_release_never_deletes_a_claim_it_does_not_own(env):
    env.put_feed("2024-03-02", [row("pk-1")])
    env.run(now=T0)
    risk.release_slot(env.dynamodb, TABLE, "pk-1", "some-other-claim-id")
    assert env.claim("pk-1") is not None


class AcceptThenHang(http.server.BaseHTTPRequestHandler):
    """An SNS endpoint that reads the request, counts it and never answers in time."""

    requests: ClassVar[list[bytes]] = []
    release = threading.Event()

    def do_POST(self) -> None:
        type(self).requests.append(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).release.wait(10)

    def log_message(self, *args: object) -> None:
        pass


def test_the_sdk_never_resends_a_publish_whose_answer_timed_out(env, monkeypatch):
    """With its default retries botocore would send a timed-out Publish again (three messages
    for one notice). The handler's SNS client makes one attempt: one request reaches SNS."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AcceptThenHang)
    AcceptThenHang.requests = []
    AcceptThenHang.release.clear()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        config = aws.client_config(max_attempts=1).merge(risk_config_for_test())
        sns = boto3.session.Session().client(
            "sns", region_name=REGION, endpoint_url=f"http://127.0.0.1:{server.server_port}", config=config
        )
        env.put_feed("2024-03-02", [row("pk-1")])
        with pytest.raises(risk.AlertRunError, match="1 notices unconfirmed"):
            env.run(now=T0, sns=sns)
        assert len(AcceptThenHang.requests) == 1 and b"Action=Publish" in AcceptThenHang.requests[0]
        assert env.claim("pk-1")["notice_status"]["S"] == "unconfirmed"
    finally:
        AcceptThenHang.release.set()
        server.shutdown()
        server.server_close()


def risk_config_for_test() -> Config:
    """Short timeouts, so the hanging endpoint costs a second."""
    return Config(read_timeout=1, connect_timeout=1)


def test_the_handler_publishes_with_one_attempt(env, monkeypatch):
    monkeypatch.setattr(risk, "datetime", FixedNow)
    seen = {}
    real_client = aws.client

    def spy(service: str, **kwargs: object):
        seen[service] = kwargs
        return real_client(service, **kwargs)

    monkeypatch.setattr(aws, "client", spy)
    env.put_feed("2024-03-02", [row("pk-1")])
    risk.handler({}, FakeContext())
    assert seen["sns"] == {"max_attempts": 1}
    assert aws.client("sns", max_attempts=1).meta.config.retries["total_max_attempts"] == 1


# ---------------------------------------------------------------- concurrency


@pytest.fixture
def one_request_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS applies each request atomically (a DynamoDB condition and its write included).
    In-process moto answers a request in the caller's thread, on plain dicts with no lock:
    a conditional put could interleave with another write, and one clean-clone run under
    load failed with "dictionary changed size during iteration". One lock around moto's
    request hook gives the service's guarantee; requests still interleave with each other."""
    lock = threading.RLock()
    original = BotocoreStubber.__call__

    def serialized(self, *args, **kwargs):
        with lock:
            return original(self, *args, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", serialized)


def test_concurrent_invocations_count_each_patient_in_exactly_one_notice(
    env, one_request_at_a_time, monkeypatch
):
    monkeypatch.setattr(risk, "datetime", FixedNow)
    patients = [(f"pk-{i:03d}", f"clinic-{i % 3:03d}") for i in range(30)]
    env.put_feed("2024-03-02", [row(p, 10 + i % 9, clinic_id=c) for i, (p, c) in enumerate(patients)])
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

    assert not errors, "".join(traceback.format_exception(errors[0]))
    assert env.counts() == dict(Counter(c for _, c in patients))  # 10 per clinic, however split
    assert sum(s["patients_notified"] for s in summaries) == len(patients)
    assert sum(s["recently_alerted"] for s in summaries) == len(patients) * (threads_count - 1)
    assert {env.claim(p)["notice_status"]["S"] for p, _ in patients} == {"sent"}


# ---------------------------------------------------------------- handler and settings


def test_handler_reads_its_settings_from_the_environment(env, monkeypatch):
    monkeypatch.setattr(risk, "datetime", FixedNow)
    env.put_feed("2024-03-02", [row("pk-1")])
    summary = risk.handler({"version": "0", "detail-type": "Scheduled Event"}, FakeContext())
    assert summary["patients_notified"] == 1 and summary["feed_dt"] == "2024-03-02"


def test_the_threshold_setting_decides_who_is_counted(env, monkeypatch):
    monkeypatch.setattr(risk, "datetime", FixedNow)
    env.put_feed("2024-03-02", [row("pk-10", 10), row("pk-12", 12), row("pk-14", 14)])
    monkeypatch.setenv("RISK_THRESHOLD", "12")
    summary = risk.handler({}, FakeContext())
    assert (summary["patients_notified"], summary["below_threshold"]) == (2, 1)
    assert env.claim("pk-10") is None and env.claim("pk-12") is not None


def test_handler_replays_a_given_partition(env, monkeypatch):
    monkeypatch.setattr(risk, "datetime", FixedNow)
    env.put_feed("2024-03-01", [row("pk-old")])
    env.put_feed("2024-03-02", [row("pk-new")])
    monkeypatch.setenv("ALERT_FEED_MAX_AGE_HOURS", "48")
    summary = risk.handler({"dt": "2024-03-01"}, FakeContext())
    assert summary["feed_dt"] == "2024-03-01" and env.claim("pk-old") is not None


class FixedNow(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return T0.astimezone(tz)


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


SETTINGS = {
    "ALERT_FEED_URI": "s3://gold/feed/",
    "RISK_THRESHOLD": "10",
    "TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:t",
    "SUPPRESSION_TABLE": "t",
    "WORKLIST_LOCATION": WORKLIST,
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ALERT_FEED_URI": None}, "ALERT_FEED_URI"),
        ({"RISK_THRESHOLD": None}, "RISK_THRESHOLD"),  # no default: the one value comes from Terraform
        ({"RISK_THRESHOLD": "high"}, "RISK_THRESHOLD must be an integer"),
        ({"TOPIC_ARN": ""}, "TOPIC_ARN"),
        ({"SUPPRESSION_TABLE": None}, "SUPPRESSION_TABLE"),
        ({"WORKLIST_LOCATION": None}, "WORKLIST_LOCATION"),
        ({"SUPPRESSION_HOURS": "0"}, "SUPPRESSION_HOURS must be >= 1"),
        ({"ALERT_FEED_MAX_AGE_HOURS": "0"}, "ALERT_FEED_MAX_AGE_HOURS must be >= 1"),
    ],
)
def test_settings_fail_loudly(changes, message):
    environ = dict(SETTINGS)
    for name, value in changes.items():
        if value is None:
            environ.pop(name)
        else:
            environ[name] = value
    with pytest.raises(risk.ConfigError, match=message):
        risk.Settings.from_env(environ)


def test_settings_defaults_are_24_hours_and_30_hours():
    settings = risk.Settings.from_env(SETTINGS)
    assert (settings.suppression_hours, settings.feed_max_age_hours) == (24, 30)


def test_latest_partition_ignores_non_dates():
    dirs = ["p/dt=2024-03-01/", "p/dt=2024-13-01/", "p/dt=2024-03-10/", "p/dt=latest/", "p/other/"]
    assert risk.latest_partition(dirs) == "2024-03-10"
    assert risk.latest_partition(["p/other/"]) is None


def test_patients_to_alert_counts_and_orders():
    records = [risk.FeedRecord("pk-b", 12), risk.FeedRecord("pk-a", 9), risk.FeedRecord("pk-b", 13)]
    patients, below, duplicates = risk.patients_to_alert(records, 10)
    assert patients == [risk.FeedRecord("pk-b", 13)]
    assert (below, duplicates) == (1, 1)
