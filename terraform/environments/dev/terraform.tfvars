# Who owns dev and where it runs. What dev is (teardown allowed, schedules off) is in
# main.tf. Account-specific names are set here; ARNs are built from the account ID at
# plan time. artifact_version comes from CI (-var).
region                          = "us-east-1"
owner                           = "platform-team@carelake.example"
cost_center                     = "CC-4100-DATA"
availability_zones              = ["us-east-1a", "us-east-1b"]
vpc_cidr_block                  = "10.40.0.0/16"
key_administrator_role_names    = ["carelake-platform-admin"]
lake_formation_admin_role_names = ["carelake-platform-admin"]
github_repository               = "carelake-org/carelake"
runbook_base_url                = "https://github.com/carelake-org/carelake/blob/main/docs/runbook.md"
# People: the IAM Identity Center roles (permission sets) behind each persona and the
# break-glass role; replace the examples with the account's own (docs/runbook.md, step 2).
persona_trusted_role_names = {
  data_engineer    = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CarelakeDataEngineer_example"]
  analyst          = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CarelakeAnalyst_example"]
  care_coordinator = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CarelakeCareCoordinator_example"]
  auditor          = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CarelakeAuditor_example"]
}
break_glass_role_names = ["aws-reserved/sso.amazonaws.com/AWSReservedSSO_CarelakeBreakGlass_example"]
# The intake API's domain and the public hosted zone that holds it (example values).
intake_domain_name     = "intake.dev.carelake.example"
intake_route53_zone_id = "Z0DEVEXAMPLE00000001"
# The care team: which coordinator covers which clinic (facility organization id). dev covers
# two of the generator's hospitals; a clinic not listed shows its patients as unassigned.
care_team_assignments = [
  { coordinator_id = "cm-001", clinic_id = "3d10019f-c88e-3de5-9916-6107b9c0263d" },
  { coordinator_id = "cm-002", clinic_id = "3d10019f-c88e-3de5-9916-6107b9c0263d" },
  { coordinator_id = "cm-003", clinic_id = "f4e7709c-02f6-37ca-aeea-8247d74e88e7" },
]
