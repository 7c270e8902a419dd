-- report_claims_by_payer: v_claims_by_payer as analysts see it, small cells suppressed.
-- grain: one row per payer (as v_claims_by_payer).
-- key:   payer_key
-- Small cells (CMS cell-size policy, docs/measures/README.md): a count of 1 to 10 is null and
-- is_suppressed is true (dashboards show it as "<11"); a rate or ratio over such a count is null.
-- order_by: billed_amount desc, payer_key
-- data_classification: deidentified
create or replace view report_claims_by_payer as

with

payers as (
    select * from gold.v_claims_by_payer
),

flagged as (
    select
        *,
        claims between 1 and 10 as is_small_claims,
        patients between 1 and 10 as is_small_patients,
        decided_claims between 1 and 10 as is_small_decided,
        initially_denied_claims between 1 and 10 as is_small_denied
    from payers
),

final as (
    select
        payer_key,
        payer_name,
        payer_type,
        case when not is_small_claims then claims end as claims,
        case when not is_small_patients then patients end as patients,
        billed_amount,
        allowed_amount,
        paid_amount,
        case when not is_small_claims then paid_to_billed_ratio end as paid_to_billed_ratio,
        case when not is_small_decided then decided_claims end as decided_claims,
        case when not is_small_denied then initially_denied_claims end as initially_denied_claims,
        case when not (is_small_decided or is_small_denied) then initial_denial_rate end
            as initial_denial_rate,
        (is_small_claims or is_small_patients or is_small_decided or is_small_denied) as is_suppressed
    from flagged
)

select * from final
