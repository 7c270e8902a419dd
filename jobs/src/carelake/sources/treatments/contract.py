"""DynamoDB treatment exports: where they land, the item contract, and silver.fct_treatment.

The treatments table is exported (full or incremental export to S3, DynamoDB JSON) under
``raw/treatments/dt=<date>/<any folders>/AWSDynamoDB/<export-id>/``: ``manifest-summary.json``,
``manifest-files.json`` and ``data/*.json.gz`` (one ``{"Item": {...}}`` per line;
docs/data-contracts.md). treatments_to_silver merges the items into silver.fct_treatment,
latest ``metadata_modified_at`` wins per treatment_id.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from pyspark.sql import types as T

from carelake.declarations import Classification, FileKind, RawSource, Table

SOURCE = "treatments"  # quarantine.quarantined_record.source
RAW = RawSource(
    name=SOURCE,
    description="DynamoDB exports of the treatments table (DynamoDB JSON, gzipped data files, two manifests).",
    job="treatments_to_silver",
    prefix="treatments",
    layout="dt=<YYYY-MM-DD>/<any folders>/AWSDynamoDB/<export-id>/{manifest-summary.json, manifest-files.json, data/<file>.json.gz}",
    path_pattern=r"dt=(?P<dt>\d{4}-\d{2}-\d{2})/(?P<export_dir>(?:.+/)?AWSDynamoDB/(?P<export_id>[^/]+))/(?P<rest>.+)",
    formats={".json": FileKind.WHOLE_TEXT, ".md5": FileKind.WHOLE_TEXT, ".json.gz": FileKind.LINES},
    expected_every_hours=26,
)
FCT_TABLE = "fct_treatment"
EXPORT_METADATA = (
    "manifest-summary.json",
    "manifest-files.json",
    "manifest-summary.md5",
    "manifest-files.md5",
    "_started",
)

OUTCOME_STATUSES = ("success", "failure", "in_progress")
# An item cannot change after its export was taken; this much clock difference between
# the application (metadata_modified_at) and DynamoDB (exportTime) is tolerated.
EXPORT_CLOCK_ALLOWANCE = timedelta(minutes=15)
COST_TYPE = T.DecimalType(12, 2)
COST_LIMIT = Decimal(10) ** 10  # decimal(12,2): ten digits before the point

# --- schemas ------------------------------------------------------------------------------

# The Item attributes of the contract and their DynamoDB types; the rest are unmodelled.
STRING_ATTRIBUTES = (
    "treatment_id", "patient_id", "provider_npi", "provider_name", "specialty", "city", "state", "disease",
    "treatment_type", "outcome_status",
)  # fmt: skip
REQUIRED_ATTRIBUTES = ("treatment_id", "patient_id", "outcome_status", "cost", "treatment_date",
                       "metadata_modified_at")  # fmt: skip
ATTRIBUTE_TYPES: dict[str, str] = {
    **dict.fromkeys(STRING_ATTRIBUTES, "S"),
    "cost": "N",
    "treatment_date": "S",
    "metadata_modified_at": "S",
}

# What one export line parses to (reason is null for a good item).
PARSED_ITEM_SCHEMA = T.StructType(
    [
        T.StructField("reason", T.StringType(), True),
        *(T.StructField(name, T.StringType(), True) for name in STRING_ATTRIBUTES),
        T.StructField("cost", COST_TYPE, True),
        T.StructField("treatment_date", T.DateType(), True),
        T.StructField("metadata_modified_at", T.TimestampType(), True),
        T.StructField("unmodelled_attributes", T.ArrayType(T.StringType()), True),
    ]
)

# silver.fct_treatment: one row per treatment_id (the grain), a snapshot.
FCT_TREATMENT_SCHEMA = T.StructType(
    [
        T.StructField("treatment_id", T.StringType(), False),
        T.StructField("patient_id", T.StringType(), False),  # EHR MRN; the MPI adds patient_key
        T.StructField("provider_npi", T.StringType(), True),
        T.StructField("provider_name", T.StringType(), True),
        T.StructField("specialty", T.StringType(), True),
        T.StructField("city", T.StringType(), True),
        T.StructField("state", T.StringType(), True),
        T.StructField("disease", T.StringType(), True),
        T.StructField("treatment_type", T.StringType(), True),
        T.StructField("outcome_status", T.StringType(), False),  # success | failure | in_progress
        T.StructField("cost", COST_TYPE, False),
        T.StructField("treatment_date", T.DateType(), False),
        T.StructField("metadata_modified_at", T.TimestampType(), False),  # UTC
        T.StructField("export_id", T.StringType(), False),  # lineage of the applied version
        T.StructField("source_file", T.StringType(), False),  # relative to the raw zone
        T.StructField("source_line", T.IntegerType(), False),
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)
FCT_COLUMNS = tuple(f.name for f in FCT_TREATMENT_SCHEMA.fields)


TABLES: tuple[Table, ...] = (
    Table(
        "silver", FCT_TABLE,
        "One row per treatment (DynamoDB treatment records, latest version by metadata_modified_at).",
        FCT_TREATMENT_SCHEMA, key=("treatment_id",), classification=Classification.PHI,
        direct_identifiers=("patient_id",),
        dedup_order=("metadata_modified_at desc", "landed_at desc nulls last", "source_file desc", "source_line desc"),
    ),
)  # fmt: skip
