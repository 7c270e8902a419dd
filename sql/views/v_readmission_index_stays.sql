-- v_readmission_index_stays: candidate index stays of the 30-day all-cause readmission measure.
-- grain: one row per acute inpatient stay after merging transfers (an acute stay whose admission
--        is less than two calendar days after the latest discharge of the patient's earlier acute
--        stays belongs to the same stay), index-stay eligibility and the 30-day outcome.
-- key:   stay_id (the encounter_id of the stay's first, admitting encounter)
-- definition: docs/measures/readmission.md (HEDIS PCR observed rate; CMS-style 65+ variant)
-- outcome columns (is_readmitted_30d, is_cms_readmitted_30d, ...) are null for stays that are not
-- index stays of that variant: rates count only index stays.
-- order_by: patient_key, admit_date, stay_id
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view v_readmission_index_stays as

with

encounters as (
    select * from gold.fact_encounter
),

-- the data's end: the latest admission or discharge date of any encounter
data_end as (
    select max(coalesce(discharge_date, admit_date)) as data_end_date
    from encounters
),

acute_encounters as (
    select
        encounter_id,
        patient_key,
        admit_date,
        discharge_date,
        coalesce(discharge_date, admit_date) as known_end_date,
        age_at_admit,
        coalesce(is_planned, false) as is_planned,
        coalesce(died_in_stay, false) as died_in_stay,
        discharge_disposition_code,
        location_key,
        payer_key,
        diagnosis_category
    from encounters
    where
        is_acute_inpatient
        and patient_key is not null
        and admit_date is not null
),

-- latest discharge among the patient's earlier acute encounters (open encounters count with
-- their admission date)
with_prior_discharge as (
    select
        *,
        max(known_end_date) over (
            partition by patient_key
            order by admit_date, known_end_date, encounter_id
            rows between unbounded preceding and 1 preceding
        ) as prior_discharge_date
    from acute_encounters
),

-- a new stay starts when the admission is two or more calendar days after every earlier discharge
numbered as (
    select
        *,
        sum(
            case
                when prior_discharge_date is null then 1
                when date_diff('day', prior_discharge_date, admit_date) >= 2 then 1
                else 0
            end
        ) over (
            partition by patient_key
            order by admit_date, known_end_date, encounter_id
            rows between unbounded preceding and current row
        ) as stay_number
    from with_prior_discharge
),

ranked as (
    select
        *,
        row_number() over (
            partition by patient_key, stay_number
            order by admit_date, known_end_date, encounter_id
        ) as admit_order,
        row_number() over (
            partition by patient_key, stay_number
            order by coalesce(discharge_date, date '9999-12-31') desc, admit_date desc, encounter_id desc
        ) as discharge_order
    from numbered
),

stay_totals as (
    select
        patient_key,
        stay_number,
        min(admit_date) as admit_date,
        -- a stay with an encounter still open has not been discharged
        case when count(discharge_date) = count(*) then max(discharge_date) end as discharge_date,
        count(*) as encounter_count,
        bool_or(died_in_stay) as died_in_stay
    from ranked
    group by patient_key, stay_number
),

stays as (
    select
        admitting.encounter_id as stay_id,
        totals.patient_key,
        totals.stay_number,
        admitting.encounter_id as admit_encounter_id,
        discharging.encounter_id as discharge_encounter_id,
        totals.encounter_count,
        totals.admit_date,
        totals.discharge_date,
        admitting.age_at_admit,
        admitting.is_planned as is_planned_admission,
        totals.died_in_stay,
        discharging.discharge_disposition_code,
        admitting.location_key as admit_location_key,
        discharging.location_key,
        admitting.payer_key,
        admitting.diagnosis_category
    from stay_totals as totals
    inner join ranked as admitting
        on
            totals.patient_key = admitting.patient_key
            and totals.stay_number = admitting.stay_number
            and admitting.admit_order = 1
    inner join ranked as discharging
        on
            totals.patient_key = discharging.patient_key
            and totals.stay_number = discharging.stay_number
            and discharging.discharge_order = 1
),

