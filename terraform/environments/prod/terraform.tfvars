# Who owns prod and where it runs. What prod is (write-once raw, deletion protection,
# schedules on) is in main.tf. artifact_version comes from CI (-var).
region                          = "us-east-1"
owner                           = "platform-team@carelake.example"
cost_center                     = "CC-4100-DATA"
availability_zones              = ["us-east-1a", "us-east-1b", "us-east-1c"]
vpc_cidr_block                  = "10.50.0.0/16"
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
intake_domain_name     = "intake.carelake.example"
intake_route53_zone_id = "Z0PRODEXAMPLE0000001"
# The care team: which coordinator covers which clinic (facility organization id), with each
# coordinator's sign-in user_name. Until it is filled in, the plan warns and every patient
# to call is on the worklist as unassigned.
care_team_assignments = []
