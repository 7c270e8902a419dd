"""One test per patch in tests/support/moto_patches.py: moto's wrong answer without the
patch, AWS's answer with it.

Fast (seconds; not marked integration, so `make test-fast` runs it too): moto's server
runs in this process (HTTPS, and plain HTTP on the same backends), boto3 talks to it,
and each test installs only its own patch for its second half. If a
"without the patch" assertion starts failing after a moto upgrade, moto has fixed that
behaviour: delete the patch and its test.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support import moto_patches
from tests.support.moto_patches import bucket_policy_decision, conditions_hold, patched
from tests.support.moto_server import make_server
from tests.support.tf_emulator import ACCOUNT_ID, REGION, write_certificate

PHI_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555"
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/emulator"


class Moto:
    def __init__(self, url: str, plain_url: str, ca_bundle: Path) -> None:
        self.url, self.plain_url, self.ca_bundle = url, plain_url, ca_bundle

    def client(self, service: str, plain: bool = False) -> Any:
        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.plain_url if plain else self.url,
            verify=str(self.ca_bundle),
            aws_access_key_id="patches",
            aws_secret_access_key="patches",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1, "mode": "standard"}),
        )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Moto]:
    cert, key = write_certificate(tmp_path_factory.mktemp("moto-tls"))
    servers = [make_server(0, str(cert), str(key)), make_server(0)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    yield Moto(
        f"https://127.0.0.1:{servers[0].server_address[1]}",
        f"http://127.0.0.1:{servers[1].server_address[1]}",
        cert,
    )
    for s in servers:
        s.shutdown()
    moto_patches.remove()


@contextlib.contextmanager
def fresh_server() -> Iterator[Moto]:
    """A second moto server (plain HTTP) on the same backends, whose services are set up anew."""
    server = make_server(0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        yield Moto(url, url, Path(""))
    finally:
        server.shutdown()


@pytest.fixture
def moto(server: Moto) -> Iterator[Moto]:
    assert not moto_patches._installed, "a patch leaked from another test"
    requests.post(f"{server.plain_url}/moto-api/reset", timeout=30).raise_for_status()
    yield server
    moto_patches.remove()


def outcome(call: Callable[..., Any], **kwargs: Any) -> str:
    """'ok', or the error code (the HTTP status when the body has none)."""
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"].get("Code") or str(e.response["ResponseMetadata"]["HTTPStatusCode"])
    return "ok"


def http_status(call: Callable[..., Any], **kwargs: Any) -> int:
    try:
        call(**kwargs)
    except ClientError as e:
        return int(e.response["ResponseMetadata"]["HTTPStatusCode"])
    return 200


def raw_body(client: Any, call: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """The JSON body moto sent (before botocore parses it)."""
    seen: list[bytes] = []
    client.meta.events.register("before-parse", lambda response_dict, **_: seen.append(response_dict["body"]))
    call(**kwargs)
    return json.loads(seen[-1])


def test_every_patch_has_a_test() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(moto_patches.PATCHES) <= tested
    assert all(p.moto and p.aws for p in moto_patches.PATCHES.values())


# ---------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------
def tls_only_bucket(s3: Any, bucket: str = "tls-only") -> str:
    arn = f"arn:aws:s3:::{bucket}"
    s3.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
            {"Sid": "DenyTlsBelow12", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [arn, f"{arn}/*"], "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}}},
            {"Sid": "DenyOtherKmsKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
             "Resource": f"{arn}/*",
             "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": PHI_KEY}}},
        ],
    }  # fmt: skip
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket


def test_s3_bucket_policy_conditions(moto: Moto) -> None:
    s3, plain = moto.client("s3"), moto.client("s3", plain=True)
    bucket = tls_only_bucket(s3)
    put = {"Bucket": bucket, "Body": b"{}", "ServerSideEncryption": "aws:kms", "SSEKMSKeyId": PHI_KEY}
    # moto: the TLS-only policy denies everything, TLS or not, with an empty 403.
    assert outcome(s3.put_object, Key="tls.json", **put) == "403"
    assert outcome(plain.put_object, Key="plain.json", **put) == "403"
    with patched("s3_bucket_policy_conditions"):
        assert outcome(s3.put_object, Key="tls.json", **put) == "ok"
        assert outcome(plain.put_object, Key="plain.json", **put) == "AccessDenied"
        assert outcome(plain.get_object, Bucket=bucket, Key="tls.json") == "AccessDenied"
        assert (
            outcome(
                s3.put_object, **put | {"Key": "other.json", "SSEKMSKeyId": PHI_KEY.replace("1111", "9999")}
            )
            == "AccessDenied"
        )
        assert s3.get_object(Bucket=bucket, Key="tls.json")["Body"].read() == b"{}"


@pytest.mark.parametrize(
    ("conditions", "context", "holds"),
    [
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),  # absent: positive operator false
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.3"}, False),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.1"}, True),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {}, False),  # plain HTTP: no TLS version
        ({"StringNotEquals": {"k": "a"}}, {}, True),  # absent: negated operator true
        ({"StringNotEqualsIfExists": {"k": "a"}}, {}, True),  # absent: ...IfExists true
        ({"StringNotEqualsIfExists": {"k": "a"}}, {"k": "a"}, False),
        ({"StringNotEqualsIfExists": {"k": ["a", "b"]}}, {"k": "b"}, False),
        ({"StringEquals": {"k": ["a", "b"]}}, {"k": "b"}, True),
        ({"StringLike": {"k": "arn:aws:s3:::carelake-*"}}, {"k": "arn:aws:s3:::carelake-dev-raw"}, True),
        ({"ArnNotLike": {"k": "arn:aws:s3:::carelake-*"}}, {"k": "arn:aws:s3:::other"}, True),
        ({"Null": {"k": "true"}}, {}, True),
        ({"Null": {"k": "false"}}, {}, False),
        (
            {"StringEquals": {"k": "a"}, "Bool": {"b": "true"}},
            {"k": "a", "b": "false"},
            False,
        ),  # all blocks hold
    ],
)
def test_conditions_follow_the_iam_documentation(
    conditions: dict[str, Any], context: dict[str, str], holds: bool
) -> None:
    assert conditions_hold(conditions, context) is holds


def test_unknown_condition_operators_are_refused_not_ignored() -> None:
    with pytest.raises(NotImplementedError, match="IpAddress"):
        conditions_hold({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "10.1.1.1"})


def test_statements_for_named_principals_stay_neutral() -> None:
    policy = {
        "Statement": [{"Effect": "Deny", "Principal": {"AWS": ROLE}, "Action": "s3:*", "Resource": "*"}]
    }
    assert bucket_policy_decision(policy, "s3:PutObject", "arn:aws:s3:::b/k", {}) == "NEUTRAL"


def test_s3_logging_target_checks(moto: Moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="source")
    s3.create_bucket(Bucket="logs")
    s3.put_bucket_ownership_controls(
        Bucket="logs", OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    tls_only = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}}}  # fmt: skip
    s3.put_bucket_policy(Bucket="logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]}))
    logging = {"LoggingEnabled": {"TargetBucket": "logs", "TargetPrefix": "source/"}}
    assert http_status(s3.put_bucket_logging, Bucket="source", BucketLoggingStatus=logging) == 500
    s3.delete_bucket_policy(Bucket="logs")
    assert (
        outcome(s3.put_bucket_logging, Bucket="source", BucketLoggingStatus=logging)
        == "InvalidTargetBucketForLogging"
    )
    with patched("s3_logging_target_checks"):
        assert outcome(s3.put_bucket_logging, Bucket="source", BucketLoggingStatus=logging) == "ok"
        s3.put_bucket_policy(
            Bucket="logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls_only]})
        )
        assert outcome(s3.put_bucket_logging, Bucket="source", BucketLoggingStatus=logging) == "ok"
        # A target with ACLs enabled still needs the log-delivery grants.
        s3.create_bucket(Bucket="acl-logs", ObjectOwnership="BucketOwnerPreferred")
        acl_logging = {"LoggingEnabled": {"TargetBucket": "acl-logs", "TargetPrefix": "source/"}}
        assert (
            outcome(s3.put_bucket_logging, Bucket="source", BucketLoggingStatus=acl_logging)
            == "InvalidTargetBucketForLogging"
        )


def test_s3_notification_eventbridge(moto: Moto) -> None:
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="events")
    s3.put_bucket_notification_configuration(
        Bucket="events", NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    assert "EventBridgeConfiguration" not in s3.get_bucket_notification_configuration(Bucket="events")
    with patched("s3_notification_eventbridge"):
        assert s3.get_bucket_notification_configuration(Bucket="events")["EventBridgeConfiguration"] == {}


def test_s3_key_store_concurrent_delete() -> None:
    from moto.s3.utils import _VersionedKeyStore

    class DeletedMeanwhile(_VersionedKeyStore):  # the key names were copied, then "gone" was deleted
        def _self_iterable(self) -> dict[str, Any]:
            return {**dict(self), "gone": ["v1"]}

    store = DeletedMeanwhile()
    store["kept"] = "v1"
    assert dict(store.iterlists()) == {"kept": ["v1"], "gone": None}
    with patched("s3_key_store_concurrent_delete"):
        assert None not in dict(store.iterlists()).values()


# ---------------------------------------------------------------------------------
# Step Functions
# ---------------------------------------------------------------------------------
DEFINITION = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})


def test_sfn_validate_state_machine_definition(moto: Moto) -> None:
    sfn = moto.client("stepfunctions")
    assert http_status(sfn.validate_state_machine_definition, definition=DEFINITION) == 500
    with patched("sfn_validate_state_machine_definition"):
        assert sfn.validate_state_machine_definition(definition=DEFINITION)["result"] == "OK"
        broken = json.dumps({"StartAt": "Missing", "States": {"Done": {"Type": "Succeed"}}})
        answer = sfn.validate_state_machine_definition(definition=broken)
        assert answer["result"] == "FAIL"
        assert [d["code"] for d in answer["diagnostics"]] == ["MISSING_TRANSITION_TARGET"]


def test_sfn_list_state_machine_versions(moto: Moto) -> None:
    sfn = moto.client("stepfunctions")
    arn = sfn.create_state_machine(name="m", definition=DEFINITION, roleArn=ROLE, publish=True)[
        "stateMachineArn"
    ]
    assert http_status(sfn.list_state_machine_versions, stateMachineArn=arn) == 500
    with patched("sfn_list_state_machine_versions"):
        versions = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
        assert [v["stateMachineVersionArn"] for v in versions] == [f"{arn}:1"]


# ---------------------------------------------------------------------------------
# API Gateway
# ---------------------------------------------------------------------------------
def test_apigateway_rest_api_policy_escaped(moto: Moto) -> None:
    apigateway = moto.client("apigateway")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "execute-api:Invoke",
                    "Resource": "execute-api:/*",
                }
            ],
        }
    )
    api = apigateway.create_rest_api(name="intake", policy=policy)["id"]
    assert apigateway.get_rest_api(restApiId=api)["policy"] == policy  # plain JSON
    with patched("apigateway_rest_api_policy_escaped"):
        escaped = apigateway.get_rest_api(restApiId=api)["policy"]
        assert escaped.startswith('{\\"Version\\"')
        assert json.loads(json.loads(f'"{escaped}"')) == json.loads(policy)


# ---------------------------------------------------------------------------------
# Glue, EC2, Kinesis
# ---------------------------------------------------------------------------------
NETWORK_CONNECTION = {
    "Name": "vpc",
    "ConnectionType": "NETWORK",
    "ConnectionProperties": {},
    "PhysicalConnectionRequirements": {
        "SubnetId": "subnet-1",
        "SecurityGroupIdList": ["sg-1"],
        "AvailabilityZone": "us-east-1a",
    },
}


def test_glue_connection_type(moto: Moto) -> None:
    glue = moto.client("glue")
    glue.create_connection(ConnectionInput=NETWORK_CONNECTION)
    assert "ConnectionType" not in glue.get_connection(Name="vpc")["Connection"]
    with patched("glue_connection_type"):
        assert glue.get_connection(Name="vpc")["Connection"]["ConnectionType"] == "NETWORK"


def test_glue_delete_connection(moto: Moto) -> None:
    glue = moto.client("glue")
    glue.create_connection(ConnectionInput=NETWORK_CONNECTION)
    assert http_status(glue.delete_connection, ConnectionName="vpc") == 500
    with patched("glue_delete_connection"):
        assert outcome(glue.delete_connection, ConnectionName="vpc") == "ok"
        assert outcome(glue.get_connection, Name="vpc") == "EntityNotFoundException"
        assert outcome(glue.delete_connection, ConnectionName="vpc") == "EntityNotFoundException"


def test_ec2_security_group_rule_description(moto: Moto) -> None:
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    prefix_list = ec2.create_managed_prefix_list(PrefixListName="s3", MaxEntries=1, AddressFamily="IPv4")[
        "PrefixList"
    ]["PrefixListId"]

    def descriptions(name: str) -> dict[str, str | None]:
        """A group with a self-referencing ingress rule and an egress rule to a prefix list."""
        group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535,
            "UserIdGroupPairs": [{"GroupId": group, "Description": "self"}]}])  # fmt: skip
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "PrefixListIds": [{"PrefixListId": prefix_list, "Description": "to s3"}]}])  # fmt: skip
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
            "SecurityGroupRules"
        ]
        return {
            "self" if r.get("ReferencedGroupInfo") else "prefix list": r.get("Description")
            for r in rules
            if r.get("ReferencedGroupInfo") or r.get("PrefixListId")
        }

    assert descriptions("before") == {"self": None, "prefix list": None}
    with patched("ec2_security_group_rule_description"):
        assert descriptions("after") == {"self": "self", "prefix list": "to s3"}


def test_kinesis_create_stream_tags(moto: Moto) -> None:
    kinesis = moto.client("kinesis")
    kinesis.create_stream(
        StreamName="untagged",
        StreamModeDetails={"StreamMode": "ON_DEMAND"},
        Tags={"DataClassification": "phi"},
    )
    assert kinesis.list_tags_for_stream(StreamName="untagged")["Tags"] == []
    with patched("kinesis_create_stream_tags"):
        kinesis.create_stream(
            StreamName="tagged",
            StreamModeDetails={"StreamMode": "ON_DEMAND"},
            Tags={"DataClassification": "phi"},
        )
        assert kinesis.list_tags_for_stream(StreamName="tagged")["Tags"] == [
            {"Key": "DataClassification", "Value": "phi"}
        ]


# ---------------------------------------------------------------------------------
# Lake Formation
# ---------------------------------------------------------------------------------
PRINCIPAL = {"DataLakePrincipalIdentifier": ROLE}


def tag_policy(values: list[str]) -> dict[str, Any]:
    return {"LFTagPolicy": {"ResourceType": "TABLE", "Expression": [{"TagKey": "zone", "TagValues": values}]}}


def test_lakeformation_list_permissions_lf_tags(moto: Moto) -> None:
    lf = moto.client("lakeformation")
    lf.create_lf_tag(TagKey="zone", TagValues=["gold", "silver"])
    lf.grant_permissions(Principal=PRINCIPAL, Resource=tag_policy(["gold", "silver"]), Permissions=["SELECT"])
    assert (
        outcome(lf.list_permissions, Principal=PRINCIPAL, Resource=tag_policy(["gold", "silver"]))
        == "InvalidInputException"
    )
    with patched("lakeformation_list_permissions_lf_tags"):
        found = lf.list_permissions(Principal=PRINCIPAL, Resource=tag_policy(["silver", "gold"]))[
            "PrincipalResourcePermissions"
        ]
        assert [p["Permissions"] for p in found] == [["SELECT"]]
        assert (
            lf.list_permissions(Principal=PRINCIPAL, Resource=tag_policy(["gold"]))[
                "PrincipalResourcePermissions"
            ]
            == []
        )


def test_lakeformation_revoke_permissions(moto: Moto) -> None:
    lf = moto.client("lakeformation")
    lf.create_lf_tag(TagKey="zone", TagValues=["gold", "silver"])
    lf.grant_permissions(
        Principal=PRINCIPAL, Resource=tag_policy(["gold", "silver"]), Permissions=["SELECT", "DESCRIBE"]
    )
    revoke = {
        "Principal": PRINCIPAL,
        "Resource": tag_policy(["silver", "gold"]),
        "Permissions": ["SELECT", "DESCRIBE"],
    }
    assert outcome(lf.revoke_permissions, **revoke) == "ok"  # values in another order: nothing revoked...
    assert outcome(lf.revoke_permissions, **revoke) == "ok"  # ...and no error, ever
    with patched("lakeformation_revoke_permissions"):
        assert outcome(lf.revoke_permissions, **revoke) == "ok"
        assert outcome(lf.revoke_permissions, **revoke) == "InvalidInputException"
        with pytest.raises(ClientError, match=r"No permissions revoked\. Grantee has no"):
            lf.revoke_permissions(**revoke)


def test_lakeformation_remove_lf_tags(moto: Moto) -> None:
    lf, glue = moto.client("lakeformation"), moto.client("glue")
    glue.create_database(DatabaseInput={"Name": "gold"})
    lf.create_lf_tag(TagKey="zone", TagValues=["gold", "silver"])
    lf.create_lf_tag(TagKey="data_classification", TagValues=["phi", "deidentified"])
    database = {"Database": {"Name": "gold"}}
    lf.add_lf_tags_to_resource(Resource=database, LFTags=[{"TagKey": "zone", "TagValues": ["gold"]}])
    missing = [{"TagKey": "data_classification", "TagValues": ["phi"]}]
    assert http_status(lf.remove_lf_tags_from_resource, Resource=database, LFTags=missing) == 500
    with patched("lakeformation_remove_lf_tags"):
        failures = lf.remove_lf_tags_from_resource(Resource=database, LFTags=missing)["Failures"]
        assert [f["LFTag"]["TagKey"] for f in failures] == ["data_classification"]
        assert (
            lf.remove_lf_tags_from_resource(
                Resource=database, LFTags=[{"TagKey": "zone", "TagValues": ["gold"]}]
            )["Failures"]
            == []
        )
        assert lf.get_resource_lf_tags(Resource=database).get("LFTagOnDatabase", []) == []


# ---------------------------------------------------------------------------------
# Transfer Family, CloudTrail
# ---------------------------------------------------------------------------------
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILqqIG6umBLR08boVUi2REkRV2pS7IkFImI84sgQyg4w partner"


def sftp_user(transfer: Any) -> str:
    server = transfer.create_server(Domain="S3", Protocols=["SFTP"], IdentityProviderType="SERVICE_MANAGED")[
        "ServerId"
    ]
    transfer.create_user(ServerId=server, UserName="acme", Role=ROLE, HomeDirectoryType="LOGICAL",
                         HomeDirectoryMappings=[{"Entry": "/", "Target": "/raw/claims/partner=acme"}])  # fmt: skip
    transfer.import_ssh_public_key(ServerId=server, UserName="acme", SshPublicKeyBody=SSH_KEY)
    return server


def test_transfer_ssh_key_date_imported(moto: Moto) -> None:
    transfer = moto.client("transfer")
    server = sftp_user(transfer)

    def date_imported() -> Any:
        return raw_body(transfer, transfer.describe_user, ServerId=server, UserName="acme")["User"][
            "SshPublicKeys"
        ][0]["DateImported"]

    assert isinstance(date_imported(), str)
    with patched("transfer_ssh_key_date_imported"):
        assert isinstance(date_imported(), float)


def test_transfer_not_found_error_code(moto: Moto) -> None:
    transfer = moto.client("transfer")
    server = sftp_user(transfer)
    missing = {
        "server": (transfer.describe_server, {"ServerId": "s-0123456789abcdef0"}),
        "user": (transfer.describe_user, {"ServerId": server, "UserName": "nobody"}),
        "key": (
            transfer.delete_ssh_public_key,
            {"ServerId": server, "UserName": "acme", "SshPublicKeyId": "key-000000000000000000"},
        ),
    }
    assert {k: outcome(c, **a) for k, (c, a) in missing.items()} == {
        "server": "ServerNotFound", "user": "UserNotFound", "key": "PublicKeyNotFound"}  # fmt: skip
    with patched("transfer_not_found_error_code"):
        assert {k: outcome(c, **a) for k, (c, a) in missing.items()} == dict.fromkeys(
            missing, "ResourceNotFoundException"
        )


def test_transfer_user_posix_profile(moto: Moto) -> None:
    transfer = moto.client("transfer")
    server = sftp_user(transfer)

    def user() -> dict[str, Any]:
        return raw_body(transfer, transfer.describe_user, ServerId=server, UserName="acme")["User"]

    assert user()["PosixProfile"] == {"Uid": None, "Gid": None, "SecondaryGids": None}
    with patched("transfer_user_posix_profile"):
        assert "PosixProfile" not in user()


def test_cloudtrail_delete_trail_by_arn(moto: Moto) -> None:
    s3, cloudtrail = moto.client("s3"), moto.client("cloudtrail")
    s3.create_bucket(Bucket="trail")

    def trail_names() -> list[str]:
        return [t["Name"] for t in cloudtrail.describe_trails()["trailList"]]

    arn = cloudtrail.create_trail(Name="audit", S3BucketName="trail")["TrailARN"]
    assert outcome(cloudtrail.start_logging, Name=arn) == "ok"  # fixed in moto 5.2.5: ARNs work here
    assert outcome(cloudtrail.stop_logging, Name=arn) == "ok"
    assert outcome(cloudtrail.delete_trail, Name=arn) == "ok"
    assert trail_names() == ["audit"]  # ...but DeleteTrail by ARN deleted nothing
    with patched("cloudtrail_delete_trail_by_arn"):
        assert outcome(cloudtrail.delete_trail, Name=arn) == "ok"
        assert trail_names() == []
        assert outcome(cloudtrail.delete_trail, Name=arn) == "TrailNotFoundException"


# ---------------------------------------------------------------------------------
# Detective controls and backups
# ---------------------------------------------------------------------------------
def test_guardduty_detector_features_merge(moto: Moto) -> None:
    guardduty = moto.client("guardduty")

    def enable_both_features() -> dict[str, str]:
        detector = guardduty.create_detector(Enable=True)["DetectorId"]
        for feature in ("S3_DATA_EVENTS", "LAMBDA_NETWORK_LOGS"):  # one call each, as the provider makes
            guardduty.update_detector(DetectorId=detector, Features=[{"Name": feature, "Status": "ENABLED"}])
        return {f["Name"]: f["Status"] for f in guardduty.get_detector(DetectorId=detector)["Features"]}

    assert enable_both_features() == {"LAMBDA_NETWORK_LOGS": "ENABLED"}
    with patched("guardduty_detector_features_merge"):
        assert enable_both_features() == {"S3_DATA_EVENTS": "ENABLED", "LAMBDA_NETWORK_LOGS": "ENABLED"}


def test_securityhub_update_configuration(moto: Moto) -> None:
    securityhub = moto.client("securityhub")
    settings = {"AutoEnableControls": False, "ControlFindingGenerator": "STANDARD_CONTROL"}
    assert http_status(securityhub.update_security_hub_configuration, **settings) == 500
    with patched("securityhub_update_configuration"):
        assert outcome(securityhub.update_security_hub_configuration, **settings) == "InvalidAccessException"
        securityhub.enable_security_hub(EnableDefaultStandards=False)
        securityhub.update_security_hub_configuration(**settings)
        hub = securityhub.describe_hub()
        assert (hub["AutoEnableControls"], hub["ControlFindingGenerator"]) == (False, "STANDARD_CONTROL")


def test_backup_list_recovery_points(moto: Moto) -> None:
    moto.client("backup").create_backup_vault(BackupVaultName="phi")

    def recovery_points(client: Any, vault: str) -> Any:
        return client.list_recovery_points_by_backup_vault(BackupVaultName=vault)["RecoveryPoints"]

    assert http_status(recovery_points, client=moto.client("backup"), vault="phi") == 404
    # The route is added to moto's backup URLs, which a server reads when it first serves the
    # service: a server started with the patch installed (as moto_server.py starts) has it.
    with patched("backup_list_recovery_points"), fresh_server() as patched_moto:
        backup = patched_moto.client("backup")
        assert recovery_points(backup, "phi") == []
        assert outcome(recovery_points, client=backup, vault="missing") == "ResourceNotFoundException"


def test_backup_list_tags_path(moto: Moto) -> None:
    backup = moto.client("backup")
    arn = backup.create_backup_vault(BackupVaultName="phi", BackupVaultTags={"DataClassification": "phi"})[
        "BackupVaultArn"
    ]

    def tags_without_trailing_slash() -> Any:  # the path the AWS SDK for Go sends
        response = requests.get(
            f"{moto.plain_url}/tags/{arn}",
            headers={
                "Authorization": "AWS4-HMAC-SHA256 Credential=patches/20260101/us-east-1/backup/aws4_request"
            },
            timeout=30,
        )
        return response.json()["Tags"]

    assert backup.list_tags(ResourceArn=arn)["Tags"] == {"DataClassification": "phi"}  # boto3: /tags/<arn>/
    assert tags_without_trailing_slash() == {}
    with patched("backup_list_tags_path"):
        assert tags_without_trailing_slash() == {"DataClassification": "phi"}
        assert backup.list_tags(ResourceArn=arn)["Tags"] == {"DataClassification": "phi"}
