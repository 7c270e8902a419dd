# Notices. Two KMS-encrypted SNS topics: risk alerts (patient keys only; PHI key)
# and pipeline failures (logs key; also every platform alarm). The risk_alert Lambda
# reads the gold alert feed on a schedule and publishes new high-risk patients,
# suppressing repeats through a DynamoDB table (KMS, PITR, TTL). The
# failure_notifier Lambda turns Glue failure events into notices with a runbook
# link. Pipeline failures can also go to Slack through AWS Chatbot; risk alerts never do.
locals {
  gold_bucket_arn   = "arn:${var.context.partition}:s3:::${var.gold_bucket_name}"
  alert_feed_prefix = "alert_feed/high_risk/"
  table_name        = "${var.context.name_prefix}-alert-suppression"
  table_arn         = "arn:${var.context.partition}:dynamodb:${var.context.region}:${var.context.account_id}:table/${local.table_name}"

  topics = {
    risk-alerts = {
      display_name        = "carelake risk alerts"
      kms_key_arn         = var.phi_kms_key_arn
      data_classification = "phi"
      publisher_services  = []
      email_endpoints     = var.risk_alert_email_endpoints
    }
    pipeline-failures = {
      display_name        = "carelake pipeline failures"
      kms_key_arn         = var.logs_kms_key_arn
      data_classification = "non-phi"
      publisher_services  = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
      email_endpoints     = var.pipeline_failure_email_endpoints
    }
  }

  topic_arns = { for k in keys(local.topics) : k => "arn:${var.context.partition}:sns:${var.context.region}:${var.context.account_id}:${var.context.name_prefix}-${k}" }

  subscriptions = merge([
    for t, cfg in local.topics : { for e in cfg.email_endpoints : "${t}/${e}" => { topic = t, endpoint = e } }
  ]...)
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = "${var.context.name_prefix}-${each.key}"
  display_name      = each.value.display_name
  kms_master_key_id = each.value.kms_key_arn

  tags = {
    DataClassification = each.value.data_classification
  }
}

resource "aws_sns_topic_policy" "this" {
  for_each = local.topics

  arn = aws_sns_topic.this[each.key].arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Sid       = "OwnerAccountManages"
          Effect    = "Allow"
          Principal = { AWS = "arn:${var.context.partition}:iam::${var.context.account_id}:root" }
          Action = [
            "sns:AddPermission",
            "sns:DeleteTopic",
            "sns:GetTopicAttributes",
            "sns:ListSubscriptionsByTopic",
            "sns:RemovePermission",
            "sns:SetTopicAttributes",
            "sns:Subscribe",
          ]
          Resource = local.topic_arns[each.key]
        },
        {
          Sid       = "DenyInsecureTransport"
          Effect    = "Deny"
          Principal = "*"
          Action    = "sns:Publish"
          Resource  = local.topic_arns[each.key]
          Condition = { Bool = { "aws:SecureTransport" = "false" } }
        },
      ],
      length(each.value.publisher_services) > 0 ? [{
        Sid       = "AlarmsAndEventsPublish"
        Effect    = "Allow"
        Principal = { Service = each.value.publisher_services }
        Action    = "sns:Publish"
        Resource  = local.topic_arns[each.key]
        Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
      }] : [],
    )
  })
}

resource "aws_sns_topic_subscription" "this" {
  for_each = local.subscriptions

  topic_arn = aws_sns_topic.this[each.value.topic].arn
  protocol  = "email"
  endpoint  = each.value.endpoint
}

# ---------------------------------------------------------------------------------
# Suppression table: one item per patient alerted, expiring after SUPPRESSION_HOURS.
# ---------------------------------------------------------------------------------
resource "aws_dynamodb_table" "this" {
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "patient_key"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "patient_key"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.phi_kms_key_arn
  }

  tags = {
    DataClassification = "phi"
  }
}

# ---------------------------------------------------------------------------------
# Risk alerts.
# ---------------------------------------------------------------------------------
module "risk_alert" {
  source = "../lambda_function"

