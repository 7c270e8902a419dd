-- outreach_compliance: share of acute inpatient discharges (alive at discharge) with a successful
-- outreach (reached or completed) on days 1..30 after the discharge date.
-- grain: one row per attributed coordinator and discharge month ('YYYY-MM').
-- key:   coordinator_id ('unassigned' when no rule attributes one), discharge_month
-- Only discharges whose 30-day window has closed by the data's end are counted.
-- Attribution rules: v_outreach_discharges. definition: docs/measures/outreach-compliance.md
-- order_by: coordinator_id, discharge_month
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view outreach_compliance as

with

discharges as (
    select * from gold.v_outreach_discharges
),

final as (
    select
        coordinator_id,
        discharge_month,
        count(*) as discharges,
        count_if(has_successful_outreach_30d) as discharges_with_successful_outreach,
        cast(count_if(has_successful_outreach_30d) as double) / count(*) as compliance_rate,
        avg(cast(days_to_successful_outreach as double)) as mean_days_to_successful_outreach
    from discharges
    where is_window_complete
    group by coordinator_id, discharge_month
)

select * from final
