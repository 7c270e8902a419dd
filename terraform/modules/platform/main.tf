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
  manifest_jobs  = keys(yamldecode(file(local.manifest_path)).jobs)

  # The intake Lambda's request schema also drives API Gateway's request validation.
  intake_schema_path = "${local.repo_root}/lambdas/outreach_intake/outreach_request.schema.json"

  role_arn_prefix        = "arn:${var.partition}:iam::${local.account_id}:role/"
  deploy_role_arn        = "${local.role_arn_prefix}${coalesce(var.deploy_role_name, "${local.project}-${var.environment}-github-apply")}"
  key_administrator_arns = [for n in var.key_administrator_role_names : "${local.role_arn_prefix}${n}"]
  lake_formation_admins  = distinct(concat([for n in var.lake_formation_admin_role_names : "${local.role_arn_prefix}${n}"], [local.deploy_role_arn]))
  state_bucket_name      = coalesce(var.state_bucket_name, "${local.project}-tfstate-${local.account_id}-${var.region}")
  artifact_prefix        = "${local.project}/${var.artifact_version}"
  uploaded_artifacts     = module.data_lake.artifacts_s3_object_version_ids
  # The one list of Lambdas is lambdas/<name>/handler.py (make package-lambdas builds the same).
  lambda_names            = sort([for f in fileset("${local.repo_root}/lambdas", "*/handler.py") : dirname(f)])
  care_coordinator_tables = ["high_risk_outreach_list", "patient_risk"] # v_high_risk_outreach reads both

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
  key_user_arns = {
    phi = [
      module.glue_jobs.iam_role_arn,
      module.lake_formation.data_access_iam_role_arn,
      module.transfer_sftp.partners_iam_role_arn,
      module.transfer_sftp.arrival_iam_role_arn,
      module.streaming_intake.intake_iam_role_arn,
      module.streaming_intake.firehose_iam_role_arn,
      module.alerting.risk_alert_iam_role_arn,
      module.treatments_source.export_iam_role_arn,
      module.analytics.sql_deploy_iam_role_arn,
    ]
    logs = [
      module.glue_jobs.iam_role_arn,
      module.transfer_sftp.arrival_iam_role_arn,
      module.alerting.risk_alert_iam_role_arn,
      module.alerting.failure_notifier_iam_role_arn,
      module.lake_formation.persona_iam_role_arns["auditor"],
    ]
    artifacts = [
      module.glue_jobs.iam_role_arn,
      module.transfer_sftp.arrival_iam_role_arn,
      module.streaming_intake.intake_iam_role_arn,
      module.alerting.risk_alert_iam_role_arn,
      module.alerting.failure_notifier_iam_role_arn,
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
  persona_trusted_principal_arns = var.persona_trusted_principal_arns
  athena_workgroups              = module.analytics.athena_workgroups
  audit_log_bucket_arns          = [module.audit.audit_s3_bucket_arn, "arn:${var.partition}:s3:::${module.data_lake.access_logs_s3_bucket_name}"]
  quicksight                     = var.quicksight == null ? null : { principal_arn = var.quicksight.owner_arn, glue_table_names = module.analytics.quicksight_glue_table_names }
}

module "alerting" {
  source = "../alerting"

  context                          = module.context.context
  gold_bucket_name                 = module.data_lake.s3_bucket_names["gold"]
  risk_alert_code                  = local.lambda_code["risk_alert"]
  failure_notifier_code            = local.lambda_code["failure_notifier"]
  risk_threshold                   = var.risk_threshold
  runbook_base_url                 = var.runbook_base_url
  risk_alert_email_endpoints       = var.risk_alert_email_endpoints
  pipeline_failure_email_endpoints = var.pipeline_failure_email_endpoints
  slack                            = var.slack
  deletion_protection_enabled      = var.deletion_protection_enabled
  phi_kms_key_arn                  = module.kms.phi_kms_key_arn
  logs_kms_key_arn                 = module.kms.logs_kms_key_arn
  artifacts_kms_key_arn            = module.kms.artifacts_kms_key_arn
  subnet_ids                       = module.network.private_subnet_ids
  security_group_ids               = [module.network.workloads_security_group_id]
}

module "glue_jobs" {
  source = "../glue_jobs"

  context                         = module.context.context
  manifest_path                   = local.manifest_path
  artifacts_bucket_name           = module.data_lake.artifacts_s3_bucket_name
  artifact_version                = var.artifact_version
  zone_bucket_names               = module.data_lake.zone_s3_bucket_names
  temp_bucket_name                = module.data_lake.athena_results_s3_bucket_name
  extra_job_arguments             = var.extra_job_arguments
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
  request_schema         = fileexists(local.intake_schema_path) ? jsondecode(file(local.intake_schema_path)) : null
  authorization_type     = var.intake_authorization_type
  cognito_user_pool_arns = var.intake_cognito_user_pool_arns
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
  managed_table_names            = [for t in local.catalog_tables : "${t.zone}.${t.name}"]
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
