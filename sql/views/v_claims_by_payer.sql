-- v_claims_by_payer: claim volume, money and denials per payer.
-- grain: one row per payer with at least one claim (claims without a payer: payer_key 'Unknown').
-- key:   payer_key
-- paid_to_billed_ratio = sum(paid) / sum(billed); denial_rate = denied claims / all claims
-- (every status, pending included); initial_denial_rate = claims the payer's first decision denied /
-- decided claims (pending ones out), see v_claim_denials. definition: docs/measures/claims-by-payer.md
-- order_by: billed_amount desc, payer_key
-- data_classification: deidentified
create or replace view v_claims_by_payer as

with

claims as (
    select * from gold.deid_claim_month
),

payers as (
    select * from gold.dim_payer
),

by_payer as (
    select
        coalesce(payer_key, 'Unknown') as payer_key,
        count(*) as claims,
        count(distinct patient_key) as patients,
        count_if(is_denied) as denied_claims,
        count(is_initially_denied) as decided_claims,
        count_if(is_initially_denied) as initially_denied_claims,
        sum(billed_amount) as billed_amount,
        sum(allowed_amount) as allowed_amount,
        sum(paid_amount) as paid_amount
    from claims
    group by coalesce(payer_key, 'Unknown')
),

final as (
    select
        by_payer.payer_key,
        coalesce(payers.payer_name, 'Unknown') as payer_name,
        coalesce(payers.payer_type, 'Unknown') as payer_type,
        by_payer.claims,
        by_payer.patients,
        by_payer.denied_claims,
        by_payer.billed_amount,
        by_payer.allowed_amount,
        by_payer.paid_amount,
        cast(by_payer.paid_amount as double) / nullif(cast(by_payer.billed_amount as double), 0)
            as paid_to_billed_ratio,
        cast(by_payer.denied_claims as double) / by_payer.claims as denial_rate,
        by_payer.decided_claims,
        by_payer.initially_denied_claims,
        cast(by_payer.initially_denied_claims as double) / nullif(by_payer.decided_claims, 0)
            as initial_denial_rate
    from by_payer
    left join payers
        on by_payer.payer_key = payers.payer_key
)

select * from final
