-- v_demographics: the active population by age band, gender, race and ethnicity.
-- grain: one row per dimension and value present among active patients (missing values 'Unknown').
-- key:   dimension ('age_band', 'gender', 'race', 'ethnicity'), dimension_value
-- active = dim_patient.is_active (alive on as_of with an encounter in the 24 months before it);
-- share_of_patients = patients / active patients. definition: docs/measures/demographics.md
-- order_by: dimension, patients desc, dimension_value
-- data_classification: deidentified
create or replace view v_demographics as

with

patients as (
    select * from gold.dim_patient
),

active_patients as (
    select
        patient_key,
        coalesce(age_band, 'Unknown') as age_band,
        coalesce(gender, 'Unknown') as gender,
        coalesce(race, 'Unknown') as race,
        coalesce(ethnicity, 'Unknown') as ethnicity
    from patients
    where is_active
),

active_total as (
    select count(*) as active_patients
    from active_patients
),

by_dimension as (
    select
        'age_band' as dimension,
        age_band as dimension_value,
        patient_key
    from active_patients

    union all

    select
        'gender' as dimension,
        gender as dimension_value,
        patient_key
    from active_patients

    union all

    select
        'race' as dimension,
        race as dimension_value,
        patient_key
    from active_patients

    union all

    select
        'ethnicity' as dimension,
        ethnicity as dimension_value,
        patient_key
    from active_patients
),

counts as (
    select
        dimension,
        dimension_value,
        count(*) as patients
    from by_dimension
    group by dimension, dimension_value
),

final as (
    select
        counts.dimension,
        counts.dimension_value,
        counts.patients,
        active_total.active_patients,
        cast(counts.patients as double) / active_total.active_patients as share_of_patients
    from counts
    cross join active_total
)

select * from final
