"""A real `terraform plan` of the dev root, offline, and what it must contain.

The root is copied with the modules and the files the platform reads (job manifest,
table catalog, SQL, the Lambda handlers and the outreach event contract) into a temporary tree with
a local backend, and planned with the real AWS provider as the issue 7 emulator run
will use it: fake credentials, an account ID given (so no sts:GetCallerIdentity),
every endpoint pointed at a closed loopback port and max_retries=0, so any API call
at plan time fails at once. The one call a plan makes, Step Functions'
ValidateStateMachineDefinition, goes to a small stub that accepts the definition and
records the call. Local artifacts (a fake dist/) are on, as in the emulator run.

The plan JSON is then checked platform-wide: tags, encryption of every log group,
topic, queue, stream and table, the full set of bucket controls for every bucket, no
wildcard actions, the Glue jobs equal to the manifest, the catalog equal to the
catalog file.
"""

from __future__ import annotations

import fnmatch
import http.server
import json
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from tf_testkit import MODULES, REPO, TERRAFORM, run

ACCOUNT = "111122223333"
VERSION = "0.1.0-plan-test"
SERVICES = [
    "accessanalyzer", "acm", "apigateway", "athena", "backup", "chatbot", "cloudtrail", "cloudwatch",
    "configservice", "dynamodb", "ec2", "events", "firehose", "glue", "guardduty", "iam", "kinesis", "kms",
    "lakeformation", "lambda", "logs", "macie2", "quicksight", "route53", "s3", "scheduler", "secretsmanager",
    "securityhub", "sns", "sqs", "sts", "transfer", "wafv2",
]  # fmt: skip
CLOSED_PORT = "http://127.0.0.1:9"
PLAN_RISK_THRESHOLD = "13"  # the plan's manifest threshold: not the shipped 10, to see where it goes
REQUIRED_TAGS = {"Project", "Environment", "Owner", "CostCenter", "DataClassification"}
LAMBDAS = sorted(p.parent.name for p in (REPO / "lambdas").glob("*/handler.py"))  # as the platform finds them


