-- v_cohort_outcomes: hospital outcomes of the chronic-disease cohorts (COPD, heart failure,
-- diabetes), beside all patients.
-- grain: one row per cohort in gold.patient_cohort, plus cohort = 'all_patients' (every patient).
-- key:   cohort
-- A cohort's stays are the HEDIS index stays (v_readmission_index_stays: discharged alive, 30-day
-- follow-up complete) of its patients discharged on or after their first cohort diagnosis.
-- mean_los_days: HCUP length of stay of those stays; readmission_rate_30d: unplanned readmission
-- within 30 days (HEDIS PCR); ed_revisit_rate_30d: stays followed by an emergency visit on days
-- 1-30 after discharge. definition: docs/measures/cohort-outcomes.md
-- order_by: cohort
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view v_cohort_outcomes as

with

cohort_members as (
    select * from gold.patient_cohort
),

patients as (
    select * from gold.dim_patient
),

stays as (
    select * from gold.v_readmission_index_stays
),

encounters as (
    select * from gold.fact_encounter
),

members as (
    select
        patient_key,
        cohort,
        cohort_name,
        first_diagnosed_date
    from cohort_members

    union all

    select
        patient_key,
        'all_patients' as cohort,
        'All patients' as cohort_name,
        cast(null as date) as first_diagnosed_date
    from patients
),

index_stays as (
    select
        stay_id,
        patient_key,
        discharge_date,
        length_of_stay_days,
        is_readmitted_30d
    from stays
    where is_index_stay
),

emergency_visits as (
    select
        patient_key,
        admit_date
    from encounters
    where encounter_class = 'emergency' and patient_key is not null and admit_date is not null
),

stay_revisits as (
    select
        index_stays.stay_id,
        count(emergency_visits.admit_date) > 0 as has_ed_revisit_30d
    from index_stays
    left join emergency_visits
        on
            index_stays.patient_key = emergency_visits.patient_key
            and date_diff('day', index_stays.discharge_date, emergency_visits.admit_date) between 1 and 30
    group by index_stays.stay_id
),

cohort_stays as (
    select
        members.cohort,
        index_stays.stay_id,
        index_stays.patient_key,
        index_stays.length_of_stay_days,
        index_stays.is_readmitted_30d,
        stay_revisits.has_ed_revisit_30d
    from members
    inner join index_stays
        on
            members.patient_key = index_stays.patient_key
            and (
                members.first_diagnosed_date is null
                or members.first_diagnosed_date <= index_stays.discharge_date
            )
    inner join stay_revisits
        on index_stays.stay_id = stay_revisits.stay_id
),

member_counts as (
    select
        cohort,
        min(cohort_name) as cohort_name,
        count(distinct patient_key) as patients
    from members
    group by cohort
),

outcomes as (
    select
        cohort,
        count(distinct patient_key) as patients_with_index_stays,
        count(*) as index_stays,
        sum(length_of_stay_days) as total_los_days,
        avg(cast(length_of_stay_days as double)) as mean_los_days,
        count_if(is_readmitted_30d) as readmissions_30d,
        count_if(has_ed_revisit_30d) as ed_revisits_30d
    from cohort_stays
    group by cohort
),

final as (
    select
        member_counts.cohort,
        member_counts.cohort_name,
        member_counts.patients,
        coalesce(outcomes.patients_with_index_stays, 0) as patients_with_index_stays,
        coalesce(outcomes.index_stays, 0) as index_stays,
        coalesce(outcomes.total_los_days, 0) as total_los_days,
        outcomes.mean_los_days,
        coalesce(outcomes.readmissions_30d, 0) as readmissions_30d,
        cast(outcomes.readmissions_30d as double) / nullif(outcomes.index_stays, 0) as readmission_rate_30d,
        coalesce(outcomes.ed_revisits_30d, 0) as ed_revisits_30d,
        cast(outcomes.ed_revisits_30d as double) / nullif(outcomes.index_stays, 0) as ed_revisit_rate_30d
    from member_counts
    left join outcomes
        on member_counts.cohort = outcomes.cohort
)

select * from final
