"""Regenerate the ICD-10-CM known-code tables (``icd10cm_codes_*.csv``) from CMS data.

The data come from the PyPI package ``simple-icd-10-cm`` (MIT licence for the code; the
bundled code list and tabular XML are the CMS/NCHS ICD-10-CM release, which is US
public domain). It is a *build-time* tool only: the jobs read the generated CSVs and
never import the package.

    pip install simple-icd-10-cm==1.5.0      # ships the April 1, 2026 ICD-10-CM release
    python -m carelake.reference.build_icd10cm

Only billable codes are written: the leaves of the tabular list (a code with no
children, including every seventh-character extension). Chapters, blocks, categories
and subcategories that have children are headers, not codes a claim may carry.

The full set is about 6.5 MB of text, so it is split into parts of under 3 MB each
(``PARTS`` below); ``carelake.reference.load("icd10cm_codes")`` joins them again.
After a run, update the ``icd10cm_codes`` entry in ``reference.yaml`` (version,
effective date, row count) and the docs (docs/reference-data.md).
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE_PIN = "simple-icd-10-cm==1.5.0"

# (file name, first letter, last letter of the code's 3-character category), inclusive;
# S is split at S50 because chapter 19 alone is over 3 MB.
PARTS: tuple[tuple[str, str, str], ...] = (
    ("icd10cm_codes_1.csv", "A00", "R99"),
    ("icd10cm_codes_2.csv", "S00", "S49"),
    ("icd10cm_codes_3.csv", "S50", "S99"),
    ("icd10cm_codes_4.csv", "T00", "Z99"),
)
COLUMNS = ("code", "description")


def billable_codes() -> list[tuple[str, str]]:
    """``(code with dot, description)`` for every billable ICD-10-CM code, in tabular order."""
    try:
        import simple_icd_10_cm as cm  # build-time only
    except ImportError:  # pragma: no cover - depends on the machine
        sys.exit(f"build_icd10cm needs {PACKAGE_PIN}: pip install {PACKAGE_PIN}")
    rows = []
    seen: set[str] = set()
    for code in cm.get_all_codes(with_dots=True):
        # A block holding a single category (B20, K37 ...) shares the category's name:
        # ask about the category, and list the code once.
        if code in seen or not cm.is_category_or_subcategory(code) or not cm.is_leaf(code):
            continue
        seen.add(code)
        rows.append((code, cm.get_description(code)))
    return rows


def part_of(code: str) -> str:
    category = code[:3]
    for name, first, last in PARTS:
        if first <= category <= last:
            return name
    raise ValueError(f"no part for ICD-10-CM code {code}")


def write_parts(rows: list[tuple[str, str]], out: Path) -> dict[str, int]:
    by_part: dict[str, list[tuple[str, str]]] = {name: [] for name, _, _ in PARTS}
    for code, description in rows:
        by_part[part_of(code)].append((code, description))
    counts = {}
    for name, part_rows in by_part.items():
        with (out / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(part_rows)
        counts[name] = len(part_rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write the CSV parts to")
    args = parser.parse_args(argv)
    rows = billable_codes()
    counts = write_parts(rows, args.out)
    for name, count in counts.items():
        print(f"{name}: {count} codes")
    print(f"total: {sum(counts.values())} billable ICD-10-CM codes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
