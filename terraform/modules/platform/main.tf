# The carelake platform for one environment: every module, wired together. Each root
# (terraform/environments/<env>) holds only its backend, provider, one call of this
# module and its terraform.tfvars, so dev and prod are the same platform by construction.
data "aws_caller_identity" "this" {
  count = var.account_id == null ? 1 : 0
}

locals {
  project    = "carelake"
  account_id = var.account_id != null ? var.account_id : data.aws_caller_identity.this[0].account_id
  repo_root  = "${path.module}/../../.."

  # The one job list, and the table catalog the jobs generate (absent until they do).
  manifest_path  = "${local.repo_root}/jobs/src/carelake/manifest.yaml"
  catalog_path   = "${local.repo_root}/jobs/catalog.json"
  catalog_tables = fileexists(local.catalog_path) ? jsondecode(file(local.catalog_path)).tables : []
  manifest       = yamldecode(file(local.manifest_path))
  manifest_jobs  = keys(local.manifest.jobs)

  # The one LACE threshold: silver_to_gold's default argument in the manifest (what the local
  # runner uses too), or var.risk_threshold. It feeds both the Glue job and the risk_alert
  # Lambda; tests/unit/test_one_risk_threshold.py fails on a second copy anywhere.
  risk_threshold = coalesce(var.risk_threshold, tonumber(local.manifest.jobs.silver_to_gold.default_arguments.risk_threshold))
  # Arguments the platform sets itself, so no caller can point the jobs elsewhere: the one
  # threshold, the care team assignment and the platform's own patient key secret.
  job_arguments = merge(var.extra_job_arguments, {
    risk_threshold           = tostring(local.risk_threshold)
    care_team_assignment_uri = module.alerting.care_team_assignment_s3_uri
    patient_key_secret       = module.pseudonym_key.secretsmanager_secret_name
  })

  # The outreach event contract (intake Lambda, bronze) also drives API Gateway's request validation.
  intake_schema_path = "${local.repo_root}/jobs/src/carelake/contracts/outreach_event.schema.json"

  role_arn_prefix        = "arn:${var.partition}:iam::${local.account_id}:role/"
  deploy_role_arn        = "${local.role_arn_prefix}${coalesce(var.deploy_role_name, "${local.project}-${var.environment}-github-apply")}"
  key_administrator_arns = [for n in var.key_administrator_role_names : "${local.role_arn_prefix}${n}"]
  lake_formation_admins  = distinct(concat([for n in var.lake_formation_admin_role_names : "${local.role_arn_prefix}${n}"], [local.deploy_role_arn]))
  persona_trusted_arns   = { for persona, names in var.persona_trusted_role_names : persona => [for n in names : "${local.role_arn_prefix}${n}"] }
  break_glass_arns       = [for n in var.break_glass_role_names : "${local.role_arn_prefix}${n}"]
  state_bucket_name      = coalesce(var.state_bucket_name, "${local.project}-tfstate-${local.account_id}-${var.region}")
  artifact_prefix        = "${local.project}/${var.artifact_version}"
  uploaded_artifacts     = module.data_lake.artifacts_s3_object_version_ids
  # The one list of Lambdas is lambdas/<name>/handler.py (make package-lambdas builds the same).
  lambda_names = sort([for f in fileset("${local.repo_root}/lambdas", "*/handler.py") : dirname(f)])
  # v_high_risk_outreach reads the first two, v_care_team_worklist the third.
  care_coordinator_tables = ["high_risk_outreach_list", "patient_risk", "care_team_worklist"]

  lambda_code = {
    for n in local.lambda_names : n => {
      s3_bucket         = module.data_lake.artifacts_s3_bucket_name
      s3_key            = "${local.artifact_prefix}/lambdas/${n}.zip"
      s3_object_version = lookup(local.uploaded_artifacts, "${local.artifact_prefix}/lambdas/${n}.zip", null)
    }
  }
}

module "context" {
  source = "../context"

  project     = local.project
  environment = var.environment
  owner       = var.owner
  cost_center = var.cost_center
  account_id  = local.account_id
  region      = var.region
  partition   = var.partition
}

module "kms" {
  source = "../kms"

