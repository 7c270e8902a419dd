"""Static checks of terraform/: checkov, cfn-lint, module docs, house style, roots that only
call the platform module, provider defaults, and a prod root that cannot be weakened."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from tf_testkit import ENVIRONMENTS, MODULE_DIRS, MODULES, REPO, TERRAFORM, load_script

TF_DOCS = load_script("tf-docs")
CHECKOV = REPO / ".venv-tools" / "bin" / "checkov"
CFN_LINT = REPO / ".venv" / "bin" / "cfn-lint"
BOOTSTRAP = TERRAFORM / "bootstrap" / "carelake-bootstrap.yaml"
ALL_TF = sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


@pytest.fixture(scope="module")
def checkov_reports() -> list[dict]:
    """One checkov run over terraform/ (Terraform and the bootstrap template), JSON reports."""
    assert CHECKOV.exists(), "checkov lives in .venv-tools: run `make tools`"
    result = subprocess.run(
        [
            str(CHECKOV), "-d", str(TERRAFORM), "--framework", "terraform", "cloudformation",
            "--skip-path", r"\.terraform", "--skip-download", "--output", "json",
        ],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def test_checkov_finds_nothing(checkov_reports: list[dict]) -> None:
    summary = {r["check_type"]: r["summary"] for r in checkov_reports}
    assert set(summary) == {"terraform", "cloudformation"}, summary
    failed = [
        f"{c['check_id']} {c['resource']} {c['file_path']}"
        for r in checkov_reports
        for c in r["results"]["failed_checks"]
    ]
    assert failed == []
    assert all(s["passed"] > 0 for s in summary.values())


def test_hipaa_catalog_checkov_citations_pass_on_their_resources(checkov_reports: list[dict]) -> None:
    """Every checkov check docs/hipaa/controls.yaml cites ran and passed on the resource it is
    cited for (a skipped, removed or renamed check, or a moved resource, fails here)."""
    from carelake.compliance.catalog import load_catalog

    catalog = load_catalog(REPO / "docs/hipaa/controls.yaml", REPO / "docs/hipaa/controls.schema.json")
    passed = {
        (
            c["check_id"],
            c["file_path"].split("/")[2],
            re.sub(r"^(module\.[^.]+\.)+|\[.*\]$", "", c["resource"]),
        )
        for r in checkov_reports
        if r["check_type"] == "terraform"
        for c in r["results"]["passed_checks"]
        if c["file_path"].startswith("/modules/")
    }
    cited = [
        (k["id"], k["resource"].split(".", 1)[0], k["resource"].split(".", 1)[1])
        for control in catalog.controls
        for k in control.get("checkov", [])
    ]
    assert len(cited) > 10
    assert [c for c in cited if c not in passed] == []


def test_every_checkov_skip_is_inline_with_a_reason() -> None:
    skips = [(p, line) for p in ALL_TF for line in p.read_text().splitlines() if "checkov:skip" in line]
    assert skips, "expected some documented skips"
    for path, line in skips:
        assert re.fullmatch(r"\s*#checkov:skip=CKV2?_AWS_\d+:\S.{15,}", line), f"{path}: {line.strip()}"
    assert "--skip-check" not in (TERRAFORM / "terraform.mk").read_text()
    assert not list(TERRAFORM.rglob(".checkov.y*ml"))


def test_cfn_lint_clean_bootstrap() -> None:
    result = subprocess.run([str(CFN_LINT), str(BOOTSTRAP)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_module_readmes_document_every_input_and_output() -> None:
    check = subprocess.run(
        [str(REPO / ".venv/bin/python"), "scripts/tf-docs.py", "--check"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert check.returncode == 0, f"run `make tf-docs`: {check.stdout}{check.stderr}"
    for module in MODULE_DIRS:
        readme = (module / "README.md").read_text()
        blocks = [b for f in module.glob("*.tf") for b in TF_DOCS.blocks(f)]
        for b in blocks:
            if b.kind in ("variable", "output"):
                prefix = "input" if b.kind == "variable" else "output"
                assert f'<a name="{prefix}_{b.labels[0]}"></a>' in readme, (
                    f"{module.name}: {b.kind} {b.labels[0]}"
                )
        assert "## Inputs" in readme and "## Outputs" in readme


@pytest.mark.parametrize(
    "path", sorted({p.parent for p in ALL_TF}), ids=lambda p: str(p.relative_to(TERRAFORM))
)
def test_house_style(path: Path) -> None:
    order = ["description", "type", "default", "nullable", "validation"]
    names: dict[str, list[str]] = {}
    for tf in path.glob("*.tf"):
        for b in TF_DOCS.blocks(tf):
            if b.kind == "resource":
                names.setdefault(b.labels[0], []).append(b.labels[1])
    single = {t: n[0] for t, n in names.items() if len(n) == 1}
    assert {t: n for t, n in single.items() if n != "this"} == {}, (
        "a module's only resource of a type is `this`"
    )
    for tf in sorted(path.glob("*.tf")):
        for b in TF_DOCS.blocks(tf):
            where = f"{tf.relative_to(REPO)}: {b.kind} {'.'.join(b.labels)}"
            if b.kind == "variable":
                keys = [k for k in re.findall(r"^  (\w+)\s*(?:=|\{)", b.body, re.M) if k in order]
                assert keys == sorted(keys, key=order.index), f"{where}: keys in order {order}"
                assert {"description", "type", "nullable"} <= set(keys), (
                    f"{where}: description, type and nullable"
                )
            elif b.kind == "output":
                assert "description" in TF_DOCS.attributes(b.body), f"{where}: description"
            elif b.kind == "resource":
                lines = [
                    ln for ln in b.body.strip().splitlines() if ln.strip() and not ln.strip().startswith("#")
                ]
                meta = [i for i, ln in enumerate(lines) if re.match(r"  (count|for_each)\s*=", ln)]
                assert meta in ([], [0]), f"{where}: count/for_each comes first"
                tags = [i for i, ln in enumerate(lines) if re.match(r"  tags\s*=", ln)]
                trailing = [ln for ln in lines[tags[0] :] if re.match(r"  \w", ln)] if tags else []
                assert all(re.match(r"  (tags|lifecycle|depends_on)\b", ln) for ln in trailing), (
                    f"{where}: tags last"
                )


def test_roots_hold_only_backend_providers_and_the_platform_call() -> None:
    """Each root is its S3 backend (native lock file), its provider, one call of the
    platform module and its tfvars: nothing of the platform is declared in a root."""
    roots = sorted(p for p in ENVIRONMENTS.iterdir() if p.is_dir())
    assert [r.name for r in roots] == ["dev", "prod"]
    for root in roots:
        blocks = [b for tf in sorted(root.glob("*.tf")) for b in TF_DOCS.blocks(tf)]
        assert {b.kind for b in blocks} <= {"variable", "output", "module"}, root.name
        modules = [b for b in blocks if b.kind == "module"]
        assert [m.labels[0] for m in modules] == ["platform"], root.name
        assert TF_DOCS.attributes(modules[0].body)["source"] == '"../../modules/platform"'
        assert [b.labels[0] for b in blocks if b.kind == "output"] == ["platform"], root.name
        versions = (root / "versions.tf").read_text()
        assert re.search(r"use_lockfile\s*=\s*true", versions), f"{root.name}: S3 native state locking"
        assert "dynamodb_table" not in versions
        assert f'key          = "carelake/{root.name}/terraform.tfstate"' in versions
        assert (root / "terraform.tfvars").is_file()


def test_prod_root_cannot_be_pointed_away_from_aws_or_weakened() -> None:
    """prod's provider has no emulator settings and its guardrail settings are literal
    arguments, not variables a -var could override (the module refuses them anyway:
    platform run prod_refuses_weakening)."""
    prod = ENVIRONMENTS / "prod"
    variables = {b.labels[0] for tf in prod.glob("*.tf") for b in TF_DOCS.blocks(tf) if b.kind == "variable"}
    assert not {v for v in variables if v.startswith("aws_")} | (variables & {"local_artifacts_dir"})
    assert not variables & {"force_destroy", "raw_object_lock_enabled", "deletion_protection_enabled"}
    providers = "\n".join(
        line for line in (prod / "providers.tf").read_text().splitlines() if not line.lstrip().startswith("#")
    )
    for setting in ("endpoints", "skip_", "insecure", "custom_ca_bundle", "s3_use_path_style"):
        assert setting not in providers, f"prod provider sets {setting}"
    call = TF_DOCS.attributes(next(b for b in TF_DOCS.blocks(prod / "main.tf") if b.kind == "module").body)
    assert (call["environment"], call["force_destroy"]) == ('"prod"', "false")
    assert (call["raw_object_lock_enabled"], call["deletion_protection_enabled"]) == ("true", "true")


def test_emulator_settings_default_to_real_aws() -> None:
    defaults = {
        b.labels[0]: TF_DOCS.attributes(b.body).get("default")
        for b in TF_DOCS.blocks(ENVIRONMENTS / "dev" / "variables.tf")
        if b.labels[0].startswith("aws_")
    }
    assert defaults == {
        "aws_endpoint_urls": "{}",
        "aws_skip_credentials_validation": "false",
        "aws_skip_requesting_account_id": "false",
        "aws_skip_metadata_api_check": "false",
        "aws_skip_region_validation": "false",
        "aws_s3_use_path_style": "false",
        "aws_max_retries": "null",
        "aws_insecure": "false",
        "aws_custom_ca_bundle": "null",
    }
    providers = (ENVIRONMENTS / "dev" / "providers.tf").read_text()
    assert "for_each = length(var.aws_endpoint_urls) > 0 ? [var.aws_endpoint_urls] : []" in providers
    platform = (MODULES / "platform" / "main.tf").read_text()
    assert 'data "aws_caller_identity" "this" {\n  count = var.account_id == null ? 1 : 0' in platform


# ---------------------------------------------------------------------------------
# The bootstrap apply role cannot escalate: it creates or changes only roles that carry
# the workload boundary, which it can neither change nor remove.
# ---------------------------------------------------------------------------------
class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Sub, !Ref, ...) read as {"Sub": value}."""