-- later stays of the same patient admitted 1..30 days after the discharge (transfer merging
-- makes the gap at least 2 days)
candidate_readmissions as (
    select
        idx.stay_id,
        readmit.stay_id as readmission_stay_id,
        readmit.is_planned_admission as is_planned_readmission,
        readmit.admit_location_key as readmission_location_key,
        date_diff('day', idx.discharge_date, readmit.admit_date) as days_to_readmission,
        row_number() over (
            partition by idx.stay_id
            order by readmit.admit_date, readmit.stay_id
        ) as readmission_order,
        row_number() over (
            partition by idx.stay_id, readmit.is_planned_admission
            order by readmit.admit_date, readmit.stay_id
        ) as order_within_planned_status
    from stays as idx
    inner join stays as readmit
        on
            idx.patient_key = readmit.patient_key
            and idx.stay_number < readmit.stay_number
    where
        idx.discharge_date is not null
        and date_diff('day', idx.discharge_date, readmit.admit_date) between 1 and 30
),

-- HEDIS: the first unplanned readmission (planned stays are removed from the numerator)
first_unplanned_readmission as (
    select *
    from candidate_readmissions
    where not is_planned_readmission and order_within_planned_status = 1
),

-- CMS: only the first readmission counts, and only when it is unplanned
first_readmission as (
    select *
    from candidate_readmissions
    where readmission_order = 1
),

classified as (
    select
        stays.*,
        data_end.data_end_date,
        date_add('day', 30, stays.discharge_date) as follow_up_end_date,
        case
            when stays.discharge_date is null then 'not_discharged'
            when stays.admit_date = stays.discharge_date then 'same_day_stay'
            when stays.died_in_stay then 'died_in_stay'
            when date_diff('day', stays.discharge_date, data_end.data_end_date) < 30
                then 'follow_up_incomplete'
        end as exclusion_reason
    from stays
    cross join data_end
),

final as (
    select
        classified.stay_id,
        classified.patient_key,
        classified.admit_encounter_id,
        classified.discharge_encounter_id,
        classified.encounter_count,
        classified.encounter_count > 1 as is_transfer_merged,
        classified.admit_date,
        classified.discharge_date,
        date_format(classified.discharge_date, '%Y-%m') as discharge_month,
        date_diff('day', classified.admit_date, classified.discharge_date) as length_of_stay_days,
        classified.age_at_admit,
        classified.age_at_admit >= 65 as is_65_or_older,
        classified.is_planned_admission,
        classified.died_in_stay,
        classified.discharge_disposition_code,
        classified.admit_location_key,
        classified.location_key,
        classified.payer_key,
        classified.diagnosis_category,
        classified.data_end_date,
        classified.follow_up_end_date,

        -- HEDIS PCR (all ages)
        classified.exclusion_reason,
        classified.exclusion_reason is null as is_index_stay,
        case
            when classified.exclusion_reason is null then hedis.readmission_stay_id is not null
        end as is_readmitted_30d,
        case when classified.exclusion_reason is null then hedis.readmission_stay_id end
            as readmission_encounter_id,
        case when classified.exclusion_reason is null then hedis.days_to_readmission end
            as days_to_readmission,
        case
            when classified.exclusion_reason is null and hedis.readmission_stay_id is not null
                then hedis.readmission_location_key <> classified.location_key
        end as is_readmitted_elsewhere,

        -- CMS-style variant: aged 65 or older at admission, against-medical-advice discharges
        -- excluded, the first readmission counts only when unplanned
        case
            when classified.exclusion_reason is not null then classified.exclusion_reason
            when coalesce(classified.age_at_admit, 0) < 65 then 'under_65'
            when classified.discharge_disposition_code = '07' then 'left_against_medical_advice'
        end as cms_exclusion_reason,
        (
            classified.exclusion_reason is null
            and coalesce(classified.age_at_admit, 0) >= 65
            and coalesce(classified.discharge_disposition_code, '') <> '07'
        ) as is_cms_index_stay,
        case
            when
                classified.exclusion_reason is null
                and coalesce(classified.age_at_admit, 0) >= 65
                and coalesce(classified.discharge_disposition_code, '') <> '07'
                then coalesce(not cms.is_planned_readmission, false)
        end as is_cms_readmitted_30d
    from classified
    left join first_unplanned_readmission as hedis
        on classified.stay_id = hedis.stay_id
    left join first_readmission as cms
        on classified.stay_id = cms.stay_id
)

select * from final
