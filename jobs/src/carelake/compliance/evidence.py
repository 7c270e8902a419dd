"""`carelake evidence`: run the controls catalog's evidence commands, read-only, and write a
dated report.

Each command is the AWS CLI command printed in docs/hipaa-controls.md, with the account's
names filled in. It runs through the AWS CLI (pinned ``awscli``, in-process) with the given
profile and region and JSON output; a command passes when its ``expect`` (JMESPath over the
output) holds, fails when it does not, and is an error when the CLI fails (access denied, no
such resource). Only read-only operations run: anything that is not ``get-``, ``list-``,
``describe-``, ``lookup-`` or ``batch-get-`` is refused before any call, and so are options
that would redirect the call (``--profile``, ``--region``, ``--endpoint-url``, ``--output``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import jmespath

from carelake.compliance.catalog import Catalog

READ_ONLY_OPERATION = re.compile(r"^(get|list|describe|lookup|batch-get)-[a-z0-9-]+$")
RUNNER_OPTIONS = ("--profile", "--region", "--endpoint-url", "--output", "--no-verify-ssl")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")

CliRunner = Callable[[list[str]], tuple[int, str, str]]


class NotReadOnlyError(ValueError):
    """An evidence command would change something, or redirect where it runs."""


@dataclass(frozen=True)
class EvidenceResult:
    control: str
    name: str
    command: str  # as run, names filled in
    status: str  # pass | fail | error | recorded
    detail: str  # why it failed or erred (never the output itself)
    output: Any  # the CLI's JSON answer (None on error)


def read_only_argv(command: str) -> list[str]:
    """The command's arguments after ``aws``, once it is shown to be a read-only call."""
    argv = shlex.split(command)
    if len(argv) < 3 or argv[0] != "aws":
        raise NotReadOnlyError(f"not an AWS CLI command: {command!r}")
    service, operation = argv[1], argv[2]
    if not READ_ONLY_OPERATION.match(operation):
        raise NotReadOnlyError(f"{service} {operation} is not a read-only operation")
    redirected = [a for a in argv if a.split("=", 1)[0] in RUNNER_OPTIONS]
    if redirected:
        raise NotReadOnlyError(f"{' '.join(redirected)}: the runner sets where commands run")
    return argv[1:]


def fill(text: str, values: Mapping[str, str]) -> str:
    """Replace {name} placeholders; an unknown one is an error (not left for the CLI to send)."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise KeyError(f"no value for {{{match.group(1)}}} in {text!r}")
        return values[match.group(1)]

    return PLACEHOLDER.sub(value, text)


def awscli_runner(profile: str | None, region: str) -> CliRunner:
    """Runs `aws <argv>` in this process with the pinned AWS CLI; returns (exit code, stdout, stderr)."""

    def run(argv: list[str]) -> tuple[int, str, str]:
        from awscli.clidriver import create_clidriver

        options = ["--output", "json", "--region", region, *(["--profile", profile] if profile else [])]
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = create_clidriver().main([*argv, *options])
        return code, out.getvalue(), err.getvalue()

    return run


def context_values(env: str, account_id: str, region: str) -> dict[str, str]:
    name_prefix = f"carelake-{env}"
    return {
        "name_prefix": name_prefix,
        "database_prefix": name_prefix.replace("-", "_"),
        "account_id": account_id,
        "region": region,
    }


def collect(catalog: Catalog, values: Mapping[str, str], run: CliRunner) -> list[EvidenceResult]:
    """Every control's evidence, in catalog order. A failing or unrunnable command never stops
    the rest; a value its `bind` would have set stays missing, and commands needing it are errors."""
    for control in catalog.controls:  # refuse the whole run before any call if one is not read-only
        for e in control["evidence"]:
            read_only_argv(e["command"])
    results: list[EvidenceResult] = []
    for control in catalog.controls:
        bound = dict(values)
        for e in control["evidence"]:
            results.append(_one(control["id"], e, bound, run))
    return results


def _one(control: str, e: Mapping[str, Any], bound: dict[str, str], run: CliRunner) -> EvidenceResult:
    try:
        command = fill(e["command"], bound)
        expect = fill(e["expect"], bound) if e.get("expect") else None
    except KeyError as exc:
        return EvidenceResult(control, e["name"], e["command"], "error", str(exc.args[0]), None)
    code, stdout, stderr = run(read_only_argv(command))
    if code != 0:
        return EvidenceResult(control, e["name"], command, "error", _first_error_line(stderr, code), None)
    try:
        output = json.loads(stdout) if stdout.strip() else None
    except ValueError:
        return EvidenceResult(control, e["name"], command, "error", "the CLI did not answer JSON", None)
    for name, expression in (e.get("bind") or {}).items():
        found = jmespath.search(expression, output)
        if found is not None:
            bound[name] = str(found)
    if expect is None:
        return EvidenceResult(control, e["name"], command, "recorded", "", output)
    try:
        holds = bool(jmespath.search(expect, output))
    except jmespath.exceptions.JMESPathError as exc:
        return EvidenceResult(control, e["name"], command, "error", f"expect: {exc}", output)
    return EvidenceResult(
        control,
        e["name"],
        command,
        "pass" if holds else "fail",
        "" if holds else f"expected {expect}",
        output,
    )


def _first_error_line(stderr: str, code: int) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1][:300] if lines else f"exit code {code}"


def write_report(
    results: list[EvidenceResult],
    out_dir: Path,
    env: str,
    account_id: str,
    region: str,
    now: dt.datetime | None = None,
) -> Path:
    """build/evidence/<env>-<UTC time>/: report.md (a line per command) and results.json (with outputs)."""
    now = now or dt.datetime.now(dt.UTC)
    folder = out_dir / f"{env}-{now.strftime('%Y%m%dT%H%M%SZ')}"
    folder.mkdir(parents=True, exist_ok=False)
    (folder / "results.json").write_text(
        json.dumps([asdict(r) for r in results], indent=2, default=str) + "\n", encoding="utf-8"
    )
    counts = {s: sum(r.status == s for r in results) for s in ("pass", "fail", "error", "recorded")}
    lines = [
        f"# carelake HIPAA evidence: {env}",
        "",
        f"Account {account_id}, region {region}, collected {now.strftime('%Y-%m-%d %H:%M:%S')} UTC by `carelake evidence`",
        "from docs/hipaa/controls.yaml (read-only AWS CLI calls; outputs in results.json).",
        "",
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['error']} errors, {counts['recorded']} recorded for reading.",
        "",
        "| control | evidence | status | detail | command |",
        "| --- | --- | --- | --- | --- |",
    ]
    for r in results:
        detail = r.detail.replace("|", "\\|")
        lines.append(f"| {r.control} | {r.name} | {r.status} | {detail} | `{r.command}` |")
    (folder / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder
