"""Every lake table with its schema, partition keys and data classification.

The schemas are the Spark schemas the jobs write. ``carelake catalog`` exports them to
jobs/catalog.json, which Terraform (Glue tables with partition projection) and the
Athena DDL in sql/ddl/ read; a test keeps that file in step with this module.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyspark.sql import SparkSession
from pyspark.sql import types as T

from carelake.accounting import JOB_RUN_SCHEMA, JOB_RUN_TABLE, QUARANTINE_SCHEMA, QUARANTINE_TABLE
from carelake.bronze import partner_claims
from carelake.bronze.csv_parsing import bronze_csv_schema
from carelake.bronze.fhir import BRONZE_FHIR_COLUMNS, INSPECTION_SCHEMA, RECORD_SCHEMA
from carelake.bronze.outreach import BRONZE_OUTREACH_SCHEMA
from carelake.bronze.outreach import TABLE as OUTREACH_TABLE
from carelake.bronze.synthea_csv import SYNTHEA_CSV_TABLES
from carelake.fhir.resource_types import BRONZE_RESOURCE_TYPES, OTHER_TABLE, bronze_table_for

PHI = "phi"
DEIDENTIFIED = "deidentified"
NON_PHI = "non-phi"

# Synthea CSV columns that identify a person directly (HIPAA Safe Harbor identifiers).
_CSV_DIRECT_IDENTIFIERS = {
    "patients": ("ssn", "drivers", "passport", "prefix", "first", "last", "suffix", "maiden", "birthplace",
                 "address", "lat", "lon"),
    "payer_transitions": ("memberid", "ownername"),
}  # fmt: skip


@dataclass(frozen=True)
class LakeTable:
    zone: str
    name: str
    description: str
    schema: T.StructType
    partition_keys: tuple[str, ...] = ("dt",)
    data_classification: str = PHI
    direct_identifier_columns: tuple[str, ...] = field(default=())

    def to_json(self) -> dict:
        return {
            "zone": self.zone,
            "name": self.name,
            "description": self.description,
            "data_classification": self.data_classification,
            "format": "parquet",
            "partition_keys": [{"name": key, "type": "string"} for key in self.partition_keys],
            "columns": [{"name": f.name, "type": f.dataType.simpleString()} for f in self.schema.fields],
            "direct_identifier_columns": list(self.direct_identifier_columns),
        }


def _bronze_fhir_schema() -> T.StructType:
    by_name = {f.name: f for f in [*INSPECTION_SCHEMA.fields, *RECORD_SCHEMA.fields]}
    by_name["resource_json"] = T.StructField("resource_json", T.StringType(), True)
    return T.StructType([by_name[name] for name in BRONZE_FHIR_COLUMNS])


def bronze_tables() -> Iterator[LakeTable]:
    fhir_schema = _bronze_fhir_schema()
    for resource_type in BRONZE_RESOURCE_TYPES:
        yield LakeTable("bronze", bronze_table_for(resource_type),
                        f"FHIR R4 {resource_type} resources as landed: common columns + original JSON.",
                        fhir_schema, direct_identifier_columns=("resource_json",))  # fmt: skip
    yield LakeTable("bronze", OTHER_TABLE, "Valid FHIR R4 resources of types without a table of their own.",
                    fhir_schema, direct_identifier_columns=("resource_json",))  # fmt: skip
    for spec in SYNTHEA_CSV_TABLES.values():
        yield LakeTable("bronze", spec.table, f"Synthea CSV export {spec.file}.csv, typed, with the raw line.",
                        bronze_csv_schema(spec),
                        direct_identifier_columns=(*_CSV_DIRECT_IDENTIFIERS.get(spec.file, ()), "raw_line"))  # fmt: skip
    yield from partner_claims.lake_tables()
    yield LakeTable("bronze", OUTREACH_TABLE, "Care-manager outreach events as Firehose landed them, validated.",
                    BRONZE_OUTREACH_SCHEMA, direct_identifier_columns=("patient_id", "note"))  # fmt: skip


def quarantine_tables() -> Iterator[LakeTable]:
    yield LakeTable("quarantine", QUARANTINE_TABLE, "Records a job could not accept, with source location and reason.",
                    QUARANTINE_SCHEMA, ("job", "dt"), direct_identifier_columns=("record",))  # fmt: skip
    yield LakeTable("quarantine", JOB_RUN_TABLE, "One row per job run: rows read, written per table, quarantined.",
                    JOB_RUN_SCHEMA, ("job", "dt"), NON_PHI)  # fmt: skip


# Silver columns that identify a person directly (excluded from analysts by Lake Formation).
SILVER_DIRECT_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "dim_patient": ("mrn",),
    "fct_outreach": ("mrn", "note"),
}
SILVER_DESCRIPTIONS: dict[str, str] = {
    "mpi_crosswalk": "Master patient index: every source record's patient_key, with the rule and score.",
    "mpi_review": "Ambiguous or unmatched identity records for a person to review.",
    "unresolved_reference": "References kept on facts whose target no table holds.",
}


def static_tables() -> list[LakeTable]:
    """Tables whose schemas are declared in code (bronze, treatments, quarantine)."""
    from carelake.silver.treatments import lake_tables as treatment_tables

    return [*bronze_tables(), *treatment_tables(), *quarantine_tables()]


def silver_tables(spark: SparkSession) -> list[LakeTable]:
    """bronze_to_silver's tables, with the schemas its transforms produce (built on empty bronze)."""
    from carelake.silver.build import SILVER_KEYS, build_silver
    from carelake.silver.codes import CodeMaps
    from carelake.silver.io import with_partition_columns

    bronze = {t.name: spark.createDataFrame([], with_partition_columns(t)) for t in bronze_tables()}
    output = build_silver(bronze, CodeMaps.load(spark))
    tables = []
    for name, table in sorted(output.tables.items()):
        description = SILVER_DESCRIPTIONS.get(name, f"Silver {name}; grain: {', '.join(SILVER_KEYS[name])}.")
        identifiers = SILVER_DIRECT_IDENTIFIERS.get(name, ())
        tables.append(LakeTable("silver", name, description, table.rows().schema, (), PHI, identifiers))
    return tables


def all_tables(spark: SparkSession) -> list[LakeTable]:
    from carelake.gold.schemas import lake_tables as gold_tables

    return [*static_tables(), *silver_tables(spark), *gold_tables()]


def tables_by_name(zone: str) -> dict[str, LakeTable]:
    """The zone's tables declared in code, by name (bronze, quarantine, treatments)."""
    return {t.name: t for t in static_tables() if t.zone == zone}


def catalog_document(spark: SparkSession) -> dict:
    tables = sorted(all_tables(spark), key=lambda t: (t.zone, t.name))
    return {"version": 1, "tables": [t.to_json() for t in tables]}


def catalog_json(spark: SparkSession) -> str:
    return json.dumps(catalog_document(spark), indent=2) + "\n"
