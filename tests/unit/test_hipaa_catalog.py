"""The HIPAA controls catalog (docs/hipaa/controls.yaml) covers the Security Rule, cites only
things that exist, and is what docs/hipaa-controls.md says.

The list of implementation specifications below is typed from 45 CFR 164.308 to 164.316,
independently of the catalog. checkov citations are checked against a real checkov run in
tests/terraform/test_terraform_static.py (they must pass on their resource); here, that no
cited check is skipped inline on it.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from carelake.compliance.catalog import (
    CATALOG_PATH,
    DOCUMENT_PATH,
    Catalog,
    CatalogError,
    consistency_problems,
    load_catalog,
    render_markdown,
)
from tests.paths import REPO

MODULES = REPO / "terraform" / "modules"

SECURITY_RULE = {
    "164.308": [
        "(a)(1)(i)", "(a)(1)(ii)(A)", "(a)(1)(ii)(B)", "(a)(1)(ii)(C)", "(a)(1)(ii)(D)", "(a)(2)",
        "(a)(3)(i)", "(a)(3)(ii)(A)", "(a)(3)(ii)(B)", "(a)(3)(ii)(C)", "(a)(4)(i)", "(a)(4)(ii)(A)",
        "(a)(4)(ii)(B)", "(a)(4)(ii)(C)", "(a)(5)(i)", "(a)(5)(ii)(A)", "(a)(5)(ii)(B)", "(a)(5)(ii)(C)",
        "(a)(5)(ii)(D)", "(a)(6)(i)", "(a)(6)(ii)", "(a)(7)(i)", "(a)(7)(ii)(A)", "(a)(7)(ii)(B)",
        "(a)(7)(ii)(C)", "(a)(7)(ii)(D)", "(a)(7)(ii)(E)", "(a)(8)", "(b)(1)", "(b)(3)",
    ],
    "164.310": [
        "(a)(1)", "(a)(2)(i)", "(a)(2)(ii)", "(a)(2)(iii)", "(a)(2)(iv)", "(b)", "(c)", "(d)(1)",
        "(d)(2)(i)", "(d)(2)(ii)", "(d)(2)(iii)", "(d)(2)(iv)",
    ],
    "164.312": [
        "(a)(1)", "(a)(2)(i)", "(a)(2)(ii)", "(a)(2)(iii)", "(a)(2)(iv)", "(b)", "(c)(1)", "(c)(2)", "(d)",
        "(e)(1)", "(e)(2)(i)", "(e)(2)(ii)",
    ],
    "164.314": ["(a)(1)"],
    "164.316": ["(a)", "(b)(1)", "(b)(2)(i)", "(b)(2)(ii)", "(b)(2)(iii)"],
}  # fmt: skip
SPECIFICATIONS = {
    section + paragraph for section, paragraphs in SECURITY_RULE.items() for paragraph in paragraphs
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(REPO / CATALOG_PATH, REPO / "docs/hipaa/controls.schema.json")


def module_resources() -> set[str]:
    """<module>.<type>.<name> of every resource block in terraform/modules."""
    found = set()
    for tf in MODULES.glob("*/*.tf"):
        for kind, name in re.findall(r'^resource "(\w+)" "(\w+)"', tf.read_text(), re.M):
            found.add(f"{tf.parent.name}.{kind}.{name}")
    return found


def resource_block(address: str) -> str:
    module, kind, name = address.split(".")
    for tf in (MODULES / module).glob("*.tf"):
        text = tf.read_text()
        start = text.find(f'resource "{kind}" "{name}" {{')
        if start >= 0:
            end = text.find("\n}\n", start)
            return text[start:end]
    raise AssertionError(f"{address} not found")


def test_every_security_rule_specification_has_a_row(catalog: Catalog) -> None:
    assert set(catalog.specifications) == SPECIFICATIONS
    for spec in SPECIFICATIONS:
        covering = catalog.covering(spec)
        assert any(covering.values()), spec
        if spec.startswith("164.312"):
            assert covering["controls"], f"{spec} needs a platform control, not only an owner"
    assert catalog.covering("164.312(a)(2)(ii)")["controls"] == ["emergency-access"]
    assert "transmission-integrity" in catalog.covering("164.312(e)(2)(i)")["controls"]


def test_the_committed_document_is_the_generated_one(catalog: Catalog) -> None:
    committed = (REPO / DOCUMENT_PATH).read_text(encoding="utf-8")
    assert committed == render_markdown(catalog), "run `.venv/bin/carelake hipaa-doc`"


def test_every_control_has_an_evidence_command_and_its_specifications_titles(catalog: Catalog) -> None:
    document = render_markdown(catalog)
    for control in catalog.controls:
        assert control["evidence"], control["id"]
        assert f"### {control['id']}" in document
        for e in control["evidence"]:
            assert e["command"] in document


def platform_module_calls() -> dict[str, str]:
    """The platform module's module calls: call name -> the directory under terraform/modules."""
    text = "".join(tf.read_text() for tf in (MODULES / "platform").glob("*.tf"))
    return dict(re.findall(r'^module "(\w+)" \{\n\s+source\s+= "\.\./(\w+)"', text, re.M))


