"""``generate_population``: run the chunks (in parallel), then assemble the landing folder.

Layout under ``out``::

    fhir/bundles/<patient-id>.json            one transaction Bundle per patient
    fhir/bundles/hospitalInformation<ms>.json Organizations and Locations (batch)
    fhir/bundles/practitionerInformation<ms>.json Practitioners (batch)
    fhir/ndjson/<Type>.ndjson                 the same resources as bulk NDJSON
    csv/<table>.csv                           Synthea v3 CSV export
    claims/partner=<id>/claims_<id>_<YYYYMMDD>.csv   partner claims, one file per month
    care_mgmt/outreach-<nnnn>.jsonl           outreach events (Firehose output)
    treatments/AWSDynamoDB/<export-id>/...    two DynamoDB exports of the treatment table
    _truth/identity_crosswalk.csv             who is who (partner members, twins), for tests
    _report.json                              counts and every injected defect
    .carelake-landing                         marker: reruns may replace this folder's outputs
"""

from __future__ import annotations

import csv
import io
import json
import math
import multiprocessing
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from carelake.generate import defects as bad
from carelake.generate.chunk import ChunkResult, directory_bundle, part_dir, run_chunk
from carelake.generate.csvout import GLOBAL_TABLES, HEADERS, PATIENT_TABLES, UsageStats, global_rows
from carelake.generate.defects import Defect
from carelake.generate.directory import build_directory
from carelake.generate.fhir import location_resource, organization_resource, practitioner_resource
from carelake.generate.ids import stream
from carelake.generate.jsonio import dumps
from carelake.generate.partner_claims import COLUMNS as PARTNER_COLUMNS
from carelake.generate.partner_claims import batch_file_name
from carelake.generate.settings import DEFAULT_AS_OF, DEFAULT_COORDINATORS, DEFAULT_PARTNERS, Settings
from carelake.generate.timeutil import day_epoch
from carelake.generate.treatments import compare_exports, export_times, write_export

OUTPUTS = ("fhir", "csv", "claims", "care_mgmt", "treatments", "_truth", ".parts", "_report.json")
OUTREACH_EVENTS_PER_FILE = 5000
MARKER = ".carelake-landing"


@dataclass(slots=True)
class GenerationReport:
    out: Path
    counts: dict[str, Any]
    defects: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> str:
        c = self.counts
        resources = sum(c["fhir"]["resources"].values())
        partner_rows = sum(p["rows"] for p in c["partner_claims"].values())
        exports = ", ".join(f"{e['items']} items" for e in c["treatments"]["exports"])
        lines = [
            f"wrote {self.out}",
            f"  patients               {c['patients']}",
            f"  FHIR bundles           {c['fhir']['patient_bundles']} patients + {c['fhir']['directory_bundles']} directory",
            f"  FHIR resources         {resources} ({', '.join(f'{k} {v}' for k, v in sorted(c['fhir']['resources'].items()))})",
            f"  CSV rows               {sum(c['csv'].values())} in {len(c['csv'])} files",
            f"  partner claim lines    {partner_rows} from {len(c['partner_claims'])} partners",
            f"  outreach events        {c['outreach']['events']} in {c['outreach']['files']} files",
            f"  treatment exports      {exports} (second: {c['treatments']['second_vs_first']})",
            f"  injected defects       {len(self.defects)}",
        ]
        return "\n".join(lines)


