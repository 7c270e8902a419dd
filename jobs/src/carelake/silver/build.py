"""bronze -> silver as one pure function: bronze frames in, silver frames out.

Silver is rebuilt from every bronze partition on each run: latest-wins deduplication over
all versions means reprocessing an old dt can never replace newer data, and a rerun
gives the same tables. The entry script (entrypoints/bronze_to_silver.py) only reads,
calls :func:`build_silver`, counts and writes.

Accounting, per table: candidate rows (every conformed source row) = rows written +
duplicates removed + rows quarantined. A candidate without its key cannot be placed in
the table's grain and goes to quarantine with the reason; the check that written rows
equal deduplicated rows catches any enrichment join that drops or multiplies rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from carelake.declarations import sort_order
from carelake.pipeline.rules import first_failure
from carelake.pseudonym_key import PseudonymKey
from carelake.runtime import CACHE_LEVEL
from carelake.silver import claims as claim_facts
from carelake.silver import clinical, dimensions
from carelake.silver import tables as silver_tables
from carelake.silver.codes import CodeMaps, with_condition_codes, with_icd10_category, with_procedure_codes
from carelake.silver.common import latest_wins
from carelake.silver.identity import (
    CLAIMS,
    EHR,
    IDENTITY_RECORD_SCHEMA,
    OUTREACH,
    MatchSettings,
    resolve_identities,
)
from carelake.silver.places import with_standard_place, zip_places
from carelake.silver.state import RECORD_ID

SILVER_TABLES = {t.name: t for t in silver_tables.TABLES}
# The calendar date (as written) a clinical fact happens on: the silver plausibility rules
# compare it with the birth date, which is also a date as written.
EVENT_TIME = {
    "fct_condition": "onset_date",
    "fct_procedure": "performed_date",
    "fct_observation": "effective_date",
    "fct_medication_request": "authored_date",
    "fct_immunization": "administered_date",
}
RANK = "_version_rank"


@dataclass
class SilverTable:
    """One silver table.

    ``ranked``: its candidates (RANK 1 is the surviving version; None for tables derived
    from others), ``final``: the surviving versions enriched (one row each), ``added``:
    rows of other origin written with them (e.g. persons only claims know about).
    """

    ranked: DataFrame | None
    final: DataFrame
    added: DataFrame | None = None

    def rows(self) -> DataFrame:
        return self.final if self.added is None else self.final.unionByName(self.added)


@dataclass
class SilverOutput:
    tables: dict[str, SilverTable]
    identity_summary: dict[str, int] = field(default_factory=dict)
    on_written: Callable[[], None] = lambda: None  # releases what the build cached


def _all_keys(keys: tuple[str, ...]) -> Column:
    condition = F.lit(True)
    for key in keys:
        condition = condition & F.col(key).isNotNull()
    return condition


def ranked_versions(candidates: DataFrame, table: str, implausible: bool = False) -> DataFrame:
    """Candidates with RANK (1 = the version that wins its key), ``reason`` and ``rule`` for rows
    that cannot compete: no key, or (``implausible``) a failed silver plausibility rule.

    Key and order are the table's registry declaration (carelake.silver.tables). Persisted:
    the winners feed several tables and the counts, and Spark would otherwise recompute (and
    re-plan) the whole lineage for each use.
    """
    declared = SILVER_TABLES[table]
    keys = declared.versions_key
    missing = F.coalesce(
        *(
            F.when(F.col(k).isNull(), F.lit(f"missing {k}: cannot place the record in its grain"))
            for k in keys
        )
    )
    rule, rule_reason = first_failure(declared.qualified_name) if implausible else (F.lit(None), F.lit(None))
    # The declared order, then the row's content: the winner never depends on arrival or splits.
    content = F.xxhash64(*(F.col(c) for c in candidates.columns))
    # Versions that cannot compete rank after those that can: an implausible newer version
    # leaves the older plausible one the winner (and is listed in silver.excluded_record).
    window = Window.partitionBy(*keys).orderBy(
        F.col("reason").isNotNull(), *sort_order(declared.dedup_order), content.desc()
    )
    ranked = (
        candidates.withColumn("rule", F.when(missing.isNull(), rule).cast("string"))
        .withColumn("reason", F.coalesce(missing, rule_reason).cast("string"))
        .withColumn(RANK, F.when(F.col("reason").isNull(), F.row_number().over(window)))
    )
    return ranked.persist(CACHE_LEVEL)


def winners(ranked: DataFrame) -> DataFrame:
    return ranked.where(F.col(RANK) == 1).drop(RANK, "reason", "rule")


def with_patient_birth(facts: DataFrame, ehr: DataFrame, event_date: Column) -> DataFrame:
    """Facts with the patient's birth_date and the fact's date, for the silver plausibility rules."""
    births = ehr.select(
        F.col("ehr_patient_id").alias("_birth_of"), F.col("birth_date").alias("patient_birth_date")
    )
    joined = facts.join(births, facts["ehr_patient_id"] == births["_birth_of"], "left").drop("_birth_of")
    return joined.withColumn("event_date", event_date)


def identity_records(ehr: DataFrame, partner_lines: DataFrame, outreach_events: DataFrame) -> DataFrame:
    """The records the master patient index links: EHR patients, claims members, outreach MRNs."""
    ehr_records = ehr.select(
        F.lit(EHR).alias("source"),
        F.col("ehr_patient_id").alias("source_id"),
        "mrn", "ssn", "first_name", "last_name", "birth_date", "gender", "zip5", "address_line",
    )  # fmt: skip
    members = latest_wins(
        partner_lines.withColumn("source_id", F.concat_ws(":", "partner_id", "member_id")),
        ["source_id"],
        [F.col("landed_at").desc_nulls_last(), F.col("source_file").desc(), F.col("source_line")],
    ).select(
        F.lit(CLAIMS).alias("source"),
        "source_id",
        F.lit(None).cast("string").alias("mrn"),
        F.col("member_ssn").alias("ssn"),
        F.col("member_first_name").alias("first_name"),
        F.col("member_last_name").alias("last_name"),
        F.col("member_birth_date").alias("birth_date"),
        F.col("member_gender").alias("gender"),
        F.col("member_zip").alias("zip5"),
        F.lit(None).cast("string").alias("address_line"),
    )
    outreach_records = (
        outreach_events.select(F.col("mrn").alias("source_id"))
        .distinct()
        .select(F.lit(OUTREACH).alias("source"), "source_id", F.col("source_id").alias("mrn"))
    )
    for f in IDENTITY_RECORD_SCHEMA.fields:
        if f.name not in outreach_records.columns:
            outreach_records = outreach_records.withColumn(f.name, F.lit(None).cast(f.dataType))
    records = ehr_records.unionByName(members).unionByName(outreach_records)
    return records.select(*(F.col(f.name).cast(f.dataType) for f in IDENTITY_RECORD_SCHEMA.fields))


class _PatientKeys:
    """Looks up patient_key in the MPI crosswalk for EHR ids, claims members and MRNs."""

    def __init__(self, crosswalk: DataFrame) -> None:
        self.crosswalk = crosswalk

    def attach(self, df: DataFrame, column: str, source: str = EHR, linked_only: bool = False) -> DataFrame:
        records = self.crosswalk.where(F.col("source") == source)
        if linked_only:
            records = records.where(F.col("linked"))
        lookup = records.select(F.col("source_id").alias("_source_id"), F.col("patient_key"))
        return df.join(lookup, df[column] == lookup["_source_id"], "left").drop("_source_id")


def _records(state: DataFrame) -> DataFrame:
    """A parsed state's rows as the candidates they were parsed into."""
    return state.drop(RECORD_ID)


