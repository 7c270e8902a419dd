mock_provider "aws" {
  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::111122223333:role/carelake-dev-backup"
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
  dynamodb_table_arns = ["arn:aws:dynamodb:us-east-1:111122223333:table/carelake-prod-treatments"]
  phi_bucket_arns     = ["arn:aws:s3:::carelake-prod-raw-111122223333", "arn:aws:s3:::carelake-prod-gold-111122223333"]
  phi_kms_key_arn     = "arn:aws:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000001"
  security_topic_arn  = "arn:aws:sns:us-east-1:111122223333:carelake-prod-security-alerts"
}

run "daily_backups_of_every_phi_store_in_a_locked_encrypted_vault" {
  command = plan

  assert {
    condition     = aws_backup_vault.this[0].kms_key_arn == var.phi_kms_key_arn
    error_message = "Recovery points must be encrypted with the PHI key."
  }

  assert {
    condition     = aws_backup_vault_lock_configuration.this[0].changeable_for_days == 3 && aws_backup_vault_lock_configuration.this[0].min_retention_days == 35
    error_message = "The vault lock must be in compliance mode with the retention as its minimum."
  }

  assert {
    condition     = toset(aws_backup_selection.this[0].resources) == toset(concat(var.dynamodb_table_arns, var.phi_bucket_arns))
    error_message = "Every PHI table and bucket must be in the plan."
  }

  assert {
    condition     = one(aws_backup_plan.this[0].rule).schedule == "cron(0 5 * * ? *)" && one(one(aws_backup_plan.this[0].rule).lifecycle).delete_after == 35
    error_message = "Backups run daily and are kept the retention period."
  }

  assert {
    condition     = output.backup_control == "managed here"
    error_message = "Backups are managed here by default."
  }

  assert {
    condition = toset([for a in aws_iam_role_policy_attachment.this : a.policy_arn]) == toset([
      "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
      "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
      "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
      "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    ])
    error_message = "The backup role needs AWS Backup's managed policies for DynamoDB and S3, at their real ARNs."
  }

  assert {
    condition     = aws_iam_role.this[0].permissions_boundary == "arn:aws:iam::111122223333:policy/carelake-prod-workload-boundary"
    error_message = "The backup role must carry the workload boundary (the apply role creates no other)."
  }
}

run "failed_jobs_reach_the_security_topic" {
  command = plan

  assert {
    condition     = aws_cloudwatch_event_target.this.arn == var.security_topic_arn && jsondecode(aws_cloudwatch_event_rule.this.event_pattern).detail.state == ["FAILED", "ABORTED", "EXPIRED"]
    error_message = "Failed, aborted and expired backup jobs must reach the security topic."
  }
}

run "delegation_names_the_security_account" {
  command = plan

  variables {
    delegated_to_security_account_id = "210987654321"
  }

  assert {
    condition     = length(aws_backup_vault.this) == 0 && output.backup_control == "delegated to 210987654321"
    error_message = "A delegated backup names the account whose policy covers it."
  }
}

run "prod_refuses_a_governance_lock" {
  command = plan

  variables {
    vault_lock_mode = "governance"
  }

  expect_failures = [var.vault_lock_mode]
}

run "rejects_delegation_to_this_account" {
  command = plan

  variables {
    delegated_to_security_account_id = "111122223333"
  }

  expect_failures = [var.delegated_to_security_account_id]
}
