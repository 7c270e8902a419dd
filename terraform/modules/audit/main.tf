# Audit controls (HIPAA 164.312(b)). A multi-region CloudTrail trail with log file
# validation, KMS encryption, delivery to a locked-down bucket and to CloudWatch
# Logs, and data events for every object in every PHI bucket (and the PHI tables);
# metric filters and alarms for unauthorised calls, KMS keys disabled or scheduled
# for deletion, bucket policy changes, root use, trail changes, IAM policy changes and
# Lake Formation permission changes, to a KMS-encrypted security topic.
locals {
  trail_name     = "${var.context.name_prefix}-trail"
  trail_arn      = "arn:${var.context.partition}:cloudtrail:${var.context.region}:${var.context.account_id}:trail/${local.trail_name}"
  bucket_name    = "${var.context.name_prefix}-audit-${var.context.account_id}"
  bucket_arn     = "arn:${var.context.partition}:s3:::${local.bucket_name}"
  topic_name     = "${var.context.name_prefix}-security-alerts"
  topic_arn      = "arn:${var.context.partition}:sns:${var.context.region}:${var.context.account_id}:${local.topic_name}"
  log_group_name = "/${var.context.project}/${var.context.environment}/cloudtrail"
  metric_ns      = "carelake/${var.context.environment}/security"

  # CIS AWS Foundations benchmark section 4 patterns, plus Lake Formation grants.
  security_events = {
    unauthorized-api-calls = {
      description = "API calls denied for lack of permission"
      pattern     = "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }"
    }
    kms-key-disabled-or-deletion = {
      description = "A KMS key was disabled or scheduled for deletion"
      pattern     = "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"
    }
    bucket-policy-changes = {
      description = "An S3 bucket policy, ACL, CORS, lifecycle or replication setting changed"
      pattern     = "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication) || ($.eventName = PutBucketPublicAccessBlock) || ($.eventName = DeleteBucketPublicAccessBlock)) }"
    }
    root-account-usage = {
      description = "The account root user was used"
      pattern     = "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != \"AwsServiceEvent\" }"
    }
    cloudtrail-changes = {
      description = "A trail was created, changed, stopped or deleted"
      pattern     = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) || ($.eventName = PutEventSelectors) }"
    }
    iam-policy-changes = {
      description = "An IAM policy changed"
      pattern     = "{ ($.eventName = DeleteGroupPolicy) || ($.eventName = DeleteRolePolicy) || ($.eventName = DeleteUserPolicy) || ($.eventName = PutGroupPolicy) || ($.eventName = PutRolePolicy) || ($.eventName = PutUserPolicy) || ($.eventName = CreatePolicy) || ($.eventName = DeletePolicy) || ($.eventName = CreatePolicyVersion) || ($.eventName = DeletePolicyVersion) || ($.eventName = AttachRolePolicy) || ($.eventName = DetachRolePolicy) || ($.eventName = AttachUserPolicy) || ($.eventName = DetachUserPolicy) || ($.eventName = AttachGroupPolicy) || ($.eventName = DetachGroupPolicy) }"
    }
    lakeformation-permission-changes = {
      description = "Lake Formation permissions, tags or settings changed"
      pattern     = "{ ($.eventSource = lakeformation.amazonaws.com) && (($.eventName = GrantPermissions) || ($.eventName = RevokePermissions) || ($.eventName = BatchGrantPermissions) || ($.eventName = BatchRevokePermissions) || ($.eventName = PutDataLakeSettings) || ($.eventName = UpdateLFTag) || ($.eventName = DeleteLFTag)) }"
    }
  }
}

# ---------------------------------------------------------------------------------
# Trail bucket.
# ---------------------------------------------------------------------------------
resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:Single-region platform; the trail bucket is versioned and its files are validated by digest.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket                  = aws_s3_bucket.this.bucket
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.bucket

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.bucket

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.bucket

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.logs_kms_key_arn
    }
  }
}

