"""The Terraform emulator run (issue 7): carelake's dev root applied to moto's server.

Used by tests/integration/test_tf_emulator.py (and so by `make tf-emulator`):

- `Emulator` starts tests/support/moto_server.py (moto with tests/support/moto_patches.py)
  on free loopback ports: HTTPS with a throwaway self-signed certificate, which
  Terraform trusts through the root's aws_custom_ca_bundle variable (nothing insecure),
  and a plain-HTTP listener on the same backends that only the smoke checks use, to
  show that the platform's policies refuse requests without TLS.
- `Workspace` copies the dev root, the modules and the files the root reads (job
  manifest, table catalog, lambdas/, sql/) and a snapshot of dist/ into a
  temporary tree, with the emulator settings as a tfvars file. The provider settings
  are the root's own variables (aws_endpoint_urls, path-style S3, retries, CA bundle,
  account_id): nothing in terraform/ knows about the emulator. The root's own S3
  backend keeps the state, in a bucket on the emulator (`-backend-config`): the local
  backend rewrites the whole state file after every resource, which made apply and
  destroy of ~670 resources CPU-bound (O(n^2)); a remote backend persists at intervals.
- `ALLOWED_DIFFS` is the allow-list of the second plan: attributes moto does not model,
  so it cannot return what Terraform set. Every other difference fails the run.
- `UNMODELLED` is the allow-list of resource types moto cannot create at all (a service or
  an API it does not have): the apply tries them and must fail on exactly those, with the
  missing call in the error; the second plan still wants to create them. Nothing else may
  fail, and an entry moto starts to model fails the run until it is removed.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "terraform" / "environments" / "dev"
# moto's account for any credentials; the provider checks it (allowed_account_ids).
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
# Holds the run's Terraform state on the emulator (the bootstrap stack's bucket in AWS).
STATE_BUCKET = "carelake-emulator-tfstate"
BACKEND_CONFIG = "emulator.s3.tfbackend"  # the S3 backend's settings for that bucket
ARTIFACT_VERSION = "emulator"
# The intake API's domain, in a public hosted zone the run creates on the emulator first
# (in AWS the zone exists before the platform: intake_route53_zone_id).
INTAKE_ZONE = "emulator.carelake.example"
INTAKE_DOMAIN = f"intake.{INTAKE_ZONE}"
LAMBDAS = sorted(p.parent.name for p in (REPO / "lambdas").glob("*/handler.py"))  # as the platform finds them
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "emulator", "AWS_SECRET_ACCESS_KEY": "emulator"}


# ---------------------------------------------------------------------------------
# The allow-list of the second plan.
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AllowedDiff:
    address: str  # regular expression, matched against the whole resource address
    attribute: str  # top-level attribute that differs
    moto_reads: Any  # what moto returns for it (the plan's "before")
    cause: str  # the moto behaviour behind it

    def matches(self, address: str, attribute: str, before: Any) -> bool:
        return (
            re.fullmatch(self.address, address) is not None
            and attribute == self.attribute
            and before == self.moto_reads
        )


ALLOWED_DIFFS: list[AllowedDiff] = [
    AllowedDiff(
        r"module\.platform\.module\.kms\.aws_kms_key\.this\[\"(phi|logs|artifacts)\"\]",
        "rotation_period_in_days",
        0,
        "moto does not model custom rotation periods: EnableKeyRotation ignores RotationPeriodInDays and "
        "GetKeyRotationStatus returns KeyRotationEnabled only, so the provider reads 0 (AWS: 365 by default). "
        "Rotation itself (enable_key_rotation) is read back and converges.",
    ),
    AllowedDiff(
        r"module\.platform\.module\.[a-z_]+\.module\.[a-z_]+\.aws_lambda_function\.this",
        "dead_letter_config",
        [],
        "moto's Lambda does not model dead-letter queues: CreateFunction ignores DeadLetterConfig and "
        "GetFunction never returns it.",
    ),
    AllowedDiff(
        r"module\.platform\.module\.[a-z_]+\.module\.[a-z_]+\.aws_lambda_function\.this",
        "logging_config",
        [],
        "moto's Lambda does not model advanced logging controls: CreateFunction ignores LoggingConfig "
        "(log format, log group) and GetFunction never returns it.",
    ),
]


@dataclass(frozen=True)
class Unmodelled:
    resource_type: str  # Terraform resource type moto cannot create
    missing_call: str  # the API call moto lacks, as the provider's error names it
    cause: str  # what moto does not have


UNMODELLED: list[Unmodelled] = [
    Unmodelled(
        "aws_accessanalyzer_analyzer",
        "CreateAnalyzer",
        "moto has no IAM Access Analyzer service: no backend answers accessanalyzer requests.",
    ),
    Unmodelled(
        "aws_config_conformance_pack",
        "PutConformancePack",
        "moto's Config models organisation conformance packs only, not an account's own "
        "(PutConformancePack, DescribeConformancePacks).",
    ),
    Unmodelled(
        "aws_macie2_classification_job",
        "CreateClassificationJob",
        "moto's Macie models the Macie session and members only, no classification jobs.",
    ),
    Unmodelled(
        "aws_securityhub_standards_subscription",
        "BatchEnableStandards",
        "moto's Security Hub has no standards (BatchEnableStandards, GetEnabledStandards).",
    ),
    Unmodelled(
        "aws_backup_selection",
        "CreateBackupSelection",
        "moto's AWS Backup models vaults, vault locks and plans, not the resources a plan selects "
        "(CreateBackupSelection, GetBackupSelection).",
    ),
]


def resource_type(address: str) -> str:
    """aws_s3_bucket for module.data_lake.aws_s3_bucket.this["raw"] (keys may contain dots)."""
    match = re.match(r"^(?:module\.[^.\[]+(?:\[[^\]]*\])?\.)*([^.\[]+)\.", address)
    return match.group(1) if match else address


def unmodelled(address: str) -> Unmodelled | None:
    return next((u for u in UNMODELLED if u.resource_type == resource_type(address)), None)


def unexpected_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Apply or destroy errors other than an unmodelled type failing on its missing call."""
    return {
        address: messages
        for address, messages in errors.items()
        if not ((u := unmodelled(address)) and all(u.missing_call in m for m in messages))
    }