  context     = var.context
  name        = "risk_alert"
  description = "Publishes patients at or over the LACE threshold from the gold alert feed, once per suppression window"
  code        = var.risk_alert_code
  timeout     = 300
  environment_variables = {
    ALERT_FEED_URI    = "s3://${var.gold_bucket_name}/${local.alert_feed_prefix}"
    RISK_THRESHOLD    = tostring(var.risk_threshold)
    TOPIC_ARN         = local.topic_arns["risk-alerts"]
    SUPPRESSION_TABLE = aws_dynamodb_table.this.name
    SUPPRESSION_HOURS = tostring(var.suppression_hours)
  }
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.logs_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.security_group_ids
  alarm_topic_arn         = aws_sns_topic.this["pipeline-failures"].arn
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ListAlertFeed"
        Effect    = "Allow"
        Action    = "s3:ListBucket"
        Resource  = local.gold_bucket_arn
        Condition = { StringLike = { "s3:prefix" = ["${local.alert_feed_prefix}*"] } }
      },
      {
        Sid      = "ReadAlertFeed"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = "${local.gold_bucket_arn}/${local.alert_feed_prefix}*"
      },
      {
        Sid      = "PublishRiskAlerts"
        Effect   = "Allow"
        Action   = "sns:Publish"
        Resource = local.topic_arns["risk-alerts"]
      },
      {
        Sid      = "Suppression"
        Effect   = "Allow"
        Action   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = local.table_arn
      },
    ]
  })
}

resource "aws_cloudwatch_event_rule" "this" {
  name                = "${var.context.name_prefix}-risk-alert-schedule"
  description         = "Runs the risk_alert Lambda over the latest alert feed"
  schedule_expression = var.risk_alert_schedule

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "risk-alert"
  arn       = module.risk_alert.lambda_function_arn
}

resource "aws_lambda_permission" "this" {
  statement_id  = "AllowRiskAlertSchedule"
  action        = "lambda:InvokeFunction"
  function_name = module.risk_alert.lambda_function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.this.arn
}

# ---------------------------------------------------------------------------------
# Failure notices (the glue_jobs module routes Glue failure events here).
# ---------------------------------------------------------------------------------
module "failure_notifier" {
  source = "../lambda_function"

  context     = var.context
  name        = "failure_notifier"
  description = "Turns Glue job failure events into pipeline-failure notices with a runbook link"
  code        = var.failure_notifier_code
  environment_variables = {
    TOPIC_ARN        = local.topic_arns["pipeline-failures"]
    RUNBOOK_BASE_URL = var.runbook_base_url
    JOB_NAME_PREFIX  = var.context.name_prefix
  }
  environment_kms_key_arn = var.artifacts_kms_key_arn
  logs_kms_key_arn        = var.logs_kms_key_arn
  dlq_kms_key_arn         = var.logs_kms_key_arn
  subnet_ids              = var.subnet_ids
  security_group_ids      = var.security_group_ids
  alarm_topic_arn         = aws_sns_topic.this["pipeline-failures"].arn
  data_classification     = "non-phi"
  policy_json = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "PublishFailures"
      Effect   = "Allow"
      Action   = "sns:Publish"
      Resource = local.topic_arns["pipeline-failures"]
    }]
  })
}

# ---------------------------------------------------------------------------------
# Optional Slack channel for pipeline failures.
# ---------------------------------------------------------------------------------
resource "aws_iam_role" "this" {
  count = var.slack == null ? 0 : 1

  name                 = "${var.context.name_prefix}-chatbot"
  permissions_boundary = var.context.permissions_boundary_arn
  description          = "AWS Chatbot posts pipeline failures to Slack (read-only CloudWatch)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "chatbot.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = var.context.account_id } }
    }]
  })

  tags = {
    DataClassification = "non-phi"
  }
}

resource "aws_iam_role_policy_attachment" "this" {
  count = var.slack == null ? 0 : 1

  role       = aws_iam_role.this[0].name
  policy_arn = "arn:${var.context.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"
}

resource "aws_chatbot_slack_channel_configuration" "this" {
  count = var.slack == null ? 0 : 1

  configuration_name          = "${var.context.name_prefix}-pipeline-failures"
  iam_role_arn                = aws_iam_role.this[0].arn
  slack_team_id               = var.slack.team_id
  slack_channel_id            = var.slack.channel_id
  sns_topic_arns              = [aws_sns_topic.this["pipeline-failures"].arn]
  guardrail_policy_arns       = ["arn:${var.context.partition}:iam::aws:policy/CloudWatchReadOnlyAccess"]
  user_authorization_required = true
  logging_level               = "ERROR"

  tags = {
    DataClassification = "non-phi"
  }
}
