-- v_readmission_rates: observed 30-day readmission rates by dimension, both variants.
-- grain: one row per variant, dimension and dimension value that has at least one index stay.
-- key:   variant, dimension, dimension_value
--   variant:   'hedis_all_ages' (HEDIS PCR rules, every age) or 'cms_65_plus' (CMS-style, 65+)
--   dimension: 'diagnosis_category', 'discharge_month' ('YYYY-MM'), 'payer' (payer_key) or
--              'facility' (the discharging facility's location_key); missing values are 'Unknown'
-- definition: docs/measures/readmission.md (observed rates only: no risk adjustment)
-- order_by: variant, dimension, dimension_value
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view v_readmission_rates as

with

stays as (
    select * from gold.v_readmission_index_stays
),

payers as (
    select * from gold.dim_payer
),

locations as (
    select * from gold.dim_location
),

variant_stays as (
    select
        'hedis_all_ages' as variant,
        diagnosis_category,
        discharge_month,
        payer_key,
        location_key,
        is_readmitted_30d as is_readmitted,
        coalesce(is_readmitted_elsewhere, false) as is_readmitted_elsewhere
    from stays
    where is_index_stay

    union all

    select
        'cms_65_plus' as variant,
        diagnosis_category,
        discharge_month,
        payer_key,
        location_key,
        is_cms_readmitted_30d as is_readmitted,
        is_cms_readmitted_30d and coalesce(is_readmitted_elsewhere, false) as is_readmitted_elsewhere
    from stays
    where is_cms_index_stay
),

by_dimension as (
    select
        variant,
        'diagnosis_category' as dimension,
        coalesce(diagnosis_category, 'Unknown') as dimension_value,
        is_readmitted,
        is_readmitted_elsewhere
    from variant_stays

    union all

    select
        variant,
        'discharge_month' as dimension,
        discharge_month as dimension_value,
        is_readmitted,
        is_readmitted_elsewhere
    from variant_stays

    union all

    select
        variant,
        'payer' as dimension,
        coalesce(payer_key, 'Unknown') as dimension_value,
        is_readmitted,
        is_readmitted_elsewhere
    from variant_stays

    union all

    select
        variant,
        'facility' as dimension,
        coalesce(location_key, 'Unknown') as dimension_value,
        is_readmitted,
        is_readmitted_elsewhere
    from variant_stays
),

rates as (
    select
        variant,
        dimension,
        dimension_value,
        count(*) as index_stays,
        count_if(is_readmitted) as readmissions,
        count_if(is_readmitted_elsewhere) as readmissions_elsewhere,
        cast(count_if(is_readmitted) as double) / count(*) as readmission_rate
    from by_dimension
    group by variant, dimension, dimension_value
),

final as (
    select
        rates.variant,
        rates.dimension,
        rates.dimension_value,
        case rates.dimension
            when 'payer' then coalesce(payers.payer_name, rates.dimension_value)
            when 'facility' then coalesce(locations.location_name, rates.dimension_value)
            else rates.dimension_value
        end as dimension_label,
        rates.index_stays,
        rates.readmissions,
        rates.readmissions_elsewhere,
        rates.readmission_rate
    from rates
    left join payers
        on rates.dimension = 'payer' and rates.dimension_value = payers.payer_key
    left join locations
        on rates.dimension = 'facility' and rates.dimension_value = locations.location_key
)

select * from final
