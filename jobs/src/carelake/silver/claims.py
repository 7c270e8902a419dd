"""fct_claim and fct_claim_line from FHIR Claim + ExplanationOfBenefit, Synthea CSV claims
and partner claims.

FHIR: the Claim has what was billed (total, items); its ExplanationOfBenefit has what
the payer allowed and paid, and names the payer only through its contained Coverage
(``#coverage``) and the referring provider through its contained ServiceRequest
(``#referral``). A claim can have several EOBs, one per payer decision: the first
(earliest ``created``) is the initial decision, the latest the decision that stands. A
decision denies when its items carry a CARIN ``denialreason`` adjudication (the CARC).
Synthea's CSV: CHARGE transactions are the billed lines, PAYMENT transactions by ECHECK
are the payer's payments (other methods are the patient's), allowed = billed minus
ADJUSTMENT amounts, and an ADJUSTMENT whose line note is a CARC denies the line. The CSV
holds a claim's current state only, so no CSV claim reads as appealed.
Partner claims arrive one row per line; a claim reported again in a later file replaces
the earlier report (an appeal's decision), and claim-level status follows the lines.

Every claim gets the denial measures (docs/measures/claim-denials.md):
``is_initially_denied`` (the first decision denied it), ``denial_reason`` (that denial's
CARC), ``is_appealed`` (an initial denial the payer decided again) and ``is_overturned``
(an appealed denial no longer denied).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window, WindowSpec
from pyspark.sql import functions as F
from pyspark.sql import types as T

from carelake.silver import fhir_schemas as S
from carelake.silver.common import (
    NPI_SYSTEM,
    SYNTHEA_SYSTEM,
    conditional_identifier,
    fhir_timestamp,
    first_coding,
    latest_wins,
    money,
    newest_first,
    reference_id,
)
from carelake.silver.dimensions import payer_key

BLUEBUTTON = "https://bluebutton.cms.gov/resources/variables/"
ALLOWED = BLUEBUTTON + "line_alowd_chrg_amt"
PROVIDER_PAID = BLUEBUTTON + "line_prvdr_pmt_amt"
DENIAL_REASON = "denialreason"  # CARIN Blue Button adjudication slice of a denial
PAYER_PAYMENT_METHOD = "ECHECK"
CARC = r"^(CO|PR|OA|PI|CR)-[A-Z]?[0-9]{1,3}$"  # a CARC with its group, as carelake stores it
MONEY = T.DecimalType(14, 2)

CLAIM_COLUMNS = (
    "claim_key", "claim_id", "source", "ehr_patient_id", "member_source_id", "encounter_id", "payer_key",
    "payer_name", "provider_npi", "provider_id", "referring_provider_npi", "facility_location_id",
    "service_from", "service_to", "diagnosis_code", "diagnosis_system", "billed_amount", "allowed_amount",
    "paid_amount", "claim_status", "denial_reason", "is_initially_denied", "is_appealed", "is_overturned",
    "line_count", "meta_last_updated", "landed_at", "source_file",
)  # fmt: skip
LINE_COLUMNS = (
    "claim_key", "line_number", "procedure_code", "procedure_system", "procedure_display", "units",
    "billed_amount", "allowed_amount", "paid_amount", "line_status", "denial_reason",
)  # fmt: skip


def _adjudication(item: Column, category: str) -> Column:
    """The item's amount of one adjudication category (0 when it has none, e.g. a diagnosis
    item: without the coalesce one such item made the whole claim's allowed amount null)."""
    matching = F.filter(
        item.getField("adjudication"), lambda a: first_coding(a.getField("category"), "code") == category
    )
    total = F.aggregate(
        matching,
        F.lit(0).cast(MONEY),
        lambda acc, a: (acc + a.getField("amount").getField("value")).cast(MONEY),
    )
    return F.coalesce(total, F.lit(0).cast(MONEY))


