-- v_outreach_discharges: post-discharge outreach per acute inpatient discharge, with the care
-- coordinator it is attributed to.
-- grain: one row per acute inpatient stay (transfers merged, as in v_readmission_index_stays) that
--        ended in a discharge alive.
-- key:   stay_id
-- The follow-up window is days 1..30 after the discharge date (the discharge day itself does not
-- count), compared on the outreach's local calendar date (fact_outreach.event_local_date).
-- Attribution (first that applies): the coordinator of the first successful outreach in the window;
-- else of the last outreach attempt in the window; else of the patient's latest outreach on or
-- before the discharge date; else 'unassigned'. definition: docs/measures/outreach-compliance.md
-- order_by: discharge_date, stay_id
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view v_outreach_discharges as

with

stays as (
    select * from gold.v_readmission_index_stays
),

outreach_events as (
    select * from gold.fact_outreach
),

discharges as (
    select
        stay_id,
        patient_key,
        discharge_date,
        discharge_month,
        location_key,
        data_end_date,
        date_diff('day', discharge_date, data_end_date) >= 30 as is_window_complete
    from stays
    where discharge_date is not null and not died_in_stay
),

outreach as (
    select
        outreach_id,
        patient_key,
        coalesce(coordinator_id, 'unassigned') as coordinator_id,
        event_at,
        event_local_date,
        status,
        coalesce(is_successful, false) as is_successful
    from outreach_events
    where patient_key is not null and event_local_date is not null
),

in_window as (
    select
        discharges.stay_id,
        outreach.outreach_id,
        outreach.coordinator_id,
        outreach.event_at,
        outreach.is_successful,
        date_diff('day', discharges.discharge_date, outreach.event_local_date) as days_after_discharge,
        row_number() over (
            partition by discharges.stay_id, outreach.is_successful
            order by outreach.event_at, outreach.outreach_id
        ) as order_within_success,
        row_number() over (
            partition by discharges.stay_id
            order by outreach.event_at desc, outreach.outreach_id desc
        ) as latest_order
    from discharges
    inner join outreach
        on discharges.patient_key = outreach.patient_key
    where date_diff('day', discharges.discharge_date, outreach.event_local_date) between 1 and 30
),

first_successful as (
    select * from in_window
    where is_successful and order_within_success = 1
),

last_attempt as (
    select * from in_window
    where latest_order = 1
),

window_attempts as (
    select
        stay_id,
        count(*) as outreach_attempts
    from in_window
    group by stay_id
),

prior_outreach as (
    select
        discharges.stay_id,
        outreach.coordinator_id,
        row_number() over (
            partition by discharges.stay_id
            order by outreach.event_at desc, outreach.outreach_id desc
        ) as latest_order
    from discharges
    inner join outreach
        on discharges.patient_key = outreach.patient_key
    where outreach.event_local_date <= discharges.discharge_date
),

latest_prior as (
    select * from prior_outreach
    where latest_order = 1
),

final as (
    select
        discharges.stay_id,
        discharges.patient_key,
        discharges.discharge_date,
        discharges.discharge_month,
        discharges.location_key,
        discharges.is_window_complete,
        coalesce(window_attempts.outreach_attempts, 0) as outreach_attempts_30d,
        first_successful.outreach_id is not null as has_successful_outreach_30d,
        first_successful.outreach_id as first_successful_outreach_id,
        first_successful.event_at as first_successful_outreach_at,
        first_successful.days_after_discharge as days_to_successful_outreach,
        coalesce(
            first_successful.coordinator_id,
            last_attempt.coordinator_id,
            latest_prior.coordinator_id,
            'unassigned'
        ) as coordinator_id,
        case
            when first_successful.outreach_id is not null then 'first_successful_outreach'
            when last_attempt.outreach_id is not null then 'last_attempt_in_window'
            when latest_prior.coordinator_id is not null then 'latest_outreach_before_discharge'
            else 'unassigned'
        end as attribution_rule
    from discharges
    left join first_successful
        on discharges.stay_id = first_successful.stay_id
    left join last_attempt
        on discharges.stay_id = last_attempt.stay_id
    left join window_attempts
        on discharges.stay_id = window_attempts.stay_id
    left join latest_prior
        on discharges.stay_id = latest_prior.stay_id
)

select * from final
