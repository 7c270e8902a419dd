"""Silver's state: the latest version of every source record silver is built from.

bronze_to_silver never reads all of bronze. Each run reads the bronze partitions committed
since the batch it builds on, turns their rows into *records* and merges them into the
state tables (``silver.state_<name>``): for every record id, the rows of its newest version
win (``meta.lastUpdated``, then when it landed, then its file; a version's rows stay together,
e.g. an observation's components). The silver
tables are then built from the state alone (carelake.silver.build), so N incremental runs
give exactly the tables one run over all of bronze gives: latest-wins is associative, and a
superseded version is gone from the state, so its rows cannot linger in silver.

Two kinds of state:

- *parsed*: the records of the large per-record entities (patients, encounters, clinical
  facts, outreach events) are parsed once, when they arrive, into the candidate columns the
  silver tables are built from;
- *raw*: the bronze rows of sources that are combined with other records (claims with their
  explanation of benefit and transactions, medication requests with their medications, the
  dimension sources) are kept as bronze rows and parsed when silver is built, so a Claim and
  its ExplanationOfBenefit may arrive in different batches. They also keep the bronze
  commit that ingested them (``ingest_seq``), so a batch reprocessed on purpose wins a tie.

Reprocessing a bronze batch on purpose can drop records the old parse produced; rebuild
silver afterwards (``--rebuild true``), as docs/runbook.md says.

A record that cannot be placed in its table's grain (no key) never enters the state: it is
quarantined when it arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.declarations import Classification, Table, schema
from carelake.silver import clinical, encounters, outreach, patients
from carelake.sources.fhir import contract as fhir
from carelake.sources.partner_claims import contract as partner_claims
from carelake.sources.synthea_csv import contract as synthea_csv

STATE_PREFIX = "state_"
INGEST_SEQ = "ingest_seq"  # the bronze commit that ingested the row (newer processing wins a tie)
RECORD_ID = "record_id"


@dataclass(frozen=True)
class State:
    """One state table: where its records come from and what identifies a record and a version."""

    name: str
    inputs: tuple[str, ...]  # bronze tables
    columns: str  # the record columns (schema spec), before record_id and ingest_seq
    record_id: Callable[[], Column]
    version: tuple[str, ...]  # newest version first by these (all descending, nulls last)
    candidates: Callable[[Mapping[str, DataFrame]], DataFrame] | None = None  # None: the bronze rows
    table_key: tuple[str, ...] = ()  # the silver grain a record must have to enter (parsed states)
    silver_table: str = ""  # the silver table whose grain it is

    @property
    def table_name(self) -> str:
        return STATE_PREFIX + self.name

    @property
    def parsed(self) -> bool:
        return self.candidates is not None

    @property
    def record_key(self) -> tuple[str, ...]:
        """What identifies a record across versions (the rows of one version share it)."""
        return ("source", RECORD_ID) if self.parsed and "source " in self.columns else (RECORD_ID,)

    def table(self) -> Table:
        # No unique key: the rows of a record's newest version share its record_key (an
        # observation's components, two resources of one bundle on the same grain), and
        # silver's own latest-wins picks among them.
        return Table(
            "silver",
            self.table_name,
            f"Silver's state: the latest version of every {self.name.replace('_', ' ')} record ("
            + ("parsed" if self.parsed else "as bronze holds it")
            + f"); silver's tables are built from it. A record is its {', '.join(self.record_key)}; "
            "the rows of its newest version share them.",
            schema(f"{self.columns}, {RECORD_ID} string" + ("" if self.parsed else f", {INGEST_SEQ} bigint")),
            classification=Classification.PHI,
        )


def _concat(*columns: str) -> Callable[[], Column]:
    return lambda: F.concat_ws("|", *(F.coalesce(F.col(c).cast("string"), F.lit("")) for c in columns))


def _column(name: str) -> Callable[[], Column]:
    return lambda: F.col(name)


def _fact_id(*key: str) -> Callable[[], Column]:
    """A FHIR fact is its resource; a CSV row (no id) is its key."""
    return lambda: F.coalesce(F.col("source_id"), _concat(*key)())


# Newest version first. A parsed record's version is when and where it landed; a raw record
# also knows the bronze commit that ingested it (a batch reprocessed on purpose wins a tie).
_FHIR_VERSION = ("meta_last_updated", "landed_at", "source_file")
_FILE_VERSION = ("landed_at", "source_file")
_LINEAGE = "source string, meta_last_updated timestamp, landed_at timestamp, source_file string"
_FACT_LINEAGE = f"{_LINEAGE}, source_line int"


def _bronze_columns(table: str) -> str:
    """A bronze table's columns (and its partition keys but dt) as a schema spec."""
    if table.startswith("fhir_"):
        fields, partitions = fhir.BRONZE_SCHEMA.fields, []
    elif table == partner_claims.TABLE:
        fields, partitions = partner_claims.BRONZE_SCHEMA.fields, ["partner_id"]
    else:
        fields, partitions = (
            synthea_csv.bronze_schema(synthea_csv.SYNTHEA_CSV_TABLES[table.removeprefix("csv_")]).fields,
            [],
        )
    return ", ".join(f"{f.name} {f.dataType.simpleString()}" for f in fields) + "".join(
        f", {k} string" for k in partitions
    )


