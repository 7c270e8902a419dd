-- v_population_summary: activity and billing by month and diagnosis category.
-- grain: one row per month (activity_month, 'YYYY-MM') and diagnosis category with an encounter or a claim
--        (missing month or category: 'Unknown').
-- key:   activity_month, diagnosis_category
-- encounters and acute inpatient stays are counted in the month of admission (admit_month);
-- claims and billed amounts in their service month. definition: docs/measures/population-summary.md
-- order_by: activity_month, diagnosis_category
-- data_classification: deidentified
create or replace view v_population_summary as

with

encounters as (
    select * from gold.deid_encounter_month
),

claims as (
    select * from gold.deid_claim_month
),

encounter_counts as (
    select
        coalesce(admit_month, 'Unknown') as activity_month,
        coalesce(diagnosis_category, 'Unknown') as diagnosis_category,
        count(*) as encounters,
        count(distinct patient_key) as patients,
        count_if(is_acute_inpatient) as acute_inpatient_stays
    from encounters
    group by 1, 2
),

claim_totals as (
    select
        coalesce(service_month, 'Unknown') as activity_month,
        coalesce(diagnosis_category, 'Unknown') as diagnosis_category,
        count(*) as claims,
        sum(billed_amount) as billed_amount,
        sum(paid_amount) as paid_amount
    from claims
    group by 1, 2
),

final as (
    select
        coalesce(encounter_counts.activity_month, claim_totals.activity_month) as activity_month,
        coalesce(encounter_counts.diagnosis_category, claim_totals.diagnosis_category) as diagnosis_category,
        coalesce(encounter_counts.encounters, 0) as encounters,
        coalesce(encounter_counts.patients, 0) as patients,
        coalesce(encounter_counts.acute_inpatient_stays, 0) as acute_inpatient_stays,
        coalesce(claim_totals.claims, 0) as claims,
        coalesce(claim_totals.billed_amount, 0) as billed_amount,
        coalesce(claim_totals.paid_amount, 0) as paid_amount
    from encounter_counts
    full outer join claim_totals
        on
            encounter_counts.activity_month = claim_totals.activity_month
            and encounter_counts.diagnosis_category = claim_totals.diagnosis_category
)

select * from final