def build_silver(
    states: dict[str, DataFrame], codes: CodeMaps, settings: MatchSettings | None = None, *, key: PseudonymKey
) -> SilverOutput:
    """Every silver table from silver's state (carelake.silver.state; grains and dedup orders:
    carelake.silver.tables). ``states``: state name -> its rows; ``key`` keys patient_key."""
    b = states
    tables: dict[str, SilverTable] = {}

    # --- patients and identity -----------------------------------------------------------
    patient_ranked = ranked_versions(_records(b["patient"]), "dim_patient")
    ehr = winners(patient_ranked)
    resolution = resolve_identities(
        identity_records(ehr, b["partner_claim_line"], b["outreach"]),
        settings or MatchSettings(),
        key=key,
    )
    keys = _PatientKeys(resolution.crosswalk)
    tables["mpi_crosswalk"] = SilverTable(None, resolution.crosswalk)
    tables["mpi_review"] = SilverTable(None, resolution.review)

    # --- encounters ------------------------------------------------------------------------
    encounter_ranked = ranked_versions(
        with_patient_birth(_records(b["encounter"]), ehr, F.col("admit_date")),
        "fct_encounter",
        implausible=True,
    )
    encounter = winners(encounter_ranked).drop("patient_birth_date", "event_date")

    # --- claims ----------------------------------------------------------------------------
    fhir_claims, fhir_lines, unresolved_contained = claim_facts.fhir_claims(
        b["fhir_claim"],
        b["fhir_explanation_of_benefit"],
        b["condition"]
        .where(F.col("source") == "ehr_fhir")
        .select(F.col("source_id").alias("resource_id"), "snomed_code"),
    )
    csv_payer_names = (
        b["csv_payers"].select(F.col("id").alias("payer_id"), F.col("name").alias("payer_name")).distinct()
    )
    csv_claims, csv_lines = claim_facts.csv_claims(
        b["csv_claims"], b["csv_claims_transactions"], csv_payer_names
    )
    partner_claims, partner_lines = claim_facts.partner_claims(b["partner_claim_line"])
    claim_ranked = ranked_versions(
        claim_facts.claim_candidates(fhir_claims, csv_claims, partner_claims), "fct_claim"
    )
    claim = winners(claim_ranked)
    line_ranked = ranked_versions(
        claim_facts.line_candidates(claim, fhir_lines, csv_lines, partner_lines), "fct_claim_line"
    )

    # --- dimensions (with inferred members for what facts reference but no source describes)
    payer = dimensions.payers(b["csv_payers"], claim.select("payer_name"))
    provider = dimensions.with_inferred(
        dimensions.practitioners(b["fhir_practitioner"], b["csv_providers"]),
        "npi",
        encounter.select(
            F.col("provider_npi").alias("npi"), F.col("provider_display").alias("display")
        ).unionByName(
            claim.select(F.col("provider_npi").alias("npi"), F.lit(None).cast("string").alias("display"))
        ),
        "provider_name",
    ).withColumn("provider_key", F.coalesce("npi", F.concat(F.lit("id:"), "provider_id")))
    organization = dimensions.with_inferred(
        dimensions.organizations(b["fhir_organization"], b["csv_organizations"]),
        "organization_id",
        encounter.select("organization_id", F.col("organization_display").alias("display")),
        "organization_name",
    )
    location = dimensions.with_inferred(
        dimensions.locations(b["fhir_location"]),
        "location_id",
        encounter.select("location_id", F.col("location_display").alias("display")),
        "location_name",
    )

    # --- encounter enrichment ---------------------------------------------------------------
    payer_by_encounter = latest_wins(
        claim.where(F.col("encounter_id").isNotNull()).select(
            "encounter_id", F.col("payer_key").alias("_claim_payer"), "source"
        ),
        ["encounter_id"],
        [F.col("source")],
    ).drop("source")
    payer_by_id = payer.where(F.col("payer_id").isNotNull()).select(
        F.col("payer_id").alias("_pid"), F.col("payer_key").alias("_csv_payer")
    )
    npi_by_id = provider.where(F.col("provider_id").isNotNull() & F.col("npi").isNotNull()).select(
        F.col("provider_id").alias("_prov_id"), F.col("npi").alias("_npi_of_id")
    )
    id_by_npi = provider.where(F.col("provider_id").isNotNull() & F.col("npi").isNotNull()).select(
        F.col("npi").alias("_npi"), F.col("provider_id").alias("_id_of_npi")
    )
    enriched_encounter = (
        keys.attach(encounter, "ehr_patient_id")
        .join(payer_by_encounter, "encounter_id", "left")
        .join(payer_by_id, encounter["payer_id"] == F.col("_pid"), "left")
        .join(npi_by_id, encounter["provider_id"] == F.col("_prov_id"), "left")
        .join(id_by_npi, encounter["provider_npi"] == F.col("_npi"), "left")
        .withColumn("payer_key", F.coalesce("_claim_payer", "_csv_payer"))
        .withColumn("provider_npi", F.coalesce("provider_npi", "_npi_of_id"))
        .withColumn("provider_id", F.coalesce("provider_id", "_id_of_npi"))
        .withColumn("provider_key", F.coalesce("provider_npi", F.concat(F.lit("id:"), "provider_id")))
        .drop("_claim_payer", "_csv_payer", "_pid", "_prov_id", "_npi_of_id", "_npi", "_id_of_npi")
    )
    enriched_encounter = with_condition_codes(enriched_encounter, "reason_code", codes, prefix="reason_")
    tables["fct_encounter"] = SilverTable(encounter_ranked, enriched_encounter)

    # --- claims enrichment ------------------------------------------------------------------
    claim_with_keys = (
        keys.attach(
            keys.attach(claim, "ehr_patient_id").withColumnRenamed("patient_key", "_ehr_key"),
            "member_source_id",
            CLAIMS,
        )
        .withColumn("patient_key", F.coalesce("_ehr_key", "patient_key"))
        .drop("_ehr_key")
    )
    snomed_claims = with_condition_codes(
        claim_with_keys.where(F.col("diagnosis_system") != "icd10cm"), "diagnosis_code", codes
    )
    icd_claims = with_icd10_category(
        claim_with_keys.where(F.col("diagnosis_system") == "icd10cm").withColumn(
            "icd10cm_code", F.col("diagnosis_code")
        ),
        "icd10cm_code",
    )
    no_diagnosis = (
        claim_with_keys.where(F.col("diagnosis_system").isNull())
        .withColumn("icd10cm_code", F.lit(None).cast("string"))
        .withColumn("diagnosis_category", F.lit(None).cast("string"))
    )
    tables["fct_claim"] = SilverTable(
        claim_ranked, snomed_claims.unionByName(icd_claims).unionByName(no_diagnosis)
    )
    tables["fct_claim_line"] = SilverTable(line_ranked, winners(line_ranked).drop("source"))

    # --- clinical facts ---------------------------------------------------------------------
    fact_rows = {
        "fct_condition": _records(b["condition"]),
        "fct_procedure": _records(b["procedure"]),
        "fct_observation": _records(b["observation"]),
        "fct_medication_request": clinical.medication_requests(
            b["fhir_medication_request"], b["fhir_medication"], b["csv_medications"]
        ),
        "fct_immunization": _records(b["immunization"]),
    }
    for table, rows in fact_rows.items():
        ranked = ranked_versions(
            with_patient_birth(rows, ehr, F.col(EVENT_TIME[table])), table, implausible=True
        )
        final = keys.attach(winners(ranked).drop("patient_birth_date", "event_date"), "ehr_patient_id")
        if table == "fct_condition":
            final = with_condition_codes(final, "snomed_code", codes)
        elif table == "fct_procedure":
            final = with_procedure_codes(final, "snomed_code", codes)
        tables[table] = SilverTable(ranked, final)

    # --- outreach ---------------------------------------------------------------------------
    outreach_ranked = ranked_versions(_records(b["outreach"]), "fct_outreach")
    # An MRN no EHR patient has stays unresolved (patient_key null) and goes to mpi_review;
    # it never makes a patient of its own.
    tables["fct_outreach"] = SilverTable(
        outreach_ranked,
        keys.attach(winners(outreach_ranked).drop("source_line"), "mrn", OUTREACH, linked_only=True),
    )

    # --- dimensions out -----------------------------------------------------------------------
    ehr_persons, other_persons = _dim_patient(ehr, keys, resolution.crosswalk, b["partner_claim_line"])
    tables["dim_patient"] = SilverTable(patient_ranked, ehr_persons, other_persons)
    tables["dim_provider"] = SilverTable(None, provider)
    places = zip_places(organization.sparkSession)  # one place, one name (carelake.silver.places)
    tables["dim_organization"] = SilverTable(None, with_standard_place(organization, places))
    tables["dim_location"] = SilverTable(None, with_standard_place(location, places))
    tables["dim_payer"] = SilverTable(None, payer)

    # --- references nobody could resolve ---------------------------------------------------------
    tables["unresolved_reference"] = SilverTable(None, _unresolved(tables, ehr, unresolved_contained))
    return SilverOutput(tables=tables, identity_summary=resolution.summary, on_written=resolution.unpersist)


