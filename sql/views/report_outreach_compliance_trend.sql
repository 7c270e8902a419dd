-- report_outreach_compliance_trend: share of acute inpatient discharges (alive) with a successful
-- outreach on days 1-30 after discharge, per discharge month, all coordinators, small cells suppressed.
-- grain: one row per discharge month whose discharges' 30-day windows have closed.
-- key:   month_start
-- Small cells: discharges or reached discharges of 1 to 10 are null, the rate is then null, and
-- is_suppressed is true (docs/measures/README.md). definition: docs/measures/outreach-compliance.md
-- order_by: month_start
-- data_classification: deidentified
create or replace view report_outreach_compliance_trend as

with

discharges as (
    select * from gold.v_outreach_discharges
),

months as (
    select
        cast(discharge_month || '-01' as date) as month_start,
        count(*) as discharges,
        count_if(has_successful_outreach_30d) as discharges_with_successful_outreach
    from discharges
    where is_window_complete
    group by discharge_month
),

flagged as (
    select
        *,
        cast(discharges_with_successful_outreach as double) / discharges as compliance_rate,
        discharges between 1 and 10 as is_small_discharges,
        discharges_with_successful_outreach between 1 and 10 as is_small_reached
    from months
),

final as (
    select
        month_start,
        case when not is_small_discharges then discharges end as discharges,
        case when not is_small_reached then discharges_with_successful_outreach end
            as discharges_with_successful_outreach,
        case when not (is_small_discharges or is_small_reached) then compliance_rate end as compliance_rate,
        (is_small_discharges or is_small_reached) as is_suppressed
    from flagged
)

select * from final
