output "risk_alerts_sns_topic_arn" {
  description = "Topic of the risk alerts."
  value       = aws_sns_topic.this["risk-alerts"].arn
}

output "pipeline_failures_sns_topic_arn" {
  description = "Topic of pipeline failures and every platform alarm."
  value       = aws_sns_topic.this["pipeline-failures"].arn
}

output "suppression_dynamodb_table_name" {
  description = "Name of the alert suppression table."
  value       = aws_dynamodb_table.this.name
}

output "suppression_dynamodb_table_arn" {
  description = "ARN of the alert suppression table (built from its name)."
  value       = local.table_arn
}

output "risk_alert_iam_role_arn" {
  description = "Execution role of the risk_alert Lambda (for key policies)."
  value       = module.risk_alert.iam_role_arn
}

output "failure_notifier_iam_role_arn" {
  description = "Execution role of the failure_notifier Lambda (for key policies)."
  value       = module.failure_notifier.iam_role_arn
}

output "failure_notifier_lambda_function_arn" {
  description = "ARN of the failure_notifier Lambda (target of the Glue failure rule)."
  value       = module.failure_notifier.lambda_function_arn
}

output "failure_notifier_lambda_function_name" {
  description = "Name of the failure_notifier Lambda."
  value       = module.failure_notifier.lambda_function_name
}

output "pipeline_health_iam_role_arn" {
  description = "Execution role of the pipeline_health Lambda (for key policies: it reads run reports under the PHI key and publishes under the logs key)."
  value       = module.pipeline_health.iam_role_arn
}

output "care_team_assignment_s3_uri" {
  description = "s3:// URI of the care team assignment file, the silver_to_gold job's care_team_assignment_uri."
  value       = "s3://${var.artifacts_bucket_name}/${local.care_team_assignment_key}"
}
