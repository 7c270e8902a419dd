-- report_length_of_stay_trend: HCUP length of stay of acute inpatient discharges per discharge year
-- (every diagnosis category), on a date axis, small cells suppressed.
-- grain: one row per discharge year with a discharge.
-- key:   year_start (1 January of the year)
-- mean_los_days = the year's days / its discharges (v_length_of_stay's monthly totals added up).
-- Small cells: a year of 1 to 10 discharges shows neither count nor mean, and is_suppressed is true
-- (docs/measures/README.md). definition: docs/measures/length-of-stay.md
-- try_cast: a filter on year_start may be pushed below the month filter, so the cast must not
-- fail on the 'Unknown' month it would meet there.
-- order_by: year_start
-- data_classification: deidentified
create or replace view report_length_of_stay_trend as

with

length_of_stay as (
    select * from gold.v_length_of_stay
),

years as (
    select
        try_cast(substr(discharge_month, 1, 4) || '-01-01' as date) as year_start,
        sum(stays) as stays,
        sum(total_days) as total_days,
        max(max_los_days) as max_los_days
    from length_of_stay
    where diagnosis_category = 'All'
    group by substr(discharge_month, 1, 4)
),

final as (
    select
        year_start,
        case when stays not between 1 and 10 then stays end as stays,
        case when stays not between 1 and 10 then cast(total_days as double) / stays end as mean_los_days,
        stays between 1 and 10 as is_suppressed
    from years
)

select * from final
