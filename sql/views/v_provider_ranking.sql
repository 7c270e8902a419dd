-- v_provider_ranking: providers with their treatment volume and success-rate ranks side by side.
-- grain: one row per provider in either ranking table.
-- key:   provider_key
-- success_rate = successes / completed (success + failure); providers need 5 completed treatments
-- to be ranked on it (gold.provider_success_rank). definition: docs/measures/provider-treatments.md
-- order_by: rank_by_treatments, provider_key
-- data_classification: deidentified
create or replace view v_provider_ranking as

with

by_volume as (
    select * from gold.provider_treatment_rank
),

by_success as (
    select * from gold.provider_success_rank
),

providers as (
    select * from gold.dim_provider
),

final as (
    select
        coalesce(by_volume.provider_key, by_success.provider_key) as provider_key,
        coalesce(by_volume.provider_name, providers.provider_name) as provider_name,
        coalesce(by_volume.specialty, providers.specialty) as specialty,
        providers.city,
        providers.state,
        coalesce(by_volume.total_treatments, 0) as total_treatments,
        by_volume.rank_by_treatments,
        by_success.successes,
        by_success.completed,
        by_success.success_rate,
        by_success.rank_by_success_rate
    from by_volume
    full outer join by_success
        on by_volume.provider_key = by_success.provider_key
    left join providers
        on coalesce(by_volume.provider_key, by_success.provider_key) = providers.provider_key
)

select * from final
