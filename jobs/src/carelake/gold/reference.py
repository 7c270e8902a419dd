"""Reference data for gold, from carelake.reference (docs/reference-data.md).

Nothing clinical is written down here: the code lists, flags, weights and point tables
all come from the versioned tables shipped in carelake/reference, through its helpers.

* Small whole tables (encounter classes, NUBC discharge dispositions) become broadcast
  lookup frames (:func:`encounter_class_flags`, :func:`disposition_flags`).
* LACE point bands (``lace_points``) become a CASE expression (:func:`lace_points`; the unit
  tests compare it with ``ref.lace_points`` over every value).
* Rules that combine several codes (planned admission: procedures + principal diagnosis;
  Charlson with its hierarchy; ICD-10-CM descriptions and groups) call the reference
  helpers themselves in Arrow-batched pandas UDFs, so gold and the helpers can never
  disagree. They only run on small inputs: inpatient stays, one code array per index stay,
  distinct diagnosis codes.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake import reference as ref
from carelake.gold.inputs import local_frame

SNOMED = "SNOMED"
CPT = "CPT"
ICD10CM = "ICD-10-CM"
PLANNED_REHABILITATION = "rehabilitation"  # the planned category that marks a non-acute admission


# --- lookup frames ---------------------------------------------------------------------------


def _schema(key: str, *flags: str) -> T.StructType:
    return T.StructType(
        [
            T.StructField(key, T.StringType(), False),
            *(T.StructField(f, T.BooleanType(), False) for f in flags),
        ]
    )


def encounter_class_flags(spark: SparkSession) -> DataFrame:
    """``encounter_class`` (lower case, as silver writes it) -> is_inpatient, is_acute_inpatient,
    is_emergency; every class of the ``encounter_classes`` table (Synthea and v3 ActCode)."""
    rows = []
    for row in ref.load("encounter_classes"):
        found = ref.encounter_class(row["code"])
        assert found is not None
        rows.append((row["code"].lower(), found.is_inpatient, found.is_acute_inpatient, found.is_emergency))
    return local_frame(spark, _schema("encounter_class", "is_inpatient", "is_acute_inpatient", "is_emergency"),
                       sorted(set(rows)))  # fmt: skip


def disposition_flags(spark: SparkSession) -> DataFrame:
    """NUBC discharge status (two digits) -> is_transfer_to_acute, is_death."""
    rows = []
    for row in ref.load("discharge_dispositions"):
        found = ref.discharge_disposition(row["code"])
        assert found is not None
        rows.append((found.code, found.is_transfer_to_acute, found.is_death))
    return local_frame(spark, _schema("disposition_code", "is_transfer_to_acute", "is_death"), rows)


def _words(key: str) -> str:
    """'evaluation_and_management' -> 'Evaluation and management'."""
    text = key.replace("_", " ")
    return text[:1].upper() + text[1:]


UNMAPPED_PROCEDURE = "unmapped"
UNMAPPED_PROCEDURE_NAME = "No CPT/HCPCS code"
PROCEDURE_CATEGORY_SCHEMA = T.StructType(
    [
        T.StructField("_category_code", T.StringType(), False),
        T.StructField("procedure_category", T.StringType(), False),
        T.StructField("procedure_category_name", T.StringType(), False),
    ]
)


def procedure_categories(spark: SparkSession) -> DataFrame:
    """CPT/HCPCS code -> procedure_category (the ``cpt_hcpcs_codes`` category: surgery, radiology,
    evaluation_and_management, ...) and its name in words."""
    rows = [(r["code"], r["category"], _words(r["category"])) for r in ref.load("cpt_hcpcs_codes")]
    return local_frame(spark, PROCEDURE_CATEGORY_SCHEMA, rows)


COHORT_SCHEMA = T.StructType(
    [
        T.StructField("cohort", T.StringType(), False),
        T.StructField("cohort_name", T.StringType(), False),
        T.StructField("_prefix", T.StringType(), False),
    ]
)


def cohort_value_sets(spark: SparkSession) -> DataFrame:
    """cohort, cohort_name and each ICD-10-CM prefix of the ``cohort_value_sets`` table, the
    prefix without its dot (codes are compared without dots)."""
    rows = [
        (r["cohort"], r["cohort_name"], r["icd10cm_prefix"].replace(".", ""))
        for r in ref.load("cohort_value_sets")
    ]
    return local_frame(spark, COHORT_SCHEMA, rows)


CARC_SCHEMA = T.StructType(
    [T.StructField("_code", T.StringType(), False), T.StructField("_words", T.StringType(), False)]
)


def carc_groups(spark: SparkSession) -> DataFrame:
    """CARC group code (CO, PR, OA, PI, CR) -> its name in words (the description up to ':')."""
    rows = [(r["group_code"], r["description"].split(":")[0].strip()) for r in ref.load("carc_group_codes")]
    return local_frame(spark, CARC_SCHEMA, rows)


def carc_reasons(spark: SparkSession) -> DataFrame:
    """CARC reason code (50, 197, ...) -> its description."""
    rows = [(r["reason_code"], r["description"]) for r in ref.load("carc_reason_codes")]
    return local_frame(spark, CARC_SCHEMA, rows)


def nubc_code(code: Column) -> Column:
    """A NUBC status as the reference keys it: digits, left-padded to two ('1' -> '01')."""
    trimmed = F.trim(code)
    return F.when(trimmed.rlike("^[0-9]+$"), F.lpad(trimmed, 2, "0"))


# --- helpers as Arrow-batched UDFs ------------------------------------------------------------
# Python runs once per value here (the reference helpers are Python), but values cross from the
# JVM in Arrow batches rather than one pickled row at a time.


def _field(value: object, name: str) -> str | None:
    """A struct value's field as pandas UDFs hand it over (a dict, a Row or None)."""
    if value is None:
        return None
    return value[name] if isinstance(value, dict) else getattr(value, name)


