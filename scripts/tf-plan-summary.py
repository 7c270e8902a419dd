#!/usr/bin/env python3
"""Print a saved Terraform plan as markdown for the run summary a reviewer reads before
approving it (make tf-plan-summary; the deploy workflow appends it to $GITHUB_STEP_SUMMARY).

    scripts/tf-plan-summary.py <env> <plan file>

Counts per action, then one row per resource change with deletions and replacements
first, then output changes. Values are left out: the summary says what changes, and the
plan file itself (a workflow artifact) is what gets applied.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Most consequential first: what a reviewer must not miss.
ORDER = ["delete", "replace", "update", "create", "read"]
MAX_ROWS = 2000  # a step summary holds 1 MiB; a first deploy is about 700 rows


def action(actions: list[str]) -> str:
    """Terraform's action list as one word (["delete", "create"] is a replacement)."""
    if sorted(actions) == ["create", "delete"]:
        return "replace"
    return actions[0] if len(actions) == 1 else "+".join(actions)


def summary(env: str, plan: dict[str, Any]) -> str:
    changes = [
        (action(rc["change"]["actions"]), rc["address"])
        for rc in plan.get("resource_changes", [])
        if rc["change"]["actions"] != ["no-op"]
    ]
    changes.sort(key=lambda c: (ORDER.index(c[0]) if c[0] in ORDER else len(ORDER), c[1]))
    counts = {a: sum(1 for c, _ in changes if c == a) for a in ORDER if a != "read"}
    variables = plan.get("variables", {})
    version = variables.get("artifact_version", {}).get("value", "?")
    lines = [
        f"### terraform plan: {env} at artifact version `{version}`",
        "",
        ", ".join(f"**{n}** to {a}" for a, n in counts.items()),
        "",
    ]
    if not changes:
        lines.append("No changes: the infrastructure matches the configuration.")
    else:
        lines += ["| action | resource |", "| --- | --- |"]
        lines += [f"| {a} | `{address}` |" for a, address in changes[:MAX_ROWS]]
        if len(changes) > MAX_ROWS:
            lines.append(f"| ... | {len(changes) - MAX_ROWS} more in the plan artifact |")
    outputs = sorted(
        name for name, oc in plan.get("output_changes", {}).items() if oc["actions"] != ["no-op"]
    )
    if outputs:
        lines += ["", "Outputs that change: " + ", ".join(f"`{o}`" for o in outputs)]
    return "\n".join(lines) + "\n"


def main() -> None:
    env, plan_file = sys.argv[1], sys.argv[2]
    shown = subprocess.run(
        [str(REPO / "scripts" / "tf.sh"), f"-chdir=terraform/environments/{env}", "show", "-json", plan_file],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    sys.stdout.write(summary(env, json.loads(shown.stdout)))


if __name__ == "__main__":
    main()
