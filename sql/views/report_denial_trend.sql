-- report_denial_trend: claims of every payer per service year: initial denial rate and the share of
-- appeals overturned, on a date axis, small cells suppressed.
-- grain: one row per service year with a decided claim.
-- key:   year_start (1 January of the year)
-- The yearly sums of v_claim_denials' payer 'All', CARC group 'All' rows; denial_rate = denied /
-- decided claims, overturn_rate = overturned / appealed. Small cells: decided, denied, appealed or
-- overturned claims of 1 to 10 are null, the rates built on them are null, and is_suppressed is true
-- (docs/measures/README.md). definition: docs/measures/claim-denials.md
-- try_cast: a filter on year_start may be pushed below the month filter, so the cast must not
-- fail on the 'Unknown' month it would meet there.
-- order_by: year_start
-- data_classification: deidentified
create or replace view report_denial_trend as

with

denials as (
    select * from gold.v_claim_denials
),

years as (
    select
        try_cast(substr(service_month, 1, 4) || '-01-01' as date) as year_start,
        sum(decided_claims) as decided_claims,
        sum(denied_claims) as denied_claims,
        sum(denied_amount) as denied_amount,
        sum(appealed_claims) as appealed_claims,
        sum(overturned_claims) as overturned_claims
    from denials
    where
        payer_key = 'All'
        and carc_group = 'All'
        and regexp_like(service_month, '^[0-9]{4}-[0-9]{2}$')
    group by substr(service_month, 1, 4)
),

flagged as (
    select
        *,
        cast(denied_claims as double) / decided_claims as denial_rate,
        cast(overturned_claims as double) / nullif(appealed_claims, 0) as overturn_rate,
        decided_claims between 1 and 10 as is_small_decided,
        denied_claims between 1 and 10 as is_small_denied,
        appealed_claims between 1 and 10 as is_small_appealed,
        overturned_claims between 1 and 10 as is_small_overturned
    from years
),

final as (
    select
        year_start,
        case when not is_small_decided then decided_claims end as decided_claims,
        case when not is_small_denied then denied_claims end as denied_claims,
        case when not (is_small_decided or is_small_denied) then denial_rate end as denial_rate,
        denied_amount,
        case when not is_small_appealed then appealed_claims end as appealed_claims,
        case when not is_small_overturned then overturned_claims end as overturned_claims,
        case when not (is_small_appealed or is_small_overturned) then overturn_rate end as overturn_rate,
        (is_small_decided or is_small_denied or is_small_appealed or is_small_overturned) as is_suppressed
    from flagged
)

select * from final
