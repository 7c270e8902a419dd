# prod: the guardrails in variables.tf refuse force_destroy, disabled deletion
# protection, raw without object lock, local artifacts and emulator settings here.
environment                     = "prod"
region                          = "us-east-1"
owner                           = "platform-team@carelake.example"
cost_center                     = "CC-4100-DATA"
availability_zones              = ["us-east-1a", "us-east-1b", "us-east-1c"]
vpc_cidr_block                  = "10.50.0.0/16"
key_administrator_role_names    = ["carelake-platform-admin"]
lake_formation_admin_role_names = ["carelake-platform-admin"]
github_repository               = "carelake-org/carelake"
runbook_base_url                = "https://github.com/carelake-org/carelake/blob/main/docs/runbook.md"
raw_object_lock_enabled         = true
raw_deep_archive_after_days     = 365
force_destroy                   = false
deletion_protection_enabled     = true
schedules_enabled               = true
# object_key: claims_to_bronze covers every partner file of dt unless the arrival Lambda names one.
extra_job_arguments = { object_key = "all" }
