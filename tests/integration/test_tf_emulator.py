"""`terraform apply` of the whole dev platform against a local AWS emulator (issue 7).

One run: start moto's server (pinned moto[server], patched by
tests/support/moto_patches.py where moto answers differently from AWS) on free loopback
ports; `terraform init` and `apply` the dev root with the packaged artifacts (dist/, from
`make package`), which must create every resource but those of the types moto cannot
model at all (UNMODELLED in tests/support/tf_emulator.py, each failing on the call moto
lacks); at once a second `terraform plan -detailed-exitcode`, which must show no changes
except the allow-lists (ALLOWED_DIFFS: attributes moto does not model; the unmodelled
resources, still to create) and whose planned outputs the smoke checks use (a failed
apply writes no root outputs); smoke checks through boto3; `terraform destroy`; stop the
server. The result per resource address is written to
build/tf-emulator/report.txt; a summary is printed at the end. `make tf-emulator` runs
this file alone.

How the emulator treats aws:SecureTransport: unpatched moto evaluates a bucket policy
with no request context and takes every condition as met, so the platform's
`Deny s3:* when Bool aws:SecureTransport = false` (and every other Deny with a
condition) refuses all object requests, even over TLS. The patch
(moto_patches.s3_bucket_policy_conditions) evaluates conditions as AWS documents them,
with aws:SecureTransport taken from the connection (true only over TLS), s3:TlsVersion
from the TLS socket and the SSE headers from the request. So the emulator serves
HTTPS (a throwaway certificate that Terraform trusts via aws_custom_ca_bundle, and
boto3 via verify=), and the smoke checks show that a plain-HTTP upload is refused.

What this does not prove (real IAM evaluation of identity policies, KMS grants and key
policies, Lake Formation enforcement, service-side validation moto does not do): see
docs/runbook.md, "Terraform emulator run".
"""

from __future__ import annotations

import contextlib
import json
import resource
import shutil
import subprocess
import sys
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from carelake.landing import LANDING_TO_RAW
from tests.support.tf_emulator import (
    ALLOWED_DIFFS,
    ARTIFACT_VERSION,
    INTAKE_DOMAIN,
    REGION,
    REPO,
    STATE_BUCKET,
    UNMODELLED,
    AllowedDiff,
    Diff,
    Emulator,
    Events,
    Workspace,
    classify,
    iter_report,
    missing_artifacts,
    plan_diffs,
    read_events,
    resource_type,
    short,
    unexpected_errors,
    unmodelled,
)

pytestmark = pytest.mark.integration
REPORT = REPO / "build" / "tf-emulator" / "report.txt"
DT = "2024-05-01"


@dataclass
class Run:
    emulator: Emulator
    workspace: Workspace
    applied: Events
    outputs: dict[str, Any] = field(default_factory=dict)
    diffs: list[Diff] = field(default_factory=list)
    allowed: list[tuple[Diff, Any]] = field(default_factory=list)  # (diff, AllowedDiff or Unmodelled)
    plan_exit: int | None = None
    plan: dict[str, Any] = field(default_factory=dict)  # `terraform show -json` of the second plan
    destroyed: Events | None = None


def _cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _dist() -> Path:
    """dist/ as `make package` builds it from the current sources (about 10 s), so the run
    never applies artifacts older than the code it tests."""
    dist = REPO / "dist"
    result = subprocess.run(["make", "package"], cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"make package failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    missing = missing_artifacts(dist)
    assert not missing, f"dist/ lacks {missing} after make package"
    return dist


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Run]:
    if shutil.which("terraform") is None:
        pytest.fail("terraform is not on PATH (see docs/runbook.md, Local set-up)")
    started, cpu_started = time.monotonic(), _cpu_seconds()
    tmp = tmp_path_factory.mktemp("tf-emulator")
    dist = _dist()
    emulator = Emulator.start(tmp)
    state: Run | None = None
    try:
        workspace = Workspace.create(tmp / "tree", dist, emulator)
        init = workspace.init()
        assert init.returncode == 0, init.stdout + init.stderr
        apply = workspace.terraform("apply", "apply", "-input=false", "-auto-approve", "-json")
        state = Run(emulator, workspace, read_events(apply.stdout))
        if not unexpected_errors(state.applied.errors):  # only unmodelled types failed
            plan = workspace.terraform(
                "plan", "plan", "-input=false", "-no-color", "-detailed-exitcode", "-out=second.tfplan"
            )
            state.plan_exit = plan.returncode
            assert plan.returncode in (0, 2), plan.stdout[-3000:] + plan.stderr
            show = workspace.terraform("plan", "show", "-json", "second.tfplan")
            assert show.returncode == 0, show.stderr
            state.plan = json.loads(show.stdout)
            state.outputs = state.plan["planned_values"]["outputs"]["platform"]["value"]
        yield state
    finally:
        emulator.stop()
        wall, cpu = time.monotonic() - started, _cpu_seconds() - cpu_started
        lines = _summary(state, wall, cpu, emulator.cpu_seconds, tmp)
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        body = list(iter_report(state.applied, state.diffs, state.allowed, state.destroyed)) if state else []
        REPORT.write_text("\n".join([*lines, "", *body]) + "\n")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            print("\n" + "\n".join(lines), flush=True)


