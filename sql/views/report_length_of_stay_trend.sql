-- report_length_of_stay_trend: HCUP length of stay of acute inpatient discharges per discharge
-- month (every diagnosis category), on a date axis, small cells suppressed.
-- grain: one row per discharge month with a discharge.
-- key:   month_start (first day of the month)
-- Small cells: a month of 1 to 10 discharges shows no count, mean or median, and is_suppressed is
-- true (docs/measures/README.md). definition: docs/measures/length-of-stay.md
-- order_by: month_start
-- data_classification: deidentified
create or replace view report_length_of_stay_trend as

with

length_of_stay as (
    select * from gold.v_length_of_stay
),

months as (
    select
        cast(discharge_month || '-01' as date) as month_start,
        stays,
        mean_los_days,
        median_los_days,
        stays between 1 and 10 as is_suppressed
    from length_of_stay
    where diagnosis_category = 'All'
),

final as (
    select
        month_start,
        case when not is_suppressed then stays end as stays,
        case when not is_suppressed then mean_los_days end as mean_los_days,
        case when not is_suppressed then median_los_days end as median_los_days,
        is_suppressed
    from months
)

select * from final
