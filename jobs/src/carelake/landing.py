"""Land files in the local lake's raw zone, the way the sources do in AWS.

In AWS, files reach raw/ by SFTP (partner claims), Firehose (outreach), DynamoDB export
(treatments) and EHR feeds. Locally, ``carelake land`` copies a landing folder written by
``carelake generate`` (or any files) into the same prefixes. Raw is immutable: landing
the same bytes again is a no-op, landing different bytes over an existing file is an error.
"""

from __future__ import annotations

import filecmp
import shutil
from collections import Counter
from pathlib import Path

from carelake.config import Lake
from carelake.sources.fhir import contract as fhir
from carelake.sources.outreach import contract as outreach
from carelake.sources.partner_claims import contract as partner_claims
from carelake.sources.synthea_csv import contract as synthea_csv
from carelake.sources.treatments import contract as treatments

# landing subfolder (as generate writes it) -> the raw prefix of its source (carelake.registry)
LANDING_TO_RAW: dict[str, str] = {
    "fhir/bundles": fhir.RAW.prefix,
    "fhir/ndjson": fhir.RAW.prefix,
    "csv": synthea_csv.RAW.prefix,
    "care_mgmt": outreach.RAW.prefix,
    "treatments": treatments.RAW.prefix,
}
FHIR_FORMATS = {"bundles": "fhir/bundles", "ndjson": "fhir/ndjson"}


class RawIsImmutable(RuntimeError):
    """A different file already sits at that raw path."""


def land_file(source: Path, target: Path) -> bool:
    """Copy one file into raw; False when the identical file is already there."""
    if target.exists():
        if filecmp.cmp(source, target, shallow=False):
            return False
        raise RawIsImmutable(f"{target} exists with different content; raw files are never overwritten")
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return True


def land_tree(source: Path, lake: Lake, raw_prefix: str, dt: str, batch: str | None = None) -> int:
    """Copy every file under ``source`` to raw/<raw_prefix>/dt=<dt>/[<batch>/]…; returns files copied."""
    base = lake.zone("raw") / raw_prefix / f"dt={dt}"
    if batch:
        base = base / batch
    copied = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        copied += land_file(path, base / path.relative_to(source))
    return copied


def land_generated(
    landing: Path, lake: Lake, dt: str, batch: str, fhir_formats: tuple[str, ...] = ("bundles",)
) -> Counter[str]:
    """Land a ``carelake generate`` output folder; returns files copied per raw prefix.

    FHIR comes as bundles and as bulk NDJSON of the same population: ``fhir_formats``
    chooses which to land (both is allowed; silver deduplicates).
    """
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist (run carelake generate first)")
    unknown = set(fhir_formats) - set(FHIR_FORMATS)
    if unknown:
        raise ValueError(f"unknown FHIR formats {sorted(unknown)}; choose from {sorted(FHIR_FORMATS)}")
    skipped = {sub for name, sub in FHIR_FORMATS.items() if name not in fhir_formats}
    copied: Counter[str] = Counter()
    for sub, prefix in LANDING_TO_RAW.items():
        if sub in skipped or not (landing / sub).is_dir():
            continue
        copied[prefix] += land_tree(landing / sub, lake, prefix, dt, batch)
    claims = landing / "claims"
    if claims.is_dir():
        # Partner folders keep their partner=<id> key; dt comes after it, as SFTP lands them.
        for partner in sorted(p for p in claims.iterdir() if p.is_dir()):
            copied[partner_claims.RAW_PREFIX] += land_tree(
                partner, lake, f"{partner_claims.RAW_PREFIX}/{partner.name}", dt
            )
    return copied
