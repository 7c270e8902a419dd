"""The one writer's column check (carelake.pipeline.writer.conformed) on explicit schemas (chispa).

A frame reaches its table with exactly the declared columns, in the declared order, each of
its declared type; the partition columns follow as they are. Columns already of their type
are taken as they are, the others cast; a missing or undeclared column is an error.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import types as T

from carelake.declarations import Table, schema
from carelake.pipeline.writer import SchemaMismatch, conformed

pytestmark = pytest.mark.spark

CLAIMS = Table(
    zone="silver",
    name="claim_amounts",
    description="test table",
    schema=schema("claim_id string, amount decimal(10,2), lines bigint, codes array<string>", ("claim_id",)),
    partition_keys=("dt",),
)
ARRIVING = T.StructType(
    [
        T.StructField("dt", T.StringType()),
        T.StructField("lines", T.IntegerType()),  # int where bigint is declared
        T.StructField("codes", T.ArrayType(T.StringType())),
        T.StructField("amount", T.StringType()),  # text where decimal(10,2) is declared
        T.StructField("claim_id", T.StringType()),
    ]
)


def test_columns_come_in_declared_order_and_type_with_the_partition_columns_after(spark) -> None:
    frame = spark.createDataFrame(
        [("2026-03-02", 2, ["E11.9"], "12.5", "c1"), ("2026-03-02", 1, None, None, "c2")], ARRIVING
    )
    expected = spark.createDataFrame(
        [("c1", Decimal("12.50"), 2, ["E11.9"], "2026-03-02"), ("c2", None, 1, None, "2026-03-02")],
        T.StructType([*CLAIMS.schema.fields, T.StructField("dt", T.StringType())]),
    )
    # Nullability is the frame's: a cast does not make claim_id, declared not null, non-nullable.
    assert_df_equality(conformed(frame, CLAIMS, ["dt"]), expected, ignore_nullable=True)


def test_only_columns_of_another_type_are_cast(spark) -> None:
    frame = spark.createDataFrame([], ARRIVING)
    plan = conformed(frame, CLAIMS, ["dt"])._jdf.queryExecution().analyzed().toString()
    cast = {name: f"cast({name}#" in plan.lower() for name in CLAIMS.columns}
    assert cast == {"claim_id": False, "amount": True, "lines": True, "codes": False}


@pytest.mark.parametrize(
    ("drop", "add", "message"),
    [
        ("amount", None, r"columns missing \['amount'\], not declared \[\]"),
        (None, "note", r"columns missing \[\], not declared \['note'\]"),
    ],
)
def test_a_missing_or_undeclared_column_is_an_error(spark, drop, add, message) -> None:
    frame = spark.createDataFrame([], ARRIVING)
    if drop:
        frame = frame.drop(drop)
    if add:
        frame = frame.selectExpr("*", f"'x' as {add}")
    with pytest.raises(SchemaMismatch, match=message):
        conformed(frame, CLAIMS, ["dt"])