def _cfn_tag(loader: yaml.SafeLoader, tag: str, node: yaml.Node) -> dict:
    if isinstance(node, yaml.ScalarNode):
        return {tag: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {tag: loader.construct_sequence(node)}
    return {tag: loader.construct_mapping(node)}


_CfnLoader.add_multi_constructor("!", _cfn_tag)
TEMPLATE = yaml.load(BOOTSTRAP.read_text(), Loader=_CfnLoader)  # a SafeLoader with CloudFormation's tags
ROLE_PERMISSION_ACTIONS = [
    "iam:CreateRole",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
]
ON_THE_BOUNDARY = {"iam:PermissionsBoundary": {"Ref": "WorkloadBoundary"}}


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def _grants(statement: dict, action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _as_list(statement.get("Action", [])))


def _apply_role_statements() -> list[dict]:
    role = TEMPLATE["Resources"]["ApplyRole"]["Properties"]
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def test_apply_role_creates_and_changes_roles_only_under_the_boundary() -> None:
    role = TEMPLATE["Resources"]["ApplyRole"]["Properties"]
    # PowerUserAccess allows no IAM action but service-linked roles and ListRoles.
    assert role["ManagedPolicyArns"] == [{"Sub": "arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess"}]
    statements = _apply_role_statements()
    for action in ROLE_PERMISSION_ACTIONS:
        allows = [s for s in statements if s["Effect"] == "Allow" and _grants(s, action)]
        assert allows, f"the apply role cannot {action} at all"
        for s in allows:
            assert s.get("Condition") == {"StringEquals": ON_THE_BOUNDARY}, (
                f"{action} without the boundary: {s}"
            )
    no_other = next(s for s in statements if s.get("Sid") == "NoRoleWithoutTheBoundary")
    assert no_other["Effect"] == "Deny" and no_other["Resource"] == "*"
    assert no_other["Condition"] == {"StringNotEquals": ON_THE_BOUNDARY}
    for action in (
        "iam:CreateRole",
        "iam:AttachRolePolicy",
        "iam:PutRolePolicy",
        "iam:PutRolePermissionsBoundary",
    ):
        assert _grants(no_other, action), action


def test_apply_role_can_neither_change_nor_remove_the_boundary() -> None:
    statements = _apply_role_statements()
    denies = [s for s in statements if s["Effect"] == "Deny"]
    removal = [s for s in denies if _grants(s, "iam:DeleteRolePermissionsBoundary")]
    assert removal and all(s["Resource"] == "*" and "Condition" not in s for s in removal)
    assert not [
        s for s in statements if s["Effect"] == "Allow" and _grants(s, "iam:DeleteRolePermissionsBoundary")
    ]
    on_boundary = [s for s in denies if s["Resource"] == {"Ref": "WorkloadBoundary"}]
    for action in (
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
    ):
        assert any(_grants(s, action) for s in on_boundary), action
        assert not [s for s in statements if s["Effect"] == "Allow" and _grants(s, action)], action


def test_the_boundary_leaves_iam_read_only_and_is_the_one_the_roles_name() -> None:
    boundary = TEMPLATE["Resources"]["WorkloadBoundary"]["Properties"]
    assert boundary["ManagedPolicyName"] == {"Sub": "${Project}-${Environment}-workload-boundary"}
    allowed = [
        a
        for s in boundary["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
        for a in _as_list(s["Action"])
    ]
    assert "*" not in allowed
    for write in (
        "iam:CreateRole",
        "iam:PassRole",
        "iam:PutRolePolicy",
        "iam:AttachRolePolicy",
        "sts:AssumeRole",
    ):
        assert not [a for a in allowed if fnmatch.fnmatchcase(write.lower(), a.lower())], write
    context = (MODULES / "context" / "main.tf").read_text()
    assert ':policy/${local.name_prefix}-workload-boundary"' in context  # <project>-<environment>


def test_every_role_carries_the_boundary() -> None:
    roles = [
        (module.name, b)
        for module in MODULE_DIRS
        for tf in module.glob("*.tf")
        for b in TF_DOCS.blocks(tf)
        if b.kind == "resource" and b.labels[0] == "aws_iam_role"
    ]
    assert len(roles) >= 15
    for module, block in roles:
        assert (
            TF_DOCS.attributes(block.body).get("permissions_boundary")
            == "var.context.permissions_boundary_arn"
        ), f"{module}: aws_iam_role.{block.labels[1]} without the workload boundary"
