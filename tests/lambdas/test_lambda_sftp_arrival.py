"""SFTP arrival: every check, both event formats, quarantine with reasons, the Glue start."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from lambda_testkit import (
    FakeContext,
    client,
    eventbridge_object_created,
    load_handler,
    partner_claims_columns,
    s3_notification,
)

sftp = load_handler("sftp_arrival")

RAW = "carelake-test-raw"
QUARANTINE = "carelake-test-quarantine"
JOB = "carelake-test-claims_ingest"
MAX_BYTES = 4000
NOW = datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
COLUMNS = partner_claims_columns()  # from docs/data-contracts.md, not from the handler
HEADER = ",".join(COLUMNS)
DATA_ROW = (
    "C1001,1,M-778,Jane,Quimby,1950-01-02,F,123-45-6789,02139,P01,Acme Health,1234567893,"
    "2024-02-01,2024-02-01,11,E11.9,,99213,,1,150.00,120.00,96.00,paid,,2024-02-20"
)
GOOD_KEY = "claims/partner=acme/dt=2024-03-02/claims_acme_20240302.csv"
PHI_VALUES = ("Jane", "Quimby", "123-45-6789", "1950-01-02", "M-778")


def csv_bytes(header: str = HEADER, rows: tuple[str, ...] = (DATA_ROW,), newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode("utf-8")


class Env:
    def __init__(self, monkeypatch: pytest.MonkeyPatch, max_concurrent_runs: int = 10) -> None:
        self.s3 = client("s3")
        self.glue = client("glue")
        self.s3.create_bucket(Bucket=RAW)
        self.s3.create_bucket(Bucket=QUARANTINE)
        self.glue.create_job(
            Name=JOB,
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://artifacts/claims_ingest.py"},
            ExecutionProperty={"MaxConcurrentRuns": max_concurrent_runs},
        )
        for name, value in {
            "CLAIMS_JOB_NAME": JOB,
            "QUARANTINE_BUCKET": QUARANTINE,
            "MAX_FILE_BYTES": str(MAX_BYTES),
        }.items():
            monkeypatch.setenv(name, value)

    def put(self, key: str, body: bytes) -> None:
        self.s3.put_object(Bucket=RAW, Key=key, Body=body)

    def exists(self, bucket: str, key: str) -> bool:
        return "Contents" in self.s3.list_objects_v2(Bucket=bucket, Prefix=key) and any(
            o["Key"] == key for o in self.s3.list_objects_v2(Bucket=bucket, Prefix=key)["Contents"]
        )

    def body(self, bucket: str, key: str) -> bytes:
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def job_runs(self) -> list[dict]:
        return self.glue.get_job_runs(JobName=JOB)["JobRuns"]

    def quarantine_keys(self) -> list[str]:
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=QUARANTINE).get("Contents", []))

    def settings(self, **changes: object):
        return sftp.Settings(
            **{
                "claims_job_name": JOB,
                "quarantine_bucket": QUARANTINE,
                "max_file_bytes": MAX_BYTES,
                **changes,
            }
        )

    def handle(self, event: dict, **changes: object) -> dict:
        return sftp.handle(event, self.settings(**changes), s3=self.s3, glue=self.glue, now=NOW)


@pytest.fixture
def env(mocked_aws: None, monkeypatch: pytest.MonkeyPatch) -> Env:
    return Env(monkeypatch)


def test_handler_columns_are_the_data_contract_columns():
    assert len(COLUMNS) == 26
    assert list(sftp.CLAIMS_COLUMNS) == COLUMNS


# ---------------------------------------------------------------- good files


def assert_started(env: Env, summary: dict, key: str, dt: str) -> None:
    [started] = summary["started"]
    assert started["key"] == key and started["dt"] == dt
    [run] = env.job_runs()
    assert run["Id"] == started["job_run_id"]
    # No arguments: the run takes every claims file not yet in the lake's ledger, as batch "today".
    assert run.get("Arguments", {}) == {}
    assert env.exists(RAW, key)
    assert env.quarantine_keys() == []
    assert summary["quarantined"] == [] and summary["failed"] == []


def test_good_file_from_an_s3_notification_starts_the_claims_job(env):
    env.put(GOOD_KEY, csv_bytes())
    summary = sftp.handler(s3_notification(RAW, GOOD_KEY), FakeContext())
    assert_started(env, summary, GOOD_KEY, "2024-03-02")


def test_good_file_from_an_eventbridge_event_starts_the_claims_job(env):
    env.put(GOOD_KEY, csv_bytes())
    summary = sftp.handler(eventbridge_object_created(RAW, GOOD_KEY), FakeContext())
    assert_started(env, summary, GOOD_KEY, "2024-03-02")


def test_event_keys_are_url_decoded(env):
    # In the event, '=' arrives as %3D; the handler must look up the real key.
    event = s3_notification(RAW, GOOD_KEY)
    assert "%3D" in event["Records"][0]["s3"]["object"]["key"]
    env.put(GOOD_KEY, csv_bytes())
    assert_started(env, env.handle(event), GOOD_KEY, "2024-03-02")


@pytest.mark.parametrize(
    "key",
    [
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240302_2.csv",
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240229_017.csv",
        "claims/partner=blue-cross_ma/dt=2024-03-02/claims_blue-cross_ma_20240302.csv",
        "claims/partner=ACME01/dt=2024-03-02/claims_ACME01_20240301.csv",
    ],
)
def test_good_file_names(env, key):
    env.put(key, csv_bytes())
    assert_started(env, env.handle(s3_notification(RAW, key)), key, "2024-03-02")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(csv_bytes(newline="\r\n"), id="crlf"),
        pytest.param(b"\xef\xbb\xbf" + csv_bytes(newline="\r\n"), id="bom-and-crlf"),
        pytest.param(HEADER.encode(), id="header-only-no-newline"),
        pytest.param(csv_bytes(rows=()), id="header-only"),
        pytest.param(
            ",".join(f'"{c}"' for c in COLUMNS).encode() + b"\n" + DATA_ROW.encode(), id="quoted-header"
        ),
        pytest.param(csv_bytes().ljust(MAX_BYTES, b"\n"), id="exactly-max-bytes"),
    ],
)
def test_good_file_contents(env, body):
    env.put(GOOD_KEY, body)
    assert_started(env, env.handle(s3_notification(RAW, GOOD_KEY)), GOOD_KEY, "2024-03-02")


def test_only_the_first_bytes_are_read(env):
    body = csv_bytes(rows=(DATA_ROW,) * 5000)
    env.put(GOOD_KEY, body)
    ranges, lengths = [], []
    events = env.s3.meta.events
    hooks = {
        "provide-client-params.s3.GetObject": lambda params, **_: ranges.append(params.get("Range")),
        "after-call.s3.GetObject": lambda parsed, **_: lengths.append(parsed["ContentLength"]),
    }
    for name, hook in hooks.items():
        events.register(name, hook)
    try:
        summary = env.handle(s3_notification(RAW, GOOD_KEY), max_file_bytes=2 * len(body))
    finally:
        for name, hook in hooks.items():
            events.unregister(name, hook)

    assert summary["started"]
    assert ranges == ["bytes=0-8191"]
    assert lengths == [8192] and len(body) > 90 * 8192


# ---------------------------------------------------------------- bad files


def too_long_header() -> bytes:
    return b"claim_id" + b"x" * 9000 + b"\n" + DATA_ROW.encode()


BAD_FILES = [
    # key, body, reason, partner and dt of the quarantine path
    pytest.param(
        "claims/acme/dt=2024-03-02/claims_acme_20240302.csv",
        csv_bytes(),
        "bad_key_layout",
        ("unknown", "2024-03-02"),
        id="no-partner-folder",
    ),
    pytest.param(
        "claims/partner=acme/claims_acme_20240302.csv",
        csv_bytes(),
        "bad_key_layout",
        ("acme", "2024-03-05"),
        id="no-dt-folder",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-02-30/claims_acme_20240302.csv",
        csv_bytes(),
        "bad_key_layout",
        ("acme", "2024-03-05"),
        id="dt-not-a-date",
    ),
    pytest.param(
        "claims/partner=acme/dt=20240302/claims_acme_20240302.csv",
        csv_bytes(),
        "bad_key_layout",
        ("acme", "2024-03-05"),
        id="dt-without-dashes",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/incoming/claims_acme_20240302.csv",
        csv_bytes(),
        "bad_key_layout",
        ("acme", "2024-03-02"),
        id="nested-folder",
    ),
    pytest.param(
        "claims/partner=ac me/dt=2024-03-02/claims_ac me_20240302.csv",
        csv_bytes(),
        "bad_key_layout",
        ("unknown", "2024-03-02"),
        id="partner-with-space",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims-acme-20240302.csv",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="dashes-in-name",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240302.txt",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="txt",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240302.CSV",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="upper-case-extension",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_2024-03-02.csv",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="dashed-date",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240230.csv",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="impossible-date",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240302_.csv",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="empty-seq",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_20240302 (1).csv",
        csv_bytes(),
        "bad_file_name",
        ("acme", "2024-03-02"),
        id="copy-suffix-with-space",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_globex_20240302.csv",
        csv_bytes(),
        "partner_mismatch",
        ("acme", "2024-03-02"),
        id="other-partner",
    ),
    pytest.param(
        "claims/partner=acme/dt=2024-03-02/claims_acme_x_20240302.csv",
        csv_bytes(),
        "partner_mismatch",
        ("acme", "2024-03-02"),
        id="partner-prefix-only",
    ),
    pytest.param(GOOD_KEY, b"", "empty_file", ("acme", "2024-03-02"), id="empty"),
    pytest.param(
        GOOD_KEY,
        csv_bytes().ljust(MAX_BYTES + 1, b"\n"),
        "file_too_large",
        ("acme", "2024-03-02"),
        id="max-plus-1",
    ),
    pytest.param(
        GOOD_KEY,
        csv_bytes(header=",".join(COLUMNS[:-1])),
        "bad_header",
        ("acme", "2024-03-02"),
        id="missing-column",
    ),
    pytest.param(
        GOOD_KEY,
        csv_bytes(header=HEADER + ",member_email"),
        "bad_header",
        ("acme", "2024-03-02"),
        id="extra-column",
    ),
    pytest.param(
        GOOD_KEY,
        csv_bytes(header=",".join([COLUMNS[1], COLUMNS[0], *COLUMNS[2:]])),
        "bad_header",
        ("acme", "2024-03-02"),
        id="reordered",
    ),
    pytest.param(
        GOOD_KEY,
        csv_bytes(header=HEADER.upper()),
        "bad_header",
        ("acme", "2024-03-02"),
        id="upper-case-header",
    ),
    pytest.param(
        GOOD_KEY,
        csv_bytes(header=HEADER.replace(",", ";")),
        "bad_header",
        ("acme", "2024-03-02"),
        id="semicolons",
    ),
    pytest.param(
        GOOD_KEY, csv_bytes(header=HEADER.replace(",", "\t")), "bad_header", ("acme", "2024-03-02"), id="tabs"
    ),
    pytest.param(
        GOOD_KEY,
        HEADER.replace("member_zip", "member_z\xefp").encode("latin-1") + b"\n",
        "bad_header",
        ("acme", "2024-03-02"),
        id="latin-1",
    ),
    pytest.param(
        GOOD_KEY, DATA_ROW.encode() + b"\n", "bad_header", ("acme", "2024-03-02"), id="no-header-row"
    ),
    pytest.param(GOOD_KEY, too_long_header(), "bad_header", ("acme", "2024-03-02"), id="header-over-8-KiB"),
]


@pytest.mark.parametrize(("key", "body", "reason", "where"), BAD_FILES)
def test_bad_file_is_moved_to_quarantine_with_its_reason(env, key, body, reason, where):
    max_bytes = 20_000 if reason == "bad_header" and len(body) > MAX_BYTES else MAX_BYTES
    env.put(key, body)

    summary = env.handle(s3_notification(RAW, key), max_file_bytes=max_bytes)

    partner, dt = where
    file_name = key.rsplit("/", 1)[-1]
    target = f"sftp_rejected/partner={partner}/dt={dt}/{file_name}"
    [quarantined] = summary["quarantined"]
    assert quarantined["reason"] == reason and quarantined["quarantine_key"] == target
    assert summary["started"] == [] and env.job_runs() == []
    assert not env.exists(RAW, key)
    assert env.quarantine_keys() == sorted([target, f"{target}.reason.json"])
    assert env.body(QUARANTINE, target) == body
    head = env.s3.head_object(Bucket=QUARANTINE, Key=target)
    assert head["Metadata"]["reason"] == reason
    tags = env.s3.get_object_tagging(Bucket=QUARANTINE, Key=target)["TagSet"]
    assert tags == [{"Key": "reason", "Value": reason}]
    explanation = json.loads(env.body(QUARANTINE, f"{target}.reason.json"))
    assert explanation["reason"] == reason
    assert explanation["source_bucket"] == RAW and explanation["source_key"] == key
    assert explanation["quarantined_key"] == target
    assert explanation["message"] == quarantined["message"]


def test_large_oversize_file_is_quarantined_with_a_multipart_copy(env, monkeypatch):
    from boto3.s3.transfer import TransferConfig

    part = 5 * 1024**2  # S3's smallest part; the handler's real threshold is 64 MiB
    monkeypatch.setattr(
        sftp, "COPY_CONFIG", TransferConfig(multipart_threshold=part, multipart_chunksize=part)
    )
    body = csv_bytes().ljust(2 * part + 123, b"\n")
    env.put(GOOD_KEY, body)
    parts = []
    env.s3.meta.events.register(
        "provide-client-params.s3.UploadPartCopy", lambda params, **_: parts.append(params)
    )

    [quarantined] = env.handle(s3_notification(RAW, GOOD_KEY))["quarantined"]

    target = quarantined["quarantine_key"]
    assert quarantined["reason"] == "file_too_large" and len(parts) == 3
    assert env.body(QUARANTINE, target) == body
    assert env.s3.head_object(Bucket=QUARANTINE, Key=target)["Metadata"]["reason"] == "file_too_large"
    assert env.s3.get_object_tagging(Bucket=QUARANTINE, Key=target)["TagSet"] == [
        {"Key": "reason", "Value": "file_too_large"}
    ]
    assert not env.exists(RAW, GOOD_KEY)


def test_header_reasons_name_missing_columns_and_never_file_content(env, logs):
    env.put(GOOD_KEY, DATA_ROW.encode() + b"\n")  # a payer forgot the header: the first row is PHI
    summary = env.handle(s3_notification(RAW, GOOD_KEY))

    [quarantined] = summary["quarantined"]
    explanation = env.body(QUARANTINE, quarantined["quarantine_key"] + ".reason.json").decode()
    assert f"misses {len(COLUMNS)} expected column(s)" in quarantined["message"]
    assert f"has {len(DATA_ROW.split(','))} unexpected column(s)" in quarantined["message"]
    for value in PHI_VALUES:
        assert value not in explanation
        assert value not in str(summary)
        assert value not in logs.text


def test_header_reason_lists_the_missing_column(env):
    env.put(GOOD_KEY, csv_bytes(header=HEADER.replace(",member_ssn", "")))
    [quarantined] = env.handle(s3_notification(RAW, GOOD_KEY))["quarantined"]
    assert quarantined["message"] == "the header row misses 1 expected column(s): member_ssn"


def test_file_with_an_impossible_key_keeps_its_name_in_quarantine(env):
    key = "claims/partner=acme/dt=2024-03-02/claims_acme_20240302 (1).csv"
    env.put(key, csv_bytes())
    sftp.handler(eventbridge_object_created(RAW, key), FakeContext())
    assert env.exists(QUARANTINE, "sftp_rejected/partner=acme/dt=2024-03-02/claims_acme_20240302 (1).csv")


def test_several_records_in_one_event(env):
    bad_key = "claims/partner=acme/dt=2024-03-02/claims_acme.csv"
    env.put(GOOD_KEY, csv_bytes())
    env.put(bad_key, csv_bytes())
    event = s3_notification(RAW, GOOD_KEY)
    event["Records"] += s3_notification(RAW, bad_key)["Records"]

    summary = env.handle(event)

    assert [r["key"] for r in summary["started"]] == [GOOD_KEY]
    assert [r["key"] for r in summary["quarantined"]] == [bad_key]


# ---------------------------------------------------------------- ignored events


def test_folder_marker_is_ignored(env):
    key = "claims/partner=acme/dt=2024-03-02/"
    env.put(key, b"")
    summary = env.handle(s3_notification(RAW, key))
    assert [r["why"] for r in summary["ignored"]] == ["folder marker"]
    assert env.exists(RAW, key) and env.quarantine_keys() == [] and env.job_runs() == []


def test_object_outside_raw_claims_is_left_alone(env):
    key = "raw/ehr/fhir/dt=2024-03-02/bundle.json"
    env.put(key, b"{}")
    summary = env.handle(eventbridge_object_created(RAW, key))
    assert [r["why"] for r in summary["ignored"]] == ["outside claims/"]
    assert env.exists(RAW, key) and env.quarantine_keys() == []


def test_redelivered_event_for_a_moved_file_is_ignored(env):
    key = "claims/partner=acme/dt=2024-03-02/claims_acme_20240302.txt"
    env.put(key, csv_bytes())
    event = s3_notification(RAW, key)
    assert env.handle(event)["quarantined"]
    again = env.handle(event)
    assert [r["why"] for r in again["ignored"]] == ["object no longer exists"]


def test_redelivered_event_for_a_deleted_good_file_is_ignored(env):
    summary = env.handle(s3_notification(RAW, GOOD_KEY))  # never uploaded
    assert [r["why"] for r in summary["ignored"]] == ["object no longer exists"]
    assert env.job_runs() == []


def test_s3_test_event_and_removals_do_nothing(env):
    assert env.handle({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": RAW}) == {
        "started": [],
        "quarantined": [],
        "ignored": [],
        "failed": [],
    }
    env.put(GOOD_KEY, csv_bytes())
    summary = env.handle(s3_notification(RAW, GOOD_KEY, event_name="ObjectRemoved:Delete"))
    assert summary["started"] == [] and env.job_runs() == []


@pytest.mark.parametrize(
    "event",
    [{}, {"detail-type": "Object Deleted", "source": "aws.s3", "detail": {}}, {"source": "aws.glue"}],
)
def test_unsupported_event_fails(env, event):
    with pytest.raises(sftp.UnsupportedEventError):
        env.handle(event)


# ---------------------------------------------------------------- AWS failures


def test_glue_refusal_leaves_the_file_and_fails_the_invocation(env, logs):
    env.put(GOOD_KEY, csv_bytes())
    with pytest.raises(sftp.ArrivalError, match="EntityNotFoundException"):
        env.handle(s3_notification(RAW, GOOD_KEY), claims_job_name="no-such-job")
    assert env.exists(RAW, GOOD_KEY) and env.quarantine_keys() == []
    [failed] = [e for e in logs.events() if e["event"] == "sftp_arrival.failed"]
    assert failed["aws_error"] == "EntityNotFoundException"


@pytest.fixture
def glue_runs_stay_running():
    """moto finishes a job run at once by default; keep runs in STARTING, as a real one would be."""
    from moto.moto_api import state_manager

    state_manager.set_transition(
        model_name="glue::job_run", transition={"progression": "manual", "times": 10**6}
    )
    yield
    state_manager.unset_transition("glue::job_run")


def test_concurrent_runs_exceeded_leaves_the_file_for_a_retry(
    mocked_aws, monkeypatch, glue_runs_stay_running
):
    env = Env(monkeypatch, max_concurrent_runs=1)
    other = "claims/partner=acme/dt=2024-03-02/claims_acme_20240302_2.csv"
    env.put(GOOD_KEY, csv_bytes())
    env.put(other, csv_bytes())
    env.handle(s3_notification(RAW, GOOD_KEY))  # the job is now running

    with pytest.raises(sftp.ArrivalError, match="ConcurrentRunsExceededException"):
        env.handle(s3_notification(RAW, other))
    assert env.exists(RAW, other)


def test_quarantine_failure_keeps_the_original_and_a_retry_finishes_the_move(env):
    key = "claims/partner=acme/dt=2024-03-02/claims_acme_20240302.txt"
    env.put(key, csv_bytes())
    event = s3_notification(RAW, key)

    with pytest.raises(sftp.ArrivalError):
        env.handle(event, quarantine_bucket="carelake-test-no-such-bucket")
    assert env.exists(RAW, key)

    assert env.handle(event)["quarantined"]
    assert not env.exists(RAW, key)


def test_one_failing_record_does_not_stop_the_others(env):
    env.put(GOOD_KEY, csv_bytes())
    missing_bucket = s3_notification("carelake-test-gone", GOOD_KEY)
    event = {"Records": missing_bucket["Records"] + s3_notification(RAW, GOOD_KEY)["Records"]}
    with pytest.raises(sftp.ArrivalError, match="1 object"):
        env.handle(event)
    assert len(env.job_runs()) == 1


# ---------------------------------------------------------------- pure checks and settings


@pytest.mark.parametrize(
    ("size", "reason"), [(0, "empty_file"), (1, None), (MAX_BYTES, None), (MAX_BYTES + 1, "file_too_large")]
)
def test_check_size(size, reason):
    rejection = sftp.check_size(size, MAX_BYTES)
    assert (rejection.reason if rejection else None) == reason


def test_check_header_accepts_exactly_the_contract_columns():
    assert sftp.check_header(csv_bytes(), len(csv_bytes())) is None
    assert sftp.check_header(HEADER.encode(), len(HEADER)) is None
    assert sftp.check_header(HEADER.encode(), len(HEADER) + 1).reason == "bad_header"  # cut mid-line


def test_check_header_reports_order_problems():
    rejection = sftp.check_header(csv_bytes(header=HEADER + "," + COLUMNS[0]), 10_000)
    assert (
        rejection.message == "the header row has the expected columns, but in a different order or repeated"
    )


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("claims/partner=acme/dt=2024-03-02/f.csv", ("acme", "2024-03-02")),
        ("claims/partner=acme/x/f.csv", ("acme", "2024-03-05")),
        ("claims/x/dt=2024-03-02/f.csv", ("unknown", "2024-03-02")),
        ("claims/f.csv", ("unknown", "2024-03-05")),
        ("claims/partner=a%b/dt=2024-13-02/f.csv", ("unknown", "2024-03-05")),
    ],
)
def test_quarantine_location(key, expected):
    assert sftp.quarantine_location(key, "2024-03-05") == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"QUARANTINE_BUCKET": "q", "MAX_FILE_BYTES": "10"}, "CLAIMS_JOB_NAME"),
        ({"CLAIMS_JOB_NAME": "j", "MAX_FILE_BYTES": "10"}, "QUARANTINE_BUCKET"),
        ({"CLAIMS_JOB_NAME": "j", "QUARANTINE_BUCKET": "q"}, "MAX_FILE_BYTES"),
        ({"CLAIMS_JOB_NAME": "j", "QUARANTINE_BUCKET": "q", "MAX_FILE_BYTES": "10MB"}, "must be an integer"),
        ({"CLAIMS_JOB_NAME": "j", "QUARANTINE_BUCKET": "q", "MAX_FILE_BYTES": "0"}, "must be >= 1"),
    ],
)
def test_settings_fail_loudly(environ, message):
    from common.config import ConfigError

    with pytest.raises(ConfigError, match=message):
        sftp.Settings.from_env(environ)
