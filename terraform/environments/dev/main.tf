# dev: the whole platform, built to be torn down (force_destroy, no deletion
# protection, no object lock on raw, a backup vault lock in governance mode, schedules
# off). What dev is differs from prod here, in the arguments below; who owns it and
# where it runs is in terraform.tfvars.
module "platform" {
  source = "../../modules/platform"

  environment                 = "dev"
  raw_object_lock_enabled     = false
  force_destroy               = true
  deletion_protection_enabled = false
  schedules_enabled           = false
  backup_vault_lock_mode      = "governance"
  # claims_to_bronze covers every partner file of dt unless the arrival Lambda names one.
  extra_job_arguments = { object_key = "all" }

  region                                  = var.region
  account_id                              = var.account_id
  owner                                   = var.owner
  cost_center                             = var.cost_center
  availability_zones                      = var.availability_zones
  vpc_cidr_block                          = var.vpc_cidr_block
  key_administrator_role_names            = var.key_administrator_role_names
  lake_formation_admin_role_names         = var.lake_formation_admin_role_names
  github_repository                       = var.github_repository
  runbook_base_url                        = var.runbook_base_url
  sftp_partners                           = var.sftp_partners
  sftp_allowed_cidrs                      = var.sftp_allowed_cidrs
  persona_trusted_role_names              = var.persona_trusted_role_names
  break_glass_role_names                  = var.break_glass_role_names
  detective_controls_delegated_to         = var.detective_controls_delegated_to
  backup_delegated_to_security_account_id = var.backup_delegated_to_security_account_id
  intake_domain_name                      = var.intake_domain_name
  intake_route53_zone_id                  = var.intake_route53_zone_id
  care_team_assignments                   = var.care_team_assignments
  artifact_version                        = var.artifact_version
  local_artifacts_dir                     = var.local_artifacts_dir
}