def _raw_fhir(table: str) -> State:
    return State(
        table,
        (table,),
        "",
        _column("resource_id"),
        (*_FHIR_VERSION, "source_entry", "source_line", INGEST_SEQ),
    )


def _raw_csv(table: str, *record_key: str) -> State:
    return State(table, (table,), "", _concat(*record_key), (*_FILE_VERSION, "source_line", INGEST_SEQ))


PARSED: tuple[State, ...] = (
    State(
        "patient", ("fhir_patient", "csv_patients"),
        "ehr_patient_id string, mrn string, ssn string, first_name string, last_name string, gender string, "
        "birth_date date, death_date date, race string, ethnicity string, marital_status string, "
        f"address_line string, city string, state string, zip5 string, {_LINEAGE}",
        _column("ehr_patient_id"), _FHIR_VERSION,
        lambda b: patients.patient_candidates(patients.fhir_patients(b["fhir_patient"]), patients.csv_patients(b["csv_patients"])),
        ("ehr_patient_id",), "dim_patient",
    ),
    State(
        "encounter", ("fhir_encounter", "csv_encounters"),
        "encounter_id string, ehr_patient_id string, encounter_class string, encounter_type_code string, "
        "encounter_type_display string, start_at timestamp, end_at timestamp, admit_date date, discharge_date date, "
        "length_of_stay_days int, discharge_disposition_code string, discharge_disposition_display string, "
        "provider_npi string, provider_id string, provider_display string, organization_id string, "
        "organization_display string, location_id string, location_display string, payer_id string, "
        f"reason_code string, reason_display string, reason_codes array<string>, {_LINEAGE}",
        _column("encounter_id"), _FHIR_VERSION,
        lambda b: encounters.encounter_candidates(encounters.fhir_encounters(b["fhir_encounter"]), encounters.csv_encounters(b["csv_encounters"])),
        ("encounter_id",), "fct_encounter",
    ),
    State(
        "condition", ("fhir_condition", "csv_conditions"),
        "source_id string, ehr_patient_id string, encounter_id string, snomed_code string, snomed_display string, "
        f"onset_date date, abatement_date date, clinical_status string, {_FACT_LINEAGE}",
        _fact_id("ehr_patient_id", "snomed_code", "onset_date"), _FHIR_VERSION,
        lambda b: clinical.conditions(b["fhir_condition"], b["csv_conditions"]),
        ("ehr_patient_id", "snomed_code", "onset_date"), "fct_condition",
    ),
    State(
        "procedure", ("fhir_procedure", "csv_procedures"),
        "source_id string, ehr_patient_id string, encounter_id string, snomed_code string, snomed_display string, "
        "performed_at timestamp, performed_date date, performed_end_at timestamp, reason_code string, "
        f"base_cost decimal(14,2), {_FACT_LINEAGE}",
        _fact_id("ehr_patient_id", "snomed_code", "performed_at"), _FHIR_VERSION,
        lambda b: clinical.procedures(b["fhir_procedure"], b["csv_procedures"]),
        ("ehr_patient_id", "snomed_code", "performed_at"), "fct_procedure",
    ),
    State(
        "observation", ("fhir_observation", "csv_observations"),
        "source_id string, ehr_patient_id string, encounter_id string, category string, effective_at timestamp, "
        f"effective_date date, {_FACT_LINEAGE}, loinc_code string, loinc_display string, value_numeric double, "
        "value_text string, unit string",
        _fact_id("ehr_patient_id", "loinc_code", "effective_at"), _FHIR_VERSION,
        lambda b: clinical.observations(b["fhir_observation"], b["csv_observations"]),
        ("ehr_patient_id", "loinc_code", "effective_at"), "fct_observation",
    ),
    State(
        "immunization", ("fhir_immunization", "csv_immunizations"),
        "source_id string, ehr_patient_id string, encounter_id string, cvx_code string, cvx_display string, "
        f"administered_at timestamp, administered_date date, base_cost decimal(14,2), {_FACT_LINEAGE}",
        _fact_id("ehr_patient_id", "cvx_code", "administered_at"), _FHIR_VERSION,
        lambda b: clinical.immunizations(b["fhir_immunization"], b["csv_immunizations"]),
        ("ehr_patient_id", "cvx_code", "administered_at"), "fct_immunization",
    ),
    State(
        "outreach", ("outreach_event",),
        "outreach_id string, mrn string, coordinator_id string, event_at timestamp, event_local_date date, "
        "channel string, status string, is_successful boolean, note string, received_at timestamp, "
        "landed_at timestamp, source_file string, source_line int",
        _column("outreach_id"), (*_FILE_VERSION, "source_line"),
        lambda b: outreach.outreach_candidates(b["outreach_event"]),
        ("outreach_id",), "fct_outreach",
    ),
)  # fmt: skip