  context                = module.context.context
  key_administrator_arns = local.key_administrator_arns
  deployer_arns          = [local.deploy_role_arn]
  # compact(): a role that does not exist because its control is delegated is left out.
  key_user_arns = {
    phi = compact([
      module.glue_jobs.iam_role_arn,
      module.lake_formation.data_access_iam_role_arn,
      module.transfer_sftp.partners_iam_role_arn,
      module.transfer_sftp.arrival_iam_role_arn,
      module.streaming_intake.intake_iam_role_arn,
      module.streaming_intake.firehose_iam_role_arn,
      module.alerting.risk_alert_iam_role_arn,
      module.alerting.pipeline_health_iam_role_arn, # run reports sit in the quarantine bucket
      module.treatments_source.export_iam_role_arn,
      module.analytics.sql_deploy_iam_role_arn,
      # AWS Backup reads the PHI tables and buckets and writes the PHI vault; Macie reads
      # the PHI buckets to scan them (both null when delegated to the security account).
      module.backup.iam_role_arn,
      module.detective_controls.macie_service_linked_role_arn,
    ])
    logs = compact([
      module.glue_jobs.iam_role_arn,
      module.transfer_sftp.arrival_iam_role_arn,
      module.alerting.risk_alert_iam_role_arn,
      module.alerting.failure_notifier_iam_role_arn,
      module.alerting.pipeline_health_iam_role_arn,
      module.lake_formation.persona_iam_role_arns["auditor"],
      module.detective_controls.config_iam_role_arn, # Config snapshots in the audit bucket
    ])
    artifacts = [
      module.glue_jobs.iam_role_arn,
      module.transfer_sftp.arrival_iam_role_arn,
      module.streaming_intake.intake_iam_role_arn,
      module.alerting.risk_alert_iam_role_arn,
      module.alerting.failure_notifier_iam_role_arn,
      module.alerting.pipeline_health_iam_role_arn,
    ]
  }
  phi_via_service_user_arns = values(module.lake_formation.persona_iam_role_arns)
}

module "network" {
  source = "../network"

  context            = module.context.context
  cidr_block         = var.vpc_cidr_block
  availability_zones = var.availability_zones
  logs_kms_key_arn   = module.kms.logs_kms_key_arn
}

module "data_lake" {
  source = "../data_lake"

  context                     = module.context.context
  phi_kms_key_arn             = module.kms.phi_kms_key_arn
  artifacts_kms_key_arn       = module.kms.artifacts_kms_key_arn
  raw_deep_archive_after_days = var.raw_deep_archive_after_days
  raw_object_lock_enabled     = var.raw_object_lock_enabled
  force_destroy               = var.force_destroy
  artifacts_upload            = var.local_artifacts_dir == null ? null : { source_dir = var.local_artifacts_dir, key_prefix = local.artifact_prefix }
}

module "catalog" {
  source = "../catalog"

  context           = module.context.context
  zone_bucket_names = module.data_lake.zone_s3_bucket_names
  phi_kms_key_arn   = module.kms.phi_kms_key_arn
  tables            = local.catalog_tables
}

module "lake_formation" {
  source = "../lake_formation"

  context                        = module.context.context
  admin_arns                     = local.lake_formation_admins
  zone_bucket_arns               = module.data_lake.zone_s3_bucket_arns
  database_names                 = module.catalog.glue_catalog_database_names
  tables                         = module.catalog.glue_catalog_tables
  care_coordinator_table_names   = local.care_coordinator_tables
  pipeline_role_arns             = { glue_jobs = module.glue_jobs.iam_role_arn, sql_deploy = module.analytics.sql_deploy_iam_role_arn }
  tag_associator_role_arns       = { sql_deploy = module.analytics.sql_deploy_iam_role_arn }
  persona_trusted_principal_arns = local.persona_trusted_arns
  limited_data_set_readers       = { for k, r in var.limited_data_set_readers : k => { principal_arn = "${local.role_arn_prefix}${r.role_name}", data_use_agreement = r.data_use_agreement } }
  athena_workgroups              = module.analytics.athena_workgroups
  audit_log_bucket_arns          = [module.audit.audit_s3_bucket_arn, "arn:${var.partition}:s3:::${module.data_lake.access_logs_s3_bucket_name}"]
  quicksight                     = var.quicksight == null ? null : { principal_arn = var.quicksight.owner_arn, glue_table_names = module.analytics.quicksight_glue_table_names }
}

module "alerting" {
  source = "../alerting"