def _planned_category(procedures: Sequence[object] | None, principal: object) -> str | None:
    codings = [
        (_field(p, "system"), _field(p, "code"))
        for p in (procedures if procedures is not None else [])
        if _field(p, "system") and _field(p, "code")
    ]
    system, code = _field(principal, "system"), _field(principal, "code")
    diagnosis = (system, code) if code else None
    return ref.planned_readmission_category(procedures=codings, principal_diagnosis=diagnosis)


@F.pandas_udf(T.StringType())  # type: ignore[call-overload]
def _planned(procedures: pd.Series, principal: pd.DataFrame) -> pd.Series:
    principals = principal.to_dict("records")
    return pd.Series(
        [
            _planned_category(p, None if d["code"] is None else d)
            for p, d in zip(procedures, principals, strict=True)
        ],
        dtype=object,
    )


def planned_category(procedures: Column, principal_diagnosis: Column) -> Column:
    """``ref.planned_readmission_category``: ``procedures`` is an array of struct(system, code),
    ``principal_diagnosis`` a struct(system, code) or null. transplant, chemotherapy,
    rehabilitation, planned_procedure, or null (not planned)."""
    principal = F.coalesce(
        principal_diagnosis,
        F.struct(F.lit(None).cast("string").alias("system"), F.lit(None).cast("string").alias("code")),
    )
    return _planned(procedures, principal)


@F.pandas_udf(T.IntegerType())  # type: ignore[call-overload]
def _lace_charlson(codes: pd.Series) -> pd.Series:
    return pd.Series(
        [ref.charlson_score(sorted(set(c if c is not None else [])), scheme="lace") for c in codes],
        dtype="int32",
    )


def lace_charlson_index(icd10cm_codes: Column) -> Column:
    """Charlson comorbidity score of an array of ICD-10-CM codes with the LACE tool's weights
    (van Walraven 2010) and the Charlson hierarchy: ``ref.charlson_score(codes, scheme='lace')``."""
    return _lace_charlson(icd10cm_codes)


def lace_points(component: str, value: Column) -> Column:
    """Points of one LACE component (``L`` days, ``A`` 0/1, ``C`` Charlson, ``E`` ED visits): the
    bands of the reference ``lace_points`` table as a CASE expression (what ``ref.lace_points``
    looks up, without a Python round trip); null for a null or negative value."""
    number = value.cast("int")
    points = F.lit(None).cast("int")
    for row in reversed(ref.load("lace_points")):
        if row["component"] != component:
            continue
        band = number >= int(row["min_value"])
        if row["max_value"]:
            band = band & (number <= int(row["max_value"]))
        points = F.when(band, F.lit(int(row["points"]))).otherwise(points)
    return points


DIAGNOSIS_SCHEMA = T.StructType(
    [
        T.StructField("icd10cm_display", T.StringType(), True),
        T.StructField("diagnosis_category", T.StringType(), True),
        T.StructField("diagnosis_category_name", T.StringType(), True),
        T.StructField("charlson_group", T.StringType(), True),
    ]
)


@F.pandas_udf(DIAGNOSIS_SCHEMA)  # type: ignore[call-overload]
def _diagnosis(icd10cm_codes: pd.Series) -> pd.DataFrame:
    rows = []
    for code in icd10cm_codes:
        category = ref.diagnosis_category(code)
        rows.append(
            (
                ref.icd10cm_description(code),
                category,
                ref.body_system_name(category),
                ref.charlson_group(code),
            )
        )
    return pd.DataFrame(rows, columns=DIAGNOSIS_SCHEMA.fieldNames(), dtype=object)


def diagnosis_attributes(icd10cm_code: Column) -> Column:
    """struct(icd10cm_display, diagnosis_category (CCSR body system code, 'Unmapped' when none),
    diagnosis_category_name, charlson_group) of an ICD-10-CM code."""
    return _diagnosis(icd10cm_code)


def versions() -> dict[str, str]:
    """The reference table versions a run used (for its metrics)."""
    return ref.versions()
