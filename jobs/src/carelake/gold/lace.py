"""LACE readmission risk (van Walraven et al., CMAJ 2010): patient_risk, the high-risk outreach
list ("call now") and the alert feed. docs/measures/lace.md is the definition in words, with a
worked example; point tables and Charlson weights come from the reference tables.

Index stay. Acute inpatient stays (fact_encounter.is_acute_inpatient) admitted on or before
as_of are merged into episodes the way HEDIS PCR merges transfers: a stay admitted less
than two calendar days after the latest discharge so far belongs to the same episode. The
index stay is the patient's latest episode whose final discharge is on or before as_of.
Not scored: patients who died in that stay or whose death date is on or before as_of, and
patients in hospital on as_of (an acute stay admitted by then and not yet discharged).

* L: days from the episode's first admission date to its last discharge date (HCUP: same
  day = 0), points from ``lace_points`` L.
* A: 3 points when the episode's first stay was an emergency admission (admitted through
  the emergency department: fact_encounter.is_emergency_admission).
* C: the LACE-weighted Charlson index of every condition with an onset on or before the
  index discharge date, through its ICD-10-CM code (``ref.charlson_score(codes,
  scheme='lace')``, hierarchy applied), points from ``lace_points`` C (4 or more: 5).
* E: emergency-department visits starting from add_months(first admission date, -6)
  through the admission, before the stay began, other than the visit that admitted the
  patient; points from ``lace_points`` E (4 or more: 4).
* risk_band: low (< 5), moderate (5-9), high (>= 10).
"""

from __future__ import annotations

from datetime import date

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from carelake.gold.reference import lace_charlson_index, lace_points
from carelake.gold.schemas import ALERT_FEED_KEYS, ALERT_FEED_VERSION

EPISODE_GAP_DAYS = 2  # HEDIS PCR: discharge and next admission less than two days apart are one stay
ED_LOOKBACK_MONTHS = 6
OPEN_END = date(9999, 12, 31)


# Days after the index discharge a high-risk patient stays on the outreach list.
OUTREACH_WINDOW_DAYS = 30

# Why a patient is on the call-now list (call_reason).
NOT_REACHED_SINCE_DISCHARGE = "not_reached_since_discharge"
EMERGENCY_VISIT_SINCE_REACHED = "emergency_visit_since_reached"


def risk_band(score: Column) -> Column:
    """low (< 5), moderate (5-9), high (>= 10): the contract's bands, whatever the threshold."""
    return F.when(score >= 10, "high").when(score >= 5, "moderate").when(score.isNotNull(), "low")


def index_stays(encounters: DataFrame, patients: DataFrame, as_of: date) -> DataFrame:
    """One row per scorable patient: the latest acute inpatient episode discharged on or before
    as_of (none for a patient who died, or who is in hospital on as_of).

    Columns: patient_key, index_encounter_id (the episode's last stay), first_encounter_id,
    admit_date (first stay), discharge_date (last stay), first_start_at, is_emergency_admission
    (first stay), organization_id (the discharging facility).
    """
    as_of_col = F.lit(as_of)
    stays = encounters.where(
        F.col("is_acute_inpatient") & F.col("patient_key").isNotNull() & F.col("admit_date").isNotNull()
        & (F.col("admit_date") <= as_of_col)
    ).withColumn("_end", F.coalesce("discharge_date", F.lit(OPEN_END)))  # fmt: skip
    in_order = Window.partitionBy("patient_key").orderBy("admit_date", "start_at", "encounter_id")
    earlier = in_order.rowsBetween(Window.unboundedPreceding, -1)
    episodes = (
        stays.withColumn("_latest_end", F.max("_end").over(earlier))
        .withColumn(
            "_new",
            (
                F.col("_latest_end").isNull() | (F.datediff("admit_date", "_latest_end") >= EPISODE_GAP_DAYS)
            ).cast("int"),
        )
        .withColumn("_episode", F.sum("_new").over(in_order.rowsBetween(Window.unboundedPreceding, 0)))
    )
    first = F.struct(F.col("admit_date"), F.col("start_at"), F.col("encounter_id"))
    last = F.struct(F.col("_end"), F.col("start_at"), F.col("encounter_id"))
    summary = episodes.groupBy("patient_key", "_episode").agg(
        F.min_by("encounter_id", first).alias("first_encounter_id"),
        F.min("admit_date").alias("admit_date"),
        F.min_by("start_at", first).alias("first_start_at"),
        F.min_by("is_emergency_admission", first).alias("is_emergency_admission"),
        F.max_by("encounter_id", last).alias("index_encounter_id"),
        F.max("_end").alias("discharge_date"),
        F.max_by("organization_id", last).alias("organization_id"),
        F.max(F.col("died_in_stay").cast("int")).alias("_died"),
    )
    latest = (
        summary.where(F.col("discharge_date") <= as_of_col)
        .withColumn(
            "_n",
            F.row_number().over(
                Window.partitionBy("patient_key").orderBy(
                    F.col("discharge_date").desc(), F.col("_episode").desc()
                )
            ),
        )
        .where(F.col("_n") == 1)
    )
    dead = patients.where(F.col("death_date").isNotNull() & (F.col("death_date") <= as_of_col)).select(
        F.col("patient_key").alias("_dead")
    )
    in_hospital = summary.where(F.col("discharge_date") > as_of_col).select(
        F.col("patient_key").alias("_inpatient")
    )
    alive = (
        latest.where(F.col("_died") == 0)
        .join(dead, F.col("patient_key") == F.col("_dead"), "left_anti")
        .join(in_hospital, F.col("patient_key") == F.col("_inpatient"), "left_anti")
    )
    return alive.select(
        "patient_key", "index_encounter_id", "first_encounter_id", "admit_date", "discharge_date", "first_start_at",
        F.coalesce("is_emergency_admission", F.lit(False)).alias("is_emergency_admission"), "organization_id",
    )  # fmt: skip


