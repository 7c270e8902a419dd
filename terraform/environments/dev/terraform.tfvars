# dev: a full copy of the platform for development, teardown allowed.
# Account-specific names (admin roles, repository) are set here; ARNs are built
# from the account ID at plan time. artifact_version comes from CI (-var).
environment                     = "dev"
region                          = "us-east-1"
owner                           = "platform-team@carelake.example"
cost_center                     = "CC-4100-DATA"
availability_zones              = ["us-east-1a", "us-east-1b"]
vpc_cidr_block                  = "10.40.0.0/16"
key_administrator_role_names    = ["carelake-platform-admin"]
lake_formation_admin_role_names = ["carelake-platform-admin"]
github_repository               = "carelake-org/carelake"
runbook_base_url                = "https://github.com/carelake-org/carelake/blob/main/docs/runbook.md"
raw_object_lock_enabled         = false
force_destroy                   = true
deletion_protection_enabled     = false
schedules_enabled               = false
# object_key: claims_to_bronze covers every partner file of dt unless the arrival Lambda names one.
extra_job_arguments = { object_key = "all" }