RAW: tuple[State, ...] = (
    _raw_fhir("fhir_claim"),
    _raw_fhir("fhir_explanation_of_benefit"),
    _raw_fhir("fhir_medication_request"),
    _raw_fhir("fhir_medication"),
    _raw_fhir("fhir_practitioner"),
    _raw_fhir("fhir_organization"),
    _raw_fhir("fhir_location"),
    _raw_csv("csv_claims", "id"),
    _raw_csv("csv_claims_transactions", "id"),
    _raw_csv("csv_payers", "id"),
    _raw_csv("csv_providers", "id"),
    _raw_csv("csv_organizations", "id"),
    _raw_csv("csv_medications", "patient", "encounter", "code", "start"),
    # every file's report of a line is a record of its own: a claim reported again in a later
    # file is the payer's next decision, and silver reads the first one (carelake.silver.claims)
    _raw_csv("partner_claim_line", "partner_id", "claim_id", "claim_line", "source_file"),
)
STATES: tuple[State, ...] = (*PARSED, *RAW)
BRONZE_INPUTS: tuple[str, ...] = tuple(sorted({name for s in STATES for name in s.inputs}))


def columns_of(state: State) -> str:
    return state.columns or _bronze_columns(state.name)


def declared(state: State) -> Table:
    return State(**{**state.__dict__, "columns": columns_of(state)}).table()


def tables() -> tuple[Table, ...]:
    """The state tables, for the registry."""
    return tuple(declared(s) for s in STATES)


def records(state: State, bronze: Mapping[str, DataFrame]) -> DataFrame:
    """The state's records from bronze rows (``ingest_seq`` carried), with their record id."""
    if state.candidates is not None:
        rows = state.candidates(bronze)
    else:
        (name,) = state.inputs
        rows = bronze[name]
    return rows.withColumn(RECORD_ID, state.record_id())


def missing_key(state: State) -> Column:
    """Why a record cannot enter the state (its silver grain is incomplete), null when it can."""
    return F.coalesce(
        *(
            F.when(F.col(k).isNull(), F.lit(f"missing {k}: cannot place the record in its grain"))
            for k in state.table_key
        ),
        F.lit(None).cast("string"),
    )


def merged(state: State, current: DataFrame, arriving: DataFrame) -> DataFrame:
    """current state rows and arriving records (both with ``_reason``: why a record cannot enter,
    null when it can), with ``_arrived`` and ``_wins``: the row belongs to its record's newest
    version (all rows of that version win; an exact tie between versions keeps both, and
    silver's own latest-wins decides between them by content). A rejected record never wins
    and never hides another version."""
    key = list(state.record_key)
    version = F.struct(*(F.col(c) for c in state.version))
    admitted = F.col("_reason").isNull()
    newest = F.max(F.when(admitted, version)).over(Window.partitionBy(*key))
    both = current.withColumn("_arrived", F.lit(False)).unionByName(
        arriving.withColumn("_arrived", F.lit(True))
    )
    return both.withColumn("_wins", admitted & version.eqNullSafe(newest))


def with_ingest_seq(frame: DataFrame) -> DataFrame:
    """Bronze rows read with their version folder's name (``v``) -> ``ingest_seq``."""
    return frame.withColumn(INGEST_SEQ, F.split(F.col("v"), "-").getItem(0).cast(T.LongType())).drop("v")
