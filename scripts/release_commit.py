#!/usr/bin/env python3
"""Print the commit an artifact version was built from, once it is shown that it may be
deployed again: the commit is on main (HEAD of this checkout) and ci passed for it. Used by
.github/workflows/rollback.yml; exits 1 with the reason otherwise.

    scripts/release_commit.py <version>

Versions are what setuptools-scm gave at build time: X.Y.Z is the tag vX.Y.Z, and
X.Y.Z.devN+g<sha> (after a tag, or from the first commit) names the commit by its hash.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable

RELEASE = re.compile(r"\d+(\.\d+)*")
DEVELOPMENT = re.compile(r"\d+(\.\d+)*(\.dev\d+)?\+g(?P<sha>[0-9a-f]{7,40})")


class NotDeployable(Exception):
    pass


def commit_ref(version: str) -> str:
    """The git reference a version names: its tag, or its abbreviated commit hash."""
    if RELEASE.fullmatch(version):
        return f"v{version}"
    match = DEVELOPMENT.fullmatch(version)
    if match is None:
        raise NotDeployable(
            f"{version!r} is not a version the deploy workflow builds (X.Y.Z or X.Y.Z.devN+g<sha>); "
            "a build from a modified tree (+g<sha>.d<date>) is never deployed"
        )
    return match["sha"]


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True)


def resolve(version: str) -> str:
    """The full commit of `version`, which must be in the history of HEAD (main)."""
    ref = commit_ref(version)
    found = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise NotDeployable(f"{ref} (from version {version}) is not a commit of this repository")
    commit = found.stdout.strip()
    if git("merge-base", "--is-ancestor", commit, "HEAD").returncode != 0:
        raise NotDeployable(f"{commit} (version {version}) is not on main")
    return commit


def ci_passed_on_github(commit: str) -> bool:
    """Whether a run of the ci workflow succeeded for the commit (GitHub API, through gh)."""
    repository = os.environ["GITHUB_REPOSITORY"]
    runs = subprocess.run(
        ["gh", "api", f"repos/{repository}/actions/workflows/ci.yml/runs?head_sha={commit}&status=success"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(runs.stdout)["total_count"] > 0


def deployable_commit(version: str, ci_passed: Callable[[str], bool] = ci_passed_on_github) -> str:
    commit = resolve(version)
    if not ci_passed(commit):
        raise NotDeployable(f"ci has no successful run for {commit} (version {version})")
    return commit


def main() -> None:
    try:
        print(deployable_commit(sys.argv[1]))
    except NotDeployable as refused:
        sys.exit(f"rollback refused: {refused}")


if __name__ == "__main__":
    main()
