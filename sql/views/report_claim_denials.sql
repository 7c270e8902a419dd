-- report_claim_denials: v_claim_denials as analysts see it, small cells suppressed.
-- grain: as v_claim_denials.
-- key:   payer_key, service_month, carc_group ('All': every decided claim)
-- Small cells: decided, denied, appealed or overturned claims of 1 to 10 are null, the rates built on
-- them are null, and is_suppressed is true (docs/measures/README.md).
-- definition: docs/measures/claim-denials.md
-- order_by: payer_key, service_month, carc_group
-- data_classification: deidentified
create or replace view report_claim_denials as

with

denials as (
    select * from gold.v_claim_denials
),

flagged as (
    select
        *,
        decided_claims between 1 and 10 as is_small_decided,
        denied_claims between 1 and 10 as is_small_denied,
        appealed_claims between 1 and 10 as is_small_appealed,
        overturned_claims between 1 and 10 as is_small_overturned
    from denials
),

final as (
    select
        payer_key,
        payer_name,
        payer_type,
        service_month,
        carc_group,
        carc_group_name,
        case when not is_small_decided then decided_claims end as decided_claims,
        case when not is_small_denied then denied_claims end as denied_claims,
        case when not (is_small_decided or is_small_denied) then denial_rate end as denial_rate,
        denied_amount,
        case when not is_small_appealed then appealed_claims end as appealed_claims,
        case when not is_small_overturned then overturned_claims end as overturned_claims,
        case when not (is_small_appealed or is_small_overturned) then overturn_rate end as overturn_rate,
        recovered_amount,
        (is_small_decided or is_small_denied or is_small_appealed or is_small_overturned) as is_suppressed
    from flagged
)

select * from final
