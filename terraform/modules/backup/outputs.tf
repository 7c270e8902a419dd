output "backup_control" {
  description = "Who backs up the PHI data: \"managed here\" or \"delegated to <security account ID>\"."
  value       = local.managed ? "managed here" : "delegated to ${var.delegated_to_security_account_id}"
}

output "backup_vault_name" {
  description = "Name of the PHI backup vault (null when delegated)."
  value       = one(aws_backup_vault.this[*].name)
}

output "backup_plan_id" {
  description = "ID of the daily backup plan (null when delegated)."
  value       = one(aws_backup_plan.this[*].id)
}

output "iam_role_arn" {
  description = "Role AWS Backup uses; it must be a user of the PHI key (null when delegated)."
  value       = one(aws_iam_role.this[*].arn)
}
