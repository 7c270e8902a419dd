-- readmission_rates: the overall observed 30-day all-cause readmission rate per variant.
-- grain: one row per variant (both rows are always present; the rate is null without index stays).
-- key:   variant ('hedis_all_ages', 'cms_65_plus')
-- definition: docs/measures/readmission.md (observed rates only: no risk adjustment)
-- order_by: variant desc
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view readmission_rates as

with

stays as (
    select * from gold.v_readmission_index_stays
),

variants as (
    select * from (values ('hedis_all_ages'), ('cms_65_plus')) as v (variant)
),

variant_stays as (
    select
        'hedis_all_ages' as variant,
        is_readmitted_30d as is_readmitted,
        coalesce(is_readmitted_elsewhere, false) as is_readmitted_elsewhere
    from stays
    where is_index_stay

    union all

    select
        'cms_65_plus' as variant,
        is_cms_readmitted_30d as is_readmitted,
        is_cms_readmitted_30d and coalesce(is_readmitted_elsewhere, false) as is_readmitted_elsewhere
    from stays
    where is_cms_index_stay
),

totals as (
    select
        variant,
        count(*) as index_stays,
        count_if(is_readmitted) as readmissions,
        count_if(is_readmitted_elsewhere) as readmissions_elsewhere
    from variant_stays
    group by variant
),

final as (
    select
        variants.variant,
        coalesce(totals.index_stays, 0) as index_stays,
        coalesce(totals.readmissions, 0) as readmissions,
        coalesce(totals.readmissions_elsewhere, 0) as readmissions_elsewhere,
        cast(totals.readmissions as double) / nullif(totals.index_stays, 0) as readmission_rate
    from variants
    left join totals
        on variants.variant = totals.variant
)

select * from final
