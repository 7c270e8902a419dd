"""Every view's Lake Formation labels (the header lines the analytics Terraform module reads)
match what the view reads.

terraform/modules/analytics tags each view from its leading comment block:
``-- data_classification: <phi|limited-data-set|deidentified|non-phi>`` (phi when absent) and
``-- audience: care_coordination``. Athena views are not definer views: a query on a view
needs the grant on every table under it, so a view labelled deidentified (granted to analysts)
must read only de-identified gold tables and views, never silver, bronze or a phi table.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.sql.reference_measures import VIEWS_DIR

VIEW_FILES = sorted(VIEWS_DIR.glob("*.sql"))
VIEWS = {p.stem: p for p in VIEW_FILES}

# The module's regexes (terraform/modules/analytics/main.tf, locals view_statements,
# view_classification and view_audience).
LEADING_COMMENTS_THEN_CREATE = re.compile(r"(?is)^(\s*--[^\n]*\n)*\s*create\s")
CLASSIFICATION = re.compile(
    r"(?m)^\s*--\s*data_classification:\s*(phi|limited-data-set|deidentified|non-phi)\s*$"
)
AUDIENCE = re.compile(r"(?m)^\s*--\s*audience:\s*(care_coordination)\s*$")
# Any line that looks like a label, well-formed or not (a typo must not fall back to phi unseen).
LABEL_LIKE = re.compile(r"(?im)^\s*--\s*(data_classification|audience)\b.*$")

# Least to most restricted: a view is at least as restricted as everything it reads.
RANK = {"non-phi": 0, "deidentified": 1, "limited-data-set": 2, "phi": 3}
CARE_COORDINATION_VIEWS = {"v_high_risk_outreach", "v_care_team_worklist"}


def _leading_comments(text: str) -> str:
    return text[: re.search(r"(?im)^\s*create\s", text).start()]


def _code(text: str) -> str:
    """The SQL without comments and string literals."""
    text = re.sub(r"--[^\n]*", "", text)
    return re.sub(r"'(?:[^']|'')*'", "''", text)


def label(view: str) -> str:
    found = CLASSIFICATION.findall(VIEWS[view].read_text(encoding="utf-8"))
    return found[0] if found else "phi"


def gold_tables() -> dict[str, str]:
    """gold table -> data_classification, as the registry (and so Lake Formation) has it."""
    from carelake import registry

    return {name: t.classification.value for name, t in registry.zone_tables("gold").items()}


def sources(view: str) -> tuple[set[str], set[str], set[str]]:
    """(gold names, other zone-qualified names, other views named anywhere in the code)."""
    code = _code(VIEWS[view].read_text(encoding="utf-8"))
    qualified = set(re.findall(r"\b(raw|bronze|silver|gold|quarantine)\.(\w+)", code))
    gold = {name for zone, name in qualified if zone == "gold"}
    other_zones = {f"{zone}.{name}" for zone, name in qualified if zone != "gold"}
    # as the module orders views: any other view's name in the SQL is a dependency
    views = {v for v in VIEWS if v != view and re.search(rf"(?i)\b{v}\b", code)}
    return gold, other_zones, views


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.stem)
def test_one_classification_header_in_the_leading_comments(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert LEADING_COMMENTS_THEN_CREATE.match(text), "comment lines, then create (the module's regex)"
    assert len(CLASSIFICATION.findall(text)) == 1, (
        "exactly one -- data_classification: <phi|limited-data-set|deidentified|non-phi>"
    )
    assert len(AUDIENCE.findall(text)) <= 1
    header = _leading_comments(text)
    labels = LABEL_LIKE.findall(text)
    assert len(LABEL_LIKE.findall(header)) == len(labels), "labels belong in the leading comment block"
    assert len(labels) == len(CLASSIFICATION.findall(text)) + len(AUDIENCE.findall(text)), (
        "a malformed label line (the module would ignore it)"
    )


def test_only_the_coordinators_call_lists_have_the_care_coordination_audience() -> None:
    audience = {p.stem for p in VIEW_FILES if AUDIENCE.search(p.read_text(encoding="utf-8"))}
    assert audience == CARE_COORDINATION_VIEWS
    for view in CARE_COORDINATION_VIEWS:
        assert label(view) == "phi"  # it carries the MRN


@pytest.mark.parametrize("path", VIEW_FILES, ids=lambda p: p.stem)
def test_label_covers_every_table_and_view_read(path: Path) -> None:
    view = path.stem
    tables = gold_tables()
    gold, other_zones, views = sources(view)
    unknown = gold - set(tables) - set(VIEWS)
    assert not unknown, f"reads gold names that are neither gold tables nor views: {sorted(unknown)}"
    read = {f"gold.{n}": tables[n] for n in gold if n in tables}
    read |= {f"gold.{n}": label(n) for n in gold if n in VIEWS}
    read |= {v: label(v) for v in views}
    if label(view) != "phi":
        assert not other_zones, f"a {label(view)} view reads only gold: {sorted(other_zones)}"
    too_restricted = {name: c for name, c in read.items() if RANK[c] > RANK[label(view)]}
    assert not too_restricted, (
        f"{view} is labelled {label(view)} but reads {too_restricted}: Athena needs the grant on "
        "every table under a view, so its readers could not query it"
    )


def test_the_runbook_names_exactly_the_views_that_need_the_limited_data_set_grant() -> None:
    from tests.paths import REPO

    runbook = (REPO / "docs" / "runbook.md").read_text(encoding="utf-8")
    section = runbook[runbook.index("### Limited data set access") :]
    section = section[: section.index("\n#", 1)]
    named = set(re.findall(r"`(\w+)`", section)) & set(VIEWS)
    assert named == {v for v in VIEWS if label(v) == "limited-data-set"}
    assert {"v_readmission_rates", "outreach_compliance"} <= named  # day arithmetic across events
