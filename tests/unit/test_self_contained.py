"""The repository is self-contained: nothing it runs reads a folder beside the checkout."""

from __future__ import annotations

import re
import subprocess

from tests.paths import CSV_FIXTURE_DIR, FHIR_FIXTURE, REPO, SYNTHEA_FIXTURES

# A path that leaves the checkout: "../<name>" or a parent of the repository joined with a name.
OUTSIDE = re.compile(r"\.\./shared|parents\[\d+\]\s*\.parent|REPO\.parent|\"shared\"\s*/")


def tracked_files() -> list[str]:
    listing = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True)
    return listing.stdout.splitlines()


def test_real_synthea_fixtures_are_in_the_repository_with_their_provenance() -> None:
    tracked = set(tracked_files())
    readme = SYNTHEA_FIXTURES / "README.md"
    assert str(readme.relative_to(REPO)) in tracked
    assert str(FHIR_FIXTURE.relative_to(REPO)) in tracked
    csvs = {p for p in tracked if p.startswith(str(CSV_FIXTURE_DIR.relative_to(REPO)))}
    assert len(csvs) == 18  # the complete v3 export the README lists
    assert "Apache-2.0" in readme.read_text(encoding="utf-8")


def test_no_tracked_code_reads_outside_the_checkout() -> None:
    offenders = []
    for path in tracked_files():
        if not path.endswith((".py", ".sh", ".mk", "Makefile", ".yml", ".yaml", ".toml")):
            continue
        text = (REPO / path).read_text(encoding="utf-8", errors="replace")
        offenders += [
            f"{path}: {m.group(0)}"
            for m in OUTSIDE.finditer(text)
            if path != "tests/unit/test_self_contained.py"
        ]
    assert offenders == []
