"""Synthea CSV export feed: where it lands, its files' explicit schemas, the bronze tables.

The export lands under ``raw/ehr/csv/dt=<date>/`` as ``<table>.csv`` files (any folders
in between), one bronze table per file (``csv_<file>``) with the typed columns and the
raw record text.

Column order is the file's header order; bronze column names are the lower-cased headers.
``required`` columns must be non-empty (keys and the fields every downstream join needs).
Types: string, date (YYYY-MM-DD), timestamp (ISO-8601 with zone, Synthea writes Z),
decimal (money, kept exact as decimal(18,2)), double, int, bigint.
"""

from __future__ import annotations

from pyspark.sql import types as T

from carelake.declarations import Classification, FileKind, RawSource, Table
from carelake.sources.delimited import LINEAGE_FIELDS, SPARK_TYPES, CsvTable, columns

SOURCE = "ehr_csv"  # quarantine.quarantined_record.source
RAW = RawSource(
    name=SOURCE,
    description="Synthea v3 CSV export, one file per table with its header row (RFC 4180, UTF-8).",
    job="raw_to_bronze",
    prefix="ehr/csv",
    layout="dt=<YYYY-MM-DD>/<any folders>/<table>.csv",
    path_pattern=r"dt=(?P<dt>\d{4}-\d{2}-\d{2})/(.+/)?(?P<file>[^/]+)\.csv",
    formats={".csv": FileKind.WHOLE_TEXT},
    expected_every_hours=26,
)