def generate_population(
    out: Path,
    *,
    patients: int,
    seed: int,
    readmission_rate: float = 0.15,
    defect_rate: float = 0.0,
    progress: Callable[[int], None] | None = None,
    as_of: date = DEFAULT_AS_OF,
    history_years: int = 10,
    partners: tuple[str, ...] = DEFAULT_PARTNERS,
    coordinators: int = DEFAULT_COORDINATORS,
    workers: int | None = None,
    chunk_size: int | None = None,
) -> GenerationReport:
    """Generate a deterministic, Synthea-shaped population into the landing folder ``out``.

    Same arguments, byte-identical files, whatever ``workers`` and ``chunk_size`` are.
    ``progress(n)`` is called with the number of patients each finished chunk added.
    """
    if patients < 1:
        raise ValueError("patients must be at least 1")
    if not (0.0 <= readmission_rate <= 1.0 and 0.0 <= defect_rate <= 1.0):
        raise ValueError("readmission_rate and defect_rate must be between 0 and 1")
    settings = Settings(
        patients=patients,
        seed=seed,
        readmission_rate=readmission_rate,
        defect_rate=defect_rate,
        as_of=as_of,
        history_years=history_years,
        partners=tuple(partners),
        partner_claim_months=24,
        outreach_years=5,
        treatment_years=3,
        coordinators=coordinators,
    )
    out = Path(out)
    _prepare(out)
    results = _run_chunks(settings, out, workers, chunk_size, progress)
    defects: list[Defect] = []
    counts: dict[str, Any] = {"patients": patients, "parameters": _parameters(settings)}
    counts["fhir"] = _assemble_fhir(out, settings, results, defects)
    counts["csv"] = _assemble_csv(out, results, defects)
    counts["partner_claims"] = _write_partner_claims(out, settings, results, defects)
    counts["outreach"] = _write_outreach(out, settings, results, defects)
    counts["treatments"] = _write_treatments(out, settings, results)
    counts["truth"] = _write_truth(out, results)
    shutil.rmtree(out / ".parts", ignore_errors=True)
    ordered = sorted(
        defects, key=lambda d: (d.path, d.line if d.line is not None else -1, d.entry or 0, d.kind, d.id)
    )
    report = GenerationReport(out, counts, [d.to_json() for d in ordered])
    document = {"generator": "carelake.generate", "counts": counts, "defects": report.defects}
    (out / "_report.json").write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return report


def _parameters(settings: Settings) -> dict[str, Any]:
    return {
        "patients": settings.patients,
        "seed": settings.seed,
        "readmission_rate": settings.readmission_rate,
        "defect_rate": settings.defect_rate,
        "as_of": settings.as_of.isoformat(),
        "history_start": settings.history_start.isoformat(),
        "partners": list(settings.partners),
        "partner_claim_months": settings.partner_claim_months,
        "outreach_years": settings.outreach_years,
        "treatment_years": settings.treatment_years,
        "coordinators": settings.coordinators,
    }


def _prepare(out: Path) -> None:
    """Remove what an earlier run wrote here (only the generator's own outputs).

    A folder that holds any of those names but no marker file was not written by the
    generator: it is left alone and the run stops, rather than deleting someone's data.
    """
    out.mkdir(parents=True, exist_ok=True)
    clashes = [name for name in OUTPUTS if (out / name).exists()]
    if clashes and not (out / MARKER).is_file():
        raise FileExistsError(
            f"{out} already holds {', '.join(clashes)} and is not a carelake landing folder"
        )
    (out / MARKER).write_text("written by carelake generate; its outputs are replaced on every run\n")
    for name in OUTPUTS:
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    for name in (
        "fhir/bundles",
        "fhir/ndjson",
        "csv",
        "claims",
        "care_mgmt",
        "treatments",
        "_truth",
        ".parts",
    ):
        (out / name).mkdir(parents=True, exist_ok=True)


# --- chunks -------------------------------------------------------------------------


def _chunk_task(settings: Settings, out: str, task: tuple[int, int, int]) -> ChunkResult:
    chunk, start, stop = task
    return run_chunk(settings, Path(out), chunk, start, stop)