def _summary(state: Run | None, wall: float, cpu: float, moto_cpu: float, tmp: Path) -> list[str]:
    lines = ["tf-emulator: terraform apply, plan and destroy of terraform/environments/dev on moto (patched)"]
    if state is None:
        return [*lines, f"  did not get to apply; logs in {tmp}"]
    by_type = Counter(resource_type(a) for a in state.applied.done)
    lines.append(
        f"  applied: {len(state.applied.done)} resources ({len(by_type)} types), {len(state.applied.errors)} with errors"
        f" ({len(unexpected_errors(state.applied.errors))} other than the unmodelled types)"
    )
    lines.extend(
        textwrap.wrap(
            ", ".join(f"{t} {n}" for t, n in by_type.most_common()),
            110,
            initial_indent="    ",
            subsequent_indent="    ",
        )
    )
    if state.plan_exit is not None:
        other = len(state.diffs) - len(state.allowed)
        lines.append(
            f"  second plan: exit {state.plan_exit}; {len(state.allowed)} allow-listed diffs, {other} other diffs"
        )
        causes: dict[str, str] = {}
        for d, entry in state.allowed:
            if isinstance(entry, AllowedDiff):
                lines.append(
                    f"    allowed: {d.address} {d.attribute}: {short(d.before, 30)} -> {short(d.after, 50)}"
                )
                causes.setdefault(entry.attribute, entry.cause)
            else:
                lines.append(f"    unmodelled, still to create: {d.address}")
                causes.setdefault(entry.resource_type, entry.cause)
        for attribute, cause in causes.items():
            lines.extend(
                textwrap.wrap(
                    f"{attribute}: {cause}", 110, initial_indent="    why ", subsequent_indent="        "
                )
            )
    if state.destroyed is not None:
        lines.append(
            f"  destroyed: {sum(1 for a in state.destroyed.done.values() if a == 'delete')} resources"
        )
    phases = ", ".join(f"{k} {w:.0f}/{c:.0f}" for k, (w, c) in state.workspace.timings.items())
    lines.append(
        f"  wall {wall:.0f}s, CPU {cpu:.0f}s (moto {moto_cpu:.0f}s); terraform wall/CPU seconds: {phases}"
    )
    lines.append(f"  per-address report: {REPORT.relative_to(REPO)}; logs: {tmp}")
    return lines


# ---------------------------------------------------------------------------------
# Apply.
# ---------------------------------------------------------------------------------
def test_apply_creates_every_resource_moto_can_model(run: Run) -> None:
    """Every resource is created but those of the unmodelled types (tests/support/tf_emulator.py,
    UNMODELLED), which fail on the call moto lacks; each entry is still needed."""
    errors = {a or "(no address)": m for a, m in unexpected_errors(run.applied.errors).items()}
    assert errors == {}, "apply failed:\n" + "\n".join(f"{a}: {m}" for a, m in errors.items())
    failed_types = {resource_type(a) for a in run.applied.errors}
    assert failed_types == {u.resource_type for u in UNMODELLED}, (
        "an unmodelled type no longer fails: remove it"
    )
    assert run.applied.planned is not None and run.applied.planned > 250
    assert len(run.applied.done) + len(run.applied.errors) == run.applied.planned
    assert set(run.applied.done.values()) == {"create"}


# ---------------------------------------------------------------------------------
# Smoke checks through boto3 (and the second plan) need a complete apply.
# ---------------------------------------------------------------------------------
@pytest.fixture
def applied(run: Run) -> Run:
    if unexpected_errors(run.applied.errors) or not run.outputs:
        pytest.skip("the apply failed (see test_apply_creates_every_resource)")
    return run


@pytest.fixture(scope="module")
def fhir_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [str(Path(sys.executable).parent / "carelake"), "generate", "--out", str(out), "--patients", "2"],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    bundles = sorted((out / "fhir/bundles").glob("*.json"))
    patients = [
        b
        for b in bundles
        if any(e["resource"]["resourceType"] == "Patient" for e in json.loads(b.read_text())["entry"])
    ]
    assert patients, f"no patient bundle in {bundles}"
    return patients[0]


