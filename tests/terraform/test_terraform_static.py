"""Static checks of terraform/: checkov, cfn-lint, module docs, house style, dev/prod parity,
provider defaults, and the prod guardrails."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from tf_testkit import ENVIRONMENTS, MODULE_DIRS, MODULES, REPO, TERRAFORM, load_script, run

TF_DOCS = load_script("tf-docs")
CHECKOV = REPO / ".venv-tools" / "bin" / "checkov"
CFN_LINT = REPO / ".venv" / "bin" / "cfn-lint"
BOOTSTRAP = TERRAFORM / "bootstrap" / "carelake-bootstrap.yaml"
ALL_TF = sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def test_checkov_finds_nothing() -> None:
    assert CHECKOV.exists(), "checkov lives in .venv-tools: run `make tools`"
    result = subprocess.run(
        [
            str(CHECKOV), "-d", str(TERRAFORM), "--framework", "terraform", "cloudformation",
            "--skip-path", r"\.terraform", "--skip-download", "--quiet", "--output", "json",
        ],
        capture_output=True, text=True, cwd=REPO, timeout=600,
    )  # fmt: skip
    reports = json.loads(result.stdout)
    reports = reports if isinstance(reports, list) else [reports]
    summary = {r["check_type"]: r["summary"] for r in reports}
    assert set(summary) == {"terraform", "cloudformation"}, result.stdout[:2000]
    failed = [
        f"{c['check_id']} {c['resource']} {c['file_path']}"
        for r in reports
        for c in r["results"]["failed_checks"]
    ]
    assert failed == []
    assert all(s["passed"] > 0 for s in summary.values())


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


def test_dev_and_prod_are_the_same_platform() -> None:
    dev, prod = ENVIRONMENTS / "dev", ENVIRONMENTS / "prod"
    for name in ("main.tf", "variables.tf", "providers.tf", "outputs.tf"):
        assert (dev / name).read_text() == (prod / name).read_text(), f"{name} differs between dev and prod"
    assert (dev / "versions.tf").read_text().replace("dev", "prod") == (prod / "versions.tf").read_text()
    assert 'environment                     = "prod"' in (prod / "terraform.tfvars").read_text()


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
    main = (ENVIRONMENTS / "dev" / "main.tf").read_text()
    assert 'data "aws_caller_identity" "this" {\n  count = var.account_id == null ? 1 : 0' in main


def test_prod_refuses_weakening(tmp_path: Path, tf_env: dict[str, str]) -> None:
    shutil.copytree(MODULES, tmp_path / "terraform/modules", ignore=shutil.ignore_patterns(".terraform"))
    root = tmp_path / "terraform/environments/prod"
    shutil.copytree(ENVIRONMENTS / "prod", root, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    (root / "backend_override.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    shutil.copytree(
        REPO / "jobs/src/carelake", tmp_path / "jobs/src/carelake", ignore=shutil.ignore_patterns("*.py")
    )
    (root / "weakened.auto.tfvars.json").write_text(
        json.dumps(
            {
                "account_id": "111122223333",
                "artifact_version": "1",
                "force_destroy": True,
                "raw_object_lock_enabled": False,
                "deletion_protection_enabled": False,
                "local_artifacts_dir": str(tmp_path),
                "aws_endpoint_urls": {"s3": "http://127.0.0.1:9"},
                "aws_skip_credentials_validation": True,
            }
        )
    )
    assert run(["terraform", "init", "-input=false", "-no-color"], root, tf_env).returncode == 0
    plan = run(["terraform", "plan", "-input=false", "-lock=false", "-no-color"], root, tf_env)
    assert plan.returncode != 0
    messages = " ".join((plan.stdout + plan.stderr).split())
    for expected in [
        "force_destroy must be false in prod",
        "prod keeps raw write-once",
        "deletion_protection_enabled must be true in prod",
        "local_artifacts_dir must be null",
        "prod must use the real AWS endpoints",
        "prod must validate credentials",
    ]:
        assert expected in messages, f"missing guardrail: {expected}\n{plan.stderr}"


def test_hipaa_mapping_cites_tests_that_exist() -> None:
    doc = (REPO / "docs" / "hipaa-controls.md").read_text()
    modules = "|".join(m.name for m in MODULE_DIRS)
    runs = {
        m.name: set(
            re.findall(
                r'^run "([^"]+)"', "".join(t.read_text() for t in (m / "tests").glob("*.tftest.hcl")), re.M
            )
        )
        for m in MODULE_DIRS
    }
    cited = 0
    for module, names in re.findall(rf"\b({modules}) ((?:`[a-z0-9_]+`(?:, )?)+)", doc):
        for name in re.findall(r"`([a-z0-9_]+)`", names):
            assert name in runs[module], (
                f"hipaa-controls.md cites {module} run {name!r}, which does not exist"
            )
            cited += 1
    functions_by_file = {
        p.relative_to(REPO).as_posix(): set(re.findall(r"^def (test_\w+)", p.read_text(), re.M))
        for p in (REPO / "tests").rglob("test_*.py")
    }
    pytest_functions = set().union(*functions_by_file.values())
    for name in re.findall(r"`(test_\w+)`", doc):
        assert name in pytest_functions, f"hipaa-controls.md cites {name}, which does not exist"
        cited += 1
    for path, name in re.findall(r"`(tests/[\w/]+\.py)(?:::(test_\w+))?`", doc):
        assert path in functions_by_file, f"hipaa-controls.md cites {path}, which does not exist"
        assert not name or name in functions_by_file[path], f"hipaa-controls.md cites {path}::{name}"
        cited += 1
    addresses = {
        f"{b.labels[0]}.{b.labels[1]}"
        for m in MODULE_DIRS
        for f in m.glob("*.tf")
        for b in TF_DOCS.blocks(f)
        if b.kind == "resource"
    }
    for address in re.findall(r"`(aws_[a-z0-9_]+\.[a-z0-9_]+)`", doc):
        assert address in addresses, f"hipaa-controls.md names {address}, which no module has"
        cited += 1
    assert cited > 30
    assert "## Pipeline controls" in doc