resource "aws_s3_bucket_logging" "this" {
  bucket        = aws_s3_bucket.this.bucket
  target_bucket = var.access_logs_bucket_name
  target_prefix = "${local.bucket_name}/"
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.bucket

  rule {
    id     = "archive-then-expire"
    status = "Enabled"

    filter {}

    transition {
      days          = 90
      storage_class = "GLACIER_IR"
    }

    expiration {
      days = var.audit_log_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 90
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_notification" "this" {
  bucket      = aws_s3_bucket.this.bucket
  eventbridge = true
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.bucket
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
      {
        Sid       = "DenyTlsBelow12"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
        Condition = { NumericLessThan = { "s3:TlsVersion" = "1.2" } }
      },
      {
        Sid       = "DenyNonKmsEncryption"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arn}/*"
        # A request without the header gets the bucket default (SSE-KMS with the logs key).
        Condition = {
          Null            = { "s3:x-amz-server-side-encryption" = "false" }
          StringNotEquals = { "s3:x-amz-server-side-encryption" = "aws:kms" }
        }
      },
      {
        Sid       = "DenyLogDeletion"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
        Resource  = "${local.bucket_arn}/AWSLogs/*"
        Condition = { StringNotEquals = { "aws:PrincipalServiceName" = "cloudtrail.amazonaws.com" } }
      },
      {
        Sid       = "CloudTrailAclCheck"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:GetBucketAcl"
        Resource  = local.bucket_arn
        Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
      },
      {
        Sid       = "CloudTrailWrite"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arn}/AWSLogs/${var.context.account_id}/*"
        Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.this]
}

# ---------------------------------------------------------------------------------
# Trail and its CloudWatch Logs delivery.
# ---------------------------------------------------------------------------------
resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role" "this" {
  name                 = "${var.context.name_prefix}-cloudtrail-logs"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "CloudTrail delivers the trail to CloudWatch Logs"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "cloudtrail.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceArn" = local.trail_arn } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy" "this" {
  name = "deliver-trail"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "OwnLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
      Resource = "${aws_cloudwatch_log_group.this.arn}:log-stream:*"
    }]
  })
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV_AWS_252:Delivery notices are not needed; the trail feeds CloudWatch Logs, whose metric filters alarm to the security topic.
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.this.bucket
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true
  kms_key_id                    = var.logs_kms_key_arn
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.this.arn}:*"
  cloud_watch_logs_role_arn     = aws_iam_role.this.arn

  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }
  }

  advanced_event_selector {
    name = "S3 data events on PHI buckets"

    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }

    field_selector {
      field  = "resources.type"
      equals = ["AWS::S3::Object"]
    }

    field_selector {
      field       = "resources.ARN"
      starts_with = [for b in var.phi_bucket_arns : "${b}/"]
    }
  }

  dynamic "advanced_event_selector" {
    for_each = length(var.phi_dynamodb_table_arns) > 0 ? [1] : []

    content {
      name = "DynamoDB data events on PHI tables"

      field_selector {
        field  = "eventCategory"
        equals = ["Data"]
      }

      field_selector {
        field  = "resources.type"
        equals = ["AWS::DynamoDB::Table"]
      }

      field_selector {
        field  = "resources.ARN"
        equals = var.phi_dynamodb_table_arns
      }
    }
  }

  tags = {
    DataClassification = "non-phi"
  }

  depends_on = [
    aws_s3_bucket_policy.this,
    aws_iam_role_policy.this,
  ]
}

# ---------------------------------------------------------------------------------
# Security alarms.
# ---------------------------------------------------------------------------------
resource "aws_sns_topic" "this" {
  name              = local.topic_name
  display_name      = "carelake security alerts"
  kms_master_key_id = var.logs_kms_key_arn

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_sns_topic_policy" "this" {
  arn = aws_sns_topic.this.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "OwnerAccountManages"
        Effect    = "Allow"
        Principal = { AWS = "arn:${var.context.partition}:iam::${var.context.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:SetTopicAttributes", "sns:Subscribe"]
        Resource  = local.topic_arn
      },
      # CloudWatch alarms, and EventBridge rules routing findings (GuardDuty, Security Hub,
      # Config, Macie, Access Analyzer, AWS Backup, break-glass use) of this account only.
      {
        Sid       = "AlarmsAndFindingRulesPublish"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
        Action    = "sns:Publish"
        Resource  = local.topic_arn
        Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
      },
      {
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:Publish"
        Resource  = local.topic_arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "this" {
  for_each = toset(var.security_alert_email_endpoints)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.key
}

resource "aws_cloudwatch_log_metric_filter" "this" {
  for_each = local.security_events

  name           = "${var.context.name_prefix}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = each.value.pattern

  metric_transformation {
    name          = each.key
    namespace     = local.metric_ns
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.security_events

  alarm_name          = "${var.context.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.metric_ns
  metric_name         = aws_cloudwatch_log_metric_filter.this[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.this.arn]

  tags = {
    DataClassification = "non-phi"
  }
}
