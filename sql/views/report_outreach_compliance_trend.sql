-- report_outreach_compliance_trend: share of acute inpatient discharges (alive) with a successful
-- outreach on days 1-30 after discharge, per discharge year, all coordinators, small cells suppressed.
-- grain: one row per discharge year with a discharge whose 30-day window has closed.
-- key:   year_start (1 January of the year)
-- Small cells: discharges or reached discharges of 1 to 10 are null, the rate is then null, and
-- is_suppressed is true (docs/measures/README.md). definition: docs/measures/outreach-compliance.md
-- try_cast: a filter on year_start may be pushed below the month filter, so the cast must not
-- fail on the 'Unknown' month it would meet there.
-- order_by: year_start
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view report_outreach_compliance_trend as

with

discharges as (
    select * from gold.v_outreach_discharges
),

years as (
    select
        try_cast(substr(discharge_month, 1, 4) || '-01-01' as date) as year_start,
        count(*) as discharges,
        count_if(has_successful_outreach_30d) as discharges_with_successful_outreach
    from discharges
    where is_window_complete
    group by substr(discharge_month, 1, 4)
),

flagged as (
    select
        *,
        cast(discharges_with_successful_outreach as double) / discharges as compliance_rate,
        discharges between 1 and 10 as is_small_discharges,
        discharges_with_successful_outreach between 1 and 10 as is_small_reached
    from years
),

final as (
    select
        year_start,
        case when not is_small_discharges then discharges end as discharges,
        case when not is_small_reached then discharges_with_successful_outreach end
            as discharges_with_successful_outreach,
        case when not (is_small_discharges or is_small_reached) then compliance_rate end as compliance_rate,
        (is_small_discharges or is_small_reached) as is_suppressed
    from flagged
)

select * from final
