"""The HIPAA controls catalog: load it, check it against its schema and itself, render the doc.

The catalog (docs/hipaa/controls.yaml, schema docs/hipaa/controls.schema.json) lists every
implementation specification of 164.308 to 164.316 and, for each, the platform's control
(Terraform, tests, checkov checks, Config rules, evidence commands, residual risk) or who
owns it outside the platform (AWS, or the organisation). docs/hipaa-controls.md is
:func:`render_markdown` of it, and tests keep the two equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CATALOG_PATH = Path("docs/hipaa/controls.yaml")
SCHEMA_PATH = Path("docs/hipaa/controls.schema.json")
DOCUMENT_PATH = Path("docs/hipaa-controls.md")


class CatalogError(ValueError):
    """The catalog breaks its schema or its own rules (the message lists every problem)."""


@dataclass(frozen=True)
class Catalog:
    data: dict[str, Any]

    @property
    def controls(self) -> list[dict[str, Any]]:
        return self.data["controls"]

    @property
    def specifications(self) -> dict[str, dict[str, Any]]:
        return {s["id"]: s for s in self.data["specifications"]}

    def covering(self, spec_id: str) -> dict[str, list[str]]:
        """Who covers a specification: control ids, inherited owners, organisational owners."""
        return {
            "controls": [c["id"] for c in self.controls if spec_id in c["specifications"]],
            "inherited": [i["owner"] for i in self.data["inherited"] if spec_id in i["specifications"]],
            "organisational": [
                o["owner"] for o in self.data["organisational"] if spec_id in o["specifications"]
            ],
        }


def load_catalog(path: Path = CATALOG_PATH, schema_path: Path = SCHEMA_PATH) -> Catalog:
    """The catalog, validated against the schema and checked for consistency."""
    import jsonschema

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    problems = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        raise CatalogError(f"{path} breaks {schema_path}:\n  " + "\n  ".join(problems))
    catalog = Catalog(data)
    problems = consistency_problems(catalog)
    if problems:
        raise CatalogError(f"{path}:\n  " + "\n  ".join(problems))
    return catalog


def consistency_problems(catalog: Catalog) -> list[str]:
    """Rules the schema cannot state: ids unique, every cited specification declared, every
    declared specification covered, 164.312 covered by the platform itself."""
    problems: list[str] = []
    declared = [s["id"] for s in catalog.data["specifications"]]
    problems += [
        f"specification {s} is declared twice" for s in sorted({d for d in declared if declared.count(d) > 1})
    ]
    ids = [c["id"] for c in catalog.controls]
    problems += [f"control id {c} is used twice" for c in sorted({i for i in ids if ids.count(i) > 1})]
    cited = [
        (where, spec)
        for where, specs in [(f"control {c['id']}", c["specifications"]) for c in catalog.controls]
        + [(f"inherited ({i['owner']})", i["specifications"]) for i in catalog.data["inherited"]]
        + [(f"organisational ({o['owner']})", o["specifications"]) for o in catalog.data["organisational"]]
        for spec in specs
    ]
    problems += [
        f"{where} cites {spec}, which is not declared" for where, spec in cited if spec not in declared
    ]
    for spec in declared:
        covering = catalog.covering(spec)
        if not any(covering.values()):
            problems.append(
                f"specification {spec} has no row (no control, inherited or organisational owner)"
            )
        if spec.startswith("164.312") and not covering["controls"]:
            problems.append(f"technical safeguard {spec} has no platform control")
    return problems


# ---------------------------------------------------------------------------------------
# The document.
# ---------------------------------------------------------------------------------------
def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _codes(items: list[str]) -> str:
    return ", ".join(f"`{i}`" for i in items)


def render_markdown(catalog: Catalog) -> str:
    data = catalog.data
    out: list[str] = [
        "# HIPAA Security Rule controls",
        "",
        "<!-- Generated from docs/hipaa/controls.yaml by `carelake hipaa-doc`: edit the catalog, not this file",
        "     (tests/unit/test_hipaa_catalog.py fails while they differ). -->",
        "",
        f"How carelake meets {data['framework']}: for every implementation specification, the",
        "platform control that implements it (Terraform, the offline checks that fail when it is",
        "missing, the AWS Config rules that watch it in the account, the read-only commands an",
        "auditor runs against a deployed account, and the residual risk), or who owns it outside",
        "the platform. The catalog is checked by tests: a specification without a row, a cited",
        "Terraform address, `terraform test` run or pytest test that no longer exists, or a cited",
        "checkov check that no longer passes on its resource fails `make test`.",
        "",
        "References: " + "; ".join(f"[{r['name']}]({r['url']})" for r in data["references"]) + ".",
        "",
        "## Re-running the evidence",
        "",
        "Offline, from a clone (no AWS account):",
        "",
        "```sh",
        "make venv tools                      # once: .venv (pytest, cfn-lint, awscli) and .venv-tools (checkov)",
        "make tf-test                         # terraform test of every module (mocked AWS, plan only)",
        "make tf-checkov tf-cfn-lint          # static policy checks: 0 failed",
        ".venv/bin/pytest tests/terraform tests/unit/test_hipaa_catalog.py",
        "```",
        "",
        "Against a deployed account, read-only (the auditor persona's role is enough):",
        "",
        "```sh",
        ".venv/bin/carelake evidence --env prod --profile <auditor profile> --region us-east-1",
        "```",
        "",
        "runs every evidence command below with the AWS CLI and writes a dated report",
        "(`build/evidence/<env>-<UTC time>/report.md`, with each command's JSON output beside it).",
        "A command passes when its `expect` (JMESPath over the output) holds; commands without an",
        "`expect` are recorded for the auditor to read. The runner refuses anything that is not a",
        "read-only call (`get-`, `list-`, `describe-`, `lookup-`, `batch-get-`).",
        "",
        "Names in the commands: `{name_prefix}` is `carelake-<env>`, `{database_prefix}` is",
        "`carelake_<env>`; `{account_id}` and `{region}` are the account's.",
        "",
        "## Coverage",
        "",
        "| specification | kind | covered by |",
        "| --- | --- | --- |",
    ]
    for spec in data["specifications"]:
        covering = catalog.covering(spec["id"])
        parts = [f"[{c}](#{c})" for c in covering["controls"]]
        parts += [f"inherited: {o}" for o in covering["inherited"]]
        parts += [f"organisational: {o}" for o in covering["organisational"]]
        out.append(f"| {spec['id']} {spec['title']} | {spec['kind']} | {'; '.join(parts)} |")
    out += ["", "## Platform controls", ""]
    for c in catalog.controls:
        specs = ", ".join(f"{s} {catalog.specifications[s]['title']}" for s in c["specifications"])
        out += [f"### {c['id']}", "", f"**{c['title']}** ({specs})", "", _cell(c["implementation"]), ""]
        out.append(f"- Terraform: {_codes(c['terraform'])}")
        if c.get("tftest"):
            out.append(f"- terraform test runs: {_codes(c['tftest'])}")
        if c.get("pytest"):
            out.append(f"- pytest: {_codes(c['pytest'])}")
        if c.get("checkov"):
            out.append("- checkov: " + ", ".join(f"`{k['id']}` on `{k['resource']}`" for k in c["checkov"]))
        if c.get("config_rules"):
            out.append(
                f"- AWS Config rules (`{{name_prefix}}-hipaa-security` pack): {_codes(c['config_rules'])}"
            )
        out.append(f"- Residual risk: {_cell(c['residual_risk'])}")
        out += ["", "Evidence in the account:", "", "```sh"]
        for e in c["evidence"]:
            out.append(f"# {e['name']}" + (f"  (expect: {e['expect']})" if e.get("expect") else ""))
            out.append(e["command"])
        out += ["```", ""]
    out += [
        "## Inherited from AWS and the BAA",
        "",
        "| specifications | owner | basis | evidence |",
        "| --- | --- | --- | --- |",
    ]
    for i in data["inherited"]:
        out.append(
            f"| {', '.join(i['specifications'])} | {i['owner']} | {_cell(i['basis'])} | {_cell(i['evidence'])} |"
        )
    out += ["", "## Organisational", "", "| specifications | owner | what |", "| --- | --- | --- |"]
    for o in data["organisational"]:
        out.append(f"| {', '.join(o['specifications'])} | {o['owner']} | {_cell(o['what'])} |")
    out += [
        "",
        "## AWS services and the BAA",
        "",
        "Every AWS service the Terraform uses, by resource type prefix (a test fails when a",
        "resource type matches none). Check each against AWS's HIPAA Eligible Services Reference",
        "before PHI reaches it; those marked as holding no PHI carry only metadata or notices.",
        "The bootstrap stack's workload permissions boundary names each service's IAM prefix (the",
        "root plan test fails otherwise), so the platform's roles can use it.",
        "",
        "| service | holds PHI | Terraform resource types | IAM prefixes |",
        "| --- | --- | --- | --- |",
    ]
    for s in data["hipaa_eligible_services"]:
        out.append(
            f"| {s['service']} | {'yes' if s['stores_phi'] else 'no'} | {_codes(s['terraform_prefixes'])}"
            f" | {_codes(s['iam_prefixes'])} |"
        )
    out += ["", "## Data classification", ""]
    for d in data["data_classification"]:
        out.append(f"- **{d['name']}**: {_cell(d['meaning'])}")
    out.append("")
    return "\n".join(out)
