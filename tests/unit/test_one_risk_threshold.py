"""The LACE risk threshold has one value: silver_to_gold's default argument in the job manifest,
overridable only by the platform module's risk_threshold (which feeds the Glue job and the
risk_alert Lambda: tests/terraform/test_root_plan.py, the platform's terraform test). No other
file may hold a second copy, not a Python default, a constant, a Terraform default, nor another
job argument. (What each consumer does with it: tests/integration/test_alert_timeline.py.)"""

from __future__ import annotations

import ast
import re
import subprocess

import yaml

from tests.paths import REPO

THRESHOLD_NAMES = {"risk_threshold", "threshold", "RISK_THRESHOLD"}
# A literal next to a threshold name, in code or configuration: `risk_threshold = 10`,
# `risk_threshold: "10"`, `RISK_THRESHOLD=10`, `--risk_threshold 10`.
LITERAL = re.compile(r"""(?i)risk[_-]threshold["']?\s*(?:[:=]|\s)\s*["']?\d""")


def tracked(*patterns: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", *patterns], cwd=REPO, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if (REPO / line).is_file()]


def test_the_manifest_holds_the_one_value():
    manifest = yaml.safe_load((REPO / "jobs/src/carelake/manifest.yaml").read_text(encoding="utf-8"))
    holders = [
        name for name, job in manifest["jobs"].items() if "risk_threshold" in job.get("default_arguments", {})
    ]
    assert holders == ["silver_to_gold"]
    assert 0 <= int(manifest["jobs"]["silver_to_gold"]["default_arguments"]["risk_threshold"]) <= 19


def test_no_second_copy_in_code_configuration_or_terraform():
    copies = []
    for path in tracked("*.py", "*.tf", "*.tfvars", "*.yaml", "*.yml", "*.json", "*.hcl", "*.mk", "Makefile"):
        if path.startswith(("tests/", "docs/")) or "/tests/" in path:
            continue  # tests state the values they check; docs explain them
        text = (REPO / path).read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), start=1):
            if LITERAL.search(line):
                copies.append(f"{path}:{number}: {line.strip()}")
    manifest = [c for c in copies if c.startswith("jobs/src/carelake/manifest.yaml:")]
    assert len(manifest) == 1 and 'risk_threshold: "' in manifest[0], manifest
    assert copies == manifest


def test_no_python_default_or_constant_for_a_threshold():
    """No function takes a threshold with a default, no module constant names one, and no
    setting falls back to one (int_env("RISK_THRESHOLD", 10))."""
    found = []
    for path in tracked("jobs/src/*.py", "lambdas/*.py", "scripts/*.py"):
        tree = ast.parse((REPO / path).read_text(encoding="utf-8"), path)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                args = node.args
                positional = [*args.posonlyargs, *args.args]
                defaulted = positional[len(positional) - len(args.defaults) :]
                defaulted += [
                    a for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
                ]
                found += [
                    f"{path}:{node.lineno} {node.name}({a.arg}=...)"
                    for a in defaulted
                    if a.arg in THRESHOLD_NAMES
                ]
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names = [t.id for t in targets if isinstance(t, ast.Name)]
                value = node.value
                if (
                    isinstance(value, ast.Constant)
                    and isinstance(value.value, int)
                    and not isinstance(value.value, bool)
                ):
                    found += [f"{path}:{node.lineno} {n} = {value.value}" for n in names
                              if "RISK_THRESHOLD" in n.upper() or n.upper() == "THRESHOLD"]  # fmt: skip
            elif (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "int_env"
            ):
                first = node.args[0] if node.args else None
                if isinstance(first, ast.Constant) and first.value == "RISK_THRESHOLD" and len(node.args) > 1:
                    found.append(f"{path}:{node.lineno} int_env('RISK_THRESHOLD', default)")
    assert found == []


def test_no_terraform_default_for_the_threshold():
    """Every Terraform variable named risk_threshold has no default, or a null one."""
    declared = []
    for path in tracked("terraform/*.tf"):
        text = (REPO / path).read_text(encoding="utf-8")
        for match in re.finditer(r'variable "risk_threshold" \{(.*?)\n\}', text, re.S):
            default = re.search(r"^\s*default\s*=\s*(\S+)", match.group(1), re.M)
            declared.append((path, default.group(1) if default else None))
    assert declared, "the platform and alerting modules declare risk_threshold"
    assert {d for _, d in declared} <= {None, "null"}, declared