def _run_chunks(
    settings: Settings,
    out: Path,
    workers: int | None,
    chunk_size: int | None,
    progress: Callable[[int], None] | None,
) -> list[ChunkResult]:
    available = os.cpu_count() or 1
    workers = max(1, workers if workers is not None else (1 if settings.patients < 100 else available))
    size = chunk_size or max(10, min(100, math.ceil(settings.patients / (workers * 4))))
    tasks = [
        (number, start, min(start + size, settings.patients))
        for number, start in enumerate(range(0, settings.patients, size))
    ]
    build_directory()  # build once before forking, so workers inherit it
    run = partial(_chunk_task, settings, str(out))
    results: dict[int, ChunkResult] = {}
    if workers == 1 or len(tasks) == 1:
        for task in tasks:
            results[task[0]] = run(task)
            if progress:
                progress(results[task[0]].patients)
    else:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        with context.Pool(processes=min(workers, len(tasks))) as pool:
            for result in pool.imap_unordered(run, tasks):
                results[result.chunk] = result
                if progress:
                    progress(result.patients)
    return [results[number] for number in sorted(results)]


def _concatenate(target: Path, parts: list[Path]) -> None:
    with target.open("wb") as sink:
        for part in parts:
            if part.exists():
                with part.open("rb") as source:
                    shutil.copyfileobj(source, sink, length=1 << 20)


def _absolute_lines(
    defects: list[Defect],
    results: list[ChunkResult],
    path_prefix: str,
    counts_of: Callable[[ChunkResult], dict[str, int]],
    header_lines: int,
) -> None:
    """Turn chunk-relative 0-based line numbers into file line numbers (1-based)."""
    offsets: dict[tuple[str, int], int] = {}
    running: dict[str, int] = {}
    for result in results:
        for name, lines in counts_of(result).items():
            offsets[(name, result.chunk)] = running.get(name, 0)
            running[name] = running.get(name, 0) + lines
    for result in results:
        for defect in result.defects:
            if not defect.path.startswith(path_prefix) or defect.line is None:
                continue
            name = defect.path.rsplit("/", 1)[1]
            key = name if path_prefix == "fhir/ndjson/" else name.removesuffix(".csv")
            defect.line = header_lines + offsets[(key, result.chunk)] + defect.line + 1
            original = defect.extra.get("original_path")
            if original is not None:
                original_name = original.rsplit("/", 1)[1]
                defect.extra["original_line"] = (
                    header_lines + offsets[(original_name, result.chunk)] + defect.extra["original_line"] + 1
                )


# --- FHIR ---------------------------------------------------------------------------


def _assemble_fhir(
    out: Path, settings: Settings, results: list[ChunkResult], defects: list[Defect]
) -> dict[str, Any]:
    ndjson_dir = out / "fhir" / "ndjson"
    names = sorted({name for result in results for name in result.ndjson_lines})
    for name in names:
        _concatenate(
            ndjson_dir / name, [part_dir(out, r.chunk) / name for r in results if name in r.ndjson_lines]
        )
    _absolute_lines(defects, results, "fhir/ndjson/", lambda r: r.ndjson_lines, header_lines=0)
    resources: dict[str, int] = {}
    lines: dict[str, int] = {}
    for result in results:
        for resource_type, count in result.resource_counts.items():
            resources[resource_type] = resources.get(resource_type, 0) + count
        for name, count in result.ndjson_lines.items():
            lines[name] = lines.get(name, 0) + count
    directory_counts = _write_directory(out, settings)
    for resource_type, count in directory_counts.items():
        resources[resource_type] = count
        lines[f"{resource_type}.ndjson"] = count
    for result in results:
        defects.extend(d for d in result.defects if d.path.startswith("fhir/"))
    return {
        "patient_bundles": sum(r.patients for r in results),
        "directory_bundles": 2,
        "resources": dict(sorted(resources.items())),
        "ndjson_lines": dict(sorted(lines.items())),
    }