def patient_risk(encounters: DataFrame, conditions: DataFrame, patients: DataFrame, as_of: date) -> DataFrame:
    """patient_risk (GOLD CONTRACT) plus organization_id, for the outreach list.

    ``encounters`` is EncounterFacts.enriched, ``conditions`` silver fct_condition,
    ``patients`` silver dim_patient. The index stay meets its conditions and ED visits in one
    join and one aggregation.
    """
    index = index_stays(encounters, patients, as_of)
    conditions_events = conditions.where(F.col("icd10cm_code").isNotNull()).select(
        F.col("patient_key").alias("_event_patient"), F.lit("condition").alias("_kind"),
        F.col("onset_date").alias("_event_date"), F.col("icd10cm_code").alias("_code"),
        F.lit(None).cast("string").alias("_ed_id"), F.lit(None).cast("timestamp").alias("_ed_start"),
        F.lit(None).cast("date").alias("_ed_end"), F.lit(None).cast("boolean").alias("_ed_admitting"),
    )  # fmt: skip
    ed_events = encounters.where(F.col("is_emergency_visit") & F.col("patient_key").isNotNull()).select(
        F.col("patient_key").alias("_event_patient"), F.lit("ed").alias("_kind"),
        F.col("admit_date").alias("_event_date"), F.lit(None).cast("string").alias("_code"),
        F.col("encounter_id").alias("_ed_id"), F.col("start_at").alias("_ed_start"),
        F.coalesce("discharge_date", "admit_date").alias("_ed_end"), F.col("is_admitting_ed_visit").alias("_ed_admitting"),
    )  # fmt: skip
    is_condition = F.col("_kind") == "condition"
    before_stay = (F.col("_event_date") < F.col("admit_date")) | (
        (F.col("_event_date") == F.col("admit_date"))
        & F.col("_ed_start").isNotNull()
        & F.col("first_start_at").isNotNull()
        & (F.col("_ed_start") < F.col("first_start_at"))
    )
    own_ed_visit = F.coalesce(F.col("_ed_admitting"), F.lit(False)) & (
        F.col("_ed_end") == F.col("admit_date")
    )
    counted_ed = (
        (F.col("_kind") == "ed")
        & (F.col("_event_date") >= F.add_months(F.col("admit_date"), -ED_LOOKBACK_MONTHS))
        & before_stay
        & ~own_ed_visit
    )
    scored = (
        index.join(
            conditions_events.unionByName(ed_events), F.col("patient_key") == F.col("_event_patient"), "left"
        )
        .groupBy(*index.columns)
        .agg(
            F.array_sort(
                F.collect_set(
                    F.when(is_condition & (F.col("_event_date") <= F.col("discharge_date")), F.col("_code"))
                )
            ).alias("_codes"),
            F.countDistinct(F.when(counted_ed, F.col("_ed_id"))).cast("int").alias("ed_visits_6m"),
        )
    )
    length = F.datediff("discharge_date", "admit_date")
    return (
        scored.select(
            *index.columns,
            length.alias("length_of_stay_days"),
            lace_points("L", length).alias("l_points"),
            lace_points("A", F.col("is_emergency_admission").cast("int")).alias("a_points"),
            lace_charlson_index(F.col("_codes")).alias("charlson_index"),
            "ed_visits_6m",
            lace_points("E", F.col("ed_visits_6m")).alias("e_points"),
        )
        .select(
            "*",
            lace_points("C", F.col("charlson_index")).alias("c_points"),
        )
        .select(
            "*",
            (F.col("l_points") + F.col("a_points") + F.col("c_points") + F.col("e_points")).alias(
                "lace_score"
            ),
        )
        .select("*", risk_band(F.col("lace_score")).alias("risk_band"), F.lit(as_of).alias("as_of"))
    )


