"""The table registry: every lake table and every raw source, declared once.

Each declaration lives beside the code that fills the table (a source's ``contract``,
silver's and gold's ``tables``/``schemas``, the operational tables in
carelake.pipeline.accounting); this module only collects them. Everything else derives
from here: the writers (carelake.pipeline.writer checks every frame against its table),
``jobs/catalog.json`` (Terraform's Glue tables and Lake Formation grants), Athena DDL
(``carelake ddl``), the local query engine, the data-model document's table list, and
the raw layout that landing, the Lambdas and Terraform use.
"""

from __future__ import annotations

import json
from functools import cache

from carelake.declarations import Classification, RawSource, Table
from carelake.gold import deid as gold_deid
from carelake.gold import schemas as gold
from carelake.pipeline import accounting
from carelake.silver import state as silver_state
from carelake.silver import tables as silver
from carelake.sources.fhir import contract as fhir
from carelake.sources.outreach import contract as outreach
from carelake.sources.partner_claims import contract as partner_claims
from carelake.sources.synthea_csv import contract as synthea_csv
from carelake.sources.treatments import contract as treatments

ZONE_ORDER = ("raw", "bronze", "silver", "gold", "quarantine")
CATALOG_VERSION = 2


@cache
def tables() -> tuple[Table, ...]:
    """Every lake table, sorted by zone then name."""
    declared = (
        *fhir.TABLES, *synthea_csv.TABLES, *partner_claims.TABLES, *outreach.TABLES, *treatments.TABLES,
        *silver.TABLES, *silver_state.tables(), *gold.TABLES, *gold_deid.TABLES, *accounting.TABLES,
    )  # fmt: skip
    names = [t.qualified_name for t in declared]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"tables declared twice: {duplicates}")
    return tuple(sorted(declared, key=lambda t: (ZONE_ORDER.index(t.zone), t.name)))


@cache
def sources() -> tuple[RawSource, ...]:
    """Every raw source, by name."""
    return tuple(
        sorted(
            (fhir.RAW, synthea_csv.RAW, outreach.RAW, partner_claims.RAW, treatments.RAW),
            key=lambda s: s.name,
        )
    )


def table(qualified_name: str) -> Table:
    """A table by ``zone.name``."""
    by_name = {t.qualified_name: t for t in tables()}
    if qualified_name not in by_name:
        raise KeyError(f"no table {qualified_name} in the registry")
    return by_name[qualified_name]


def zone_tables(zone: str) -> dict[str, Table]:
    """A zone's tables by name."""
    return {t.name: t for t in tables() if t.zone == zone}


def source(name: str) -> RawSource:
    by_name = {s.name: s for s in sources()}
    if name not in by_name:
        raise KeyError(f"no raw source {name}")
    return by_name[name]


def initial_location(table: Table, writers: tuple[str, ...]) -> str:
    """Where a table's Glue location points before its first commit (relative to its zone's bucket).

    A table of one writer lives below ``job=<writer>/table=<name>/``; before the first commit an
    unpartitioned table points at an empty version folder (Athena reads a location and
    everything below it, so it must never point at the folder holding all versions). A
    table several jobs write is partitioned by ``job``; its partitions say where each is.
    """
    if len(writers) != 1:
        return f"table={table.name}/"
    root = f"job={writers[0]}/table={table.name}/"
    return root if table.partition_keys else f"{root}v=0000000-empty/"


def catalog_document() -> dict:
    """jobs/catalog.json: what Terraform (Glue tables, Lake Formation) reads."""
    from carelake.manifest import load_manifest

    writers = load_manifest().writers()
    return {
        "version": CATALOG_VERSION,
        "classifications": [c.value for c in Classification],
        "tables": [
            {
                "zone": t.zone,
                "name": t.name,
                "description": t.description,
                "data_classification": t.classification.value,
                "format": t.format,
                "key": list(t.key),
                "partition_keys": [{"name": k, "type": "string"} for k in t.partition_keys],
                "columns": [{"name": f.name, "type": f.dataType.simpleString()} for f in t.schema.fields],
                "direct_identifier_columns": list(t.direct_identifiers),
                "writers": list(writers.get(t.qualified_name, ())),
                "location": initial_location(t, writers.get(t.qualified_name, ())),
            }
            for t in tables()
        ],
        "raw_sources": [
            {
                "name": s.name,
                "description": s.description,
                "job": s.job,
                "prefix": s.prefix,
                "layout": s.layout,
                "path_pattern": s.path_pattern,
                "file_endings": sorted(s.formats),
                "expected_every_hours": s.expected_every_hours,
            }
            for s in sources()
        ],
    }


def catalog_json() -> str:
    return json.dumps(catalog_document(), indent=2) + "\n"


TABLE_LIST_BEGIN = "<!-- table list: generated by `carelake catalog` from carelake.registry; do not edit -->"
TABLE_LIST_END = "<!-- end of table list -->"


def table_list_markdown() -> str:
    """Every table, one row each: the section of docs/data-model.md the registry owns."""
    from carelake.manifest import load_manifest

    writers = load_manifest().writers()
    lines = [
        TABLE_LIST_BEGIN,
        "| table | key (grain) | partitions | classification | written by | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for t in tables():
        key = ", ".join(f"`{k}`" for k in t.key) or "-"
        partitions = ", ".join(f"`{k}`" for k in t.partition_keys) or "-"
        jobs = ", ".join(writers.get(t.qualified_name, ()))
        lines.append(
            f"| `{t.qualified_name}` | {key} | {partitions} | {t.classification.value} | {jobs} | {t.description} |"
        )
    lines.append(TABLE_LIST_END)
    return "\n".join(lines) + "\n"


def with_table_list(document: str) -> str:
    """``document`` with its generated table list replaced by the registry's (appended if absent)."""
    block = table_list_markdown()
    if TABLE_LIST_BEGIN in document and TABLE_LIST_END in document:
        start = document.index(TABLE_LIST_BEGIN)
        end = document.index(TABLE_LIST_END) + len(TABLE_LIST_END) + 1
        return document[:start] + block + document[end:]
    return document.rstrip("\n") + "\n\n## Every table\n\n" + block
