"""Standard codes on silver facts: SNOMED CT -> ICD-10-CM -> diagnosis category, and
SNOMED CT procedures -> CPT/HCPCS, from the versioned reference tables in
carelake/reference (see docs/reference-data.md). A code the tables do not map keeps its
row, with category 'Unmapped', and is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.reference import UNMAPPED


@F.pandas_udf(T.StringType())  # type: ignore[call-overload]
def _icd10_body_system(codes: pd.Series) -> pd.Series:
    """reference.ccsr_body_system per code, the codes arriving in Arrow batches."""
    from carelake import reference

    return pd.Series([reference.ccsr_body_system(code) for code in codes], dtype=object)


@dataclass(frozen=True)
class CodeMaps:
    """The code maps as small Spark frames; diagnosis_category is a CCSR body-system code (CIR, RSP, ...)."""

    condition_map: DataFrame  # snomed_code, icd10cm_code, diagnosis_category
    procedure_map: DataFrame  # snomed_code, cpt_code

    @classmethod
    def load(cls, spark: SparkSession) -> CodeMaps:
        """The reference tables shipped in the carelake package (carelake.reference)."""
        from carelake import reference

        conditions = [(r.snomed_code, r.icd10cm_code, r.ccsr_body_system) for r in reference.condition_map()]
        procedures = [(r.snomed_code, r.cpt_hcpcs_code) for r in reference.procedure_map()]
        return cls(
            condition_map=spark.createDataFrame(
                conditions, "snomed_code string, icd10cm_code string, diagnosis_category string"
            ),
            procedure_map=spark.createDataFrame(procedures, "snomed_code string, cpt_code string"),
        )


def with_condition_codes(df: DataFrame, snomed: str, codes: CodeMaps, prefix: str = "") -> DataFrame:
    """Add <prefix>icd10cm_code and <prefix>diagnosis_category for a SNOMED condition column."""
    lookup = codes.condition_map.select(
        F.col("snomed_code").alias("_snomed"),
        F.col("icd10cm_code").alias(f"{prefix}icd10cm_code"),
        F.col("diagnosis_category").alias(f"_{prefix}category"),
    )
    joined = df.join(F.broadcast(lookup), df[snomed] == F.col("_snomed"), "left").drop("_snomed")
    return joined.withColumn(
        f"{prefix}diagnosis_category", _category(F.col(snomed), F.col(f"_{prefix}category"))
    ).drop(f"_{prefix}category")


def with_icd10_category(df: DataFrame, icd10: str, out: str = "diagnosis_category") -> DataFrame:
    """The body system of an ICD-10-CM code column (chapter ranges of the reference data)."""
    return df.withColumn(out, _category(F.col(icd10), _icd10_body_system(F.col(icd10))))


def with_procedure_codes(df: DataFrame, snomed: str, codes: CodeMaps) -> DataFrame:
    lookup = codes.procedure_map.select(F.col("snomed_code").alias("_snomed"), "cpt_code")
    return df.join(F.broadcast(lookup), df[snomed] == F.col("_snomed"), "left").drop("_snomed")


def _category(code: Column, category: Column) -> Column:
    """A category for every coded row: the mapped one, or 'Unmapped'; no code -> null."""
    return F.when(code.isNotNull(), F.coalesce(F.when(category != UNMAPPED, category), F.lit(UNMAPPED)))
