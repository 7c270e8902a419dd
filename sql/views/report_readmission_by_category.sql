-- report_readmission_by_category: the observed 30-day readmission rate (HEDIS PCR, all ages) per
-- diagnosis category of the index stay, the category in words, small cells suppressed.
-- grain: one row per diagnosis category with an index stay.
-- key:   diagnosis_category
-- Small cells: index stays or readmissions of 1 to 10 are null, the rate is then null, and
-- is_suppressed is true (docs/measures/README.md). definition: docs/measures/readmission.md
-- order_by: readmission_rate desc, diagnosis_category
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view report_readmission_by_category as

with

rates as (
    select * from gold.v_readmission_rates
),

diagnoses as (
    select * from gold.dim_diagnosis
),

category_names as (
    select
        diagnosis_category,
        min(diagnosis_category_name) as diagnosis_category_name
    from diagnoses
    where diagnosis_category is not null
    group by diagnosis_category
),

categories as (
    select
        rates.dimension_value as diagnosis_category,
        coalesce(category_names.diagnosis_category_name, rates.dimension_value) as diagnosis_category_name,
        rates.index_stays,
        rates.readmissions,
        rates.readmission_rate,
        rates.index_stays between 1 and 10 as is_small_stays,
        rates.readmissions between 1 and 10 as is_small_readmissions
    from rates
    left join category_names
        on rates.dimension_value = category_names.diagnosis_category
    where rates.variant = 'hedis_all_ages' and rates.dimension = 'diagnosis_category'
),

final as (
    select
        diagnosis_category,
        diagnosis_category_name,
        case when not is_small_stays then index_stays end as index_stays,
        case when not is_small_readmissions then readmissions end as readmissions,
        case when not (is_small_stays or is_small_readmissions) then readmission_rate end as readmission_rate,
        (is_small_stays or is_small_readmissions) as is_suppressed
    from categories
)

select * from final
