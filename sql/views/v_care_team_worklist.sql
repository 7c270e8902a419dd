-- v_care_team_worklist: each care coordinator's patients to call today, per clinic: who (with
-- the MRN, to open the chart), why (the call reason and the LACE components in words), days
-- since the discharge and since the last outreach, most urgent first: an emergency visit since
-- the patient was last reached, then patients nobody has tried yet, then by LACE score and the
-- most recent discharge. Patients of a clinic nobody covers are under coordinator 'unassigned'.
-- grain: one row per coordinator, clinic and patient on gold.care_team_worklist.
-- key:   coordinator_id, clinic_id, patient_key (priority_rank 1..n is unique per coordinator and clinic)
-- Carries the MRN: grant this view only to the care coordination role, like the table it reads.
-- definition: docs/measures/care-team-worklist.md
-- order_by: coordinator_id, clinic_id, priority_rank
-- data_classification: phi
-- audience: care_coordination
create or replace view v_care_team_worklist as

with

worklist as (
    select * from gold.care_team_worklist
),

final as (
    select
        row_number() over (
            partition by coordinator_id, clinic_id
            order by
                case when call_reason = 'emergency_visit_since_reached' then 0 else 1 end asc,
                case when last_outreach_at is null then 0 else 1 end asc,
                lace_score desc,
                discharge_date desc,
                patient_key asc
        ) as priority_rank,
        as_of,
        coordinator_id,
        clinic_id,
        clinic_name,
        patient_key,
        mrn,
        call_reason,
        lace_score,
        risk_band,
        lace_reasons,
        discharge_date,
        days_since_discharge,
        last_outreach_at,
        last_outreach_status,
        last_coordinator_id,
        date_diff('day', cast(last_outreach_at as date), as_of) as days_since_last_outreach,
        last_successful_outreach_at,
        risk_signal_at
    from worklist
)

select * from final