class _SfnStub(http.server.BaseHTTPRequestHandler):
    calls: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _SfnStub.calls.append(self.headers.get("X-Amz-Target", ""))
        body = json.dumps({"result": "OK", "diagnostics": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sfn_stub() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SfnStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _catalog_tables() -> list[dict[str, Any]]:
    """The repository's table catalog (`carelake catalog` writes it; a unit test keeps it fresh)."""
    return json.loads((REPO / "jobs" / "catalog.json").read_text())["tables"]


def _copy_tree(tmp: Path) -> Path:
    shutil.copytree(MODULES, tmp / "terraform/modules", ignore=shutil.ignore_patterns(".terraform"))
    root = tmp / "terraform/environments/dev"
    shutil.copytree(
        TERRAFORM / "environments/dev", root, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*")
    )
    (root / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    (tmp / "jobs/src/carelake").mkdir(parents=True)
    manifest = (REPO / "jobs/src/carelake/manifest.yaml").read_text(encoding="utf-8")
    shipped = 'risk_threshold: "10"'
    assert manifest.count(shipped) == 1, "the one threshold moved: update this test"
    (tmp / "jobs/src/carelake/manifest.yaml").write_text(
        manifest.replace(shipped, f'risk_threshold: "{PLAN_RISK_THRESHOLD}"'), encoding="utf-8"
    )
    (tmp / "jobs/catalog.json").write_text(json.dumps({"version": 1, "tables": _catalog_tables()}))
    # The Lambdas (lambdas/<name>/handler.py) and the outreach event contract (API Gateway's model).
    shutil.copytree(REPO / "lambdas", tmp / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    schema = REPO / "jobs/src/carelake/contracts/outreach_event.schema.json"
    (tmp / "jobs/src/carelake/contracts").mkdir(parents=True)
    shutil.copy(schema, tmp / "jobs/src/carelake/contracts" / schema.name)
    shutil.copytree(MODULES / "analytics/tests/fixtures/sql", tmp / "sql")
    if (REPO / "sql").is_dir():
        shutil.copytree(REPO / "sql", tmp / "sql", dirs_exist_ok=True)
    dist = tmp / "dist"
    for rel in [
        "glue/raw_to_bronze.py",
        "carelake-python-modules.zip",
        *(f"lambdas/{n}.zip" for n in LAMBDAS),
    ]:
        (dist / rel).parent.mkdir(parents=True, exist_ok=True)
        (dist / rel).write_bytes(b"fake artifact for the plan test\n")
    return root


@pytest.fixture(scope="module")
def dev_plan(
    tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str], sfn_stub: str
) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("dev-plan")
    root = _copy_tree(tmp)
    endpoints = dict.fromkeys(SERVICES, CLOSED_PORT) | {"sfn": sfn_stub}
    (root / "plan-test.auto.tfvars.json").write_text(
        json.dumps(
            {
                "account_id": ACCOUNT,
                "artifact_version": VERSION,
                "local_artifacts_dir": str(tmp / "dist"),
                "aws_endpoint_urls": endpoints,
                "aws_skip_credentials_validation": True,
                "aws_skip_requesting_account_id": True,
                "aws_skip_metadata_api_check": True,
                "aws_max_retries": 0,
                "sftp_partners": {
                    "acme": {"ssh_public_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIexample acme"]}
                },
                "sftp_allowed_cidrs": ["192.0.2.0/24"],
            }
        )
    )
    env = tf_env | {
        "AWS_ACCESS_KEY_ID": "fake",
        "AWS_SECRET_ACCESS_KEY": "fake",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    init = run(["terraform", "init", "-input=false", "-no-color"], root, env)
    assert init.returncode == 0, init.stdout + init.stderr
    plan = run(
        ["terraform", "plan", "-input=false", "-lock=false", "-no-color", "-out=plan.tfplan"], root, env
    )
    assert plan.returncode == 0, f"offline plan of the dev root failed:\n{plan.stdout}\n{plan.stderr}"
    show = run(["terraform", "show", "-json", "plan.tfplan"], root, env)
    assert show.returncode == 0, show.stderr
    return json.loads(show.stdout)


def _changes(plan: dict[str, Any], rtype: str | None = None) -> list[dict[str, Any]]:
    return [r for r in plan["resource_changes"] if rtype is None or r["type"] == rtype]


def _after(r: dict[str, Any]) -> dict[str, Any]:
    return r["change"]["after"] or {}


def _set_or_unknown(r: dict[str, Any], attr: str) -> bool:
    """True when the attribute has a value or is computed from one (e.g. a key ARN known after apply)."""
    return bool(_after(r).get(attr)) or bool((r["change"].get("after_unknown") or {}).get(attr))


def test_plan_is_offline_and_complete(dev_plan: dict[str, Any]) -> None:
    assert len(_changes(dev_plan)) > 250
    assert all(r["change"]["actions"] == ["create"] for r in _changes(dev_plan))
    assert set(_SfnStub.calls) == {"AWSStepFunctions.ValidateStateMachineDefinition"}


def test_every_taggable_resource_carries_the_context_tags(dev_plan: dict[str, Any]) -> None:
    taggable = [r for r in _changes(dev_plan) if "tags_all" in _after(r)]
    assert len(taggable) > 100
    missing = {r["address"]: sorted(REQUIRED_TAGS - set(_after(r)["tags_all"] or {})) for r in taggable}
    assert {a: m for a, m in missing.items() if m} == {}
    assert {_after(r)["tags_all"]["DataClassification"] for r in taggable} == {"phi", "non-phi"}
    assert {_after(r)["tags_all"]["Environment"] for r in taggable} == {"dev"}


def test_everything_that_stores_or_carries_data_is_kms_encrypted(dev_plan: dict[str, Any]) -> None:
    checks = {
        "aws_cloudwatch_log_group": "kms_key_id",
        "aws_sns_topic": "kms_master_key_id",
        "aws_sqs_queue": "kms_master_key_id",
        "aws_kinesis_stream": "kms_key_id",
        "aws_lambda_function": "kms_key_arn",
        "aws_cloudtrail": "kms_key_id",
    }
    for rtype, attr in checks.items():
        resources = _changes(dev_plan, rtype)
        assert resources, rtype
        unencrypted = [r["address"] for r in resources if not _set_or_unknown(r, attr)]
        assert unencrypted == [], f"{rtype} without {attr}"
    for table in _changes(dev_plan, "aws_dynamodb_table"):
        sse = _after(table)["server_side_encryption"][0]
        assert sse["enabled"], table["address"]
        assert _after(table)["point_in_time_recovery"][0]["enabled"], table["address"]
    for stream in _changes(dev_plan, "aws_kinesis_stream"):
        assert _after(stream)["encryption_type"] == "KMS"


def test_every_bucket_has_every_control(dev_plan: dict[str, Any]) -> None:
    buckets = {_after(r)["bucket"] for r in _changes(dev_plan, "aws_s3_bucket")}
    assert len(buckets) == 9  # 7 lake buckets, access logs, trail

    def by_bucket(rtype: str) -> dict[str, dict[str, Any]]:
        return {_after(r)["bucket"]: _after(r) for r in _changes(dev_plan, rtype)}

    for rtype in [
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_notification",
    ]:
        assert set(by_bucket(rtype)) == buckets, rtype
    logged = set(by_bucket("aws_s3_bucket_logging"))
    assert buckets - logged == {f"carelake-dev-access-logs-{ACCOUNT}"}
    for name, pab in by_bucket("aws_s3_bucket_public_access_block").items():
        assert all(
            pab[k]
            for k in (
                "block_public_acls",
                "block_public_policy",
                "ignore_public_acls",
                "restrict_public_buckets",
            )
        ), name
    for name, versioning in by_bucket("aws_s3_bucket_versioning").items():
        assert versioning["versioning_configuration"][0]["status"] == "Enabled", name
    for name, sse in by_bucket("aws_s3_bucket_server_side_encryption_configuration").items():
        algorithm = sse["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"]
        assert algorithm == ("AES256" if "access-logs" in name else "aws:kms"), name
    # Policies that name a KMS key are known only after apply (the module tests check
    # their content); the others are checked here.
    known = {n: p["policy"] for n, p in by_bucket("aws_s3_bucket_policy").items() if p.get("policy")}
    assert len(known) >= 2
    for name, policy in known.items():
        statements = json.loads(policy)["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        ), name
        assert any(
            s["Effect"] == "Deny" and "s3:TlsVersion" in s.get("Condition", {}).get("NumericLessThan", {})
            for s in statements
        ), name
        assert any(
            s["Effect"] == "Deny"
            and "s3:x-amz-server-side-encryption" in s.get("Condition", {}).get("StringNotEquals", {})
            # only requests naming an algorithm: one without the header gets the bucket default
            and s["Condition"].get("Null", {}).get("s3:x-amz-server-side-encryption") == "false"
            for s in statements
        ), name


def _policies(plan: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy that grants something. VPC endpoint policies are left out: they only
    bound what may pass through an endpoint (here: this account's resources) and grant nothing."""
    for r in _changes(plan):
        if r["type"] == "aws_vpc_endpoint":
            continue
        for attr in ("policy", "assume_role_policy"):
            value = _after(r).get(attr)
            if isinstance(value, str) and value.startswith("{"):
                yield f"{r['address']}.{attr}", json.loads(value)


def test_no_wildcard_actions_and_no_s3_on_every_resource(dev_plan: dict[str, Any]) -> None:
    seen = 0
    for where, policy in _policies(dev_plan):
        for s in policy["Statement"]:
            if s["Effect"] != "Allow":
                continue
            seen += 1
            actions = s.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            assert not [a for a in actions if a == "*" or a.endswith(":*")], f"{where}: {s}"
            if any(a.startswith("s3:") for a in actions):
                resources = s.get("Resource", [])
                resources = [resources] if isinstance(resources, str) else resources
                assert "*" not in resources, f"{where}: S3 actions on every bucket: {s}"
    assert seen > 50


def test_glue_jobs_are_the_manifest(dev_plan: dict[str, Any]) -> None:
    manifest = yaml.safe_load((REPO / "jobs/src/carelake/manifest.yaml").read_text())
    jobs = {_after(r)["name"]: _after(r) for r in _changes(dev_plan, "aws_glue_job")}
    assert set(jobs) == {f"carelake-dev-{j}" for j in manifest["jobs"]}
    for name, spec in manifest["jobs"].items():
        job = jobs[f"carelake-dev-{name}"]
        assert job["command"][0]["script_location"].endswith(f"/carelake/{VERSION}/glue/{name}.py")
        assert {a.removeprefix("--") for a in job["default_arguments"]} >= set(spec["arguments"])
        assert job["worker_type"] == spec["glue"]["worker_type"]
    triggers = _changes(dev_plan, "aws_glue_trigger")
    roots = sorted(j for j, spec in manifest["jobs"].items() if not spec["depends_on"])
    start = next(_after(t) for t in triggers if _after(t)["type"] == "SCHEDULED")
    assert sorted(a["job_name"] for a in start["actions"]) == [f"carelake-dev-{j}" for j in roots]
    assert len(triggers) == 1 + sum(1 for spec in manifest["jobs"].values() if spec["depends_on"])


def test_catalog_tables_are_the_catalog_file(dev_plan: dict[str, Any]) -> None:
    tables = {
        (_after(r)["database_name"], _after(r)["name"]) for r in _changes(dev_plan, "aws_glue_catalog_table")
    }
    assert tables == {(f"carelake_dev_{t['zone']}", t["name"]) for t in _catalog_tables()}
    column_tags = [
        r
        for r in _changes(dev_plan, "aws_lakeformation_resource_lf_tags")
        if _after(r).get("table_with_columns")
    ]
    expected = {t["name"] for t in _catalog_tables() if t.get("direct_identifier_columns")}
    assert {_after(r)["table_with_columns"][0]["name"] for r in column_tags} == expected


def test_local_artifacts_are_uploaded_and_used(dev_plan: dict[str, Any]) -> None:
    keys = {_after(r)["key"] for r in _changes(dev_plan, "aws_s3_object")}
    assert f"carelake/{VERSION}/carelake-python-modules.zip" in keys
    assert {f"carelake/{VERSION}/lambdas/{n}.zip" for n in LAMBDAS} <= keys
    functions = {_after(r)["function_name"]: _after(r) for r in _changes(dev_plan, "aws_lambda_function")}
    assert set(functions) == {f"carelake-dev-{n.replace('_', '-')}" for n in LAMBDAS}
    for f in functions.values():
        assert f["s3_key"].startswith(f"carelake/{VERSION}/lambdas/")
        assert f["handler"] == "handler.handler" and f["runtime"] == "python3.11"


def test_lambda_environments_match_the_handlers(dev_plan: dict[str, Any]) -> None:
    def names(r: dict[str, Any]) -> set[str]:
        known = (_after(r).get("environment") or [{}])[0].get("variables") or {}
        unknown = ((r["change"].get("after_unknown") or {}).get("environment") or [{}])[0]
        unknown = unknown.get("variables") if isinstance(unknown, dict) else {}
        return set(known) | set(unknown if isinstance(unknown, dict) else {})

    env = {_after(r)["function_name"]: names(r) for r in _changes(dev_plan, "aws_lambda_function")}
    assert env == {
        "carelake-dev-outreach-intake": {"STREAM_NAME"},
        "carelake-dev-risk-alert": {
            "ALERT_FEED_URI",
            "RISK_THRESHOLD",
            "TOPIC_ARN",
            "SUPPRESSION_TABLE",
            "SUPPRESSION_HOURS",
            "ALERT_FEED_MAX_AGE_HOURS",
            "WORKLIST_LOCATION",
        },
        "carelake-dev-sftp-arrival": {"CLAIMS_JOB_NAME", "QUARANTINE_BUCKET", "MAX_FILE_BYTES"},
        "carelake-dev-failure-notifier": {"TOPIC_ARN", "RUNBOOK_BASE_URL", "JOB_NAME_PREFIX"},
        "carelake-dev-pipeline-health": {
            "TOPIC_ARN",
            "RUNBOOK_BASE_URL",
            "REPORT_BUCKET",
            "RAW_BUCKET",
            "SOURCES",
            "QUARANTINE_RATE_THRESHOLD",
            "QUARANTINE_RATE_THRESHOLD_BY_TABLE",
        },
    }


def _boundary_actions() -> list[str]:
    """What the bootstrap stack's workload boundary allows (its Action lists)."""
    text = (TERRAFORM / "bootstrap" / "carelake-bootstrap.yaml").read_text()
    boundary = text[text.index("  WorkloadBoundary:") : text.index("\n  ApplyRole:")]
    return re.findall(r"^\s+- ([a-z0-9-]+:[A-Za-z*]+)$", boundary, re.M)


def test_every_role_carries_the_boundary_and_stays_inside_it(dev_plan: dict[str, Any]) -> None:
    roles = _changes(dev_plan, "aws_iam_role")
    assert len(roles) > 15
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/carelake-dev-workload-boundary"
    assert {
        r["address"]: _after(r).get("permissions_boundary")
        for r in roles
        if _after(r).get("permissions_boundary") != boundary
    } == {}
    allowed = _boundary_actions()
    assert len(allowed) > 20
    outside = set()
    for r in _changes(dev_plan, "aws_iam_role_policy"):
        policy = _after(r).get("policy")
        if not (isinstance(policy, str) and policy.startswith("{")):
            continue  # names a key ARN known after apply; the module tests check those
        for s in json.loads(policy)["Statement"]:
            actions = s.get("Action", []) if s["Effect"] == "Allow" else []
            for action in [actions] if isinstance(actions, str) else actions:
                if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in allowed):
                    outside.add(f"{r['address']}: {action}")
    assert outside == set(), "actions the workload boundary does not allow (add the service to it)"


def _hipaa_catalog() -> dict[str, Any]:
    return yaml.safe_load((REPO / "docs/hipaa/controls.yaml").read_text())


def test_every_service_the_platform_uses_is_inside_the_boundary(dev_plan: dict[str, Any]) -> None:
    """Each resource type of the plan belongs to a service of the HIPAA catalog's list, and the
    workload boundary names every IAM prefix of that service: a role under the boundary (a
    service role, the Config recorder, break-glass) could not use a service it leaves out."""
    services = _hipaa_catalog()["hipaa_eligible_services"]
    boundary_prefixes = {a.split(":")[0] for a in _boundary_actions()}
    types = {r["type"] for r in _changes(dev_plan) if r["mode"] == "managed"}
    needed: dict[str, set[str]] = {}
    for rtype in sorted(types):
        owners = [s for s in services if any(rtype.startswith(p) for p in s["terraform_prefixes"])]
        assert owners, f"{rtype} belongs to no service of docs/hipaa/controls.yaml"
        for prefix in owners[0]["iam_prefixes"]:
            needed.setdefault(prefix, set()).add(rtype)
    assert {"secretsmanager", "guardduty", "config", "backup", "wafv2", "acm", "route53"} <= set(needed)
    assert {p: sorted(t) for p, t in needed.items() if p not in boundary_prefixes} == {}


def test_hipaa_catalog_addresses_are_in_the_plan(dev_plan: dict[str, Any]) -> None:
    """Every Terraform address docs/hipaa/controls.yaml cites is a resource of the dev plan (with
    every detective control managed here), so the catalog names what `terraform state list` shows."""
    planned = {re.sub(r"\[[^\]]*\]", "", r["address"]) for r in _changes(dev_plan)}
    cited = {a for c in _hipaa_catalog()["controls"] for a in c["terraform"]}
    assert len(cited) > 60
    # raw is write-once in prod only (dev's raw_object_lock_enabled = false); QuickSight is
    # optional (an Enterprise subscription): the dev root leaves `quicksight` unset.
    prod_only = {"module.platform.module.data_lake.aws_s3_bucket_object_lock_configuration.this"}
    optional = {a for a in cited if "quicksight" in a}
    assert len(optional) == 4
    assert sorted(cited - planned) == sorted(prod_only | optional)


def test_one_risk_threshold_reaches_the_gold_job_and_the_lambda(dev_plan: dict[str, Any]) -> None:
    """The plan's manifest says 13 (_copy_tree), not the shipped default: the one value reaches the
    silver_to_gold Glue job's default arguments and the risk_alert Lambda's environment."""
    [job] = [
        r for r in _changes(dev_plan, "aws_glue_job") if _after(r)["name"] == "carelake-dev-silver_to_gold"
    ]
    [alert] = [r for r in _changes(dev_plan, "aws_lambda_function")
               if _after(r)["function_name"] == "carelake-dev-risk-alert"]  # fmt: skip
    assert _after(job)["default_arguments"]["--risk_threshold"] == PLAN_RISK_THRESHOLD
    assert _after(alert)["environment"][0]["variables"]["RISK_THRESHOLD"] == PLAN_RISK_THRESHOLD
    assert _after(job)["default_arguments"]["--care_team_assignment_uri"] == (
        f"s3://carelake-dev-artifacts-{ACCOUNT}/carelake/config/care_team_assignment.jsonl"
    )


def test_pipeline_health_watches_every_raw_source_by_default(dev_plan: dict[str, Any]) -> None:
    [health] = [r for r in _changes(dev_plan, "aws_lambda_function")
                if _after(r)["function_name"] == "carelake-dev-pipeline-health"]  # fmt: skip
    variables = _after(health)["environment"][0]["variables"]
    sources = json.loads(variables["SOURCES"])
    # the five raw prefixes of docs/data-contracts.md, "Raw zone layout"
    assert {s["prefix"] for s in sources.values()} == {
        "ehr/fhir/",
        "ehr/csv/",
        "claims/",
        "care_mgmt/",
        "treatments/",
    }
    assert variables["QUARANTINE_RATE_THRESHOLD"] == "0.01"


def test_schedules_follow_schedules_enabled_and_reports_are_always_checked(dev_plan: dict[str, Any]) -> None:
    states = {_after(r)["name"]: _after(r)["state"] for r in _changes(dev_plan, "aws_cloudwatch_event_rule")
              if _after(r).get("state")}  # fmt: skip
    # dev turns schedules off (terraform/environments/dev/main.tf)
    assert states["carelake-dev-risk-alert-schedule"] == "DISABLED"
    assert states["carelake-dev-pipeline-health-freshness"] == "DISABLED"
    assert states["carelake-dev-pipeline-health-run-report"] == "ENABLED"
