# The account's detective controls (HIPAA 164.308(a)(1)(ii)(D) activity review, (a)(6)
# incident procedures, 164.312(b) audit): GuardDuty with S3 and Lambda protection,
# Security Hub with AWS Foundational Security Best Practices, an AWS Config recorder
# with its delivery channel and a HIPAA Security conformance pack, Macie sensitive-data
# discovery on the PHI buckets, and IAM Access Analyzer. Each is managed here unless
# `delegated_controls` names the organisation's security account that runs it instead:
# there is no way to switch a control off. Findings go to the security topic through
# EventBridge rules, whoever manages the control.
locals {
  controls = toset(["guardduty", "securityhub", "config", "macie", "access_analyzer"])
  managed  = { for c in local.controls : c => !contains(keys(var.delegated_controls), c) }

  config_role_name = "${var.context.name_prefix}-config-recorder"
  delivery_prefix  = "config"
  macie_role_arn   = "arn:${var.context.partition}:iam::${var.context.account_id}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"

  # The HIPAA Security conformance pack: the AWS managed rules of AWS Config's "Operational
  # Best Practices for HIPAA Security" sample that apply to the resource types carelake
  # runs (rule name => managed rule identifier). docs/hipaa/controls.yaml cites them.
  conformance_rules = {
    "acm-certificate-expiration-check"                  = "ACM_CERTIFICATE_EXPIRATION_CHECK"
    "api-gw-associated-with-waf"                        = "API_GW_ASSOCIATED_WITH_WAF"
    "api-gw-execution-logging-enabled"                  = "API_GW_EXECUTION_LOGGING_ENABLED"
    "backup-plan-min-frequency-and-min-retention-check" = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
    "backup-recovery-point-encrypted"                   = "BACKUP_RECOVERY_POINT_ENCRYPTED"
    "backup-recovery-point-manual-deletion-disabled"    = "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"
    "cloud-trail-cloud-watch-logs-enabled"              = "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED"
    "cloud-trail-encryption-enabled"                    = "CLOUD_TRAIL_ENCRYPTION_ENABLED"
    "cloud-trail-log-file-validation-enabled"           = "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"
    "cloudtrail-s3-dataevents-enabled"                  = "CLOUDTRAIL_S3_DATAEVENTS_ENABLED"
    "cloudwatch-log-group-encrypted"                    = "CLOUDWATCH_LOG_GROUP_ENCRYPTED"
    "cmk-backing-key-rotation-enabled"                  = "CMK_BACKING_KEY_ROTATION_ENABLED"
    "dynamodb-in-backup-plan"                           = "DYNAMODB_IN_BACKUP_PLAN"
    "dynamodb-pitr-enabled"                             = "DYNAMODB_PITR_ENABLED"
    "dynamodb-table-encrypted-kms"                      = "DYNAMODB_TABLE_ENCRYPTED_KMS"
    "guardduty-enabled-centralized"                     = "GUARDDUTY_ENABLED_CENTRALIZED"
    "iam-policy-no-statements-with-admin-access"        = "IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS"
    "iam-root-access-key-check"                         = "IAM_ROOT_ACCESS_KEY_CHECK"
    "iam-user-mfa-enabled"                              = "IAM_USER_MFA_ENABLED"
    "kinesis-stream-encrypted"                          = "KINESIS_STREAM_ENCRYPTED"
    "kms-cmk-not-scheduled-for-deletion"                = "KMS_CMK_NOT_SCHEDULED_FOR_DELETION"
    "lambda-function-public-access-prohibited"          = "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED"
    "lambda-inside-vpc"                                 = "LAMBDA_INSIDE_VPC"
    "mfa-enabled-for-iam-console-access"                = "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"
    "multi-region-cloudtrail-enabled"                   = "MULTI_REGION_CLOUD_TRAIL_ENABLED"
    "root-account-mfa-enabled"                          = "ROOT_ACCOUNT_MFA_ENABLED"
    "s3-bucket-level-public-access-prohibited"          = "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED"
    "s3-bucket-logging-enabled"                         = "S3_BUCKET_LOGGING_ENABLED"
    "s3-bucket-public-read-prohibited"                  = "S3_BUCKET_PUBLIC_READ_PROHIBITED"
    "s3-bucket-public-write-prohibited"                 = "S3_BUCKET_PUBLIC_WRITE_PROHIBITED"
    "s3-bucket-server-side-encryption-enabled"          = "S3_BUCKET_SERVER_SIDE_ENCRYPTION_ENABLED"
    "s3-bucket-ssl-requests-only"                       = "S3_BUCKET_SSL_REQUESTS_ONLY"
    "s3-bucket-versioning-enabled"                      = "S3_BUCKET_VERSIONING_ENABLED"
    "s3-default-encryption-kms"                         = "S3_DEFAULT_ENCRYPTION_KMS"
    "secretsmanager-using-cmk"                          = "SECRETSMANAGER_USING_CMK"
    "securityhub-enabled"                               = "SECURITYHUB_ENABLED"
    "sns-encrypted-kms"                                 = "SNS_ENCRYPTED_KMS"
    "vpc-default-security-group-closed"                 = "VPC_DEFAULT_SECURITY_GROUP_CLOSED"
    "vpc-flow-logs-enabled"                             = "VPC_FLOW_LOGS_ENABLED"
    "wafv2-logging-enabled"                             = "WAFV2_LOGGING_ENABLED"
    "cw-loggroup-retention-period-check"                = "CW_LOGGROUP_RETENTION_PERIOD_CHECK"
    "restricted-ssh"                                    = "INCOMING_SSH_DISABLED"
    "backup-recovery-point-minimum-retention-check"     = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"
    "s3-resources-protected-by-backup-plan"             = "S3_RESOURCES_PROTECTED_BY_BACKUP_PLAN"
  }

  # What reaches the security topic: every finding a person must look at.
  finding_rules = {
    guardduty = {
      description = "GuardDuty findings of medium severity or higher"
      pattern     = { source = ["aws.guardduty"], "detail-type" = ["GuardDuty Finding"], detail = { severity = [{ numeric = [">=", 4] }] } }
    }
    securityhub = {
      description = "New, active Security Hub findings rated high or critical (FSBP controls and integrated products)"
      pattern = {
        source        = ["aws.securityhub"]
        "detail-type" = ["Security Hub Findings - Imported"]
        detail        = { findings = { Severity = { Label = ["HIGH", "CRITICAL"] }, Workflow = { Status = ["NEW"] }, RecordState = ["ACTIVE"] } }
      }
    }
    config = {
      description = "Resources that became non-compliant with a Config rule (the HIPAA Security conformance pack)"
      pattern     = { source = ["aws.config"], "detail-type" = ["Config Rules Compliance Change"], detail = { newEvaluationResult = { complianceType = ["NON_COMPLIANT"] } } }
    }
    macie = {
      description = "Macie findings: sensitive data where it was not expected, or bucket policy findings"
      pattern     = { source = ["aws.macie"], "detail-type" = ["Macie Finding"] }
    }
    access_analyzer = {
      description = "Access Analyzer findings: a resource shared outside the account"
      pattern     = { source = ["aws.access-analyzer"], "detail-type" = ["Access Analyzer Finding"], detail = { status = ["ACTIVE"] } }
    }
  }
}