def _raw_key(bundle: Path, name: str | None = None) -> str:
    return f"{LANDING_TO_RAW['fhir/bundles']}/dt={DT}/emulator/{name or bundle.name}"


def _refused(call: Any, **kwargs: Any) -> str:
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return "accepted"


def test_fhir_bundle_upload_with_the_platform_key_is_stored_encrypted_with_it(
    applied: Run, fhir_bundle: Path
) -> None:
    s3 = applied.emulator.client("s3")
    bucket, phi_key = applied.outputs["s3_bucket_names"]["raw"], applied.outputs["kms_key_arns"]["phi"]
    key = _raw_key(fhir_bundle)
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=fhir_bundle.read_bytes(),
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=phi_key,
    )
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == phi_key
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == fhir_bundle.read_bytes()
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0][
        "ApplyServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": phi_key}


def test_uploads_the_bucket_policy_forbids_are_refused(applied: Run, fhir_bundle: Path) -> None:
    s3, plain = applied.emulator.client("s3"), applied.emulator.client("s3", plain=True)
    bucket, keys = applied.outputs["s3_bucket_names"]["raw"], applied.outputs["kms_key_arns"]
    other_key = applied.emulator.client("kms").create_key(Description="not the platform's")["KeyMetadata"][
        "Arn"
    ]
    body = fhir_bundle.read_bytes()
    attempts = {
        "another KMS key": _refused(s3.put_object, Bucket=bucket, Key=_raw_key(fhir_bundle, "k1.json"), Body=body,
                                    ServerSideEncryption="aws:kms", SSEKMSKeyId=other_key),
        "the artifacts key": _refused(s3.put_object, Bucket=bucket, Key=_raw_key(fhir_bundle, "k2.json"), Body=body,
                                      ServerSideEncryption="aws:kms", SSEKMSKeyId=keys["artifacts"]),
        "SSE-S3 instead of SSE-KMS": _refused(s3.put_object, Bucket=bucket, Key=_raw_key(fhir_bundle, "k3.json"),
                                              Body=body, ServerSideEncryption="AES256"),
        "the platform key without TLS": _refused(plain.put_object, Bucket=bucket, Key=_raw_key(fhir_bundle, "k4.json"),
                                                 Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=keys["phi"]),
        "a download without TLS": _refused(plain.get_object, Bucket=bucket, Key=_raw_key(fhir_bundle)),
    }  # fmt: skip
    assert attempts == dict.fromkeys(attempts, "AccessDenied")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{LANDING_TO_RAW['fhir/bundles']}/dt={DT}/")
    refused = {_raw_key(fhir_bundle, f"k{i}.json") for i in range(1, 5)}
    assert refused.isdisjoint(o["Key"] for o in listed.get("Contents", []))


def test_upload_without_encryption_headers_gets_the_bucket_default(applied: Run, fhir_bundle: Path) -> None:
    """Transfer Family and the sftp_arrival quarantine move send no SSE headers: the policy must
    let them through to the bucket default (an ...IfExists deny would refuse them, in AWS too)."""
    s3 = applied.emulator.client("s3")
    bucket, phi_key = applied.outputs["s3_bucket_names"]["raw"], applied.outputs["kms_key_arns"]["phi"]
    key = _raw_key(fhir_bundle, "no-headers.json")
    s3.put_object(Bucket=bucket, Key=key, Body=fhir_bundle.read_bytes())
    assert s3.head_object(Bucket=bucket, Key=key)["SSEKMSKeyId"] == phi_key


