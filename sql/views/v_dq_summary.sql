-- v_dq_summary: data-quality summary per table and its latest run.
-- grain: one row per lake table that gold.dq_summary reports on.
-- key:   zone, table_name
-- quarantine_rate = quarantined rows / (rows written + rows quarantined);
-- has_issues: key nulls, duplicate keys left, or quarantined rows.
-- definition: docs/measures/data-quality.md
-- order_by: zone, table_name
-- data_classification: non-phi
create or replace view v_dq_summary as

with

dq as (
    select * from gold.dq_summary
),

final as (
    select
        zone,
        table_name,
        last_run_id,
        last_run_at,
        row_count,
        key_null_rate,
        duplicate_keys,
        duplicates_removed,
        quarantined_rows,
        cast(coalesce(quarantined_rows, 0) as double)
        / nullif(coalesce(row_count, 0) + coalesce(quarantined_rows, 0), 0) as quarantine_rate,
        (
            coalesce(key_null_rate, 0) > 0
            or coalesce(duplicate_keys, 0) > 0
            or coalesce(quarantined_rows, 0) > 0
        ) as has_issues
    from dq
)

select * from final
