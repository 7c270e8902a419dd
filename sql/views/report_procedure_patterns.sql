-- report_procedure_patterns: v_procedure_patterns as analysts see it, small cells suppressed.
-- grain: as v_procedure_patterns.
-- key:   procedure_category
-- Small cells: procedures or patients of 1 to 10 are null, the mean cost and shares built on them are
-- null, and is_suppressed is true (docs/measures/README.md). definition: docs/measures/procedure-patterns.md
-- order_by: total_cost desc, procedure_category
-- data_classification: deidentified
create or replace view report_procedure_patterns as

with

patterns as (
    select * from gold.v_procedure_patterns
),

flagged as (
    select
        *,
        procedure_count between 1 and 10 as is_small_procedures,
        patients between 1 and 10 as is_small_patients,
        inpatient_procedures between 1 and 10 as is_small_inpatient
    from patterns
),

final as (
    select
        procedure_category,
        procedure_category_name,
        case when not is_small_procedures then procedure_count end as procedure_count,
        case when not is_small_patients then patients end as patients,
        total_cost,
        case when not is_small_procedures then mean_cost end as mean_cost,
        case when not is_small_procedures then share_of_procedures end as share_of_procedures,
        share_of_cost,
        case when not (is_small_procedures or is_small_inpatient) then inpatient_share end as inpatient_share,
        (is_small_procedures or is_small_patients or is_small_inpatient) as is_suppressed
    from flagged
)

select * from final
