# prod: raw is write-once (object lock), nothing can be destroyed with data in it,
# backups are immutable (compliance vault lock), schedules run. These settings are
# arguments here, not variables, so no -var or tfvars file can weaken them (and the platform module refuses them in prod anyway).
# Who owns prod and where it runs is in terraform.tfvars.
module "platform" {
  source = "../../modules/platform"

  environment                 = "prod"
  raw_object_lock_enabled     = true
  raw_deep_archive_after_days = 365
  force_destroy               = false
  deletion_protection_enabled = true
  schedules_enabled           = true
  backup_vault_lock_mode      = "compliance"
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
}
