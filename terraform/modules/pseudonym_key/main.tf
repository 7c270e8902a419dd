# The secret that keys patient_key (HMAC-SHA256, carelake.pseudonym_key): without it
# nobody can recompute a patient's key from source ids. Encrypted with the PHI key and
# readable only by the reader roles (the Glue jobs): everyone else is denied
# GetSecretValue, administrators included. Terraform creates the secret but never its
# value, so the key is in no state file and no plan: `make tf-patient-key` puts a random
# value once, and docs/runbook.md says how to rotate it (a rotation re-keys every
# patient: silver and gold are rebuilt).
resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotating the key re-keys every patient and needs a full silver and gold rebuild; it is a reviewed manual procedure (docs/runbook.md), not a timer.
  name                    = "${var.context.name_prefix}-patient-key"
  description             = "HMAC key of patient_key (carelake.pseudonym_key); value set by make tf-patient-key, never by Terraform"
  kms_key_id              = var.phi_kms_key_arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_secretsmanager_secret_policy" "this" {
  secret_arn = aws_secretsmanager_secret.this.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ReadersOnly"
        Effect    = "Allow"
        Principal = { AWS = var.reader_role_arns }
        Action    = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
        Resource  = "*"
      },
      {
        Sid       = "NobodyElseReadsTheKey"
        Effect    = "Deny"
        Principal = "*"
        Action    = "secretsmanager:GetSecretValue"
        Resource  = "*"
        Condition = { StringNotEquals = { "aws:PrincipalArn" = var.reader_role_arns } }
      },
    ]
  })
}