  context                = module.context.context
  gold_bucket_name       = module.data_lake.s3_bucket_names["gold"]
  raw_bucket_name        = module.data_lake.s3_bucket_names["raw"]
  quarantine_bucket_name = module.data_lake.s3_bucket_names["quarantine"]
  artifacts_bucket_name  = module.data_lake.artifacts_s3_bucket_name
  risk_alert_code        = local.lambda_code["risk_alert"]
  failure_notifier_code  = local.lambda_code["failure_notifier"]
  pipeline_health_code   = local.lambda_code["pipeline_health"]
  risk_threshold         = local.risk_threshold
  worklist_location      = "Athena view ${module.catalog.glue_catalog_database_names["gold"]}.v_care_team_worklist (workgroup ${module.analytics.athena_workgroups["care_coordinator"].name})"
  schedules_enabled      = var.schedules_enabled
  care_team_assignments  = var.care_team_assignments
  # null keeps the alerting module's defaults (its variables are not nullable)
  source_freshness                   = var.source_freshness
  quarantine_rate_threshold          = var.quarantine_rate_threshold
  quarantine_rate_threshold_by_table = var.quarantine_rate_threshold_by_table
  runbook_base_url                   = var.runbook_base_url
  risk_alert_email_endpoints         = var.risk_alert_email_endpoints
  pipeline_failure_email_endpoints   = var.pipeline_failure_email_endpoints
  slack                              = var.slack
  deletion_protection_enabled        = var.deletion_protection_enabled
  phi_kms_key_arn                    = module.kms.phi_kms_key_arn
  logs_kms_key_arn                   = module.kms.logs_kms_key_arn
  artifacts_kms_key_arn              = module.kms.artifacts_kms_key_arn
  subnet_ids                         = module.network.private_subnet_ids
  security_group_ids                 = [module.network.workloads_security_group_id]
}

module "glue_jobs" {
  source = "../glue_jobs"

  context                         = module.context.context
  manifest_path                   = local.manifest_path
  artifacts_bucket_name           = module.data_lake.artifacts_s3_bucket_name
  artifact_version                = var.artifact_version
  zone_bucket_names               = module.data_lake.zone_s3_bucket_names
  temp_bucket_name                = module.data_lake.athena_results_s3_bucket_name
  extra_job_arguments             = local.job_arguments
  phi_kms_key_arn                 = module.kms.phi_kms_key_arn
  logs_kms_key_arn                = module.kms.logs_kms_key_arn
  subnet_ids_by_availability_zone = module.network.private_subnet_ids_by_availability_zone
  security_group_ids              = [module.network.workloads_security_group_id]
  schedule_enabled                = var.schedules_enabled
  alarm_topic_arn                 = module.alerting.pipeline_failures_sns_topic_arn
  failure_notifier = {
    function_arn  = module.alerting.failure_notifier_lambda_function_arn
    function_name = module.alerting.failure_notifier_lambda_function_name
  }
}

module "transfer_sftp" {
  source = "../transfer_sftp"

  context                   = module.context.context
  vpc_id                    = module.network.vpc_id
  subnet_ids                = module.network.private_subnet_ids
  allowed_cidrs             = var.sftp_allowed_cidrs
  partners                  = var.sftp_partners
  claims_prefix             = var.sftp_claims_prefix
  raw_bucket_name           = module.data_lake.s3_bucket_names["raw"]
  quarantine_bucket_name    = module.data_lake.s3_bucket_names["quarantine"]
  claims_job_name           = "${module.context.name_prefix}-${var.claims_job}"
  arrival_code              = local.lambda_code["sftp_arrival"]
  lambda_security_group_ids = [module.network.workloads_security_group_id]
  artifacts_kms_key_arn     = module.kms.artifacts_kms_key_arn
  logs_kms_key_arn          = module.kms.logs_kms_key_arn
  alarm_topic_arn           = module.alerting.pipeline_failures_sns_topic_arn
}

module "streaming_intake" {
  source = "../streaming_intake"

  context                = module.context.context
  raw_bucket_name        = module.data_lake.s3_bucket_names["raw"]
  intake_code            = local.lambda_code["outreach_intake"]
  request_schema         = jsondecode(file(local.intake_schema_path))
  authorization_type     = var.intake_authorization_type
  cognito_user_pool_arns = var.intake_cognito_user_pool_arns
  custom_domain          = { domain_name = var.intake_domain_name, route53_zone_id = var.intake_route53_zone_id }
  phi_kms_key_arn        = module.kms.phi_kms_key_arn
  logs_kms_key_arn       = module.kms.logs_kms_key_arn
  artifacts_kms_key_arn  = module.kms.artifacts_kms_key_arn
  subnet_ids             = module.network.private_subnet_ids
  security_group_ids     = [module.network.workloads_security_group_id]
  alarm_topic_arn        = module.alerting.pipeline_failures_sns_topic_arn
}

module "analytics" {
  source = "../analytics"

  context                        = module.context.context
  athena_results_bucket_name     = module.data_lake.athena_results_s3_bucket_name
  bytes_scanned_cutoff_per_query = var.athena_bytes_scanned_cutoff_per_query
  sql_dir                        = "${local.repo_root}/sql"
  views_database_name            = module.catalog.glue_catalog_database_names["gold"]
  database_names                 = values(module.catalog.glue_catalog_database_names)
  quicksight                     = var.quicksight
  phi_kms_key_arn                = module.kms.phi_kms_key_arn
  logs_kms_key_arn               = module.kms.logs_kms_key_arn
  force_destroy                  = var.force_destroy
}

