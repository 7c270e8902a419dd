-- v_claim_denials: initial claim denials, appeals and overturns by payer, CARC group and service month.
-- grain: one row per payer, service month and CARC group of the initial denial with at least one
--        denied claim, plus carc_group = 'All' (every decided claim), payer_key = 'All' (every payer)
--        and service_month = 'All' (every month) rows: each combination of the three.
-- key:   payer_key, service_month ('YYYY-MM'; 'Unknown' without a service date), carc_group
-- decided claims = claims with a payer decision (is_initially_denied not null: pending ones are out);
-- denial_rate = initially denied / decided claims of the payer and month (the 'All' row is the
-- initial denial rate; a group's rows add up to it); overturn_rate = overturned / appealed.
-- definition: docs/measures/claim-denials.md
-- order_by: payer_key, service_month, carc_group
-- data_classification: deidentified
create or replace view v_claim_denials as

with

claims as (
    select * from gold.deid_claim_month
),

payers as (
    select * from gold.dim_payer
),

denial_reasons as (
    select * from gold.dim_denial_reason
),

rollups as (
    select * from (
        values (false, false), (true, false), (false, true), (true, true)
    ) as r (all_payers, all_months)
),

claim_decisions as (
    select
        coalesce(claims.payer_key, 'Unknown') as payer_key,
        coalesce(claims.service_month, 'Unknown') as service_month,
        claims.is_initially_denied,
        coalesce(claims.is_appealed, false) as is_appealed,
        coalesce(claims.is_overturned, false) as is_overturned,
        claims.billed_amount,
        claims.paid_amount,
        case
            when claims.is_initially_denied then coalesce(denial_reasons.carc_group, 'Unknown')
        end as carc_group,
        case
            when claims.is_initially_denied then coalesce(denial_reasons.carc_group_name, 'Unknown')
        end as carc_group_name
    from claims
    left join denial_reasons
        on claims.denial_reason = denial_reasons.denial_reason
    where claims.is_initially_denied is not null
),

decided as (
    select
        case when rollups.all_payers then 'All' else claim_decisions.payer_key end as payer_key,
        case when rollups.all_months then 'All' else claim_decisions.service_month end as service_month,
        claim_decisions.is_initially_denied,
        claim_decisions.is_appealed,
        claim_decisions.is_overturned,
        claim_decisions.billed_amount,
        claim_decisions.paid_amount,
        claim_decisions.carc_group,
        claim_decisions.carc_group_name
    from claim_decisions
    cross join rollups
),

payer_months as (
    select
        payer_key,
        service_month,
        count(*) as decided_claims
    from decided
    group by payer_key, service_month
),

by_group as (
    select
        payer_key,
        service_month,
        carc_group,
        carc_group_name,
        is_initially_denied,
        is_appealed,
        is_overturned,
        billed_amount,
        paid_amount
    from decided
    where is_initially_denied

    union all

    select
        payer_key,
        service_month,
        'All' as carc_group,
        'All denial reasons' as carc_group_name,
        is_initially_denied,
        is_appealed,
        is_overturned,
        billed_amount,
        paid_amount
    from decided
),

counted as (
    select
        payer_key,
        service_month,
        carc_group,
        min(carc_group_name) as carc_group_name,
        count_if(is_initially_denied) as denied_claims,
        sum(case when is_initially_denied then billed_amount end) as denied_amount,
        count_if(is_appealed) as appealed_claims,
        count_if(is_overturned) as overturned_claims,
        sum(case when is_overturned then paid_amount end) as recovered_amount
    from by_group
    group by payer_key, service_month, carc_group
),

final as (
    select
        counted.payer_key,
        case when counted.payer_key = 'All' then 'All payers' else coalesce(payers.payer_name, 'Unknown') end
            as payer_name,
        case when counted.payer_key = 'All' then 'All' else coalesce(payers.payer_type, 'Unknown') end
            as payer_type,
        counted.service_month,
        counted.carc_group,
        counted.carc_group_name,
        payer_months.decided_claims,
        counted.denied_claims,
        cast(counted.denied_claims as double) / payer_months.decided_claims as denial_rate,
        coalesce(counted.denied_amount, 0) as denied_amount,
        counted.appealed_claims,
        counted.overturned_claims,
        cast(counted.overturned_claims as double) / nullif(counted.appealed_claims, 0) as overturn_rate,
        coalesce(counted.recovered_amount, 0) as recovered_amount
    from counted
    inner join payer_months
        on
            counted.payer_key = payer_months.payer_key
            and counted.service_month = payer_months.service_month
    left join payers
        on counted.payer_key = payers.payer_key
)

select * from final