def test_glue_workflow_jobs_and_triggers_run_the_artifact_version(applied: Run) -> None:
    glue, s3 = applied.emulator.client("glue"), applied.emulator.client("s3")
    manifest = yaml.safe_load((REPO / "jobs/src/carelake/manifest.yaml").read_text())["jobs"]
    artifacts = applied.outputs["artifacts_s3_bucket_name"]
    root = f"s3://{artifacts}/carelake/{ARTIFACT_VERSION}"
    jobs = applied.outputs["glue_job_names"]
    assert set(jobs) == set(manifest)
    for job, name in jobs.items():
        definition = glue.get_job(JobName=name)["Job"]
        assert definition["Command"]["ScriptLocation"] == f"{root}/glue/{job}.py"
        assert (
            definition["DefaultArguments"]["--additional-python-modules"]
            == f"{root}/carelake-python-modules.zip"
        )
        assert definition["GlueVersion"] == "5.0"
        for location in (
            definition["Command"]["ScriptLocation"],
            definition["DefaultArguments"]["--additional-python-modules"],
        ):
            bucket, key = location.removeprefix("s3://").split("/", 1)
            assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0, location
    workflow = applied.outputs["glue_workflow_name"]
    assert glue.get_workflow(Name=workflow)["Workflow"]["Name"] == workflow
    triggers = [t for t in glue.get_triggers()["Triggers"] if t.get("WorkflowName") == workflow]
    start = [t for t in triggers if t["Type"] == "SCHEDULED"]
    assert len(start) == 1
    roots = sorted(jobs[j] for j, spec in manifest.items() if not spec["depends_on"])
    assert sorted(a["JobName"] for a in start[0]["Actions"]) == roots
    conditional = {a["JobName"]: t for t in triggers if t["Type"] == "CONDITIONAL" for a in t["Actions"]}
    assert set(conditional) == {jobs[j] for j, spec in manifest.items() if spec["depends_on"]}
    for job, spec in manifest.items():
        if spec["depends_on"]:
            watched = {c["JobName"] for c in conditional[jobs[job]]["Predicate"]["Conditions"]}
            assert watched == {jobs[d] for d in spec["depends_on"]}


def test_intake_api_only_on_its_custom_domain_behind_waf(applied: Run) -> None:
    apigateway, wafv2 = applied.emulator.client("apigateway"), applied.emulator.client("wafv2")
    url = applied.outputs["intake_api_url"]
    assert url == f"https://{INTAKE_DOMAIN}/"
    domain = apigateway.get_domain_name(domainName=INTAKE_DOMAIN)
    assert domain["securityPolicy"] == "TLS_1_2"
    [mapping] = apigateway.get_base_path_mappings(domainName=INTAKE_DOMAIN)["items"]
    api_id, stage = mapping["restApiId"], mapping["stage"]
    api = apigateway.get_rest_api(restApiId=api_id)
    assert api["name"] == f"{applied.outputs['name_prefix']}-intake"
    assert api["disableExecuteApiEndpoint"] is True
    found = apigateway.get_stage(restApiId=api_id, stageName=stage)
    assert (
        apigateway.get_deployment(restApiId=api_id, deploymentId=found["deploymentId"])["id"]
        == found["deploymentId"]
    )
    stage_arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/{stage}"
    acl = wafv2.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]
    assert acl["Name"] == f"{applied.outputs['name_prefix']}-intake-waf"
    rate = next(r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"])
    assert "Block" in rate["Action"] and rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"


# ---------------------------------------------------------------------------------
# Convergence.
# ---------------------------------------------------------------------------------
def test_second_plan_shows_only_allow_listed_diffs(applied: Run) -> None:
    applied.diffs, _ = plan_diffs(applied.plan)
    applied.allowed, unexpected = classify(applied.diffs)
    assert unexpected == [], "the second plan wants changes that are not allow-listed:\n" + "\n".join(
        f"  {d.address} {'/'.join(d.actions)} {d.attribute}: {short(d.before)} -> {short(d.after)}"
        for d in unexpected
    )
    unused = [e for e in ALLOWED_DIFFS if not any(entry is e for _, entry in applied.allowed)]
    assert unused == [], (
        f"allow-list entries no longer needed (moto fixed, or the platform changed): {unused}"
    )
    assert (applied.plan_exit == 0) == (applied.diffs == [])


# ---------------------------------------------------------------------------------
# Destroy.
# ---------------------------------------------------------------------------------
def test_destroy_removes_everything(run: Run) -> None:
    # The plan above refreshed the state: no second refresh.
    destroy = run.workspace.terraform(
        "destroy", "destroy", "-input=false", "-auto-approve", "-refresh=false", "-json"
    )
    run.destroyed = read_events(destroy.stdout)
    errors = {a or "(no address)": m for a, m in run.destroyed.errors.items()}
    assert errors == {}, "destroy failed:\n" + "\n".join(f"{a}: {m}" for a, m in errors.items())
    assert destroy.returncode == 0
    assert set(run.destroyed.done) == set(run.applied.done)
    assert not [a for a in run.destroyed.done if unmodelled(a)], "an unmodelled resource got into the state"
    assert set(run.destroyed.done.values()) == {"delete"}
    state = run.workspace.terraform("destroy", "state", "list")
    assert state.stdout.strip() == ""
    s3, cloudtrail, iam = (run.emulator.client(s) for s in ("s3", "cloudtrail", "iam"))
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [STATE_BUCKET]  # the backend's own
    assert cloudtrail.describe_trails()["trailList"] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("carelake-")] == []
