output "default_tags" {
  description = "Tags for the root's AWS provider default_tags (Project, Environment, Owner, CostCenter, ManagedBy)."
  value       = module.context.default_tags
}

output "account_id" {
  description = "Account the environment is deployed in."
  value       = local.account_id
}

output "name_prefix" {
  description = "Prefix of every resource name."
  value       = module.context.name_prefix
}

output "artifact_s3_prefix" {
  description = "Where this apply expects the packaged artifacts: s3://<artifacts bucket>/<prefix>/."
  value       = "s3://${module.data_lake.artifacts_s3_bucket_name}/${local.artifact_prefix}/"
}

output "artifacts_s3_bucket_name" {
  description = "Artifacts bucket (CI uploads dist/ under carelake/<version>/)."
  value       = module.data_lake.artifacts_s3_bucket_name
}

output "s3_bucket_names" {
  description = "Lake buckets by role."
  value       = module.data_lake.s3_bucket_names
}

output "zone_s3_uris" {
  description = "Base URI of each zone."
  value       = module.data_lake.zone_s3_uris
}

output "kms_key_arns" {
  description = "KMS keys by data class."
  value       = module.kms.kms_key_arns
}

output "glue_catalog_database_names" {
  description = "Glue database of each zone."
  value       = module.catalog.glue_catalog_database_names
}

output "glue_job_names" {
  description = "Glue job of each manifest job."
  value       = module.glue_jobs.glue_job_names
}

output "glue_workflow_name" {
  description = "Glue workflow running the jobs."
  value       = module.glue_jobs.glue_workflow_name
}

output "intake_api_url" {
  description = "The intake API on its custom domain (TLS 1.2, WAF; the default endpoint is disabled): POST outreach events to <url>outreach-events."
  value       = module.streaming_intake.api_gateway_domain_name_url
}

output "sftp_endpoint" {
  description = "SFTP server endpoint for partners."
  value       = module.transfer_sftp.transfer_server_endpoint
}

output "sql_deploy_sfn_state_machine_arn" {
  description = "Start this after apply to deploy sql/views."
  value       = module.analytics.sql_deploy_sfn_state_machine_arn
}

output "athena_workgroup_names" {
  description = "Athena workgroup of each persona."
  value       = { for k, w in module.analytics.athena_workgroups : k => w.name }
}

output "persona_iam_role_arns" {
  description = "Roles people assume per persona."
  value       = module.lake_formation.persona_iam_role_arns
}

output "github_plan_iam_role_arn" {
  description = "Read-only role for terraform plan and smoke checks in GitHub Actions."
  value       = module.github_oidc.plan_iam_role_arn
}

output "cloudtrail_arn" {
  description = "The environment's trail."
  value       = module.audit.cloudtrail_arn
}

output "pipeline_failures_sns_topic_arn" {
  description = "Topic of pipeline failures and alarms."
  value       = module.alerting.pipeline_failures_sns_topic_arn
}

output "security_alerts_sns_topic_arn" {
  description = "Topic of security alarms, findings, failed backups and break-glass use."
  value       = module.audit.security_alerts_sns_topic_arn
}

output "detective_controls" {
  description = "Who runs each detective control: \"managed here\" or \"delegated to <security account ID>\"."
  value       = module.detective_controls.detective_controls
}

output "backup_control" {
  description = "Who backs up the PHI tables and buckets: \"managed here\" or \"delegated to <security account ID>\"."
  value       = module.backup.backup_control
}

output "break_glass_iam_role_arn" {
  description = "The break-glass role (docs/runbook.md, Emergency access)."
  value       = module.emergency_access.iam_role_arn
}

output "patient_key_secretsmanager_secret_arn" {
  description = "Secret keying patient_key; make tf-patient-key gives it its value once."
  value       = module.pseudonym_key.secretsmanager_secret_arn
}