module "audit" {
  source = "../audit"

  context                        = module.context.context
  logs_kms_key_arn               = module.kms.logs_kms_key_arn
  access_logs_bucket_name        = module.data_lake.access_logs_s3_bucket_name
  phi_bucket_arns                = module.data_lake.phi_s3_bucket_arns
  phi_dynamodb_table_arns        = [module.treatments_source.dynamodb_table_arn, module.alerting.suppression_dynamodb_table_arn]
  security_alert_email_endpoints = var.security_alert_email_endpoints
  force_destroy                  = var.force_destroy
}

module "github_oidc" {
  source = "../github_oidc"

  context            = module.context.context
  github_repository  = var.github_repository
  state_bucket_name  = local.state_bucket_name
  phi_s3_bucket_arns = module.data_lake.phi_s3_bucket_arns
  phi_kms_key_arn    = module.kms.phi_kms_key_arn
}

module "treatments_source" {
  source = "../treatments_source"

  context                     = module.context.context
  raw_bucket_name             = module.data_lake.s3_bucket_names["raw"]
  phi_kms_key_arn             = module.kms.phi_kms_key_arn
  logs_kms_key_arn            = module.kms.logs_kms_key_arn
  export_schedule_enabled     = var.schedules_enabled
  deletion_protection_enabled = var.deletion_protection_enabled
  alarm_topic_arn             = module.alerting.pipeline_failures_sns_topic_arn
}

# ---------------------------------------------------------------------------------
# HIPAA: the account's detective controls, backups, emergency access and the key that
# makes patient_key impossible to recompute (docs/hipaa-controls.md).
# ---------------------------------------------------------------------------------
module "detective_controls" {
  source = "../detective_controls"

  context              = module.context.context
  delegated_controls   = var.detective_controls_delegated_to
  security_topic_arn   = module.audit.security_alerts_sns_topic_arn
  delivery_bucket_name = module.audit.audit_s3_bucket_name
  logs_kms_key_arn     = module.kms.logs_kms_key_arn
  phi_bucket_names     = [for arn in module.data_lake.phi_s3_bucket_arns : element(split(":::", arn), 1)]
}

module "backup" {
  source = "../backup"

  context                          = module.context.context
  dynamodb_table_arns              = [module.treatments_source.dynamodb_table_arn, module.alerting.suppression_dynamodb_table_arn]
  phi_bucket_arns                  = module.data_lake.phi_s3_bucket_arns
  phi_kms_key_arn                  = module.kms.phi_kms_key_arn
  security_topic_arn               = module.audit.security_alerts_sns_topic_arn
  vault_lock_mode                  = var.backup_vault_lock_mode
  delegated_to_security_account_id = var.backup_delegated_to_security_account_id
  force_destroy                    = var.force_destroy
}

module "emergency_access" {
  source = "../emergency_access"

  context                = module.context.context
  trusted_principal_arns = local.break_glass_arns
  security_topic_arn     = module.audit.security_alerts_sns_topic_arn
  trail_log_group_name   = module.audit.cloudtrail_cloudwatch_log_group_name
}

module "pseudonym_key" {
  source = "../pseudonym_key"

  context          = module.context.context
  phi_kms_key_arn  = module.kms.phi_kms_key_arn
  reader_role_arns = [module.glue_jobs.iam_role_arn]
  # A torn-down environment can be re-created with the same secret name at once.
  recovery_window_in_days = var.force_destroy ? 0 : 30
}

# ---------------------------------------------------------------------------------
# Consistency checks between the platform and the files it is built from
# (warnings at plan time, not errors).
# ---------------------------------------------------------------------------------
check "catalog_generated" {
  assert {
    condition     = fileexists(local.catalog_path)
    error_message = "jobs/catalog.json does not exist yet: no lake tables are catalogued (the jobs code generates it)."
  }
}

check "claims_job_in_manifest" {
  assert {
    condition     = contains(local.manifest_jobs, var.claims_job)
    error_message = "The SFTP arrival Lambda starts ${var.claims_job}, which is not in the job manifest yet."
  }
}

check "outreach_list_catalogued" {
  assert {
    condition     = length([for t in local.catalog_tables : t if t.zone == "gold" && contains(local.care_coordinator_tables, t.name)]) > 0
    error_message = "gold.high_risk_outreach_list is not in jobs/catalog.json: care coordinators can read nothing yet."
  }
}

check "care_team_assigned" {
  assert {
    condition     = length(var.care_team_assignments) > 0
    error_message = "care_team_assignments is empty: every patient to call is on the worklist as 'unassigned' and the notices go to no clinic's coordinators in particular."
  }
}
