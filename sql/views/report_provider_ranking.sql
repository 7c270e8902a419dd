-- report_provider_ranking: the ten providers with the most treatments, small cells suppressed.
-- grain: one row per provider ranked 1-10 by treatments (ties share a rank).
-- key:   provider_key
-- Small cells: treatments or completed treatments of 1 to 10 are null, the success rate is then null,
-- and is_suppressed is true (docs/measures/README.md). definition: docs/measures/provider-treatments.md
-- order_by: rank_by_treatments, provider_key
-- data_classification: deidentified
create or replace view report_provider_ranking as

with

ranking as (
    select * from gold.v_provider_ranking
),

flagged as (
    select
        *,
        total_treatments between 1 and 10 as is_small_treatments,
        completed between 1 and 10 as is_small_completed
    from ranking
    where rank_by_treatments <= 10
),

final as (
    select
        rank_by_treatments,
        provider_key,
        provider_name,
        specialty,
        case when not is_small_treatments then total_treatments end as total_treatments,
        case when not is_small_completed then completed end as completed,
        case when not is_small_completed then success_rate end as success_rate,
        rank_by_success_rate,
        (is_small_treatments or coalesce(is_small_completed, false)) as is_suppressed
    from flagged
)

select * from final