def test_cited_terraform_addresses_exist(catalog: Catalog) -> None:
    """A cited address module.platform.module.<call>.<type>.<name> names a resource of the module
    that the platform calls <call> (tests/terraform/test_root_plan.py also finds each in the plan)."""
    existing, calls = module_resources(), platform_module_calls()
    assert {"lake_formation", "detective_controls", "backup", "emergency_access", "pseudonym_key"} <= set(
        calls
    )
    cited = {a for c in catalog.controls for a in c["terraform"]}
    unresolved = []
    for address in sorted(cited):
        _, _, _, call, kind, name = address.split(".")
        if f"{calls.get(call)}.{kind}.{name}" not in existing:
            unresolved.append(address)
    assert unresolved == []
    assert len(cited) > 60
    checkov = {k["resource"] for c in catalog.controls for k in c.get("checkov", [])}
    assert sorted(checkov - existing) == []


def test_cited_terraform_test_runs_exist(catalog: Catalog) -> None:
    runs = {
        f"{m.name}/{r}"
        for m in MODULES.iterdir()
        for t in (m / "tests").glob("*.tftest.hcl")
        for r in re.findall(r'^run "([^"]+)"', t.read_text(), re.M)
    }
    cited = {r for c in catalog.controls for r in c.get("tftest", [])}
    assert sorted(cited - runs) == []
    assert len(cited) > 40


def test_cited_pytest_tests_exist(catalog: Catalog) -> None:
    cited = [p for c in catalog.controls for p in c.get("pytest", [])]
    for reference in cited:
        path, _, function = reference.partition("::")
        assert (REPO / path).is_file(), reference
        if function:
            assert re.search(rf"^def {function}\(", (REPO / path).read_text(), re.M), reference
    assert len(cited) > 15


def test_cited_checkov_checks_are_not_skipped_on_their_resource(catalog: Catalog) -> None:
    for control in catalog.controls:
        for check in control.get("checkov", []):
            block = resource_block(check["resource"])
            assert f"checkov:skip={check['id']}:" not in block, f"{control['id']}: {check}"


def test_cited_config_rules_are_in_the_conformance_pack(catalog: Catalog) -> None:
    text = (MODULES / "detective_controls" / "main.tf").read_text()
    pack = text[text.index("conformance_rules = {") : text.index("finding_rules = {")]
    rules = set(re.findall(r'^\s+"([a-z0-9-]+)"\s+=\s+"[A-Z0-9_]+"', pack, re.M))
    cited = {r for c in catalog.controls for r in c.get("config_rules", [])}
    assert sorted(cited - rules) == []
    assert len(rules) > 30


def test_every_aws_service_in_the_terraform_is_listed_for_the_baa(catalog: Catalog) -> None:
    prefixes = [p for s in catalog.data["hipaa_eligible_services"] for p in s["terraform_prefixes"]]
    types = {address.split(".")[1] for address in module_resources()}
    unlisted = sorted(t for t in types if not any(t.startswith(p) for p in prefixes))
    assert unlisted == []


def test_evidence_commands_are_read_only(catalog: Catalog) -> None:
    from carelake.compliance.evidence import read_only_argv

    commands = [e["command"] for c in catalog.controls for e in c["evidence"]]
    assert len(commands) > 30
    for command in commands:
        read_only_argv(command)


def test_a_broken_catalog_is_refused_with_every_problem() -> None:
    data = yaml.safe_load((REPO / CATALOG_PATH).read_text(encoding="utf-8"))
    broken = copy.deepcopy(data)
    broken["controls"] = [c for c in broken["controls"] if c["id"] != "emergency-access"]
    broken["controls"][0]["specifications"].append("164.312(z)(9)")
    problems = consistency_problems(Catalog(broken))
    assert "technical safeguard 164.312(a)(2)(ii) has no platform control" in problems
    assert any("cites 164.312(z)(9), which is not declared" in p for p in problems)


def test_a_catalog_breaking_its_schema_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((REPO / CATALOG_PATH).read_text(encoding="utf-8"))
    del data["controls"][0]["residual_risk"]
    data["controls"][1]["evidence"][0]["command"] = "curl http://example.org"
    path = tmp_path / "controls.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CatalogError) as error:
        load_catalog(path, REPO / "docs/hipaa/controls.schema.json")
    assert "'residual_risk' is a required property" in str(error.value)
    assert "curl http://example.org" in str(error.value)