def _denial(items: Column) -> Column:
    """The CARC of the first denial-reason adjudication on any item (null when none denies):
    the reason's text when it is group-reason (``CO-50``), else its code."""
    adjudications = F.filter(
        F.transform(items, lambda i: i.getField("adjudication")), lambda a: a.isNotNull()
    )
    denials = F.filter(
        F.flatten(adjudications), lambda a: first_coding(a.getField("category"), "code") == DENIAL_REASON
    )
    reason = F.element_at(denials, 1).getField("reason")
    text = F.upper(F.trim(reason.getField("text")))
    return F.when(text.rlike(CARC), text).otherwise(first_coding(reason, "code"))


def _contained(eob: Column, contained_id: Column) -> Column:
    """The contained resource a ``#id`` reference names (null when it names none)."""
    return F.element_at(
        F.filter(eob.getField("contained"), lambda c: F.concat(F.lit("#"), c.getField("id")) == contained_id),
        1,
    )


def fhir_claims(
    bronze_claim: DataFrame, bronze_eob: DataFrame, fhir_condition_codes: DataFrame
) -> tuple[DataFrame, DataFrame, DataFrame]:
    """(claims, lines, unresolved contained references) from FHIR Claim + ExplanationOfBenefit.

    ``fhir_condition_codes``: resource_id, snomed_code of FHIR Conditions (Claim.diagnosis
    points at them).
    """
    claim = latest_wins(
        bronze_claim.withColumn("r", F.from_json("resource_json", S.CLAIM)), ["resource_id"], newest_first()
    )
    eob = latest_wins(
        bronze_eob.withColumn("e", F.from_json("resource_json", S.EXPLANATION_OF_BENEFIT)),
        ["resource_id"],
        newest_first(),
    )
    e = F.col("e")
    focal = F.coalesce(
        F.element_at(F.filter(e.getField("insurance"), lambda i: i.getField("focal")), 1),
        F.element_at(e.getField("insurance"), 1),
    ).getField("coverage")
    coverage = _contained(e, focal.getField("reference"))
    referral = _contained(e, e.getField("referral").getField("reference"))
    eob_cols = eob.select(
        reference_id(e.getField("claim").getField("reference")).alias("claim_id"),
        F.col("resource_id").alias("eob_id"),
        focal.getField("reference").alias("coverage_reference"),
        referral.isNull().alias("_referral_missing"),
        e.getField("referral").getField("reference").alias("referral_reference"),
        coverage.isNull().alias("_coverage_missing"),
        F.coalesce(
            F.element_at(coverage.getField("payor"), 1).getField("display"),
            coverage.getField("type").getField("text"),
            e.getField("insurer").getField("display"),
        ).alias("eob_payer_name"),
        conditional_identifier(
            e.getField("provider").getField("reference"), "Practitioner", NPI_SYSTEM
        ).alias("eob_provider_npi"),
        conditional_identifier(
            referral.getField("requester").getField("reference"), "Practitioner", NPI_SYSTEM
        ).alias("referring_provider_npi"),
        e.getField("payment").getField("amount").getField("value").alias("eob_paid"),
        F.aggregate(
            F.transform(e.getField("item"), lambda item: _adjudication(item, ALLOWED)),
            F.lit(0).cast(MONEY),
            lambda acc, x: (acc + x).cast(MONEY),
        ).alias("eob_allowed"),
        e.getField("outcome").alias("eob_outcome"),
        fhir_timestamp(e.getField("created")).alias("eob_created"),
        _denial(e.getField("item")).alias("eob_denial"),
        F.explode_outer(e.getField("item")).alias("eob_item"),
    )
    eob_claims = _decisions(eob_cols.drop("eob_item").dropDuplicates(["claim_id", "eob_id"]))
    eob_lines = (
        eob_cols.join(eob_claims.select("claim_id", "eob_id"), ["claim_id", "eob_id"], "left_semi")
        .where(F.col("eob_item").isNotNull())
        .select(
            "claim_id",
            F.col("eob_item").getField("sequence").alias("line_number"),
            _adjudication(F.col("eob_item"), ALLOWED).alias("line_allowed"),
            _adjudication(F.col("eob_item"), PROVIDER_PAID).alias("line_paid"),
        )
    )

    r = F.col("r")
    first_diagnosis = F.element_at(r.getField("diagnosis"), 1)
    claims = claim.select(
        F.col("resource_id").alias("claim_id"),
        reference_id(r.getField("patient").getField("reference")).alias("ehr_patient_id"),
        F.element_at(
            F.filter(
                F.transform(
                    r.getField("item"),
                    lambda i: reference_id(F.element_at(i.getField("encounter"), 1).getField("reference")),
                ),
                lambda x: x.isNotNull(),
            ),
            1,
        ).alias("encounter_id"),
        F.element_at(r.getField("insurance"), 1)
        .getField("coverage")
        .getField("display")
        .alias("claim_payer_name"),
        F.coalesce(
            conditional_identifier(r.getField("facility").getField("reference"), "Location", SYNTHEA_SYSTEM),
            reference_id(r.getField("facility").getField("reference")),
        ).alias("facility_location_id"),
        fhir_timestamp(r.getField("billablePeriod").getField("start")).alias("service_from"),
        fhir_timestamp(r.getField("billablePeriod").getField("end")).alias("service_to"),
        reference_id(first_diagnosis.getField("diagnosisReference").getField("reference")).alias(
            "_diagnosis_condition"
        ),
        first_coding(first_diagnosis.getField("diagnosisCodeableConcept"), "code").alias("_diagnosis_code"),
        r.getField("total").getField("value").alias("billed_amount"),
        # size(null) is -1 in Spark (not null): a claim without items has 0 lines
        F.when(r.getField("item").isNull(), F.lit(0))
        .otherwise(F.size(r.getField("item")))
        .alias("line_count"),
        "meta_last_updated",
        "landed_at",
        "source_file",
        r.getField("item").alias("_items"),
    )
    conditions = fhir_condition_codes.select(
        F.col("resource_id").alias("_diagnosis_condition"), F.col("snomed_code").alias("_condition_code")
    ).dropDuplicates(["_diagnosis_condition"])
    merged = claims.join(eob_claims, "claim_id", "left").join(conditions, "_diagnosis_condition", "left")
    out_claims = merged.select(
        F.col("claim_id").alias("claim_key"),
        "claim_id",
        F.lit("ehr_fhir").alias("source"),
        "ehr_patient_id",
        F.lit(None).cast("string").alias("member_source_id"),
        "encounter_id",
        payer_key(F.coalesce("eob_payer_name", "claim_payer_name")).alias("payer_key"),
        F.coalesce("eob_payer_name", "claim_payer_name").alias("payer_name"),
        F.col("eob_provider_npi").alias("provider_npi"),
        F.lit(None).cast("string").alias("provider_id"),
        "referring_provider_npi",
        "facility_location_id",
        "service_from",
        "service_to",
        F.coalesce("_condition_code", "_diagnosis_code").alias("diagnosis_code"),
        F.when(F.coalesce("_condition_code", "_diagnosis_code").isNotNull(), F.lit("snomed")).alias(
            "diagnosis_system"
        ),
        money(F.col("billed_amount")).alias("billed_amount"),
        money(F.col("eob_allowed")).alias("allowed_amount"),
        money(F.col("eob_paid")).alias("paid_amount"),
        _ehr_status(F.col("eob_id"), F.col("eob_paid"), F.col("eob_denial")).alias("claim_status"),
        F.col("initial_denial").alias("denial_reason"),
        *_denial_measures(
            F.col("eob_id").isNotNull(), F.col("initial_denial"), F.col("decisions"), F.col("eob_denial")
        ),
        "line_count",
        "meta_last_updated",
        "landed_at",
        "source_file",
    )
    lines = (
        claims.select("claim_id", F.explode("_items").alias("i"))
        .select(
            "claim_id",
            F.col("i.sequence").alias("line_number"),
            first_coding(F.col("i.productOrService"), "code").alias("procedure_code"),
            first_coding(F.col("i.productOrService"), "system").alias("procedure_system"),
            first_coding(F.col("i.productOrService"), "display").alias("procedure_display"),
            F.coalesce(F.col("i.quantity.value").cast("int"), F.lit(1)).alias("units"),
            money(F.col("i.net.value")).alias("billed_amount"),
        )
        .join(eob_lines, ["claim_id", "line_number"], "left")
        .select(
            F.col("claim_id").alias("claim_key"),
            F.lit("ehr_fhir").alias("source"),
            "line_number",
            "procedure_code",
            "procedure_system",
            "procedure_display",
            "units",
            "billed_amount",
            money(F.col("line_allowed")).alias("allowed_amount"),
            money(F.col("line_paid")).alias("paid_amount"),
            F.lit(None).cast("string").alias("line_status"),
            F.lit(None).cast("string").alias("denial_reason"),
        )
    )
    unresolved = eob_cols.select(
        F.lit("fhir_explanation_of_benefit").alias("source_table"),
        F.col("eob_id").alias("record_id"),
        F.explode(
            F.array(
                F.when(F.col("_coverage_missing") & F.col("coverage_reference").isNotNull(),
                       F.struct(F.lit("contained_coverage").alias("kind"), F.col("coverage_reference").alias("reference"))),
                F.when(F.col("_referral_missing") & F.col("referral_reference").isNotNull(),
                       F.struct(F.lit("contained_referral").alias("kind"), F.col("referral_reference").alias("reference"))),
            )
        ).alias("u"),
    ).where(F.col("u").isNotNull()).select("source_table", "record_id", "u.kind", "u.reference").distinct()  # fmt: skip
    return out_claims, lines, unresolved