def _write_directory(out: Path, settings: Settings) -> dict[str, int]:
    """Practitioner, Organization and Location: NDJSON plus Synthea's two batch bundles."""
    directory = build_directory()
    updated = day_epoch(settings.history_start)
    organizations = [
        ("Organization", o.id, organization_resource(o, updated)) for o in directory.organizations
    ]
    locations = [("Location", o.location_id, location_resource(o, updated)) for o in directory.organizations]
    practitioners = [
        ("Practitioner", p.id, practitioner_resource(p, updated)) for p in directory.practitioners
    ]
    stamp = day_epoch(settings.as_of) * 1000  # Synthea suffixes these files with a run timestamp
    bundles = out / "fhir" / "bundles"
    (bundles / f"hospitalInformation{stamp}.json").write_text(
        directory_bundle(organizations + locations), encoding="utf-8"
    )
    (bundles / f"practitionerInformation{stamp}.json").write_text(
        directory_bundle(practitioners), encoding="utf-8"
    )
    ndjson = out / "fhir" / "ndjson"
    for resource_type, group in (
        ("Organization", organizations),
        ("Location", locations),
        ("Practitioner", practitioners),
    ):
        (ndjson / f"{resource_type}.ndjson").write_text(
            "".join(dumps(r) + "\n" for _, _, r in group), encoding="utf-8"
        )
    return {
        "Organization": len(organizations),
        "Location": len(locations),
        "Practitioner": len(practitioners),
    }


# --- CSV ----------------------------------------------------------------------------


def _assemble_csv(out: Path, results: list[ChunkResult], defects: list[Defect]) -> dict[str, int]:
    csv_dir = out / "csv"
    counts: dict[str, int] = {}
    for table in PATIENT_TABLES:
        target = csv_dir / f"{table}.csv"
        target.write_text(HEADERS[table] + "\n", encoding="utf-8")
        with target.open("ab") as sink:
            for result in results:
                part = part_dir(out, result.chunk) / f"{table}.csv"
                with part.open("rb") as source:
                    shutil.copyfileobj(source, sink, length=1 << 20)
        counts[table] = sum(r.csv_lines.get(table, 0) for r in results)
    _absolute_lines(defects, results, "csv/", lambda r: r.csv_lines, header_lines=1)
    for result in results:
        defects.extend(d for d in result.defects if d.path.startswith("csv/"))
    stats = UsageStats()
    for result in results:
        stats.add(result.stats)
    for table, rows in global_rows(build_directory(), stats).items():
        (csv_dir / f"{table}.csv").write_text(
            HEADERS[table] + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8"
        )
        counts[table] = len(rows)
    return {table: counts[table] for table in (*PATIENT_TABLES, *GLOBAL_TABLES)}


# --- partner claims -------------------------------------------------------------------


def _write_partner_claims(
    out: Path, settings: Settings, results: list[ChunkResult], defects: list[Defect]
) -> dict[str, dict[str, int]]:
    files: dict[tuple[str, str], list[tuple[Any, tuple[str, ...]]]] = {}
    for result in results:
        for partner, reported, row in result.partner_rows:
            files.setdefault((partner, batch_file_name(partner, reported, settings.as_of)), []).append(
                (reported, row)
            )
    rng = stream(settings.seed, "partner_defects") if settings.defect_rate > 0 else None
    counts: dict[str, dict[str, int]] = {p: {"files": 0, "rows": 0, "members": 0} for p in settings.partners}
    for result in results:
        for member in result.members:
            counts[member.partner]["members"] += 1
    for (partner, name), entries in sorted(files.items()):
        entries.sort(key=lambda e: (e[0], e[1][0], int(e[1][1])))
        rows = [list(row) for _, row in entries]
        path = f"claims/partner={partner}/{name}"
        if rng is not None:
            for position, row in enumerate(rows):
                if rng.random() < settings.defect_rate:
                    defects.append(_break_partner_row(row, rng, path, position + 2))
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.StringIO()
        writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(PARTNER_COLUMNS)
        writer.writerows(rows)
        target.write_text(buffer.getvalue(), encoding="utf-8")
        counts[partner]["files"] += 1
        counts[partner]["rows"] += len(rows)
    return counts


