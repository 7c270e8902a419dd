-- report_readmission_trend: the observed 30-day readmission rate (HEDIS PCR, all ages) per discharge
-- year of the index stay, on a date axis, small cells suppressed.
-- grain: one row per discharge year with an index stay.
-- key:   year_start (1 January of the year)
-- Years, not months: at the demo's scale a month holds a handful of index stays, which the
-- cell-size rule would hide. Small cells: index stays or readmissions of 1 to 10 are null, the rate
-- is then null, and is_suppressed is true (docs/measures/README.md). definition: docs/measures/readmission.md
-- try_cast: a filter on year_start may be pushed below the month filter, so the cast must not
-- fail on the 'Unknown' month it would meet there.
-- order_by: year_start
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view report_readmission_trend as

with

rates as (
    select * from gold.v_readmission_rates
),

years as (
    select
        try_cast(substr(dimension_value, 1, 4) || '-01-01' as date) as year_start,
        sum(index_stays) as index_stays,
        sum(readmissions) as readmissions
    from rates
    where
        variant = 'hedis_all_ages'
        and dimension = 'discharge_month'
        and regexp_like(dimension_value, '^[0-9]{4}-[0-9]{2}$')
    group by substr(dimension_value, 1, 4)
),

flagged as (
    select
        *,
        cast(readmissions as double) / index_stays as readmission_rate,
        index_stays between 1 and 10 as is_small_stays,
        readmissions between 1 and 10 as is_small_readmissions
    from years
),

final as (
    select
        year_start,
        case when not is_small_stays then index_stays end as index_stays,
        case when not is_small_readmissions then readmissions end as readmissions,
        case when not (is_small_stays or is_small_readmissions) then readmission_rate end as readmission_rate,
        (is_small_stays or is_small_readmissions) as is_suppressed
    from flagged
)

select * from final
