output "glue_job_names" {
  description = "Glue job name of each manifest job."
  value       = { for j, job in aws_glue_job.this : j => job.name }
}

output "glue_job_arns" {
  description = "Glue job ARN of each manifest job (built from names)."
  value       = { for j, n in local.job_names : j => "${local.glue_arn}:job/${n}" }
}

output "glue_workflow_name" {
  description = "Name of the Glue workflow."
  value       = aws_glue_workflow.this.name
}

output "glue_trigger_names" {
  description = "Trigger names: start (scheduled) and one per job with dependencies."
  value       = merge({ start = aws_glue_trigger.start.name }, { for j, t in aws_glue_trigger.after_dependencies : j => t.name })
}

output "iam_role_arn" {
  description = "ARN of the Glue jobs role (for KMS key policies and Lake Formation grants)."
  value       = aws_iam_role.this.arn
}

output "glue_security_configuration_name" {
  description = "Name of the jobs' security configuration."
  value       = aws_glue_security_configuration.this.name
}

output "cloudwatch_event_rule_name" {
  description = "EventBridge rule matching failed carelake Glue jobs."
  value       = aws_cloudwatch_event_rule.this.name
}
