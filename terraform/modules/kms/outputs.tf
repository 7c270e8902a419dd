output "phi_kms_key_arn" {
  description = "ARN of the PHI data key."
  value       = aws_kms_key.this["phi"].arn
}

output "logs_kms_key_arn" {
  description = "ARN of the logs key."
  value       = aws_kms_key.this["logs"].arn
}

output "artifacts_kms_key_arn" {
  description = "ARN of the artifacts key."
  value       = aws_kms_key.this["artifacts"].arn
}

output "kms_key_arns" {
  description = "Key ARNs by data class (phi, logs, artifacts)."
  value       = { for k, v in aws_kms_key.this : k => v.arn }
}

output "kms_alias_names" {
  description = "Alias names by data class."
  value       = { for k, v in aws_kms_alias.this : k => v.name }
}

output "kms_key_policies_json" {
  description = "Key policies by data class, as JSON (for tests and reviews)."
  value       = { for k, v in local.key_policies : k => jsonencode(v) }
}
