# AWS Backup for the PHI data (HIPAA 164.308(a)(7)(ii)(A) data backup plan, (B) disaster
# recovery, 164.312(a)(2)(ii) emergency access): a daily plan for the DynamoDB tables and
# the PHI buckets into a vault encrypted with the PHI key, under a vault lock (compliance
# mode: after the grace period nobody, the account root included, can delete a recovery
# point early or shorten retention). Unless `delegated_to_security_account_id` names the
# organisation's security account, whose backup policy then covers these resources.
locals {
  managed    = var.delegated_to_security_account_id == null
  vault_name = "${var.context.name_prefix}-phi"

  # AWS managed policies of the backup role, by name => path: the S3 ones live at the
  # root, not under service-role/ like the others.
  service_policies = {
    AWSBackupServiceRolePolicyForBackup    = "service-role/"
    AWSBackupServiceRolePolicyForRestores  = "service-role/"
    AWSBackupServiceRolePolicyForS3Backup  = ""
    AWSBackupServiceRolePolicyForS3Restore = ""
  }
}

resource "aws_backup_vault" "this" {
  count = local.managed ? 1 : 0

  name          = local.vault_name
  kms_key_arn   = var.phi_kms_key_arn
  force_destroy = var.force_destroy

  tags = {
    DataClassification = "phi"
  }
}

# Compliance mode (changeable_for_days set) becomes immutable after the grace period;
# governance mode (dev) can be removed by privileged users, so the vault can be torn down.
resource "aws_backup_vault_lock_configuration" "this" {
  count = local.managed ? 1 : 0

  backup_vault_name   = aws_backup_vault.this[0].name
  min_retention_days  = var.retention_days
  max_retention_days  = var.max_retention_days
  changeable_for_days = var.vault_lock_mode == "compliance" ? var.vault_lock_grace_days : null
}

resource "aws_iam_role" "this" {
  count = local.managed ? 1 : 0

  name                 = "${var.context.name_prefix}-backup"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "AWS Backup backs up and restores the PHI tables and buckets"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "backup.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  for_each = local.managed ? local.service_policies : {}

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/${each.value}${each.key}"
}

resource "aws_backup_plan" "this" {
  count = local.managed ? 1 : 0

  name = "${var.context.name_prefix}-phi-daily"

  rule {
    rule_name         = "daily"
    target_vault_name = aws_backup_vault.this[0].name
    schedule          = "cron(0 5 * * ? *)"
    start_window      = 60
    completion_window = 480

    lifecycle {
      delete_after = var.retention_days
    }

    recovery_point_tags = {
      DataClassification = "phi"
    }
  }

  tags = {
    DataClassification = "phi"
  }
}

resource "aws_backup_selection" "this" {
  count = local.managed ? 1 : 0

  name         = "${var.context.name_prefix}-phi"
  plan_id      = aws_backup_plan.this[0].id
  iam_role_arn = aws_iam_role.this[0].arn
  resources    = concat(var.dynamodb_table_arns, var.phi_bucket_arns)

  depends_on = [aws_iam_role_policy_attachment.this]
}

# A failed, aborted or expired backup job is a contingency-plan incident.
resource "aws_cloudwatch_event_rule" "this" {
  name        = "${var.context.name_prefix}-backup-job-failures"
  description = "AWS Backup jobs that failed, were aborted or expired"
  event_pattern = jsonencode({
    source        = ["aws.backup"]
    "detail-type" = ["Backup Job State Change"]
    detail        = { state = ["FAILED", "ABORTED", "EXPIRED"] }
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "security-topic"
  arn       = var.security_topic_arn
}
