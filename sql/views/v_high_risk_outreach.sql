-- v_high_risk_outreach: the care coordinators' call list: patients at or over the LACE threshold,
-- those not yet reached since their discharge first, then by score and most recent discharge.
-- grain: one row per patient on gold.high_risk_outreach_list.
-- key:   patient_key (priority_rank 1..n is also unique)
-- Carries the MRN (coordinators need it to find the chart): grant this view only to the care
-- coordination role, like the table it reads. definition: docs/measures/outreach-compliance.md
-- order_by: priority_rank
-- data_classification: phi
-- audience: care_coordination
create or replace view v_high_risk_outreach as

with

outreach_list as (
    select * from gold.high_risk_outreach_list
),

risk as (
    select * from gold.patient_risk
),

flagged as (
    select
        outreach_list.*,
        risk.l_points,
        risk.a_points,
        risk.c_points,
        risk.e_points,
        risk.as_of,
        coalesce(
            outreach_list.last_outreach_status in ('reached', 'completed')
            and cast(outreach_list.last_outreach_at as date) > outreach_list.discharge_date,
            false
        ) as is_reached_since_discharge
    from outreach_list
    left join risk
        on outreach_list.patient_key = risk.patient_key
),

final as (
    select
        row_number() over (
            order by
                is_reached_since_discharge asc,
                lace_score desc,
                discharge_date desc,
                patient_key asc
        ) as priority_rank,
        patient_key,
        mrn,
        clinic_id,
        clinic_name,
        lace_score,
        risk_band,
        l_points,
        a_points,
        c_points,
        e_points,
        discharge_date,
        date_diff('day', discharge_date, as_of) as days_since_discharge,
        last_outreach_status,
        last_outreach_at,
        last_coordinator_id,
        is_reached_since_discharge
    from flagged
)

select * from final