# ---------------------------------------------------------------------------------
# GuardDuty: threat detection from CloudTrail, VPC flow logs and DNS, plus S3 data
# events (S3 protection) and Lambda network activity.
# ---------------------------------------------------------------------------------
resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:This is the account's own detector; organisation-wide enablement belongs to the security account (delegated_controls).
  count = local.managed["guardduty"] ? 1 : 0

  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_guardduty_detector_feature" "this" {
  for_each = local.managed["guardduty"] ? toset(["S3_DATA_EVENTS", "LAMBDA_NETWORK_LOGS"]) : toset([])

  detector_id = aws_guardduty_detector.this[0].id
  name        = each.key
  status      = "ENABLED"
}

# ---------------------------------------------------------------------------------
# Security Hub with the AWS Foundational Security Best Practices standard.
# ---------------------------------------------------------------------------------
resource "aws_securityhub_account" "this" {
  count = local.managed["securityhub"] ? 1 : 0

  enable_default_standards  = false
  control_finding_generator = "SECURITY_CONTROL"
  auto_enable_controls      = true
}

resource "aws_securityhub_standards_subscription" "this" {
  count = local.managed["securityhub"] ? 1 : 0

  standards_arn = "arn:${var.context.partition}:securityhub:${var.context.region}::standards/aws-foundational-security-best-practices/v/1.0.0"

  depends_on = [aws_securityhub_account.this]
}

# ---------------------------------------------------------------------------------
# AWS Config: every supported resource recorded, snapshots to the audit bucket (KMS),
# and the HIPAA Security conformance pack evaluated continuously.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "this" {
  count = local.managed["config"] ? 1 : 0

  name                 = local.config_role_name
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "AWS Config records resource configurations and delivers them to the audit bucket"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "config.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  count = local.managed["config"] ? 1 : 0

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/service-role/AWS_ConfigRole"
}