DIM_PATIENT_COLUMNS = (
    "patient_key", "ehr_patient_id", "mrn", "gender", "birth_date", "death_date", "race", "ethnicity",
    "marital_status", "city", "state", "zip3", "source", "link_rule",
)  # fmt: skip


def _dim_patient(
    ehr: DataFrame, keys: _PatientKeys, crosswalk: DataFrame, partner_lines: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """(EHR persons, persons only partner claims or outreach know about), dim_patient columns.

    Only what the grain needs: ZIP cut to 3 digits, no names, SSN or street address.
    """
    ehr_persons = keys.attach(ehr, "ehr_patient_id").select(
        "patient_key", "ehr_patient_id", "mrn", "gender", "birth_date", "death_date", "race", "ethnicity",
        "marital_status", "city", "state", F.substring("zip5", 1, 3).alias("zip3"), "source",
        F.lit(EHR).alias("link_rule"),
    )  # fmt: skip
    members = latest_wins(
        partner_lines.withColumn("source_id", F.concat_ws(":", "partner_id", "member_id")),
        ["source_id"],
        [F.col("landed_at").desc_nulls_last(), F.col("source_file").desc(), F.col("source_line")],
    ).select("source_id", "member_gender", "member_birth_date", "member_zip")
    # Claims members that did not link to an EHR patient are persons of their own; an outreach
    # MRN that matches no patient is for review (mpi_review), never a person.
    standalone = crosswalk.where((F.col("source") == CLAIMS) & ~F.col("linked"))
    first_record = Window.partitionBy("patient_key").orderBy("source", "source_id")
    others = (
        standalone.join(members, "source_id", "left")
        .withColumn("_n", F.row_number().over(first_record))
        .where(F.col("_n") == 1)
        .select(
            "patient_key",
            F.lit(None).cast("string").alias("ehr_patient_id"),
            F.when(F.col("source") == OUTREACH, F.col("source_id")).alias("mrn"),
            F.col("member_gender").alias("gender"),
            F.col("member_birth_date").alias("birth_date"),
            F.lit(None).cast("date").alias("death_date"),
            F.lit(None).cast("string").alias("race"),
            F.lit(None).cast("string").alias("ethnicity"),
            F.lit(None).cast("string").alias("marital_status"),
            F.lit(None).cast("string").alias("city"),
            F.lit(None).cast("string").alias("state"),
            F.substring("member_zip", 1, 3).alias("zip3"),
            "source",
            F.col("rule").alias("link_rule"),
        )
    )
    return ehr_persons, others


def _unresolved(tables: dict[str, SilverTable], ehr: DataFrame, contained: DataFrame) -> DataFrame:
    """References kept on facts whose target no table holds: counted and reported, never dropped.

    Checked on the surviving versions (keys only), not on the enriched tables, so the
    check is a handful of narrow anti-joins.
    """
    patient_ids = ehr.select(F.col("ehr_patient_id").alias("_target")).distinct()
    encounter_ids = winners(tables["fct_encounter"].ranked).select(F.col("encounter_id").alias("_target"))
    fact_keys = {
        "fct_encounter": "encounter_id",
        "fct_condition": "source_id",
        "fct_procedure": "source_id",
        "fct_observation": "source_id",
        "fct_medication_request": "source_id",
        "fct_immunization": "source_id",
        "fct_claim": "claim_key",
    }
    found: list[DataFrame] = []
    for table, record_key in fact_keys.items():
        survivors = winners(tables[table].ranked)
        checks = [("patient", "ehr_patient_id", patient_ids)]
        if table != "fct_encounter":
            checks.append(("encounter", "encounter_id", encounter_ids))
        for kind, column, targets in checks:
            references = survivors.where(F.col(column).isNotNull()).select(
                F.coalesce(F.col(record_key), F.lit("")).alias("record_key"), F.col(column).alias("reference")
            )
            missing = references.join(
                F.broadcast(targets), F.col("reference") == F.col("_target"), "left_anti"
            )
            found.append(
                missing.select(
                    F.lit(table).alias("source_table"), "record_key", F.lit(kind).alias("kind"), "reference"
                )
            )
    found.append(
        contained.select(
            F.col("source_table"), F.col("record_id").alias("record_key"), F.col("kind"), F.col("reference")
        )
    )
    out = found[0]
    for frame in found[1:]:
        out = out.unionByName(frame)
    return out.distinct()