SYNTHEA_CSV_TABLES: dict[str, CsvTable] = {
    t.file: t
    for t in (
        CsvTable("allergies", columns(
            "START:date! STOP:date PATIENT! ENCOUNTER! CODE! SYSTEM DESCRIPTION TYPE CATEGORY "
            "REACTION1 DESCRIPTION1 SEVERITY1 REACTION2 DESCRIPTION2 SEVERITY2")),
        CsvTable("careplans", columns(
            "Id! START:date! STOP:date PATIENT! ENCOUNTER! CODE! DESCRIPTION REASONCODE REASONDESCRIPTION")),
        CsvTable("claims", columns(
            "Id! PATIENTID! PROVIDERID! PRIMARYPATIENTINSURANCEID SECONDARYPATIENTINSURANCEID "
            "DEPARTMENTID PATIENTDEPARTMENTID DIAGNOSIS1 DIAGNOSIS2 DIAGNOSIS3 DIAGNOSIS4 DIAGNOSIS5 "
            "DIAGNOSIS6 DIAGNOSIS7 DIAGNOSIS8 REFERRINGPROVIDERID APPOINTMENTID CURRENTILLNESSDATE:timestamp "
            "SERVICEDATE:timestamp! SUPERVISINGPROVIDERID STATUS1 STATUS2 STATUSP OUTSTANDING1:decimal "
            "OUTSTANDING2:decimal OUTSTANDINGP:decimal LASTBILLEDDATE1:timestamp LASTBILLEDDATE2:timestamp "
            "LASTBILLEDDATEP:timestamp HEALTHCARECLAIMTYPEID1:int HEALTHCARECLAIMTYPEID2:int")),
        CsvTable("claims_transactions", columns(
            "ID! CLAIMID! CHARGEID:int PATIENTID! TYPE! AMOUNT:decimal METHOD FROMDATE:timestamp "
            "TODATE:timestamp PLACEOFSERVICE PROCEDURECODE MODIFIER1 MODIFIER2 DIAGNOSISREF1:int "
            "DIAGNOSISREF2:int DIAGNOSISREF3:int DIAGNOSISREF4:int UNITS:int DEPARTMENTID NOTES "
            "UNITAMOUNT:decimal TRANSFEROUTID:int TRANSFERTYPE PAYMENTS:decimal ADJUSTMENTS:decimal "
            "TRANSFERS:decimal OUTSTANDING:decimal APPOINTMENTID LINENOTE PATIENTINSURANCEID "
            "FEESCHEDULEID PROVIDERID SUPERVISINGPROVIDERID")),
        CsvTable("conditions", columns("START:date! STOP:date PATIENT! ENCOUNTER! CODE! DESCRIPTION")),
        CsvTable("devices", columns("START:timestamp! STOP:timestamp PATIENT! ENCOUNTER! CODE! DESCRIPTION UDI")),
        CsvTable("encounters", columns(
            "Id! START:timestamp! STOP:timestamp PATIENT! ORGANIZATION PROVIDER PAYER ENCOUNTERCLASS! CODE "
            "DESCRIPTION BASE_ENCOUNTER_COST:decimal TOTAL_CLAIM_COST:decimal PAYER_COVERAGE:decimal "
            "REASONCODE REASONDESCRIPTION")),
        CsvTable("imaging_studies", columns(
            "Id! DATE:timestamp! PATIENT! ENCOUNTER! SERIES_UID BODYSITE_CODE BODYSITE_DESCRIPTION "
            "MODALITY_CODE MODALITY_DESCRIPTION INSTANCE_UID SOP_CODE SOP_DESCRIPTION PROCEDURE_CODE")),
        CsvTable("immunizations", columns("DATE:timestamp! PATIENT! ENCOUNTER! CODE! DESCRIPTION BASE_COST:decimal")),
        CsvTable("medications", columns(
            "START:timestamp! STOP:timestamp PATIENT! PAYER ENCOUNTER! CODE! DESCRIPTION BASE_COST:decimal "
            "PAYER_COVERAGE:decimal DISPENSES:int TOTALCOST:decimal REASONCODE REASONDESCRIPTION")),
        CsvTable("observations", columns(
            "DATE:timestamp! PATIENT! ENCOUNTER CATEGORY CODE! DESCRIPTION VALUE UNITS TYPE")),
        CsvTable("organizations", columns(
            "Id! NAME ADDRESS CITY STATE ZIP LAT:double LON:double PHONE REVENUE:decimal UTILIZATION:int")),
        CsvTable("patients", columns(
            "Id! BIRTHDATE:date! DEATHDATE:date SSN DRIVERS PASSPORT PREFIX FIRST LAST SUFFIX MAIDEN MARITAL "
            "RACE ETHNICITY GENDER BIRTHPLACE ADDRESS CITY STATE COUNTY ZIP LAT:double LON:double "
            "HEALTHCARE_EXPENSES:decimal HEALTHCARE_COVERAGE:decimal")),
        CsvTable("payer_transitions", columns(
            "PATIENT! MEMBERID START_YEAR:timestamp! END_YEAR:timestamp PAYER! SECONDARY_PAYER OWNERSHIP OWNERNAME")),
        CsvTable("payers", columns(
            "Id! NAME! ADDRESS CITY STATE_HEADQUARTERED ZIP PHONE AMOUNT_COVERED:decimal "
            "AMOUNT_UNCOVERED:decimal REVENUE:decimal COVERED_ENCOUNTERS:int UNCOVERED_ENCOUNTERS:int "
            "COVERED_MEDICATIONS:int UNCOVERED_MEDICATIONS:int COVERED_PROCEDURES:int "
            "UNCOVERED_PROCEDURES:int COVERED_IMMUNIZATIONS:int UNCOVERED_IMMUNIZATIONS:int "
            "UNIQUE_CUSTOMERS:int QOLS_AVG:double MEMBER_MONTHS:int")),
        CsvTable("procedures", columns(
            "START:timestamp! STOP:timestamp PATIENT! ENCOUNTER! CODE! DESCRIPTION BASE_COST:decimal "
            "REASONCODE REASONDESCRIPTION")),
        CsvTable("providers", columns(
            "Id! ORGANIZATION! NAME GENDER SPECIALITY ADDRESS CITY STATE ZIP LAT:double LON:double UTILIZATION:int")),
        CsvTable("supplies", columns("DATE:date! PATIENT! ENCOUNTER! CODE! DESCRIPTION QUANTITY:int")),
    )
}  # fmt: skip


# Columns that identify a person directly (HIPAA Safe Harbor identifiers), beside raw_line.
DIRECT_IDENTIFIERS: dict[str, tuple[str, ...]] = {
    "patients": ("ssn", "drivers", "passport", "prefix", "first", "last", "suffix", "maiden", "birthplace",
                 "address", "lat", "lon"),
    "payer_transitions": ("memberid", "ownername"),
}  # fmt: skip


def bronze_schema(spec: CsvTable) -> T.StructType:
    """A CSV table's bronze columns (dt, the batch date, is the partition column)."""
    typed = [T.StructField(c.name, SPARK_TYPES[c.type], not c.required) for c in spec.columns]
    return T.StructType([*typed, *LINEAGE_FIELDS])


TABLES: tuple[Table, ...] = tuple(
    Table(
        "bronze",
        spec.table,
        f"Synthea CSV export {spec.file}.csv, typed, with the raw record.",
        bronze_schema(spec),
        classification=Classification.PHI,
        direct_identifiers=(*DIRECT_IDENTIFIERS.get(spec.file, ()), "raw_line"),
        partition_keys=("dt",),
    )
    for spec in SYNTHEA_CSV_TABLES.values()
)
