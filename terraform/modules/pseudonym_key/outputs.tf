output "secretsmanager_secret_arn" {
  description = "ARN of the patient key secret."
  value       = aws_secretsmanager_secret.this.arn
}

output "secretsmanager_secret_name" {
  description = "Name of the patient key secret: the Glue jobs' --patient_key_secret (known at plan, unlike the ARN)."
  value       = aws_secretsmanager_secret.this.name
}