def high_risk_outreach_list(
    risk: DataFrame,
    patients: DataFrame,
    organizations: DataFrame,
    outreach: DataFrame,
    encounters: DataFrame,
    as_of: date,
    threshold: int,
    window_days: int = OUTREACH_WINDOW_DAYS,
) -> DataFrame:
    """The care coordinators' call-now list, one row per patient (docs/measures/lace.md,
    "Outreach list"): patient_risk's columns for the patients with lace_score >= threshold whose
    index discharge is at most ``window_days`` before as_of, who have not been reached since, or
    have had a new risk signal since they were last reached; with their MRN, clinic and outreach.

    ``outreach`` is silver fct_outreach, ``encounters`` EncounterFacts.enriched. Added columns:

    * mrn; clinic_id, clinic_name: the facility that discharged them from the index episode.
    * last_outreach_at / _status, last_coordinator_id: the latest outreach event (event_at, then
      outreach_id) dated (event_local_date) from the index discharge date through as_of.
    * last_successful_outreach_at: the latest of those that reached the patient (is_successful).
    * risk_signal_at: the start of the latest emergency-department visit after
      last_successful_outreach_at (admitted on or before as_of): the new risk signal that puts a
      reached patient back on the list. Null when there is none.
    * call_reason: not_reached_since_discharge (no successful outreach since the discharge) or
      emergency_visit_since_reached. A reached patient without a later ED visit is not listed
      (LACE scores the index stay, so only a new discharge changes the score; a new discharge
      starts a new window, in which the earlier calls do not count).

    A threshold is required: its one value is the silver_to_gold job argument risk_threshold
    (manifest.yaml's default, overridden by Terraform), which the risk-alert Lambda also gets."""
    as_of_col = F.lit(as_of)
    candidates = risk.where(
        (F.col("lace_score") >= threshold) & (F.col("discharge_date") >= F.date_sub(as_of_col, window_days))
    )
    events = outreach.select(
        F.col("patient_key").alias("_op"), "outreach_id", "event_at", "event_local_date", "status",
        "coordinator_id", F.coalesce(F.col("is_successful"), F.lit(False)).alias("_successful"),
    )  # fmt: skip
    since_discharge = (
        (F.col("patient_key") == F.col("_op"))
        & (F.col("event_local_date") >= F.col("discharge_date"))
        & (F.col("event_local_date") <= as_of_col)
    )
    latest = F.struct(F.col("event_at"), F.col("outreach_id"))
    with_outreach = (
        candidates.join(events, since_discharge, "left")
        .groupBy(*candidates.columns)
        .agg(
            F.max_by("event_at", latest).alias("last_outreach_at"),
            F.max_by("status", latest).alias("last_outreach_status"),
            F.max_by("coordinator_id", latest).alias("last_coordinator_id"),
            F.max(F.when(F.col("_successful"), F.col("event_at"))).alias("last_successful_outreach_at"),
        )
    )
    ed_visits = encounters.where(
        F.col("is_emergency_visit") & F.col("patient_key").isNotNull() & F.col("start_at").isNotNull()
        & (F.col("admit_date") <= as_of_col)
    ).select(F.col("patient_key").alias("_ep"), F.col("start_at").alias("_ed_start"))  # fmt: skip
    after_reached = (F.col("patient_key") == F.col("_ep")) & (
        F.col("_ed_start") > F.col("last_successful_outreach_at")
    )
    signalled = (
        with_outreach.join(ed_visits, after_reached, "left")
        .groupBy(*with_outreach.columns)
        .agg(F.max("_ed_start").alias("risk_signal_at"))
    )
    call_reason = F.when(F.col("last_successful_outreach_at").isNull(), NOT_REACHED_SINCE_DISCHARGE).when(
        F.col("risk_signal_at").isNotNull(), EMERGENCY_VISIT_SINCE_REACHED
    )
    mrns = patients.select(F.col("patient_key").alias("_pk"), "mrn")
    clinics = organizations.select(
        F.col("organization_id").alias("_org"), F.col("organization_name").alias("clinic_name")
    )
    return (
        signalled.withColumn("call_reason", call_reason)
        .where(F.col("call_reason").isNotNull())
        .join(mrns, F.col("patient_key") == F.col("_pk"), "left")
        .join(clinics, F.col("organization_id") == F.col("_org"), "left")
        .withColumn("clinic_id", F.col("organization_id"))
        .drop("_pk", "_org")
    )


def alert_feed(outreach_list: DataFrame) -> DataFrame:
    """The alert feed's rows (docs/data-contracts.md, "High-risk alert feed", version
    ALERT_FEED_VERSION): the call-now list without identifiers beyond patient_key, exactly
    ALERT_FEED_KEYS, timestamps as ISO 8601 UTC text ('2024-03-02T19:05:00Z'), sorted by
    patient_key. Needs the session time zone UTC (carelake.runtime sets it)."""
    formatted = outreach_list.withColumn("feed_version", F.lit(ALERT_FEED_VERSION)).withColumn(
        "last_successful_outreach_at",
        F.date_format("last_successful_outreach_at", "yyyy-MM-dd'T'HH:mm:ss'Z'"),
    )
    return formatted.select(*ALERT_FEED_KEYS).orderBy("patient_key")
