"""The silver columns gold reads, with their types.

silver_to_gold reads only these columns of each silver table (cast to these types), so a
column silver adds later changes nothing here, and a column gold needs but silver lost
fails the run with the table and column named. Tests build their silver frames on the
same schemas (``empty`` and ``frame``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.sources.treatments.contract import FCT_TREATMENT_SCHEMA

_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "int": T.IntegerType(),
    "boolean": T.BooleanType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "decimal(14,2)": T.DecimalType(14, 2),
}


def _ddl(spec: str) -> T.StructType:
    """``"a string, b date"`` -> StructType (no SparkContext needed, unlike Spark's DDL parser)."""
    fields = []
    for column in spec.split(", "):
        name, type_name = column.strip().split(" ")
        fields.append(T.StructField(name, _TYPES[type_name], True))
    return T.StructType(fields)


MONEY = "decimal(14,2)"

SILVER_INPUTS: dict[str, T.StructType] = {
    "dim_patient": _ddl(
        "patient_key string, ehr_patient_id string, mrn string, gender string, birth_date date, death_date date, "
        "race string, ethnicity string, zip3 string"
    ),
    "fct_encounter": _ddl(
        "encounter_id string, patient_key string, encounter_class string, encounter_type_code string, "
        "start_at timestamp, end_at timestamp, admit_date date, discharge_date date, length_of_stay_days int, "
        "discharge_disposition_code string, provider_key string, organization_id string, payer_key string, "
        "reason_code string, reason_icd10cm_code string"
    ),
    "fct_condition": _ddl(
        "patient_key string, snomed_code string, onset_date date, abatement_date date, icd10cm_code string"
    ),
    "fct_procedure": _ddl(
        "patient_key string, encounter_id string, snomed_code string, snomed_display string, cpt_code string, "
        f"performed_at timestamp, base_cost {MONEY}"
    ),
    "fct_claim": _ddl(
        "claim_key string, source string, patient_key string, encounter_id string, payer_key string, "
        "provider_npi string, provider_id string, service_from timestamp, diagnosis_code string, "
        f"diagnosis_system string, icd10cm_code string, billed_amount {MONEY}, allowed_amount {MONEY}, "
        f"paid_amount {MONEY}, claim_status string, denial_reason string, is_initially_denied boolean, "
        "is_appealed boolean, is_overturned boolean"
    ),
    "fct_outreach": _ddl(
        "outreach_id string, patient_key string, coordinator_id string, event_at timestamp, "
        "event_local_date date, channel string, status string, is_successful boolean"
    ),
    "dim_provider": _ddl(
        "provider_key string, npi string, provider_name string, specialty string, organization_id string, "
        "city string, state string, is_inferred boolean"
    ),
    "dim_organization": _ddl(
        "organization_id string, organization_name string, city string, state string, zip5 string, "
        "is_inferred boolean"
    ),
    "dim_payer": _ddl("payer_key string, payer_name string, payer_type string"),
    "fct_treatment": T.StructType(
        [
            T.StructField(f.name, f.dataType, True)
            for f in FCT_TREATMENT_SCHEMA.fields
            if f.name not in ("export_id", "source_file", "source_line", "landed_at")
        ]
    ),
}


class SilverSchemaError(ValueError):
    """A silver table lacks a column gold reads."""


def conform_input(df: DataFrame, table: str) -> DataFrame:
    """The columns of SILVER_INPUTS[table], cast to their types; raises SilverSchemaError."""
    schema = SILVER_INPUTS[table]
    missing = [f.name for f in schema.fields if f.name not in df.columns]
    if missing:
        raise SilverSchemaError(
            f"silver.{table} has no column(s) {missing}; gold reads {schema.fieldNames()}"
        )
    return df.select(*(F.col(f.name).cast(f.dataType).alias(f.name) for f in schema.fields))


def sql_literal(value: Any, data_type: T.DataType) -> str:
    """``value`` as a Spark SQL literal of ``data_type`` (for :func:`local_frame`)."""
    if value is None:
        return f"CAST(NULL AS {data_type.simpleString()})"
    if isinstance(data_type, T.StringType):
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(data_type, T.BooleanType):
        return "true" if value else "false"
    if isinstance(data_type, T.DateType):
        return f"DATE'{value.isoformat()}'"
    if isinstance(data_type, T.TimestampType):
        return f"TIMESTAMP'{value.isoformat(sep=' ')}'"
    if isinstance(data_type, T.MapType):
        items = [
            x
            for k, v in value.items()
            for x in (sql_literal(k, data_type.keyType), sql_literal(v, data_type.valueType))
        ]
        return f"CAST(map({', '.join(items)}) AS {data_type.simpleString()})"
    if isinstance(data_type, T.ArrayType):
        items = [sql_literal(v, data_type.elementType) for v in value]
        return f"CAST(array({', '.join(items)}) AS {data_type.simpleString()})"
    return f"CAST('{value}' AS {data_type.simpleString()})"


def local_frame(
    spark: SparkSession, schema: T.StructType, rows: Iterable[dict[str, Any] | Sequence[Any]]
) -> DataFrame:
    """A small frame of ``schema`` as a local relation (one SQL statement): Spark knows its
    size, so joins with it are broadcast, and it needs no Python worker. Rows are dicts
    (missing keys are null) or tuples in schema order."""
    names = schema.fieldNames()
    values = []
    for row in rows:
        cells = [row.get(n) for n in names] if isinstance(row, dict) else list(row)
        values.append(
            "("
            + ", ".join(sql_literal(v, f.dataType) for v, f in zip(cells, schema.fields, strict=True))
            + ")"
        )
    columns = ", ".join(
        f"CAST(c{i} AS {f.dataType.simpleString()}) AS `{f.name}`" for i, f in enumerate(schema.fields)
    )
    aliases = ", ".join(f"c{i}" for i in range(len(names)))
    if not values:
        nulls = ", ".join(f"CAST(NULL AS {f.dataType.simpleString()}) AS `{f.name}`" for f in schema.fields)
        return spark.sql(f"SELECT {nulls} WHERE false")
    return spark.sql(f"SELECT {columns} FROM VALUES {', '.join(values)} AS t({aliases})")


def frame(spark: SparkSession, table: str, rows: Iterable[dict[str, Any] | Sequence[Any]]) -> DataFrame:
    """A silver frame of SILVER_INPUTS[table] (rows as dicts: missing columns are null)."""
    return local_frame(spark, SILVER_INPUTS[table], rows)


def empty(spark: SparkSession, table: str) -> DataFrame:
    return local_frame(spark, SILVER_INPUTS[table], [])
