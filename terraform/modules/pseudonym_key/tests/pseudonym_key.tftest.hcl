mock_provider "aws" {
  mock_resource "aws_secretsmanager_secret" {
    defaults = {
      arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:carelake-prod-patient-key-AbCdEf"
    }
  }
}

variables {
  context = {
    project                  = "carelake"
    environment              = "prod"
    name_prefix              = "carelake-prod"
    account_id               = "111122223333"
    region                   = "us-east-1"
    partition                = "aws"
    permissions_boundary_arn = "arn:aws:iam::111122223333:policy/carelake-prod-workload-boundary"
  }
  phi_kms_key_arn  = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  reader_role_arns = ["arn:aws:iam::111122223333:role/carelake-prod-glue-jobs"]
}

run "key_encrypted_and_readable_by_the_jobs_only" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.this.kms_key_id == var.phi_kms_key_arn && aws_secretsmanager_secret.this.recovery_window_in_days == 30
    error_message = "The patient key must be encrypted with the PHI key and recoverable after deletion."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(aws_secretsmanager_secret_policy.this.policy).Statement :
      s.Effect == "Deny" && s.Principal == "*" && s.Action == "secretsmanager:GetSecretValue" && toset(try(s.Condition.StringNotEquals["aws:PrincipalArn"], [])) == toset(var.reader_role_arns)
    ])
    error_message = "Everyone but the reader roles must be denied the key's value."
  }
}

run "secret_named_after_the_environment" {
  command = plan

  assert {
    condition     = aws_secretsmanager_secret.this.name == "carelake-prod-patient-key"
    error_message = "The secret is named after the environment."
  }
}

run "prod_keeps_a_deleted_key_recoverable" {
  command = plan

  variables {
    recovery_window_in_days = 0
  }

  expect_failures = [var.recovery_window_in_days]
}
