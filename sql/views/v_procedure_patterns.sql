-- v_procedure_patterns: procedure volume and cost by procedure category.
-- grain: one row per procedure category with at least one procedure in gold.deid_procedure_month.
-- key:   procedure_category (the CPT/HCPCS category; 'unmapped' without a known code)
-- share_of_procedures = the category's procedures / all procedures; share_of_cost = its cost / the
-- cost of all procedures; inpatient_share = its procedures in acute inpatient stays / its procedures.
-- definition: docs/measures/procedure-patterns.md
-- order_by: total_cost desc, procedure_category
-- data_classification: deidentified
create or replace view v_procedure_patterns as

with

procedures as (
    select * from gold.deid_procedure_month
),

totals as (
    select
        count(*) as all_procedures,
        sum(cost) as all_cost
    from procedures
),

by_category as (
    select
        procedure_category,
        min(procedure_category_name) as procedure_category_name,
        count(*) as procedure_count,
        count(distinct patient_key) as patients,
        count_if(is_inpatient) as inpatient_procedures,
        sum(cost) as total_cost,
        avg(cast(cost as double)) as mean_cost
    from procedures
    group by procedure_category
),

final as (
    select
        by_category.procedure_category,
        by_category.procedure_category_name,
        by_category.procedure_count,
        by_category.patients,
        by_category.inpatient_procedures,
        cast(by_category.inpatient_procedures as double) / by_category.procedure_count as inpatient_share,
        by_category.total_cost,
        by_category.mean_cost,
        cast(by_category.procedure_count as double) / totals.all_procedures as share_of_procedures,
        cast(by_category.total_cost as double) / nullif(cast(totals.all_cost as double), 0) as share_of_cost
    from by_category
    cross join totals
)

select * from final
