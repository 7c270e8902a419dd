"""Fixes to moto (the pinned moto[server]==5.2.5) for the Terraform emulator run (issue 7).

Each patch corrects one place where moto answers differently from AWS, so that
`terraform apply` of carelake's dev root, its second plan and `terraform destroy`
mean something against the emulator. carelake's Terraform is never changed to suit
moto: when moto is wrong, it is fixed here, and only here.

Every patch names the moto behaviour it corrects and what AWS does instead, and has a
test in tests/integration/test_moto_patches.py that shows moto's wrong answer without
the patch and AWS's answer with it. `tests/support/moto_server.py` applies them all
before it starts moto's server; the tests apply them one at a time with `patched()`.

Patches replace attributes of moto's classes (monkeypatching), so they are tied to the
pinned version: `apply()` refuses another moto version. When the pin moves, run
tests/integration/test_moto_patches.py: a test whose "without the patch" half passes
against AWS's answer means moto fixed it, and the patch can go.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

MOTO_VERSION = "5.2.5"


@dataclass(frozen=True)
class Patch:
    name: str
    moto: str  # what moto does
    aws: str  # what AWS does (and the patch makes moto do)
    install: Callable[[Callable[[Any, str, Any], None]], None]


PATCHES: dict[str, Patch] = {}
_installed: dict[str, list[tuple[Any, str, Any]]] = {}
_lock = threading.Lock()


def patch(name: str, *, moto: str, aws: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(install: Callable[..., None]) -> Callable[..., None]:
        PATCHES[name] = Patch(name, moto, aws, install)
        return install

    return register


def apply(*names: str) -> list[str]:
    """Install the named patches (all when none are named); returns the names installed."""
    if version("moto") != MOTO_VERSION:
        raise RuntimeError(
            f"tests/support/moto_patches.py is written against moto {MOTO_VERSION}, found {version('moto')}: "
            "re-run tests/integration/test_moto_patches.py and update the patches and MOTO_VERSION"
        )
    selected = list(names) or list(PATCHES)
    with _lock:
        for name in selected:
            if name in _installed:
                continue
            undo: list[tuple[Any, str, Any]] = []

            def setattr_(owner: Any, attr: str, value: Any, _undo: list = undo) -> None:
                _undo.append((owner, attr, owner.__dict__.get(attr, _MISSING)))
                setattr(owner, attr, value)

            PATCHES[name].install(setattr_)
            _installed[name] = undo
    return selected


def remove(*names: str) -> None:
    """Undo the named patches (all when none are named)."""
    with _lock:
        for name in list(names) or list(_installed):
            for owner, attr, old in reversed(_installed.pop(name, [])):
                if old is _MISSING:
                    delattr(owner, attr)
                else:
                    setattr(owner, attr, old)


@contextlib.contextmanager
def patched(*names: str) -> Iterator[None]:
    """The named patches installed for the duration of the block (for the patch tests)."""
    apply(*names)
    try:
        yield
    finally:
        remove(*names)


_MISSING = object()


# ---------------------------------------------------------------------------------
# S3: bucket policies with conditions.
# ---------------------------------------------------------------------------------
# The request context of the S3 request being served (one per server thread).
_S3_REQUEST: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "s3_request", default=None
)


def s3_request_context(request: Any) -> dict[str, str]:
    """The condition keys AWS puts in the context of an S3 object request that carelake's
    policies use: aws:SecureTransport (the connection's scheme), s3:TlsVersion (the TLS
    socket's protocol version; absent over plain HTTP), and the SSE request headers
    (absent when the request does not send them)."""
    context: dict[str, str] = {}
    environ = getattr(request, "environ", None)
    if isinstance(environ, dict):  # moto's server (werkzeug)
        scheme = environ.get("wsgi.url_scheme", "http")
        tls = getattr(environ.get("werkzeug.socket"), "version", lambda: None)()
        if tls:
            context["s3:TlsVersion"] = tls.removeprefix("TLSv")
    else:  # in-process mock (botocore request)
        scheme = str(getattr(request, "url", "")).split(":", 1)[0] or "http"
    context["aws:SecureTransport"] = "true" if scheme == "https" else "false"
    for header in ("x-amz-server-side-encryption", "x-amz-server-side-encryption-aws-kms-key-id"):
        value = request.headers.get(header)
        if value is not None:
            context[f"s3:{header}"] = value
    return context


def _wildcard(pattern: str, value: str, ignore_case: bool = False) -> bool:
    regex = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def _number(value: str) -> float:
    return float(value)


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _wildcard,
    "ArnEquals": _wildcard,
    "ArnLike": _wildcard,
    "Bool": lambda expected, actual: expected.lower() == actual.lower(),
    "NumericEquals": lambda expected, actual: _number(actual) == _number(expected),
    "NumericLessThan": lambda expected, actual: _number(actual) < _number(expected),
    "NumericLessThanEquals": lambda expected, actual: _number(actual) <= _number(expected),
    "NumericGreaterThan": lambda expected, actual: _number(actual) > _number(expected),
    "NumericGreaterThanEquals": lambda expected, actual: _number(actual) >= _number(expected),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def conditions_hold(conditions: dict[str, dict[str, Any]], context: dict[str, str]) -> bool:
    """IAM condition evaluation as AWS documents it (reference_policies_elements_condition_operators):
    every operator block and every key must hold; a key absent from the context makes a
    positive operator false and a negated one (StringNotEquals, ArnNotLike, ...) true;
    ...IfExists holds when the key is absent; Null tests presence. Several values for one
    key: a positive operator holds if any matches, a negated one if none does.
    Operators carelake does not use (Date*, IpAddress, Binary*, ForAnyValue/ForAllValues)
    raise, so a new policy cannot be evaluated wrongly in silence."""
    for operator, keys in conditions.items():
        base = operator.removesuffix("IfExists")
        if_exists = base != operator
        for key, expected in keys.items():
            values = [
                str(v).lower() if isinstance(v, bool) else str(v)
                for v in (expected if isinstance(expected, list) else [expected])
            ]
            present = key in context
            if base == "Null":
                if present == (values[0].lower() == "true"):
                    return False
                continue
            negated = base in _NEGATED
            test = _OPERATORS.get(_NEGATED.get(base, base))
            if test is None:
                raise NotImplementedError(f"moto_patches cannot evaluate the condition operator {operator}")
            if not present:
                if if_exists or negated:
                    continue
                return False
            matched = any(test(v, context[key]) for v in values)
            if matched == negated:
                return False
    return True


def bucket_policy_decision(
    policy: dict[str, Any], action: str, resource: str, context: dict[str, str]
) -> str:
    """DENIED, PERMITTED or NEUTRAL for an anonymous-or-any caller. Only statements whose
    principal is everyone ("*" or {"AWS": "*"}) are evaluated: moto's server does not know
    who signed a request, as before the patch (statements naming a principal stay neutral)."""
    decision = "NEUTRAL"
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    for s in statements:
        if s.get("Principal") not in ("*", {"AWS": "*"}):
            continue
        if "Action" in s and not any(_wildcard(a, action, True) for a in _as_list(s["Action"])):
            continue
        if "NotAction" in s and any(_wildcard(a, action, True) for a in _as_list(s["NotAction"])):
            continue
        if "Resource" in s and not any(_wildcard(r, resource) for r in _as_list(s["Resource"])):
            continue
        if "NotResource" in s and any(_wildcard(r, resource) for r in _as_list(s["NotResource"])):
            continue
        if not conditions_hold(s.get("Condition") or {}, context):
            continue
        if s["Effect"] == "Deny":
            return "DENIED"
        decision = "PERMITTED"
    return decision


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@patch(
    "s3_bucket_policy_conditions",
    moto=(
        "FakeBucket.get_permission evaluates the bucket policy with no request context, and "
        "IAMPolicyStatement takes a condition whose key has no value in the context as met (only "
        "StringEquals is implemented at all; other operators are skipped). So every Deny with a condition "
        "applies: `Deny s3:* when Bool aws:SecureTransport = false` refuses every object request, over TLS "
        "too, and so do NumericLessThan s3:TlsVersion and StringNotEqualsIfExists on the SSE headers. "
        "The refusal is an empty 403 instead of S3's AccessDenied error document."
    ),
    aws=(
        "A statement applies only when its conditions hold in the request's context; aws:SecureTransport "
        "is true over TLS, s3:TlsVersion is the negotiated version, s3:x-amz-server-side-encryption[-aws-"
        "kms-key-id] are the request headers. Absent keys follow the documented rules (positive operators "
        "false, negated operators and ...IfExists true)."
    ),
)
def _s3_bucket_policy_conditions(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    setup_class = S3Response.setup_class

    def setup_class_with_context(self: Any, request: Any, *args: Any, **kwargs: Any) -> None:
        setup_class(self, request, *args, **kwargs)
        _S3_REQUEST.set(s3_request_context(request))

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        context = _S3_REQUEST.get() or {"aws:SecureTransport": "false"}
        return PermissionResult[bucket_policy_decision(json.loads(self.policy), action, resource, context)]

    key_response = S3Response._key_response

    def key_response_with_error_body(self: Any, request: Any, full_url: str) -> Any:
        # moto answers a policy denial with an empty 403; S3 sends an AccessDenied error document.
        response = key_response(self, request, full_url)
        if (
            isinstance(response, tuple)
            and len(response) == 3
            and response[0] == 403
            and not response[2]
            and request.method != "HEAD"
        ):
            body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>'
            return 403, {"Content-Type": "application/xml"}, body
        return response

    setattr_(S3Response, "setup_class", setup_class_with_context)
    setattr_(S3Response, "_key_response", key_response_with_error_body)
    setattr_(FakeBucket, "get_permission", get_permission)


@patch(
    "s3_logging_target_checks",
    moto=(
        "PutBucketLogging insists that the target bucket's policy or ACL grants the log-delivery "
        "service before it accepts the configuration, and crashes (HTTP 500, AttributeError) on a target "
        'policy with a statement whose Principal is the string "*".'
    ),
    aws=(
        "For a target bucket with Object Ownership BucketOwnerEnforced (the default for new buckets since "
        "April 2023; ACLs disabled) S3 does not check grants when logging is configured: delivery is "
        "authorised by the target's bucket policy at delivery time. ACL-enabled targets keep moto's check."
    ),
)
def _s3_logging_target_checks(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.s3.models import FakeBucket

    check = FakeBucket._log_permissions_enabled_policy

    def log_permissions_enabled_policy(target_bucket: Any, target_prefix: str | None) -> bool:
        ownership = target_bucket.ownership_rule
        if isinstance(ownership, dict):
            ownership = ownership.get("ObjectOwnership")
        if (ownership or "BucketOwnerEnforced") == "BucketOwnerEnforced":
            return True
        if target_bucket.policy:
            policy = json.loads(target_bucket.policy)
            statements = _as_list(policy["Statement"])
            if any(not isinstance(s.get("Principal", {}), dict) for s in statements):
                original = target_bucket.policy
                target_bucket.policy = json.dumps(
                    {
                        **policy,
                        "Statement": [s for s in statements if isinstance(s.get("Principal", {}), dict)],
                    }
                ).encode()
                try:
                    return check(target_bucket, target_prefix)
                finally:
                    target_bucket.policy = original
        return check(target_bucket, target_prefix)

    setattr_(FakeBucket, "_log_permissions_enabled_policy", staticmethod(log_permissions_enabled_policy))


# ---------------------------------------------------------------------------------
# Step Functions.
# ---------------------------------------------------------------------------------
@patch(
    "sfn_validate_state_machine_definition",
    moto="ValidateStateMachineDefinition is not implemented (HTTP 500 NotImplementedError); the AWS "
    "provider calls it while planning every aws_sfn_state_machine.",
    aws="Returns result OK, or FAIL with diagnostics. The patch checks what can be checked without the "
    "ASL schema: the definition is JSON, has States, and StartAt names one of them.",
)
def _sfn_validate_state_machine_definition(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def validate_state_machine_definition(self: Any) -> ActionResult:
        diagnostics: list[dict[str, str]] = []
        try:
            definition = json.loads(self._get_param("definition"))
        except (TypeError, ValueError) as e:
            definition = None
            diagnostics.append(
                {"severity": "ERROR", "code": "INVALID_JSON_DESCRIPTION", "message": str(e), "location": "/"}
            )
        if isinstance(definition, dict):
            states = definition.get("States")
            if not isinstance(states, dict) or not states:
                diagnostics.append(
                    {
                        "severity": "ERROR",
                        "code": "SCHEMA_VALIDATION_FAILED",
                        "message": "The field 'States' is required",
                        "location": "/States",
                    }
                )
            elif definition.get("StartAt") not in states:
                diagnostics.append(
                    {
                        "severity": "ERROR",
                        "code": "MISSING_TRANSITION_TARGET",
                        "message": "Missing 'Next' target: StartAt",
                        "location": "/StartAt",
                    }
                )
        elif definition is not None:
            diagnostics.append(
                {
                    "severity": "ERROR",
                    "code": "SCHEMA_VALIDATION_FAILED",
                    "message": "Expected an object",
                    "location": "/",
                }
            )
        return ActionResult(
            {"result": "FAIL" if diagnostics else "OK", "diagnostics": diagnostics, "truncated": False}
        )

    setattr_(StepFunctionResponse, "validate_state_machine_definition", validate_state_machine_definition)


@patch(
    "sfn_list_state_machine_versions",
    moto="ListStateMachineVersions is not implemented (HTTP 500); the AWS provider calls it on every "
    "read of an aws_sfn_state_machine.",
    aws="Lists the machine's published versions, newest first (none unless publish = true).",
)
def _sfn_list_state_machine_versions(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.core.responses import ActionResult
    from moto.stepfunctions.responses import StepFunctionResponse

    def list_state_machine_versions(self: Any) -> ActionResult:
        machine = self.stepfunction_backend.describe_state_machine(self._get_param("stateMachineArn"))
        versions = sorted(getattr(machine, "versions", {}).values(), key=lambda v: v.version, reverse=True)
        return ActionResult(
            {
                "stateMachineVersions": [
                    {"stateMachineVersionArn": v.arn, "creationDate": v.creation_date} for v in versions
                ]
            }
        )

    setattr_(StepFunctionResponse, "list_state_machine_versions", list_state_machine_versions)


# ---------------------------------------------------------------------------------
# API Gateway.
# ---------------------------------------------------------------------------------
@patch(
    "apigateway_rest_api_policy_escaped",
    moto="GetRestApi/CreateRestApi return the resource policy as plain JSON text.",
    aws='API Gateway returns the policy JSON-escaped ({\\"Version\\":...}); the AWS provider un-escapes it '
    "(flattenAPIPolicy) and fails on moto's plain JSON with `invalid character 'S' after top-level value`.",
)
def _apigateway_rest_api_policy_escaped(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.apigateway.models import RestAPI

    to_dict = RestAPI.to_dict

    def to_dict_escaped(self: Any) -> dict[str, Any]:
        result = to_dict(self)
        if result.get("policy"):
            result["policy"] = json.dumps(result["policy"])[1:-1]
        return result

    setattr_(RestAPI, "to_dict", to_dict_escaped)


# ---------------------------------------------------------------------------------
# Lake Formation.
# ---------------------------------------------------------------------------------
def _lf_resource_key(kind: str, resource: dict[str, Any]) -> Any:
    """A comparable form of an LFTag or LFTagPolicy resource (CatalogId and order ignored)."""
    if kind == "LFTag":
        return (resource.get("TagKey"), tuple(sorted(resource.get("TagValues") or [])))
    return (
        resource.get("ResourceType"),
        tuple(sorted((t["TagKey"], tuple(sorted(t["TagValues"]))) for t in resource.get("Expression") or [])),
    )


@patch(
    "lakeformation_list_permissions_lf_tags",
    moto="ListPermissions with a Resource of LFTag or LFTagPolicy fails with InvalidInputException "
    "'Resource must have either the catalog, table or database field populated.' (moto only filters "
    "Catalog, Database, Table and DataLocation).",
    aws="Lists the principal's grants on that LF-tag (key and values) or LF-tag expression; the AWS "
    "provider reads every aws_lakeformation_permissions with lf_tag or lf_tag_policy this way.",
)
def _lakeformation_list_permissions_lf_tags(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.lakeformation.responses import LakeFormationResponse

    list_permissions = LakeFormationResponse.list_permissions

    def list_permissions_with_tags(self: Any) -> str:
        resource = self._get_param("Resource") or {}
        kind = next((k for k in ("LFTag", "LFTagPolicy") if k in resource), None)
        if kind is None:
            return list_permissions(self)
        catalog_id = self._get_param("CatalogId") or self.current_account
        principal = self._get_param("Principal")
        wanted = _lf_resource_key(kind, resource[kind])
        catalog = self.lakeformation_backend.grants.get(catalog_id)
        found = [
            p.to_external_form()
            for p in (catalog.permissions if catalog else [])
            if kind in p.resource
            and (principal is None or p.principal == principal)
            and _lf_resource_key(kind, p.resource[kind]) == wanted
        ]
        return json.dumps({"PrincipalResourcePermissions": found})

    setattr_(LakeFormationResponse, "list_permissions", list_permissions_with_tags)


# ---------------------------------------------------------------------------------
# Transfer Family.
# ---------------------------------------------------------------------------------
@patch(
    "transfer_ssh_key_date_imported",
    moto="DescribeUser returns SshPublicKeys[].DateImported as a string ('1795329329.02').",
    aws="DateImported is a timestamp, a JSON number in this protocol; the AWS provider fails to "
    "deserialize the string (`expected DateImported to be a JSON Number, got string instead`).",
)
def _transfer_ssh_key_date_imported(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.transfer.types import User

    to_dict = User.to_dict

    def to_dict_numeric(self: Any) -> dict[str, Any]:
        result = to_dict(self)
        for key in result.get("SshPublicKeys") or []:
            if isinstance(key.get("DateImported"), str):
                key["DateImported"] = float(key["DateImported"])
        return result

    setattr_(User, "to_dict", to_dict_numeric)


@patch(
    "transfer_not_found_error_code",
    moto="A missing server, user or SSH key is reported with the error codes ServerNotFound, "
    "UserNotFound and PublicKeyNotFound.",
    aws="Transfer Family reports all three as ResourceNotFoundException, which is what the AWS provider "
    "looks for to know that a deleted server, user or key is gone (and to refresh after a delete).",
)
def _transfer_not_found_error_code(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.transfer import exceptions

    for cls in (exceptions.ServerNotFound, exceptions.UserNotFound, exceptions.PublicKeyNotFound):
        init = cls.__init__

        def init_resource_not_found(self: Any, *args: Any, _init: Any = init, **kwargs: Any) -> None:
            _init(self, *args, **kwargs)
            self.error_type = "ResourceNotFoundException"
            self.description = json.dumps({"__type": "ResourceNotFoundException", "message": self.message})

        setattr_(cls, "__init__", init_resource_not_found)


@patch(
    "transfer_user_posix_profile",
    moto="DescribeUser returns a PosixProfile with null Uid, Gid and SecondaryGids for a user created "
    "without one; the AWS provider reads it as uid 0 / gid 0 and plans to remove it on every run.",
    aws="PosixProfile is only returned for users that have one (EFS-backed servers).",
)
def _transfer_user_posix_profile(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.transfer.types import User

    to_dict = User.to_dict

    def to_dict_without_empty_posix(self: Any) -> dict[str, Any]:
        result = to_dict(self)
        if not any(v is not None for v in (self.posix_profile or {}).values()):
            result.pop("PosixProfile", None)
        return result

    setattr_(User, "to_dict", to_dict_without_empty_posix)


# ---------------------------------------------------------------------------------
# Answers that leave out something moto was given (a perpetual diff otherwise).
# ---------------------------------------------------------------------------------
@patch(
    "s3_notification_eventbridge",
    moto="GetBucketNotificationConfiguration leaves out EventBridgeConfiguration, although "
    "PutBucketNotificationConfiguration stored it (and moto sends the events).",
    aws="The configuration is returned with <EventBridgeConfiguration/> when EventBridge delivery is on; "
    "the AWS provider reads it into aws_s3_bucket_notification.eventbridge.",
)
def _s3_notification_eventbridge(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.s3.responses import S3Response

    get_bucket_notification = S3Response.get_bucket_notification

    def get_bucket_notification_with_eventbridge(self: Any) -> Any:
        status, headers, body = get_bucket_notification(self)
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is not None and config.event_bridge is not None:
            text = body.decode() if isinstance(body, bytes) else body
            if "<EventBridgeConfiguration" not in text:
                element = "<EventBridgeConfiguration></EventBridgeConfiguration>"
                if "</NotificationConfiguration>" in text:
                    text = text.replace(
                        "</NotificationConfiguration>", element + "</NotificationConfiguration>"
                    )
                else:
                    text = (
                        '<?xml version="1.0" encoding="UTF-8"?>\n<NotificationConfiguration '
                        f'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{element}</NotificationConfiguration>'
                    )
                body = text.encode() if isinstance(body, bytes) else text
                headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return status, headers, body

    setattr_(S3Response, "get_bucket_notification", get_bucket_notification_with_eventbridge)


@patch(
    "glue_connection_type",
    moto="GetConnection(s) leaves out ConnectionType (and MatchCriteria), although CreateConnection stored them.",
    aws="ConnectionType is always returned (NETWORK for the platform's VPC connections).",
)
def _glue_connection_type(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.glue.models import FakeConnection

    as_dict = FakeConnection.as_dict

    def as_dict_with_type(self: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        result = as_dict(self, *args, **kwargs)
        for key in ("ConnectionType", "MatchCriteria"):
            if key in self.connection_input:
                result.setdefault(key, self.connection_input[key])
        return result

    setattr_(FakeConnection, "as_dict", as_dict_with_type)


@patch(
    "ec2_security_group_rule_description",
    moto="DescribeSecurityGroupRules returns no Description for a rule that references a security "
    "group or a prefix list: moto reads the description from the CIDR range only (and drops a prefix "
    "list's description when the rule is authorised).",
    aws="Every rule returns the description it was authorised with.",
)
def _ec2_security_group_rule_description(setattr_: Callable[[Any, str, Any], None]) -> None:
    import inspect

    from moto.ec2.models.security_groups import SecurityGroupRule

    init = SecurityGroupRule.__init__
    signature = inspect.signature(init)

    def init_keeping_description(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        prefix_list = signature.bind(self, *args, **kwargs).arguments.get("prefix_list_id")
        self.prefix_list_description = (prefix_list or {}).get("Description")

    def description(self: Any) -> str | None:
        return (
            self.ip_range.get("Description")
            or self.source_group.get("Description")
            or getattr(self, "prefix_list_description", None)
        )

    setattr_(SecurityGroupRule, "__init__", init_keeping_description)
    setattr_(SecurityGroupRule, "description", property(description))


@patch(
    "kinesis_create_stream_tags",
    moto="CreateStream ignores its Tags parameter (tags given at creation are lost; AddTagsToStream works).",
    aws="The stream is created with the tags (the AWS provider passes them to CreateStream).",
)
def _kinesis_create_stream_tags(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.kinesis.responses import KinesisResponse

    create_stream = KinesisResponse.create_stream

    def create_stream_with_tags(self: Any) -> Any:
        result = create_stream(self)
        tags = self._get_param("Tags")
        if tags:
            self.kinesis_backend.add_tags_to_stream(None, self._get_param("StreamName"), tags)
        return result

    setattr_(KinesisResponse, "create_stream", create_stream_with_tags)


@patch(
    "guardduty_detector_features_merge",
    moto="UpdateDetector replaces the detector's whole feature list with the features it is given, so "
    "enabling S3_DATA_EVENTS and then LAMBDA_NETWORK_LOGS (one aws_guardduty_detector_feature each) "
    "leaves only the second.",
    aws="UpdateDetector changes the features it names and keeps the others.",
)
def _guardduty_detector_features_merge(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.guardduty.models import Detector

    update = Detector.update

    def update_merging_features(
        self: Any,
        enable: bool,
        finding_publishing_frequency: str,
        data_sources: dict[str, Any],
        features: list[dict[str, Any]],
    ) -> None:
        if features is not None:
            merged = {f["name"]: f for f in self.features}
            merged.update({f["name"]: f for f in features})
            features = list(merged.values())
        update(self, enable, finding_publishing_frequency, data_sources, features)

    setattr_(Detector, "update", update_merging_features)


@patch(
    "securityhub_update_configuration",
    moto="UpdateSecurityHubConfiguration is not implemented (HTTP 500), so the AWS provider cannot "
    "create aws_securityhub_account; DescribeHub always reports AutoEnableControls true and "
    "ControlFindingGenerator SECURITY_CONTROL.",
    aws="UpdateSecurityHubConfiguration sets AutoEnableControls and ControlFindingGenerator, which "
    "DescribeHub then reports; InvalidAccessException when Security Hub is not enabled.",
)
def _securityhub_update_configuration(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    describe_hub = SecurityHubBackend.describe_hub

    def describe_hub_with_configuration(self: Any, hub_arn: str | None = None) -> dict[str, Any]:
        return describe_hub(self, hub_arn) | getattr(self, "hub_configuration", {})

    def update_security_hub_configuration(self: Any) -> str:
        params = json.loads(self.body) if self.body else {}
        backend = self.securityhub_backend
        backend.describe_hub()  # InvalidAccessException unless enabled
        backend.hub_configuration = getattr(backend, "hub_configuration", {}) | {
            k: params[k] for k in ("AutoEnableControls", "ControlFindingGenerator") if k in params
        }
        return "{}"

    setattr_(SecurityHubBackend, "describe_hub", describe_hub_with_configuration)
    setattr_(SecurityHubResponse, "update_security_hub_configuration", update_security_hub_configuration)


# ---------------------------------------------------------------------------------
# Destroy.
# ---------------------------------------------------------------------------------
def _canonical(value: Any) -> Any:
    """A resource description with CatalogId dropped and lists in a fixed order, for comparison."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items() if k != "CatalogId"}
    if isinstance(value, list):
        return sorted((_canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


@patch(
    "lakeformation_revoke_permissions",
    moto="RevokePermissions succeeds silently when the grantee holds none of the permissions (and finds "
    "an existing grant only if the Resource is byte-for-byte the one granted: same CatalogId, same order "
    "of tag values). The AWS provider revokes, then revokes again until AWS says there is nothing left, "
    "so every destroy of aws_lakeformation_permissions fails with 'empty retryable error received'.",
    aws="Revokes from the grant on the same principal and resource; when the grantee has none of the "
    "permissions: InvalidInputException 'No permissions revoked. Grantee has no permissions and no "
    "grantable permissions on resource'.",
)
def _lakeformation_revoke_permissions(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.lakeformation.exceptions import InvalidInput
    from moto.lakeformation.models import LakeFormationBackend

    def revoke_permissions(
        self: Any,
        catalog_id: str,
        principal: dict[str, str],
        resource: dict[str, Any],
        permissions_to_revoke: list[str],
        permissions_with_grant_options_to_revoke: list[str],
    ) -> None:
        catalog = self.grants.get(catalog_id)
        wanted = _canonical(resource)
        grant = next(
            (
                p
                for p in (catalog.permissions if catalog else [])
                if p.principal == principal and _canonical(p.resource) == wanted
            ),
            None,
        )
        revoke = set(permissions_to_revoke or [])
        revoke_grantable = set(permissions_with_grant_options_to_revoke or [])
        if grant is None or not (
            revoke & set(grant.permissions) or revoke_grantable & set(grant.permissions_with_grant_options)
        ):
            raise InvalidInput(
                "No permissions revoked. Grantee has no permissions and no grantable permissions on resource"
            )
        catalog.permissions.remove(grant)
        grant.permissions = [p for p in grant.permissions if p not in revoke]
        grant.permissions_with_grant_options = [
            p for p in grant.permissions_with_grant_options if p not in revoke_grantable
        ]
        if not grant.is_empty():
            catalog.permissions.add(grant)

    setattr_(LakeFormationBackend, "revoke_permissions", revoke_permissions)


@patch(
    "lakeformation_remove_lf_tags",
    moto="RemoveLFTagsFromResource crashes (HTTP 500, ValueError: list.remove(x)) unless each tag is "
    "given exactly as stored, values in the same order, and for a tag the resource does not have.",
    aws="Removes the named LF-tag keys from the resource; a tag the resource does not carry is reported "
    "in Failures, not as a server error.",
)
def _lakeformation_remove_lf_tags(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.lakeformation.models import LakeFormationBackend
    from moto.lakeformation.responses import LakeFormationResponse

    def remove_lf_tags_from_resource(
        self: Any, catalog_id: str, resource: dict[str, Any], tags: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        keys: list[tuple[Any, ...]] = []
        if "Database" in resource:
            db = resource["Database"]
            keys.append((self.lf_database_tags, (db.get("CatalogId", self.account_id), db["Name"])))
        if "Table" in resource:
            t = resource["Table"]
            keys.append(
                (self.lf_table_tags, (t.get("CatalogId", self.account_id), t["DatabaseName"], t["Name"]))
            )
        if "TableWithColumns" in resource:
            t = resource["TableWithColumns"]
            for column in t["ColumnNames"]:
                keys.append(
                    (
                        self.lf_columns_tags,
                        (t.get("CatalogId", self.account_id), t["DatabaseName"], t["Name"], column),
                    )
                )
        failures = []
        for tag in tags:
            removed = False
            for store, key in keys:
                existing = store.get(key) or []
                kept = [e for e in existing if e["TagKey"] != tag["TagKey"]]
                removed = removed or len(kept) != len(existing)
                if key in store:
                    store[key] = kept
            if not removed:
                failures.append(
                    {
                        "LFTag": {"CatalogId": catalog_id, **tag},
                        "Error": {
                            "ErrorCode": "EntityNotFoundException",
                            "ErrorMessage": "Tag is not associated with the resource.",
                        },
                    }
                )
        return failures

    def remove_lf_tags_response(self: Any) -> str:
        failures = self.lakeformation_backend.remove_lf_tags_from_resource(
            self._get_param("CatalogId") or self.current_account,
            self._get_param("Resource"),
            self._get_param("LFTags"),
        )
        return json.dumps({"Failures": failures})

    setattr_(LakeFormationBackend, "remove_lf_tags_from_resource", remove_lf_tags_from_resource)
    setattr_(LakeFormationResponse, "remove_lf_tags_from_resource", remove_lf_tags_response)


@patch(
    "glue_delete_connection",
    moto="DeleteConnection is not implemented (HTTP 500 NotImplementedError).",
    aws="Deletes the connection; EntityNotFoundException when there is none.",
)
def _glue_delete_connection(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.core.responses import ActionResult
    from moto.glue.exceptions import EntityNotFoundException
    from moto.glue.responses import GlueResponse

    def delete_connection(self: Any) -> ActionResult:
        name = self._get_param("ConnectionName")
        if self.glue_backend.connections.pop(name, None) is None:
            raise EntityNotFoundException(f"Connection {name} not found")
        return ActionResult({})

    setattr_(GlueResponse, "delete_connection", delete_connection)


@patch(
    "cloudtrail_delete_trail_by_arn",
    moto="DeleteTrail given the trail's ARN (the AWS provider's resource id) does nothing and succeeds: "
    "the trail stays. (StartLogging and StopLogging accept an ARN in this moto version.)",
    aws="DeleteTrail accepts a name or an ARN; TrailNotFoundException when there is no such trail.",
)
def _cloudtrail_delete_trail_by_arn(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.cloudtrail.models import CloudTrailBackend

    def delete_trail(self: Any, name: str) -> None:
        trail = self.get_trail(name)  # by name or ARN; raises TrailNotFoundException
        del self.trails[trail.trail_name]

    setattr_(CloudTrailBackend, "delete_trail", delete_trail)


@patch(
    "s3_key_store_concurrent_delete",
    moto="Listing object versions while another request deletes a key of the same bucket can crash "
    "(HTTP 500, TypeError: 'NoneType' object is not iterable): the key store copies the key names, "
    "then looks each one up again and gets None for a key deleted in between. terraform destroy "
    "deletes the artifacts' versions in parallel.",
    aws="Each request sees a consistent listing.",
)
def _s3_key_store_concurrent_delete(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.s3.utils import _VersionedKeyStore

    def iterlists(self: Any) -> Iterator[tuple[str, list[Any]]]:
        yield from ((k, v) for k, v in dict.items(self._self_iterable()))

    setattr_(_VersionedKeyStore, "lists", iterlists)
    setattr_(_VersionedKeyStore, "iterlists", iterlists)
    setattr_(_VersionedKeyStore, "_iterlists", iterlists)


@patch(
    "backup_list_recovery_points",
    moto="ListRecoveryPointsByBackupVault is not routed (HTTP 404), so destroying a vault with "
    "force_destroy (which lists its recovery points to delete them first) fails.",
    aws="Lists the vault's recovery points; moto never runs a backup job, so a vault it knows has "
    "none: an empty list, or ResourceNotFoundException for a vault it does not know.",
)
def _backup_list_recovery_points(setattr_: Callable[[Any, str, Any], None]) -> None:
    from moto.backup import urls
    from moto.backup.responses import BackupResponse

    def list_recovery_points_by_backup_vault(self: Any) -> str:
        self.backup_backend.describe_backup_vault(self.path.rstrip("/").split("/")[-2])  # or not found
        return json.dumps({"RecoveryPoints": []})

    setattr_(BackupResponse, "list_recovery_points_by_backup_vault", list_recovery_points_by_backup_vault)
    setattr_(
        urls,
        "url_paths",
        {**urls.url_paths, "{0}/backup-vaults/(?P<name>[^/]+)/recovery-points/$": urls.response.dispatch},
    )


@patch(
    "backup_list_tags_path",
    moto="ListTags takes the resource ARN from the second-to-last path segment, which is right for "
    "GET /tags/<arn>/ (boto3) but reads 'tags' for GET /tags/<arn> (the AWS SDK for Go, so the "
    "provider): vaults and plans then show no tags, and every plan wants to add them again.",
    aws="ListTags lists the tags of the resource ARN in the path, with or without a trailing slash.",
)
def _backup_list_tags_path(setattr_: Callable[[Any, str, Any], None]) -> None:
    from urllib.parse import unquote

    from moto.backup.responses import BackupResponse

    def list_tags(self: Any) -> str:
        resource_arn = unquote(self.path.split("/tags/", 1)[1].split("?", 1)[0].rstrip("/"))
        return json.dumps({"Tags": self.backup_backend.list_tags(resource_arn=resource_arn)})

    setattr_(BackupResponse, "list_tags", list_tags)
