"""Partner claims CSV (SFTP) raw -> bronze.partner_claim_line: contract, checks, job steps.

Files land as ``raw/claims/partner=<partner_id>/dt=YYYY-MM-DD/claims_<partner_id>_<YYYYMMDD>[_<seq>].csv``
(docs/data-contracts.md), one row per claim line. A file is checked first (its path, its
name, the partner in the name against the folder, its header row); every line of a file
that fails is quarantined with the file's reason. Lines of good files are split and typed
by the shared CSV machinery (``csv_parsing.csv_rows``: field count, types, required
columns), then checked against the contract here. A row gets one reason, the first
failing check in this order:

1. structure and types (csv_rows): empty line, field count, a value not of its type, a
   required column empty;
2. column formats: claim_line >= 1, NPI (10 digits, Luhn check digit over ``80840`` +
   the NPI), gender, SSN, ZIP, place of service, ICD-10-CM primary and secondary (format,
   then known code), CPT/HCPCS (format, then known code), modifier, units >= 1, the three
   amounts (a decimal(12,2): digits, at most 2 decimal places, not negative), claim status;
3. cross-column rules: denial reason (required and a known CARC code when denied, empty
   otherwise), paid <= allowed, nothing paid on a denied line, service_from <= service_to
   <= received_date.

Decisions:

- NPI: the check digit is enforced. The generator's NPIs carry it; Synthea's own
  ``999xxxxxxx`` NPIs in the real fixtures do not, but those reach carelake only through the
  EHR path, which does not check NPIs. A payer's adjudicated claim carries an NPPES NPI, so a
  failed check digit means a corrupted value that would link the line to the wrong provider.
- allowed > billed is a warning, not a quarantine: under case-rate, per-diem or "greater of"
  contracts a payer may allow more than a line's charge. The row lands with
  ``allowed_exceeds_billed`` in ``warnings`` and the run counts it. paid > allowed is a
  quarantine (line-level payment never exceeds the allowed amount; interest is paid apart).
- Codes are stored normalised: upper case, ICD-10-CM with its dot (``E119`` -> ``E11.9``),
  secondary diagnoses as an array.

Known codes come from a :class:`CodeLookup` (``reference_lookup()``); only the distinct codes
present in a run are looked up, on the driver, so the reference may be as large as the full
ICD-10-CM list without weighing on the Spark plan.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.accounting import QUARANTINE_SCHEMA, QUARANTINE_TABLE, RunCounts, write_quarantine
from carelake.bronze.csv_parsing import csv_rows
from carelake.bronze.ingest import relative_source
from carelake.bronze.synthea_csv import CsvColumn, CsvTable
from carelake.config import join_uri
from carelake.lake_io import (
    delete_path,
    list_files,
    partition_uri,
    qualified_uri,
    read_text_lines,
    write_partitions,
)

if TYPE_CHECKING:
    from carelake.catalog import LakeTable

TABLE = "partner_claim_line"
SOURCE = "partner_claims"  # quarantine.quarantined_record.source
PARTITION_KEYS = ("partner_id", "dt")
RAW_PREFIX = "claims"  # raw/claims/partner=<id>/dt=<dt>/

CLAIM_STATUSES = ("paid", "denied", "pending", "adjusted")
GENDERS = ("M", "F", "U")
CARC_GROUPS = ("CO", "PR", "OA", "PI", "CR")  # claim adjustment group codes
ALLOWED_EXCEEDS_BILLED = "allowed_exceeds_billed"  # the one warning
UNCHECKED_FILE = "file did not pass the claims file checks"

# The partner claims contract (docs/data-contracts.md), in file column order. Amounts are
# read as text and converted here: csv_parsing's decimal would round a third decimal place.
PARTNER_CLAIMS_CSV = CsvTable(
    "partner_claims",
    (
        CsvColumn("claim_id", required=True),
        CsvColumn("claim_line", "int", required=True),
        CsvColumn("member_id", required=True),
        CsvColumn("member_first_name"),
        CsvColumn("member_last_name"),
        CsvColumn("member_birth_date", "date"),
        CsvColumn("member_gender"),
        CsvColumn("member_ssn"),
        CsvColumn("member_zip"),
        CsvColumn("payer_id"),
        CsvColumn("payer_name"),
        CsvColumn("rendering_npi", required=True),
        CsvColumn("service_from", "date", required=True),
        CsvColumn("service_to", "date", required=True),
        CsvColumn("place_of_service"),
        CsvColumn("icd10_primary", required=True),
        CsvColumn("icd10_secondary"),
        CsvColumn("procedure_code", required=True),
        CsvColumn("modifier"),
        CsvColumn("units", "int"),
        CsvColumn("billed_amount", required=True),
        CsvColumn("allowed_amount", required=True),
        CsvColumn("paid_amount", required=True),
        CsvColumn("claim_status", required=True),
        CsvColumn("denial_reason"),
        CsvColumn("received_date", "date", required=True),
    ),
)
COLUMNS: tuple[str, ...] = tuple(PARTNER_CLAIMS_CSV.header)
AMOUNT_COLUMNS = ("billed_amount", "allowed_amount", "paid_amount")
MONEY = T.DecimalType(12, 2)
MONEY_INTEGER_DIGITS = 10

FILE_NAME_SHAPE = "claims_<partner_id>_<YYYYMMDD>[_<seq>].csv"
_PATH = re.compile(rf"{RAW_PREFIX}/partner=(?P<partner>[^/]*)/dt=(?P<dt>[^/]*)/(?:.+/)?(?P<name>[^/]+)")
_PARTNER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_FILE_NAME = re.compile(r"claims_(?P<partner>.+)_(?P<date>[0-9]{8})(?:_[0-9]+)?\.csv")

# Column formats (applied to the trimmed, upper-cased text).
# The same shapes as carelake.reference's format checks (a test keeps them in step).
# ICD-10-CM: letter, digit, letter or digit (FY2026 adds QA0), optional dot, up to 4 more.
ICD10CM_FORMAT = r"^([A-Z][0-9][0-9A-Z]|QA[0-9])(\.?[0-9A-Z]{1,4})?$"
# CPT category I (5 digits), II/III/PLA (4 digits + F/T/U); HCPCS Level II (its sections A-V).
CPT_HCPCS_FORMAT = r"^([0-9]{5}|[0-9]{4}[FTU]|[A-EGHJ-MP-V][0-9]{4})$"
MODIFIER_FORMAT = r"^[0-9A-Z]{2}$"
CARC_FORMAT = rf"^({'|'.join(CARC_GROUPS)})-[A-Z]?[0-9]{{1,3}}$"  # group code - reason code, e.g. CO-50
NPI_FORMAT = r"^[0-9]{10}$"
SSN_FORMAT = r"^[0-9]{3}-[0-9]{2}-[0-9]{4}$"
ZIP_FORMAT = r"^[0-9]{5}$"
PLACE_OF_SERVICE_FORMAT = r"^[0-9]{2}$"
_AMOUNT_SHAPE = r"^-?[0-9]+(\.[0-9]+)?$"

BRONZE_SCHEMA = T.StructType(
    [
        T.StructField("claim_id", T.StringType(), False),
        T.StructField("claim_line", T.IntegerType(), False),
        T.StructField("member_id", T.StringType(), False),
        T.StructField("member_first_name", T.StringType(), True),
        T.StructField("member_last_name", T.StringType(), True),
        T.StructField("member_birth_date", T.DateType(), True),
        T.StructField("member_gender", T.StringType(), True),
        T.StructField("member_ssn", T.StringType(), True),
        T.StructField("member_zip", T.StringType(), True),
        T.StructField("payer_id", T.StringType(), True),
        T.StructField("payer_name", T.StringType(), True),
        T.StructField("rendering_npi", T.StringType(), False),
        T.StructField("service_from", T.DateType(), False),
        T.StructField("service_to", T.DateType(), False),
        T.StructField("place_of_service", T.StringType(), True),
        T.StructField("icd10_primary", T.StringType(), False),  # normalised, with the dot
        T.StructField("icd10_secondary", T.ArrayType(T.StringType()), False),  # normalised; [] if none
        T.StructField("procedure_code", T.StringType(), False),  # CPT or HCPCS Level II, upper case
        T.StructField("modifier", T.StringType(), True),
        T.StructField("units", T.IntegerType(), True),
        T.StructField("billed_amount", MONEY, False),
        T.StructField("allowed_amount", MONEY, False),
        T.StructField("paid_amount", MONEY, False),
        T.StructField("claim_status", T.StringType(), False),
        T.StructField("denial_reason", T.StringType(), True),  # CARC, e.g. CO-50, when denied
        T.StructField("received_date", T.DateType(), False),
        T.StructField("warnings", T.ArrayType(T.StringType()), False),  # e.g. allowed_exceeds_billed
        T.StructField("raw_line", T.StringType(), True),
        T.StructField("source_file", T.StringType(), True),  # relative to the raw zone
        T.StructField("source_line", T.IntegerType(), True),
        T.StructField("landed_at", T.TimestampType(), True),
    ]
)
DIRECT_IDENTIFIER_COLUMNS = ("member_id", "member_first_name", "member_last_name", "member_ssn", "raw_line")


# --- known codes -------------------------------------------------------------------------


class CodeLookup(Protocol):
    """What the known-code checks need from the reference tables (a module satisfies it)."""

    def is_known_icd10cm(self, code: str) -> bool: ...

    def is_known_cpt_hcpcs(self, code: str) -> bool: ...

    def is_known_carc(self, code: str) -> bool: ...


@dataclass(frozen=True)
class KnownCodes:
    """The codes the checks accept, normalised (ICD-10-CM with its dot, upper case)."""

    icd10cm: frozenset[str] = frozenset()
    cpt_hcpcs: frozenset[str] = frozenset()
    carc: frozenset[str] = frozenset()  # with the group code, e.g. CO-50


def reference_lookup() -> CodeLookup:
    """The reference tables the known-code checks use (carelake.reference)."""
    from carelake import reference

    return reference


def known_codes(present: Mapping[str, Iterable[str]], lookup: CodeLookup) -> KnownCodes:
    """The known ones among the codes ``present`` (keys icd10cm, cpt_hcpcs, carc)."""
    return KnownCodes(
        icd10cm=frozenset(c for c in present.get("icd10cm", ()) if lookup.is_known_icd10cm(c)),
        cpt_hcpcs=frozenset(c for c in present.get("cpt_hcpcs", ()) if lookup.is_known_cpt_hcpcs(c)),
        carc=frozenset(c for c in present.get("carc", ()) if lookup.is_known_carc(c)),
    )


# --- file checks (driver side, plain Python) ---------------------------------------------


def file_partner(path: str) -> str | None:
    """The partner id of the folder a raw path lies in (``claims/partner=<id>/dt=…/…``)."""
    match = _PATH.fullmatch(path)
    return match["partner"] if match else None


def file_problem(path: str, header: str | None) -> str | None:
    """Why a claims file cannot be read (None when it can): its path, name and header row.

    ``path`` is relative to the raw zone; ``header`` is the file's first line (None when
    the file is empty).
    """
    match = _PATH.fullmatch(path)
    if match is None:
        return f"not under {RAW_PREFIX}/partner=<partner_id>/dt=YYYY-MM-DD/"
    folder = match["partner"]
    if not _PARTNER_ID.fullmatch(folder):
        return f"folder partner={folder} is not a partner id (letters, digits, _ and -)"
    name = _FILE_NAME.fullmatch(match["name"])
    if name is None:
        return f"file name does not match {FILE_NAME_SHAPE}"
    if name["partner"] != folder:
        return f"file name partner '{name['partner']}' does not match the folder partner={folder}"
    try:
        date(int(name["date"][:4]), int(name["date"][4:6]), int(name["date"][6:]))
    except ValueError:
        return f"file name date {name['date']} is not a valid date"
    if header is None:
        return "empty file: no header row"
    if next(csv.reader([header.lstrip("\ufeff")]), []) != list(COLUMNS):
        return "header does not match the partner claims columns (docs/data-contracts.md)"
    return None


def is_claims_csv_name(path: str) -> bool:
    """Files worth reading line by line; any other file is one quarantined record."""
    return path.endswith(".csv")


# --- row transforms (pure DataFrame -> DataFrame) ----------------------------------------


def _clean_code(column: str) -> Column:
    return F.upper(F.trim(F.col(column)))


def _icd10_normalised(code: Column) -> Column:
    """``E119`` / ``E11.9`` -> ``E11.9``: the dot after the third character when more follow."""
    compact = F.regexp_replace(code, r"\.", "")
    return F.when(
        F.length(compact) > 3, F.concat(compact.substr(1, 3), F.lit("."), compact.substr(4, 16))
    ).otherwise(compact)


def _npi_check_digit_ok(npi: Column) -> Column:
    """Luhn over ``80840`` + the 10-digit NPI (the prefix contributes 24; CMS NPI standard)."""
    total: Column = F.lit(24)
    for position in range(10):  # from the left; positions 0, 2, 4, 6, 8 are doubled
        digit = F.substring(npi, position + 1, 1).cast("int")
        if position % 2 == 0:
            digit = F.when(digit * 2 > 9, digit * 2 - 9).otherwise(digit * 2)
        total = total + digit
    return total % 10 == 0


def _amount_problem(column: str) -> Column:
    raw = F.col(column)
    integer_digits = F.length(F.regexp_extract(raw, r"^-?0*([0-9]*)", 1))
    fraction_digits = F.length(F.regexp_extract(raw, r"\.([0-9]*)$", 1))
    return (
        F.when(raw.isNull(), F.lit(None))
        .when(~raw.rlike(_AMOUNT_SHAPE), F.format_string(f"column {column}: '%s' is not a decimal amount", raw))
        .when(raw.startswith("-") & raw.rlike("[1-9]"), F.format_string(f"column {column}: '%s' is negative", raw))
        .when(fraction_digits > 2, F.format_string(f"column {column}: '%s' has more than 2 decimal places", raw))
        .when(integer_digits > MONEY_INTEGER_DIGITS,
              F.format_string(f"column {column}: '%s' does not fit decimal(12,2)", raw))
    )  # fmt: skip


def parsed_claim_lines(
    lines: DataFrame, good_files: Collection[str], bad_files: Mapping[str, str] | None = None
) -> DataFrame:
    """Lines of claims files -> typed, normalised rows with ``reason`` (null so far when good).

    ``lines``: source_file (relative to raw), source_line, value, landed_at. Only files in
    ``good_files`` (path, name and header checked) are read as records, their header line
    skipped; every line of any other file is quarantined with its reason from ``bad_files``
    (file -> reason) or a generic one. Output: reason, partner_id, the contract's columns
    (amounts still text, codes trimmed and upper case, icd10_secondary an array), raw_line,
    source_file, source_line, landed_at.
    """
    bad_files = bad_files or {}
    is_good = F.col("source_file").isin(sorted(good_files)) if good_files else F.lit(False)
    file_reason: Column = F.lit(UNCHECKED_FILE)
    if bad_files:
        reasons = F.create_map(*(F.lit(x) for kv in sorted(bad_files.items()) for x in kv))
        file_reason = F.coalesce(F.element_at(reasons, F.col("source_file")), file_reason)
    tagged = lines.withColumn("_file_reason", F.when(~is_good, file_reason))
    bad = tagged.where(F.col("_file_reason").isNotNull())
    good = csv_rows(tagged.where(F.col("_file_reason").isNull()).drop("_file_reason"), PARTNER_CLAIMS_CSV)

    codes = {
        "icd10_primary": _clean_code("icd10_primary"),
        "procedure_code": _clean_code("procedure_code"),
        "modifier": _clean_code("modifier"),
        "denial_reason": _clean_code("denial_reason"),
    }
    secondary = F.filter(
        F.transform(
            F.split(F.coalesce(F.col("icd10_secondary"), F.lit("")), r"\|"), lambda c: F.upper(F.trim(c))
        ),
        lambda c: c != "",
    )
    good = good.select(
        "reason",
        *(codes.get(c, F.col(c)).alias(c) for c in COLUMNS if c != "icd10_secondary"),
        secondary.alias("icd10_secondary"),
        "raw_line",
        "source_file",
        "source_line",
        "landed_at",
    )
    bad = bad.select(
        F.col("_file_reason").alias("reason"),
        *(F.lit(None).cast(good.schema[c].dataType).alias(c) for c in COLUMNS),
        F.col("value").alias("raw_line"),
        "source_file",
        "source_line",
        "landed_at",
    )
    partner = F.regexp_extract("source_file", rf"(^|/){RAW_PREFIX}/partner=([^/]*)/", 2)
    return good.unionByName(bad).select("reason", partner.alias("partner_id"), *good.columns[1:])


def codes_present(parsed: DataFrame) -> DataFrame:
    """Distinct (system, code) pairs a batch carries, to look up in the reference tables.

    Systems: icd10cm (normalised, with the dot), cpt_hcpcs, carc. Only well-formed codes,
    so the lookup sees no junk.
    """
    icd = F.col("icd10_primary")
    pairs = F.concat(
        F.array(F.struct(F.lit("icd10cm").alias("system"), _icd10_normalised(icd).alias("code"), icd.rlike(ICD10CM_FORMAT).alias("ok"))),
        F.transform("icd10_secondary", lambda c: F.struct(F.lit("icd10cm").alias("system"), _icd10_normalised(c).alias("code"), c.rlike(ICD10CM_FORMAT).alias("ok"))),
        F.array(F.struct(F.lit("cpt_hcpcs").alias("system"), F.col("procedure_code").alias("code"), F.col("procedure_code").rlike(CPT_HCPCS_FORMAT).alias("ok"))),
        F.array(F.struct(F.lit("carc").alias("system"), F.col("denial_reason").alias("code"), F.col("denial_reason").rlike(CARC_FORMAT).alias("ok"))),
    )  # fmt: skip
    return (
        parsed.where(F.col("reason").isNull())
        .select(F.explode(pairs).alias("p"))
        .where(F.col("p.ok") & F.col("p.code").isNotNull())
        .select("p.system", "p.code")
        .distinct()
    )


def checked_claim_lines(parsed: DataFrame, known: KnownCodes) -> DataFrame:
    """Apply the contract's checks: ``reason`` = the first failing check (null when good).

    Amounts become decimal(12,2); ICD-10-CM codes are normalised (with the dot); ``warnings``
    lists what was accepted but is unusual (allowed_exceeds_billed).
    """
    col = F.col
    # Stage the expensive expressions once; the checks below refer to them by name.
    staged = parsed.withColumns(
        {
            "_icd": _icd10_normalised(col("icd10_primary")),
            "_secondary": F.transform("icd10_secondary", _icd10_normalised),
            "_secondary_bad_format": F.get(
                F.filter("icd10_secondary", lambda c: ~c.rlike(ICD10CM_FORMAT)), 0
            ),
            **{f"_{c}_problem": _amount_problem(c) for c in AMOUNT_COLUMNS},
        }
    )
    staged = staged.withColumns(
        {
            "_secondary_unknown": F.get(F.filter("_secondary", lambda c: ~c.isin(sorted(known.icd10cm))), 0),
            **{f"_{c}": F.when(col(f"_{c}_problem").isNull(), col(c).cast(MONEY)) for c in AMOUNT_COLUMNS},
        }
    )
    status, denial = col("claim_status"), col("denial_reason")
    denied = status == "denied"
    billed, allowed, paid = (col(f"_{c}") for c in AMOUNT_COLUMNS)

    def bad(condition: Column, message: str, *values: Column) -> Column:
        text = F.format_string(message, *values) if values else F.lit(message)
        return F.when(condition, text)

    checks: list[Column] = [
        col("reason"),
        bad(col("claim_line") < 1, "column claim_line: %d is not at least 1", col("claim_line")),
        bad(~col("rendering_npi").rlike(NPI_FORMAT), "column rendering_npi: '%s' is not 10 digits", col("rendering_npi")),
        bad(~_npi_check_digit_ok(col("rendering_npi")),
            "column rendering_npi: '%s' fails the NPI check digit (Luhn over 80840 + NPI)", col("rendering_npi")),
        bad(~col("member_gender").isin(*GENDERS), "column member_gender: '%s' is not one of M, F, U", col("member_gender")),
        bad(~col("member_ssn").rlike(SSN_FORMAT), "column member_ssn is not NNN-NN-NNNN"),  # PHI: value not quoted
        bad(~col("member_zip").rlike(ZIP_FORMAT), "column member_zip is not 5 digits"),  # PHI: value not quoted
        bad(~col("place_of_service").rlike(PLACE_OF_SERVICE_FORMAT),
            "column place_of_service: '%s' is not a 2-digit CMS place of service code", col("place_of_service")),
        bad(~col("icd10_primary").rlike(ICD10CM_FORMAT),
            "column icd10_primary: '%s' is not ICD-10-CM format", col("icd10_primary")),
        bad(~col("_icd").isin(sorted(known.icd10cm)), "column icd10_primary: '%s' is not a known ICD-10-CM code", col("_icd")),
        bad(col("_secondary_bad_format").isNotNull(),
            "column icd10_secondary: '%s' is not ICD-10-CM format", col("_secondary_bad_format")),
        bad(col("_secondary_unknown").isNotNull(),
            "column icd10_secondary: '%s' is not a known ICD-10-CM code", col("_secondary_unknown")),
        bad(~col("procedure_code").rlike(CPT_HCPCS_FORMAT),
            "column procedure_code: '%s' is not CPT or HCPCS Level II format", col("procedure_code")),
        bad(~col("procedure_code").isin(sorted(known.cpt_hcpcs)),
            "column procedure_code: '%s' is not a known CPT/HCPCS code", col("procedure_code")),
        bad(~col("modifier").rlike(MODIFIER_FORMAT), "column modifier: '%s' is not a 2-character modifier", col("modifier")),
        bad(col("units") < 1, "column units: %d is not at least 1", col("units")),
        *(col(f"_{c}_problem") for c in AMOUNT_COLUMNS),
        bad(~status.isin(*CLAIM_STATUSES), "column claim_status: '%s' is not one of paid, denied, pending, adjusted", status),
        bad(denied & denial.isNull(), "column denial_reason is required when claim_status is denied"),
        bad(denied & ~denial.rlike(CARC_FORMAT),
            "column denial_reason: '%s' is not a CARC code (group-reason, e.g. CO-50)", denial),
        bad(denied & ~denial.isin(sorted(known.carc)), "column denial_reason: '%s' is not a known CARC code", denial),
        bad(~denied & denial.isNotNull(), "column denial_reason: '%s' given but claim_status is '%s' (must be empty)",
            denial, status),
        bad(paid > allowed, "paid_amount %s exceeds allowed_amount %s", paid.cast("string"), allowed.cast("string")),
        bad(denied & (paid > 0), "paid_amount %s on a denied line (must be 0.00)", paid.cast("string")),
        bad(col("service_from") > col("service_to"), "service_from %s is after service_to %s",
            col("service_from").cast("string"), col("service_to").cast("string")),
        bad(col("service_to") > col("received_date"), "service_to %s is after received_date %s",
            col("service_to").cast("string"), col("received_date").cast("string")),
    ]  # fmt: skip
    warnings = F.filter(
        F.array(F.when(allowed > billed, F.lit(ALLOWED_EXCEEDS_BILLED))), lambda w: w.isNotNull()
    )
    return staged.select(
        F.coalesce(*checks).alias("reason"),
        "partner_id",
        *(c for c in COLUMNS if c not in ("icd10_primary", "icd10_secondary", *AMOUNT_COLUMNS)),
        col("_icd").alias("icd10_primary"),
        col("_secondary").alias("icd10_secondary"),
        *(col(f"_{c}").alias(c) for c in AMOUNT_COLUMNS),
        warnings.alias("warnings"),
        "raw_line",
        "source_file",
        "source_line",
        "landed_at",
    )


def bronze_claim_rows(checked: DataFrame) -> DataFrame:
    """Good rows in the bronze schema, with partner_id (the partition key; dt is added on write)."""
    good = checked.where(F.col("reason").isNull())
    return good.select(
        "partner_id", *(F.col(f.name).cast(f.dataType).alias(f.name) for f in BRONZE_SCHEMA.fields)
    )


def quarantine_claim_rows(checked: DataFrame) -> DataFrame:
    """Bad rows as quarantine records (accounting.QUARANTINE_SCHEMA columns)."""
    return checked.where(F.col("reason").isNotNull()).select(
        F.lit(SOURCE).alias("source"),
        "source_file",
        "source_line",
        F.lit(None).cast("int").alias("source_entry"),
        F.lit(TABLE).alias("target_table"),
        "reason",
        F.col("raw_line").alias("record"),
        "landed_at",
    )


def lake_tables() -> list[LakeTable]:
    """The bronze table this module writes, for carelake.catalog."""
    from carelake.catalog import LakeTable

    return [
        LakeTable("bronze", TABLE,
                  "Partner claim lines as landed by SFTP (one row per claim line), typed and checked, with the raw line.",
                  BRONZE_SCHEMA, PARTITION_KEYS, direct_identifier_columns=DIRECT_IDENTIFIER_COLUMNS)
    ]  # fmt: skip


# --- the job's steps: which files, classify, write (I/O) ---------------------------------


@dataclass(frozen=True)
class ClaimsScope:
    """What one run covers: every partner's files of a dt, or one partner's (object_key run)."""

    dt: str
    partner_id: str | None = None  # None: every partner
    object_key: str | None = None  # the file that triggered the run (relative to raw)

    @property
    def raw_folder(self) -> str:
        return f"{RAW_PREFIX}/partner={self.partner_id}/dt={self.dt}" if self.partner_id else RAW_PREFIX

    def covers(self, path: str) -> bool:
        match = _PATH.fullmatch(path)
        if match is None or match["dt"] != self.dt:
            return False
        return self.partner_id is None or match["partner"] == self.partner_id


def claims_scope(object_key: str, dt: str, raw_uri: str = "") -> ClaimsScope:
    """The run's scope from ``--object_key``: "" or "all" = every file of dt, else one file.

    The key may be relative to the raw zone (``claims/partner=…``), carry the zone name as
    the SFTP Lambda sends it (``raw/claims/partner=…``), or be a full URI under ``raw_uri``.
    """
    key = object_key.strip()
    if key in ("", "all"):
        return ClaimsScope(dt)
    for prefix in (raw_uri.rstrip("/") + "/" if raw_uri else None, "raw/", "/"):
        if prefix and key.startswith(prefix) and not key.startswith(f"{RAW_PREFIX}/"):
            key = key[len(prefix) :]
    match = _PATH.fullmatch(key)
    if match is None:
        raise ValueError(
            f"object_key {object_key!r} is not a claims file raw/{RAW_PREFIX}/partner=<id>/dt=<dt>/<file>"
        )
    if match["dt"] != dt:
        raise ValueError(f"object_key {object_key!r} is in dt={match['dt']}, but the run is for dt={dt}")
    if not _PARTNER_ID.fullmatch(match["partner"]):
        raise ValueError(f"object_key {object_key!r}: partner={match['partner']} is not a partner id")
    return ClaimsScope(dt, match["partner"], key)


@dataclass
class ClassifiedClaims:
    """One run's claim lines, checked: good rows per partner, quarantine, counts."""

    scope: ClaimsScope
    partners: tuple[str, ...]  # partner partitions the run rewrites
    bronze: DataFrame  # bronze_claim_rows
    quarantine: DataFrame  # QUARANTINE_SCHEMA columns
    counts: RunCounts
    written_by_partner: dict[str, int]
    cached: tuple[DataFrame, ...] = ()  # persisted frames, released after the writes


