"""Partner claims transforms: known-code lookup, typing, the contract's checks (pure functions).

A row gets one reason, the first failing check, in the order the contract lists them
(carelake.sources.partner_claims.contract).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from carelake.sources.delimited import typed_records
from carelake.sources.partner_claims.contract import (
    _AMOUNT_SHAPE,
    ALLOWED_EXCEEDS_BILLED,
    AMOUNT_COLUMNS,
    BRONZE_SCHEMA,
    CARC_FORMAT,
    CLAIM_STATUSES,
    COLUMNS,
    CPT_HCPCS_FORMAT,
    GENDERS,
    ICD10CM_FORMAT,
    MODIFIER_FORMAT,
    MONEY,
    MONEY_INTEGER_DIGITS,
    NPI_FORMAT,
    PARTNER_CLAIMS_CSV,
    PLACE_OF_SERVICE_FORMAT,
    RAW_PREFIX,
    SSN_FORMAT,
    ZIP_FORMAT,
)

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


# --- row transforms ----------------------------------------------------------------------


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


def parsed_claim_lines(records: DataFrame) -> DataFrame:
    """CSV records of claims files -> typed, normalised rows with ``reason`` (null so far when good).

    ``records``: carelake.sources.delimited records plus ``file_problem`` (why the record's
    whole file is rejected: its path or header; null for a good file). Output: reason,
    partner_id, the contract's columns (amounts still text, codes trimmed and upper case,
    icd10_secondary an array), raw_line, source_file, source_line, landed_at.
    """
    good = typed_records(records, PARTNER_CLAIMS_CSV, file_problem=F.col("file_problem"))
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
    partner = F.regexp_extract("source_file", rf"(^|/){RAW_PREFIX}/partner=([^/]*)/", 2)
    return good.select(
        "reason",
        partner.alias("partner_id"),
        *(codes.get(c, F.col(c)).alias(c) for c in COLUMNS if c != "icd10_secondary"),
        secondary.alias("icd10_secondary"),
        "raw_line",
        "source_file",
        "source_line",
        "landed_at",
    ).select("reason", "partner_id", *COLUMNS, "raw_line", "source_file", "source_line", "landed_at")


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