resource "aws_iam_role_policy" "this" {
  count = local.managed["config"] ? 1 : 0

  name = "deliver-to-audit-bucket"
  role = aws_iam_role.this[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "CheckBucket"
        Effect   = "Allow"
        Action   = ["s3:GetBucketAcl", "s3:ListBucket"]
        Resource = "arn:${var.context.partition}:s3:::${var.delivery_bucket_name}"
      },
      {
        Sid      = "DeliverSnapshots"
        Effect   = "Allow"
        Action   = "s3:PutObject"
        Resource = "arn:${var.context.partition}:s3:::${var.delivery_bucket_name}/${local.delivery_prefix}/AWSLogs/${var.context.account_id}/*"
      },
      {
        Sid      = "EncryptSnapshots"
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = var.logs_kms_key_arn
      },
    ]
  })
}

resource "aws_config_configuration_recorder" "this" {
  count = local.managed["config"] ? 1 : 0

  name     = "${var.context.name_prefix}-recorder"
  role_arn = aws_iam_role.this[0].arn

  recording_group {
    all_supported                 = true
    include_global_resource_types = var.record_global_resources
  }
}

resource "aws_config_delivery_channel" "this" {
  count = local.managed["config"] ? 1 : 0

  name           = "${var.context.name_prefix}-delivery"
  s3_bucket_name = var.delivery_bucket_name
  s3_key_prefix  = local.delivery_prefix
  s3_kms_key_arn = var.logs_kms_key_arn

  snapshot_delivery_properties {
    delivery_frequency = "TwentyFour_Hours"
  }

  depends_on = [aws_config_configuration_recorder.this, aws_iam_role_policy.this]
}

resource "aws_config_configuration_recorder_status" "this" {
  count = local.managed["config"] ? 1 : 0

  name       = aws_config_configuration_recorder.this[0].name
  is_enabled = true

  depends_on = [aws_config_delivery_channel.this]
}

resource "aws_config_conformance_pack" "this" {
  count = local.managed["config"] ? 1 : 0

  name = "${var.context.name_prefix}-hipaa-security"
  template_body = yamlencode({
    Resources = {
      for name, identifier in local.conformance_rules : replace(title(replace(name, "-", " ")), " ", "") => {
        Type = "AWS::Config::ConfigRule"
        Properties = {
          ConfigRuleName = name
          Source         = { Owner = "AWS", SourceIdentifier = identifier }
        }
      }
    }
  })

  depends_on = [aws_config_configuration_recorder_status.this]
}

# ---------------------------------------------------------------------------------
# Macie: sensitive-data discovery on the PHI buckets (weekly, sampled), so an
# unexpected identifier in a zone that should not hold it is found.
# ---------------------------------------------------------------------------------
resource "aws_macie2_account" "this" {
  count = local.managed["macie"] ? 1 : 0

  finding_publishing_frequency = "FIFTEEN_MINUTES"
  status                       = "ENABLED"
}

resource "aws_macie2_classification_job" "this" {
  count = local.managed["macie"] ? 1 : 0

  name                = "${var.context.name_prefix}-phi-buckets"
  description         = "Sensitive-data discovery on the carelake PHI buckets"
  job_type            = "SCHEDULED"
  sampling_percentage = var.macie_sampling_percentage
  initial_run         = true

  schedule_frequency {
    weekly_schedule = "SUNDAY"
  }

  s3_job_definition {
    bucket_definitions {
      account_id = var.context.account_id
      buckets    = var.phi_bucket_names
    }
  }

  tags = {
    DataClassification = "non-phi"
  }

  depends_on = [aws_macie2_account.this]
}

# ---------------------------------------------------------------------------------
# IAM Access Analyzer: resources (buckets, keys, roles, queues, secrets) shared
# outside the account.
# ---------------------------------------------------------------------------------
resource "aws_accessanalyzer_analyzer" "this" {
  count = local.managed["access_analyzer"] ? 1 : 0

  analyzer_name = "${var.context.name_prefix}-account"
  type          = "ACCOUNT"

  tags = {
    DataClassification = "non-phi"
  }
}

# ---------------------------------------------------------------------------------
# Findings to the security topic.
# ---------------------------------------------------------------------------------
resource "aws_cloudwatch_event_rule" "this" {
  for_each = local.finding_rules

  name          = "${var.context.name_prefix}-${replace(each.key, "_", "-")}-findings"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.finding_rules

  rule      = aws_cloudwatch_event_rule.this[each.key].name
  target_id = "security-topic"
  arn       = var.security_topic_arn
}
