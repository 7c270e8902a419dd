-- patient_risk_view: each patient's LACE readmission risk, explained point by point, with the
-- outreach status of patients on the high-risk list. No MRN column (the coordinators' list with
-- the MRN is v_high_risk_outreach).
-- grain: one row per patient with a scored index stay (gold.patient_risk).
-- key:   patient_key
-- LACE (van Walraven 2010): L length of stay, A acute (emergent) admission, C Charlson comorbidity,
-- E emergency visits in the 6 months before admission. definition: docs/measures/lace.md
-- Classified phi: is_on_outreach_list, the clinic and the last outreach come from
-- gold.high_risk_outreach_list (phi: it holds the MRN), and Athena checks the grant on every table
-- a view reads, so a deidentified label would not let analysts query it. No de-identified table
-- holds the list's membership (it depends on the run's risk_threshold and outreach_window_days).
-- order_by: lace_score desc, discharge_date desc, patient_key
-- data_classification: phi
create or replace view patient_risk_view as

with

risk as (
    select * from gold.patient_risk
),

outreach_list as (
    select * from gold.high_risk_outreach_list
),

patients as (
    select * from gold.dim_patient
),

final as (
    select
        risk.patient_key,
        patients.age_band,
        patients.gender,
        risk.index_encounter_id,
        risk.discharge_date,
        risk.length_of_stay_days,
        risk.l_points,
        risk.a_points,
        risk.a_points > 0 as is_acute_admission,
        risk.charlson_index,
        risk.c_points,
        risk.ed_visits_6m,
        risk.e_points,
        risk.lace_score,
        risk.l_points + risk.a_points + risk.c_points + risk.e_points as lace_points_total,
        risk.risk_band,
        'L ' || cast(risk.l_points as varchar)
        || ' (' || cast(risk.length_of_stay_days as varchar) || ' days) + A '
        || cast(risk.a_points as varchar)
        || ' + C ' || cast(risk.c_points as varchar)
        || ' (Charlson ' || cast(risk.charlson_index as varchar) || ') + E '
        || cast(risk.e_points as varchar)
        || ' (' || cast(risk.ed_visits_6m as varchar) || ' ED visits) = '
        || cast(risk.lace_score as varchar) as lace_explanation,
        outreach_list.patient_key is not null as is_on_outreach_list,
        outreach_list.clinic_id,
        outreach_list.clinic_name,
        outreach_list.last_outreach_status,
        outreach_list.last_outreach_at,
        outreach_list.last_coordinator_id,
        risk.as_of
    from risk
    left join outreach_list
        on risk.patient_key = outreach_list.patient_key
    left join patients
        on risk.patient_key = patients.patient_key
)

select * from final