def _relative(prefix: str, uri: str) -> str:
    return uri[len(prefix) :] if uri.startswith(prefix) else uri


def classify_partner_claims(
    spark: SparkSession, raw_uri: str, scope: ClaimsScope, lookup: CodeLookup
) -> ClassifiedClaims:
    """Read the scope's raw files, check them, count. A few small Spark actions, no writes."""
    listed = list_files(spark, join_uri(raw_uri, scope.raw_folder))
    prefix = qualified_uri(spark, raw_uri).rstrip("/") + "/"
    files = {_relative(prefix, f.uri): f for f in listed}
    files = {path: f for path, f in files.items() if scope.covers(path)}
    if scope.object_key is not None and scope.object_key not in files:
        raise FileNotFoundError(f"object_key {scope.object_key} is not in the raw zone {raw_uri}")

    readable = sorted(p for p, f in files.items() if is_claims_csv_name(p) and f.size > 0)
    lines = (
        read_text_lines(spark, [files[p].uri for p in readable])
        .withColumn("source_file", relative_source(raw_uri, spark))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    # One pass over the lines: every file's first line, and the codes the lines carry (read
    # as if every file were good: a superset, looked up in the reference on the driver).
    survey = (
        lines.where("source_line = 1")
        .select(F.lit("header").alias("kind"), F.col("source_file").alias("key"), "value")
        .unionByName(
            codes_present(parsed_claim_lines(lines, readable)).select(
                F.col("system").alias("kind"),
                F.col("code").alias("key"),
                F.lit(None).cast("string").alias("value"),
            )
        )
    )
    headers: dict[str, str] = {}
    present: dict[str, set[str]] = {}
    for row in survey.collect():
        if row["kind"] == "header":
            headers[row["key"]] = row["value"]
        else:
            present.setdefault(row["kind"], set()).add(row["key"])

    problems = {p: file_problem(p, headers.get(p)) for p in files}
    # Files not read line by line (not .csv, or empty) are one quarantined record each.
    unread = {
        p: problems[p] or f"file name does not match {FILE_NAME_SHAPE}" for p in files if p not in readable
    }
    good_files = [p for p in readable if problems[p] is None]
    bad_files = {p: reason for p, reason in problems.items() if reason is not None and p in readable}
    parsed = parsed_claim_lines(lines, good_files, bad_files)
    checked = checked_claim_lines(parsed, known_codes(present, lookup)).persist(StorageLevel.MEMORY_AND_DISK)

    quarantine = quarantine_claim_rows(checked)
    if unread:
        unread_rows = [
            (SOURCE, p, None, None, TABLE, reason, None, None) for p, reason in sorted(unread.items())
        ]
        quarantine = quarantine.unionByName(spark.createDataFrame(unread_rows, QUARANTINE_SCHEMA))

    counts = RunCounts(written={TABLE: 0}, quarantined={TABLE: 0}, metrics={"files": len(files)})
    written_by_partner: dict[str, int] = {}
    tally = checked.groupBy(
        "partner_id", F.col("reason").isNotNull().alias("quarantined"), F.size("warnings").alias("warnings")
    ).count()
    for row in tally.collect():
        counts.rows_read += row["count"]
        if row["quarantined"]:
            counts.quarantined[TABLE] += row["count"]
        else:
            counts.written[TABLE] += row["count"]
            written_by_partner[row["partner_id"]] = (
                written_by_partner.get(row["partner_id"], 0) + row["count"]
            )
            if row["warnings"]:
                counts.metrics[f"warning_{ALLOWED_EXCEEDS_BILLED}"] = (
                    counts.metrics.get(f"warning_{ALLOWED_EXCEEDS_BILLED}", 0) + row["count"]
                )
    counts.rows_read += len(unread)
    counts.quarantined[TABLE] += len(unread)

    if scope.partner_id is not None:
        partners: tuple[str, ...] = (scope.partner_id,)
    else:
        partners = tuple(
            sorted({p for p in (file_partner(path) for path in files) if p and _PARTNER_ID.fullmatch(p)})
        )
    return ClassifiedClaims(
        scope, partners, bronze_claim_rows(checked), quarantine, counts, written_by_partner, (lines, checked)
    )


def write_partner_claims(
    classified: ClassifiedClaims, spark: SparkSession, bronze_uri: str, quarantine_uri: str, job: str
) -> RunCounts:
    """Rewrite the run's partner/dt partitions of bronze and its rows of the quarantine.

    A partner/dt partition is always rebuilt from every file of that partner and dt, so a
    run triggered by one file never drops the rows of the partner's other files. The
    quarantine partition (job, dt) is shared by all partners: a full run replaces it; a
    one-partner run keeps the other partners' records and replaces only its own.
    """
    scope, counts = classified.scope, classified.counts
    table_uri = join_uri(bronze_uri, TABLE)
    if any(classified.written_by_partner.get(p, 0) for p in classified.partners):
        with_dt = classified.bronze.where(F.col("partner_id").isin(list(classified.partners))).withColumn(
            "dt", F.lit(scope.dt)
        )
        write_partitions(with_dt, table_uri, list(PARTITION_KEYS))
    for partner in classified.partners:
        if not classified.written_by_partner.get(partner, 0):
            delete_path(spark, partition_uri(table_uri, partner_id=partner, dt=scope.dt))

    quarantine = classified.quarantine
    rows = counts.rows_quarantined
    kept = None
    if scope.partner_id is not None:
        kept = _other_partners_quarantine(spark, quarantine_uri, job, scope)
        if kept is not None:
            kept_rows = kept.count()
            counts.metrics["quarantine_rows_kept_other_partners"] = kept_rows
            quarantine, rows = quarantine.unionByName(kept), rows + kept_rows
    write_quarantine(quarantine, quarantine_uri, job, scope.dt, rows)
    for frame in (*classified.cached, *([kept] if kept is not None else [])):
        frame.unpersist()
    return counts


def _other_partners_quarantine(
    spark: SparkSession, quarantine_uri: str, job: str, scope: ClaimsScope
) -> DataFrame | None:
    """The existing quarantine records of this job and dt outside the scope, materialised.

    They are read from the partition the write replaces, so they are persisted and counted
    before it: the overwrite then reads them from memory or local disk. (Were a cached block
    lost, Spark would read the files again in the write's tasks, which dynamic partition
    overwrite runs before it removes the old partition at commit.)
    """
    folder = partition_uri(join_uri(quarantine_uri, QUARANTINE_TABLE), job=job, dt=scope.dt)
    if not list_files(spark, folder):
        return None
    existing = spark.read.schema(QUARANTINE_SCHEMA).parquet(folder)
    own = F.col("source_file").startswith(f"{scope.raw_folder}/")
    return existing.where(F.col("source_file").isNull() | ~own).persist(StorageLevel.MEMORY_AND_DISK)