# ---------------------------------------------------------------------------------
# The emulator.
# ---------------------------------------------------------------------------------
def write_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (valid one day), usable as its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "carelake moto emulator")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "emulator-cert.pem", directory / "emulator-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Emulator:
    """moto's server (patched) in a child process: HTTPS on `url`, plain HTTP on `plain_url`."""

    process: subprocess.Popen[bytes]
    url: str
    plain_url: str
    ca_bundle: Path
    log: Path
    cpu_seconds: float = 0.0

    @classmethod
    def start(cls, directory: Path, timeout: float = 120) -> Emulator:
        cert, key = write_certificate(directory)
        port_file, plain_port_file, log = directory / "port", directory / "plain-port", directory / "moto.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | CREDENTIALS
        # ACM issues a DNS-validated certificate at once (moto waits 60 s by default), so
        # aws_acm_certificate_validation does not stall the apply.
        env["MOTO_ACM_VALIDATION_WAIT"] = "0"
        process = subprocess.Popen(
            [sys.executable, str(REPO / "tests/support/moto_server.py"), "--port-file", str(port_file),
             "--plain-port-file", str(plain_port_file), "--cert", str(cert), "--key", str(key)],
            stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=directory,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and plain_port_file.exists()):
            if process.poll() is not None:
                raise RuntimeError(
                    f"moto server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"moto server did not start in {timeout:.0f}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        return cls(
            process,
            f"https://127.0.0.1:{port_file.read_text()}",
            f"http://127.0.0.1:{plain_port_file.read_text()}",
            cert,
            log,
        )

    def client(self, service: str, plain: bool = False) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.plain_url if plain else self.url,
            verify=str(self.ca_bundle),
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2}),
        )

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL) and record the CPU time it used."""
        if self.process.poll() is None:
            try:
                import psutil

                times = psutil.Process(self.process.pid).cpu_times()
                self.cpu_seconds = times.user + times.system
            except Exception:  # CPU accounting is best effort
                pass
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------------------------
# The packaged artifacts.
# ---------------------------------------------------------------------------------
def missing_artifacts(dist: Path) -> list[str]:
    """What a complete `make package` output lacks for the current manifest (empty when complete)."""
    import yaml

    jobs = yaml.safe_load((REPO / "jobs/src/carelake/manifest.yaml").read_text())["jobs"]
    wanted = [
        "carelake-python-modules.zip",
        *(f"glue/{j}.py" for j in jobs),
        *(f"lambdas/{n}.zip" for n in LAMBDAS),
    ]
    missing = [w for w in wanted if not (dist / w).is_file()]
    missing += [] if list((dist / "sql" / "views").glob("*.sql")) else ["sql/views/*.sql"]
    return missing


def snapshot_dist(dist: Path, target: Path) -> Path:
    """Copy dist/ (other people may rebuild it meanwhile) and check that its zips are whole."""
    shutil.copytree(dist, target)
    for archive in target.rglob("*.zip"):
        with zipfile.ZipFile(archive) as z:
            bad = z.testzip()
        if bad is not None:
            raise RuntimeError(f"{archive.relative_to(target)} is corrupt ({bad}): was dist/ being rebuilt?")
    return target


# ---------------------------------------------------------------------------------
# The Terraform workspace.
# ---------------------------------------------------------------------------------
def provider_services() -> list[str]:
    """The endpoint keys the root's provider block takes (so every service goes to the emulator)."""
    text = (ROOT / "providers.tf").read_text()
    return sorted(set(re.findall(r'lookup\(endpoints\.value, "([a-z0-9]+)"', text)))


