-- v_top_cost_diag: the 10 diagnoses with the highest billed amount, with their share of all billing.
-- grain: one row per diagnosis among the top 10 (claims without a diagnosis are not ranked but
--        count in the total).
-- key:   diagnosis_key (billed_rank 1..10: billed amount descending, then diagnosis_key)
-- share_of_total_billed = the diagnosis's billed amount / billed amount of every claim.
-- definition: docs/measures/top-cost-diagnoses.md
-- order_by: billed_rank
-- data_classification: deidentified
create or replace view v_top_cost_diag as

with

claims as (
    select * from gold.deid_claim_month
),

diagnoses as (
    select * from gold.dim_diagnosis
),

total as (
    select sum(billed_amount) as total_billed_amount
    from claims
),

by_diagnosis as (
    select
        diagnosis_key,
        count(*) as claims,
        count(distinct patient_key) as patients,
        sum(billed_amount) as billed_amount,
        sum(paid_amount) as paid_amount
    from claims
    where diagnosis_key is not null
    group by diagnosis_key
),

ranked as (
    select
        *,
        row_number() over (order by billed_amount desc, diagnosis_key asc) as billed_rank
    from by_diagnosis
    where billed_amount is not null
),

final as (
    select
        ranked.billed_rank,
        ranked.diagnosis_key,
        diagnoses.icd10cm_code,
        diagnoses.icd10cm_display,
        diagnoses.diagnosis_category,
        diagnoses.diagnosis_category_name,
        ranked.claims,
        ranked.patients,
        ranked.billed_amount,
        ranked.paid_amount,
        cast(ranked.billed_amount as double) / nullif(cast(total.total_billed_amount as double), 0)
            as share_of_total_billed
    from ranked
    cross join total
    left join diagnoses
        on ranked.diagnosis_key = diagnoses.diagnosis_key
    where ranked.billed_rank <= 10
)

select * from final