def _break_partner_row(row: list[str], rng: Any, path: str, line: int) -> Defect:
    column_index = {name: i for i, name in enumerate(PARTNER_COLUMNS)}
    kind = rng.choice(bad.PARTNER_KINDS)
    row_id = f"{row[0]}:{row[1]}"
    if kind == "bad_icd10":
        column, value = "icd10_primary", rng.choice(bad.BAD_ICD10)
    elif kind == "bad_cpt":
        column, value = "procedure_code", rng.choice(bad.BAD_CPT)
    elif kind == "negative_amount":
        column = rng.choice(("billed_amount", "allowed_amount", "paid_amount"))
        value = f"-{row[column_index[column]]}" if row[column_index[column]] != "0.00" else "-12.50"
    elif kind == "non_numeric_amount":
        column, value = (
            rng.choice(("billed_amount", "allowed_amount", "paid_amount")),
            rng.choice(bad.NON_NUMERIC),
        )
    else:
        column, value = "member_id", ""
    row[column_index[column]] = value
    return Defect(
        kind, path, row_id, table="partner_claims", line=line, extra={"column": column, "value": value}
    )


# --- outreach -----------------------------------------------------------------------


def _write_outreach(
    out: Path, settings: Settings, results: list[ChunkResult], defects: list[Defect]
) -> dict[str, int]:
    events = sorted(
        (e for r in results for e in r.outreach), key=lambda e: (e["received_at"], e["record_id"])
    )
    rng = stream(settings.seed, "outreach_defects") if settings.defect_rate > 0 else None
    files = 0
    for number, first in enumerate(range(0, len(events), OUTREACH_EVENTS_PER_FILE), start=1):
        path = f"care_mgmt/outreach-{number:04d}.jsonl"
        lines = []
        for position, event in enumerate(events[first : first + OUTREACH_EVENTS_PER_FILE]):
            text = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
            if rng is not None and rng.random() < settings.defect_rate:
                text, defect = _break_outreach(event, text, rng, path, position + 1)
                defects.append(defect)
            lines.append(text)
        (out / path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        files += 1
    return {"files": files, "events": len(events)}


def _break_outreach(event: dict[str, Any], text: str, rng: Any, path: str, line: int) -> tuple[str, Defect]:
    if rng.random() < 0.5:
        return bad.malformed(text, rng), Defect(
            "outreach_malformed_json", path, event["record_id"], table="outreach", line=line
        )
    column = rng.choice(("channel", "status"))
    value = rng.choice(bad.BAD_CHANNELS if column == "channel" else bad.BAD_STATUSES)
    broken = dict(event, **{column: value})
    defect = Defect(
        "outreach_invalid_enum",
        path,
        event["record_id"],
        table="outreach",
        line=line,
        extra={"column": column, "value": value},
    )
    return json.dumps(broken, separators=(",", ":"), ensure_ascii=False), defect


# --- treatments and truth --------------------------------------------------------------


def _write_treatments(out: Path, settings: Settings, results: list[ChunkResult]) -> dict[str, Any]:
    treatments = [t for r in results for t in r.treatments]
    first, second = export_times(settings)
    exports = [write_export(out / "treatments", settings.seed, ts, treatments) for ts in (first, second)]
    return {"exports": exports, "second_vs_first": compare_exports(treatments, first, second)}


def _write_truth(out: Path, results: list[ChunkResult]) -> dict[str, int]:
    """Ground truth for identity resolution tests: partner members and twins."""
    twins = {patient_id: household for r in results for patient_id, household in r.twins}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("source", "source_id", "patient_id", "noise", "twin_household"))
    members = 0
    for result in results:
        for member in result.members:
            household = twins.get(member.patient_id)
            writer.writerow(
                (
                    f"claims:{member.partner}",
                    member.member_id,
                    member.patient_id,
                    "|".join(member.noise),
                    "" if household is None else household,
                )
            )
            members += 1
    for patient_id, household in sorted(twins.items(), key=lambda item: (item[1], item[0])):
        writer.writerow(("ehr", patient_id, patient_id, "", household))
    (out / "_truth" / "identity_crosswalk.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return {"partner_members": members, "twin_patients": len(twins)}