def ssh_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519

    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return (
        public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        + " acme"
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Workspace:
    tree: Path
    root: Path
    env: dict[str, str]
    timings: dict[str, tuple[float, float]] = field(default_factory=dict)  # phase -> (wall, CPU) seconds

    @classmethod
    def create(cls, tree: Path, dist: Path, emulator: Emulator) -> Workspace:
        """The dev root and what it reads, under `tree`, set up for `emulator`."""
        ignore = shutil.ignore_patterns(
            ".terraform", "*.tfstate*", ".terraform.tfstate.lock.info", "__pycache__"
        )
        shutil.copytree(
            REPO / "terraform/modules",
            tree / "terraform/modules",
            ignore=shutil.ignore_patterns(".terraform", "tests"),
        )
        root = tree / "terraform/environments/dev"
        shutil.copytree(ROOT, root, ignore=ignore)
        emulator.client("s3").create_bucket(Bucket=STATE_BUCKET)
        zone = emulator.client("route53").create_hosted_zone(
            Name=INTAKE_ZONE, CallerReference=f"carelake-emulator-{time.time_ns()}"
        )["HostedZone"]["Id"]
        (root / BACKEND_CONFIG).write_text(
            "\n".join(
                [
                    f'bucket = "{STATE_BUCKET}"',
                    f'region = "{REGION}"',
                    f'endpoints = {{ s3 = "{emulator.url}" }}',
                    f'custom_ca_bundle = "{emulator.ca_bundle}"',
                    "use_path_style = true",
                    "skip_credentials_validation = true",
                    "skip_requesting_account_id = true",
                    "skip_metadata_api_check = true",
                ]
            )
            + "\n"
        )
        for rel in [
            "jobs/src/carelake/manifest.yaml",
            "jobs/catalog.json",
            "jobs/src/carelake/contracts/outreach_event.schema.json",
        ]:
            if (REPO / rel).exists():
                (tree / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(REPO / rel, tree / rel)
        shutil.copytree(REPO / "sql", tree / "sql", ignore=ignore)
        shutil.copytree(REPO / "lambdas", tree / "lambdas", ignore=ignore)  # handlers
        artifacts = snapshot_dist(dist, tree / "dist")
        settings = {
            "account_id": ACCOUNT_ID,
            "artifact_version": ARTIFACT_VERSION,
            "local_artifacts_dir": str(artifacts),
            "aws_endpoint_urls": dict.fromkeys(provider_services(), emulator.url),
            "aws_custom_ca_bundle": str(emulator.ca_bundle),
            "aws_s3_use_path_style": True,
            "aws_skip_metadata_api_check": True,
            "aws_max_retries": 3,
            "sftp_partners": {"acme": {"ssh_public_keys": [ssh_public_key()]}},
            "sftp_allowed_cidrs": ["192.0.2.0/24"],
            "intake_domain_name": INTAKE_DOMAIN,
            "intake_route53_zone_id": zone.rsplit("/", 1)[-1],
        }
        (root / "emulator.auto.tfvars.json").write_text(json.dumps(settings, indent=2))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_VAR_", "TF_CLI_ARGS"))}
        env |= CREDENTIALS | {
            "AWS_EC2_METADATA_DISABLED": "true",
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        config = subprocess.run(
            [str(REPO / "scripts/tf-mirror.sh")], check=True, capture_output=True, text=True
        ).stdout.strip()
        if config:
            env["TF_CLI_CONFIG_FILE"] = config
        return cls(tree, root, env)

    def terraform(self, phase: str, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
        """Run terraform in the root, adding its wall and CPU time (with its provider
        plugins) to the phase's; its output goes to <tree>/<phase>-<command>.log as well."""
        start, cpu = time.monotonic(), _children_cpu()
        result = subprocess.run(
            ["terraform", *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        wall, used = self.timings.get(phase, (0.0, 0.0))
        self.timings[phase] = (wall + time.monotonic() - start, used + _children_cpu() - cpu)
        (self.tree / f"{phase}-{args[0]}.log").write_text(result.stdout + result.stderr)
        return result

    def init(self) -> subprocess.CompletedProcess[str]:
        return self.terraform(
            "init", "init", "-input=false", "-no-color", f"-backend-config={BACKEND_CONFIG}"
        )


# ---------------------------------------------------------------------------------
# Reading Terraform's answers.
# ---------------------------------------------------------------------------------
@dataclass
class Events:
    """What `terraform apply|destroy -json` reported, per resource address."""

    done: dict[str, str] = field(default_factory=dict)  # address -> action (create, delete, ...)
    errors: dict[str, list[str]] = field(default_factory=dict)  # address ("" when none) -> messages
    planned: int | None = None


def read_events(stdout: str) -> Events:
    events = Events()
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        kind = message.get("type")
        if kind == "apply_complete":
            hook = message["hook"]
            events.done[hook["resource"]["addr"]] = hook["action"]
        elif kind == "diagnostic" and message["diagnostic"]["severity"] == "error":
            d = message["diagnostic"]
            events.errors.setdefault(d.get("address", ""), []).append(
                f"{d['summary']}: {d.get('detail', '')}".strip(": ")
            )
        elif kind == "change_summary":
            changes = message["changes"]
            events.planned = changes["add"] + changes["change"] + changes["remove"]
    return events


@dataclass(frozen=True)
class Diff:
    address: str
    actions: tuple[str, ...]
    attribute: str
    before: Any
    after: Any  # None with after_unknown: known after apply


def plan_diffs(plan: dict[str, Any]) -> tuple[list[Diff], list[str]]:
    """Every top-level attribute an in-place update changes, and one entry per resource
    that would be created, replaced or deleted (from `terraform show -json` of a plan);
    and the addresses without changes."""
    diffs: list[Diff] = []
    unchanged: list[str] = []
    for rc in plan.get("resource_changes", []):
        change = rc["change"]
        actions = tuple(change["actions"])
        if actions in {("no-op",), ("read",)}:
            unchanged.append(rc["address"])
        elif actions != ("update",):
            diffs.append(
                Diff(rc["address"], actions, "(resource)", change.get("before"), change.get("after"))
            )
        else:
            before, after = change.get("before") or {}, change.get("after") or {}
            unknown = change.get("after_unknown") or {}
            for attribute in sorted(set(before) | set(after) | set(unknown)):
                if unknown.get(attribute) is True:
                    diffs.append(
                        Diff(rc["address"], actions, attribute, before.get(attribute), "(known after apply)")
                    )
                elif before.get(attribute) != after.get(attribute):
                    diffs.append(
                        Diff(rc["address"], actions, attribute, before.get(attribute), after.get(attribute))
                    )
    return diffs, unchanged


def classify(diffs: list[Diff]) -> tuple[list[tuple[Diff, AllowedDiff | Unmodelled]], list[Diff]]:
    """(allowed diffs with the entry that allows each, unexpected diffs). Only in-place
    updates can be allowed, and the creation of an unmodelled resource (which the apply
    could not create); a replacement or deletion never is."""
    allowed: list[tuple[Diff, AllowedDiff | Unmodelled]] = []
    unexpected: list[Diff] = []
    for d in diffs:
        missing = unmodelled(d.address)
        if d.actions == ("create",) and missing is not None:
            allowed.append((d, missing))
            continue
        entry = next(
            (
                e
                for e in ALLOWED_DIFFS
                if d.actions == ("update",) and e.matches(d.address, d.attribute, d.before)
            ),
            None,
        )
        if entry is None:
            unexpected.append(d)
        else:
            allowed.append((d, entry))
    return allowed, unexpected


def short(value: Any, limit: int = 140) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def iter_report(
    applied: Events,
    diffs: list[Diff],
    allowed: list[tuple[Diff, AllowedDiff | Unmodelled]],
    destroyed: Events | None,
) -> Iterator[str]:
    """One line per resource address: apply, second plan and destroy results."""
    allowed_keys = {(d.address, d.attribute) for d, _ in allowed}
    by_address: dict[str, list[Diff]] = {}
    for d in diffs:
        by_address.setdefault(d.address, []).append(d)
    addresses = sorted(set(applied.done) | set(applied.errors) | set(by_address) - {""})
    yield f"{'address':<100} {'apply':<8} {'second plan':<40} destroy"
    for address in addresses:
        if address in applied.errors:
            apply = "unmodelled" if address not in unexpected_errors(applied.errors) else "error"
        else:
            apply = applied.done.get(address, "-")
        found = by_address.get(address, [])
        if not found:
            plan = "no changes"
        elif all((d.address, d.attribute) in allowed_keys for d in found):
            plan = "allowed: " + ", ".join(
                d.attribute if d.actions == ("update",) else "create" for d in found
            )
        else:
            plan = "DIFF: " + ", ".join(
                d.attribute for d in found if (d.address, d.attribute) not in allowed_keys
            )
        if destroyed is None:
            gone = "-"
        else:
            gone = (
                "error"
                if address in destroyed.errors
                else ("deleted" if destroyed.done.get(address) == "delete" else "-")
            )
        yield f"{address:<100} {apply:<8} {plan:<40} {gone}"
