output "plan_iam_role_arn" {
  description = "Role for terraform plan and smoke checks in GitHub Actions."
  value       = aws_iam_role.this.arn
}

output "oidc_provider_arn" {
  description = "GitHub OIDC provider the roles trust."
  value       = local.provider_arn
}
