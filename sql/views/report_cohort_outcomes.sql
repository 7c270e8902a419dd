-- report_cohort_outcomes: v_cohort_outcomes as analysts see it, small cells suppressed.
-- grain: as v_cohort_outcomes.
-- key:   cohort ('all_patients' beside copd, heart_failure, diabetes)
-- Small cells: patients, index stays, readmissions or ED revisits of 1 to 10 are null, the length of
-- stay and rates built on them are null, and is_suppressed is true (docs/measures/README.md).
-- definition: docs/measures/cohort-outcomes.md
-- order_by: cohort
-- Reads exact dates and source ids (limited data set): analysts need the limited-data-set grant
-- (docs/runbook.md, "Limited data set access").
-- data_classification: limited-data-set
create or replace view report_cohort_outcomes as

with

outcomes as (
    select * from gold.v_cohort_outcomes
),

flagged as (
    select
        *,
        patients between 1 and 10 as is_small_patients,
        index_stays between 1 and 10 as is_small_stays,
        readmissions_30d between 1 and 10 as is_small_readmissions,
        ed_revisits_30d between 1 and 10 as is_small_revisits
    from outcomes
),

final as (
    select
        cohort,
        cohort_name,
        case when not is_small_patients then patients end as patients,
        case when not is_small_stays then index_stays end as index_stays,
        case when not is_small_stays then mean_los_days end as mean_los_days,
        case when not is_small_readmissions then readmissions_30d end as readmissions_30d,
        case when not (is_small_stays or is_small_readmissions) then readmission_rate_30d end
            as readmission_rate_30d,
        case when not is_small_revisits then ed_revisits_30d end as ed_revisits_30d,
        case when not (is_small_stays or is_small_revisits) then ed_revisit_rate_30d end
            as ed_revisit_rate_30d,
        (is_small_patients or is_small_stays or is_small_readmissions or is_small_revisits) as is_suppressed
    from flagged
)

select * from final
