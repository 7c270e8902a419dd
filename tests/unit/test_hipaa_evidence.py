"""`carelake evidence` against moto's server: the catalog's commands really run through the
AWS CLI, read-only, and the dated report says what passed, failed or could not run."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator

import boto3
import pytest

from carelake.compliance.catalog import load_catalog
from carelake.compliance.evidence import (
    NotReadOnlyError,
    awscli_runner,
    collect,
    context_values,
    read_only_argv,
    write_report,
)
from tests.paths import REPO
from tests.support.moto_server import make_server

ACCOUNT = "123456789012"  # moto's
REGION = "us-east-1"
PREFIX = "carelake-audit"


@pytest.mark.parametrize(
    "command",
    [
        "aws s3api put-object --bucket b --key k",
        "aws iam create-role --role-name x --assume-role-policy-document {}",
        "aws kms schedule-key-deletion --key-id k",
        "aws s3 rm s3://b/k",
        "aws iam get-role --role-name x --endpoint-url http://elsewhere",
        "aws iam get-role --role-name x --profile admin",
        "curl http://example.org",
    ],
)
def test_anything_but_a_read_only_call_is_refused(command: str) -> None:
    with pytest.raises(NotReadOnlyError):
        read_only_argv(command)


def test_read_only_calls_pass_with_their_arguments() -> None:
    assert read_only_argv("aws iam get-role --role-name x --query Role.MaxSessionDuration") == [
        "iam", "get-role", "--role-name", "x", "--query", "Role.MaxSessionDuration",
    ]  # fmt: skip


@pytest.fixture(scope="module")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = make_server(0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def aws(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    for name, value in {
        "AWS_ENDPOINT_URL": moto,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }.items():
        monkeypatch.setenv(name, value)
    return moto


def _seed(endpoint: str, analyst_session_seconds: int) -> None:
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION)
    trust = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/people-analysts"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}, "Null": {"sts:SourceIdentity": "false"}},
        }],
    }  # fmt: skip
    for role, seconds in ((f"{PREFIX}-analyst", analyst_session_seconds), (f"{PREFIX}-break-glass", 3600)):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust), MaxSessionDuration=seconds)
    kms = boto3.client("kms", endpoint_url=endpoint, region_name=REGION)
    key = kms.create_key(Description="phi")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/{PREFIX}-phi", TargetKeyId=key)
    kms.enable_key_rotation(KeyId=key)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    bucket = f"{PREFIX}-raw-{ACCOUNT}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}}
            ]
        },
    )


def test_the_catalogs_commands_run_against_an_account_and_are_reported(aws: str, tmp_path) -> None:
    _seed(aws, analyst_session_seconds=3600)
    catalog = load_catalog(REPO / "docs/hipaa/controls.yaml", REPO / "docs/hipaa/controls.schema.json")
    results = collect(catalog, context_values("audit", ACCOUNT, REGION), awscli_runner(None, REGION))
    by_name = {(r.control, r.name): r for r in results}
    assert len(results) == sum(len(c["evidence"]) for c in catalog.controls)

    passed = {
        ("automatic-logoff", "the analyst persona's session length"),
        ("unique-user-identification", "the analyst persona trusts named roles only, with MFA and a source identity"),
        ("emergency-access", "the break-glass role needs fresh MFA and lasts one hour"),
        ("encryption-at-rest", "the PHI key"),
        ("encryption-at-rest", "the PHI key rotates"),  # needs the key id bound by the command before
        ("encryption-at-rest", "the raw zone is encrypted with it"),
        ("integrity-raw-immutable", "versioning on the raw zone"),
    }  # fmt: skip
    assert {k: by_name[k].status for k in passed} == dict.fromkeys(passed, "pass")
    assert by_name[("encryption-at-rest", "the PHI key rotates")].command.endswith(
        by_name[("encryption-at-rest", "the PHI key")].output["KeyMetadata"]["KeyId"]
    )
    # Nothing seeded: the CLI's error is recorded and the run goes on.
    vault = by_name[("contingency-backup", "the PHI vault is locked")]
    assert vault.status == "error" and vault.output is None and vault.detail
    assert {r.status for r in results} <= {"pass", "fail", "error", "recorded"}

    folder = write_report(
        results, tmp_path, "audit", ACCOUNT, REGION, now=dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
    )
    assert folder.name == "audit-20260501T120000Z"
    report = (folder / "report.md").read_text()
    assert f"Account {ACCOUNT}, region {REGION}, collected 2026-05-01 12:00:00 UTC" in report
    assert report.count("\n| ") == len(results) + 2  # header, separator, one line per command
    assert len(json.loads((folder / "results.json").read_text())) == len(results)


def test_a_setting_that_drifted_fails_its_check(aws: str) -> None:
    iam = boto3.client("iam", endpoint_url=aws, region_name=REGION)
    iam.create_role(
        RoleName="carelake-drift-analyst", AssumeRolePolicyDocument="{}", MaxSessionDuration=43200
    )
    catalog = load_catalog(REPO / "docs/hipaa/controls.yaml", REPO / "docs/hipaa/controls.schema.json")
    results = collect(catalog, context_values("drift", ACCOUNT, REGION), awscli_runner(None, REGION))
    logoff = next(r for r in results if r.control == "automatic-logoff")
    assert (logoff.status, logoff.output) == ("fail", 43200)
