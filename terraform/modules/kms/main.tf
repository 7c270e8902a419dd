# Customer-managed KMS keys, one per data class, rotation on. Key policies name the
# roles and AWS services that may use each key; the account root keeps key
# administration only (so the key can never become unmanageable) and no crypto use,
# so IAM policies alone cannot grant anyone the right to decrypt.
locals {
  account_root = "arn:${var.context.partition}:iam::${var.context.account_id}:root"

  keys = {
    phi = {
      description         = "PHI data: lake zone buckets, Data Catalog, Glue bookmarks, streams, tables, alert topic"
      data_classification = "phi"
    }
    logs = {
      description         = "Logs and operational notices: CloudTrail, CloudWatch Logs, flow logs, pipeline and security topics, DLQs"
      data_classification = "non-phi"
    }
    artifacts = {
      description         = "Build artifacts: Glue scripts, the carelake wheel, Lambda packages and Lambda environments"
      data_classification = "non-phi"
    }
  }

  users = {
    phi       = var.key_user_arns.phi
    logs      = var.key_user_arns.logs
    artifacts = var.key_user_arns.artifacts
  }

  key_admin_actions = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
  ]

  key_use_actions = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
  ]
}

locals {
  deployer_actions = {
    phi       = ["kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    logs      = ["kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*"]
    artifacts = local.key_use_actions
  }

  service_statements = {
    phi       = []
    artifacts = []
    logs = [
      {
        Sid       = "CloudWatchLogsOwnLogGroups"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.context.region}.amazonaws.com" }
        Action    = ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"]
        Resource  = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:${var.context.partition}:logs:${var.context.region}:${var.context.account_id}:log-group:*"
          }
        }
      },
      {
        Sid       = "CloudTrailEncryptOwnTrails"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "kms:GenerateDataKey*"
        Resource  = "*"
        Condition = {
          StringLike   = { "kms:EncryptionContext:aws:cloudtrail:arn" = "arn:${var.context.partition}:cloudtrail:*:${var.context.account_id}:trail/*" }
          StringEquals = { "aws:SourceAccount" = var.context.account_id }
        }
      },
      {
        Sid       = "CloudTrailDescribe"
        Effect    = "Allow"
        Principal = { Service = "cloudtrail.amazonaws.com" }
        Action    = "kms:DescribeKey"
        Resource  = "*"
      },
      # CloudWatch alarms and EventBridge rules publish to the KMS-encrypted notice topics.
      {
        Sid       = "AlarmsAndEventsPublishToTopics"
        Effect    = "Allow"
        Principal = { Service = ["cloudwatch.amazonaws.com", "events.amazonaws.com"] }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
      },
    ]
  }

  key_policies = {
    for k in keys(local.keys) : k => {
      Version = "2012-10-17"
      Statement = concat(
        [{
          Sid       = "KeyAdministrationNoCryptoUse"
          Effect    = "Allow"
          Principal = { AWS = distinct(concat([local.account_root], var.key_administrator_arns)) }
          Action    = local.key_admin_actions
          Resource  = "*"
        }],
        length(local.users[k]) > 0 ? [{
          Sid       = "UseByNamedRoles"
          Effect    = "Allow"
          Principal = { AWS = local.users[k] }
          Action    = local.key_use_actions
          Resource  = "*"
        }] : [],
        length(concat(local.users[k], var.deployer_arns)) > 0 ? [{
          Sid       = "GrantsForAwsResourcesOnly"
          Effect    = "Allow"
          Principal = { AWS = distinct(concat(local.users[k], var.deployer_arns)) }
          Action    = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
          Resource  = "*"
          Condition = { Bool = { "kms:GrantIsForAWSResource" = "true" } }
        }] : [],
        # The deploy role creates encrypted resources and uploads artifacts: it may
        # encrypt with every key but decrypt with the artifacts key only (never PHI).
        length(var.deployer_arns) > 0 ? [{
          Sid       = "DeployerEncryptOnly"
          Effect    = "Allow"
          Principal = { AWS = var.deployer_arns }
          Action    = local.deployer_actions[k]
          Resource  = "*"
        }] : [],
        # Personas query through Athena: the Data Catalog (Glue) and their query
        # results (S3) use the PHI key, so they may use it through those services only.
        k == "phi" && length(var.phi_via_service_user_arns) > 0 ? [{
          Sid       = "UseThroughAthenaGlueS3Only"
          Effect    = "Allow"
          Principal = { AWS = var.phi_via_service_user_arns }
          Action    = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*"]
          Resource  = "*"
          Condition = {
            StringEquals = {
              "kms:ViaService" = [
                "athena.${var.context.region}.amazonaws.com",
                "glue.${var.context.region}.amazonaws.com",
                "s3.${var.context.region}.amazonaws.com",
              ]
            }
          }
        }] : [],
        local.service_statements[k],
      )
    }
  }
}

resource "aws_kms_key" "this" {
  for_each = local.keys

  description             = "${var.context.name_prefix} ${each.key}: ${each.value.description}"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  rotation_period_in_days = var.rotation_period_in_days
  deletion_window_in_days = var.deletion_window_in_days
  multi_region            = false
  policy                  = jsonencode(local.key_policies[each.key])

  tags = {
    Name               = "${var.context.name_prefix}-${each.key}"
    DataClassification = each.value.data_classification
  }
}

resource "aws_kms_alias" "this" {
  for_each = local.keys

  name          = "alias/${var.context.name_prefix}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
