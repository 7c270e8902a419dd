"""Explicit schemas of the Synthea v3 CSV export (file name, header, column types).

Column order is the file's header order; bronze column names are the lower-cased headers.
``required`` columns must be non-empty (keys and the fields every downstream join needs).
Types: string, date (YYYY-MM-DD), timestamp (ISO-8601 with zone, Synthea writes Z),
decimal (money, kept exact as decimal(18,2)), double, int, bigint.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CsvColumn:
    header: str
    type: str = "string"
    required: bool = False

    @property
    def name(self) -> str:
        return self.header.lower()


@dataclass(frozen=True)
class CsvTable:
    file: str  # file name stem, e.g. "patients" for patients.csv
    columns: tuple[CsvColumn, ...]

    @property
    def table(self) -> str:
        return f"csv_{self.file}"

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns]


def _cols(spec: str) -> tuple[CsvColumn, ...]:
    """Parse 'NAME:type!' tokens (type defaults to string, '!' marks required)."""
    columns = []
    for token in spec.split():
        required = token.endswith("!")
        token = token.rstrip("!")
        header, _, type_ = token.partition(":")
        columns.append(CsvColumn(header, type_ or "string", required))
    return tuple(columns)


SYNTHEA_CSV_TABLES: dict[str, CsvTable] = {
    t.file: t
    for t in (
        CsvTable("allergies", _cols(
            "START:date! STOP:date PATIENT! ENCOUNTER! CODE! SYSTEM DESCRIPTION TYPE CATEGORY "
            "REACTION1 DESCRIPTION1 SEVERITY1 REACTION2 DESCRIPTION2 SEVERITY2")),
        CsvTable("careplans", _cols(
            "Id! START:date! STOP:date PATIENT! ENCOUNTER! CODE! DESCRIPTION REASONCODE REASONDESCRIPTION")),
        CsvTable("claims", _cols(
            "Id! PATIENTID! PROVIDERID! PRIMARYPATIENTINSURANCEID SECONDARYPATIENTINSURANCEID "
            "DEPARTMENTID PATIENTDEPARTMENTID DIAGNOSIS1 DIAGNOSIS2 DIAGNOSIS3 DIAGNOSIS4 DIAGNOSIS5 "
            "DIAGNOSIS6 DIAGNOSIS7 DIAGNOSIS8 REFERRINGPROVIDERID APPOINTMENTID CURRENTILLNESSDATE:timestamp "
            "SERVICEDATE:timestamp! SUPERVISINGPROVIDERID STATUS1 STATUS2 STATUSP OUTSTANDING1:decimal "
            "OUTSTANDING2:decimal OUTSTANDINGP:decimal LASTBILLEDDATE1:timestamp LASTBILLEDDATE2:timestamp "
            "LASTBILLEDDATEP:timestamp HEALTHCARECLAIMTYPEID1:int HEALTHCARECLAIMTYPEID2:int")),
        CsvTable("claims_transactions", _cols(
            "ID! CLAIMID! CHARGEID:int PATIENTID! TYPE! AMOUNT:decimal METHOD FROMDATE:timestamp "
            "TODATE:timestamp PLACEOFSERVICE PROCEDURECODE MODIFIER1 MODIFIER2 DIAGNOSISREF1:int "
            "DIAGNOSISREF2:int DIAGNOSISREF3:int DIAGNOSISREF4:int UNITS:int DEPARTMENTID NOTES "
            "UNITAMOUNT:decimal TRANSFEROUTID:int TRANSFERTYPE PAYMENTS:decimal ADJUSTMENTS:decimal "
            "TRANSFERS:decimal OUTSTANDING:decimal APPOINTMENTID LINENOTE PATIENTINSURANCEID "
            "FEESCHEDULEID PROVIDERID SUPERVISINGPROVIDERID")),
        CsvTable("conditions", _cols("START:date! STOP:date PATIENT! ENCOUNTER! CODE! DESCRIPTION")),
        CsvTable("devices", _cols("START:timestamp! STOP:timestamp PATIENT! ENCOUNTER! CODE! DESCRIPTION UDI")),
        CsvTable("encounters", _cols(
            "Id! START:timestamp! STOP:timestamp PATIENT! ORGANIZATION PROVIDER PAYER ENCOUNTERCLASS! CODE "
            "DESCRIPTION BASE_ENCOUNTER_COST:decimal TOTAL_CLAIM_COST:decimal PAYER_COVERAGE:decimal "
            "REASONCODE REASONDESCRIPTION")),
        CsvTable("imaging_studies", _cols(
            "Id! DATE:timestamp! PATIENT! ENCOUNTER! SERIES_UID BODYSITE_CODE BODYSITE_DESCRIPTION "
            "MODALITY_CODE MODALITY_DESCRIPTION INSTANCE_UID SOP_CODE SOP_DESCRIPTION PROCEDURE_CODE")),
        CsvTable("immunizations", _cols("DATE:timestamp! PATIENT! ENCOUNTER! CODE! DESCRIPTION BASE_COST:decimal")),
        CsvTable("medications", _cols(
            "START:timestamp! STOP:timestamp PATIENT! PAYER ENCOUNTER! CODE! DESCRIPTION BASE_COST:decimal "
            "PAYER_COVERAGE:decimal DISPENSES:int TOTALCOST:decimal REASONCODE REASONDESCRIPTION")),
        CsvTable("observations", _cols(
            "DATE:timestamp! PATIENT! ENCOUNTER CATEGORY CODE! DESCRIPTION VALUE UNITS TYPE")),
        CsvTable("organizations", _cols(
            "Id! NAME ADDRESS CITY STATE ZIP LAT:double LON:double PHONE REVENUE:decimal UTILIZATION:int")),
        CsvTable("patients", _cols(
            "Id! BIRTHDATE:date! DEATHDATE:date SSN DRIVERS PASSPORT PREFIX FIRST LAST SUFFIX MAIDEN MARITAL "
            "RACE ETHNICITY GENDER BIRTHPLACE ADDRESS CITY STATE COUNTY ZIP LAT:double LON:double "
            "HEALTHCARE_EXPENSES:decimal HEALTHCARE_COVERAGE:decimal")),
        CsvTable("payer_transitions", _cols(
            "PATIENT! MEMBERID START_YEAR:timestamp! END_YEAR:timestamp PAYER! SECONDARY_PAYER OWNERSHIP OWNERNAME")),
        CsvTable("payers", _cols(
            "Id! NAME! ADDRESS CITY STATE_HEADQUARTERED ZIP PHONE AMOUNT_COVERED:decimal "
            "AMOUNT_UNCOVERED:decimal REVENUE:decimal COVERED_ENCOUNTERS:int UNCOVERED_ENCOUNTERS:int "
            "COVERED_MEDICATIONS:int UNCOVERED_MEDICATIONS:int COVERED_PROCEDURES:int "
            "UNCOVERED_PROCEDURES:int COVERED_IMMUNIZATIONS:int UNCOVERED_IMMUNIZATIONS:int "
            "UNIQUE_CUSTOMERS:int QOLS_AVG:double MEMBER_MONTHS:int")),
        CsvTable("procedures", _cols(
            "START:timestamp! STOP:timestamp PATIENT! ENCOUNTER! CODE! DESCRIPTION BASE_COST:decimal "
            "REASONCODE REASONDESCRIPTION")),
        CsvTable("providers", _cols(
            "Id! ORGANIZATION! NAME GENDER SPECIALITY ADDRESS CITY STATE ZIP LAT:double LON:double UTILIZATION:int")),
        CsvTable("supplies", _cols("DATE:date! PATIENT! ENCOUNTER! CODE! DESCRIPTION QUANTITY:int")),
    )
}  # fmt: skip
