"""The care team's tables: which coordinator covers which clinic (care_team_assignment) and each
coordinator's patients to call today (care_team_worklist). docs/measures/care-team-worklist.md
is the definition in words; docs/data-model.md holds both contracts.

The assignment is configuration, one JSON object per line (Terraform writes it per environment,
the demo a generated one):

    {"coordinator_id": "cm-007", "clinic_id": "<organization id>", "user_name": "jdoe@example.org"}

``user_name`` (optional) is the coordinator's sign-in name, for QuickSight row-level security.
A clinic nobody covers still has its patients on the worklist, under coordinator_id
``unassigned``: no patient to call is dropped because the configuration lags behind.
"""

from __future__ import annotations

import json
import re
from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.contracts import load_schema
from carelake.gold.schemas import conform

UNASSIGNED = "unassigned"
UNKNOWN_CLINIC = "unknown"  # the index stay names no facility: the clinic part of the worklist key
NO_ASSIGNMENT = "none"  # the care_team_assignment_uri value for "no file": every clinic unassigned
ASSIGNMENT_FIELDS = ("coordinator_id", "clinic_id", "user_name")
ASSIGNMENT_SCHEMA = T.StructType([T.StructField(name, T.StringType(), True) for name in ASSIGNMENT_FIELDS])
MAX_ID_LENGTH = 64
MAX_USER_NAME_LENGTH = 256


class CareTeamAssignmentError(ValueError):
    """The assignment file is malformed; the message names every bad line and why."""


def _id_pattern() -> re.Pattern[str]:
    # Coordinator ids are the outreach events' coordinator_id: one definition, the event contract.
    return re.compile(load_schema()["properties"]["coordinator_id"]["pattern"].removesuffix("$") + r"\Z")


def parse_assignment(text: str) -> list[tuple[str, str, str | None]]:
    """(coordinator_id, clinic_id, user_name) per line of the JSON-lines assignment; blank lines
    are skipped. Raises CareTeamAssignmentError listing every bad line (the file holds no PHI,
    so values may be quoted)."""
    id_pattern = _id_pattern()
    rows: list[tuple[str, str, str | None]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        found = _line_problems(line, id_pattern)
        if isinstance(found, list):
            problems += [f"line {number}: {problem}" for problem in found]
        else:
            rows.append(found)
    if problems:
        raise CareTeamAssignmentError("care team assignment: " + "; ".join(problems))
    return rows


def _line_problems(line: str, id_pattern: re.Pattern[str]) -> list[str] | tuple[str, str, str | None]:
    """The line's problems, or its (coordinator_id, clinic_id, user_name) when it has none."""
    try:
        entry = json.loads(line)
    except ValueError:
        return ["not JSON"]
    if not isinstance(entry, dict):
        return ["not a JSON object"]
    problems = []
    unknown = sorted(set(entry) - set(ASSIGNMENT_FIELDS))
    if unknown:
        problems.append(f"unknown fields {unknown}")
    for name in ("coordinator_id", "clinic_id"):
        value = entry.get(name)
        if not isinstance(value, str) or len(value) > MAX_ID_LENGTH or not id_pattern.match(value):
            problems.append(
                f"{name} must be 1-{MAX_ID_LENGTH} letters, digits, '.', '_', ':' or '-', starting with a letter or digit"
            )
    user_name = entry.get("user_name")
    if user_name is not None and (
        not isinstance(user_name, str)
        or not 0 < len(user_name) <= MAX_USER_NAME_LENGTH
        or any(ch.isspace() or not ch.isprintable() for ch in user_name)
    ):
        problems.append(f"user_name must be 1-{MAX_USER_NAME_LENGTH} printable characters without spaces")
    return problems or (entry["coordinator_id"], entry["clinic_id"], user_name)


def read_assignment(spark: SparkSession, uri: str) -> DataFrame:
    """The assignment file at ``uri`` (s3:// or a local path) as coordinator_id, clinic_id,
    user_name; empty for ``none``. A missing or malformed file fails the job with a clear
    error: it is deployment configuration, validated by Terraform before it lands."""
    if uri == NO_ASSIGNMENT:
        return spark.createDataFrame([], ASSIGNMENT_SCHEMA)
    text = "\n".join(row.value for row in spark.read.text(uri, wholetext=True).collect())
    return spark.createDataFrame(parse_assignment(text), ASSIGNMENT_SCHEMA)


def care_team_assignment(assignment: DataFrame, organizations: DataFrame) -> DataFrame:
    """gold.care_team_assignment: one row per (coordinator_id, clinic_id), the clinic's name from
    silver dim_organization (null for a clinic no source describes yet); a pair listed twice keeps
    the first user_name in sort order."""
    clinics = organizations.select(
        F.col("organization_id").alias("_org"), F.col("organization_name").alias("clinic_name")
    )
    pairs = assignment.groupBy("coordinator_id", "clinic_id").agg(F.min("user_name").alias("user_name"))
    named = pairs.join(clinics, F.col("clinic_id") == F.col("_org"), "left")
    return conform(named, "care_team_assignment")


def _plural(n: Column, one: str, many: str) -> Column:
    return F.when(n == 1, F.lit(one)).otherwise(F.lit(many))


def lace_reasons(outreach_list: DataFrame) -> Column:
    """LACE's four components in words, e.g. 'length of stay 5 days (L 4); emergency admission
    (A 3); Charlson comorbidity index 10 (C 5); 3 emergency visits in the 6 months before (E 3)'."""
    los, ed = F.col("length_of_stay_days"), F.col("ed_visits_6m")
    return F.concat(
        F.lit("length of stay "), los.cast("string"), F.lit(" "), _plural(los, "day", "days"),
        F.lit(" (L "), F.col("l_points").cast("string"), F.lit("); "),
        F.when(F.col("a_points") > 0, F.lit("emergency admission")).otherwise(F.lit("planned or elective admission")),
        F.lit(" (A "), F.col("a_points").cast("string"), F.lit("); Charlson comorbidity index "),
        F.col("charlson_index").cast("string"), F.lit(" (C "), F.col("c_points").cast("string"), F.lit("); "),
        ed.cast("string"), F.lit(" "), _plural(ed, "emergency visit", "emergency visits"),
        F.lit(" in the 6 months before (E "), F.col("e_points").cast("string"), F.lit(")"),
    )  # fmt: skip


def care_team_worklist(outreach_list: DataFrame, assignment: DataFrame, as_of: date) -> DataFrame:
    """gold.care_team_worklist: the call-now list (carelake.gold.lace.high_risk_outreach_list,
    with its LACE columns) once per coordinator covering the patient's clinic, or once under
    coordinator_id 'unassigned' when nobody covers it; why to call (call_reason and the LACE
    components in words), days since the index discharge on as_of, and the last outreach. A
    stay without a facility is listed under clinic_id 'unknown' (and so 'unassigned')."""
    covering = assignment.select(
        F.col("clinic_id").alias("_clinic"), F.col("coordinator_id").alias("_coordinator")
    ).distinct()
    rows = (
        outreach_list.withColumn("clinic_id", F.coalesce(F.col("clinic_id"), F.lit(UNKNOWN_CLINIC)))
        .join(covering, F.col("clinic_id") == F.col("_clinic"), "left")
        .withColumn("coordinator_id", F.coalesce(F.col("_coordinator"), F.lit(UNASSIGNED)))
        .withColumn("lace_reasons", lace_reasons(outreach_list))
        .withColumn("days_since_discharge", F.datediff(F.lit(as_of), F.col("discharge_date")))
        .withColumn("as_of", F.lit(as_of))
    )
    return conform(rows, "care_team_worklist")
