output "dynamodb_table_name" {
  description = "Name of the treatments table."
  value       = aws_dynamodb_table.this.name
}

output "dynamodb_table_arn" {
  description = "ARN of the treatments table (built from its name)."
  value       = local.table_arn
}

output "export_sfn_state_machine_arn" {
  description = "State machine that runs the incremental export."
  value       = local.state_machine_arn
}

output "export_iam_role_arn" {
  description = "Role of the export (for the PHI key policy)."
  value       = aws_iam_role.export.arn
}
