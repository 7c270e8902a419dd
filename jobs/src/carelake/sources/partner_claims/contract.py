"""Partner claims feed (SFTP): the contract of a claims file and the bronze table it fills.

Files land as ``raw/claims/partner=<partner_id>/dt=YYYY-MM-DD/claims_<partner_id>_<YYYYMMDD>[_<seq>].csv``
(docs/data-contracts.md), one row per claim line. A file is checked first: a file
outside the layout (its path, its name, the partner in the name against the folder) is one
file-level record; a file whose header row does not match has every line quarantined with
that reason. Lines of good files are split and typed
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

import re
from datetime import date

from pyspark.sql import types as T

from carelake.declarations import Classification, FileKind, RawSource, Table
from carelake.sources.delimited import CsvColumn, CsvTable

TABLE = "partner_claim_line"
SOURCE = "partner_claims"  # quarantine.quarantined_record.source
PARTITION_KEYS = ("partner_id", "dt")  # dt: the batch date
RAW_PREFIX = "claims"
RAW = RawSource(
    name=SOURCE,
    description="Partner claims CSV over SFTP, one row per claim line (docs/data-contracts.md).",
    job="claims_to_bronze",
    prefix=RAW_PREFIX,
    layout="partner=<partner_id>/dt=<YYYY-MM-DD>/claims_<partner_id>_<YYYYMMDD>[_<seq>].csv",
    path_pattern=r"partner=(?P<partner>[^/]*)/dt=(?P<dt>[^/]*)/(?:.+/)?(?P<name>[^/]+)",
    formats={".csv": FileKind.WHOLE_TEXT},
    expected_every_hours=26,
)

CLAIM_STATUSES = ("paid", "denied", "pending", "adjusted")
GENDERS = ("M", "F", "U")
CARC_GROUPS = ("CO", "PR", "OA", "PI", "CR")  # claim adjustment group codes
ALLOWED_EXCEEDS_BILLED = "allowed_exceeds_billed"  # the one warning

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
_PATH = re.compile(rf"{RAW_PREFIX}/{RAW.path_pattern}")
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


# --- file checks (driver side, plain Python) ---------------------------------------------


def file_partner(path: str) -> str | None:
    """The partner id of the folder a raw path lies in (``claims/partner=<id>/dt=…/…``)."""
    match = _PATH.fullmatch(path)
    return match["partner"] if match else None


def path_problem(path: str) -> str | None:
    """Why a claims file cannot be read, known from its path alone (None when it can).

    ``path`` is relative to the raw zone: its folders, its name, the partner in the name
    against the folder, the date in the name.
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
    return None


HEADER_PROBLEM = "header does not match the partner claims columns (docs/data-contracts.md)"


TABLES: tuple[Table, ...] = (
    Table(
        "bronze", TABLE,
        "Partner claim lines as landed by SFTP (one row per claim line), typed and checked, with the raw line.",
        BRONZE_SCHEMA, classification=Classification.PHI, direct_identifiers=DIRECT_IDENTIFIER_COLUMNS,
        partition_keys=PARTITION_KEYS,
    ),
)  # fmt: skip
