-- report_top_cost_diag: the 10 diagnoses with the highest billed amount, in words, small cells suppressed.
-- grain: one row per diagnosis among the top 10 (as v_top_cost_diag).
-- key:   diagnosis_key
-- Small cells: claims or patients of 1 to 10 are null and is_suppressed is true (docs/measures/README.md).
-- definition: docs/measures/top-cost-diagnoses.md
-- order_by: billed_rank
-- data_classification: deidentified
create or replace view report_top_cost_diag as

with

top_diagnoses as (
    select * from gold.v_top_cost_diag
),

final as (
    select
        billed_rank,
        diagnosis_key,
        icd10cm_display,
        diagnosis_category,
        diagnosis_category_name,
        case when claims not between 1 and 10 then claims end as claims,
        case when patients not between 1 and 10 then patients end as patients,
        billed_amount,
        share_of_total_billed,
        (claims between 1 and 10 or patients between 1 and 10) as is_suppressed
    from top_diagnoses
)

select * from final