def _decisions(eobs: DataFrame) -> DataFrame:
    """One row per claim: its latest EOB (the decision that stands, its columns as they are),
    with the first EOB's denial (``initial_denial``) and the number of decisions. Decisions are
    ordered by ``created``, then EOB id (total, so the pick never depends on partitioning)."""
    by_claim = Window.partitionBy("claim_id")
    oldest_first = by_claim.orderBy(F.col("eob_created").asc_nulls_first(), F.col("eob_id").asc())
    newest_first_ = by_claim.orderBy(F.col("eob_created").desc_nulls_last(), F.col("eob_id").desc())
    ranked = (
        eobs.withColumn("_newest", F.row_number().over(newest_first_))
        .withColumn("_oldest", F.row_number().over(oldest_first))
        .withColumn(
            "initial_denial", F.max(F.when(F.col("_oldest") == 1, F.col("eob_denial"))).over(by_claim)
        )
        .withColumn("decisions", F.count("*").over(by_claim))
    )
    return ranked.where(F.col("_newest") == 1).drop("_newest", "_oldest")


def _denial_measures(
    decided: Column, initial_denial: Column, decisions: Column, standing_denial: Column
) -> list[Column]:
    """is_initially_denied, is_appealed, is_overturned of a claim (null while undecided)."""
    denied_first = initial_denial.isNotNull()
    appealed = denied_first & (decisions > 1)
    return [
        F.when(decided, denied_first).alias("is_initially_denied"),
        F.when(decided, appealed).alias("is_appealed"),
        F.when(decided, appealed & standing_denial.isNull()).alias("is_overturned"),
    ]


