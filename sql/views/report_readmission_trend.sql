-- report_readmission_trend: the observed 30-day readmission rate (HEDIS PCR, all ages) per discharge
-- month of the index stay, on a date axis, small cells suppressed.
-- grain: one row per discharge month with an index stay.
-- key:   month_start (first day of the month)
-- Small cells: index stays or readmissions of 1 to 10 are null, the rate is then null, and
-- is_suppressed is true (docs/measures/README.md). definition: docs/measures/readmission.md
-- order_by: month_start
-- data_classification: deidentified
create or replace view report_readmission_trend as

with

rates as (
    select * from gold.v_readmission_rates
),

months as (
    select
        cast(dimension_value || '-01' as date) as month_start,
        index_stays,
        readmissions,
        readmission_rate,
        index_stays between 1 and 10 as is_small_stays,
        readmissions between 1 and 10 as is_small_readmissions
    from rates
    where
        variant = 'hedis_all_ages'
        and dimension = 'discharge_month'
        and regexp_like(dimension_value, '^[0-9]{4}-[0-9]{2}$')
),

final as (
    select
        month_start,
        case when not is_small_stays then index_stays end as index_stays,
        case when not is_small_readmissions then readmissions end as readmissions,
        case when not (is_small_stays or is_small_readmissions) then readmission_rate end as readmission_rate,
        (is_small_stays or is_small_readmissions) as is_suppressed
    from months
)

select * from final
