-- v_length_of_stay: HCUP length of stay of acute inpatient stays, mean and median.
-- grain: one row per diagnosis category and discharge month with at least one discharge, plus one
--        row per month with diagnosis_category = 'All' (every category of that month).
-- key:   diagnosis_category, discharge_month ('YYYY-MM')
-- LOS (HCUP) = discharge date - admission date in days; a same-day stay is 0 (computed on the exact
-- dates by silver_to_gold: gold.deid_encounter_month.length_of_stay_days). The unit is the
-- discharge (each acute inpatient encounter; transfers are separate discharges, as in HCUP).
-- definition: docs/measures/length-of-stay.md
-- order_by: diagnosis_category, discharge_month
-- data_classification: deidentified
create or replace view v_length_of_stay as

with

encounters as (
    select * from gold.deid_encounter_month
),

discharges as (
    select
        coalesce(diagnosis_category, 'Unknown') as diagnosis_category,
        discharge_month,
        length_of_stay_days
    from encounters
    where
        is_acute_inpatient
        -- null when a date is missing or the discharge precedes the admission
        and length_of_stay_days is not null
),

with_all_categories as (
    select
        diagnosis_category,
        discharge_month,
        length_of_stay_days
    from discharges

    union all

    select
        'All' as diagnosis_category,
        discharge_month,
        length_of_stay_days
    from discharges
),

ranked as (
    select
        diagnosis_category,
        discharge_month,
        length_of_stay_days,
        row_number() over (
            partition by diagnosis_category, discharge_month
            order by length_of_stay_days
        ) as los_rank,
        count(*) over (partition by diagnosis_category, discharge_month) as group_stays
    from with_all_categories
),

final as (
    select
        diagnosis_category,
        discharge_month,
        count(*) as stays,
        sum(length_of_stay_days) as total_days,
        avg(cast(length_of_stay_days as double)) as mean_los_days,
        -- exact median: the middle value, or the mean of the two middle values
        avg(
            case
                when los_rank in ((group_stays + 1) / 2, (group_stays + 2) / 2)
                    then cast(length_of_stay_days as double)
            end
        ) as median_los_days,
        max(length_of_stay_days) as max_los_days
    from ranked
    group by diagnosis_category, discharge_month
)

select * from final