def _ehr_status(adjudication_id: Column, paid: Column, denial: Column) -> Column:
    """pending without a decision; denied when the decision that stands denies; else paid when
    the payer paid anything, patient_responsibility when nothing (deductible, self-pay)."""
    return (
        F.when(adjudication_id.isNull(), "pending")
        .when(denial.isNotNull(), "denied")
        .when(paid > 0, "paid")
        .otherwise("patient_responsibility")
    )


def csv_claims(
    bronze_claims: DataFrame, bronze_transactions: DataFrame, payer_names: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """(claims, lines) from Synthea claims.csv + claims_transactions.csv.

    ``payer_names``: payer_id, payer_name (from payers.csv) to key the payer by name.
    """
    order = [F.col("landed_at").desc_nulls_last(), F.col("source_file").desc(), F.col("source_line")]
    claims = latest_wins(bronze_claims, ["id"], order)
    transactions = latest_wins(bronze_transactions, ["id"], order)
    charges = transactions.where(F.col("type") == "CHARGE")
    payments = transactions.where(F.col("type") == "PAYMENT")
    totals = transactions.groupBy(F.col("claimid").alias("claim_id")).agg(
        F.sum(F.when(F.col("type") == "CHARGE", F.col("amount"))).alias("billed"),
        F.sum(F.coalesce("adjustments", F.lit(0))).alias("adjustments"),
        F.sum(
            F.when(
                (F.col("type") == "PAYMENT") & (F.col("method") == PAYER_PAYMENT_METHOD), F.col("payments")
            )
        ).alias("payer_paid"),
        F.count(F.when(F.col("type") == "CHARGE", 1)).alias("line_count"),
        F.min(F.when((F.col("type") == "ADJUSTMENT") & _carc_note(), F.upper(F.trim("linenote")))).alias(
            "denial"
        ),
    )
    names = payer_names.select(F.col("payer_id").alias("primarypatientinsuranceid"), "payer_name")
    # BILLED: the claim is still with the payer (CLOSED once decided)
    pending = F.coalesce(F.upper(F.col("status1")) == "BILLED", F.lit(False))
    out_claims = (
        claims.join(names, "primarypatientinsuranceid", "left")
        .join(totals, claims["id"] == totals["claim_id"], "left")
        .select(
            F.col("id").alias("claim_key"),
            F.col("id").alias("claim_id"),
            F.lit("ehr_csv").alias("source"),
            F.col("patientid").alias("ehr_patient_id"),
            F.lit(None).cast("string").alias("member_source_id"),
            F.col("appointmentid").alias("encounter_id"),
            payer_key(F.coalesce("payer_name", F.lit("NO_INSURANCE"))).alias("payer_key"),
            F.coalesce("payer_name", F.lit("NO_INSURANCE")).alias("payer_name"),
            F.lit(None).cast("string").alias("provider_npi"),
            F.col("providerid").alias("provider_id"),
            F.lit(None).cast("string").alias("referring_provider_npi"),
            F.lit(None).cast("string").alias("facility_location_id"),
            F.col("servicedate").alias("service_from"),
            F.col("servicedate").alias("service_to"),
            F.col("diagnosis1").alias("diagnosis_code"),
            F.when(F.col("diagnosis1").isNotNull(), F.lit("snomed")).alias("diagnosis_system"),
            money(F.coalesce("billed", F.lit(0))).alias("billed_amount"),
            money(F.coalesce("billed", F.lit(0)) - F.coalesce("adjustments", F.lit(0))).alias(
                "allowed_amount"
            ),
            money(F.coalesce("payer_paid", F.lit(0))).alias("paid_amount"),
            F.when(pending, "pending")
            .when(F.col("denial").isNotNull() & (F.coalesce("payer_paid", F.lit(0)) == 0), "denied")
            .when(F.coalesce("payer_paid", F.lit(0)) > 0, "paid")
            .otherwise("patient_responsibility")
            .alias("claim_status"),
            F.col("denial").alias("denial_reason"),
            # the CSV holds the current state only: a denial is seen, an appeal never
            F.when(~pending, F.col("denial").isNotNull()).alias("is_initially_denied"),
            F.when(~pending, F.lit(False)).alias("is_appealed"),
            F.when(~pending, F.lit(False)).alias("is_overturned"),
            F.coalesce("line_count", F.lit(0)).cast("int").alias("line_count"),
            F.lit(None).cast(T.TimestampType()).alias("meta_last_updated"),
            "landed_at",
            "source_file",
        )
    )
    payer_paid_by_code = (
        payments.where(F.col("method") == PAYER_PAYMENT_METHOD)
        .groupBy(F.col("claimid").alias("claim_key"), F.col("procedurecode").alias("procedure_code"))
        .agg(F.sum("payments").alias("code_paid"))
    )
    charge_lines = charges.select(
        F.col("claimid").alias("claim_key"),
        F.row_number().over(_by_claim_charge()).alias("line_number"),
        F.col("procedurecode").alias("procedure_code"),
        F.col("notes").alias("procedure_display"),
        F.coalesce("units", F.lit(1)).alias("units"),
        money(F.col("amount")).alias("billed_amount"),
        F.count("*").over(_by_claim_code()).alias("_same_code"),
    )
    lines = charge_lines.join(payer_paid_by_code, ["claim_key", "procedure_code"], "left").select(
        "claim_key",
        F.lit("ehr_csv").alias("source"),
        F.col("line_number").cast("int").alias("line_number"),
        "procedure_code",
        F.lit("snomed").alias("procedure_system"),
        "procedure_display",
        F.col("units").cast("int").alias("units"),
        "billed_amount",
        F.col("billed_amount").alias("allowed_amount"),
        # A payment names a procedure code, not a charge: only unambiguous when the code is billed once.
        money(F.when(F.col("_same_code") == 1, F.coalesce("code_paid", F.lit(0)))).alias("paid_amount"),
        F.lit(None).cast("string").alias("line_status"),
        F.lit(None).cast("string").alias("denial_reason"),
    )
    return out_claims, lines


def _carc_note() -> Column:
    """An ADJUSTMENT's line note naming a CARC with its group (``CO-50``): a denial. A
    contractual adjustment down to the allowed amount carries no note."""
    return F.coalesce(F.upper(F.trim(F.col("linenote"))).rlike(CARC), F.lit(False))


def _by_claim_charge() -> WindowSpec:
    return Window.partitionBy("claimid").orderBy("chargeid", "id")


def _by_claim_code() -> WindowSpec:
    return Window.partitionBy("claimid", "procedurecode")


def partner_claims(bronze_lines: DataFrame) -> tuple[DataFrame, DataFrame]:
    """(claims, lines) from bronze.partner_claim_line (one row per claim line).

    A claim resent in a later file replaces the earlier one whole: its lines are those of the
    newest file that has the claim (latest landing, then file name), so a line a resend drops
    is gone; within that file, the last copy of a line wins. Claim status: denied when every
    line is denied, else pending if any line is pending, else adjusted if any is, else paid.
    Each file's report of a claim is a decision (pending ones aside): the first decided report
    is the initial decision, and a denied claim reported again in a later file is an appeal's
    decision (silver's state keeps every file's report of a line for this).
    """
    keyed = bronze_lines.withColumn("claim_key", F.concat_ws(":", "partner_id", "claim_id"))
    newest_file = F.max(F.struct("landed_at", "source_file")).over(Window.partitionBy("claim_key"))
    in_newest_file = keyed.withColumn("_newest_file", newest_file).where(
        F.struct("landed_at", "source_file").eqNullSafe(F.col("_newest_file"))
    )
    lines = latest_wins(
        in_newest_file.drop("_newest_file"),
        ["claim_key", "claim_line"],
        [F.col("source_line").desc_nulls_last()],
    )
    history = _partner_decisions(keyed)
    claims = (
        lines.groupBy("claim_key")
        .agg(
            F.first("claim_id").alias("claim_id"),
            F.first("partner_id").alias("partner_id"),
            F.first(F.concat_ws(":", "partner_id", "member_id")).alias("member_source_id"),
            F.min("payer_name").alias("payer_name"),
            F.min("rendering_npi").alias("provider_npi"),
            F.min("service_from").alias("service_from"),
            F.max("service_to").alias("service_to"),
            F.min_by("icd10_primary", "claim_line").alias("diagnosis_code"),
            F.sum("billed_amount").alias("billed_amount"),
            F.sum("allowed_amount").alias("allowed_amount"),
            F.sum("paid_amount").alias("paid_amount"),
            _claim_status(F.collect_set("claim_status")).alias("claim_status"),
            F.min_by("denial_reason", "claim_line").alias("denial_reason"),
            F.count("*").cast("int").alias("line_count"),
            F.max("landed_at").alias("landed_at"),
            F.max("source_file").alias("source_file"),
        )
        .join(history, "claim_key", "left")
    )
    decided = F.col("decisions").isNotNull()
    denied_first = F.col("initial_status") == "denied"
    appealed = denied_first & (F.col("decisions") > 1)
    out_claims = claims.select(
        "claim_key",
        "claim_id",
        F.concat(F.lit("partner:"), "partner_id").alias("source"),
        F.lit(None).cast("string").alias("ehr_patient_id"),
        "member_source_id",
        F.lit(None).cast("string").alias("encounter_id"),
        payer_key(F.col("payer_name")).alias("payer_key"),
        "payer_name",
        "provider_npi",
        F.lit(None).cast("string").alias("provider_id"),
        F.lit(None).cast("string").alias("referring_provider_npi"),
        F.lit(None).cast("string").alias("facility_location_id"),
        F.col("service_from").cast(T.TimestampType()).alias("service_from"),
        F.col("service_to").cast(T.TimestampType()).alias("service_to"),
        "diagnosis_code",
        F.lit("icd10cm").alias("diagnosis_system"),
        money(F.col("billed_amount")).alias("billed_amount"),
        money(F.col("allowed_amount")).alias("allowed_amount"),
        money(F.col("paid_amount")).alias("paid_amount"),
        "claim_status",
        F.when(decided & denied_first, F.col("initial_denial"))
        .otherwise(F.col("denial_reason"))
        .alias("denial_reason"),
        F.when(decided, denied_first).alias("is_initially_denied"),
        F.when(decided, appealed).alias("is_appealed"),
        F.when(decided, appealed & (F.col("claim_status") != "denied")).alias("is_overturned"),
        "line_count",
        F.lit(None).cast(T.TimestampType()).alias("meta_last_updated"),
        "landed_at",
        "source_file",
    )
    out_lines = lines.select(
        "claim_key",
        F.concat(F.lit("partner:"), "partner_id").alias("source"),
        F.col("claim_line").cast("int").alias("line_number"),
        "procedure_code",
        F.when(F.col("procedure_code").rlike("^[0-9]"), "cpt").otherwise("hcpcs").alias("procedure_system"),
        F.lit(None).cast("string").alias("procedure_display"),
        F.col("units").cast("int").alias("units"),
        money(F.col("billed_amount")).alias("billed_amount"),
        money(F.col("allowed_amount")).alias("allowed_amount"),
        money(F.col("paid_amount")).alias("paid_amount"),
        F.col("claim_status").alias("line_status"),
        "denial_reason",
    )
    return out_claims, out_lines


def _claim_status(statuses: Column) -> Column:
    """A claim's status from its lines' statuses (a set)."""
    return (
        F.when(F.array_contains(statuses, "denied") & (F.size(statuses) == 1), "denied")
        .when(F.array_contains(statuses, "pending"), "pending")
        .when(F.array_contains(statuses, "adjusted"), "adjusted")
        .otherwise("paid")
    )


def _partner_decisions(keyed_lines: DataFrame) -> DataFrame:
    """Per claim: the status and denial of its first decided report (one file's lines of the
    claim), and how many decided reports there are. Reports are in landing order, then file."""
    reports = keyed_lines.groupBy("claim_key", "source_file").agg(
        F.max("landed_at").alias("landed_at"),
        _claim_status(F.collect_set("claim_status")).alias("report_status"),
        F.min_by("denial_reason", "claim_line").alias("report_denial"),
    )
    first = Window.partitionBy("claim_key").orderBy(
        F.col("landed_at").asc_nulls_first(), F.col("source_file")
    )
    numbered = reports.where(F.col("report_status") != "pending").withColumn("_n", F.row_number().over(first))
    return numbered.groupBy("claim_key").agg(
        F.max(F.when(F.col("_n") == 1, F.col("report_status"))).alias("initial_status"),
        F.max(F.when(F.col("_n") == 1, F.col("report_denial"))).alias("initial_denial"),
        F.count("*").alias("decisions"),
    )


def _union(frames: tuple[DataFrame, ...]) -> DataFrame:
    union = frames[0]
    for frame in frames[1:]:
        union = union.unionByName(frame)
    return union


def claim_candidates(*claim_frames: DataFrame) -> DataFrame:
    """Every version of every claim (build dedups on claim_key; FHIR and CSV share Synthea's ids)."""
    return _union(claim_frames).select(*CLAIM_COLUMNS)


def line_candidates(claims: DataFrame, *line_frames: DataFrame) -> DataFrame:
    """The lines of each claim's winning version (lines come from the same source as the claim)."""
    winners = claims.select("claim_key", "source")
    return (
        _union(line_frames)
        .join(winners, ["claim_key", "source"], "left_semi")
        .select("source", *LINE_COLUMNS)
    )
