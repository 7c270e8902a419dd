"""How a change reaches production: the workflows, their pins, Dependabot, pre-commit, and
the helpers the deploy and rollback workflows call (plan summary, release commit)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<comment>.*)$")
PINNED = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}")
VERSION_COMMENT = re.compile(r"\s+#\s+v\d+(\.\d+){0,2}\s*$")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), REPO / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the key `on` as true
    return data


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps", [])


# ---------------------------------------------------------------------------------
# Pinned supply chain.
# ---------------------------------------------------------------------------------
def test_every_action_is_pinned_to_a_commit_with_its_version_in_a_comment() -> None:
    seen = 0
    for path in WORKFLOW_FILES:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES.match(line)
            if not match:
                continue
            seen += 1
            ref, comment = match["ref"], match["comment"]
            where = f"{path.relative_to(REPO)}:{number}: {line.strip()}"
            if ref.startswith("./"):
                assert (REPO / ref).is_file(), where
                continue
            assert PINNED.fullmatch(ref), f"not pinned to a 40-hex commit SHA: {where}"
            assert VERSION_COMMENT.match(comment), f"no `# vX.Y.Z` comment: {where}"
    assert seen >= 20


def test_the_pin_check_refuses_tags_and_short_shas() -> None:
    for ref in ["actions/checkout@v5", "actions/checkout@fbc6f39", "actions/checkout@main"]:
        assert not PINNED.fullmatch(ref)
    assert PINNED.fullmatch("actions/checkout@fbc6f3992d24b796d5a048ff273f7fcc4a7b6c09")


def test_every_checkout_leaves_no_credentials_behind() -> None:
    for path in WORKFLOW_FILES:
        data = _workflow(path.name)
        for name, job in data["jobs"].items():
            for step in _steps(job):
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step.get("with", {}).get("persist-credentials") is False, f"{path.name} {name}"


def test_dependabot_updates_every_pinned_ecosystem() -> None:
    config = yaml.safe_load((REPO / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"] for u in config["updates"]}
    assert ecosystems == {"github-actions", "pip", "terraform", "npm"}
    for update in config["updates"]:
        assert update.get("cooldown", {}).get("default-days", 0) >= 7, update["package-ecosystem"]
        for directory in update.get("directories", [update.get("directory")]):
            assert directory == "/" or list(REPO.glob(directory.lstrip("/"))), directory


def test_python_locks_are_hash_pinned() -> None:
    for name in ("dev", "tools", "glue"):
        text = (REPO / "jobs" / "requirements" / f"{name}.lock").read_text()
        pins = re.findall(r"^[A-Za-z0-9._-]+==\S+ \\$", text, re.M)
        assert pins, name
        blocks = re.split(r"^(?=[A-Za-z0-9._-]+==)", text, flags=re.M)[1:]
        assert len(blocks) == len(pins)
        assert all(re.search(r"--hash=sha256:[0-9a-f]{64}", b) for b in blocks), name
    makefile = (REPO / "Makefile").read_text()
    assert makefile.count("--require-hashes -r jobs/requirements/") == 2


# ---------------------------------------------------------------------------------
# Only tested commits deploy.
# ---------------------------------------------------------------------------------
def test_deploy_runs_only_from_ci_after_lint_and_test_passed_on_main() -> None:
    deploy = _workflow("deploy.yml")
    assert set(deploy["on"]) == {"workflow_call"}  # no push, no dispatch: nothing bypasses ci
    callers = {
        (path.name, name): job
        for path in WORKFLOW_FILES
        for name, job in _workflow(path.name)["jobs"].items()
        if str(job.get("uses", "")).startswith("./.github/workflows/deploy.yml")
    }
    assert list(callers) == [("ci.yml", "deploy")]
    job = callers["ci.yml", "deploy"]
    assert set(job["needs"]) == {"lint", "test"}
    assert job["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert job["concurrency"] == {"group": "deploy", "cancel-in-progress": False}
    ci = _workflow("ci.yml")
    assert ci["jobs"]["test"]["steps"][-1]["run"] == ".ci/run"
    assert ci["jobs"]["lint"]["steps"][-2]["run"] == "make lint"


def test_each_environment_applies_exactly_the_plan_it_summarised() -> None:
    env = _workflow("terraform-environment.yml")
    plan, apply = env["jobs"]["plan"], env["jobs"]["apply"]
    plan_runs = [s.get("run", "") for s in _steps(plan)]
    assert "make tf-plan TF_LOCK=false" in plan_runs
    assert any("tf-plan-summary" in r and "GITHUB_STEP_SUMMARY" in r for r in plan_runs)
    assert "plan_role_arn" in str(plan) and "apply_role_arn" not in str(plan)
    assert apply["needs"] == "plan"
    assert apply["environment"] == "${{ inputs.environment }}"  # prod: required reviewers
    runs = [s.get("run", "") for s in _steps(apply)]
    check = next(i for i, r in enumerate(runs) if "sha256sum --check" in r)
    assert check < runs.index("make tf-apply")
    assert "terraform plan" not in " ".join(runs) and "make tf-plan" not in runs
    terraform_mk = (REPO / "terraform" / "terraform.mk").read_text()
    assert "$(TF) apply -input=false $(TF_PLAN)" in terraform_mk


def test_deploy_goes_to_dev_then_prod_and_rollback_checks_the_release() -> None:
    deploy = _workflow("deploy.yml")
    assert deploy["jobs"]["prod"]["needs"] == ["build", "dev"]
    assert [deploy["jobs"][e]["with"]["environment"] for e in ("dev", "prod")] == ["dev", "prod"]
    rollback = _workflow("rollback.yml")
    assert set(rollback["on"]) == {"workflow_dispatch"}
    assert set(rollback["on"]["workflow_dispatch"]["inputs"]) == {"environment", "version"}
    for name in ("dev", "prod"):
        job = rollback["jobs"][name]
        assert job["needs"] == "release"
        assert job["with"]["ref"] == "${{ needs.release.outputs.commit }}"
        assert "dist-artifact" not in job["with"]  # only published versions: nothing is rebuilt
    assert "scripts/release_commit.py" in str(rollback["jobs"]["release"])


# ---------------------------------------------------------------------------------
# Checks in one place.
# ---------------------------------------------------------------------------------
def test_pre_commit_runs_the_make_lint_targets() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())["repos"]
    assert [r["repo"] for r in hooks] == ["local"]
    entries = [h["entry"] for h in hooks[0]["hooks"]]
    lint = re.search(r"^lint: (.*?) ##", (REPO / "Makefile").read_text(), re.M)
    assert lint
    assert sorted(e.removeprefix("make -s ") for e in entries) == sorted(lint.group(1).split())


# ---------------------------------------------------------------------------------
# The helpers.
# ---------------------------------------------------------------------------------
PLAN_SUMMARY = _load("tf-plan-summary")
RELEASE = _load("release_commit")


def test_plan_summary_counts_and_lists_deletions_first() -> None:
    plan = {
        "variables": {"artifact_version": {"value": "1.2.3"}},
        "resource_changes": [
            {"address": "module.platform.aws_s3_bucket.this", "change": {"actions": ["create"]}},
            {"address": "module.platform.aws_iam_role.old", "change": {"actions": ["delete"]}},
            {"address": "module.platform.aws_glue_job.x", "change": {"actions": ["update"]}},
            {"address": "module.platform.aws_kms_key.k", "change": {"actions": ["delete", "create"]}},
            {"address": "module.platform.aws_sns_topic.t", "change": {"actions": ["no-op"]}},
        ],
        "output_changes": {"platform": {"actions": ["update"]}, "same": {"actions": ["no-op"]}},
    }
    text = PLAN_SUMMARY.summary("prod", plan)
    assert "### terraform plan: prod at artifact version `1.2.3`" in text
    assert "**1** to delete, **1** to replace, **1** to update, **1** to create" in text
    rows = re.findall(r"^\| (\w+) \| `([^`]+)` \|$", text, re.M)
    assert rows == [
        ("delete", "module.platform.aws_iam_role.old"),
        ("replace", "module.platform.aws_kms_key.k"),
        ("update", "module.platform.aws_glue_job.x"),
        ("create", "module.platform.aws_s3_bucket.this"),
    ]
    assert "Outputs that change: `platform`" in text
    assert "No changes" in PLAN_SUMMARY.summary("dev", {"resource_changes": []})


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A repository: main with a tagged release and a later commit, and a side branch."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=tmp_path, check=True, capture_output=True, text=True
        ).stdout.strip()

    git("init", "-q", "-b", "main")
    git("config", "user.email", "ci@example.org")
    git("config", "user.name", "ci")
    commits = {}
    for name in ("release", "later"):
        (tmp_path / "f").write_text(name)
        git("add", "f")
        git("commit", "-q", "-m", name)
        commits[name] = git("rev-parse", "HEAD")
        if name == "release":
            git("tag", "v1.4.0")
    git("checkout", "-q", "-b", "side")
    (tmp_path / "f").write_text("side")
    git("commit", "-q", "-am", "side")
    commits["side"] = git("rev-parse", "HEAD")
    git("checkout", "-q", "main")
    monkeypatch.chdir(tmp_path)
    return commits


def test_a_version_names_its_commit_which_must_be_on_main_and_tested(history: dict[str, str]) -> None:
    tested = {history["release"], history["later"], history["side"]}
    passed = tested.__contains__
    assert RELEASE.deployable_commit("1.4.0", passed) == history["release"]
    later = f"1.4.1.dev1+g{history['later'][:9]}"
    assert RELEASE.deployable_commit(later, passed) == history["later"]
    with pytest.raises(RELEASE.NotDeployable, match="not on main"):
        RELEASE.deployable_commit(f"1.4.1.dev2+g{history['side'][:9]}", passed)
    with pytest.raises(RELEASE.NotDeployable, match="no successful run"):
        RELEASE.deployable_commit(later, lambda commit: False)
    with pytest.raises(RELEASE.NotDeployable, match="modified tree"):
        RELEASE.deployable_commit(f"{later}.d20260101", passed)
    with pytest.raises(RELEASE.NotDeployable, match="not a commit"):
        RELEASE.deployable_commit("9.9.9", passed)
